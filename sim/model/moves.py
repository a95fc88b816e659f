"""The menu of moves, one class per move, each with its metadata and the evidence behind it.

A move says when it is available and its expected-utility terms (``sim.model.decision``).
``side_effect`` says what a move or a deal would do to a side's state.  Answers to the
rival's proposals (accept, reject) are decided apart from the week's move, so a side can
turn down an offer and make a counter-offer in the same week (Rubinstein 1982).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.model.agents import Government
from sim.model.decision import Terms, WeekContext, switched
from sim.model.economics import CN_TOOLS, FLOAT
from sim.model.packages import PACKAGES
from sim.model.transitions import (
    escalation_target,
)
from sim.model.vector import select

if TYPE_CHECKING:
    pass

Array = np.ndarray


class Move:
    """Base class: a move on the menu of both governments."""

    name: ClassVar[str]
    summary: ClassVar[str]
    concession: ClassVar[bool] = False  # gives something up
    proposal: ClassVar[int] = 0  # pending kind it creates: 1 package, 2 channel, 3 matched
    status_quo: ClassVar[bool] = False  # standing pat: free of the action cost
    answer: ClassVar[bool] = False  # an answer to the rival's proposal, not a move
    commitment: ClassVar[bool] = False  # a public commitment: adds to the face stock
    cites: ClassVar[tuple[str, ...]] = ()

    def chosen_freely(self, me: Government, ctx: WeekContext) -> Array:
        """Where the agent itself may choose the move: where it is ``available`` and, for a
        proposal, where the agent reckons some ``chance`` that it is taken.  A proposal
        turned down for certain is worth exactly what holding is worth: holding out under
        another name, which the logit would otherwise pick as often as holding.  A
        scenario may still force such a move, and a player make it."""
        ok = self.available(me, ctx)
        chance = self.chance(me, ctx)
        return ok if chance is None else ok & (chance > 0)

    def chance(self, me: Government, ctx: WeekContext) -> Array | None:
        """For a proposal, the chance, as ``me`` reckons it, that the rival takes it (and,
        for a package, that both sides ratify it); None for other moves."""
        return None

    def available(self, me: Government, ctx: WeekContext) -> Array:
        """Runs in which the move can be made."""
        raise NotImplementedError

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        """Expected-utility terms of the move in every run."""
        raise NotImplementedError


class Hold(Move):
    """Stand pat: keep tariffs, tools and stance as they are, and wait for the rival to
    fold (the war of attrition: lit-fudenberg-tirole1986, cn-outlast-strategy)."""

    name = "hold"
    summary = "holds its position"
    status_quo = True
    cites = ("us-status-quo-ok", "cn-talk-dont-yield", "cn-outlast-strategy")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        return np.ones(me.n, dtype=bool)

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        return ctx.hold(me)


class Reject(Move):
    """Turn down the rival's proposal (an answer, decided apart from the week's move)."""

    name = "reject"
    summary = "turns down the rival's proposal"
    status_quo = True
    answer = True
    cites = ("cn-talk-dont-yield", "cn-no-need-to-talk-first")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        return (me.rival.pending_kind != 0) | (me.rival.tabled(ctx.model.week) != 0)

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        return ctx.hold(me)


class Accept(Move):
    """Accept the rival's proposal: a package, a channel upgrade or matched cuts, when it
    beats holding out (an answer, decided apart from the week's move)."""

    name = "accept"
    summary = "accepts the rival's proposal"
    concession = True
    answer = True
    cites = ("lit-putnam1988", "us-mutual-deescalation", "lit-rubinstein1982")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        return (me.rival.pending_kind != 0) | (me.rival.tabled(ctx.model.week) != 0)

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        return proposal_terms(me, ctx, me.rival.pending_kind, me.rival.pending_arg)


class Escalate(Move):
    """Raise pressure: the US hikes its tariff (then tightens export controls and
    transshipment rules); China, which will not match further tariff hikes, turns a
    non-tariff tool up a notch (cn-no-further-matching, cn-rare-earth-controls,
    cn-soy-diversion, cn-yuan-option, cn-treasuries-option).  Coercion works through the
    rival's cost of holding out against giving in: it helps only where one's offer would
    lift what was escalated (lit-eaton-engers1992, lit-drezner2003).  An escalation is also
    a public commitment (lit-fearon1997), and it invites the rival's announced answer
    (us-answers-every-retaliation, cn-fight-to-end).  Where the rival escalated last week,
    escalating is that answer: it keeps the side's word, and holding instead would cost it
    the face of a broken commitment (``WeekContext.unanswered_cost``)."""

    name = "escalate"
    summary = "escalates"
    commitment = True
    cites = ("us-doubled-down-on-china", "cn-no-further-matching", "cn-treasuries-option",
             "lit-eaton-engers1992", "us-answers-every-retaliation", "cn-fight-to-end")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        if me.side == "us":
            return ((me.layers["reciprocal"] < ctx.p["us.max_reciprocal"])
                    | np.logical_or.reduce([me.tools[t] < 1.0 for t in me.spec.tools]))
        return np.logical_or.reduce([me.tools[t] < 1.0 for t in CN_TOOLS])

    def chosen_freely(self, me: Government, ctx: WeekContext) -> Array:
        """A side bound by a deal in force does not choose to escalate: breaking a deal is
        reneging (``deal.renege_hazard``), not a week's move.  A scenario may still force
        an escalation, and a human player may still make one."""
        return self.available(me, ctx) & ~ctx.bound[me.side]

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        key = f"escalate:{me.side}"
        cost, signal = ctx.commitment(me, ctx.p["face.escalation_commitment"])
        rival = me.rival
        hurt = ctx.outcome(rival, key).total - ctx.outcome(rival, "now").total
        shift = -hurt * coverage(me, ctx, key)
        waited = -hurt * coverage(me, ctx, key, ctx.demand(me))
        return ctx.outcome(me, key).plus(
            pain=answered(me, ctx), attrition=ctx.attrition(me, tag=key, gap_shift=waited),
            face=cost + ctx.unanswered_cost(me), leverage=signal + ctx.leverage(me, shift))


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

    def chance(self, me: Government, ctx: WeekContext) -> Array:
        """The rival's consent to the side's target level (certain for working level)."""
        return ctx.channel_chance(me, ctx.channel_target[me.side])

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        return channel_terms(me, ctx, ctx.channel_target[me.side])


class DenyTalks(Move):
    """Say in public that there are no negotiations (cn-deny-talks-fm-apr28).  A denial
    keeps hands untied at home but is itself a public commitment: it raises the price of
    admitting talks later and signals resolve (lit-fearon1997)."""

    name = "deny_talks"
    summary = "denies in public that talks are happening"
    commitment = True
    cites = ("cn-deny-talks-mofcom-apr24", "cn-deny-talks-fm-apr28", "lit-fearon1997")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        return (me.acknowledges > 0.5) & (ctx.channel <= 1)

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        cost, signal = ctx.commitment(me, ctx.p["face.escalation_commitment"])
        return ctx.hold(me).plus(face=cost, leverage=signal)


class AcknowledgeTalks(Move):
    """Admit in public that talks are happening, at a face cost where the side has been
    denying them (cn-legitimacy-risk); it opens the way to public offers."""

    name = "acknowledge_talks"
    summary = "admits in public that talks are happening"
    cites = ("cn-legitimacy-risk", "us-claims-talks")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        return me.acknowledges < 0.5

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        public = ctx.channel_value(me, ctx.channel)
        private = ctx.best_offer(me, True)[1] if ctx.back_channel else 0.0
        return ctx.hold(me).plus(face=-ctx.acknowledge_cost(me),
                                 value=np.maximum(public - private, 0.0))


class Offer(Move):
    """Put a package on the table in public: the one that maximises expected utility under
    the side's belief about the rival's type and both sides' ratification odds
    (lit-rubinstein1982, lit-powell2006, us-multi-step)."""

    name = "offer"
    summary = "offers a package"
    proposal = 1
    cites = ("us-multi-step", "wu-fentanyl-first-path", "cn-fentanyl-linkage",
             "lit-powell2006")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        k, _ = ctx.best_offer(me, private=False)
        return (k >= 0) & (me.pending_kind == 0) & (me.acknowledges > 0.5)

    def chance(self, me: Government, ctx: WeekContext) -> Array:
        """The chance the best package becomes a deal: the rival takes it and both sides'
        politics ratify it (lit-putnam1988)."""
        return ctx.offer_chance(me, ctx.best_offer(me, private=False)[0])

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        k, _ = ctx.best_offer(me, private=False)
        return offer_terms(me, ctx, k)


class OfferPrivate(Move):
    """Put a package to the rival through the back channel: no public commitment and no
    admission of talks unless it is signed, and the talks reveal something of each side's
    resolve; but they may leak (lit-kurizaki2007, lit-wanis-st-john2006,
    cn-private-outreach-wang, cn-untitled-envoys)."""

    name = "offer_private"
    summary = "sounds out a package through the back channel"
    proposal = 1
    cites = ("cn-private-outreach-wang", "cn-untitled-envoys", "lit-kurizaki2007")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        if not ctx.back_channel:
            return np.zeros(me.n, dtype=bool)
        k, _ = ctx.best_offer(me, private=True)
        return (k >= 0) & (me.pending_kind == 0)

    def chance(self, me: Government, ctx: WeekContext) -> Array | None:
        """As for a public offer, of the best package put through the back channel."""
        if not ctx.back_channel:
            return None  # not available at all
        return ctx.offer_chance(me, ctx.best_offer(me, private=True)[0])

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        k, _ = ctx.best_offer(me, private=True)
        return offer_terms(me, ctx, k).plus(risk=-leak_cost(me, ctx))


class StepDownAlone(Move):
    """Cut a tariff layer (or ease a tool) unilaterally and in public: full face cost
    (lit-fearon1994), but it gives the rival face-saving cover for its own concession
    (cn-needs-positive-signal, lit-osgood1962).  The US drops the fentanyl layer first
    (wu-fentanyl-first-path)."""

    name = "step_down_alone"
    summary = "steps down alone, in public"
    concession = True
    cites = ("lit-fearon1994", "us-no-unilateral-offer", "wu-fentanyl-first-path",
             "cn-needs-positive-signal")

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
        return ((me.pending_kind == 0) & (me.acknowledges > 0.5)
                & (ctx.concession_size(me.rival, ctx.state(me.rival, "matched")) > 0))

    def chance(self, me: Government, ctx: WeekContext) -> Array:
        """The chance the rival takes the matched cuts."""
        return ctx.matched_chance(me)

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        return matched_offer_terms(me, ctx)


class StepDownPrivate(Move):
    """Quietly exempt more of the rival's goods: relief for one's own buyers at a small
    face cost now, the full cost if it leaks (cn-exemptions-quiet, lit-kurizaki2007)."""

    name = "step_down_private"
    summary = "quietly widens tariff exemptions"
    concession = True
    cites = ("cn-exemptions-quiet", "lit-kurizaki2007", "lit-yarhi-milo2013")

    def available(self, me: Government, ctx: WeekContext) -> Array:
        allowed = np.asarray(ctx.p[f"moves.{me.side}_quiet_exemptions"]) > 0.5  # per run
        if not allowed.any():
            return np.zeros(me.n, dtype=bool)
        return ((me.exempt < ctx.p["moves.max_exempt_share"] - 1e-9)
                & (me.layers[me.spec.exemptable] > 0) & allowed)

    def terms(self, me: Government, ctx: WeekContext) -> Terms:
        p = ctx.p
        key = f"private:{me.side}"
        size = ctx.concession_size(me, ctx.state(me, key))
        m = p["face.multiplier_private"]
        leak = 1.0 - (1.0 - p["face.leak_probability"]) ** ctx.horizon
        return ctx.outcome(me, key).plus(
            attrition=ctx.attrition(me, tag=key,
                                    gap_shift=-chips_given(me, ctx, key, True)),
            face=-ctx.face_cost(me, size, m),
            risk=-ctx.face_cost(me, size, (p["face.multiplier_public"] - m) * leak),
            leverage=ctx.leverage(me, -chips_given(me, ctx, key)))


MOVES: tuple[Move, ...] = (Hold(), Reject(), Escalate(), OpenChannel(), DenyTalks(),
                           AcknowledgeTalks(), Offer(), Accept(), StepDownAlone(),
                           StepDownMatched(), StepDownPrivate(), OfferPrivate())
MOVE_NAMES: tuple[str, ...] = tuple(m.name for m in MOVES)
INDEX: dict[str, int] = {m.name: i for i, m in enumerate(MOVES)}
ANSWERS = frozenset(i for i, m in enumerate(MOVES) if m.answer)


# --- helpers shared by the moves ---------------------------------------------------------
def priced(move: Move, terms: Terms, ctx: WeekContext) -> Terms:
    """A move's terms with the cost of changing course, unless it is standing pat
    (a status-quo bias dial, lit-samuelson-zeckhauser1988; 0 by default)."""
    cost = ctx.p["decision.action_cost"]
    return terms if move.status_quo or not np.any(cost) else terms.plus(action=-cost)


def leak_cost(me: Government, ctx: WeekContext) -> Array:
    """Expected face cost of private talks leaking while they run: a side that denies
    talks is caught out (lit-kurizaki2007, cn-legitimacy-risk)."""
    p = ctx.p
    leak = 1.0 - (1.0 - p["face.leak_probability"]) ** p["channel.talks_weeks"]
    return leak * ctx.acknowledge_cost(me)


def offer_terms(me: Government, ctx: WeekContext, k: Array) -> Terms:
    """Terms of proposing package ``k`` (per run): the deal if it is accepted and
    ratified, else holding out."""
    hold = ctx.hold(me)
    out = hold
    for j in ctx.packages_in(k):
        sel = (k == j).astype(FLOAT)
        q = ctx.acceptance(me, j) * sel
        out = Terms.blend(q, ctx.package_terms(me, j), out)
    return out


def channel_terms(me: Government, ctx: WeekContext, target: Array) -> Terms:
    """Terms of proposing the channel level ``target``: the gain if the rival consents
    (level 1, working-level contact, needs no consent and opens the back channel)."""
    own = ctx.upgrade_gain(me, target)
    if ctx.back_channel:
        own = np.where(target <= 1, ctx.p["deal.channel_option_discount"]
                       * ctx.offer_potential(me), own)
    return ctx.hold(me).plus(value=ctx.channel_chance(me, target) * own)


def step_down_terms(me: Government, ctx: WeekContext, key: str) -> Terms:
    """Terms of the public, unilateral step-down ``key``: its outcome less its full face
    cost (lit-fearon1994), plus the cover it gives the rival to concede in turn."""
    p = ctx.p
    size = ctx.concession_size(me, ctx.state(me, key))
    rival = me.rival
    k, _ = ctx.best_offer(me, private=ctx.back_channel)
    shift = np.zeros((len(me.types), me.n), dtype=FLOAT)
    for j in ctx.packages_in(k):
        parts, _ = ctx.package_parts(rival, j)
        relieved = np.minimum(p["face.cover_from_rival"] * np.minimum(size, 1.0), 1.0)
        shift = select((k == j)[None, :], -rival.types * parts.face[None, :] * relieved,
                       shift)
    return ctx.outcome(me, key).plus(
        attrition=ctx.attrition(me, tag=key, gap_shift=-chips_given(me, ctx, key, True)),
        face=-ctx.face_cost(me, size, p["face.multiplier_public"]),
        leverage=ctx.leverage(me, shift - chips_given(me, ctx, key)[None, :]))


def answered(me: Government, ctx: WeekContext) -> Array:
    """Expected pain of the rival's answer to an escalation: each side has said it answers
    the other's escalations with its own (us-answers-every-retaliation, cn-fight-to-end),
    so an escalation brings the rival's next step with the chance
    ``{rival}.answers_escalation``, where the rival has a step left (escalation spirals:
    lit-axelrod1984).  The expected answer deters (lit-schelling1960); with
    ``decision.expects_answers`` off a side leaves it out."""
    rival = me.rival
    q = switched(ctx.p[f"{rival.side}.answers_escalation"], ctx.p["decision.expects_answers"])
    if not np.any(q):
        return np.zeros(me.n, dtype=FLOAT)
    key = f"escalate:{rival.side}"
    extra = ctx.outcome(me, key).pain - ctx.outcome(me, "now").pain  # negative
    can = escalation_target(rival, ctx.p) >= 0
    return q * np.where(can, extra, 0.0)


def chips_given(me: Government, ctx: WeekContext, key: str, demand: bool = False) -> Array:
    """Bargaining chips a unilateral cut gives away, per run: the relief it hands the
    rival, where one's best offer (or, with ``demand``, the deal one holds out for) would
    have traded that relief for the rival's own concession, lowers the rival's gain from
    taking it by as much (coercion in reverse: lit-eaton-engers1992, lit-schelling1960)."""
    chips = np.asarray(ctx.p["moves.chips"]) > 0.5  # one flag, or one per run
    if not chips.any():
        return np.zeros(me.n, dtype=FLOAT)
    rival = me.rival
    relief = ctx.outcome(rival, key).total - ctx.outcome(rival, "now").total
    k = ctx.demand(me) if demand else None
    given = np.maximum(relief, 0.0) * coverage(me, ctx, key, k)
    return given if chips.all() else select(chips, given, 0.0)


def matched_offer_terms(me: Government, ctx: WeekContext) -> Terms:
    """Terms of proposing matched cuts: the cuts if the rival matches, else holding."""
    return Terms.blend(ctx.matched_chance(me), ctx.matched_terms(me), ctx.hold(me))


def proposal_terms(me: Government, ctx: WeekContext, kind: Array, arg: Array) -> Terms:
    """Terms of accepting the proposal ``kind``/``arg`` the rival has on the table."""
    hold = ctx.outcome(me, "now").plus()
    out = hold
    chan = np.where(arg >= 0, arg, ctx.channel)
    if (kind == 2).any():
        out = Terms.blend((kind == 2).astype(FLOAT),
                          hold.plus(attrition=ctx.attrition(me),
                                    value=ctx.upgrade_gain(me, chan)), out)
    if (kind == 3).any():
        out = Terms.blend((kind == 3).astype(FLOAT), ctx.matched_terms(me), out)
    for j in np.unique(np.where(kind == 1, arg, -1)):
        if j >= 0:
            sel = ((kind == 1) & (arg == j)).astype(FLOAT)
            out = Terms.blend(sel, ctx.package_terms(me, int(j)), out)
    return out


def coverage(me: Government, ctx: WeekContext, key: str, k: Array | None = None) -> Array:
    """Whether ``me``'s best offer (or package ``k``, per run) would lift or cut what the
    change ``key`` moves (a layer, its exemptions or a tool), per run: coercion works only
    through what a deal relieves (lit-eaton-engers1992), and a unilateral cut gives away
    only what a deal would have traded."""
    if k is None:
        k, _ = ctx.best_offer(me, private=ctx.back_channel)
    after = ctx.state(me, key)
    moved: dict[str, Array] = {}
    for name, level in me.layers.items():
        moved[name] = np.abs(after.layers[name] - level) > 1e-6
    exempted = np.abs(after.exempt - me.exempt) > 1e-6
    moved[me.spec.exemptable] = moved[me.spec.exemptable] | exempted
    for name, level in me.tools.items():
        moved[name] = np.abs(after.tools[name] - level) > 1e-6
    covered = np.zeros(me.n, dtype=bool)
    for j in ctx.packages_in(k):
        pkg = PACKAGES[j]
        layers = pkg.us_layers if me.side == "us" else pkg.cn_layers
        tools = pkg.us_tools_lifted if me.side == "us" else pkg.cn_tools_lifted
        hit = np.zeros(me.n, dtype=bool)
        for name in (*layers, *tools):
            if name in moved:
                hit |= moved[name]
        covered |= (k == j) & hit
    return covered.astype(FLOAT)
