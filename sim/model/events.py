"""Scenario events: moves a scenario puts to an actor, timed or conditional.

A ``forced`` event happens (once it is available); a ``proposed`` one is put to the
agent, who takes it or keeps its own choice by the same logit rule it uses for every
move, so a declined proposal is recorded as declined.  When the move is itself a proposal
to the rival (an offer, a channel upgrade, matched cuts), the rival's answer the next week
is recorded too: accepted or rejected.  Conditions are structured data (another event has
taken effect, or a state variable against a threshold), never evaluated code.

Status of an event in a run: ``pending`` (its week or condition never came, or the move was
never available), ``declined`` (put to its actor, who chose otherwise), ``done`` (made),
``awaiting`` (a proposal made, not yet answered), ``accepted`` / ``rejected`` (the rival's
answer to it).  Only ``done`` and ``accepted`` count as having taken effect.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.model.decision import Terms
from sim.model.moves import (
    INDEX,
    MOVES,
    channel_terms,
    offer_terms,
    priced,
    sigmoid_gain,
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

PENDING, DONE, DECLINED, ACCEPTED, REJECTED, AWAITING = 0, 1, 2, 3, 4, 5
STATUS_NAMES = {PENDING: "pending", DONE: "done", DECLINED: "declined", ACCEPTED: "accepted",
                REJECTED: "rejected", AWAITING: "awaiting"}
TOOK_EFFECT = (DONE, ACCEPTED)
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
        """Override or put to the agent the events of ``me`` due this week (none while a
        human player makes this side's move: the player's move replaces the script)."""
        u = self.model.uniform()
        if me.side in self.model.player_moves:
            return
        for j, ev in enumerate(self.events):
            if ev.actor != me.side:
                continue
            due = self.due(j) & (me.scripted == 0)  # one scripted move per side and week
            if not due.any():
                continue
            i = INDEX[ev.move]
            moot = due & self._in_place(ev)
            self.status[j] = np.where(moot, DONE, self.status[j])
            due &= ~moot
            arg, ok, terms = self._variant(me, ctx, ev, eu, table)
            go = due & ok
            if ev.mode == "proposed":
                chosen = eu[me.choice, np.arange(me.n)]
                take = u < sigmoid_gain(ctx, terms.total - chosen) if terms else u < 0.5
                declined = go & ~take
                self.declines[j] += declined
                if not ev.retry:
                    self.status[j] = np.where(declined, DECLINED, self.status[j])
                go &= take
            me.choice = np.where(go, i, me.choice).astype(np.int8)
            me.choice_arg = np.where(go, arg, me.choice_arg).astype(np.int16)
            me.scripted = np.where(go, j + 1, me.scripted).astype(np.int16)
            self.status[j] = np.where(go, AWAITING if MOVES[i].proposal else DONE,
                                      self.status[j])
            if MOVES[i].proposal:
                self.made[j] |= go
            self.fired_week[j] = np.where(due & ok, self.model.week, self.fired_week[j])

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

    def _variant(self, me: Government, ctx: WeekContext, ev: EventSpec, eu: Array,
                 table: list[Terms | None]) -> tuple[Array, Array, Terms | None]:
        """The event's argument, availability and terms in every run."""
        m, n = self.model, me.n
        i = INDEX[ev.move]
        move = MOVES[i]
        if ev.package is not None:
            k = PACKAGE_INDEX[ev.package]
            ok = ((me.pending_kind == 0) & (ctx.channel >= PACKAGES[k].channel)
                  & m.package_open(k))
            return np.full(n, k), ok, priced(move, offer_terms(me, ctx, np.full(n, k)), ctx)
        if ev.level is not None:
            target = np.full(n, ev.level, dtype=np.int8)
            ok = (ctx.channel < ev.level) & (me.pending_kind == 0)
            return target, ok, priced(move, channel_terms(me, ctx, target), ctx)
        if ev.layer is not None:
            key = f"step_down:{me.side}:{ev.layer}"
            size = ctx.concession_size(me, ctx.state(me, key))
            return (np.full(n, me.spec.layers.index(ev.layer)), size > 0,
                    priced(move, step_down_terms(me, ctx, key), ctx))
        return np.full(n, -1), np.isfinite(eu[i]), table[i]

    def settle(self, proposer: Government, took_effect: Array) -> None:
        """This week's proposals of ``proposer`` are on the table; those that needed no
        answer (they took effect at once) are accepted, the rest await the rival."""
        for j, ev in enumerate(self.events):
            if ev.actor == proposer.side:
                made = self.made[j]
                self.status[j] = np.where(made & took_effect, ACCEPTED, self.status[j])
                self.awaiting[j] |= made & ~took_effect
                self.made[j] = False

    def answered(self, proposer: Government, accepted: Array) -> None:
        """The rival answered ``proposer``'s pending proposals: accepted or rejected."""
        for j, ev in enumerate(self.events):
            if ev.actor == proposer.side:
                waiting = self.awaiting[j]
                rejected = waiting & ~accepted
                self.rejections[j] += rejected
                self.status[j] = np.where(waiting & accepted, ACCEPTED, self.status[j])
                # a rejected proposal is put again next week if the event retries
                self.status[j] = np.where(rejected, PENDING if ev.retry else REJECTED,
                                          self.status[j])
                self.awaiting[j] = False
