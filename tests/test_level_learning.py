"""Learning how the rival reasons (``decision.obstinacy_prior``; ``choice.update_level_beliefs``).

A side's forecast of when its rival gives in is a cognitive hierarchy (Camerer, Ho & Chong
2004) whose weights stay fixed in the model. With the switch on, a side learns them: a
level at which the rival would have given in, while it held out, loses weight to an
obstinate rival (Abreu & Gul 2000), and a rival that gives in is not obstinate.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.ensemble import run_ensemble
from sim.io.scenario import load_scenario
from sim.model.choice import update_level_beliefs
from sim.model.decision import sigmoid
from sim.model.model import TradeWarModel
from sim.model.moves import INDEX
from tests.conftest import SCENARIOS
from tests.test_ablations import METRICS

Z = 0.0625  # exact in float32


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(SCENARIOS / "baseline.yaml")


def test_without_the_switch_no_side_learns_levels(baseline):
    model = TradeWarModel(baseline, runs=64, seed=1)
    model.step()
    assert model.us.level_belief is None and model.cn.level_belief is None


def test_the_prior_is_the_hierarchy_and_a_small_chance_of_obstinacy(baseline):
    model = TradeWarModel(baseline, runs=64, seed=1,
                          overrides={"decision.obstinacy_prior": Z})
    level = int(model.p["decision.reasoning_level"])
    weights = model.us.level_belief
    assert weights.shape == (level + 1, 64)
    np.testing.assert_allclose(weights.sum(axis=0), 1.0, rtol=1e-6)
    np.testing.assert_allclose(weights[-1], Z)
    tau = float(model.p["decision.hierarchy_tau"])
    pmf = np.array([tau**lv / np.prod(np.arange(1, lv + 1)) for lv in range(level)])
    np.testing.assert_allclose(weights[:-1, 0], (1 - Z) * pmf / pmf.sum(), rtol=1e-6)


def test_holding_out_where_a_level_says_the_rival_gives_in_builds_a_reputation(baseline):
    """At week 0 under best response the US holds in every run. Where China's level-0
    forecast had the US taking China's demand, China's weight on level 0 falls and its
    weight on an obstinate US rises; where the forecast had the US holding out too, the
    hold teaches little."""
    model = TradeWarModel(baseline, runs=256, seed=1,
                          overrides={"decision.obstinacy_prior": Z,
                                     "decision.best_response": 1})
    prior = model.cn.level_belief.copy()
    model.step()
    ctx = model.context
    assert (model.us.choice == INDEX["hold"]).all()
    k = ctx.demand(model.cn)
    gaps = ctx.concession_gaps(model.us, k, 0)
    takes = (model.cn.belief * sigmoid(ctx.lam * gaps)).sum(axis=0)  # belief after the week
    post = model.cn.level_belief
    expected = (k >= 0) & (takes > 0.9)
    assert expected.sum() > 20
    assert (post[0, expected] < 0.25 * prior[0, expected]).all()
    assert (post[-1, expected] > 3 * prior[-1, expected]).all()
    quiet = (k >= 0) & (takes < 0.01)
    np.testing.assert_allclose(post[:, quiet], prior[:, quiet], rtol=0.05)


def test_a_rival_that_gives_in_is_not_obstinate(baseline):
    model = TradeWarModel(baseline, runs=256, seed=1,
                          overrides={"decision.obstinacy_prior": Z})
    model.step()
    ctx = model.context
    before = model.cn.level_belief.copy()
    model.us.choice[:] = INDEX["step_down_alone"]
    model.us.scripted[:] = 0
    update_level_beliefs(model, ctx)
    seen = ctx.demand(model.cn) >= 0
    assert seen.sum() > 20
    after = model.cn.level_belief[-1, seen]
    assert (after < before[-1, seen]).all()
    assert after.mean() < 0.5 * before[-1, seen].mean()


def test_a_forced_move_teaches_nothing(baseline):
    model = TradeWarModel(baseline, runs=128, seed=1,
                          overrides={"decision.obstinacy_prior": Z})
    model.step()
    before = model.cn.level_belief.copy()
    model.us.scripted[:] = 1
    model.us.answer[:] = 0
    update_level_beliefs(model, model.context)
    np.testing.assert_array_equal(model.cn.level_belief, before)


def test_complete_information_brings_deals_at_best_response(baseline):
    """With types known and no decision noise, nothing is left to screen, and deals come by
    week 26 in nearly every run, whether or not each side learns how its rival reasons
    (lit-fearon1995). (While holding out for the deal on the table was worth as much as
    taking it, best response turned such offers down and no run had a deal by week 26;
    docs/validation.md.)"""
    fixed = {"decision.known_types": 1, "decision.best_response": 1}
    for ov in (fixed, {**fixed, "decision.obstinacy_prior": Z}):
        by_26 = METRICS["deal_by_26"](run_ensemble(baseline, runs=600, seed=11, overrides=ov,
                                                   path_sample=0))
        assert by_26.mean() > 0.95, (ov, by_26.mean())


def test_runs_record_the_weight_each_side_puts_on_an_obstinate_rival(baseline):
    on = run_ensemble(baseline, runs=256, seed=2, path_sample=0,
                      overrides={"decision.obstinacy_prior": Z}).runs
    off = run_ensemble(baseline, runs=256, seed=2, path_sample=0).runs
    for column in ("us_belief_cn_obstinate", "cn_belief_us_obstinate"):
        assert (off[column] == 0).all()
        assert on[column].between(0, 1).all()
        assert on[column].std() > 0.05  # learned, run by run, not the prior
