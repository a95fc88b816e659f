"""Sweeps: experiment validation, bit-identical results across workers and executors,
kill-and-resume, analysis and every plot kind."""

from __future__ import annotations

import gc
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


# --- hardening: the folder, the workers, the scheduler, interruptions, progress ------------
SMALL = """\
parameters:
  face.backdown_weeks: {values: [20, 60]}
replicates: 1024
"""


def sweep(path: Path, out: Path, *extra: str) -> int:
    return main(["sweep", str(path), "--out", str(out), "--no-plots", "--no-progress", *extra])


def test_resume_starts_a_sweep_that_never_started(tmp_path):
    """A script can always pass --resume: where no sweep started it simply starts."""
    path = experiment_file(tmp_path, SMALL)
    assert sweep(path, tmp_path / "fresh", "--resume") == 0
    assert json.loads((tmp_path / "fresh" / "sweep.json").read_text())["finished"]


@pytest.mark.parametrize(("text", "words"), [
    ("{not json", "unreadable or corrupt"),
    ('{"chunks": 2}', "'experiment_sha256' is missing"),
    ('{"experiment_sha256": "a", "scenario_sha256": "b", "chunk_runs": 8192, "chunks": 2, '
     '"completed": [7]}', "lists chunks that do not exist"),
])
def test_a_corrupt_state_file_is_refused_clearly(tmp_path, capsys, text, words):
    path = experiment_file(tmp_path, SMALL)
    out = tmp_path / "out"
    out.mkdir()
    (out / "sweep.json").write_text(text)
    assert sweep(path, out, "--resume") == 2
    assert main(["analyze", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count(words) == 2 and "Traceback" not in err
    assert err.splitlines()[0].startswith(f"{out}: sweep.json")


def test_a_sweep_folder_missing_its_files_is_refused_clearly(tmp_path, capsys, grid_sweep):
    tmp, _, _ = grid_sweep
    broken = tmp_path / "broken"
    import shutil

    shutil.copytree(tmp / "one", broken)
    (broken / "points.parquet").unlink()
    assert main(["analyze", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "missing or damaged" in err and "Traceback" not in err


def test_a_second_sweep_into_a_running_ones_folder_is_refused(tmp_path, capsys):
    from sim.experiments.sweep import folder_lock

    path = experiment_file(tmp_path, SMALL)
    out = tmp_path / "busy"
    with folder_lock(out):  # another sweep holds the folder
        assert sweep(path, out, "--resume") == 2
    err = capsys.readouterr().err
    assert "another sweep is running in this folder (pid" in err
    assert sweep(path, out, "--resume") == 0  # free again: it runs


def test_workers_beyond_the_cores_are_refused(tmp_path, capsys):
    path = experiment_file(tmp_path, SMALL)
    assert sweep(path, tmp_path / "out", "--workers", "1000") == 2
    assert "1000 local worker processes on" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("address", ["localhost", "http://x:1", "tcp://host"])
def test_a_malformed_scheduler_address_is_refused(tmp_path, capsys, address):
    path = experiment_file(tmp_path, SMALL)
    assert sweep(path, tmp_path / "out", "--executor", "dask", "--address", address) == 2
    assert "is not a scheduler address" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_fails_fast_and_leaves_no_folder(tmp_path, capsys,
                                                                  monkeypatch):
    from sim.experiments import sweep as sweep_module

    monkeypatch.setattr(sweep_module, "CONNECT_SECONDS", 1)
    path = experiment_file(tmp_path, SMALL)
    started = time.monotonic()
    code = sweep(path, tmp_path / "out", "--executor", "dask", "--address",
                 "tcp://127.0.0.1:9")
    assert code == 2 and time.monotonic() - started < 20
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_interrupted_sweep_says_what_it_kept(tmp_path, capsys, monkeypatch):
    from sim.experiments import sweep as sweep_module

    path = experiment_file(tmp_path, SMALL)
    out = tmp_path / "out"
    real = sweep_module._collect
    calls = []

    def interrupt_after_one(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "_collect", interrupt_after_one)
    assert sweep(path, out, "--chunk-runs", "1024") == 130
    err = capsys.readouterr().err
    assert "interrupted; 1 finished chunk(s) are kept" in err and "--resume" in err
    assert "no results were written" not in err


def test_progress_lines_when_output_is_not_a_terminal():
    from sim.experiments.progress import ProgressLines

    now, lines = [0.0], []
    bar = ProgressLines(1000, clock=lambda: now[0], write=lines.append)
    now[0] = 10.0
    bar.update(100)  # too soon for a line
    now[0] = 40.0
    bar.update(300)
    now[0] = 50.0
    bar.update(100)
    bar.close()
    assert lines[0] == "sweep: 400 of 1,000 runs (40%), 10 runs/s, 60 s left"
    assert lines[-1] == "sweep: 500 of 1,000 runs (50%) in 50.0 s"
    assert len(lines) == 2
    quiet = []
    short = ProgressLines(10, clock=lambda: 1.0, write=quiet.append, desc="simulating",
                          unit="batch-weeks")
    short.update(10)
    short.close()
    assert quiet == []  # a job shorter than one interval prints nothing


def test_a_run_into_a_log_gets_progress_lines(tmp_path, monkeypatch, capsys):
    from sim.experiments import progress

    monkeypatch.setattr(progress.ProgressLines, "every", 0.0)  # a line every week
    assert main(["run", str(ROOT / "scenarios" / "baseline.yaml"), "--runs", "10",
                 "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err  # pytest's capture is not a terminal
    assert "simulating: 52 of 52 batch-weeks (100%)" in err


def test_an_empty_out_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = experiment_file(tmp_path, SMALL)
    assert main(["sweep", str(path), "--out", ""]) == 2
    assert "--out: needs a folder name" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml", "short.yaml"]


def test_the_dask_cluster_a_sweep_starts_refuses_other_local_processes():
    """The LocalCluster a sweep starts speaks TLS with certificates made for it alone: a
    client without them cannot join (before, any local process could run code there)."""
    from distributed import Client

    from sim.experiments.sweep import executor_for

    with executor_for("dask", 1) as pool:
        address = pool._client.scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        assert pool.submit(int, "7").result() == 7
        for attempt in (address, address.replace("tls://", "tcp://")):
            with pytest.raises(Exception) as refused:  # refused, however distributed says it
                Client(attempt, timeout=3)
            # The refused client lives on in the traceback. Collected later, inside the
            # next Client's start, its __del__ would stop its loop under the lock that
            # start holds, and the test would hang (distributed's LoopRunner): free it here.
            del refused
            gc.collect()


def test_a_sweep_killed_outright_lets_its_output_pipe_close(tmp_path):
    """Its fork server, resource tracker and workers do not hold the sweep's output open
    (a `| tee` or a CI log would hang), and the workers stop soon after it is gone."""
    body = "parameters:\n  face.backdown_weeks: {values: [20, 40, 60]}\nreplicates: 8192\n"
    path = experiment_file(tmp_path, body)  # chunks of several seconds each
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(path), "--out",
                             str(out), "--workers", "2", "--no-plots"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline and not (out / "sweep.json").is_file():
        time.sleep(0.05)
    time.sleep(0.5)  # the workers are inside their first chunks
    os.kill(proc.pid, signal.SIGKILL)  # the sweep alone, not its process group
    proc.wait()
    import select

    fd, closed = proc.stdout.fileno(), False
    deadline = time.time() + 2.0  # end of file: when no process holds the pipe any more
    while not closed and time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], max(deadline - time.time(), 0.0))
        closed = bool(ready) and os.read(fd, 1 << 16) == b""
    proc.stdout.close()
    assert closed, "a helper process of the killed sweep still holds its output open"
