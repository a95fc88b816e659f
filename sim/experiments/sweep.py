"""Sweeps: an experiment's points x replicates, run in fixed chunks on local processes or a
Dask cluster through one code path, written chunk by chunk so a killed sweep resumes.

Reproducibility: replicate ``r`` of every point draws from the block stream of run ``r``
(common random numbers across points, ``sim.model.model``), and chunks are fixed by the
experiment alone, so the rows are bit-identical for 1 worker, 2 workers or Dask.

Durability: each finished chunk is written to ``chunks/`` under a temporary name and
renamed into place, then recorded in ``sweep.json`` (also written atomically).  ``--resume``
skips recorded chunks; a chunk that was running when the sweep died is simply run again.
Memory stays bounded: the parent holds at most a few chunks' rows at a time.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim._version import __version__
from sim.experiments.executors import local_pool
from sim.experiments.experiment import Experiment, sample
from sim.experiments.progress import progress_bar
from sim.experiments.targets import Pattern
from sim.io.scenario import Scenario
from sim.model.model import BLOCK, TradeWarModel
from sim.model.parameters import PER_MODEL, resolve

CHUNK_RUNS = 8 * BLOCK
"""Runs per chunk (whole blocks): large enough to vectorize well, small enough to keep a
worker's memory low."""

CONNECT_SECONDS = 5
"""How long to wait for a Dask scheduler given by ``--address``."""

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
STATE_FILE = "sweep.json"
POINTS_FILE = "points.parquet"


class SweepError(Exception):
    """A sweep that cannot start or resume (the CLI exits with status 2)."""


@dataclass(frozen=True)
class Task:
    point: int
    first_run: int
    runs: int


@dataclass(frozen=True)
class ChunkJob:
    """Everything a worker needs for one chunk (picklable)."""

    index: int
    scenario: Scenario
    seed: int
    outputs: tuple[str, ...]
    tasks: tuple[Task, ...]
    overrides: tuple[dict[str, float], ...]  # per task
    patterns: tuple[Pattern, ...] = ()  # targets measured on each run (calibration)


def iter_chunks(n_points: int, replicates: int,
                chunk_runs: int = CHUNK_RUNS) -> Iterator[list[Task]]:
    """The fixed split of (point, replicate) into chunks of about ``chunk_runs`` runs, one
    chunk at a time (a large design is never held as a list of tasks); a point's
    replicates are cut only at block boundaries."""
    piece = max(BLOCK, chunk_runs // BLOCK * BLOCK)
    current: list[Task] = []
    size = 0
    for p in range(n_points):
        for first in range(0, replicates, piece):
            task = Task(p, first, min(piece, replicates - first))
            if current and size + task.runs > chunk_runs:
                yield current
                current, size = [], 0
            current.append(task)
            size += task.runs
    if current:
        yield current


def plan_chunks(n_points: int, replicates: int, chunk_runs: int = CHUNK_RUNS) -> list[list[Task]]:
    """``iter_chunks`` as a list (for small designs and tests)."""
    return list(iter_chunks(n_points, replicates, chunk_runs))


def run_chunk(job: ChunkJob) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    """Run one chunk; return its run rows and, per point started here, weekly quantiles of
    both tariffs over the point's runs in this chunk.

    The chunk's points advance together in one model, each parameter holding one value
    per run (``sim.model.parameters.resolve``) and each run keeping the random stream of
    its replicate (``TradeWarModel(streams=...)``); points that differ in a parameter that
    must be the same for a whole model (``PER_MODEL``) go to models of their own.  The
    chunks are fixed by the experiment, so the rows are the same however the chunks are
    spread over workers."""
    frames, paths = [], []
    base = resolve(job.scenario.overrides)
    for group in _model_groups(job):
        tasks = [job.tasks[i] for i in group]
        sizes = np.array([t.runs for t in tasks])
        names = sorted({name for i in group for name in job.overrides[i]})
        overrides = {name: np.repeat(np.array([job.overrides[i].get(name, base[name])
                                               for i in group], dtype=float), sizes)
                     for name in names}
        streams = np.concatenate([np.arange(t.first_run, t.first_run + t.runs) for t in tasks])
        model = TradeWarModel(job.scenario, runs=int(streams.size), seed=job.seed,
                              overrides=overrides, streams=streams)
        shown = {}
        for week in range(1, job.scenario.weeks + 1):
            model.step()
            for pattern in job.patterns:
                if pattern.week == week:
                    shown[pattern.column] = pattern.shows(model)
        rows = model.recorder.runs_frame()[["run", *job.outputs]]
        for pattern in job.patterns:
            rows[pattern.column] = shown.get(pattern.column, np.zeros(model.n, dtype=bool))
        rows.insert(0, "point", np.repeat(np.array([t.point for t in tasks], np.int32), sizes))
        rows.insert(0, "_task", np.repeat(np.array(group), sizes))
        frames.append(rows)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        first = [(t.point, start, t.runs) for t, start in zip(tasks, starts, strict=True)
                 if t.first_run == 0]
        if first:
            paths.append(_weekly_quantiles(first, model.recorder.tariff))
        # a Mesa model and its agents form reference cycles holding large arrays; free them
        # now rather than when the cyclic collector next runs (it counts objects, not bytes)
        del model
        gc.collect()
    # rows in the chunk's task order, each task's runs in order (a stable sort)
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.iloc[np.argsort(rows["_task"].to_numpy(), kind="stable")]
    rows = rows.drop(columns="_task").reset_index(drop=True)
    weekly = pd.DataFrame()
    if paths:
        weekly = pd.concat(paths, ignore_index=True)
        rank = {task.point: i for i, task in enumerate(job.tasks) if task.first_run == 0}
        weekly = weekly.iloc[np.lexsort((weekly["week"].to_numpy(),
                                         (weekly["side"] != "us").to_numpy(),
                                         weekly["point"].map(rank).to_numpy()))]
        weekly = weekly.reset_index(drop=True)
    return job.index, rows, weekly


def _model_groups(job: ChunkJob) -> list[list[int]]:
    """The chunk's tasks (indices, in order) grouped by the values they give the
    parameters that must be the same for a whole model."""
    groups: dict[tuple, list[int]] = {}
    for i, overrides in enumerate(job.overrides):
        key = tuple(sorted((k, v) for k, v in overrides.items() if k in PER_MODEL))
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def _weekly_quantiles(first: list[tuple[int, int, int]],
                      tariff: dict[str, np.ndarray]) -> pd.DataFrame:
    """Weekly quantiles of both sides' tariffs (weeks x runs) over each point's runs:
    ``first`` holds (point, first column, runs) of the points started in this model.
    Points with as many runs are done together."""
    labels = [f"q{round(x * 100):02d}" for x in QUANTILES]
    parts = []
    by_size: dict[int, list[tuple[int, int]]] = {}
    for point, start, runs in first:
        by_size.setdefault(runs, []).append((point, start))
    for runs, members in by_size.items():
        points = np.array([m[0] for m in members], dtype=np.int32)
        cols = np.array([m[1] for m in members])[:, None] + np.arange(runs)[None, :]
        for side in ("us", "cn"):
            block = tariff[side][:, cols]  # weeks x points x runs
            q = np.quantile(block, QUANTILES, axis=2)  # quantiles x weeks x points
            weeks = block.shape[0]
            frame = pd.DataFrame({
                "point": np.repeat(points, weeks),
                "side": side,
                "week": np.tile(np.arange(weeks, dtype=np.int16), len(points)),
                **{label: q[i].T.ravel() for i, label in enumerate(labels)}})
            parts.append(frame)
    return pd.concat(parts, ignore_index=True)


# --- executors: one code path for local processes and Dask ------------------------------
@contextlib.contextmanager
def executor_for(kind: str, workers: int, address: str | None = None) -> Iterator[Executor]:
    """A ``concurrent.futures.Executor``: local processes, or a Dask cluster (at
    ``address``, or a LocalCluster on loopback started here)."""
    if kind == "local":
        with local_pool(workers, preload="sim.experiments.sweep") as pool:
            yield pool
        return
    if kind != "dask":
        raise SweepError(f"unknown executor '{kind}' (local or dask)")
    from distributed import Client, LocalCluster

    if address:
        try:
            client = Client(address, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SweepError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        cluster = None
    else:
        # TLS with certificates made for this cluster alone: the scheduler listens on
        # loopback, and no other local process can join it or send its workers code
        from distributed.security import Security

        security = Security.temporary()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, protocol="tls://",
                               security=security)
        client = Client(cluster, security=security)
    try:
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --- the sweep ---------------------------------------------------------------------------
@dataclass
class SweepResult:
    folder: Path
    runs: int
    chunks: int
    skipped: int
    seconds: float


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write via a temporary file in the same folder, then rename into place."""
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_json(path: Path, data: dict) -> None:
    write_atomic(path, lambda p: p.write_text(json.dumps(data, indent=2) + "\n"))


def run_sweep(experiment: Experiment, scenario: Scenario, folder: str | Path, *,
              workers: int = 1, executor: str = "local", address: str | None = None,
              resume: bool = False, chunk_runs: int = CHUNK_RUNS, command: list[str] = (),
              progress: bool = False, patterns: tuple[Pattern, ...] = (),
              points: pd.DataFrame | None = None) -> SweepResult:
    """Run (or resume) the sweep into ``folder``: the experiment's points, or ``points``
    (one row per point, a column per parameter, as ``sample`` gives them) where a caller
    chose them itself (a calibration's later waves)."""
    folder = Path(folder)
    check_folder(folder, resume)
    points = sample(experiment) if points is None else points
    seed = scenario.seed if experiment.seed is None else experiment.seed
    def chunks() -> Iterator[tuple[int, list[Task]]]:  # streamed, never held whole
        return enumerate(iter_chunks(len(points), experiment.replicates, chunk_runs))

    n_chunks = sum(1 for _ in chunks())
    workers = min(workers, n_chunks)  # never more workers than chunks
    started = time.perf_counter()
    # the executor first: a scheduler that cannot be reached leaves no folder behind
    with executor_for(executor, workers, address) as pool, folder_lock(folder):
        state = _start(folder, experiment, scenario, points, seed, n_chunks, chunk_runs,
                       resume, command)
        done = set(state["completed"])
        values = points.to_numpy(dtype=float)
        names = list(points.columns)
        jobs = (ChunkJob(i, scenario, seed, tuple(experiment.outputs), tuple(chunk),
                         tuple(dict(zip(names, values[t.point].tolist(), strict=True))
                               for t in chunk), patterns)
                for i, chunk in chunks() if i not in done)
        total = sum(t.runs for i, chunk in chunks() if i not in done for t in chunk)
        bar = _bar(total, progress)
        try:
            running: set[Future] = set()
            for job in jobs:
                running.add(pool.submit(run_chunk, job))
                if len(running) >= 2 * workers:
                    running = _collect(running, folder, state, bar, FIRST_COMPLETED)
            while running:
                running = _collect(running, folder, state, bar, FIRST_COMPLETED)
        finally:
            if bar is not None:
                bar.close()
        seconds = time.perf_counter() - started
        state["finished"] = True
        state["seconds_last_session"] = round(seconds, 3)
        state["workers_last_session"], state["executor_last_session"] = workers, executor
        _write_json(folder / STATE_FILE, state)
    return SweepResult(folder, total, n_chunks, len(done), seconds)


def _collect(running: set[Future], folder: Path, state: dict, bar, how) -> set[Future]:
    finished, running = wait(running, return_when=how)
    for future in finished:
        index, rows, paths = future.result()
        chunk_dir = folder / "chunks"
        write_atomic(chunk_dir / f"runs-{index:06d}.parquet",
                     lambda p, rows=rows: rows.to_parquet(p, index=False))
        if len(paths):
            write_atomic(chunk_dir / f"paths-{index:06d}.parquet",
                         lambda p, paths=paths: paths.to_parquet(p, index=False))
        state["completed"] = sorted({*state["completed"], index})
        _write_json(folder / STATE_FILE, state)
        if bar is not None:
            bar.update(len(rows))
    return running


STATE_KEYS = {"experiment_sha256": str, "scenario_sha256": str, "chunk_runs": int,
              "chunks": int, "completed": list}
"""What ``sweep.json`` must hold, with its type, for a sweep to be resumed or read."""


def read_state(folder: Path) -> dict:
    """The sweep's ``sweep.json``; ``SweepError`` naming what is wrong if it is missing,
    not JSON, or lacks what a sweep records."""
    path = Path(folder) / STATE_FILE
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        raise SweepError(f"not a sweep folder (no {STATE_FILE})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SweepError(f"{STATE_FILE} is unreadable or corrupt ({exc}); start a new "
                         "sweep in another folder") from None
    if not isinstance(state, dict):
        raise SweepError(f"{STATE_FILE} is corrupt (not a JSON object)")
    for key, kind in STATE_KEYS.items():
        if not isinstance(state.get(key), kind) or isinstance(state.get(key), bool):
            raise SweepError(f"{STATE_FILE} is corrupt: '{key}' is missing or not a "
                             f"{kind.__name__}")
    if not all(isinstance(i, int) and 0 <= i < state["chunks"] for i in state["completed"]):
        raise SweepError(f"{STATE_FILE} is corrupt: 'completed' lists chunks that do not "
                         "exist")
    return state


def check_folder(folder: Path, resume: bool) -> None:
    """Refuse, before anything starts, a folder a new sweep may not use (with ``resume``
    a folder where no sweep started is simply started)."""
    if folder.exists() and not folder.is_dir():
        raise SweepError("is a file, not a folder")
    started = (folder / STATE_FILE).exists()
    if started and resume:
        read_state(folder)
    elif folder.exists() and any(p.name != LOCK_FILE for p in folder.iterdir()):
        raise SweepError("not empty: add --resume to continue the sweep there, or choose "
                         "another --out" if not resume else
                         f"not empty and no sweep started here (no {STATE_FILE}); choose "
                         "another --out")


LOCK_FILE = ".lock"


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the sweep folder, so that a second sweep (or a --resume)
    into the same folder is refused instead of doing the work twice."""
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / LOCK_FILE, "a+")  # noqa: SIM115 (held for the whole sweep)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            raise SweepError(f"another sweep is running in this folder ({owner}); wait for "
                             "it or choose another --out") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


def _start(folder: Path, experiment: Experiment, scenario: Scenario, points: pd.DataFrame,
           seed: int, n_chunks: int, chunk_runs: int, resume: bool, command: list[str]) -> dict:
    """Create the folder (or check it for a resume) and return the sweep's state."""
    state_path = folder / STATE_FILE
    if resume and state_path.exists():
        state = read_state(folder)
        if state["experiment_sha256"] != experiment.digest() or state[
                "scenario_sha256"] != scenario.digest() or state["chunk_runs"] != chunk_runs \
                or state.get("points_sha256", _digest(points)) != _digest(points):
            raise SweepError("the experiment, its scenario, its points or the chunk size "
                             "changed since this sweep started; start a new sweep")
        for stale in (folder / "chunks").glob(".tmp-*"):
            stale.unlink()
        state["completed"] = [i for i in state["completed"]
                              if (folder / "chunks" / f"runs-{i:06d}.parquet").is_file()]
        return state
    check_folder(folder, resume)
    (folder / "chunks").mkdir(parents=True, exist_ok=True)
    write_atomic(folder / POINTS_FILE, lambda p: points.reset_index().to_parquet(p, index=False))
    (folder / "experiment.json").write_text(
        json.dumps(experiment.model_dump(mode="json"), indent=2) + "\n")
    (folder / "scenario.json").write_text(
        json.dumps(scenario.model_dump(mode="json"), indent=2) + "\n")
    state = {"experiment": experiment.name, "experiment_sha256": experiment.digest(),
             "scenario_sha256": scenario.digest(), "package_version": __version__,
             "seed": seed, "points": len(points), "replicates": experiment.replicates,
             "runs": len(points) * experiment.replicates, "chunks": n_chunks,
             "chunk_runs": chunk_runs, "points_sha256": _digest(points),
             "command": list(command), "completed": [],
             "finished": False}
    _write_json(state_path, state)
    return state


def _digest(points: pd.DataFrame) -> str:
    """SHA-256 of a design's points (names and values)."""
    import hashlib

    h = hashlib.sha256(",".join(map(str, points.columns)).encode())
    h.update(np.ascontiguousarray(points.to_numpy(dtype=float)).tobytes())
    return h.hexdigest()


def _bar(total: int, enabled: bool):
    """Progress of a sweep's runs (``sim.experiments.progress``)."""
    return progress_bar(total, enabled, desc="sweep", unit="runs")


# --- reading results ---------------------------------------------------------------------
def chunk_files(folder: Path, kind: str = "runs") -> list[Path]:
    return sorted((Path(folder) / "chunks").glob(f"{kind}-*.parquet"))


def iter_runs(folder: str | Path, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
    """The run rows, one chunk at a time (memory stays bounded)."""
    for path in chunk_files(Path(folder)):
        yield pd.read_parquet(path, columns=columns)


def results_digest(folder: str | Path) -> str:
    """SHA-256 over every run row in (point, run) order: equal digests, equal results."""
    import hashlib

    h = hashlib.sha256()
    for path in chunk_files(Path(folder)):
        frame = pd.read_parquet(path).sort_values(["point", "run"], kind="stable")
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


DEALS = ("comprehensive_deal", "truce", "partial_deal")
"""Outcomes with a deal in force; ``share_deal`` is their summed share."""


def point_summary(folder: str | Path) -> pd.DataFrame:
    """Per point: share of each outcome (and of any deal), the mean of every numeric
    output, the share of runs that reached it, and for week columns the restricted mean
    (a run that never got there counts the scenario's horizon), streamed."""
    from sim.model.outcomes import OUTCOMES

    horizon = json.loads((Path(folder) / "scenario.json").read_text())["weeks"]
    parts = []
    for frame in iter_runs(folder):
        g = frame.groupby("point", observed=True)
        agg = pd.DataFrame({"runs": g.size()})
        for outcome in OUTCOMES:
            agg[f"n_{outcome}"] = (frame["outcome"] == outcome).groupby(frame["point"]).sum()
        for col in frame.columns:
            if col not in ("point", "run", "outcome") and pd.api.types.is_numeric_dtype(
                    frame[col]):
                values = frame[col].astype("Float64")
                agg[f"sum_{col}"] = values.groupby(frame["point"]).sum()
                agg[f"count_{col}"] = values.notna().groupby(frame["point"]).sum()
                if col.endswith("_week"):
                    agg[f"censored_{col}"] = values.fillna(horizon).groupby(
                        frame["point"]).sum()
        parts.append(agg)
    total = pd.concat(parts).groupby(level=0).sum()
    out = pd.DataFrame({"runs": total["runs"]})
    for outcome in OUTCOMES:
        out[f"share_{outcome}"] = total[f"n_{outcome}"] / total["runs"]
    out["share_deal"] = sum(total[f"n_{o}"] for o in DEALS) / total["runs"]
    for col in [c[9:] for c in total.columns if c.startswith("censored_")]:
        out[f"weeks_{col}"] = (total[f"censored_{col}"] / total["runs"]).astype(float)
    for col in [c[4:] for c in total.columns if c.startswith("sum_")]:
        out[f"mean_{col}"] = (total[f"sum_{col}"] / total[f"count_{col}"].where(
            total[f"count_{col}"] > 0)).astype(float)
        out[f"reached_{col}"] = total[f"count_{col}"] / total["runs"]
    points = pd.read_parquet(Path(folder) / POINTS_FILE).set_index("point")
    return points.join(out)


def write_csv(folder: str | Path) -> list[Path]:
    """The sweep's tables as CSV for spreadsheets, beside its Parquet chunks: ``points.csv``
    (``point_summary``, one row per point) and ``runs.csv`` (every run, in chunk order,
    streamed), each written atomically."""
    folder = Path(folder)
    points, runs = folder / "points.csv", folder / "runs.csv"
    write_atomic(points, lambda p: point_summary(folder).to_csv(p))

    def every_run(path: Path) -> None:
        with path.open("w", newline="") as f:
            for i, frame in enumerate(iter_runs(folder)):
                frame.to_csv(f, index=False, header=i == 0)

    write_atomic(runs, every_run)
    return [points, runs]
