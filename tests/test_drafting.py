"""A lasting comprehensive agreement takes time to negotiate (us-deal-2-3-years: "two to
three years"), and a deal in force binds: ``TradeWarModel.package_open`` and
``TradeWarModel.bound_by_deal``."""

from __future__ import annotations

import numpy as np

from sim.experiments.ensemble import run_ensemble
from sim.io.scenario import load_scenario
from sim.model.economics import FLOAT
from sim.model.model import TradeWarModel
from sim.model.moves import INDEX
from sim.model.packages import COMPREHENSIVE, PACKAGES
from sim.model.packages import INDEX as PACKAGE_INDEX

from .conftest import SCENARIOS

LASTING_BIG = sorted(COMPREHENSIVE)


def _open(m: TradeWarModel, k: int) -> np.ndarray:
    m._open = None
    return m.package_open(k)


def test_the_comprehensive_packages_are_those_signed_at_leader_level():
    assert {PACKAGES[k].name for k in LASTING_BIG} == {
        "comprehensive", "phase_one", "comprehensive_controls"}


def test_a_comprehensive_agreement_opens_only_after_its_drafting_weeks():
    m = TradeWarModel(runs=3, seed=1, overrides={"deal.drafting_weeks": 20})
    m.groundwork = np.array([0.0, 19.0, 20.0], dtype=FLOAT)
    for k in LASTING_BIG:
        np.testing.assert_array_equal(_open(m, k), [False, False, True])
    # pauses, partial deals and single items need no drafting time
    for name in ("truce", "partial_cut", "fentanyl_for_precursors", "us_gives_more"):
        assert _open(m, PACKAGE_INDEX[name]).all()


def test_weeks_of_official_talks_count_towards_drafting_and_working_level_does_not():
    m = TradeWarModel(runs=4, seed=1, overrides={"initial.talks_weeks": 3})
    np.testing.assert_array_equal(m.groundwork, 3.0)
    m.channel = np.array([0, 1, 2, 4], dtype=np.int8)
    m.play("us", "hold")  # nobody moves the channel this week
    m.play("cn", "hold")
    m.step()
    np.testing.assert_array_equal(m.groundwork, [3.0, 3.0, 4.0, 4.0])


def test_no_comprehensive_deal_before_the_drafting_is_done():
    """With the default drafting time (130 weeks) no run signs a lasting comprehensive
    agreement within the year; with none, some runs at best response do (18% of these
    400; the rest sign the US cutting to the floor first, sooner)."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    kinds = {PACKAGES[k].name for k in LASTING_BIG}
    default = run_ensemble(scenario, runs=400, seed=5, path_sample=0).runs
    assert not default["deal_kind"].isin(kinds).any()
    at_once = run_ensemble(scenario, runs=400, seed=5, path_sample=0,
                           overrides={"deal.drafting_weeks": 0,
                                      "decision.best_response": 1}).runs
    assert at_once["deal_kind"].isin(kinds).mean() > 0.1


def test_a_side_bound_by_a_deal_does_not_choose_to_escalate():
    m = TradeWarModel(runs=4, seed=2, overrides={"decision.best_response": 1})
    k = PACKAGE_INDEX["us_gives_more"]
    m.in_force[k] = np.array([True, True, False, False])
    m.truce_left = np.array([0, 0, 5, 0], dtype=np.int16)
    np.testing.assert_array_equal(m.bound_by_deal("us"), [True, True, True, False])
    np.testing.assert_array_equal(m.bound_by_deal("cn"), [True, True, True, False])
    m._open = None
    m.step()
    for gov in m.governments:
        assert not (gov.choice[:3] == INDEX["escalate"]).any()
        assert np.isneginf(gov.eu[INDEX["escalate"], :3]).all()


def test_a_forced_escalation_still_happens_under_a_deal():
    """Only the agent's own choice is bound: a scenario's forced step is made."""
    m = TradeWarModel(runs=2, seed=2)
    m.in_force[PACKAGE_INDEX["us_gives_more"]] = True
    before = m.us.tariff().copy()
    m.play("us", "escalate")
    m.step()
    assert (m.us.choice == INDEX["escalate"]).all()
    assert (m.us.tariff() > before).all()
