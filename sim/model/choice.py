"""Choosing and learning: each week a government answers the rival's proposals and picks
a move; then each side updates its belief about the rival's type on what the rival did.

Choices follow logit quantal response, P(a) ~ exp(lambda EU(a)) (McKelvey & Palfrey 1995;
Signorino 1999), or best response when ``decision.best_response`` is set, over the moves
the agent may choose freely (``Move.chosen_freely``: not a proposal it reckons certain to
be turned down; nor, ``moot``, any move worth exactly what holding is worth to every type
of the side: holding under another name).  Beliefs follow
Bayes' rule with the rival's own decision rule as the likelihood, type by type: a type
that would have conceded but held out becomes less likely, and so does a type that would
not have made the commitment it made (Fudenberg & Tirole 1986; Fearon 1997; Slantchev
2003).  An observer allows for mistakes (``decision.tremble``), and learns nothing from
moves a scenario forced.  Back-channel talks add a private signal of each side's resolve
(Kurizaki 2007).  Where ``decision.obstinacy_prior`` is above 0, each side also learns how
its rival reasons (``update_level_beliefs``; Abreu & Gul 2000).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import TYPE_Z, Government
from sim.model.decision import FLOAT, Terms, WeekContext, logit_choice, logit_weights, sigmoid
from sim.model.moves import ANSWERS, INDEX, MOVES, priced, proposal_terms
from sim.model.vector import pick, select

if TYPE_CHECKING:
    from sim.model.model import TradeWarModel

Array = np.ndarray
ACCEPT, REJECT = 1, 2  # ``Government.answer``: 0 nothing on the table


def choose(me: Government, ctx: WeekContext) -> None:
    """Answer the rival's proposals, then pick each run's move; scenario events and a
    human player may then override (``EventBook``)."""
    model = ctx.model
    n = me.n
    answer(me, ctx)
    eu = np.full((len(MOVES), n), -np.inf, dtype=FLOAT)
    face = np.zeros((len(MOVES), n), dtype=FLOAT)
    table: list[Terms | None] = []
    for i, move in enumerate(MOVES):
        if move.answer:
            table.append(None)
            continue
        ok = move.chosen_freely(me, ctx)
        if not ok.any():
            table.append(None)
            continue
        terms = priced(move, move.terms(me, ctx), ctx)
        table.append(terms)
        eu[i] = select(ok, np.broadcast_to(terms.total, (n,)), -np.inf)
        face[i] = np.broadcast_to(terms.face, (n,))
    # each possible type's face terms, as the rival reckons them: resolve scales face
    # costs, except that a commitment costs a type as much as it expects to back down
    type_face = (me.types / me.resolve[None, :])[:, None, :] * face[None, :, :]
    kappa = ctx.p["face.escalation_commitment"]
    for i, move in enumerate(MOVES):
        if move.commitment and table[i] is not None:
            type_face[:, i, :] = ctx.commitment_by_type(me, kappa)
    if table[INDEX["escalate"]] is not None and ctx.answer_due[me.side].any():
        # an answer that is due keeps the side's word, worth more to a more resolute type
        type_face[:, INDEX["escalate"], :] += ctx.unanswered_cost(me, types=True)
    by_type = eu[None, :, :] + type_face - face[None, :, :]  # each type's utilities
    hold = INDEX["hold"]
    for i, move in enumerate(MOVES):
        if table[i] is not None and not move.status_quo:
            eu[i] = select(moot(by_type[:, i, :], by_type[:, hold, :]), -np.inf, eu[i])
    accepting = me.answer == ACCEPT
    if accepting.any():  # a side signing a deal this week makes no other move
        keep = np.zeros(len(MOVES), dtype=bool)
        keep[INDEX["hold"]] = True
        eu[:, accepting] = np.where(keep[:, None], eu[:, accepting], -np.inf)
    me.choice = logit_choice(eu, ctx.lam, ctx.best_response, model.uniform()).astype(np.int8)
    me.choice_arg = np.full(n, -1, dtype=np.int16)
    me.scripted = np.zeros(n, dtype=np.int16)  # 1 + index of the event that set the move
    me.eu, me.face_terms, me.type_face, me.table = eu, face, type_face, table
    model.events.apply(me, ctx, eu, table)
    model.events.apply_player(me, ctx, eu, table)


def moot(move: Array, hold: Array) -> Array:
    """Runs in which a move is worth exactly what holding is worth to every type of the
    side (``move`` and ``hold``: each type's expected utility, types x runs, as the rival
    reckons them when it learns from the move): it changes nothing the side values (a
    channel upgrade that opens no better offer, a tool eased that neither hurts nor helps
    the side, a proposal whose chance is lost below the arithmetic's precision).  The
    agent does not make such a move of its own accord: a tie-break for the status quo,
    which best response makes too, where logit choice would pick the move as often as
    holding and let the noise decide its consequences for the rival (a rule with
    independent alternatives gives an option and its copy twice the weight:
    lit-debreu1960).  This is a modelling choice, like leaving out proposals certain to be
    turned down: the choice rule jumps at the exact tie (a move a little worse than
    holding stays on the menu).  Testing the tie for every type keeps the menu the same
    whatever the side's type, so the rival's Bayesian update reads the side's own rule.  A
    scenario may still force such a move, and a player make it."""
    return (np.isfinite(move) & (move == hold)).all(axis=0)


def nothing_to_match(me: Government, ctx: WeekContext) -> Array:
    """Runs in which matched cuts would cut nothing on either side: a proposal of them,
    made before a deal took the layers down, is moot and lapses unanswered, as a package
    that no longer changes anything does (``TradeWarModel.conclude``).  Answering it would
    change nothing but the answering side's move that week."""
    return ((ctx.concession_size(me, ctx.state(me, "matched")) <= 0)
            & (ctx.concession_size(me.rival, ctx.state(me.rival, "matched")) <= 0))


def answer(me: Government, ctx: WeekContext) -> None:
    """Decide, in every run, whether to accept what the rival has on the table: its
    proposal of last week, or a scenario's standing proposal (the better of the two)."""
    rival = me.rival
    n = me.n
    hold = ctx.hold(me)
    gains, faces = [], []
    idle = np.zeros(n, dtype=bool)  # a standing proposal left with nothing to change
    for standing, (kind, arg) in enumerate(((rival.pending_kind, rival.pending_arg),
                                            (rival.tabled(ctx.model.week),
                                             rival.standing_arg))):
        if (kind == 3).any():  # matched cuts that a deal since has left nothing to cut
            empty = (kind == 3) & nothing_to_match(me, ctx)
            kind = np.where(empty, 0, kind)
            if standing:
                idle = empty
        if (kind != 0).any():
            terms = proposal_terms(me, ctx, kind, arg)
            gain = select(kind != 0, terms.total - hold.total, -np.inf)
            face = np.broadcast_to(terms.face - hold.face, (n,))
        else:
            gain, face = np.full(n, -np.inf, dtype=FLOAT), np.zeros(n, dtype=FLOAT)
        gains.append(gain)
        faces.append(face)
    target = np.where(gains[1] > gains[0], 2, 1).astype(np.int8)
    second = target == 2
    gain = select(second, gains[1], gains[0])
    face = select(second, faces[1], faces[0])
    on_table = np.isfinite(gain)
    u = ctx.model.uniform()
    yes = (gain > 0) if ctx.best_response else (
        u < sigmoid(ctx.lam * select(on_table, gain, 0.0)))
    me.answer = np.where(on_table, np.where(yes, ACCEPT, REJECT), 0).astype(np.int8)
    me.answer_target = np.where(on_table, target, 0).astype(np.int8)
    me.answer_gain = select(on_table, gain, 0.0).astype(FLOAT)
    me.answer_face = select(on_table, face, 0.0).astype(FLOAT)
    me.answer_scripted = np.zeros(n, dtype=bool)
    me.standing_idle = idle  # lapses unanswered (``TradeWarModel._answer``)


GIVES_IN = np.array([m.name in ("step_down_alone", "step_down_matched", "step_down_private")
                     for m in MOVES])
"""Moves in which a side gives in (by move index), for ``update_level_beliefs``."""
PROPOSES = np.array([m.name in ("offer", "offer_private") for m in MOVES])
"""Proposals of a package (by move index): no evidence of how the proposer reasons."""


def update_level_beliefs(model: TradeWarModel, ctx: WeekContext) -> None:
    """Each side's weights on how its rival reasons, after this week: a level of the
    hierarchy at which the rival would have taken the deal the side holds out for, yet it
    held out, becomes less likely, and an obstinate rival more so; a rival that gave in
    (accepted, or stepped down) is not obstinate.  Holding out thus builds a reputation
    (lit-abreu-gul2000), and a side that waits for a rival who does not come round stops
    expecting it to (lit-camerer-ho-chong2004).  A proposal is no evidence either way (an
    obstinate side proposes its own terms); forced moves teach nothing.  The weights are
    updated apart from the belief about the rival's type, each level's forecast weighed by
    that belief as it stands (a joint posterior would need the type update, which uses the
    rival's own rule, and the forecast, which uses lower levels, to agree on how the rival
    reasons)."""
    eps = model.p["decision.tremble"]
    lam = ctx.lam
    # the runs that learn: a prior above 0 (in a packed model, not every run's)
    learns = np.asarray(model.p["decision.obstinacy_prior"]) > 0
    for observer in model.governments:
        weights = observer.level_belief
        if weights is None:
            continue
        actor = observer.rival
        k = ctx.demand(observer)
        took = GIVES_IN[actor.choice] | ((actor.answer == ACCEPT) & ~actor.answer_scripted)
        seen = (actor.scripted == 0) & ~PROPOSES[actor.choice] & (k >= 0) & learns
        if not seen.any():
            continue
        like = np.empty_like(weights)
        for lv in range(weights.shape[0] - 1):
            gaps = ctx.concession_gaps(actor, k, lv)
            takes = (observer.belief * sigmoid(lam * gaps)).sum(axis=0)
            like[lv] = np.where(took, takes, 1.0 - takes)
        like[-1] = np.where(took, 0.0, 1.0)
        like = (1.0 - eps) * like + 0.5 * eps
        post = weights * like
        post = post / np.maximum(post.sum(axis=0, keepdims=True), 1e-30)
        observer.level_belief = np.where(seen[None, :], post, weights).astype(FLOAT)


def update_beliefs(model: TradeWarModel, ctx: WeekContext) -> None:
    """Each side's belief about the rival's type, after this week's answers and moves."""
    update_level_beliefs(model, ctx)
    eps = model.p["decision.tremble"]
    lam = ctx.lam
    for observer in model.governments:
        actor = observer.rival
        ratio = actor.types / actor.resolve[None, :]  # (K, runs)
        like = np.ones((len(TYPE_Z), actor.n), dtype=FLOAT)
        # the move: the actor's logit choice, recomputed with each type's face costs (a
        # move that is not open has no weight: its utility is -inf)
        eu = actor.eu[None, :, :] + actor.type_face
        eu -= actor.face_terms[None, :, :]
        w = logit_weights(eu, lam, axis=1)
        chosen = actor.choice.astype(np.intp)
        p_move = np.stack([pick(w[k], chosen) for k in range(len(TYPE_Z))])
        # the moves' weights summed in menu order, whatever the number of runs (numpy sums
        # the rows of many runs one after another, but one run's row pairwise)
        total = w[:, 0].copy()
        for i in range(1, w.shape[1]):
            total += w[:, i]
        p_move = p_move / np.maximum(total, 1e-30)
        menu = np.maximum(np.isfinite(eu[0]).sum(axis=0), 1)
        p_move = (1.0 - eps) * p_move + eps / menu
        free = actor.scripted == 0
        like = like * select(free[None, :], p_move, 1.0)
        # the answer: accept if the gain (with each type's face) is positive
        answered = (actor.answer != 0) & ~actor.answer_scripted
        if answered.any():
            gap = actor.answer_gain[None, :] + (ratio - 1.0) * actor.answer_face[None, :]
            p_yes = sigmoid(lam * gap)
            p_yes = (1.0 - eps) * p_yes + eps * 0.5
            p_ans = select(actor.answer == ACCEPT, p_yes, 1.0 - p_yes)
            like = like * select(answered[None, :], p_ans, 1.0)
        post = observer.belief * like
        observer.belief = (post / np.maximum(post.sum(axis=0, keepdims=True), 1e-30)).astype(
            FLOAT)
    # private talks reveal something of each side's resolve (lit-kurizaki2007)
    if ctx.back_channel:
        talking = (model.us.private_talks > 0) | (model.cn.private_talks > 0)
        if talking.any():
            sd = model.p["channel.signal_noise"]
            for observer in model.governments:
                actor = observer.rival
                s = TYPE_Z[actor.type_index] + sd * model.normal()
                like = np.exp(-0.5 * ((s[None, :] - TYPE_Z[:, None]) / sd) ** 2)
                post = observer.belief * like
                post = post / np.maximum(post.sum(axis=0, keepdims=True), 1e-30)
                # only the runs whose sides talked learn (and are normalised again), so a
                # run's belief does not depend on whether other runs of the model talk
                observer.belief = select(talking[None, :], post, observer.belief).astype(FLOAT)
        else:
            for _ in model.governments:
                model.normal()  # keep the random stream in step whatever happens


__all__ = ["ACCEPT", "ANSWERS", "REJECT", "answer", "choose", "moot", "nothing_to_match",
           "update_beliefs", "update_level_beliefs"]
