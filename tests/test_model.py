"""The Mesa model: invariants, reproducibility, chunk-invariance, and directions."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from sim.experiments.ensemble import run_ensemble
from sim.io.scenario import Scenario, load_scenario
from sim.model.model import BLOCK, TradeWarModel
from sim.model.outcomes import OUTCOMES
from sim.model.packages import PACKAGES

from .conftest import SCENARIOS


def stepped(runs: int, weeks: int = 52, **kwargs) -> TradeWarModel:
    model = TradeWarModel(runs=runs, **kwargs)
    for _ in range(weeks):
        model.step()
    return model


def test_is_a_mesa_model_with_government_and_constituency_agents():
    model = TradeWarModel(runs=2, seed=0)
    assert isinstance(model, mesa.Model)
    kinds = {type(a).__name__ for a in model.agents}
    assert kinds == {"Government", "Constituency"}
    assert len(model.agents_by_type[type(model.us.constituencies[0])]) == 8
    model.step()
    assert model.steps == 1 and model.week == 1


def test_state_invariants_hold_every_week():
    model = TradeWarModel(runs=2000, seed=11)
    for _ in range(52):
        model.step()
        for gov in model.governments:
            assert np.all(gov.tariff() >= 0.0)
            assert np.all(np.isfinite(gov.tariff()))
            assert np.all(gov.face >= 0.0)
            assert np.all((gov.exempt >= 0.0) & (gov.exempt <= 1.0))
            assert np.all((gov.belief >= 0.0) & (gov.belief <= 1.0))
            assert np.allclose(gov.belief.sum(axis=0), 1.0, atol=1e-4)
            assert np.all(gov.cum_pain >= 0.0)
            for level in gov.layers.values():
                assert np.all(level >= 0.0)
        assert np.all((model.channel >= 0) & (model.channel <= 4))


def test_outcomes_are_classified_and_consistent(baseline_ensemble):
    runs = baseline_ensemble.runs
    assert set(runs["outcome"].cat.categories) == set(OUTCOMES)
    assert runs["outcome"].notna().all()
    deals = runs[runs["outcome"] == "comprehensive_deal"]
    assert deals["deal_week"].notna().all()
    assert (runs["us_tariff_peak"] >= runs["us_tariff_final"] - 1e-4).all()
    assert (runs["deal_week"].dropna() <= 52).all()


def test_same_seed_same_results_different_seed_different_results():
    a = stepped(1500, seed=42).recorder.runs_frame()
    b = stepped(1500, seed=42).recorder.runs_frame()
    c = stepped(1500, seed=43).recorder.runs_frame()
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert not a["us_resolve"].equals(c["us_resolve"])


def test_results_do_not_depend_on_how_runs_are_batched(baseline):
    runs = 2 * BLOCK + 300
    one = run_ensemble(baseline, runs=runs, seed=5, batch_blocks=16, path_sample=20)
    many = run_ensemble(baseline, runs=runs, seed=5, batch_blocks=1, path_sample=20)
    assert len(many.batches) == 3 and len(one.batches) == 1
    pd.testing.assert_frame_equal(one.runs, many.runs, check_exact=True)
    pd.testing.assert_frame_equal(one.paths, many.paths, check_exact=True)


@pytest.mark.parametrize("name", [p.stem for p in sorted(SCENARIOS.glob("*.yaml"))])
def test_every_scenario_is_batch_invariant(name):
    """Scripted events, deals and face costs included: no run depends on the others."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    runs = BLOCK + 200
    one = run_ensemble(scenario, runs=runs, seed=3, batch_blocks=2, path_sample=0)
    two = run_ensemble(scenario, runs=runs, seed=3, batch_blocks=1, path_sample=0)
    pd.testing.assert_frame_equal(one.runs, two.runs, check_exact=True)


def test_crossing_offers_make_one_deal():
    """Both sides offer the same package and both accept: it is concluded once, and each
    side pays its face cost once."""
    scenario = Scenario(name="cross", description="crossing offers", weeks=4, initial={
        "channel": 3}, parameters={"deal.renege_hazard": 0.0, "us.reopen_hazard": 0.0,
                    "cn.stimulus_capacity": 0.0}, events=[
        {"actor": "us", "move": "offer", "package": "truce", "mode": "forced"},
        {"actor": "cn", "move": "offer", "package": "truce", "mode": "forced"},
        {"actor": "us", "move": "accept", "mode": "forced", "week": 1},
        {"actor": "cn", "move": "accept", "mode": "forced", "week": 1},
        {"actor": "us", "move": "hold", "mode": "forced", "week": 1}])
    single = Scenario(name="single", description="one offer", weeks=4, initial={
        "channel": 3}, parameters={"deal.renege_hazard": 0.0, "us.reopen_hazard": 0.0,
                    "cn.stimulus_capacity": 0.0}, events=[
        {"actor": "us", "move": "offer", "package": "truce", "mode": "forced"},
        {"actor": "cn", "move": "hold", "mode": "forced"},
        {"actor": "cn", "move": "accept", "mode": "forced", "week": 1},
        {"actor": "us", "move": "hold", "mode": "forced", "week": 1}])
    both, one = TradeWarModel(scenario, runs=50, seed=1), TradeWarModel(single, runs=50, seed=1)
    for _ in range(2):
        both.step()
        one.step()
    truce = next(k for k, pkg in enumerate(PACKAGES) if pkg.name == "truce")
    # where China's win-set held the US offer, and the agents signed nothing else that week
    dealt = ((one.recorder.deal_week == 2) & (one.recorder.deal_kind == truce)
             & (both.recorder.deal_kind == truce))
    assert dealt.sum() > 10 and np.all(both.recorder.deal_week[dealt] == 2)
    # one pause, not two: the same clock and the same layers as a single accepted offer
    np.testing.assert_array_equal(both.truce_left[dealt], one.truce_left[dealt])
    for side in ("us", "cn"):  # the layers the pause sets (the agents' own moves aside)
        a, b = getattr(both, side), getattr(one, side)
        for name in getattr(PACKAGES[truce], f"{side}_layers"):
            np.testing.assert_array_equal(a.layers[name][dealt], b.layers[name][dealt])


def test_a_pause_lasts_its_full_length():
    scenario = Scenario(name="pause", description="one pause", weeks=30, initial={
        "channel": 3}, parameters={"deal.renege_hazard": 0.0, "us.reopen_hazard": 0.0,
                                   "cn.stimulus_capacity": 0.0}, events=[
        {"actor": "us", "move": "offer", "package": "truce", "mode": "forced"},
        {"actor": "cn", "move": "accept", "mode": "forced", "week": 1}])
    model = TradeWarModel(scenario, runs=200, seed=2)
    truce = next(k for k, pkg in enumerate(PACKAGES) if pkg.name == "truce")
    weeks_paused = np.zeros(model.n, dtype=int)
    # a lasting deal the agents signed while the pause should run ends it
    other = np.zeros(model.n, dtype=bool)
    ends = 2 + int(model.p["deal.pause_weeks"])  # signed in week 2 (accepted in week 1)
    for _ in range(30):
        model.step()
        weeks_paused += model.truce_left > 0
        if model.week <= ends:
            other |= np.delete(model.in_force, truce, axis=0).any(axis=0)
    # where both sides' constituencies ratified it and nothing replaced it
    dealt = (model.recorder.deal_week == 2) & ~other
    assert dealt.sum() >= model.n // 5  # 92 of 200: the rest sign a lasting deal within it
    assert np.all(weeks_paused[dealt] >= model.p["deal.pause_weeks"])


def test_a_single_run_is_the_same_code_as_the_ensemble():
    """Run 0 alone follows exactly the path it follows inside 3,000 vectorized runs."""
    alone = stepped(1, seed=9).recorder
    inside = stepped(3000, seed=9).recorder
    np.testing.assert_array_equal(alone.tariff["us"][:, 0], inside.tariff["us"][:, 0])
    np.testing.assert_array_equal(alone.tariff["cn"][:, 0], inside.tariff["cn"][:, 0])
    a, b = alone.runs_frame(), inside.runs_frame().iloc[:1]
    pd.testing.assert_frame_equal(a, b, check_exact=True)


@pytest.mark.parametrize("seed", [3, 4, 9])
def test_a_single_runs_beliefs_are_those_it_holds_in_the_ensemble(seed):
    """Week by week, run 0's beliefs alone are those it holds among 64 runs, bit for bit:
    they once depended on how numpy summed one run's move weights, and on whether other
    runs' sides were talking in private that week."""
    alone, inside = TradeWarModel(runs=1, seed=seed), TradeWarModel(runs=64, seed=seed)
    for _ in range(26):
        alone.step()
        inside.step()
        for a, b in ((alone.us, inside.us), (alone.cn, inside.cn)):
            np.testing.assert_array_equal(a.belief[:, 0], b.belief[:, 0])


def test_first_run_must_start_a_block():
    with pytest.raises(ValueError, match="multiple"):
        TradeWarModel(runs=10, first_run=7)


@pytest.mark.parametrize("horizon", [1, 6, 13])
def test_a_decision_horizon_at_or_below_the_pause_length_runs(horizon):
    """Issue: a decision horizon no longer than a pause (13 weeks) raised ZeroDivisionError
    inside the declared valid range; every run must still end in a named outcome."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    runs = run_ensemble(scenario, runs=300, seed=2, path_sample=0,
                        overrides={"decision.horizon_weeks": horizon}).runs
    assert runs["outcome"].isin(OUTCOMES).all()
    assert np.isfinite(runs["us_cum_pain"]).all() and np.isfinite(runs["cn_cum_pain"]).all()
