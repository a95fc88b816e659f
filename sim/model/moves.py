"""The menu of moves, one class per move, each with its metadata and the evidence behind it.

A move says when it is available, what it would do to its side's state (``effect``) and
its expected-utility terms (``terms``).  The model applies the chosen moves jointly each
week (``sim.model.model``); offers, channel upgrades and matched step-downs are proposals the
rival answers the following week.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.model.decision import SideState, Terms, current, sigmoid
from sim.model.economics import CN_TOOLS, FLOAT
from sim.model.packages import BY_NAME as PACKAGE_BY_NAME
from sim.model.packages import PACKAGES

if TYPE_CHECKING:
    from sim.model.agents import Government
    from sim.model.decision import WeekContext

Array = np.ndarray


class Move:
    """Base class: a move on the menu of both governments."""

    name: ClassVar[str]
    summary: ClassVar[str]
    concession: ClassVar[bool] = False  # gives something up: no attrition premium
    proposal: ClassVar[int] = 0  # pending kind it creates: 1 package, 2 channel, 3 matched
    status_quo: ClassVar[bool] = False  # standing pat: free of the action cost
    cites: ClassVar[tuple[str, ...]] = ()

    def available(self, me: Government, ctx: WeekContext) -> Array:
        """Runs in which the move can be made."""
        raise NotImplementedError

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        """Expected-utility terms of the move in every run."""
        raise NotImplementedError


class Hold(Move):
    """Stand pat: keep tariffs, tools and stance as they are."""

    name = "hold"
    summary = "holds its position"
    status_quo = True
    cites = ("us-status-quo-ok", "cn-talk-dont-yield")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        return me.rival.pending_kind == 0

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        return ctx.hold(me)


class Reject(Move):
    """Turn down the rival's pending proposal and stand pat."""

    name = "reject"
    summary = "turns down the rival's proposal"
    status_quo = True
    cites = ("cn-talk-dont-yield", "cn-no-need-to-talk-first")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        return me.rival.pending_kind != 0

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        return ctx.hold(me)


class Escalate(Move):
    """Raise pressure: the US hikes its tariff; China, which will not match further tariff
    hikes, reaches for its next non-tariff tool (cn-no-further-matching, cn-yuan-option,
    cn-treasuries-option, cn-soy-diversion)."""

    name = "escalate"
    summary = "escalates"
    cites = ("us-doubled-down-on-china", "cn-no-further-matching", "cn-treasuries-option")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        if me.side == "us":
            return ((me.layers["reciprocal"] < ctx.p["us.max_reciprocal"])
                    | (me.tools["transshipment"] < 0.5))
        return np.logical_or.reduce([me.tools[t] < 0.5 for t in CN_TOOLS])

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        return ctx.outcome(me, f"escalate:{me.side}").plus(attrition=ctx.hold(me).attrition)


class OpenChannel(Move):
    """Open or upgrade the channel.  Level 1 (untitled envoys, working level) needs no
    consent; higher levels are proposals the rival must accept.  The US may aim straight at
    a leader call (us-leader-preference); China climbs one level at a time
    (cn-equal-basis, cn-untitled-envoys)."""

    name = "open_channel"
    summary = "proposes to upgrade the channel"
    proposal = 2
    cites = ("cn-untitled-envoys", "us-leader-preference", "wu-fentanyl-first-path")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        return (ctx.channel < 4) & (me.pending_kind == 0)

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        return channel_terms(me, ctx, ctx.channel_target[me.side])


class DenyTalks(Move):
    """Say in public that there are no negotiations (cn-deny-talks-fm-apr28).  A denial is
    a public commitment: it adds to the face stock."""

    name = "deny_talks"
    summary = "denies in public that talks are happening"
    cites = ("cn-deny-talks-mofcom-apr24", "cn-deny-talks-fm-apr28")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        return (me.acknowledges > 0.5) & (ctx.channel <= 1)

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        return ctx.hold(me)


class AcknowledgeTalks(Move):
    """Admit in public that talks are happening, at a face cost where the side has been
    denying them (cn-legitimacy-risk)."""

    name = "acknowledge_talks"
    summary = "admits in public that talks are happening"
    cites = ("cn-legitimacy-risk", "us-claims-talks")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        return me.acknowledges < 0.5

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        return ctx.hold(me).plus(face=-ctx.acknowledge_cost(me))


class Offer(Move):
    """Put the next package of the multi-step process on the table (us-multi-step)."""

    name = "offer"
    summary = "offers a package"
    proposal = 1
    cites = ("us-multi-step", "wu-fentanyl-first-path", "cn-fentanyl-linkage")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        k = ctx.offerable()
        ok = (k >= 0) & (me.pending_kind == 0)
        for i in range(len(PACKAGES)):
            if (ok & (k == i)).any():
                ok &= (k != i) | ctx.ratified(me, i)
        return ok

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        return offer_terms(me, ctx, ctx.offerable())


class Accept(Move):
    """Accept the rival's pending proposal: a package (inside the side's win-set), a channel
    upgrade, or a matched step-down."""

    name = "accept"
    summary = "accepts the rival's proposal"
    concession = True
    cites = ("lit-putnam1988", "us-mutual-deescalation")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        kind, arg = me.rival.pending_kind, me.rival.pending_arg
        ok = (kind == 2) | ((kind == 3) & ctx.ratified_matched(me))
        for i in range(len(PACKAGES)):
            sel = (kind == 1) & (arg == i)
            if sel.any():
                ok |= sel & ctx.ratified(me, i)
        return ok

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        kind, arg = me.rival.pending_kind, me.rival.pending_arg
        hold = ctx.hold(me)
        chan = np.where(arg >= 0, arg, ctx.channel)
        out = hold.plus(attrition=-hold.attrition,
                        value=np.where(kind == 2, ctx.upgrade_gain(me, chan, True), 0.0))
        out = pick(kind == 3, ctx.matched_terms(me), out) if (kind == 3).any() else out
        for i in range(len(PACKAGES)):
            sel = (kind == 1) & (arg == i)
            if sel.any():
                out = pick(sel, ctx.package_terms(me, i), out)
        return out


class StepDownAlone(Move):
    """Cut a tariff layer (or lift a tool) unilaterally and in public: full face cost
    (lit-fearon1994).  The US drops the fentanyl layer first (wu-fentanyl-first-path)."""

    name = "step_down_alone"
    summary = "steps down alone, in public"
    concession = True
    cites = ("lit-fearon1994", "us-no-unilateral-offer", "wu-fentanyl-first-path")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        return ctx.concession_size(me, ctx.state(me, f"step_down:{me.side}")) > 0

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        return step_down_terms(me, ctx, f"step_down:{me.side}")


class StepDownMatched(Move):
    """Propose matched, simultaneous cuts of both broad layers, Bessent's "mutual way"
    (us-mutual-deescalation): a lower face cost for both (lit-bagwell-staiger1999)."""

    name = "step_down_matched"
    summary = "proposes matched, simultaneous cuts"
    proposal = 3
    cites = ("us-mutual-deescalation", "lit-osgood1962", "lit-bagwell-staiger1999")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        return ((me.pending_kind == 0) & ctx.ratified_matched(me)
                & (ctx.concession_size(me.rival, ctx.state(me.rival, "matched")) > 0))

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        rival = me.rival
        q = sigmoid_gain(ctx, ctx.matched_terms(rival, known=False).total - ctx.hold(rival).total)
        q = q * ctx.ratified_matched(rival)
        return Terms.blend(q, ctx.matched_terms(me), ctx.hold(me))


class StepDownPrivate(Move):
    """Quietly exempt more of the rival's goods: a small face cost now, the full cost if it
    leaks (cn-exemptions-quiet, lit-kurizaki2007)."""

    name = "step_down_private"
    summary = "quietly widens tariff exemptions"
    concession = True
    cites = ("cn-exemptions-quiet", "lit-kurizaki2007", "lit-yarhi-milo2013")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        return ((me.exempt < ctx.p["moves.max_exempt_share"] - 1e-9)
                & (me.layers[me.spec.exemptable] > 0))

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        p = ctx.p
        key = f"private:{me.side}"
        size = ctx.concession_size(me, ctx.state(me, key))
        m = p["face.multiplier_private"]
        leak = 1.0 - (1.0 - p["face.leak_probability"]) ** ctx.horizon
        return ctx.outcome(me, key).plus(face=-ctx.face_cost(me, size, m + (1.0 - m) * leak))


MOVES: tuple[Move, ...] = (Hold(), Reject(), Escalate(), OpenChannel(), DenyTalks(),
                           AcknowledgeTalks(), Offer(), Accept(), StepDownAlone(),
                           StepDownMatched(), StepDownPrivate())
MOVE_NAMES: tuple[str, ...] = tuple(m.name for m in MOVES)
INDEX: dict[str, int] = {m.name: i for i, m in enumerate(MOVES)}


# --- helpers shared by the moves ---------------------------------------------------------
def sigmoid_gain(ctx: WeekContext, gain: Array) -> Array:
    """Chance the rival takes a proposal worth ``gain`` to it, under logit choice."""
    return sigmoid(ctx.lam * gain)


def priced(move: Move, terms: Terms, ctx: WeekContext) -> Terms:
    """A move's terms with the cost of changing course, unless it is standing pat
    (status-quo bias, lit-samuelson-zeckhauser1988)."""
    return terms if move.status_quo else terms.plus(action=-ctx.p["decision.action_cost"])


def channel_terms(me: Government, ctx: WeekContext, target: Array) -> Terms:
    """Terms of proposing the channel level ``target``: the gain if the rival consents
    (level 1 needs no consent), else standing pat."""
    own = ctx.upgrade_gain(me, target, responder=False)
    q = np.where(target <= 1, 1.0,
                 sigmoid_gain(ctx, ctx.upgrade_gain(me.rival, target, True, known=False)))
    return ctx.hold(me).plus(value=q * own)


def step_down_terms(me: Government, ctx: WeekContext, key: str) -> Terms:
    """Terms of the public, unilateral step-down ``key``: its outcome less its full face
    cost (lit-fearon1994)."""
    size = ctx.concession_size(me, ctx.state(me, key))
    return ctx.outcome(me, key).plus(
        face=-ctx.face_cost(me, size, ctx.p["face.multiplier_public"]))


def pick(mask: Array, yes: Terms, no: Terms) -> Terms:
    """Terms from ``yes`` where ``mask`` holds, else from ``no``."""
    return Terms.blend(mask.astype(FLOAT), yes, no)


def offer_terms(me: Government, ctx: WeekContext, k: Array) -> Terms:
    """Terms of offering package ``k`` (per run): the deal if accepted, else standing pat."""
    hold = ctx.hold(me)
    out = hold
    for i in range(len(PACKAGES)):
        sel = k == i
        if sel.any():
            q = ctx.acceptance(me.rival, i) * sel
            out = Terms.blend(q, ctx.package_terms(me, i), out)
    return out


def side_effect(me: Government, ctx: WeekContext, key: str) -> SideState:
    """The side's state after the hypothetical change named by ``key``."""
    kind, _, rest = key.partition(":")
    p = ctx.p
    if kind in ("escalate", "step_down", "private"):
        who, _, layer = rest.partition(":")
        if who != me.side:
            return current(me)
        return {"escalate": _escalate, "step_down": _step_down,
                "private": _private}[kind](me, p, layer)
    if kind == "matched":
        return _cut(me, p, me.spec.exemptable)
    if kind == "pkg":
        return _package(me, p, rest)
    raise KeyError(key)


def _escalate(me: Government, p: dict[str, float], _layer: str) -> SideState:
    tools = dict(me.tools)
    if me.side == "us":
        recip = me.layers["reciprocal"]
        cap = p["us.max_reciprocal"]
        layers = {**me.layers,
                  "reciprocal": np.where(recip < cap,
                                         np.minimum(recip + p["us.escalation_step"], cap), recip)}
        tools["transshipment"] = np.where(recip >= cap, 1.0, tools["transshipment"])
        return SideState(layers, me.exempt, tools)
    done = np.zeros(me.n, dtype=bool)
    for name in CN_TOOLS:
        off = (me.tools[name] < 0.5) & ~done
        tools[name] = np.where(off, 1.0, me.tools[name])
        done |= off
    return SideState(me.layers, me.exempt, tools)


def _cut(me: Government, p: dict[str, float], layer: str) -> SideState:
    """One step off ``layer`` (the fentanyl layer goes whole)."""
    level = me.layers[layer]
    new = np.zeros_like(level) if layer == "fentanyl" else np.maximum(
        level - p["moves.tariff_step"], 0.0)
    return SideState({**me.layers, layer: new}, me.exempt, me.tools)


def _step_down(me: Government, p: dict[str, float], layer: str) -> SideState:
    if layer:
        return _cut(me, p, layer)
    if me.side == "us":
        fent = me.layers["fentanyl"] > 0
        first = _cut(me, p, "fentanyl")
        second = _cut(me, p, "reciprocal")
        layers = {name: np.where(fent, first.layers[name], second.layers[name])
                  for name in me.layers}
        state = SideState(layers, me.exempt, me.tools)
    else:
        state = _cut(me, p, "retaliatory")
    # nothing left to cut: lift the last tool in force instead
    bare = np.logical_and.reduce([lvl <= 0 for lvl in me.layers.values()])
    if bare.any():
        tools = dict(state.tools)
        done = ~bare
        for name in reversed(me.spec.tools):
            on = (me.tools[name] > 0.5) & ~done
            tools[name] = np.where(on, 0.0, me.tools[name])
            done |= on
        state = SideState(state.layers, state.exempt, tools)
    return state


def _private(me: Government, p: dict[str, float], _layer: str) -> SideState:
    exempt = np.minimum(me.exempt + p["moves.exemption_step"], p["moves.max_exempt_share"])
    return SideState(me.layers, np.maximum(exempt, me.exempt), me.tools)


def _package(me: Government, p: dict[str, float], name: str) -> SideState:
    pkg = PACKAGE_BY_NAME[name]
    targets = pkg.us_layers if me.side == "us" else pkg.cn_layers
    layers = dict(me.layers)
    for layer, level in targets.items():
        value = 0.0 if level == "0" else p[level]
        layers[layer] = np.minimum(me.layers[layer], value)
    lifted = pkg.us_tools_lifted if me.side == "us" else pkg.cn_tools_lifted
    tools = {name: (np.zeros(me.n, dtype=FLOAT) if name in lifted else level)
             for name, level in me.tools.items()}
    return SideState(layers, me.exempt, tools)
