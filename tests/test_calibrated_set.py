"""The calibrated default (``sim.io.calibrated``): runs draw their assumption-only parameters
from the shipped non-implausible set, the draws do not depend on batching or scenario, what a
user sets wins, a run replays exactly, the set's provenance is checked and shown, and a bad
set file is refused naming file, line and field."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.assumptions import assumption_parameters, calibration_parameters
from sim.experiments.ensemble import run_ensemble, split_per_model
from sim.experiments.targets import load_targets
from sim.io.calibrated import SET_CSV, SET_YAML, calibration_dir, load_calibrated_set
from sim.io.scenario import load_scenario
from sim.model.parameters import BY_NAME, PER_MODEL

from .conftest import ROOT, SCENARIOS

TARGETS = ROOT / "calibration" / "targets.yaml"
RUNS = 1100  # two blocks, the second one short


@pytest.fixture(scope="module")
def shipped():
    return load_calibrated_set()


@pytest.fixture(scope="module")
def calibrated_runs(baseline, shipped):
    return run_ensemble(baseline, runs=RUNS, seed=11, path_sample=RUNS, calibrated=shipped)


def test_the_shipped_set_holds_every_fitted_assumption_and_names_its_targets(shipped):
    assert shipped.path.parent == calibration_dir()
    assert set(shipped.names) == {p.name for p in calibration_parameters()}
    # the dials declared not fitted stay at their defaults unless a user sets them
    dials = {p.name for p in assumption_parameters()} - set(shipped.names)
    assert dials == {"decision.action_cost"} and BY_NAME["decision.action_cost"].default == 0
    assert shipped.points == shipped.provenance.points >= 100
    targets, _ = load_targets(TARGETS)
    # made from the targets committed in the repository, every one of them
    assert shipped.provenance.targets == [t.id for t in targets.targets]
    assert shipped.provenance.targets_sha256 == hashlib.sha256(
        TARGETS.read_bytes()).hexdigest()
    # every value is valid, whole numbers whole
    for j, name in enumerate(shipped.names):
        column = shipped.values[:, j]
        assert ((column >= BY_NAME[name].lo) & (column <= BY_NAME[name].hi)).all(), name
        if BY_NAME[name].integer:
            assert (column == np.round(column)).all(), name


def test_draws_are_uniform_and_fixed_by_seed_and_run(shipped):
    streams = np.arange(200_000)
    rows = shipped.rows(5, streams)
    counts = np.bincount(rows, minlength=shipped.points)
    expected = streams.size / shipped.points
    # a chi-square test of uniformity (df = points - 1; 5 sd above its mean is far out)
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < shipped.points - 1 + 5 * np.sqrt(2 * (shipped.points - 1))
    # a run's point depends on the seed and its index alone, not on which runs come along
    picked = np.array([3, 1023, 1024, 150_001])
    assert shipped.rows(5, picked).tolist() == rows[picked].tolist()
    assert shipped.rows(6, picked).tolist() != rows[picked].tolist()


def test_runs_spread_over_the_set_and_batching_changes_nothing(baseline, shipped,
                                                              calibrated_runs):
    runs = calibrated_runs.runs
    assert runs["parameter_point"].tolist() == shipped.rows(11, np.arange(RUNS)).tolist()
    other = run_ensemble(baseline, runs=RUNS, seed=11, path_sample=RUNS, calibrated=shipped,
                         batch_blocks=1)
    pd.testing.assert_frame_equal(other.runs, runs)
    by_run = ["run", "week"]  # batches' paths come batch after batch
    pd.testing.assert_frame_equal(
        other.paths.sort_values(by_run).reset_index(drop=True),
        calibrated_runs.paths.sort_values(by_run).reset_index(drop=True))
    for side in ("us", "cn"):
        assert np.array_equal(other.fan[side], calibrated_runs.fan[side])
    pd.testing.assert_frame_equal(other.diagnostics, calibrated_runs.diagnostics)


def test_parameter_uncertainty_changes_the_outcome_distribution(baseline_ensemble,
                                                                calibrated_runs):
    """Decision noise and types alone give one distribution; drawing the assumptions from
    the set spreads it (measured on the baseline: comprehensive deals 88% at the defaults,
    45-47% over the set)."""
    fixed = baseline_ensemble.runs["outcome"].value_counts(normalize=True)
    drawn = calibrated_runs.runs["outcome"].value_counts(normalize=True)
    assert drawn["comprehensive_deal"] < fixed["comprehensive_deal"] - 0.2
    assert drawn.drop("comprehensive_deal").sum() > 0.4


def test_what_a_user_sets_is_what_runs(baseline, shipped):
    """Setting every calibrated parameter (here: to its default) leaves nothing to draw, and
    gives the runs at fixed parameters exactly."""
    defaults = {name: BY_NAME[name].default for name in shipped.names}
    drawn = run_ensemble(baseline, runs=300, seed=2, overrides=defaults, calibrated=shipped)
    fixed = run_ensemble(baseline, runs=300, seed=2, overrides=defaults)
    pd.testing.assert_frame_equal(drawn.runs.drop(columns="parameter_point"), fixed.runs)
    # one set parameter is held, the others still vary
    rows = shipped.rows(2, np.arange(300))
    values = shipped.drawn(rows, fixed={"face.acknowledge_size"})
    assert "face.acknowledge_size" not in values and len(values) == len(shipped.names) - 1


def test_an_ensemble_tells_each_runs_drawn_value(baseline, shipped):
    """``Ensemble.drawn``: the value of the point each run drew, or where nothing is drawn
    (no set, or the parameter set by hand) the one value every run used."""
    held = {"face.acknowledge_size": 0.4}
    ens = run_ensemble(baseline, runs=300, seed=2, overrides=held, calibrated=shipped,
                       path_sample=0)
    rows = shipped.rows(2, np.arange(300))
    lam = ens.drawn("decision.rationality")
    assert np.array_equal(lam, shipped.drawn(rows)["decision.rationality"])
    assert len(np.unique(lam)) > 50
    assert np.all(ens.drawn("face.acknowledge_size") == 0.4)
    assert np.all(ens.drawn("trade.us_imports_from_cn")
                  == BY_NAME["trade.us_imports_from_cn"].default)
    fixed = run_ensemble(baseline, runs=300, seed=2, path_sample=0)
    assert np.all(fixed.drawn("decision.rationality") == BY_NAME["decision.rationality"].default)


def test_runs_that_must_share_a_model_are_grouped_by_their_values(shipped):
    rows = shipped.rows(3, np.arange(2000))
    groups = split_per_model(shipped.drawn(rows), rows.size)
    assert sorted(np.concatenate([idx for idx, _ in groups]).tolist()) == list(range(2000))
    for idx, values in groups:
        for name in PER_MODEL & set(shipped.names):
            assert isinstance(values[name], float), name
        varying = next(n for n in shipped.names if n not in PER_MODEL)
        assert values[varying].shape == idx.shape


def test_a_run_draws_the_same_point_in_every_scenario(shipped, calibrated_runs):
    other = load_scenario(SCENARIOS / "mutual_step_down.yaml")
    ens = run_ensemble(other, runs=RUNS, seed=11, path_sample=0, calibrated=shipped)
    assert ens.runs["parameter_point"].equals(calibrated_runs.runs["parameter_point"])


def test_run_says_what_uncertainty_it_includes_and_explain_replays_a_run(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", str(SCENARIOS / "baseline.yaml"), "--runs", str(RUNS), "--out",
                 str(out), "--no-progress"]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "the drawn private types and the parameters" in printed
    assert "calibrated set (" in printed and "calibrated_set.csv" in printed
    assert (out / SET_CSV).exists() and (out / SET_YAML).exists()
    assert "parameter_point" in pd.read_parquet(out / "runs.parquet").columns
    for run in (0, 1030):  # in the first block and in the short second one
        assert main(["explain", str(out), "--run", str(run)]) == 0
        assert "the replayed run matches row" in capsys.readouterr().out
    # from the scenario file, with the ensemble's size
    assert main(["explain", str(SCENARIOS / "baseline.yaml"), "--run", "1030", "--runs",
                 str(RUNS)]) == 0
    # the set beside the results was edited: refused
    text = (out / SET_CSV).read_text().splitlines()
    text[1] = text[1].replace(",", ",0", 1)
    (out / SET_CSV).write_text("\n".join(text) + "\n")
    assert main(["explain", str(out), "--run", "3"]) == 2
    assert "set_sha256" in capsys.readouterr().err


def test_fixed_parameters_turns_the_draws_off(tmp_path, capsys):
    out = tmp_path / "f"
    assert main(["run", str(SCENARIOS / "baseline.yaml"), "--runs", "200", "--out", str(out),
                 "--no-progress", "--fixed-parameters"]) == 0
    assert "parameters fixed at their declared defaults" in " ".join(
        capsys.readouterr().out.split())
    assert not (out / SET_CSV).exists()
    assert "parameter_point" not in pd.read_parquet(out / "runs.parquet").columns
    # one or the other
    with pytest.raises(SystemExit) as stop:
        main(["run", str(SCENARIOS / "baseline.yaml"), "--fixed-parameters",
              "--calibrated-set", "x.csv"])
    assert stop.value.code == 2


def test_evidence_shows_where_each_calibrated_value_comes_from(capsys, shipped):
    assert main(["evidence", "--grep", "stimulus_offset_share"]) == 0
    text = capsys.readouterr().out
    assert "calibrated: each run draws it from calibrated_set.csv" in text
    assert "fragile-truce-in-september" in text and shipped.provenance.command in text
    assert main(["evidence"]) == 0
    assert f"{len(shipped.names)} of them calibrated" in capsys.readouterr().out
    assert main(["evidence", "--fixed-parameters", "--grep", "stimulus_offset"]) == 0
    assert "calibrated:" not in capsys.readouterr().out


def _copy_set(tmp_path):
    for name in (SET_CSV, SET_YAML):
        shutil.copyfile(calibration_dir() / name, tmp_path / name)
    return tmp_path / SET_CSV


def _reseal(csv_path):
    """Give an edited CSV a matching digest, as a hand-made set would have."""
    yaml_path = csv_path.with_suffix(".yaml")
    digest = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    lines = [f"set_sha256: {digest}" if line.startswith("set_sha256:") else line
             for line in yaml_path.read_text().splitlines()]
    yaml_path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("edit, where", [
    (lambda lines: [lines[0].replace("face.acknowledge_size", "face.acknowledge_sise"),
                    *lines[1:]],
     ":1: face.acknowledge_sise: unknown parameter 'face.acknowledge_sise' (did you mean "
     "'face.acknowledge_size'"),
    (lambda lines: [*lines[:4], lines[4].split(",", 2)[0] + ",-3," + lines[4].split(",", 2)[2],
                    *lines[5:]],
     ":5: initial.cn_exempt_share: parameter 'initial.cn_exempt_share' = -3.0 is outside"),
    (lambda lines: [*lines[:2], lines[2] + ",7", *lines[3:]], ":3: has 68 fields"),
    (lambda lines: [*lines[:3], lines[3].replace(lines[3].split(",")[1], "abc", 1),
                    *lines[4:]], ":4: initial.cn_exempt_share: not a number: 'abc'"),
])
def test_a_bad_set_is_refused_with_file_line_and_field(tmp_path, capsys, edit, where):
    csv_path = _copy_set(tmp_path)
    csv_path.write_text("\n".join(edit(csv_path.read_text().splitlines())) + "\n")
    _reseal(csv_path)
    out = tmp_path / "never"
    assert main(["run", str(SCENARIOS / "baseline.yaml"), "--runs", "10", "--out", str(out),
                 "--calibrated-set", str(csv_path)]) == 2
    err = capsys.readouterr().err
    assert f"{csv_path}{where}" in err, err
    assert "Traceback" not in err and not out.exists()


def test_a_set_without_its_provenance_or_edited_after_it_is_refused(tmp_path, capsys):
    csv_path = _copy_set(tmp_path)
    lines = csv_path.read_text().splitlines()
    csv_path.write_text("\n".join(lines[:-1]) + "\n")  # a point dropped
    assert main(["targets", str(TARGETS), "--runs", "10", "--calibrated-set",
                 str(csv_path)]) == 2
    assert "set_sha256 differs" in capsys.readouterr().err
    _reseal(csv_path)
    assert main(["targets", str(TARGETS), "--runs", "10", "--calibrated-set",
                 str(csv_path)]) == 2
    assert f"{csv_path.with_suffix('.yaml')}: points:" in capsys.readouterr().err
    csv_path.with_suffix(".yaml").unlink()
    assert main(["targets", str(TARGETS), "--runs", "10", "--calibrated-set",
                 str(csv_path)]) == 2
    assert "is missing: a calibrated set needs its provenance" in capsys.readouterr().err


def test_the_shipped_set_is_what_its_recorded_command_makes(tmp_path, shipped):
    """Provenance that can be checked: the recorded calibration, run again, writes the
    shipped set byte for byte (same seed, same set, whatever the workers)."""
    words = shipped.provenance.command.split()
    assert words[:3] == ["tradewar", "calibrate", "calibration/targets.yaml"]
    out = tmp_path / "again"
    args = [str(ROOT / words[2]), *words[3:], "--out", str(out), "--no-progress"]
    assert main(["calibrate", *args]) == 0
    assert (out / SET_CSV).read_bytes() == shipped.path.read_bytes()


def test_explain_replays_runs_given_set_values_and_tiny_models(tmp_path, capsys):
    """What ``--set`` gave is replayed as given: a value the scenario also sets, and a
    calibrated parameter set to its default (held there, not drawn)."""
    out = tmp_path / "set"
    assert main(["run", str(SCENARIOS / "inconsistent_demands.yaml"), "--runs", "40",
                 "--set", "us.reopen_hazard=0.2", "--set", "face.acknowledge_size=0.1",
                 "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    for run in (0, 7, 39):
        assert main(["explain", str(out), "--run", str(run)]) == 0
        assert "the replayed run matches row" in capsys.readouterr().out


def test_a_run_in_a_nearly_empty_last_block_replays(baseline, shipped):
    """Runs 1024-1029 are a block of six: a model of one or two runs would round a belief
    otherwise than the ensemble's model, so the replay rebuilds that one."""
    from sim.reports.explain import replay_run

    ens = run_ensemble(baseline, runs=1030, seed=4, calibrated=shipped, path_sample=0,
                       fan_runs=0)
    for run in range(1024, 1030):
        row = replay_run(baseline, 4, run, None, shipped, runs=1030).row
        expected = ens.runs.iloc[run]
        same = [(pd.isna(row[c]) and pd.isna(expected[c])) or row[c] == expected[c]
                for c in expected.index]
        assert all(same), (run, [c for c, ok in zip(expected.index, same, strict=True)
                                 if not ok])


@pytest.mark.parametrize("text, where", [
    ('point,decision.rationality\n0,"3\n', ":2: is not a valid CSV file"),
    ("point,decision.rationality\n0," + "9" * 140_000 + "\n", ":2: is not a valid CSV file"),
    ("point,decision.rationality\nx,3\n", ":2: point: not a point number"),
    ("point,decision.rationality\n0,3_0\n", ":2: decision.rationality: not a number"),
])
def test_a_malformed_csv_is_refused_without_a_traceback(tmp_path, capsys, text, where):
    csv_path = tmp_path / SET_CSV
    csv_path.write_text(text)
    shutil.copyfile(calibration_dir() / SET_YAML, tmp_path / SET_YAML)
    assert main(["evidence", "--calibrated-set", str(csv_path)]) == 2
    err = capsys.readouterr().err
    assert f"{csv_path}{where}" in err, err
    assert "Traceback" not in err


def test_an_interactive_backend_in_the_environment_does_not_stop_a_run(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "MPLBACKEND": "TkAgg", "DISPLAY": ""}
    done = subprocess.run([sys.executable, "-m", "sim", "run", str(SCENARIOS / "baseline.yaml"),
                           "--runs", "20", "--out", str(tmp_path / "r"), "--no-progress",
                           "--fixed-parameters"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r" / "summary.png").exists()


def test_diagnose_tells_the_precision_each_run_drew(capsys):
    assert main(["diagnose", str(SCENARIOS / "baseline.yaml"), "--runs", "200",
                 "--no-progress"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "a precision each run drew from the calibrated set (lambda" in text
    assert "lambda drawn per run, median" in text and "lambda = 3 per week" not in text
    assert main(["diagnose", str(SCENARIOS / "baseline.yaml"), "--runs", "200",
                 "--no-progress", "--fixed-parameters"]) == 0
    assert "precision lambda = 3 per week of pain" in capsys.readouterr().out
