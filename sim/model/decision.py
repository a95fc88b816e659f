"""The weekly decision: what each move is worth, who accepts what, and what is learnt.

Utilities are in weeks of the side's pain at the April 2025 peak (with default
parameters).  A move's utility is a sum of named terms, each logged so a run can explain
itself:

``pain``       economic pain over the horizon, weighted by pressure at home: constituencies
               that feel the losses mobilise as they accumulate (Grossman & Helpman 1995;
               pain-thresholds-wrigley);
``face``       the audience cost of backing down, a F m s times the side's private resolve
               (Fearon 1994), or of a new public commitment that would raise it;
``tariff``     the value of own tariff revenue and leverage;
``relative``   own loss minus the rival's ("who loses more", who-loses-more);
``attrition``  the value of holding out: the chance the rival concedes within the horizon,
               forecast type by type from the rival's rising pressure (Fudenberg & Tirole
               1986; Ponsati & Sakovics 1995; Abreu & Gul 2000);
``value``      non-tariff items of a deal (precursor action, purchases) and the option value
               of a channel;
``risk``       expected cost of a leak of private talks (Kurizaki 2007);
``leverage``   the move's effect on the rival's willingness to take one's best offer:
               coercion (Eaton & Engers 1992), tying hands (Fearon 1997), face-saving cover;
``action``     a constant cost of changing course (a status-quo bias dial; 0 by default).

Offers are chosen from the issue space (``sim.model.packages``) to maximise expected utility
under the proposer's belief about the rival's type and both sides' ratification odds; a
responder accepts what beats holding out (Rubinstein 1982; Powell 2006).  Moves are chosen by
logit quantal response with precision lambda (McKelvey & Palfrey 1995), or at best response.
Beliefs about the rival's type are updated by Bayes' rule on every move the rival makes,
using the rival's own decision rule type by type, and on private signals from back-channel
talks (Slantchev 2003; Kurizaki 2007).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr

from sim.model.agents import Government
from sim.model.economics import FLOAT, Pain, Posture
from sim.model.packages import OFFERED_BY_AGENTS, PACKAGES
from sim.model.transitions import SideState, current, side_effect
from sim.model.vector import Mask, argmax0, by_value, cumulative_rows, gather, pick, present, select

if TYPE_CHECKING:
    from sim.model.model import TradeWarModel

Array = np.ndarray
TERM_NAMES = ("pain", "face", "tariff", "relative", "attrition", "value", "risk", "leverage",
              "action")
CONSTANT_TERMS = ("action",)
HARVEST_WEEKS = range(36, 48)  # ISO weeks of the US harvest and its sales season
BR_LAMBDA = 1e4  # precision standing in for best response where a probability is needed


@dataclass
class Terms:
    """Named expected-utility terms of one move, one entry per run."""

    pain: Array | float = 0.0
    face: Array | float = 0.0
    tariff: Array | float = 0.0
    relative: Array | float = 0.0
    attrition: Array | float = 0.0
    value: Array | float = 0.0
    risk: Array | float = 0.0
    leverage: Array | float = 0.0
    action: Array | float = 0.0

    @property
    def total(self) -> Array:
        """The move's expected utility (computed once)."""
        cached = self.__dict__.get("_total")
        if cached is None:
            values = [getattr(self, name) for name in TERM_NAMES]
            if any(isinstance(v, np.ndarray) for v in values):
                # The sum of the terms in order, from 0.  Adding a zero changes nothing but
                # a -0.0 into 0.0, wherever it is added, so the zero terms (and the 0 the
                # sum starts from) are added once, at the end: the same bits, fewer passes.
                nonzero = [v for v in values if not (type(v) is float and v == 0.0)]
                cached = nonzero[0]
                for v in nonzero[1:]:
                    cached = cached + v
                cached = cached + 0.0
            else:
                cached = sum(values)
            self.__dict__["_total"] = cached
        return cached

    def plus(self, **extra: Array | float) -> Terms:
        """A copy with ``extra`` added to the named terms."""
        values = {name: getattr(self, name) for name in TERM_NAMES}
        for name, add in extra.items():
            values[name] = values[name] + add
        return Terms(**values)

    @staticmethod
    def blend(q: Array, yes: Terms, no: Terms) -> Terms:
        """Expected terms when ``yes`` happens with probability ``q``, else ``no``."""
        out = {}
        for name in TERM_NAMES:
            a, b = getattr(yes, name), getattr(no, name)
            if isinstance(a, float) and isinstance(b, float) and a == b:
                out[name] = a  # a constant term needs no mixing
            else:
                out[name] = b + q * (a - b)
        return Terms(**out)


def _add(a: Terms, b: Terms) -> Terms:
    """Sum of the pain, tariff and relative terms of two stretches of time."""
    return Terms(pain=a.pain + b.pain, tariff=a.tariff + b.tariff,
                 relative=a.relative + b.relative)


def _tag(value: float | Array) -> float | int:
    """A cache key for a parameter value: the number, or the identity of a per-run array
    (held by the model's parameters for the whole run, so its identity is stable)."""
    return id(value) if isinstance(value, np.ndarray) else value


def hierarchy_weights(level: int, tau: float) -> tuple[tuple[int, float], ...]:
    """The Poisson(tau) frequencies of levels 0 .. level - 1, normalised: the levels a
    side reasoning at ``level`` takes its rival to reason at (the cognitive hierarchy,
    lit-camerer-ho-chong2004)."""
    pmf = [math.exp(-tau) * tau**lv / math.factorial(lv) for lv in range(level)]
    total = sum(pmf)
    return tuple((lv, w / total) for lv, w in enumerate(pmf))


def switched(value: Array | float, flag: Array | float) -> Array | float:
    """``value`` where the 0/1 parameter ``flag`` is on, 0 where it is off (one flag for all
    runs, or one per run), keeping ``value``'s type where the flag is on for all runs."""
    if isinstance(flag, np.ndarray):
        return np.where(flag > 0.5, value, 0.0).astype(FLOAT)
    return value if flag > 0.5 else 0.0


def sigmoid(x: Array) -> Array:
    """Logistic function, overflow-safe."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class WeekContext:
    """Everything both governments read when deciding in one week, computed lazily once."""

    def __init__(self, model: TradeWarModel) -> None:
        self.model = model
        p = model.p
        self.p = p
        horizon = p["decision.horizon_weeks"]  # weeks; one per run in a packed sweep
        self.horizon = horizon.astype(FLOAT) if isinstance(horizon, np.ndarray) else float(
            horizon)
        self.best_response = p["decision.best_response"] > 0.5
        self.lam = BR_LAMBDA if self.best_response else p["decision.rationality"]
        self.level = int(p["decision.reasoning_level"])
        self.eps = model.elasticity()
        self.harvest = model.date().isocalendar().week in HARVEST_WEEKS
        self.us, self.cn = model.us, model.cn
        self._pain: dict[str, Pain] = {}
        self._cache: dict[tuple, object] = {}
        self.channel = model.channel
        self.channel_target = model.channel_target
        self.back_channel = p["channel.back_channel"] > 0.5
        # Face and stance as they stood when the week began: the week's moves are
        # simultaneous, so every face cost of the week is priced on them.
        self.face = {gov.side: gov.face for gov in (model.us, model.cn)}
        self.acknowledged = {gov.side: gov.acknowledges for gov in (model.us, model.cn)}
        self.pressure = {gov.side: gov.pressure(p["pressure.gain"]) for gov in model.governments}
        self.paused = bool((model.truce_left > 0).any())
        self.bound = {gov.side: model.bound_by_deal(gov.side) for gov in model.governments}
        # the rival escalated last week: an answer is due from a side that has said it
        # answers every escalation (us-answers-every-retaliation, cn-fight-to-end)
        self.answer_due = {gov.side: gov.rival.escalated for gov in model.governments}
        self.precursor_action = model.precursor_action.copy()  # as the week began

    def packages_in(self, k: Array) -> list[int]:
        """The packages (indices, -1 for none left out) found in ``k``, one per run, in
        increasing order; memoised on the identity of ``k`` (a side's demand or best offer
        is asked about under many moves)."""
        key = ("packages_in", id(k))
        hit = self._cache.get(key)
        if hit is None or hit[0] is not k:
            hit = (k, [j for j in present(k) if j >= 0])
            self._cache[key] = hit
        return hit[1]  # type: ignore[index]

    # --- postures and pain ------------------------------------------------------------
    def state(self, me: Government, key: str) -> SideState:
        """The side's state after hypothetical move ``key`` (or as it is for ``now``)."""
        if key == "now":
            return current(me)
        cache_key = ("state", me.side, key)
        if cache_key not in self._cache:
            self._cache[cache_key] = side_effect(me, self, key)
        return self._cache[cache_key]  # type: ignore[return-value]

    def pain(self, key: str) -> Pain:
        """Pain of both sides at posture ``key`` (``now``, ``escalate:us``, ``pkg:3``...)."""
        if key not in self._pain:
            us, cn = self.state(self.us, key), self.state(self.cn, key)
            tools = {**us.tools, **cn.tools}
            posture = Posture(self._fraction(self.us, us), self._fraction(self.cn, cn), tools)
            self._pain[key] = self.model.economy.pain(posture, self.eps)
        return self._pain[key]

    def _fraction(self, gov: Government, state: SideState) -> Array:
        """Effective tariff as a fraction, memoised on the identity of the layers and
        exemptions it comes from, so that postures sharing a tariff share the array."""
        key = ("fraction", gov.side, id(state.layers), id(state.exempt))
        hit = self._cache.get(key)
        if hit is None or hit[0] is not state.layers or hit[1] is not state.exempt:
            unchanged = state.layers is gov.layers and state.exempt is gov.exempt
            level = gov.tariff() if unchanged else gov.tariff(state.layers, state.exempt)
            hit = (state.layers, state.exempt, level / 100.0)
            self._cache[key] = hit
        return hit[2]  # type: ignore[index]

    def own_pain(self, me: Government, pain: Pain) -> Array:
        """The side's pain as its government weighs it (US farm losses salient at harvest)."""
        if me.side == "us":
            extra = (self.p["us.harvest_salience"] - 1.0) * pain.us_farm if self.harvest else 0.0
            return pain.us + extra
        return pain.cn

    def outcome(self, me: Government, key: str, weeks: float | None = None) -> Terms:
        """Pain, tariff and relative terms of posture ``key`` held for ``weeks`` weeks (all
        the horizon if None) and the status quo for the rest.  The status quo itself
        includes what is scheduled: a running pause snaps back when it expires, a deadline
        that makes holding out costlier as it nears (Fershtman & Seidmann 1993)."""
        cache_key = ("outcome", me.side, key, weeks)
        if cache_key in self._cache:
            return self._cache[cache_key]  # type: ignore[return-value]
        h = self.horizon
        if isinstance(h, np.ndarray):  # one horizon per run
            return self._outcome_per_run(me, key, weeks, cache_key)
        if key == "now":
            left = np.clip(self.model.truce_left, 0, h).astype(FLOAT)
            if self.paused:
                terms = _add(self._flow(me, self.pain("now"), left),
                             self._flow(me, self.pain("snapback"), h - left))
            else:
                terms = self._flow(me, self.pain("now"), h)
        else:
            held = h if weeks is None else min(weeks, h)
            terms = self._flow(me, self.pain(key), held)
            if held < h:
                rest = "snapback" if self.paused else "now"
                terms = _add(terms, self._flow(me, self.pain(rest), h - held))
        self._cache[cache_key] = terms
        return terms

    def pause_within_horizon(self) -> float | Array:
        """Weeks of a pause that fall within the decision horizon (per run where the
        horizon is)."""
        pause = self.p["deal.pause_weeks"]
        if isinstance(self.horizon, np.ndarray):
            return np.minimum(FLOAT(pause), self.horizon)
        return min(pause, self.horizon)

    def _outcome_per_run(self, me: Government, key: str, weeks: float | None,
                         cache_key: tuple) -> Terms:
        """``outcome`` with one horizon per run: the posture held for its weeks (or the
        status quo's scheduled part), the rest of each run's horizon at the status quo."""
        h = self.horizon
        if key == "now":
            held = np.minimum(np.clip(self.model.truce_left, 0, None).astype(FLOAT), h)
            now = self.pain("now")
        else:
            held = h if weeks is None else np.minimum(FLOAT(weeks), h)
            now = self.pain(key)
        rest = "snapback" if self.paused else "now"
        terms = _add(self._flow(me, now, held), self._flow(me, self.pain(rest), h - held))
        self._cache[cache_key] = terms
        return terms

    def _flow(self, me: Government, pain: Pain, weeks: float | Array) -> Terms:
        per_week = weeks / self.model.pain_scale[me.side]  # weeks of starting pain per unit
        own = self.own_pain(me, pain)
        revenue = pain.us_revenue if me.side == "us" else pain.cn_revenue
        rival_net = pain.cn - pain.cn_revenue if me.side == "us" else pain.us - pain.us_revenue
        weight = self.p[f"decision.{me.side}_revenue_weight"]
        return Terms(pain=-self.pressure[me.side] * own * per_week,
                     tariff=weight * revenue * per_week,
                     relative=-self.p["decision.relative_loss_weight"]
                     * ((own - revenue) - rival_net) * per_week)

    # --- face ---------------------------------------------------------------------------
    def face_unit(self, me: Government) -> Array:
        """Audience cost of a full back-down at multiplier 1 for resolve 1: a F / F_ref
        (Fearon 1994), in weeks of pain."""
        return self.p["face.backdown_weeks"] * self.face[me.side] / self.model.face_ref

    def face_cost(self, me: Government, size: Array | float, multiplier: Array | float,
                  resolve: Array | float | None = None) -> Array:
        """Audience cost of a concession of ``size`` at ``multiplier``, scaled by resolve
        (the side's own unless given)."""
        r = me.resolve if resolve is None else resolve
        return self.face_unit(me) * r * multiplier * size

    def unanswered_cost(self, me: Government, types: bool = False) -> Array:
        """Audience cost of leaving the rival's escalation of last week unanswered, where an
        answer is due (0 elsewhere): breaking one public commitment, the promise to answer
        every escalation (us-answers-every-retaliation, cn-fight-to-end), priced as the face
        stock prices a commitment (``face.escalation_commitment`` units of a stock whose
        full back-down costs ``face_unit``; lit-fearon1994) and scaled by how firmly the side
        is committed to answering (``{side}.answers_escalation``, the chance the rival
        reckons with); nothing with ``face.answer_commitment`` off.  Own resolve, or each
        possible type's (K x runs) with ``types``."""
        p = self.p
        unit = (p["face.backdown_weeks"] * p["face.escalation_commitment"]
                * p["face.multiplier_public"]
                * switched(p[f"{me.side}.answers_escalation"], p["face.answer_commitment"])
                / self.model.face_ref)
        due = self.answer_due[me.side]
        if types:
            return select(due[None, :], me.types * np.asarray(unit, dtype=FLOAT), 0.0)
        return select(due, me.resolve * np.asarray(unit, dtype=FLOAT), 0.0)

    def concession_size(self, me: Government, after: SideState) -> Array:
        """Share of a full back-down: tariff cut over the peak layers, plus tools lifted."""
        cut = (me.tariff() - self._fraction(me, after) * 100.0) / me.tariff_ref
        size = np.maximum(cut, 0.0)
        for t, before in me.tools.items():
            if after.tools[t] is not before:  # only tools the move changes
                size = size + self.p["moves.tool_concession_size"] * np.maximum(
                    before - after.tools[t], 0.0)
        return size

    def acknowledge_size(self, me: Government) -> Array:
        """Admitting talks, as a share of a full back-down, where the side denies them."""
        return self.p["face.acknowledge_size"] * (1.0 - self.acknowledged[me.side])

    def acknowledge_cost(self, me: Government) -> Array:
        """Face cost of admitting talks where the side has been denying them."""
        return self.face_cost(me, self.acknowledge_size(me), self.p["face.multiplier_public"])

    # --- packages -----------------------------------------------------------------------
    def survival(self, me: Government, k: int) -> float:
        """Expected share of a deal's horizon it stands: deals collapse at a hazard,
        purchase deals more often (lit-bown-phase-one); China also fears the US reopening
        a deal with new demands (us-inconsistent-demands)."""
        p = self.p
        hazard = p["deal.renege_hazard"] * (p["deal.purchase_renege_multiplier"]
                                            if PACKAGES[k].purchases else 1.0)
        if me.side == "cn":
            hazard += p["us.reopen_hazard"]
        h = self.horizon
        if isinstance(hazard, np.ndarray) or isinstance(h, np.ndarray):  # one per run
            hazard = np.asarray(hazard, dtype=np.float64)  # worked in double
            positive = np.maximum(hazard, 1e-12)
            share = (1.0 - (1.0 - np.minimum(positive, 1.0)) ** h) / (positive * h)
            return np.where(hazard <= 0, 1.0, np.where(hazard < 1, share, 1.0 / h)).astype(FLOAT)
        if hazard <= 0:
            return 1.0
        # mean fraction of the horizon before a collapse at a constant weekly hazard
        return float((1.0 - (1.0 - hazard) ** h) / (hazard * h)) if hazard < 1 else 1.0 / h

    def package_parts(self, me: Government, k: int) -> tuple[Terms, Array]:
        """Package ``k`` for ``me``: its terms at resolve 1 with the face part separate
        (``face`` holds the cost at resolve 1), and the concession size."""
        key = ("pkg", me.side, k)
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        p, pkg = self.p, PACKAGES[k]
        weeks = p["deal.pause_weeks"] if pkg.temporary else None
        deal = self.outcome(me, f"pkg:{k}", weeks)
        hold = self.outcome(me, "now")
        s = self.survival(me, k)
        # the deal's gains over holding, discounted by the chance it collapses
        terms = Terms(pain=hold.pain + s * (deal.pain - hold.pain),
                      tariff=hold.tariff + s * (deal.tariff - hold.tariff),
                      relative=hold.relative + s * (deal.relative - hold.relative))
        size = self.package_size(me, k)
        multiplier = p["face.multiplier_matched"]
        if pkg.temporary:
            multiplier = multiplier * self.pause_within_horizon() / self.horizon
        if me.side == "cn" and pkg.purchases:
            multiplier = multiplier * p["deal.phase_one_face_multiplier"]
        unit = self.face_unit(me)
        face = unit * multiplier * size + unit * self.p["face.multiplier_public"] * (
            self.acknowledge_size(me))  # signing a deal admits the talks that made it
        value = 0.0
        if me.side == "us":
            value = s * (p["deal.precursor_value_weeks"] * self.new_precursor_action(k)
                         + p["deal.purchase_value_weeks"] * pkg.purchases)
        out = (terms.plus(value=value, face=-face), size)
        self._cache[key] = out
        return out

    def new_precursor_action(self, k: int, live: bool = False) -> Array | float:
        """1 where package ``k`` has China act on fentanyl precursors and it does not do so
        already under a deal it signed, 0 elsewhere: an item delivered once is not given,
        nor valued, again (cn-fentanyl-linkage).  As the week began (what the week's
        choices weigh), or with ``live`` as it stands now (a deal signed earlier in the
        week included: what a concession carried out is measured on)."""
        if not PACKAGES[k].precursor_action:
            return 0.0
        acting = self.model.precursor_action if live else self.precursor_action
        return (~acting).astype(FLOAT) if acting.any() else 1.0

    def package_size(self, me: Government, k: int) -> Array:
        """The side's concession in package ``k``, as a share of a full back-down; memoised
        on the side's state it is measured from (a deal signed this week changes it)."""
        key = ("pkg_size", me.side, k)
        now = (*me.layers.values(), me.exempt, *me.tools.values(), self.model.precursor_action)
        hit = self._cache.get(key)
        if hit is None or any(a is not b for a, b in zip(hit[0], now, strict=True)):
            pkg = PACKAGES[k]
            size = self.concession_size(me, self.state(me, f"pkg:{k}"))
            if me.side == "cn" and pkg.precursor_action:
                size = size + self.p["deal.precursor_concession_size"] * (
                    self.new_precursor_action(k, live=True))
            hit = (now, size)
            self._cache[key] = hit
        return hit[1]  # type: ignore[index]

    def package_terms(self, me: Government, k: int) -> Terms:
        """Terms of package ``k`` for ``me`` at its own resolve."""
        key = ("pkg_terms", me.side, k)
        if key not in self._cache:
            parts, _ = self.package_parts(me, k)
            extra = parts.face * (me.resolve - 1.0)
            self._cache[key] = parts.plus(face=extra)
        return self._cache[key]  # type: ignore[return-value]

    def type_gaps(self, me: Government, k: int, with_attrition: bool = True) -> Array:
        """Gain to ``me`` from taking package ``k`` rather than holding out, for each of its
        possible types (K x runs): what the rival reckons ``me`` would do."""
        key = ("gaps", me.side, k, with_attrition)
        if key not in self._cache:
            parts, _ = self.package_parts(me, k)
            base = parts.total - parts.face  # everything but face
            fallback = self.outcome(me, "now").total
            if with_attrition:
                fallback = fallback + self.attrition(me)
            self._cache[key] = base[None, :] + me.types * parts.face[None, :] - fallback[None, :]
        return self._cache[key]  # type: ignore[return-value]

    def own_gap(self, me: Government, k: int) -> Array:
        """Gain to ``me`` (its true type) from taking package ``k`` rather than holding."""
        return self.package_terms(me, k).total - self.hold(me).total

    # --- ratification (two-level game) ------------------------------------------------
    def ratification(self, me: Government, k: int) -> Array:
        """Chance ``me``'s constituencies ratify package ``k`` (lit-putnam1988): each group
        approves if its own gain, plus a shock, is positive; the weighted approving share,
        each group weighted by its standing and mobilisation, must reach the threshold."""
        key = ("ratify", me.side, k)
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        p = self.p
        gains = self.group_gains(me, k)
        noise = p["ratification.noise"]
        sd = np.maximum(noise, FLOAT(1e-6)) if isinstance(noise, np.ndarray) else max(noise, 1e-6)
        approves, everywhere = self._approving_subsets(me)
        odds: dict[int, Array] = {}  # groups that judge alike have the same gain array
        for gain in gains:
            if id(gain) not in odds:
                # a group's gain is a function of each run's posture and face stock, which
                # take few values across runs (a face stock moves only with the week's
                # discrete events): its odds are worked out once a value
                odds[id(gain)] = by_value(ndtr, gain / sd)
        # Every subset of approving groups at once (subset ``mask`` at row ``mask``: group g
        # approves where bit g is set), built group by group so that each subset's chance
        # is the product of its groups' odds taken in group order.
        prob = np.empty((1 << len(gains), me.n), dtype=np.result_type(FLOAT, *odds.values()))
        prob[0] = 1.0
        size = 1
        for gain in gains:
            yes = odds[id(gain)]
            np.multiply(prob[:size], yes, out=prob[size:2 * size])
            np.multiply(prob[:size], 1.0 - yes, out=prob[:size])
            size *= 2
        chance = np.zeros(me.n, dtype=FLOAT)
        for mask, row in enumerate(prob):  # summed in subset order
            if everywhere[mask]:
                chance = chance + row
            elif everywhere[mask] is None:
                chance = chance + select(approves[mask], row, 0.0)
            # else: a subset short of the threshold in every run adds nothing
        self._cache[key] = chance
        return chance

    def ratification_odds(self, me: Government, k: int) -> Array:
        """Chance ``me``'s constituencies ratify package ``k`` as both sides reckon it:
        ``ratification``, or, where resistance at home is persistent and earlier votes have
        shown bounds on it, the chance that the resistance lies below the package's support
        given those bounds (Bayes on a uniform resistance: lit-putnam1988,
        lit-milner-rosendorff1997)."""
        chance = self.ratification(me, k)
        m = self.model
        if not m.resistance_shown:
            return chance
        key = ("ratify_odds", me.side, k)
        if key not in self._cache:
            low, high = m.resistance_low[me.side], m.resistance_high[me.side]
            odds = np.clip((chance - low) / np.maximum(high - low, FLOAT(1e-6)), 0.0, 1.0)
            shown = (low > 0.0) | (high < 1.0)
            self._cache[key] = select(shown, odds.astype(FLOAT), chance)
        return self._cache[key]  # type: ignore[return-value]

    def _approving_subsets(self, me: Government) -> tuple[list[Mask], list[bool | None]]:
        """Where each subset of ``me``'s constituencies (subsets x runs, as in
        ``ratification``) carries the threshold: its weighted approving share, the sum of
        its groups' pulls in group order, reaches the share a deal needs; and for each
        subset whether it does in every run (True), in none (False) or in some (None).
        Memoised on the mobilisation arrays it comes from (a rally within the week replaces
        them)."""
        key = ("approving", me.side)
        mobilised = [g.mobilisation for g in me.constituencies]
        hit = self._cache.get(key)
        if hit is None or any(a is not b for a, b in zip(hit[0], mobilised, strict=True)):
            pulls = [g.pull() for g in me.constituencies]
            total = sum(pulls)
            need = self.p["decision.ratification_threshold"] * total - 1e-9
            share = np.zeros((1, me.n), dtype=FLOAT)
            for pull in pulls:
                share = np.concatenate((share, share + pull))
            approves = share >= need
            some, every = approves.any(axis=1), approves.all(axis=1)
            everywhere = [True if a else (None if s else False)
                          for s, a in zip(some.tolist(), every.tolist(), strict=True)]
            masks = [Mask(row, FLOAT) if where is None else None
                     for row, where in zip(approves, everywhere, strict=True)]
            hit = (mobilised, masks, everywhere)
            self._cache[key] = hit
        return hit[1], hit[2]  # type: ignore[index]

    def group_gains(self, me: Government, k: int) -> list[Array]:
        """Each constituency's gain from package ``k``, in weeks of the side's pain."""
        s = me.side
        before, after = self.pain("now"), self.pain(f"pkg:{k}")
        pkg = PACKAGES[k]
        weeks = self.pause_within_horizon() if pkg.temporary else self.horizon
        per_week = weeks * self.survival(me, k) / self.model.pain_scale[s]
        own_size = self.package_size(me, k)
        rival_size = self.package_size(me.rival, k)
        unit = self.face_unit(me) * self.p["face.multiplier_matched"]
        out = []
        alike: dict[tuple[str, tuple[str, ...]], Array] = {}  # groups that judge alike
        for group in me.constituencies:
            spec = (group.spec.feels, group.spec.judges)
            if spec in alike:
                out.append(alike[spec])
                continue
            gain = np.zeros(me.n, dtype=FLOAT)
            feels = group.spec.feels
            if "relief" in group.spec.judges:
                comp = feels if feels != "none" else "total"
                gain = gain + (self.component(me, before, comp)
                               - self.component(me, after, comp)) * per_week
            if "face" in group.spec.judges:  # reciprocity: equal footing (cn-equal-basis)
                gain = gain + unit * (rival_size - own_size)
            if "revenue" in group.spec.judges:
                rev = f"{s}_revenue"
                gain = gain + (getattr(after, rev) - getattr(before, rev)) * per_week
            alike[spec] = gain
            out.append(gain)
        return out

    def component(self, me: Government, pain: Pain, name: str) -> Array:
        """Part of a side's pain a constituency feels (``total``, ``consumer``,
        ``exporter``, ``farm``)."""
        s = me.side
        if name == "total":
            return self.own_pain(me, pain)
        if name == "farm":  # US export losses, mostly farm goods; salient at harvest
            return pain.us_exporter * (self.p["us.harvest_salience"] if self.harvest else 1.0)
        return getattr(pain, f"{s}_{name}")

    # --- acceptance and offers ----------------------------------------------------------
    def acceptance(self, proposer: Government, k: int) -> Array:
        """Chance the proposal of package ``k`` becomes a deal, as the proposer reckons it:
        the rival accepts (logit on its gain, type by type under the proposer's belief)
        and both sides ratify."""
        key = ("accept", proposer.side, k)
        if key not in self._cache:
            rival = proposer.rival
            by_type = sigmoid(self.lam * self.type_gaps(rival, k))
            q = (proposer.belief * by_type).sum(axis=0)
            self._cache[key] = (q * self.ratification_odds(rival, k)
                                * self.ratification_odds(proposer, k))
        return self._cache[key]  # type: ignore[return-value]

    def offer_gain(self, me: Government, k: int) -> Array:
        """Expected gain of proposing package ``k`` over holding out."""
        key = ("offer_gain", me.side, k)
        if key not in self._cache:
            self._cache[key] = self.acceptance(me, k) * self.own_gap(me, k)
        return self._cache[key]  # type: ignore[return-value]

    def offerable(self, me: Government, private: bool) -> Array:
        """Mask (packages x runs) of packages ``me`` may propose: publicly, at the channel
        level the package needs; privately, through the back channel at any scope."""
        key = ("offerable", me.side, private)
        if key not in self._cache:
            m = self.model
            ok = np.zeros((len(PACKAGES), m.n), dtype=bool)
            reach = self.channel >= 1 if private else None
            for k in OFFERED_BY_AGENTS:
                level_ok = reach if private else self.channel >= PACKAGES[k].channel
                ok[k] = level_ok & m.package_open(k)
            self._cache[key] = ok
        return self._cache[key]  # type: ignore[return-value]

    def best_offer(self, me: Government, private: bool) -> tuple[Array, Array]:
        """The package each run's proposer would offer (index, -1 for none) and its
        expected gain over holding out."""
        key = ("best_offer", me.side, private)
        if key not in self._cache:
            ok = self.offerable(me, private)
            gains = np.full(ok.shape, -np.inf, dtype=FLOAT)
            for k in OFFERED_BY_AGENTS:
                if ok[k].any():
                    gains[k] = select(ok[k], self.offer_gain(me, k), -np.inf)
            best = argmax0(gains)
            value = gains[best, np.arange(me.n)]
            best = np.where(np.isfinite(value), best, -1)
            self._cache[key] = (best.astype(np.int16), np.where(np.isfinite(value), value, 0.0))
        return self._cache[key]  # type: ignore[return-value]

    def offer_chance(self, me: Government, k: Array) -> Array:
        """Chance that package ``k`` (one per run, -1 for none) becomes a deal, as ``me``
        reckons it when proposing it (``acceptance``); 0 where there is none."""
        return gather(k, {j: self.acceptance(me, j) for j in self.packages_in(k)}, me.n)

    def demand(self, me: Government, level: int | None = None) -> Array:
        """The package ``me`` holds out for: of those it might offer, the one whose
        expected value of waiting is highest (the chance the rival comes round to it within
        the horizon, type by type under ``me``'s belief, forecast by a side reasoning at
        ``level`` (``rival_share``), times its worth for the part of the horizon left;
        lit-abreu-gul2000); where no deal is in reach by waiting, the best for ``me``."""
        level = self.level if level is None else level
        key = ("demand", me.side, level)
        if key not in self._cache:
            n = me.n
            best_for_me = np.full((len(PACKAGES), n), -np.inf, dtype=FLOAT)
            waiting = np.zeros((len(PACKAGES), n), dtype=FLOAT)
            now = self.outcome(me, "now").total
            for k in OFFERED_BY_AGENTS:
                open_ = self.model.package_open(k)
                if not open_.any():
                    continue
                total = self.package_terms(me, k).total
                best_for_me[k] = select(open_, total, -np.inf)
                worth = np.maximum(total - now, 0.0)
                if level > 0 and (open_ & (worth > 0)).any():  # else nothing to wait for
                    share = self.rival_share(me, k, level)
                    value = (me.belief * share).sum(axis=0) * worth
                    waiting[k] = select(open_, value, 0.0)
            best = argmax0(best_for_me)
            ok = np.isfinite(best_for_me[best, np.arange(n)])
            reach = argmax0(waiting)
            in_reach = waiting[reach, np.arange(n)] > 0
            self._cache[key] = np.where(ok, np.where(in_reach, reach, best), -1).astype(
                np.int16)
        return self._cache[key]  # type: ignore[return-value]

    # --- holding out: the war of attrition ------------------------------------------------
    def hierarchy(self, level: int) -> tuple[tuple[int, float], ...]:
        """The levels a side reasoning at ``level`` takes its rival to reason at, with
        their weights: the Poisson(tau) frequencies of levels 0 .. level - 1, normalised
        (the cognitive hierarchy, lit-camerer-ho-chong2004)."""
        return hierarchy_weights(level, float(self.p["decision.hierarchy_tau"]))

    def rival_share(self, me: Government, k: Array | int, level: int,
                    face_scale: Array | float = 1.0,
                    gap_shift: Array | float = 0.0) -> Array:
        """Share of the horizon for which package ``k`` will be in force once each type of
        ``me``'s rival has come round to it (K x runs; signed a week after it does at the
        soonest), as ``me``, reasoning at ``level``, forecasts it: a rival
        at each lower level, weighted as in ``hierarchy``.  A rival at level 0 weighs
        conceding against the status quo alone; at level l it also weighs what it expects
        from holding out itself, forecast at level l, the comparison it makes when it
        answers an offer (level-k reasoning: lit-stahl-wilson1995,
        lit-camerer-ho-chong2004)."""
        # ``me``'s own forecast weighs the levels as it has learned them, where it learns
        # (``decision.obstinacy_prior``; the rest of its weight is on an obstinate rival,
        # who does not give in within the horizon); forecasts it ascribes to others keep
        # the hierarchy's weights
        learned = me.level_belief if level == self.level else None
        share = None
        for lv, weight in self.hierarchy(level):
            if learned is not None:
                weight = learned[lv][None, :]  # type: ignore[assignment]
            part = weight * self._conceded(me.rival, k, face_scale, gap_shift, lv)
            share = part if share is None else share + part
        return share  # type: ignore[return-value]

    def _conceded(self, rival: Government, k: Array | int, face_scale: Array | float,
                  gap_shift: Array | float, level: int) -> Array:
        """Share of the horizon after ``rival``, at ``level``, takes ``k`` and the deal is
        signed a week later (K x runs); memoised for one package in all runs as it stands
        (every level of a side's forecast asks for it)."""
        plain = isinstance(k, int) and isinstance(face_scale, float) and face_scale == 1.0 \
            and isinstance(gap_shift, float) and gap_shift == 0.0
        key = ("conceded", rival.side, k, level)
        if plain and key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        # 1 - t / horizon with t = -gap / growth (``concession_times``), written so that
        # a gap already closed gives 1 and one that never closes gives 0, without branches;
        # then less the week of signing (below)
        gaps, growth = self._gap_growth(rival, k, face_scale, gap_shift, level)
        out = np.maximum(growth, FLOAT(1e-9))
        out *= self.horizon
        np.divide(gaps, out, out=out)
        out += 1.0
        np.clip(out, 0.0, 1.0, out=out)
        # a deal the rival comes round to is signed a week later at the soonest (it
        # offers, the side accepts): waiting for it forgoes that week, so a side never
        # values holding out as highly as taking the same deal now (lit-rubinstein1982)
        out -= 1.0 / self.horizon
        np.maximum(out, 0.0, out=out)
        if not isinstance(k, int) and (k < 0).any():
            out = select((k < 0)[None, :], 0.0, out)
        if plain:
            self._cache[key] = out
        return out

    def concession_times(self, rival: Government, k: Array | int,
                         face_scale: Array | float = 1.0,
                         gap_shift: Array | float = 0.0,
                         level: int | None = None) -> Array:
        """Weeks until each type of ``rival``, reasoning at ``level`` (its own by
        default), would take package ``k`` (per run), as its pressure grows and its face
        decays (K x runs; inf: not within any horizon).  ``face_scale`` prices a rival
        whose face stock were that many times larger; ``gap_shift`` (per run) is a change
        in the rival's gain from conceding that a move of ``me``'s would make (more pain on
        holding out, or less).  ``k`` is one package per run, or one for all runs."""
        level = self.level if level is None else level
        gaps, growth = self._gap_growth(rival, k, face_scale, gap_shift, level)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = select(gaps >= 0, 0.0, select(growth > 1e-9, -gaps / growth, np.inf))
        if isinstance(k, int):
            return t
        none = k < 0
        return select(none[None, :], np.inf, t) if none.any() else t

    def concession_gaps(self, rival: Government, k: Array | int, level: int) -> Array:
        """Each type of ``rival``'s gain from taking package ``k`` (per run) now, as a side
        forecasting it at ``level`` reckons it (K x runs): it takes ``k`` where this is
        positive."""
        return self._gap_growth(rival, k, 1.0, 0.0, level)[0]

    def _gap_growth(self, rival: Government, k: Array | int, face_scale: Array | float,
                    gap_shift: Array | float, level: int) -> tuple[Array, Array]:
        """Each type of ``rival``'s gain from taking ``k`` now (negative while it holds
        out) and how fast that gain grows a week, as its pressure rises and its face fades
        (K x runs)."""
        p = self.p
        if isinstance(k, int):
            base, unit, relief = self._concession_parts(rival, k, level)
        else:
            base, unit, relief = self._concession_gathered(rival, k, level)
        dp = self.model.pressure_growth[rival.side] * p["pressure.gain"]
        face = rival.types * (unit * face_scale)[None, :]  # negative
        gaps = (base + gap_shift)[None, :] + face
        growth = (dp * relief)[None, :] - (1.0 - p["face.decay"]) * face
        return gaps, growth

    def _concession_gathered(self, rival: Government, k: Array,
                             level: int) -> tuple[Array, Array, Array]:
        """``_concession_parts`` of package ``k`` in each run (0 where none), memoised on
        the identity of ``k`` (a side's demand is asked about under many moves)."""
        key = ("concession_gathered", rival.side, id(k), level)
        hit = self._cache.get(key)
        if hit is None or hit[0] is not k:
            js = self.packages_in(k)
            parts = {j: self._concession_parts(rival, j, level) for j in js}
            hit = (k, *(gather(k, {j: parts[j][i] for j in js}, rival.n) for i in range(3)))
            self._cache[key] = hit
        return hit[1:]  # type: ignore[return-value]

    def _concession_parts(self, rival: Government, j: int,
                          level: int) -> tuple[Array, Array, Array]:
        """What ``concession_times`` reads of package ``j`` for ``rival`` at ``level``: its
        gain from conceding but for face, less (above level 0) its own value of holding
        out; its face part at resolve 1; and its relief per unit of pressure."""
        key = ("concession_parts", rival.side, j, level)
        if key not in self._cache:
            hold = self.outcome(rival, "now")
            parts, _ = self.package_parts(rival, j)
            base = parts.total - parts.face - hold.total
            if level > 0:
                base = base - self.attrition(rival, level=level)
            deal = self.outcome(rival, f"pkg:{j}", self.p["deal.pause_weeks"]
                                if PACKAGES[j].temporary else None)
            relief = (deal.pain - hold.pain) / np.maximum(self.pressure[rival.side], 1e-6)
            self._cache[key] = (base, parts.face, relief)
        return self._cache[key]  # type: ignore[return-value]

    def attrition(self, me: Government, rival_face_scale: Array | float = 1.0,
                  tag: str = "", gap_shift: Array | float = 0.0,
                  level: int | None = None) -> Array:
        """Value of holding out: the chance the rival concedes to ``me``'s demand within
        the horizon, type by type under ``me``'s belief, forecast by ``me`` reasoning at
        ``level`` (its own by default; ``rival_share``), times what that is worth for the
        part of the horizon left when it comes (lit-fudenberg-tirole1986,
        lit-abreu-gul2000).  It comes a week after the rival comes round at the soonest, so
        holding out for a deal is always worth less than taking it now: a side offered
        what it holds out for prefers to take it, and does at best response
        (lit-rubinstein1982).  At a one-week horizon holding out is worth nothing.  A side
        at level 0 expects nothing from holding out.  ``rival_face_scale`` and
        ``gap_shift`` (tagged by ``tag``) value holding out after a move that changes the
        rival's face stock or its gain from conceding.
        """
        level = self.level if level is None else level
        key = ("attrition", me.side, tag, level)
        if key not in self._cache:
            if level == 0:
                self._cache[key] = np.zeros(me.n, dtype=FLOAT)
                return self._cache[key]  # type: ignore[return-value]
            k = self.demand(me, level)
            share = self.rival_share(me, k, level, rival_face_scale, gap_shift)
            outlast = self.p["decision.outlast"]  # for all runs, or one flag per run
            if np.any(outlast):
                # waiting pays only against a rival type that would fold before ``me``
                # would: the side that would give in first concedes at once (Abreu & Gul
                # 2000; the war of attrition's weaker side), both forecast a level down
                # (``me`` at its own level would need this very value)
                times = self.concession_times(me.rival, k, rival_face_scale, gap_shift,
                                              level - 1)
                mine = self.own_concession_time(me, level - 1)
                waits = (times < mine[None, :]) | (times <= 0.0)
                if isinstance(outlast, np.ndarray):  # the runs that hold out otherwise
                    waits |= (outlast < 0.5)[None, :]
                share = select(waits, share, 0.0)
            self._cache[key] = (me.belief * share).sum(axis=0) * self._demand_worth(me, level)
        return self._cache[key]  # type: ignore[return-value]

    def own_concession_time(self, me: Government, level: int | None = None) -> Array:
        """Weeks until ``me``, knowing its own type, would take the deal the rival holds
        out for (per run; inf: not within any horizon)."""
        level = self.level if level is None else level
        key = ("own_time", me.side, level)
        if key not in self._cache:
            t = self.concession_times(me, self.demand(me.rival, level), level=level)
            self._cache[key] = pick(t, me.type_index)
        return self._cache[key]  # type: ignore[return-value]

    def _demand_worth(self, me: Government, level: int) -> Array:
        """What the deal ``me`` holds out for is worth to it over the present (0 if none)."""
        key = ("demand_worth", me.side, level)
        if key not in self._cache:
            k = self.demand(me, level)
            now = self.outcome(me, "now").total
            gains = {j: np.maximum(self.package_terms(me, j).total - now, 0.0)
                     for j in self.packages_in(k)}
            self._cache[key] = gather(k, gains, me.n)
        return self._cache[key]  # type: ignore[return-value]

    def hold(self, me: Government) -> Terms:
        """Terms of standing pat: the present posture plus the value of holding out."""
        key = ("hold", me.side)
        if key not in self._cache:
            self._cache[key] = self.outcome(me, "now").plus(attrition=self.attrition(me))
        return self._cache[key]  # type: ignore[return-value]

    # --- a move's effect on the rival -----------------------------------------------------
    def leverage(self, me: Government, gap_shift: Array) -> Array:
        """Value to ``me`` of shifting every rival type's gain from ``me``'s best offer by
        ``gap_shift`` (K x runs or runs): the change in the chance it is taken, times its
        worth (coercion, tying hands and face-saving cover all work this way)."""
        k, gaps, before, ratified, worth = self._best_offer_parts(me)
        after = sigmoid(self.lam * (gaps + gap_shift))
        dq = (me.belief * (after - before)).sum(axis=0)
        dq = dq * ratified[0] * ratified[1]
        return select(k >= 0, dq * worth, 0.0)

    def _best_offer_parts(self, me: Government) -> tuple[Array, Array, Array,
                                                         tuple[Array, Array], Array]:
        """What ``leverage`` reads of ``me``'s best offer in each run: the offer, the
        rival's gain from taking it type by type (K x runs) and the chance each type takes
        it, both sides' chances of ratifying it, and its worth to ``me``."""
        key = ("best_offer_parts", me.side)
        if key not in self._cache:
            k, _ = self.best_offer(me, private=self.back_channel)
            rival, n = me.rival, me.n
            js = self.packages_in(k)
            gaps = np.zeros((len(rival.types), n), dtype=FLOAT)
            for j in js:
                gaps = select((k == j)[None, :], self.type_gaps(rival, j), gaps)
            ratified = (gather(k, {j: self.ratification_odds(rival, j) for j in js}, n),
                        gather(k, {j: self.ratification_odds(me, j) for j in js}, n))
            worth = gather(k, {j: np.maximum(self.own_gap(me, j), 0.0) for j in js}, n)
            self._cache[key] = (k, gaps, sigmoid(self.lam * gaps), ratified, worth)
        return self._cache[key]  # type: ignore[return-value]

    def commitment(self, me: Government, added: float) -> tuple[Array, Array]:
        """A new public commitment (an escalation or a denial) of ``added`` face units.

        Its cost: it raises the price of ``me``'s own later concession in proportion to
        the face stock, which matters as much as ``me`` (knowing its own type) expects to
        concede within the horizon.  Its value as a signal: the rival's forecast of
        ``me`` conceding recedes, and with it the value the rival puts on holding out
        (tying hands, lit-fearon1997).  Returns (face term, leverage term)."""
        key = ("commit", me.side, _tag(added))
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        rival = me.rival
        scale = 1.0 + added / np.maximum(self.face[me.side], 1e-6)
        k = self.demand(rival)  # what ``me`` would concede to
        t = self.concession_times(me, k)  # for each of ``me``'s possible types
        soon = np.clip(1.0 - t / self.horizon, 0.0, 1.0)  # (K, runs)
        by_type = np.zeros((len(me.types), me.n), dtype=FLOAT)
        for j in self.packages_in(k):
            if j >= 0:
                parts, _ = self.package_parts(me, j)
                extra = parts.face * (scale - 1.0)  # negative, at resolve 1
                by_type = select((k == j)[None, :], soon * me.types * extra[None, :],
                                 by_type)
        # a type that expects to concede soon pays for the commitment; one that would
        # hold out anyway pays little: so commitments signal resolve (lit-fearon1997)
        self._cache[("commit_types", me.side, _tag(added))] = by_type
        cost = pick(by_type, me.type_index)
        before = self.attrition(rival)
        after = self.attrition(rival, scale, tag=f"commit:{_tag(added)}")
        value = self.leverage(me, (before - after)[None, :])
        out = (cost, value)
        self._cache[key] = out
        return out

    def commitment_by_type(self, me: Government, added: float) -> Array:
        """The face term of a commitment of ``added`` units for each of ``me``'s possible
        types (K x runs): what an observer reckons each type would pay for it."""
        self.commitment(me, added)
        return self._cache[("commit_types", me.side, _tag(added))]  # type: ignore[return-value]

    # --- channels -------------------------------------------------------------------------
    def channel_value(self, me: Government, level: Array) -> Array:
        """Expected gain of the best public offer possible at channel ``level``; memoised
        on the identity of ``level`` (the week's channel, a side's target)."""
        key = ("channel_value", me.side, id(level))
        hit = self._cache.get(key)
        if hit is None or hit[0] is not level:
            out = np.zeros(me.n, dtype=FLOAT)
            for k in OFFERED_BY_AGENTS:
                reach = (PACKAGES[k].channel <= level) & self.model.package_open(k)
                if reach.any():
                    out = np.maximum(out, select(reach, self.offer_gain(me, k), 0.0))
            hit = (level, out)
            self._cache[key] = hit
        return hit[1]  # type: ignore[index]

    def offer_potential(self, me: Government) -> Array:
        """Expected gain of the best offer of any scope, were every channel open."""
        key = ("offer_potential", me.side)
        if key not in self._cache:
            out = np.zeros(me.n, dtype=FLOAT)
            for k in OFFERED_BY_AGENTS:
                open_ = self.model.package_open(k)
                if open_.any():
                    out = np.maximum(out, select(open_, self.offer_gain(me, k), 0.0))
            self._cache[key] = out
        return self._cache[key]  # type: ignore[return-value]

    def upgrade_gain(self, me: Government, target: Array) -> Array:
        """Gain to ``me`` from the channel moving to ``target``: better offers become
        possible, less the face of admitting talks and, for China, of being summoned to a
        leader call without groundwork (cn-equal-basis)."""
        gain = self.channel_value(me, target) - self.channel_value(me, self.channel)
        if self.back_channel:  # what is already possible in private needs no upgrade
            _, private = self.best_offer(me, private=True)
            gain = np.minimum(gain, np.maximum(self.channel_value(me, target) - private, 0.0))
        cost = select(target >= 2, self.acknowledge_cost(me), 0.0)
        if me.side == "cn":
            skipped = np.maximum(target - self.channel - 1, 0)
            cost = cost + self.face_cost(me, FLOAT(self.p["face.leader_jump_size"]) * skipped,
                                         self.p["face.multiplier_public"])
        return self.p["deal.channel_option_discount"] * gain - cost

    def upgrade_gaps(self, me: Government, target: Array) -> Array:
        """``upgrade_gain`` for each of ``me``'s possible types (K x runs)."""
        gain = self.upgrade_gain(me, target)
        face_part = select(target >= 2, self.acknowledge_cost(me), 0.0)
        if me.side == "cn":
            skipped = np.maximum(target - self.channel - 1, 0)
            face_part = face_part + self.face_cost(
                me, FLOAT(self.p["face.leader_jump_size"]) * skipped,
                self.p["face.multiplier_public"])
        per_resolve = face_part / me.resolve
        return (gain + face_part)[None, :] - me.types * per_resolve[None, :]

    def channel_chance(self, me: Government, target: Array) -> Array:
        """Chance the rival consents to ``me``'s proposal of the channel level ``target``
        (logit on its gain, type by type under ``me``'s belief; 1 for working-level
        contact, which needs no consent); memoised on the identity of ``target``."""
        key = ("channel_chance", me.side, id(target))
        hit = self._cache.get(key)
        if hit is None or hit[0] is not target:
            q = (me.belief * sigmoid(self.lam * self.upgrade_gaps(me.rival, target))).sum(
                axis=0)
            hit = (target, np.where(target <= 1, 1.0, q))
            self._cache[key] = hit
        return hit[1]  # type: ignore[index]

    # --- matched step-downs --------------------------------------------------------------
    def matched_parts(self, me: Government) -> Terms:
        """Matched, simultaneous cuts of both broad layers (lit-bagwell-staiger1999), at
        resolve 1 (face part separate)."""
        key = ("matched", me.side)
        if key not in self._cache:
            size = self.concession_size(me, self.state(me, "matched"))
            face = self.face_unit(me) * self.p["face.multiplier_matched"] * size
            self._cache[key] = self.outcome(me, "matched").plus(face=-face)
        return self._cache[key]  # type: ignore[return-value]

    def matched_terms(self, me: Government) -> Terms:
        """Matched cuts for ``me`` at its own resolve."""
        parts = self.matched_parts(me)
        return parts.plus(face=parts.face * (me.resolve - 1.0))

    def matched_chance(self, me: Government) -> Array:
        """Chance the rival takes the matched cuts ``me`` proposes (logit on its gain, type
        by type under ``me``'s belief)."""
        key = ("matched_chance", me.side)
        if key not in self._cache:
            self._cache[key] = (me.belief * sigmoid(self.lam * self.matched_gaps(me.rival))
                                ).sum(axis=0)
        return self._cache[key]  # type: ignore[return-value]

    def matched_gaps(self, me: Government) -> Array:
        """Gain from matched cuts over holding out, for each of ``me``'s types."""
        parts = self.matched_parts(me)
        base = parts.total - parts.face - self.hold(me).total
        return base[None, :] + me.types * parts.face[None, :]


def logit_choice(eu: Array, lam: float, best_response: bool, u: Array) -> Array:
    """Index of the move chosen in each run: logit quantal response on ``eu`` (moves x
    runs, -inf where unavailable) with precision ``lam``, or the best move."""
    finite = np.isfinite(eu)
    if best_response:
        return argmax0(eu)
    if isinstance(lam, np.ndarray) or lam > 0:  # per run: at 0 the weights are all 1
        w = logit_weights(eu, lam, axis=0)
    else:
        w = finite.astype(FLOAT)
    cum = cumulative_rows(w)
    threshold = u * cum[-1]
    choice = np.zeros(eu.shape[1], dtype=np.intp)
    for row in cum:
        choice += row <= threshold
    choice = np.minimum(choice, eu.shape[0] - 1)
    bad = ~finite[choice, np.arange(eu.shape[1])]
    if bad.any():
        choice[bad] = eu[:, bad].argmax(axis=0)
    return choice


def logit_weights(eu: Array, lam: float | Array, axis: int) -> Array:
    """Unnormalised logit weights exp(lambda (EU - best)) of the moves along ``axis``, 0
    where a move is not open (its utility is not finite)."""
    top = eu.max(axis=axis, keepdims=True)
    positive = bool(np.all(np.asarray(lam) > 0)) and bool(np.all(np.isfinite(lam)))
    if positive and bool(np.isfinite(top).all()):
        # with a finite best move everywhere, a closed move (-inf) gives -inf all the way
        # to a weight exp(-inf) = 0: the same weights as masking, without the masks
        with np.errstate(invalid="ignore", over="ignore"):
            z = np.subtract(eu, top)
            np.multiply(lam, z, out=z)
            np.minimum(z, 0.0, out=z)
            return np.exp(z, out=z)
    open_ = Mask(np.isfinite(eu), eu.dtype)
    top = select(open_, eu, -np.inf).max(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        # (where a move is not open, ``z`` is never read: its weight is 0)
        z = select(open_, eu, 0.0)
        np.subtract(z, top, out=z)
        np.multiply(lam, z, out=z)
        np.minimum(z, 0.0, out=z)
        return select(open_, np.exp(z, out=z), 0.0)


def choice_probabilities(eu: Array, lam: float) -> Array:
    """Logit choice probabilities of every move (moves x runs)."""
    finite = np.isfinite(eu)
    top = np.where(finite, eu, -np.inf).max(axis=0)
    with np.errstate(invalid="ignore", over="ignore"):
        z = np.where(finite, lam * (np.where(finite, eu, 0.0) - top), -np.inf)
    w = np.where(finite, np.exp(np.minimum(z, 0.0)), 0.0)
    return w / np.maximum(w.sum(axis=0), 1e-30)
