"""Sweeps: experiment validation, bit-identical results across workers and executors,
kill-and-resume, analysis and every plot kind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli import main
from sim.experiments.analyze import discover, load_sweep, morris_indices, report, sobol_indices
from sim.experiments.experiment import load_experiment, sample
from sim.experiments.sweep import plan_chunks, results_digest, run_sweep
from sim.reports.sweep_plots import KINDS, plot

from .conftest import ROOT

SHORT = """\
name: short
description: a 12-week baseline for tests
weeks: 12
seed: 11
"""


def experiment_file(tmp_path: Path, body: str, name: str = "exp") -> Path:
    (tmp_path / "short.yaml").write_text(SHORT)
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\ndescription: test sweep\nscenario: short.yaml\n" + body)
    return path


GRID = """\
parameters:
  face.backdown_weeks: {range: [13, 78], levels: 3}
  cn.stimulus_capacity: {values: [0, 2]}
replicates: 1100
"""


@pytest.fixture(scope="module")
def grid_sweep(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grid")
    experiment, scenario = load_experiment(experiment_file(tmp, GRID))
    run_sweep(experiment, scenario, tmp / "one", workers=1, chunk_runs=2048)
    return tmp, experiment, scenario


def test_shipped_experiments_validate():
    files = sorted((ROOT / "experiments").glob("*.yaml"))
    assert {f.stem for f in files} >= {"face_pain_grid", "sobol_main", "stimulus_paths"}
    for f in files:
        experiment, _ = load_experiment(f)
        assert len(sample(experiment)) >= 7


@pytest.mark.parametrize(("body", "line", "words"), [
    ("parameters:\n  face.decy: {range: [0.5, 1]}\nsampler: {kind: grid}\n", 5,
     "did you mean 'face.decay'"),
    ("parameters:\n  face.decay: {range: [0.1, 1]}\nsampler: {kind: monte_carlo, n: 5}\n", 5,
     "leaves the valid range"),
    ("parameters:\n  face.decay: {range: [0.6, 1]}\nsampler: {kind: sobol, n: 100}\n", 6,
     "powers of two; 100 is not (use 64 or 128)"),
    ("parameters:\n  face.decay: {range: [0.6, 1]}\nsampler: {kind: halton, n: 8}\n", 6,
     "got 'halton'"),
    ("parameters:\n  face.decay: {range: [0.6, 1]}\n", 5, "needs 'levels'"),
    ("parameters:\n  face.decay: {range: [0.6, 1], levels: 3}\nreplicates: 0\n", 6,
     "greater than or equal to 1"),
    # values that are not numbers, and whole-number parameters given fractions
    ("parameters:\n  face.decay: {values: [.nan, 0.9]}\n", 5, "finite number"),
    ("parameters:\n  face.decay: {range: [0.6, .inf], levels: 3}\n", 5, "finite number"),
    ("parameters:\n  decision.reasoning_level: {values: [1.5, 2]}\n", 5,
     "takes whole numbers; got 1.5"),
    # designs too large to run are refused before anything is built
    ("parameters:\n  face.decay: {range: [0.6, 1], levels: 1000}\n"
     "  face.backdown_weeks: {range: [13, 78], levels: 1000}\n"
     "  trade.us_imports_from_cn: {range: [300, 600], levels: 1000}\n", 4,
     "1,000,000,000 points"),
    ("parameters:\n  face.decay: {range: [0.6, 1]}\nsampler: {kind: sobol, n: 8388608}\n",
     6, "points; at most"),
    ("parameters:\n  face.decay: {range: [0.6, 1], levels: 1000}\nreplicates: 1000000\n", 6,
     "1,000,000,000 runs"),
    # the base scenario's own problems, under the experiment's line and the scenario's name
    ("parameters:\n  face.decay: {range: [0.6, 1], levels: 3}\n", 3,
     "short.yaml:3: weeks: Input should be a valid integer"),
])
def test_bad_experiments_get_clear_errors(tmp_path, capsys, body, line, words):
    path = experiment_file(tmp_path, body)
    if "short.yaml:3" in words:
        (tmp_path / "short.yaml").write_text(SHORT.replace("weeks: 12", "weeks: soon"))
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:{line}:"), err
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("sampler", ["monte_carlo", "latin_hypercube"])
def test_a_normal_factor_is_sampled(tmp_path, sampler):
    """The documented ``normal:`` factor feeds Monte Carlo and Latin hypercube designs
    (it crashed SALib's bounds before): draws centre on the mean, inside the valid range."""
    body = (f"parameters:\n  face.backdown_weeks: {{normal: [39, 5]}}\n"
            f"sampler: {{kind: {sampler}, n: 400, seed: 3}}\n")
    experiment, _ = load_experiment(experiment_file(tmp_path, body))
    points = sample(experiment)["face.backdown_weeks"]
    assert len(points) == 400 and abs(points.mean() - 39) < 1.0
    assert 3.5 < points.std() < 6.5 and points.between(0, 520).all()


def test_chunks_are_fixed_by_the_experiment():
    chunks = plan_chunks(n_points=3, replicates=2500, chunk_runs=2048)
    assert chunks == plan_chunks(n_points=3, replicates=2500, chunk_runs=2048)
    assert all(sum(t.runs for t in c) <= 2048 for c in chunks)
    covered = sorted((t.point, r) for c in chunks for t in c
                     for r in range(t.first_run, t.first_run + t.runs))
    assert covered == [(p, r) for p in range(3) for r in range(2500)]
    assert all(t.first_run % 1024 == 0 for c in chunks for t in c)


def test_identical_results_for_one_and_two_workers_and_dask(grid_sweep):
    tmp, experiment, scenario = grid_sweep
    reference = results_digest(tmp / "one")
    run_sweep(experiment, scenario, tmp / "two", workers=2, chunk_runs=2048)
    assert results_digest(tmp / "two") == reference
    run_sweep(experiment, scenario, tmp / "dask", workers=2, executor="dask", chunk_runs=2048)
    assert results_digest(tmp / "dask") == reference


def test_a_killed_sweep_resumes_to_the_same_rows(tmp_path, grid_sweep):
    _, experiment, scenario = grid_sweep
    path = experiment_file(tmp_path, GRID)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out),
           "--chunk-runs", "1024", "--no-plots", "--no-progress"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL)
    state = out / "sweep.json"
    deadline = time.time() + 120
    while time.time() < deadline:
        if state.is_file():
            try:
                done = len(json.loads(state.read_text())["completed"])
            except (json.JSONDecodeError, KeyError):
                done = 0
            if done >= 2:
                break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    progress = json.loads(state.read_text())
    assert 2 <= len(progress["completed"]) < progress["chunks"]
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--chunk-runs", "1024",
                 "--no-plots", "--no-progress"]) == 0
    uninterrupted = tmp_path / "whole"
    run_sweep(experiment, scenario, uninterrupted, workers=1, chunk_runs=1024)
    assert results_digest(out) == results_digest(uninterrupted)
    assert not list((out / "chunks").glob(".tmp-*"))


def test_rerun_without_resume_refuses(grid_sweep, capsys):
    tmp, _, _ = grid_sweep
    assert main(["sweep", str(tmp / "exp.yaml"), "--out", str(tmp / "one")]) == 2
    assert "add --resume" in capsys.readouterr().err


def test_grid_analysis_and_every_plot_kind(grid_sweep, tmp_path):
    tmp, experiment, _ = grid_sweep
    text = report(tmp / "one", "share:truce", "truce")
    assert "rank correlation with face.backdown_weeks" in text
    assert "Scenario discovery" in text
    for box in discover(tmp / "one", experiment, "managed_stalemate"):
        assert 0 <= box.coverage <= 1 and 0 <= box.density <= 1
    kinds = [k for k in KINDS if k != "sensitivity"]
    written = plot(tmp / "one", kinds, tmp_path / "plots")
    assert {p.name for p in written} == {f"{k}.{ext}" for k in kinds for ext in ("png", "svg")}
    assert all(p.stat().st_size > 5000 for p in written)


@pytest.mark.parametrize(("sampler", "index"), [
    ("{kind: sobol, n: 8, seed: 2}", "ST"), ("{kind: morris, n: 6, seed: 2}", "mu_star")])
def test_sensitivity_indices(tmp_path, sampler, index):
    body = ("parameters:\n  face.backdown_weeks: {range: [13, 78]}\n"
            "  decision.rationality: {range: [1, 5]}\n"
            f"sampler: {sampler}\nreplicates: 64\n")
    experiment, scenario = load_experiment(experiment_file(tmp_path, body))
    run_sweep(experiment, scenario, tmp_path / "s", workers=2, chunk_runs=1024)
    _, summary = load_sweep(tmp_path / "s")
    compute = sobol_indices if experiment.sampler.kind == "sobol" else morris_indices
    indices = compute(experiment, summary, "share:managed_stalemate")
    assert list(indices.index) == ["face.backdown_weeks", "decision.rationality"]
    assert indices[index].notna().all()
    assert plot(tmp_path / "s", ["sensitivity"])
