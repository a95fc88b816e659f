"""``tradewar compare`` (common random numbers, computed intervals) and ``tradewar explain``
(narratives built from the recorded terms, reproducible from results)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from sim.cli import main
from sim.experiments.compare import paired_difference, run_comparison
from sim.io.scenario import load_scenario
from sim.reports.explain import narrate, reasons, replay_run

from .conftest import SCENARIOS


def test_a_scenario_compared_with_itself_differs_by_exactly_zero(baseline):
    comparison = run_comparison([baseline, baseline.model_copy(update={"name": "again"})],
                                runs=600, seed=2)
    again = comparison.table[comparison.table["scenario"] == "again"]
    shares = again[again["diff_vs_first"].notna()]
    assert (shares["diff_vs_first"] == 0).all()
    assert (shares["diff_low"] == 0).all() and (shares["diff_high"] == 0).all()
    first, second = (e.runs for e in comparison.ensembles)
    pd.testing.assert_series_equal(first["outcome"], second["outcome"])  # same draws


def test_paired_differences_have_computed_intervals():
    rng = np.random.default_rng(0)
    a = rng.random(4000) < 0.6
    b = a.copy()
    flip = rng.random(4000) < 0.1
    b[flip] = ~b[flip]
    diff, low, high = paired_difference(a, b, np.random.default_rng(1))
    assert diff == (a.astype(int) - b.astype(int)).mean()
    assert low < diff < high and high - low < 0.05
    # pairing matters: the paired interval is narrower than for independent samples
    se_independent = np.sqrt(a.mean() * (1 - a.mean()) / 4000 * 2)
    assert (high - low) < 2 * 1.96 * se_independent


def test_compare_command_writes_table_and_figure(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", str(SCENARIOS / "baseline.yaml"),
                 str(SCENARIOS / "fentanyl_first.yaml"), "--runs", "400", "--seed", "5",
                 "--out", str(out), "--no-progress"])
    assert code == 0
    text = capsys.readouterr().out
    assert "common random numbers" in text and "fentanyl_first" in text
    table = pd.read_csv(out / "compare.csv")
    assert set(table["scenario"]) == {"baseline", "fentanyl_first"}
    rows = table[(table["scenario"] == "fentanyl_first") & table["diff_vs_first"].notna()]
    assert ((rows["diff_low"] <= rows["diff_vs_first"])
            & (rows["diff_vs_first"] <= rows["diff_high"])).all()
    assert (out / "compare.png").stat().st_size > 10_000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and len(manifest["scenarios"]) == 2
    runs_a = pd.read_parquet(out / "runs_baseline.parquet")
    runs_b = pd.read_parquet(out / "runs_fentanyl_first.parquet")
    assert (runs_a["us_resolve"] == runs_b["us_resolve"]).all()  # common random numbers


def test_compare_refuses_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\n")
    assert main(["compare", str(SCENARIOS / "baseline.yaml"), str(bad),
                 "--out", str(tmp_path / "o")]) == 2
    assert "description: required field is missing" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_narrative_reasons_come_from_the_recorded_terms(baseline):
    story = replay_run(baseline, seed=11, run=1500)
    text = narrate(story)
    assert text.startswith("Run 1500 of 'baseline'")
    told = 0
    for t in range(1, len(story.paths)):
        row = story.paths.iloc[t]
        for side in ("us", "cn"):
            if row[f"{side}_move"] != "hold" and row[f"{side}_runner_up"]:
                assert reasons(row, side) in text
                told += 1
    assert told > 0


def test_changing_a_parameter_changes_the_reason_given(baseline):
    """The same run with a dearer cost of changing course gives that larger number as the
    reason for standing pat."""
    default = narrate(replay_run(baseline, seed=11, run=3))
    dearer = narrate(replay_run(baseline, seed=11, run=3, overrides={
        "decision.action_cost": 5.0}))
    assert "the cost of changing course +2.0" in default
    assert "the cost of changing course +5.0" in dearer
    assert "+2.0" not in dearer.split("the cost of changing course")[1][:5]


def test_explain_reproduces_a_run_from_its_results(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", str(SCENARIOS / "fentanyl_first.yaml"), "--runs", "1100",
                 "--seed", "8", "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["explain", str(out), "--run", "1050"]) == 0
    text = capsys.readouterr().out
    assert "Run 1050 of 'fentanyl_first'" in text
    assert "matches row 1050 of runs.parquet" in text
    assert main(["explain", str(out), "--run", "5000"]) == 2
    assert "out of range" in capsys.readouterr().err


def test_explain_a_scenario_file_with_a_seed(capsys):
    path = SCENARIOS / "escalation_spiral.yaml"
    assert main(["explain", str(path), "--run", "0", "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert "step 'us_hike_1' of the scenario, forced" in text
    assert load_scenario(path).name in text
