"""Decision mechanisms: face costs, simultaneity, probabilities (sim.model.decision)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.decision import Terms, WeekContext, sigmoid
from sim.model.model import TradeWarModel
from sim.model.moves import MOVES, sigmoid_gain


@pytest.fixture()
def model() -> TradeWarModel:
    return TradeWarModel(runs=64, seed=3)


def test_face_cost_rises_with_the_face_stock(model):
    cn = model.cn
    low = WeekContext(model).face_cost(cn, 0.5, 1.0)
    cn.face = cn.face * 3.0
    high = WeekContext(model).face_cost(cn, 0.5, 1.0)
    assert np.all(high > low)


def test_face_cost_rises_with_the_size_of_the_concession(model):
    ctx = WeekContext(model)
    assert np.all(ctx.face_cost(model.us, 0.6, 1.0) > ctx.face_cost(model.us, 0.2, 1.0))


def test_simultaneity_lowers_the_face_cost_of_the_same_cut(model):
    """Matched cuts cost less face than the same cut made alone (Bagwell & Staiger 1999;
    Osgood 1962): the step-down-matched terms carry a smaller face term."""
    ctx = WeekContext(model)
    p = model.p
    for gov in model.governments:
        size = ctx.concession_size(gov, ctx.state(gov, "matched"))
        alone = ctx.face_cost(gov, size, p["face.multiplier_public"])
        matched = -ctx.matched_terms(gov).face
        assert np.all(size > 0)
        assert np.all(matched < alone)
    assert p["face.multiplier_private"] < p["face.multiplier_matched"] < p[
        "face.multiplier_public"]


def test_concession_size_orders_holding_a_step_and_a_comprehensive_deal(model):
    ctx = WeekContext(model)
    for gov in model.governments:
        hold = ctx.concession_size(gov, ctx.state(gov, "now"))
        step = ctx.concession_size(gov, ctx.state(gov, f"step_down:{gov.side}"))
        deal = ctx.concession_size(gov, ctx.state(gov, "pkg:comprehensive"))
        assert np.all(hold == 0.0)
        assert np.all((step > 0.0) & (step < deal) & (deal <= 1.0 + 0.1 * len(gov.tools)))


def test_move_probabilities_are_valid(model):
    ctx = WeekContext(model)
    for gov in model.governments:
        for rival_gap in (-50.0, 0.0, 50.0):
            q = sigmoid_gain(ctx, np.full(model.n, rival_gap))
            assert np.all((q >= 0.0) & (q <= 1.0))
        for k in range(4):
            a = ctx.acceptance(gov, k)
            assert np.all((a >= 0.0) & (a <= 1.0))
    x = np.array([-1e6, -30.0, 0.0, 30.0, 1e6])
    s = sigmoid(x)
    assert np.all((s >= 0.0) & (s <= 1.0)) and s[2] == 0.5


def test_logit_choice_follows_utilities():
    """With near-zero rationality choices spread over the menu; with high rationality the
    best move dominates (McKelvey & Palfrey 1995)."""
    spread = TradeWarModel(runs=4096, seed=1, overrides={"decision.rationality": 0.01})
    sharp = TradeWarModel(runs=4096, seed=1, overrides={"decision.rationality": 20.0})
    for m in (spread, sharp):
        m.step()
    distinct_spread = len(np.unique(spread.us.choice))
    best = sharp.us.eu.argmax(axis=0)
    assert distinct_spread >= 4
    assert np.mean(sharp.us.choice == best) > 0.9


def test_every_move_has_metadata_and_finite_terms_where_available(model):
    ctx = WeekContext(model)
    for move in MOVES:
        assert move.name and move.summary and move.cites
        for gov in model.governments:
            ok = move.available(gov, ctx)
            assert ok.dtype == bool and ok.shape == (model.n,)
            if ok.any():
                total = np.broadcast_to(move.terms(gov, ctx).total, (model.n,))
                assert np.all(np.isfinite(total[ok]))


def test_terms_blend_and_total():
    yes = Terms(pain=np.array([2.0]), face=np.array([-4.0]))
    no = Terms(pain=np.array([0.0]))
    mixed = Terms.blend(np.array([0.25]), yes, no)
    assert mixed.pain[0] == pytest.approx(0.5) and mixed.face[0] == pytest.approx(-1.0)
    assert mixed.total[0] == pytest.approx(-0.5)
