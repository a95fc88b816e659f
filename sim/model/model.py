"""The Mesa model: one step is one week, every array holds one entry per Monte-Carlo run.

Runs are grouped in fixed blocks of ``BLOCK`` runs, each with its own random stream from
``SeedSequence(seed, spawn_key=(block,))``, so a run's path depends only on the seed and
its index: never on how many runs share a model, a process or a machine.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model.agents import SIDES, SPECS, TYPE_PRIOR, Government, peak_layers
from sim.model.choice import ACCEPT, REJECT, choose, update_beliefs
from sim.model.config import ACTORS, RunConfig, ScriptedEvent
from sim.model.decision import WeekContext, hierarchy_weights
from sim.model.economics import FLOAT, Economy, Pain, Posture, elasticity
from sim.model.events import EventBook
from sim.model.moves import INDEX, MOVES
from sim.model.packages import COMPREHENSIVE, PACKAGES
from sim.model.packages import INDEX as PACKAGE_INDEX
from sim.model.parameters import BY_NAME, defaults, resolve
from sim.model.recorder import DEESCALATION_KINDS, Recorder
from sim.model.transitions import escalation_target, layer_target, side_effect
from sim.model.vector import select

if TYPE_CHECKING:
    from sim.model.config import RunSpec

Array = np.ndarray
BLOCK = 1024

PAUSED = ("us.reciprocal", "cn.retaliatory", "cn.rare_earth", "us.export_controls")
"""What snaps back when a pause expires: the broad layers and the tools a pause lifts."""


@functools.cache
def peak_pain(buffered: bool = True) -> dict[str, float]:
    """Each side's annual pain (% of GDP) at the April 2025 peak with every default;
    ``buffered=False``: China's before any stimulus."""
    p = defaults()
    tariffs = {side: np.array([p[f"initial.{side}_base"] + peak_layers(side)], dtype=FLOAT)
               / 100.0 for side in SIDES}
    tools = {t: np.array([p[f"initial.{side}_{t}"]], dtype=FLOAT)
             for side in SIDES for t in SPECS[side].tools}
    economy = Economy(p, peak_pain(False)["cn"]) if buffered else Economy(p)
    pain = economy.pain(Posture(tariffs["us"], tariffs["cn"], tools),
                        elasticity(p, p["initial.weeks_since_shock"]))
    return {"us": float(pain.us[0]), "cn": float(pain.cn[0])}


def reference_pain() -> dict[str, float]:
    """The unit of utility: each side's annual pain at the April 2025 peak with every
    default (lit-model-brief: a back-down is priced in weeks of this pain).

    Fixed, not recomputed from a scenario's parameters, so that a scenario with more
    economic pain really weighs more against face; and the same for every run, so no run
    depends on the others.
    """
    return peak_pain(buffered=True)


def block_generators(seed: int, blocks: Iterable[int]) -> list[np.random.Generator]:
    """One generator per block of runs, keyed by the block's index alone."""
    return [np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(b,))))
            for b in blocks]


class TradeWarModel(mesa.Model):
    """US-China tariff negotiation, week by week, vectorized over Monte-Carlo runs.

    Parameters
    ----------
    scenario: a validated ``Scenario``, or anything with the attributes of
        ``sim.model.config.RunSpec`` (None: ``RunConfig()``, the April 2025 baseline
        with defaults).
    runs: number of runs this model advances together.
    seed: the ensemble seed.
    first_run: index of this model's first run in the ensemble (a multiple of ``BLOCK``).
    overrides: parameter values by dotted name, on top of the scenario's: a number, or
        an array with one value per run (``sim.model.parameters.resolve``).
    sample: how many of the first runs keep full week-by-week records.
    streams: each run's index in its ensemble, which names its random stream (default:
        ``first_run`` onwards). Runs of a sweep's points advance in one model with the
        streams of their replicates, so replicate r of every point draws the same random
        numbers as it would alone (common random numbers), whatever the packing.
    keep_arrays: keep per-run arrays as arrays even where every run has the same value
        (``resolve(collapse=False)``), so that each run's arithmetic is the same in a
        model of any size: a calibrated ensemble and the replay of one of its runs.
    """

    def __init__(self, scenario: RunSpec | None = None, *, runs: int = 1, seed: int = 0,
                 first_run: int = 0, overrides: dict[str, float] | None = None,
                 sample: int = 0, streams: Array | None = None,
                 keep_arrays: bool = False) -> None:
        if first_run % BLOCK:
            raise ValueError(f"first_run must be a multiple of {BLOCK}")
        if runs < 1:
            raise ValueError("runs must be at least 1")
        self.config = scenario if scenario is not None else RunConfig()
        first_block = first_run // BLOCK
        if streams is None:
            self.streams = np.arange(first_run, first_run + runs, dtype=np.int64)
            self._gather = None
            blocks = range(first_block, first_block + (runs + BLOCK - 1) // BLOCK)
        else:
            self.streams = np.asarray(streams, dtype=np.int64)
            if self.streams.shape != (runs,) or (self.streams < 0).any():
                raise ValueError("streams must hold one non-negative index per run")
            blocks, slot = np.unique(self.streams // BLOCK, return_inverse=True)
            # run i draws entry ``_gather[i]`` of its blocks' draws laid end to end
            self._gather = slot * BLOCK + self.streams % BLOCK
            blocks = blocks.tolist()
        self._gens = block_generators(seed, blocks)
        super().__init__(rng=int(np.random.SeedSequence(seed, spawn_key=(first_block,))
                                 .generate_state(1)[0]))
        self.n = runs
        self.first_run = first_run
        self.p = resolve({**self.config.overrides, **(overrides or {})},
                         collapse=not keep_arrays)
        p = self.p
        self.economy = Economy(p, peak_pain(buffered=False)["cn"])
        self.week = 0
        self.horizon = self.config.weeks
        self.start = self.config.start_date
        cum = np.cumsum(TYPE_PRIOR)[:-1]
        self.us = Government(self, "us", runs, p, np.searchsorted(cum, self.uniform()))
        self.cn = Government(self, "cn", runs, p, np.searchsorted(cum, self.uniform()))
        self.us.rival, self.cn.rival = self.cn, self.us
        known_types = np.asarray(p["decision.known_types"]) > 0.5
        if known_types.any():  # complete information (in some runs or all): an ablation
            for gov in (self.us, self.cn):
                known = np.zeros_like(gov.belief)
                known[gov.rival.type_index, np.arange(runs)] = 1.0
                gov.belief = known if known_types.all() else select(known_types[None, :],
                                                                    known, gov.belief)
        self.governments = (self.us, self.cn)
        obstinacy = np.asarray(p["decision.obstinacy_prior"], dtype=FLOAT)
        if np.any(obstinacy > 0):  # sides learn how the rival reasons (lit-abreu-gul2000)
            levels = hierarchy_weights(int(p["decision.reasoning_level"]),
                                       float(p["decision.hierarchy_tau"]))
            weights = np.array([w for _, w in levels], dtype=FLOAT)[:, None]
            z = np.broadcast_to(obstinacy, (runs,))[None, :]
            learned = np.concatenate([weights * (1.0 - z), z]).astype(FLOAT)
            fixed = np.concatenate([np.repeat(weights, runs, axis=1),
                                    np.zeros((1, runs), dtype=FLOAT)])
            for gov in self.governments:
                gov.level_belief = np.where(z > 0, learned, fixed)
        self.channel = np.broadcast_to(np.asarray(p["initial.channel"]), (runs,)
                                       ).astype(np.int8)
        self.truce_left = np.zeros(runs, dtype=np.int16)
        # weeks of official talks held so far: a lasting comprehensive agreement needs
        # ``deal.drafting_weeks`` of them before it can be signed (us-deal-2-3-years)
        self.groundwork = np.full(runs, p["initial.talks_weeks"], dtype=FLOAT)
        self.in_force = np.zeros((len(PACKAGES), runs), dtype=bool)
        self.concluded = np.zeros((len(PACKAGES), runs), dtype=bool)
        # China acts on fentanyl precursors under a deal it signed (cn-fentanyl-linkage): a
        # lasting deal, or a pause, which leaves the fentanyl layer cut when it ends; a
        # collapse of the deals in force restores what stood before the first of them
        self.precursor_action = np.zeros(runs, dtype=bool)
        self._predeal_precursor = np.zeros(runs, dtype=bool)
        self._truce_snapshot: dict[str, Array] = {}
        self._predeal: dict[str, Array] = {}
        self.face_ref = BY_NAME["initial.cn_face"].default
        self.pressure_growth = {side: np.zeros(runs, dtype=FLOAT) for side in SIDES}
        self.failed = {side: np.zeros(runs, dtype=bool) for side in SIDES}
        # with ``ratification.persistent``: each side's domestic resistance (its first
        # week's ratification draw, kept) and the bounds on it that failures and passes at
        # home have shown both sides (lit-putnam1988, lit-milner-rosendorff1997)
        self.resistance: dict[str, Array] | None = None
        self.resistance_low = {side: np.zeros(runs, dtype=FLOAT) for side in SIDES}
        self.resistance_high = {side: np.ones(runs, dtype=FLOAT) for side in SIDES}
        self.resistance_shown = False
        self.events = EventBook(self.config.events, self)
        self.player_moves: dict[str, ScriptedEvent] = {}  # side -> a human player's next move
        self.pain_scale = reference_pain()
        self.channel_target = {side: self.channel.copy() for side in SIDES}
        self._open: Array | None = None
        self.recorder = Recorder(self, sample)
        self.recorder.record_state(self.current_pain())

    # --- a human player -------------------------------------------------------------------
    def play(self, side: str, move: str, *, package: str | None = None,
             level: int | None = None, layer: str | None = None) -> None:
        """Make ``move`` the side's move in the next ``step`` (in every run), in place of
        the agent's choice; the agent still weighs its options, which are recorded."""
        from sim.model.events import MoveNotAvailable

        menu = self.available_moves(side)
        if move not in menu:
            raise MoveNotAvailable(f"'{move}' is not on the menu this week; choose from "
                                   f"{', '.join(menu)}")
        # the checks the scenario schema makes of an event's actor and arguments
        actor = ACTORS.get(side)
        if (actor is None or (package is not None and (move != "offer"
                                                       or package not in PACKAGE_INDEX))
                or (level is not None and (move != "open_channel" or not 1 <= level <= 4))
                or (layer is not None and (move != "step_down_alone"
                                           or layer not in SPECS[actor].layers))):
            raise MoveNotAvailable(f"'{move}' cannot be played by '{side}' with "
                                   f"package={package!r}, level={level!r}, layer={layer!r}")
        event = ScriptedEvent(actor=actor, move=move, mode="forced", package=package,
                              level=level, layer=layer)
        if not self.events.can_make(event):
            what = package or (f"level {level}" if level is not None else layer)
            raise MoveNotAvailable(f"'{move}' with {what} is not possible this week")
        self.player_moves[side] = event

    def available_moves(self, side: str) -> list[str]:
        """Moves on the side's menu now (available in every run of this model)."""
        gov = self.us if side == "us" else self.cn
        ctx = WeekContext(self)
        return [m.name for m in MOVES if m.available(gov, ctx).all()]

    # --- randomness ---------------------------------------------------------------------
    def uniform(self) -> Array:
        """One uniform draw per run, from each run's block stream."""
        out = np.empty(len(self._gens) * BLOCK, dtype=FLOAT)
        for b, g in enumerate(self._gens):
            g.random(BLOCK, dtype=FLOAT, out=out[b * BLOCK:(b + 1) * BLOCK])
        return out[: self.n] if self._gather is None else out[self._gather]

    def normal(self) -> Array:
        """One standard normal draw per run, from each run's block stream."""
        out = np.empty(len(self._gens) * BLOCK, dtype=FLOAT)
        for b, g in enumerate(self._gens):
            g.standard_normal(BLOCK, dtype=FLOAT, out=out[b * BLOCK:(b + 1) * BLOCK])
        return out[: self.n] if self._gather is None else out[self._gather]

    def current_pain(self) -> Pain:
        """Both sides' pain at the state as it stands now."""
        tools = {**self.us.tools, **self.cn.tools}
        return self.economy.pain(Posture(self.us.tariff() / 100.0, self.cn.tariff() / 100.0,
                                         tools), self.elasticity())

    # --- time ---------------------------------------------------------------------------
    def date(self) -> dt.date:
        """Calendar date of the current week."""
        return self.start + dt.timedelta(weeks=self.week)

    def elasticity(self) -> float:
        """Trade elasticity this week (partial adjustment since the shock)."""
        return elasticity(self.p, self.p["initial.weeks_since_shock"] + self.week)

    # --- deals --------------------------------------------------------------------------
    def package_open(self, k: int) -> Array:
        """Runs in which package ``k`` can be put forward: no comprehensive deal is in
        force, the package would still change something, a pause can be agreed only
        when none runs or the one that runs is near its end (a renewal), and a lasting
        comprehensive agreement only once official talks have run long enough to draft it
        (``deal.drafting_weeks``; us-deal-2-3-years, us-multi-step)."""
        if self._open is None:
            self._open = self._packages_open()
        return self._open[k]

    def _packages_open(self) -> Array:
        out = np.zeros((len(PACKAGES), self.n), dtype=bool)
        done = self._comprehensive_in_force()
        drafted = self.groundwork >= self.p["deal.drafting_weeks"]
        for k in range(len(PACKAGES)):
            out[k] = self._open_now(k, done, drafted)
        return out

    def _comprehensive_in_force(self) -> Array:
        return self.in_force[sorted(COMPREHENSIVE)].any(axis=0)

    def _open_now(self, k: int, done: Array | None = None,
                  drafted: Array | None = None) -> Array:
        """``package_open`` for package ``k`` as the state stands now (a deal signed earlier
        in the week included)."""
        p, pkg = self.p, PACKAGES[k]
        if done is None:
            done = self._comprehensive_in_force()
        if drafted is None:
            drafted = self.groundwork >= p["deal.drafting_weeks"]
        # what each item of the package would still change; a trade needs every item
        items = []
        for gov, targets, lifted in ((self.us, pkg.us_layers, pkg.us_tools_lifted),
                                     (self.cn, pkg.cn_layers, pkg.cn_tools_lifted)):
            items += [gov.layers[layer] > layer_target(level, p, gov.side, layer) + 1e-6
                      for layer, level in targets.items()]
            items += [gov.tools[tool] > 0 for tool in lifted]
        changes = np.logical_or.reduce(items) if items else np.zeros(self.n, dtype=bool)
        if pkg.temporary:
            ok = self.truce_left <= 4
            changes |= self.truce_left > 0  # a renewal extends the pause
        else:
            ok = ~self.in_force[k]
        if pkg.channel == 4:
            ok = ok & drafted
        if pkg.trade:  # a tool traded for a layer: both halves must still be there to give
            ok = ok & (np.asarray(p["deal.tool_trades"]) > 0.5) & np.logical_and.reduce(items)
        return ok & changes & ~done

    def bound_by_deal(self, side: str) -> Array:
        """Runs in which a deal in force sets ``side``'s broad layer: a pause that runs or
        a lasting deal that cut it.  A bound side does not escalate; a deal breaks only by
        reneging (``deal.renege_hazard``, lit-bown-phase-one), not by a week's move.  So is
        a side whose next escalation would take back a tool that a lasting deal in force
        lifted (China diverting its soybean buying again after selling it for the fentanyl
        layer: us-farm-purchase-demand, cn-soy-diversion)."""
        gov = self.us if side == "us" else self.cn
        layer = "reciprocal" if side == "us" else "retaliatory"
        out = self.truce_left > 0
        target = None  # the tool each run's next escalation raises, read once if needed
        for k, pkg in enumerate(PACKAGES):
            if pkg.temporary:
                continue
            if layer in (pkg.us_layers if side == "us" else pkg.cn_layers):
                out = out | self.in_force[k]
                continue
            lifted = pkg.us_tools_lifted if side == "us" else pkg.cn_tools_lifted
            if lifted and self.in_force[k].any():
                target = escalation_target(gov, self.p) if target is None else target
                takes_back = np.isin(target - 1, [t for t, name in enumerate(gov.spec.tools)
                                                  if name in lifted])
                out = out | (self.in_force[k] & takes_back)
        return out

    def channel_targets(self) -> dict[str, Array]:
        """Level each side's channel proposal aims at this week (US may go for a leader call)."""
        u = self.uniform()
        step = np.minimum(self.channel + 1, 4)
        leader = u < self.p["us.leader_first"]
        return {"us": np.where(leader & (self.channel >= 1), 4, step).astype(np.int8),
                "cn": step.astype(np.int8)}

    # --- the week -----------------------------------------------------------------------
    def step(self) -> None:
        """Advance every run by one week: both governments answer and move (Mesa's agent
        step), beliefs update on what each saw, then the moves resolve jointly."""
        self._open = None
        self.channel_target = self.channel_targets()
        self.context = WeekContext(self)
        self.agents_by_type[Government].do("step")
        update_beliefs(self, self.context)
        self.resolve_moves()
        self.week += 1
        self.after_week()

    def decide(self, gov: Government) -> None:
        """The weekly decision of ``gov`` (``sim.model.choice.choose``)."""
        choose(gov, self.context)

    def resolve_moves(self) -> None:
        """Apply both sides' answers and moves jointly: answers first, then unilateral
        moves, then the new proposals."""
        ctx = self.context
        for gov in self.governments:
            gov.conceded = np.zeros(self.n, dtype=bool)
            gov.escalated = np.zeros(self.n, dtype=bool)
            self.failed[gov.side] = np.zeros(self.n, dtype=bool)
        # crossing offers of one package, both accepted, make one deal, not two
        self.concluded = np.zeros((len(PACKAGES), self.n), dtype=bool)
        # one ratification draw per side and week, whatever is signed (batch invariance)
        self.ratify_draw = {gov.side: self.uniform() for gov in self.governments}
        kept = np.asarray(self.p["ratification.persistent"]) > 0.5
        if kept.any():  # a side's resistance is drawn once: its first week's draw
            if self.resistance is None:
                self.resistance = {s: d.copy() for s, d in self.ratify_draw.items()}
            self.ratify_draw = {s: np.where(kept, self.resistance[s], d)
                                for s, d in self.ratify_draw.items()}
        self.recorder.before_resolve()
        for me in self.governments:
            self._answer(me)
        for me in self.governments:
            self._unilateral(me, ctx)
        self._propose(ctx)
        for gov in self.governments:
            self.events.withdraw_moot(gov)

    def _answer(self, me: Government) -> None:
        """``me`` answers what the rival has on the table: last week's proposal (which then
        lapses) or a standing proposal of the scenario."""
        rival = me.rival
        on_table = me.answer != 0
        accept = me.answer == ACCEPT
        standing = me.answer_target == 2
        kind = np.where(standing, rival.standing_kind, rival.pending_kind)
        arg = np.where(standing, rival.standing_arg, rival.pending_arg)
        private = ~standing & rival.pending_private
        yes = accept & on_table
        signed = np.zeros(self.n, dtype=bool)
        moot = np.zeros(self.n, dtype=bool)
        for k in np.unique(np.where(yes & (kind == 1), arg, -1)):
            if k >= 0:
                done, lapsed = self.conclude(int(k), yes & (kind == 1) & (arg == k),
                                             proposer=rival, private=private)
                signed |= done
                moot |= lapsed
        upgrade = yes & (kind == 2)
        if upgrade.any():
            self.upgrade_channel(upgrade, arg, responder=me)
        matched = yes & (kind == 3)
        if matched.any():
            self.matched_cut(matched)
        self.recorder.declined[me.side] += on_table & ~accept
        unsigned = yes & (kind == 1) & ~signed  # accepted, but failed at home or lapsed
        # a standing proposal of matched cuts that cuts nothing on either side was not put
        # to the side (``choice.answer``): it lapses, as a moot package does
        idle = me.standing_idle & (me.answer_target != 2)  # unless a script answered it
        self.events.answered_standing(rival, yes & ~unsigned & standing,
                                      (me.answer == REJECT) & standing,
                                      failed=unsigned & ~moot & standing,
                                      lapsed=(moot & standing) | idle)
        lapsed = on_table & ~standing | (rival.pending_kind != 0)
        rival.pending_kind = np.where(lapsed, 0, rival.pending_kind).astype(np.int8)
        rival.pending_arg = np.where(lapsed, -1, rival.pending_arg).astype(np.int16)
        rival.pending_private = np.where(lapsed, False, rival.pending_private)

    def _unilateral(self, me: Government, ctx: WeekContext) -> None:
        p, c = self.p, me.choice
        kappa = p["face.escalation_commitment"]
        esc = c == INDEX["escalate"]
        me.escalated = esc
        if esc.any():
            self.apply_state(me, side_effect(me, ctx, f"escalate:{me.side}"), esc)
            me.face = me.face + FLOAT(kappa) * esc
            self._mobilise_audience(me.rival, esc)  # the rival's hawks rally
        alone = c == INDEX["step_down_alone"]
        if alone.any():
            for layer_no, layer in [(-1, ""), *enumerate(me.spec.layers)]:
                mask = alone & (me.choice_arg == layer_no)
                if mask.any():
                    after = side_effect(me, ctx, f"step_down:{me.side}:{layer}".rstrip(":"))
                    self.concede(me, after, mask, f"unilateral_{me.side}",
                                 p["face.multiplier_public"])
        private = c == INDEX["step_down_private"]
        if private.any():
            after = side_effect(me, ctx, f"private:{me.side}")
            size = ctx.concession_size(me, after)
            self.concede(me, after, private, f"private_{me.side}",
                         p["face.multiplier_private"], cover=False)
            me.private_out = me.private_out + np.where(private, size, 0.0)
        deny = c == INDEX["deny_talks"]
        me.face = me.face + FLOAT(kappa) * deny
        me.acknowledges = np.where(deny, 0.0, me.acknowledges)
        ack = c == INDEX["acknowledge_talks"]
        if ack.any():
            me.face_paid = me.face_paid + np.where(ack, ctx.acknowledge_cost(me), 0.0)
            me.acknowledges = np.where(ack, 1.0, me.acknowledges)

    def _propose(self, ctx: WeekContext) -> None:
        us, cn = self.us, self.cn
        both_matched = (us.choice == INDEX["step_down_matched"]) & (
            cn.choice == INDEX["step_down_matched"])
        if both_matched.any():
            self.matched_cut(both_matched)
        talks = self.p["channel.talks_weeks"]  # weeks private talks run; one per run or all
        for me in self.governments:
            c, arg = me.choice, me.choice_arg
            for name, private in (("offer", False), ("offer_private", True)):
                offer = c == INDEX[name]
                if offer.any():
                    best, _ = ctx.best_offer(me, private=private)
                    pkg = np.where(arg >= 0, arg, best)
                    me.pending_kind = np.where(offer, 1, me.pending_kind).astype(np.int8)
                    me.pending_arg = np.where(offer, pkg, me.pending_arg).astype(np.int16)
                    me.pending_private = np.where(offer, private, me.pending_private)
                    me.choice_arg = np.where(offer, pkg, me.choice_arg).astype(np.int16)
                    if private:
                        for gov in self.governments:
                            gov.private_talks = np.where(offer, talks, gov.private_talks
                                                         ).astype(np.int16)
            opened = c == INDEX["open_channel"]
            target = np.where(arg >= 0, arg, ctx.channel_target[me.side])
            direct = opened & (target <= 1)
            self.channel = np.where(direct, np.maximum(self.channel, 1), self.channel).astype(
                np.int8)
            ask = opened & ~direct
            me.pending_kind = np.where(ask, 2, me.pending_kind).astype(np.int8)
            me.pending_arg = np.where(ask, target, me.pending_arg).astype(np.int16)
            me.choice_arg = np.where(opened, target, me.choice_arg).astype(np.int16)
            matched = (c == INDEX["step_down_matched"]) & ~both_matched
            me.pending_kind = np.where(matched, 3, me.pending_kind).astype(np.int8)

    # --- applying outcomes --------------------------------------------------------------
    def apply_state(self, me: Government, after, mask: Array) -> None:
        """Set the side's layers, exemptions and tools to ``after`` where ``mask`` holds
        (a fresh array in every case; a copy where ``after`` leaves it as it is)."""
        def put(new: Array, old: Array) -> Array:
            return old.copy() if new is old else select(mask, new, old)

        me.layers = {name: put(after.layers[name], level) for name, level in me.layers.items()}
        me.exempt = put(after.exempt, me.exempt)
        me.tools = {name: put(after.tools[name], level) for name, level in me.tools.items()}
        me.invalidate()

    def concede(self, me: Government, after, mask: Array, kind: str,
                multiplier: float = 1.0, cost: Array | None = None, size: Array | None = None,
                cover: bool = True) -> None:
        """Apply a concession: its face cost is paid (``cost``, or the cost of its size at
        ``multiplier``), the commitment it breaks is used up, and (if public) the rival
        gains face-saving cover (cn-needs-positive-signal)."""
        ctx = self.context
        size = select(mask, ctx.concession_size(me, after) if size is None else size, 0.0)
        paid = ctx.face_cost(me, size, multiplier) if cost is None else cost
        me.face_paid = me.face_paid + select(size > 0, paid, 0.0)
        used = np.minimum(size, 1.0)
        self.apply_state(me, after, mask)
        me.face = me.face * (1.0 - used)
        if cover:
            me.rival.face = me.rival.face * (
                1.0 - np.minimum(self.p["face.cover_from_rival"] * used, 1.0))
        me.conceded |= size > 0
        self.recorder.deescalated(mask & (size > 0), kind)

    def matched_cut(self, mask: Array) -> None:
        """Both broad layers come down one step together (us-mutual-deescalation)."""
        m = self.p["face.multiplier_matched"]
        afters = {gov.side: side_effect(gov, self.context, "matched") for gov in self.governments}
        for gov in self.governments:
            self.concede(gov, afters[gov.side], mask, "matched", m)

    def conclude(self, k: int, mask: Array, proposer: Government | None = None,
                 private: Array | None = None) -> tuple[Array, Array]:
        """Package ``k``, accepted where ``mask`` holds, goes to both sides' constituencies;
        where both ratify it, both sides carry it out (lit-putnam1988).  A deal agreed in
        private is announced: the talks are admitted and the channel rises to the level
        that signs it.  Returns the runs where the package is in effect (signed now, or
        already signed this week) and the runs where it lapsed unsigned as moot; the rest
        of ``mask`` failed at home."""
        pkg = PACKAGES[k]
        ctx = self.context
        accepted = mask
        already = mask & self.concluded[k]  # the same package, signed earlier this week
        # a package that by now would change nothing (a deal or a move made since it was
        # put forward took that away, or a trade has lost one of its halves) lapses unsigned
        mask = mask & ~self.concluded[k] & self._open_now(k)
        moot = accepted & ~already & ~mask
        chance = {gov.side: ctx.ratification(gov, k) for gov in self.governments}
        ok_us = self.ratify_draw["us"] < chance["us"]
        ok_cn = self.ratify_draw["cn"] < chance["cn"]
        self._show_resistance(mask, chance, {"us": ok_us, "cn": ok_cn})
        self.failed["us"] |= mask & ~ok_us
        self.failed["cn"] |= mask & ~ok_cn
        self.recorder.failed_at_home(mask & ~(ok_us & ok_cn), mask & ~ok_us, mask & ~ok_cn)
        if proposer is not None:
            self.recorder.unsigned(proposer.rival.side, mask & ~ok_us, mask & ~ok_cn, moot)
        mask = mask & ok_us & ok_cn
        if not mask.any():
            return already, moot
        self.concluded[k] |= mask
        first = mask & ~self.in_force.any(axis=0) & (self.truce_left == 0)
        self._snapshot(self._predeal, first)
        if first.any():  # what a collapse of the deals from here restores
            self._predeal_precursor = np.where(first, self.precursor_action,
                                               self._predeal_precursor)
        if pkg.precursor_action:
            self.precursor_action = self.precursor_action | mask
        if pkg.temporary:
            fresh = mask & (self.truce_left == 0)
            self._snapshot(self._truce_snapshot, fresh)
            self.truce_left = np.where(mask, int(self.p["deal.pause_weeks"]),
                                       self.truce_left).astype(np.int16)
        else:
            self.in_force[k] |= mask
            if pkg.channel == 4:
                self.truce_left = np.where(mask, 0, self.truce_left).astype(np.int16)
        afters = {gov.side: side_effect(gov, ctx, f"pkg:{k}") for gov in self.governments}
        for gov in self.governments:
            self.concede(gov, afters[gov.side], mask, f"deal_{pkg.name}",
                         cost=-ctx.package_terms(gov, k).face, size=ctx.package_size(gov, k))
            gov.acknowledges = np.where(mask, 1.0, gov.acknowledges)
            gov.private_talks = np.where(mask, 0, gov.private_talks).astype(np.int16)
        self.channel = np.where(mask, np.maximum(self.channel, pkg.channel),
                                self.channel).astype(np.int8)
        self.recorder.dealt(mask, k)
        return mask | already, moot

    def _show_resistance(self, mask: Array, chance: dict[str, Array],
                         ok: dict[str, Array]) -> None:
        """Where resistance is persistent, a package put to a side's constituencies shows
        both sides a bound on it: a failure at chance c that it is at least c, a pass that
        it is below c (a uniform resistance: what passes later is read from the bounds,
        ``WeekContext.ratification_odds``)."""
        put = mask & (np.asarray(self.p["ratification.persistent"]) > 0.5)
        if not put.any():
            return
        for side in SIDES:
            failed, passed = put & ~ok[side], put & ok[side]
            self.resistance_low[side] = np.where(
                failed, np.maximum(self.resistance_low[side], chance[side]),
                self.resistance_low[side]).astype(FLOAT)
            self.resistance_high[side] = np.where(
                passed, np.minimum(self.resistance_high[side], chance[side]),
                self.resistance_high[side]).astype(FLOAT)
            self.resistance_shown = True

    def upgrade_channel(self, mask: Array, target: Array, responder: Government) -> None:
        """Raise the channel to ``target``; official talks mean both sides admit them."""
        ctx = self.context
        official = mask & (target >= 2)
        for gov in self.governments:
            cost = ctx.acknowledge_cost(gov)
            if gov is responder and gov.side == "cn":
                skipped = np.maximum(target - self.channel - 1, 0)
                cost = cost + ctx.face_cost(gov, FLOAT(self.p["face.leader_jump_size"]) * skipped,
                                            self.p["face.multiplier_public"])
            gov.face_paid = gov.face_paid + np.where(official, cost, 0.0)
            gov.acknowledges = np.where(official, 1.0, gov.acknowledges)
        self.channel = np.where(mask, np.maximum(self.channel, target), self.channel).astype(
            np.int8)

    def _snapshot(self, store: dict[str, Array], mask: Array) -> None:
        taken = bool(mask.any())  # where no run is snapshot, what is stored stays as it is
        for gov in self.governments:
            for name, level in [*gov.layers.items(), *gov.tools.items()]:
                key = f"{gov.side}.{name}"
                old = store.get(key, np.full(self.n, np.nan, dtype=FLOAT))
                store[key] = select(mask, level, old) if taken else old

    def _restore(self, store: dict[str, Array], mask: Array, only: tuple[str, ...] = ()) -> None:
        for gov in self.governments:
            for group in (gov.layers, gov.tools):
                for name in group:
                    key = f"{gov.side}.{name}"
                    if key in store and (not only or key in only):
                        saved = store[key]
                        back = mask & ~np.isnan(saved)
                        group[name] = np.where(back, np.maximum(group[name], saved), group[name])
            gov.invalidate()

    def snapback_level(self, gov: Government, name: str, level: Array) -> Array:
        """What ``name`` of ``gov`` returns to when the running pause ends (itself if no
        pause runs or it is not paused)."""
        key = f"{gov.side}.{name}"
        saved = self._truce_snapshot.get(key)
        if key not in PAUSED or saved is None:
            return level
        back = (self.truce_left > 0) & ~np.isnan(saved)
        return np.where(back, np.maximum(level, saved), level)

    def _mobilise_audience(self, gov: Government, mask: Array) -> None:
        """Hawks and nationalists rally after a rival escalation or a leak (lit-weiss2014)."""
        jump = FLOAT(self.p["pressure.audience_jump"])
        for group in gov.constituencies:
            if not group.economic:
                group.mobilisation = group.mobilisation + jump * mask

    # --- end of week ----------------------------------------------------------------------
    def after_week(self) -> None:
        """Pauses expire, deals may collapse, private concessions and talks may leak, face
        decays, constituencies mobilise, pain accumulates."""
        p = self.p
        # a pause agreed this week starts counting next week: it lasts its full length
        running = (self.truce_left > 0) & ~self.concluded[
            [k for k, pkg in enumerate(PACKAGES) if pkg.temporary]].any(axis=0)
        self.truce_left = np.where(running, self.truce_left - 1, self.truce_left).astype(
            np.int16)
        expired = running & (self.truce_left == 0)
        if expired.any():
            self._restore(self._truce_snapshot, expired, only=PAUSED)
            self.recorder.pause_expired(expired)
        self.groundwork = self.groundwork + (self.channel >= 2)
        # reneging (lit-bown-phase-one) and the US reopening a deal (us-inconsistent-demands):
        # a weekly hazard on deals in force, from the week after the signing (as a pause
        # counts its weeks), so a deal is not undone in the week it is signed
        u, who = self.uniform(), self.uniform()
        standing = ((self.in_force.any(axis=0) | (self.truce_left > 0))
                    & ~self.concluded.any(axis=0))
        purchases = np.zeros(self.n, dtype=bool)
        for k, pkg in enumerate(PACKAGES):
            if pkg.purchases:
                purchases |= self.in_force[k]
        renege_h = p["deal.renege_hazard"] * np.where(
            purchases, p["deal.purchase_renege_multiplier"], 1.0)
        hazard = renege_h + p["us.reopen_hazard"]
        renege = standing & (u < hazard)
        if renege.any():
            self._restore(self._predeal, renege)
            self.in_force[:, renege] = False
            self.precursor_action = np.where(renege, self._predeal_precursor,
                                             self.precursor_action)
            self.truce_left = np.where(renege, 0, self.truce_left).astype(np.int16)
            by_us = who * hazard < p["us.reopen_hazard"] + 0.5 * renege_h
            for gov, mask in ((self.us, renege & by_us), (self.cn, renege & ~by_us)):
                gov.rival.face = gov.rival.face + FLOAT(p["face.escalation_commitment"]) * mask
            self.recorder.reneged(renege, by_us)
        # leaks of private concessions and of private talks (lit-kurizaki2007)
        ctx = self.context
        for gov in self.governments:
            leak = (gov.private_out > 0) & (self.uniform() < p["face.leak_probability"])
            if leak.any():
                rest = p["face.multiplier_public"] - p["face.multiplier_private"]
                gov.face_paid = gov.face_paid + np.where(
                    leak, ctx.face_cost(gov, gov.private_out, rest), 0.0)
                gov.private_out = np.where(leak, 0.0, gov.private_out)
                self.recorder.leaks[gov.side] += leak
        talking = self.us.private_talks > 0
        leak = talking & (self.uniform() < p["face.leak_probability"])
        if leak.any():
            for gov in self.governments:
                caught = leak & (gov.acknowledges < 0.5)
                gov.face_paid = gov.face_paid + np.where(caught, ctx.acknowledge_cost(gov), 0.0)
                gov.acknowledges = np.where(leak, 1.0, gov.acknowledges)
                self._mobilise_audience(gov, caught)
                gov.private_talks = np.where(leak, 0, gov.private_talks).astype(np.int16)
            self.recorder.talk_leaks |= leak
        for gov in self.governments:
            gov.private_talks = np.maximum(gov.private_talks - 1, 0).astype(np.int16)
        # face decays; constituencies mobilise as losses accumulate (Grossman & Helpman)
        pain = self.current_pain()
        keep = p["pressure.retention"]
        ctx_now = WeekContext(self)
        for gov in self.governments:
            gov.face = gov.face * p["face.decay"]
            growth = np.zeros(self.n, dtype=FLOAT)
            total = gov.economic_weight()
            for group in gov.constituencies:
                if group.economic:
                    felt = ctx_now.component(gov, pain, group.spec.feels) / self.pain_scale[
                        gov.side]
                    new = keep * group.mobilisation + felt / 52.0
                    growth = growth + group.weight * (new - group.mobilisation) / total
                    group.mobilisation = new.astype(FLOAT)
                else:
                    group.mobilisation = (keep * group.mobilisation).astype(FLOAT)
            self.pressure_growth[gov.side] = growth.astype(FLOAT)
        self.us.cum_pain = self.us.cum_pain + pain.us / 52.0
        self.cn.cum_pain = self.cn.cum_pain + pain.cn / 52.0
        self.recorder.record_state(pain)
        self._open = None  # the week's moves changed what is open (a player asks next)

    def run(self) -> None:
        """Advance to the scenario's horizon."""
        while self.week < self.horizon:
            self.step()


__all__ = ["BLOCK", "DEESCALATION_KINDS", "MOVES", "SIDES", "TradeWarModel"]
