"""Scenario hypotheses: the schema (file:line: field messages), the checker's statistics on
paired data with a known answer, and every library scenario's hypothesis checked with common
random numbers against the verdict documented in docs/hypotheses-readings.yaml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.ensemble import Ensemble
from sim.experiments.hypothesis import (
    LIBRARY_RUNS,
    check_hypothesis,
    evaluate,
    judge,
    metric_difference,
)
from sim.io.scenario import Scenario, load_scenario, why_citations
from sim.model.metrics import BY_NAME, METRICS
from sim.reports.hypotheses import documented_verdict, load_readings, markdown

from .conftest import ROOT, SCENARIOS
from .test_scenario_library import LIBRARY

READINGS = ROOT / "docs" / "hypotheses-readings.yaml"

GOOD = """\
name: probe
description: a test scenario
weeks: 20
runs: 10
"""

HYP = """\
hypothesis:
  metric: deal_share
  direction: higher
  why: >-
    Matched cuts cost less face [lit-bagwell-staiger1999].
"""


def write(tmp_path: Path, text: str, name: str = "probe.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- schema -----------------------------------------------------------------------------

def test_a_good_hypothesis_loads_with_baseline_as_default_reference(tmp_path):
    hyp = load_scenario(write(tmp_path, GOOD + HYP)).hypothesis
    assert hyp is not None
    assert (hyp.metric, hyp.direction, hyp.against) == ("deal_share", "higher", "baseline")


def test_the_hypothesis_is_optional_for_users(tmp_path):
    assert load_scenario(write(tmp_path, GOOD)).hypothesis is None


# (extra text, expected line, expected field, words the message must contain)
BAD = {
    "missing why": (HYP.split("  why")[0], 5, "hypothesis.why", "required field is missing"),
    "unknown metric": (HYP.replace("deal_share", "happiness"), 6, "hypothesis.metric",
                       "got 'happiness'"),
    "bad direction": (HYP.replace("higher", "up"), 7, "hypothesis.direction", "'higher'"),
    "unknown key": (HYP + "  colour: red\n", 10, "hypothesis.colour", "unknown key"),
    "missing direction": (HYP.replace("  direction: higher\n", ""), 5,
                          "hypothesis.direction", "required field is missing"),
    "missing metric": (HYP.replace("  metric: deal_share\n", ""), 5, "hypothesis.metric",
                       "required field is missing"),
    "week missing": (HYP.replace("deal_share", "deal_by_week"), 5, "hypothesis.week",
                     "needs a week"),
    "week not taken": (HYP + "  week: 4\n", 10, "hypothesis.week", "takes no week"),
    "week past horizon": (HYP.replace("deal_share", "deal_by_week") + "  week: 30\n", 10,
                          "hypothesis.week", "past the horizon"),
    "tolerance without same": (HYP + "  tolerance: 0.05\n", 10, "hypothesis.tolerance",
                               "goes with direction 'same'"),
    "negative tolerance": (HYP.replace("higher", "same") + "  tolerance: -1\n", 10,
                           "hypothesis.tolerance", "greater than 0"),
    "reference with direction": (HYP + "  against: null\n", 6, "hypothesis.metric",
                                 "states no direction"),
    "own reference": (HYP + "  against: probe\n", 10, "hypothesis.against",
                      "its own reference"),
    "uncited why": (HYP.replace("[lit-bagwell-staiger1999]", "lit-bagwell-staiger1999"), 8,
                    "hypothesis.why", "cites no evidence"),
    "unknown citation": (HYP.replace("lit-bagwell-staiger1999", "lit-bagwell-staiger1990"), 8,
                         "hypothesis.why", "did you mean 'lit-bagwell-staiger1999'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_hypothesis_is_refused_with_file_line_field(case, tmp_path, capsys):
    extra, line, field, words = BAD[case]
    path = write(tmp_path, GOOD + extra)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith(f"{path}:{line}: {field}: "), first
    assert words in err, err
    assert "Traceback" not in err


def test_citations_are_read_from_brackets():
    assert why_citations("a [x-1, y-2] b [z-3; w] c") == ["x-1", "y-2", "z-3", "w"]
    assert why_citations("no citations, only cn-equal-basis") == []


def test_every_metric_is_documented_and_computable():
    runs = pd.DataFrame({
        "outcome": pd.Categorical(["comprehensive_deal", "escalation", "truce", "partial_deal"]),
        "first_talks_week": pd.array([0, None, 5, 30], dtype="Int16"),
        "deal_week": pd.array([3, None, 10, 40], dtype="Int16"),
        "us_tariff_final": [20.0, 150.0, 30.0, 60.0], "cn_tariff_final": [20.0, 130.0, 30.0, 40.0],
    })
    for m in METRICS:
        assert m.doc and m.unit and m.tolerance > 0, m.name
        v = m.per_run(runs, 10 if m.needs_week else None)
        assert v.shape == (4,)
    assert BY_NAME["deal_share"].of(runs) == 0.75
    assert BY_NAME["talks_share"].of(runs) == 0.75
    assert BY_NAME["deal_by_week"].of(runs, 10) == 0.5  # never (NaN) is not "by week 10"
    assert BY_NAME["median_deal_week"].of(runs) == 10.0
    assert BY_NAME["mean_tariff_final"].of(runs) == 60.0


# --- statistics -------------------------------------------------------------------------

@pytest.mark.parametrize(("direction", "low", "high", "verdict"), [
    ("higher", 0.01, 0.05, "supported"), ("higher", -0.05, -0.01, "contradicted"),
    ("higher", -0.01, 0.02, "inconclusive"), ("higher", 0.0, 0.0, "inconclusive"),
    ("lower", -0.05, -0.01, "supported"), ("lower", 0.01, 0.05, "contradicted"),
    ("lower", -0.01, 0.02, "inconclusive"), ("higher", float("nan"), 1.0, "inconclusive"),
])
def test_verdict_rule(direction, low, high, verdict):
    assert judge(direction, low, high) == verdict


def test_verdict_rule_for_same():
    assert judge("same", -0.01, 0.015, 0.02) == "supported"
    assert judge("same", 0.03, 0.05, 0.02) == "contradicted"
    assert judge("same", -0.08, -0.03, 0.02) == "contradicted"
    assert judge("same", 0.01, 0.04, 0.02) == "inconclusive"


def test_paired_share_difference_has_the_known_answer():
    """Pairs differ in 600 of 10,000 runs, +1 in 400 and -1 in 200: the difference is
    +2.0% with standard error sqrt((0.06 - 0.02**2) / n), about 0.24%."""
    n = 10_000
    b = np.zeros(n, dtype=bool)
    b[:5000] = True
    a = b.copy()
    a[5000:5400] = True   # +1
    a[:200] = False       # -1
    diff, low, high = metric_difference(BY_NAME["deal_share"], a, b, np.random.default_rng(0))
    assert diff == pytest.approx(0.02)
    se = np.sqrt((0.06 - 0.02**2) / n)
    assert low == pytest.approx(0.02 - 1.96 * se, abs=0.001)
    assert high == pytest.approx(0.02 + 1.96 * se, abs=0.001)
    # unpaired, the same shares (50% and 52%) would give an interval about 3 times wider
    assert high - low < 0.012


def test_paired_mean_difference_uses_the_pairing():
    """A large common run-to-run spread and a shift of -1.0: pairing removes the spread."""
    rng = np.random.default_rng(1)
    common = rng.normal(100.0, 30.0, 5000)
    a, b = common - 1.0 + rng.normal(0, 0.5, 5000), common
    diff, low, high = metric_difference(BY_NAME["mean_us_tariff_final"], a, b,
                                        np.random.default_rng(0))
    assert diff == pytest.approx(-1.0, abs=0.03)
    assert low < -1.0 < high and high - low < 0.1
    assert judge("lower", low, high) == "supported"


def test_paired_median_difference_over_runs_that_reach_it():
    weeks = np.array([10.0, 20.0, 30.0, np.nan] * 500)
    diff, low, high = metric_difference(BY_NAME["median_deal_week"], weeks - 4, weeks,
                                        np.random.default_rng(0))
    assert diff == -4.0 and low == high == -4.0
    none = np.full(2000, np.nan)
    diff, low, high = metric_difference(BY_NAME["median_deal_week"], none, weeks,
                                        np.random.default_rng(0))
    assert np.isnan(diff) and np.isnan(low)
    assert judge("lower", low, high) == "inconclusive"


def _ensemble(scenario: Scenario, outcomes: list[str], seed: int = 1) -> Ensemble:
    n = len(outcomes)
    runs = pd.DataFrame({"outcome": pd.Categorical(outcomes)})
    return Ensemble(scenario, seed, n, {}, runs, pd.DataFrame(), {}, 0)


def test_evaluate_on_synthetic_ensembles():
    scenario = Scenario.model_validate({
        "name": "s", "description": "d",
        "hypothesis": {"metric": "deal_share", "direction": "lower", "why": "[us-not-zero]"}})
    ref = _ensemble(Scenario.baseline(), ["truce"] * 600 + ["escalation"] * 400)
    ens = _ensemble(scenario, ["truce"] * 500 + ["escalation"] * 500)
    check = evaluate(scenario, ens, ref)
    assert check.difference == pytest.approx(-0.1)
    assert (check.value, check.reference) == (0.5, 0.6)
    assert check.verdict == "supported" and check.high < 0
    with pytest.raises(ValueError, match="common random numbers"):
        evaluate(scenario, _ensemble(scenario, ["truce"] * 1000, seed=2), ref)


# --- command line -----------------------------------------------------------------------

def test_cli_checks_a_hypothesis(tmp_path, capsys):
    path = write(tmp_path, GOOD + HYP)
    assert main(["hypothesis", str(path), "--runs", "64", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "deal_share higher than baseline" in out and "verdict:" in out


@pytest.mark.parametrize(("text", "words"), [
    (GOOD, "states no hypothesis"),
    (GOOD + HYP + "  against: elsewhere\n", "no scenario file elsewhere.yaml"),
])
def test_cli_refuses_what_it_cannot_check(text, words, tmp_path, capsys):
    path = write(tmp_path, text)
    assert main(["hypothesis", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith(f"{path}:") and words in err


def test_reference_by_name_beside_the_file(tmp_path, capsys):
    write(tmp_path, GOOD.replace("probe", "other"), "other.yaml")
    path = write(tmp_path, GOOD + HYP + "  against: other\n")
    assert main(["hypothesis", str(path), "--runs", "32"]) == 0
    assert "than other" in capsys.readouterr().out


# --- the library --------------------------------------------------------------------------

FILES = sorted(SCENARIOS.glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_library_scenarios_state_a_hypothesis(path):
    scenario = load_scenario(path)
    hyp = scenario.hypothesis
    assert hyp is not None, "library scenarios must state a hypothesis"
    assert why_citations(hyp.why)
    if scenario.name == "baseline":
        assert hyp.against is None
    else:
        assert hyp.against == "baseline" and hyp.direction is not None


@pytest.fixture(scope="module")
def cache() -> dict:
    return {}


@pytest.mark.parametrize("name", LIBRARY)
def test_library_hypothesis_verdict_is_the_documented_one(name, cache):
    """Run with common random numbers; the verdict must be `supported` unless
    docs/hypotheses-readings.yaml documents the model's disagreement (regenerate
    docs/hypotheses.md when it changes: see that file)."""
    readings = load_readings(READINGS)
    check = check_hypothesis(SCENARIOS / f"{name}.yaml", runs=LIBRARY_RUNS, cache=cache)
    expected = documented_verdict(name, readings, reference=check.against is None)
    assert check.verdict == expected, (
        f"{name}: {check.statement}: measured {check.difference:+.4g} "
        f"[{check.low:+.4g}, {check.high:+.4g}] -> {check.verdict}, documented {expected}")


def test_readings_name_library_scenarios_and_the_doc_is_current():
    readings = load_readings(READINGS)
    assert set(readings) <= set(LIBRARY)
    assert all(r.verdict != "supported" for r in readings.values())
    doc = (ROOT / "docs" / "hypotheses.md").read_text()
    for name, r in readings.items():
        assert f"### {name}: {r.verdict}" in doc
    assert "tradewar hypothesis scenarios/*.yaml" in doc


def test_markdown_flags_a_stale_reading():
    from sim.experiments.hypothesis import HypothesisCheck
    from sim.reports.hypotheses import Reading

    check = HypothesisCheck("s", "baseline", "deal_share", "higher", None, None, "[x]", 10, 1,
                            0.5, 0.4, 0.1, -0.01, 0.2, "inconclusive")
    text = markdown([check], {"s": Reading(scenario="s", verdict="contradicted",
                                           reading="because")}, "cmd")
    assert "### s: inconclusive" in text and "revisit it" in text and "because" in text


def test_cli_holds_a_set_parameter_in_both_scenarios(tmp_path, capsys):
    """``--set`` holds a parameter in the scenario and its reference alike: the check
    then differs from the plain one, and says what was held."""
    path = write(tmp_path, GOOD + HYP)
    argv = ["hypothesis", str(path), "--runs", "200", "--seed", "3", "--fixed-parameters"]
    assert main(argv) == 0
    plain = capsys.readouterr().out
    assert main([*argv, "--set", "decision.obstinacy_prior=0.05"]) == 0
    held = capsys.readouterr().out
    assert "Held in both scenarios of every check (--set): decision.obstinacy_prior=0.05" \
        in held
    assert held.splitlines()[2] != plain.splitlines()[2]  # the two values differ
    assert main([*argv, "--set", "decision.no_such=1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--set") and "decision.no_such" in err
