"""Scenario events: moves a scenario puts to an actor, timed or conditional.

A scripted *proposal* to the rival (an offer, a channel upgrade above working level,
matched cuts) is a standing policy: it goes on the table beside the agent's own moves and
does not take the agent's move slot; the rival answers it every week it stands.  A
``forced`` proposal is put on the table whatever the actor thinks of it; a ``proposed`` one
only if the actor's agent would go along with it (it takes it by the same logit rule it
uses for every choice, comparing the policy with holding out).  Any other scripted move
(an escalation, a step-down, a denial) is the week's move: ``forced`` replaces the agent's
choice, ``proposed`` is taken or declined against the agent's own best choice.  Conditions
are structured data (another event has taken effect, or a state variable against a
threshold), never evaluated code.

Status of an event in a run: ``pending`` (its week or condition never came, or the move was
never available), ``declined`` (put to its actor, who chose otherwise), ``done`` (made),
``awaiting`` (a proposal on the table, not yet answered), ``accepted`` / ``rejected`` (the
rival's answer to it), ``failed_at_home`` (a package the rival accepted that one side's
constituencies did not ratify, lit-putnam1988) and ``lapsed`` (a standing proposal
withdrawn unsigned because by then it could no longer be carried out: a deal or a move
made since it was put took away what it would change, or a trade lost one of its halves;
whether the rival had just accepted it or not).  ``done``, ``accepted`` and ``lapsed``
count as having taken effect (a lapsed step, like one whose aim is already in place, is
not put again, and a step after it may follow; for a trade that lost one half, the other
half was not given); ``failed_at_home`` does not.  With ``retry`` a declined move is put
again the next week, and a rejected proposal, or one that failed at home, stays on the
table (``failures`` counts the second, as ``rejections`` the first).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.model.choice import ACCEPT, REJECT
from sim.model.decision import Terms, sigmoid
from sim.model.moves import (
    INDEX,
    MOVES,
    channel_terms,
    matched_offer_terms,
    offer_terms,
    priced,
    step_down_terms,
)
from sim.model.packages import INDEX as PACKAGE_INDEX
from sim.model.packages import PACKAGES

if TYPE_CHECKING:
    from sim.model.agents import Government
    from sim.model.config import EventSpec
    from sim.model.decision import WeekContext
    from sim.model.model import TradeWarModel

Array = np.ndarray

PENDING, DONE, DECLINED, ACCEPTED, REJECTED, AWAITING, FAILED, LAPSED = range(8)
STATUS_NAMES = {PENDING: "pending", DONE: "done", DECLINED: "declined", ACCEPTED: "accepted",
                REJECTED: "rejected", AWAITING: "awaiting", FAILED: "failed_at_home",
                LAPSED: "lapsed"}
TOOK_EFFECT = (DONE, ACCEPTED, LAPSED)
PLAYER = -1  # ``Government.scripted`` value of a move made by a human player


class MoveNotAvailable(ValueError):
    """A player asked for a move the menu does not offer this week."""

# State variables a condition may test, with what each means.
VARIABLES: dict[str, tuple[str, Callable[[TradeWarModel], Array]]] = {
    "us.cum_pain": ("US cumulative pain, % of GDP-years", lambda m: m.us.cum_pain),
    "cn.cum_pain": ("China's cumulative pain, % of GDP-years", lambda m: m.cn.cum_pain),
    "us.face": ("US face stock, commitments", lambda m: m.us.face),
    "cn.face": ("China's face stock, commitments", lambda m: m.cn.face),
    "us.tariff": ("US effective tariff on Chinese goods, %", lambda m: m.us.tariff()),
    "cn.tariff": ("China's effective tariff on US goods, %", lambda m: m.cn.tariff()),
    "channel": ("channel level 0-4", lambda m: m.channel.astype(float)),
}
OPS: dict[str, Callable[[Array, float], Array]] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
}


class EventBook:
    """The scenario's events and, per run, what became of each."""

    def __init__(self, events: Sequence[EventSpec], model: TradeWarModel) -> None:
        self.events = events
        self.model = model
        self.ids = [ev.id for ev in events]
        self.status = np.zeros((len(events), model.n), dtype=np.int8)
        self.fired_week = np.full((len(events), model.n), -1, dtype=np.int16)
        self.made = np.zeros((len(events), model.n), dtype=bool)  # proposal made this week
        self.awaiting = np.zeros((len(events), model.n), dtype=bool)  # proposal unanswered
        self.declines = np.zeros((len(events), model.n), dtype=np.int16)  # by the actor
        self.rejections = np.zeros((len(events), model.n), dtype=np.int16)  # by the rival
        self.failures = np.zeros((len(events), model.n), dtype=np.int16)  # at home

    def due(self, j: int) -> Array:
        """Runs in which event ``j`` is due this week."""
        ev, m = self.events[j], self.model
        ok = (self.status[j] == PENDING) & (m.week >= ev.week)
        cond = ev.when
        if cond is not None:
            if cond.after is not None:
                ok &= np.isin(self.status[self.ids.index(cond.after)], TOOK_EFFECT)
            if cond.variable is not None:
                ok &= OPS[cond.op](VARIABLES[cond.variable][1](m), cond.value)
        return ok

    def apply(self, me: Government, ctx: WeekContext, eu: Array,
              table: list[Terms | None]) -> None:
        """Put the events of ``me`` due this week to the agent (none while a human player
        makes this side's move: the player's move replaces the script)."""
        u = self.model.uniform()
        if me.side in self.model.player_moves:
            return
        for j, ev in enumerate(self.events):
            if ev.actor != me.side:
                continue
            due = self.due(j)
            if not due.any():
                continue
            i = INDEX[ev.move]
            moot = due & self._in_place(ev)
            self.status[j] = np.where(moot, DONE, self.status[j])
            due &= ~moot
            arg, ok, terms = self._variant(me, ctx, ev, eu, table)
            policy = self._is_policy(ev, arg)
            if policy.any():
                self._table(j, ev, me, ctx, due & ok & policy, arg, terms, u)
            due &= ~policy
            if MOVES[i].answer:  # a scripted answer to what the rival has on the table
                self._answer(j, ev, me, ctx, due & ok, terms, u)
                continue
            due &= me.scripted == 0  # one scripted move per side and week
            go = due & ok
            if ev.mode == "proposed":
                # where the agent already chose this very step it goes along for sure;
                # elsewhere it weighs the step against its own choice
                already = go & (me.choice == i) & (me.choice_arg == arg)
                chosen = eu[me.choice, np.arange(me.n)]
                gain = (terms.total - chosen) if terms is not None else np.zeros(me.n)
                go = already | self._goes_along(j, ev, go & ~already, gain, ctx, u)
            me.choice = np.where(go, i, me.choice).astype(np.int8)
            me.choice_arg = np.where(go, arg, me.choice_arg).astype(np.int16)
            me.scripted = np.where(go, j + 1, me.scripted).astype(np.int16)
            self.status[j] = np.where(go, DONE, self.status[j])
            self.fired_week[j] = np.where(due & ok, self.model.week, self.fired_week[j])

    def _goes_along(self, j: int, ev: EventSpec, due: Array, gain: Array,
                    ctx: WeekContext, u: Array, tie: bool = True) -> Array:
        """Runs in which the actor goes along with proposed step ``j`` (gain over what it
        would do otherwise, by its own logit rule or at best response, where a gain of
        exactly 0 goes along if ``tie``); the others count as declines (and, without
        ``retry``, close the step).  A proposed move or policy that ties what the side
        would do goes along at best response: the script's nudge settles a tie, even for
        a move the side would not make of its own accord (``choice.moot``); a proposed
        answer follows the side's own rule for answers (``tie`` False for acceptances)."""
        take = (gain >= 0 if tie else gain > 0) if ctx.best_response else (
            u < sigmoid(ctx.lam * gain))
        declined = due & ~take
        self.declines[j] += declined
        if not ev.retry:
            self.status[j] = np.where(declined, DECLINED, self.status[j])
        return due & take

    def _answer(self, j: int, ev: EventSpec, me: Government, ctx: WeekContext, due: Array,
                terms: Terms | None, u: Array) -> None:
        """A scripted accept or reject: it sets the side's answer, not its move."""
        go = due.copy()
        if ev.mode == "proposed":
            # the side's own rule for answers: at best response it accepts only on a gain
            # (``choice.answer``), so it goes along with a rejection on a tie
            accept = ev.move == "accept"
            gain = me.answer_gain if accept else -me.answer_gain
            go = self._goes_along(j, ev, go, gain, ctx, u, tie=not accept)
        code = ACCEPT if ev.move == "accept" else REJECT
        rival = me.rival
        me.answer = np.where(go, code, me.answer).astype(np.int8)
        me.answer_target = np.where(go, np.where(rival.tabled(self.model.week) != 0, 2, 1),
                                    me.answer_target).astype(np.int8)
        me.answer_scripted = me.answer_scripted | go
        self.status[j] = np.where(go, DONE, self.status[j])
        self.fired_week[j] = np.where(due, self.model.week, self.fired_week[j])

    def _is_policy(self, ev: EventSpec, arg: Array) -> Array:
        """Runs in which the event is a proposal to the rival (a standing policy)."""
        move = MOVES[INDEX[ev.move]]
        if not move.proposal:
            return np.zeros(self.model.n, dtype=bool)
        if move.name == "open_channel":
            target = arg if ev.level is not None else self.model.channel_target[ev.actor]
            return np.asarray(target) >= 2
        return np.ones(self.model.n, dtype=bool)

    def _table(self, j: int, ev: EventSpec, me: Government, ctx: WeekContext, due: Array,
               arg: Array, terms: Terms | None, u: Array) -> None:
        """Put proposal ``j`` on the table as a standing policy where the actor goes along
        (always if forced), unless another standing proposal is there already."""
        free = due & (me.standing_kind == 0)
        if not free.any():
            return
        if ev.mode == "proposed" and terms is not None:
            free = self._goes_along(j, ev, free, terms.total - ctx.hold(me).total, ctx, u)
        kind = MOVES[INDEX[ev.move]].proposal
        me.standing_kind = np.where(free, kind, me.standing_kind).astype(np.int8)
        me.standing_arg = np.where(free, arg, me.standing_arg).astype(np.int16)
        me.standing_event = np.where(free, j, me.standing_event).astype(np.int16)
        me.standing_week = np.where(free, self.model.week, me.standing_week).astype(np.int16)
        self.status[j] = np.where(free, AWAITING, self.status[j])
        self.fired_week[j] = np.where(free, self.model.week, self.fired_week[j])

    def answered_standing(self, proposer: Government, accepted: Array, rejected: Array,
                          failed: Array, lapsed: Array) -> None:
        """The rival answered ``proposer``'s standing proposals: an accepted one took
        effect; one accepted that failed at home, or a rejected one, stays on the table if
        its event retries, else is withdrawn; one accepted that lapsed as moot is
        withdrawn."""
        for j, ev in enumerate(self.events):
            if ev.actor != proposer.side:
                continue
            mine = proposer.standing_event == j
            acc, rej = accepted & mine, rejected & mine
            fail, moot = failed & mine, lapsed & mine
            self.status[j] = np.where(acc, ACCEPTED, self.status[j])
            self.status[j] = np.where(moot, LAPSED, self.status[j])
            self.rejections[j] += rej
            self.failures[j] += fail
            withdraw = acc | moot | ((rej | fail) & (not ev.retry))
            if not ev.retry:
                self.status[j] = np.where(rej, REJECTED, self.status[j])
                self.status[j] = np.where(fail, FAILED, self.status[j])
            proposer.standing_kind = np.where(withdraw, 0, proposer.standing_kind).astype(
                np.int8)
            proposer.standing_arg = np.where(withdraw, -1, proposer.standing_arg).astype(
                np.int16)
            proposer.standing_event = np.where(withdraw, -1, proposer.standing_event).astype(
                np.int16)

    def withdraw_moot(self, gov: Government) -> None:
        """Standing proposals that can no longer be carried out (their package is in force
        or closed, the channel is already at their level) leave the table."""
        m = self.model
        kind, arg = gov.standing_kind, gov.standing_arg
        moot = np.zeros(m.n, dtype=bool)
        for k in np.unique(np.where(kind == 1, arg, -1)):
            if k >= 0:
                moot |= (kind == 1) & (arg == k) & ~m.package_open(int(k))
        moot |= (kind == 2) & (m.channel >= arg)
        if moot.any():
            for j, ev in enumerate(self.events):
                if ev.actor == gov.side:
                    sel = moot & (gov.standing_event == j)
                    self.status[j] = np.where(sel, LAPSED, self.status[j])
            gov.standing_kind = np.where(moot, 0, kind).astype(np.int8)
            gov.standing_arg = np.where(moot, -1, arg).astype(np.int16)
            gov.standing_event = np.where(moot, -1, gov.standing_event).astype(np.int16)

    def can_make(self, ev: EventSpec) -> bool:
        """Whether the move of ``ev``, with its package, level or layer, is possible now in
        every run (checked before a week starts, so a refused move costs nothing)."""
        if ev.package is None and ev.level is None and ev.layer is None:
            return True  # the menu check covers moves without an argument
        from sim.model.decision import WeekContext

        gov = self.model.us if ev.actor == "us" else self.model.cn
        _, ok, _ = self._variant(gov, WeekContext(self.model), ev, None, [])
        return bool(ok.all())

    def apply_player(self, me: Government, ctx: WeekContext, eu: Array,
                     table: list[Terms | None]) -> None:
        """A human player's move for ``me`` this week (``TradeWarModel.play``), if any: it
        replaces the agent's choice in every run, like a forced event."""
        ev = self.model.player_moves.pop(me.side, None)
        if ev is None:
            return
        if MOVES[INDEX[ev.move]].answer:  # the player answers the rival's proposal
            if not (me.answer != 0).all():
                raise MoveNotAvailable(f"{me.label} has no proposal to answer this week")
            me.answer = np.full(me.n, ACCEPT if ev.move == "accept" else REJECT, dtype=np.int8)
            me.answer_scripted = np.ones(me.n, dtype=bool)
            me.choice = np.full(me.n, INDEX["hold"], dtype=np.int8)
            me.choice_arg = np.full(me.n, -1, dtype=np.int16)
            me.scripted = np.full(me.n, PLAYER, dtype=np.int16)
            return
        arg, ok, _ = self._variant(me, ctx, ev, eu, table)
        if not ok.all():
            raise MoveNotAvailable(f"{ev.move} is not available to {me.label} this week")
        me.choice = np.full(me.n, INDEX[ev.move], dtype=np.int8)
        me.choice_arg = np.asarray(arg, dtype=np.int16)
        me.scripted = np.full(me.n, PLAYER, dtype=np.int16)

    def _in_place(self, ev: EventSpec) -> Array:
        """Runs where what the event asks for is already so: the channel is at its level or
        above, or its package is in force.  The event then counts as done."""
        m = self.model
        if ev.level is not None:
            return m.channel >= ev.level
        if ev.package is not None:
            return m.in_force[PACKAGE_INDEX[ev.package]]
        return np.zeros(m.n, dtype=bool)

    def _variant(self, me: Government, ctx: WeekContext, ev: EventSpec, eu: Array | None,
                 table: list[Terms | None]) -> tuple[Array, Array, Terms | None]:
        """The event's argument, availability and terms in every run."""
        m, n = self.model, me.n
        i = INDEX[ev.move]
        move = MOVES[i]
        if ev.package is not None:
            k = PACKAGE_INDEX[ev.package]
            ok = (ctx.channel >= PACKAGES[k].channel) & m.package_open(k)
            return np.full(n, k), ok, priced(move, offer_terms(me, ctx, np.full(n, k)), ctx)
        if ev.level is not None:
            target = np.full(n, ev.level, dtype=np.int8)
            ok = ctx.channel < ev.level
            return target, ok, priced(move, channel_terms(me, ctx, target), ctx)
        if ev.layer is not None:
            key = f"step_down:{me.side}:{ev.layer}"
            size = ctx.concession_size(me, ctx.state(me, key))
            return (np.full(n, me.spec.layers.index(ev.layer)), size > 0,
                    priced(move, step_down_terms(me, ctx, key), ctx))
        if move.name == "step_down_matched":
            ok = ctx.concession_size(me.rival, ctx.state(me.rival, "matched")) > 0
            return np.full(n, -1), ok, priced(move, matched_offer_terms(me, ctx), ctx)
        if move.name == "open_channel":
            target = ctx.channel_target[me.side]
            return target, ctx.channel < 4, priced(move, channel_terms(me, ctx, target), ctx)
        if move.name == "offer" or move.name == "offer_private":
            arg, _ = ctx.best_offer(me, private=move.name == "offer_private")
            ok = arg >= 0
        else:
            arg, ok = np.full(n, -1), move.available(me, ctx)
        terms = table[i] if table else None
        if terms is None and table and ok.any():  # not on the agent's own menu this week
            terms = priced(move, move.terms(me, ctx), ctx)
        return arg, ok, terms
