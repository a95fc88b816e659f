"""The weekly decision: expected-utility terms of each move and the logit choice.

A move's utility is the sum of named terms, each in weeks of the side's pain at the April
2025 peak (with default parameters): ``pain`` (economic pain over the horizon), ``tariff``
(value of own tariff revenue and leverage), ``relative`` (own loss minus the rival's: "who
loses more", who-loses-more), ``face`` (audience cost of a concession, Fearon 1994),
``attrition`` (expected gain from the rival folding first, Fudenberg & Tirole 1986),
``value`` (non-tariff gains of a deal) and ``action`` (the political cost of changing
course, a status-quo bias, Samuelson & Zeckhauser 1988).  Moves are chosen by logit
quantal response, P(a) ~ exp(lambda EU(a)) (McKelvey & Palfrey 1995).  Every term of the
chosen move is kept so a run can explain itself.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from sim.model.economics import FLOAT, Posture
from sim.model.packages import LADDER, PACKAGES

if TYPE_CHECKING:
    from sim.model.agents import Government
    from sim.model.economics import Pain
    from sim.model.model import TradeWarModel

Array = np.ndarray
TERM_NAMES = ("pain", "face", "tariff", "relative", "attrition", "value", "action")
HARVEST_WEEKS = range(36, 48)  # ISO weeks of the US harvest and its sales season


@dataclass
class Terms:
    """Named expected-utility terms of one move, one entry per run."""

    pain: Array | float = 0.0
    face: Array | float = 0.0
    tariff: Array | float = 0.0
    relative: Array | float = 0.0
    attrition: Array | float = 0.0
    value: Array | float = 0.0
    action: Array | float = 0.0

    @property
    def total(self) -> Array:
        """The move's expected utility (computed once)."""
        cached = self.__dict__.get("_total")
        if cached is None:
            cached = (self.pain + self.face + self.tariff + self.relative + self.attrition
                      + self.value + self.action)
            self.__dict__["_total"] = cached
        return cached

    def plus(self, **extra: Array | float) -> Terms:
        """A copy with ``extra`` added to the named terms."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, add in extra.items():
            values[name] = values[name] + add
        return Terms(**values)

    @staticmethod
    def blend(q: Array, yes: Terms, no: Terms) -> Terms:
        """Expected terms when ``yes`` happens with probability ``q``, else ``no``."""
        out = {}
        for f in fields(Terms):
            a, b = getattr(yes, f.name), getattr(no, f.name)
            if isinstance(a, float) and isinstance(b, float) and a == b:
                out[f.name] = a  # a constant term needs no mixing
            else:
                out[f.name] = b + q * (a - b)
        return Terms(**out)


@dataclass(frozen=True)
class SideState:
    """A side's tariff layers, exemptions and tools, actual or hypothetical."""

    layers: dict[str, Array]
    exempt: Array
    tools: dict[str, Array]


def current(me: Government) -> SideState:
    """The side's state as it stands."""
    return SideState(me.layers, me.exempt, me.tools)


def sigmoid(x: Array) -> Array:
    """Logistic function, overflow-safe."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class WeekContext:
    """Everything both governments read when deciding in one week, computed lazily once."""

    def __init__(self, model: TradeWarModel) -> None:
        self.model = model
        p = model.p
        self.p = p
        self.horizon = p["decision.horizon_weeks"]
        self.lam = p["decision.rationality"]
        self.eps = model.elasticity()
        self.harvest = model.date().isocalendar().week in HARVEST_WEEKS
        self.us, self.cn = model.us, model.cn
        self._pain: dict[str, Pain] = {}
        self._cache: dict[tuple, object] = {}
        self.channel = model.channel
        self.channel_target = model.channel_target
        # Face as it stood when the week began: the week's moves are simultaneous, so every
        # face cost of the week is priced on it, whatever moves the model applied first.
        self.face = {gov.side: gov.face for gov in (model.us, model.cn)}
        self.acknowledged = {gov.side: gov.acknowledges for gov in (model.us, model.cn)}

    # --- postures and pain ------------------------------------------------------------
    def state(self, me: Government, key: str) -> SideState:
        """The side's state after hypothetical move ``key`` (or as it is for ``now``)."""
        from sim.model.moves import side_effect

        if key == "now":
            return current(me)
        cache_key = ("state", me.side, key)
        if cache_key not in self._cache:
            self._cache[cache_key] = side_effect(me, self, key)
        return self._cache[cache_key]  # type: ignore[return-value]

    def pain(self, key: str) -> Pain:
        """Pain of both sides at posture ``key`` (``now``, ``escalate:us``, ``pkg:truce``…)."""
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
        """Pain, tariff and relative terms of posture ``key`` held for ``weeks`` weeks.

        A temporary posture (a pause) holds for ``weeks`` and the present one after that.
        """
        cache_key = ("outcome", me.side, key, weeks)
        if cache_key in self._cache:
            return self._cache[cache_key]  # type: ignore[return-value]
        h = self.horizon
        terms = self._flow(me, self.pain(key), h if weeks is None else weeks)
        if weeks is not None:
            rest = self._flow(me, self.pain("now"), h - weeks)
            terms = Terms(pain=terms.pain + rest.pain, tariff=terms.tariff + rest.tariff,
                          relative=terms.relative + rest.relative)
        self._cache[cache_key] = terms
        return terms

    def _flow(self, me: Government, pain: Pain, weeks: Array | float) -> Terms:
        scale = self.model.pain_scale[me.side] / weeks  # weeks of starting pain per unit
        own = self.own_pain(me, pain)
        revenue = pain.us_revenue if me.side == "us" else pain.cn_revenue
        rival_net = pain.cn - pain.cn_revenue if me.side == "us" else pain.us - pain.us_revenue
        weight = self.p[f"decision.{me.side}_revenue_weight"]
        return Terms(pain=-own / scale, tariff=weight * revenue / scale,
                     relative=-self.p["decision.relative_loss_weight"]
                     * ((own - revenue) - rival_net) / scale)

    # --- face ---------------------------------------------------------------------------
    def face_cost(self, me: Government, size: Array | float, multiplier: Array | float,
                  known: bool = True) -> Array:
        """Audience cost of a concession: a F m size (Fearon 1994), in weeks of pain.

        ``known=False`` is the rival's estimate, which cannot see private resolve.
        """
        resolve = me.resolve if known else 1.0
        unit = self.p["face.backdown_weeks"] * resolve * self.face[me.side] / self.model.face_ref
        return unit * multiplier * size

    def concession_size(self, me: Government, after: SideState) -> Array:
        """Share of a full back-down: tariff cut over the peak layers, plus tools lifted."""
        cut = (me.tariff() - self._fraction(me, after) * 100.0) / me.tariff_ref
        size = np.maximum(cut, 0.0)
        for t, before in me.tools.items():
            if after.tools[t] is not before:  # only tools the move changes
                size = size + self.p["moves.tool_concession_size"] * np.maximum(
                    before - after.tools[t], 0.0)
        return size

    def acknowledge_cost(self, me: Government, known: bool = True) -> Array:
        """Face cost of admitting talks where the side has been denying them."""
        size = self.p["face.acknowledge_size"] * (1.0 - self.acknowledged[me.side])
        return self.face_cost(me, size, self.p["face.multiplier_public"], known)

    # --- holding out --------------------------------------------------------------------
    def hold(self, me: Government) -> Terms:
        """Terms of standing pat: the present posture plus the war-of-attrition premium."""
        key = ("hold", me.side)
        if key not in self._cache:
            now = self.outcome(me, "now")
            self._cache[key] = now.plus(attrition=self.attrition(me, now))
        return self._cache[key]  # type: ignore[return-value]

    def attrition(self, me: Government, now: Terms) -> Array:
        """Expected gain from the rival folding within the horizon (Ponsati & Sakovics 1995).

        The chance comes from the belief that the rival is a low-resolve type; the gain is
        what the rival's stepping down would be worth; it arrives on average mid-horizon.
        """
        p, h = self.p, self.horizon
        b = me.belief_low
        fold = 1.0 - (b * (1.0 - p["decision.fold_hazard_low"]) ** h
                      + (1.0 - b) * (1.0 - p["decision.fold_hazard_high"]) ** h)
        rival_folds = self.outcome(me, f"step_down:{me.rival.side}")
        return 0.5 * fold * np.maximum(rival_folds.total - now.total, 0.0)

    # --- packages -----------------------------------------------------------------------
    def package_terms(self, me: Government, k: int, known: bool = True) -> Terms:
        """Terms of accepting package ``k`` (cached per side, package and knowledge)."""
        key = ("pkg", me.side, k, known)
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        p = self.p
        pkg = PACKAGES[k]
        posture = "pkg:comprehensive" if pkg.name == "phase_one" else f"pkg:{pkg.name}"
        weeks = min(p["deal.pause_weeks"], self.horizon) if pkg.temporary else None
        terms = self.outcome(me, posture, weeks)
        size = self.package_size(me, k)
        multiplier = p["face.multiplier_matched"]
        if pkg.temporary:
            multiplier = multiplier * weeks / self.horizon
        if me.side == "cn" and pkg.purchases:
            multiplier = multiplier * p["deal.phase_one_face_multiplier"]
        value = 0.0
        if me.side == "us":
            value = (p["deal.precursor_value_weeks"] * pkg.precursor_action
                     + p["deal.purchase_value_weeks"] * pkg.purchases)
        elif known and p["us.demand_volatility"] > 0:
            value = self.model.demand_noise
        terms = terms.plus(face=-self.face_cost(me, size, multiplier, known), value=value)
        self._cache[key] = terms
        return terms

    def package_size(self, me: Government, k: int) -> Array:
        """The side's concession in package ``k``, as a share of a full back-down."""
        pkg = PACKAGES[k]
        posture = "pkg:comprehensive" if pkg.name == "phase_one" else f"pkg:{pkg.name}"
        size = self.concession_size(me, self.state(me, posture))
        if me.side == "cn" and pkg.precursor_action:
            size = size + self.p["deal.precursor_concession_size"]
        return size

    def ratified(self, me: Government, k: int) -> Array:
        """Whether package ``k`` lies in the side's win-set (Putnam 1988)."""
        key = ("ratified", me.side, k)
        if key not in self._cache:
            pkg = PACKAGES[k]
            posture = "pkg:comprehensive" if pkg.name == "phase_one" else f"pkg:{pkg.name}"
            weeks = (min(self.p["deal.pause_weeks"], self.horizon) if pkg.temporary
                     else self.horizon)
            deal_terms = self.package_terms(me, k, known=False)
            self._cache[key] = me.ratifies(
                self.deltas(me, "now", posture, weeks, -deal_terms.face),
                self.p["decision.ratification_threshold"])
        return self._cache[key]  # type: ignore[return-value]

    def deltas(self, me: Government, before: str, after: str, weeks: float,
               face: Array) -> dict[str, Array]:
        """Per-term gains of moving from posture ``before`` to ``after``, for constituencies."""
        a, b = self.pain(before), self.pain(after)
        s = me.side
        scale = self.model.pain_scale[s] / weeks
        return {
            "consumer": (getattr(a, f"{s}_consumer") - getattr(b, f"{s}_consumer")) / scale,
            "exporter": (getattr(a, f"{s}_exporter") - getattr(b, f"{s}_exporter")) / scale,
            "total": (self.own_pain(me, a) - self.own_pain(me, b)) / scale,
            "revenue": (getattr(b, f"{s}_revenue") - getattr(a, f"{s}_revenue")) / scale,
            "face": face,
        }

    def matched_terms(self, me: Government, known: bool = True) -> Terms:
        """Terms of matched, simultaneous cuts of both broad layers (lit-bagwell-staiger1999)."""
        key = ("matched", me.side, known)
        if key not in self._cache:
            size = self.concession_size(me, self.state(me, "matched"))
            face = self.face_cost(me, size, self.p["face.multiplier_matched"], known)
            self._cache[key] = self.outcome(me, "matched").plus(face=-face)
        return self._cache[key]  # type: ignore[return-value]

    def ratified_matched(self, me: Government) -> Array:
        """Whether matched cuts lie in the side's win-set."""
        key = ("ratified_matched", me.side)
        if key not in self._cache:
            face = -self.matched_terms(me, known=False).face
            self._cache[key] = me.ratifies(self.deltas(me, "now", "matched", self.horizon, face),
                                           self.p["decision.ratification_threshold"])
        return self._cache[key]  # type: ignore[return-value]

    def acceptance(self, rival: Government, k: int) -> Array:
        """The proposer's estimate of the chance the rival accepts package ``k``."""
        key = ("acceptance", rival.side, k)
        if key not in self._cache:
            gain = self.package_terms(rival, k, known=False).total - self.hold(rival).total
            self._cache[key] = sigmoid(self.lam * gain) * self.ratified(rival, k)
        return self._cache[key]  # type: ignore[return-value]

    def offerable(self) -> Array:
        """Per run, the package index either side would put forward next (-1: none)."""
        key = ("offerable",)
        if key not in self._cache:
            m = self.model
            nxt = np.full(m.n, -1, dtype=np.int16)
            for name in reversed(LADDER):
                k = next(i for i, pkg in enumerate(PACKAGES) if pkg.name == name)
                ok = (self.channel >= PACKAGES[k].channel) & m.package_open(k)
                nxt = np.where(ok, k, nxt)
            self._cache[key] = nxt
        return self._cache[key]  # type: ignore[return-value]

    def channel_values(self, me: Government, known: bool = True) -> tuple[Array, Array]:
        """Value of each channel level 0..4 (each 5 x runs), for staying and for climbing.

        Staying at a level is worth the best deal it allows; reaching a level is also worth
        a discounted share of the levels above it, since talks climb step by step.
        """
        key = ("channel_values", me.side, known)
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        m, rival = self.model, me.rival
        hold = self.hold(me).total
        stay = np.zeros((5, m.n), dtype=FLOAT)
        for name in LADDER:
            k = next(i for i, pkg in enumerate(PACKAGES) if pkg.name == name)
            gain = np.maximum(self.package_terms(me, k, known).total - hold, 0.0)
            gain = gain * self.acceptance(rival, k) * self.ratified(me, k) * m.package_open(k)
            stay[PACKAGES[k].channel:] = np.maximum(stay[PACKAGES[k].channel:], gain)
        discount = self.p["deal.channel_option_discount"]
        stay *= discount
        climb = stay.copy()
        for level in range(3, -1, -1):
            climb[level] = np.maximum(climb[level], discount * climb[level + 1])
        self._cache[key] = (stay, climb)
        return stay, climb

    def upgrade_gain(self, me: Government, target: Array, responder: bool,
                     known: bool = True) -> Array:
        """Gain to ``me`` from the channel moving to ``target``, less its face costs."""
        stay, climb = self.channel_values(me, known)
        now = np.take_along_axis(stay, self.channel[None, :].astype(np.intp), 0)[0]
        new = np.take_along_axis(climb, target[None, :].astype(np.intp), 0)[0]
        cost = np.where(target >= 2, self.acknowledge_cost(me, known), 0.0)
        if responder and me.side == "cn":
            skipped = np.maximum(target - self.channel - 1, 0)
            cost = cost + self.face_cost(me, FLOAT(self.p["face.leader_jump_size"]) * skipped,
                                         self.p["face.multiplier_public"], known)
        return new - now - cost


def choose(me: Government, ctx: WeekContext) -> None:
    """Pick each run's move by logit quantal response, then apply scenario events."""
    from sim.model.moves import MOVES, priced

    model = ctx.model
    n = model.n
    eu = np.full((len(MOVES), n), -np.inf, dtype=FLOAT)
    table: list[Terms | None] = []
    for i, move in enumerate(MOVES):
        ok = move.available(me, ctx)
        if not ok.any():
            table.append(None)
            continue
        terms = priced(move, move.terms(me, ctx), ctx)
        table.append(terms)
        eu[i] = np.where(ok, np.broadcast_to(terms.total, (n,)), -np.inf)
    # Inverse-CDF draw from P(a) ~ exp(lambda (EU(a) - max EU)), over available rows only.
    rows = [i for i, terms in enumerate(table) if terms is not None]
    top = eu[rows].max(axis=0)
    if ctx.lam > 0:
        weights = [np.exp(ctx.lam * (eu[i] - top)) for i in rows]
    else:  # lambda = 0: uniform over the available moves
        weights = [np.isfinite(eu[i]).astype(FLOAT) for i in rows]
    threshold = model.uniform() * sum(weights)
    choice = np.full(n, rows[-1], dtype=np.int8)
    cumulative = np.zeros(n, dtype=FLOAT)
    undecided = np.ones(n, dtype=bool)
    for i, w in zip(rows[:-1], weights[:-1], strict=True):
        cumulative += w
        now = undecided & (cumulative > threshold)
        choice[now] = i
        undecided &= ~now
    # a choice must be available: guard against rounding at the top of the cumulative sum
    bad = ~np.isfinite(eu[choice, np.arange(n)])
    if bad.any():
        choice[bad] = eu[:, bad].argmax(axis=0)
    me.choice = choice
    me.choice_arg = np.full(n, -1, dtype=np.int16)
    me.scripted = np.zeros(n, dtype=np.int16)  # 1 + index of the event that set the move
    model.events.apply(me, ctx, eu, table)
    model.events.apply_player(me, ctx, eu, table)
    me.eu = eu
    me.table = table
