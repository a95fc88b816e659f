"""The shipped scenario library: every file validates, cites evidence, runs, and replays
its path with the documented semantics."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.ensemble import run_ensemble
from sim.io.evidence import load_evidence, load_literature
from sim.io.scenario import load_scenario
from sim.model.agents import SPECS
from sim.model.events import STATUS_NAMES, TOOK_EFFECT
from sim.model.model import TradeWarModel
from sim.reports.replay import format_replay, replay_report

from .conftest import SCENARIOS

LIBRARY = ("baseline", "fentanyl_first", "mutual_step_down", "talk_dont_yield",
           "phase_one_redux", "escalation_spiral", "leader_call", "back_channel",
           "inconsistent_demands")
FILES = sorted(SCENARIOS.glob("*.yaml"))


def test_the_library_is_complete():
    assert {f.stem for f in FILES} >= set(LIBRARY)


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_scenario_cites_evidence_and_runs(path):
    scenario = load_scenario(path)
    known = set(load_evidence()) | set(load_literature())
    assert scenario.cites and set(scenario.cites) <= known
    assert any(c in scenario.description for c in scenario.cites)
    assert "?" in scenario.description  # says what question it answers
    ens = run_ensemble(scenario, runs=200, seed=1, path_sample=2)
    assert len(ens.runs) == 200 and ens.runs["outcome"].notna().all()
    report = replay_report(ens.runs, scenario)
    assert (report is None) == (not scenario.events)
    if report is not None:
        assert 0.0 <= report.completed.share <= 1.0
        assert "Scripted path" in format_replay(report)
        for e in report.events:  # a step cannot both take effect and never be put
            assert e.took_effect.share + e.never_reached <= 1.0 + 1e-9, e.id
        for ev in scenario.events:
            assert set(ens.runs[f"event_{ev.id}"].astype(str)) <= set(STATUS_NAMES.values())


def test_forced_steps_always_happen():
    """The escalation spiral forces three US hikes: each is made at its week in every run
    where the US has a step left. The US also answers China's answers of its own accord
    (us-answers-every-retaliation), so by week 8 it may stand at its ceiling, every layer
    and tool at its top: there the third hike waits until a step opens. A forced step is
    never declined."""
    scenario = load_scenario(SCENARIOS / "escalation_spiral.yaml")
    ens = run_ensemble(scenario, runs=300, seed=2, path_sample=300)
    runs = ens.runs
    for ev, week in (("us_hike_1", 1), ("us_hike_2", 4)):
        assert (runs[f"event_{ev}"] == "done").all()
        assert (runs[f"event_{ev}_week"] == week).all()
    assert not (runs["event_us_hike_3"] == "declined").any()
    on_time = runs["event_us_hike_3_week"] == 8
    assert on_time.any() and (~on_time).any()
    ceiling = 20.8 + 20.0 + 200.0  # base, fentanyl layer, us.max_reciprocal
    at_week = ens.paths[ens.paths["week"] == 8].set_index("run")["us_tariff"]
    waited = at_week.loc[runs.loc[~on_time, "run"]]
    np.testing.assert_allclose(waited, ceiling, rtol=1e-6)
    step = 25
    assert (runs["us_tariff_peak"] >= runs["us_tariff_final"]).all()
    assert (runs["us_tariff_peak"] >= 20.8 + 20 + 125 + 3 * step - 1e-3).mean() > 0.3


def test_a_completed_fentanyl_swap_removes_the_fentanyl_layer():
    """Where the swap is signed and ratified the US fentanyl layer goes to zero, exactly as
    the package says, and stays there while no deal collapses; where it is not, the layer
    stays at 20 unless the US cut it another way."""
    from sim.io.scenario import Scenario

    scenario = Scenario(name="swap", description="the fentanyl swap", weeks=8,
                        initial={"channel": 2},
                        parameters={"deal.renege_hazard": 0.0, "us.reopen_hazard": 0.0},
                        events=[{"id": "swap", "actor": "us", "move": "offer", "mode": "forced",
                                 "package": "fentanyl_for_precursors"},
                                {"id": "yes", "actor": "cn", "move": "accept", "mode": "forced",
                                 "week": 1}])
    runs = run_ensemble(scenario, runs=400, seed=3, path_sample=0).runs
    status = runs["event_swap"].astype(str)
    # China's forced answer takes it; two-level ratification: a deal both governments
    # signed can still fail at home, and the step's status says so (no retry: withdrawn)
    signed, failed = status == "accepted", status == "failed_at_home"
    assert signed.sum() > 0 and failed.sum() > 0
    assert (signed | failed | (status == "lapsed")).all()
    assert (runs.loc[failed, "failed_at_home"] >= 1).all()
    assert (runs.loc[signed, "deal_kind"] == "fentanyl_for_precursors").all()
    # where the US dropped the layer on its own before China's answer, the swap would
    # change no layer and lapses unsigned (a package is on the table only while it changes
    # a layer or a tool; China's precursor action alone does not count)
    moot = (runs["first_deescalation_kind"] == "unilateral_us") & (
        runs["first_deescalation_week"] <= 1)
    assert (status[moot] == "lapsed").all()
    assert not (runs.loc[moot, "deal_week"] <= 1).any()
    # or a deal the US accepted first that week took the layer away (US answers first)
    lapsed = (status == "lapsed") & ~moot
    assert (runs.loc[lapsed, "deal_week"] <= 2).all()  # recorded as the week after
    assert (runs.loc[lapsed, "deal_kind"] != "fentanyl_for_precursors").all()
    kept = signed & (runs["renege_week"].isna())
    assert (runs.loc[kept, "us_fentanyl_final"] == 0.0).all()
    assert runs.loc[kept, "cn_precursor_action"].all()  # China's half, recorded
    untouched = failed & runs["first_deescalation_week"].isna()
    assert untouched.sum() > 0
    assert (runs.loc[untouched, "us_fentanyl_final"] == 20.0).all()
    assert not runs.loc[untouched, "cn_precursor_action"].any()
    tools = [f"{side}_{t}_final" for side, names in (("us", SPECS["us"].tools),
                                                    ("cn", SPECS["cn"].tools)) for t in names]
    assert ((runs[tools] >= 0.0) & (runs[tools] <= 1.0)).all().all()


def test_a_declined_proposal_is_recorded_with_its_count():
    scenario = load_scenario(SCENARIOS / "fentanyl_first.yaml")
    runs = run_ensemble(scenario, runs=600, seed=4, path_sample=0).runs
    assert (runs["event_fentanyl_talks_declined"] > 0).mean() > 0.5
    assert (runs["event_fentanyl_talks_rejected"] > 0).mean() > 0.3
    report = replay_report(runs, scenario)
    reasons = {b.reason for b in report.breakdowns}
    assert any("China" in r for r in reasons)


def test_conditions_fire_only_when_met():
    """The ministerial step waits for the swap: it is never put before the swap took effect."""
    scenario = load_scenario(SCENARIOS / "fentanyl_first.yaml")
    model = TradeWarModel(scenario, runs=800, seed=5)
    swap, ministerial = model.events.ids.index("fentanyl_swap"), model.events.ids.index(
        "ministerial_talks")
    ever_put = np.zeros(model.n, dtype=bool)
    for _ in range(scenario.weeks):
        model.step()
        put = model.events.fired_week[ministerial] == model.week - 1
        took = np.isin(model.events.status[swap], TOOK_EFFECT)  # final once reached
        assert not np.any(put & ~took)
        ever_put |= put
    assert ever_put.any()
