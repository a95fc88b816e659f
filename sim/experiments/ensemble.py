"""Monte-Carlo ensembles: a scenario's runs, advanced in batches of whole random blocks.

A batch is one :class:`~sim.model.model.TradeWarModel` holding many runs.  Each run draws from
the stream of its block of ``BLOCK`` runs (``SeedSequence(seed, spawn_key=(block,))``),
so the tables are identical however the runs are split into batches, processes or
machines.  Tables are assembled in run order.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.io.calibrated import CalibratedSet
from sim.io.scenario import Scenario
from sim.model.model import BLOCK, TradeWarModel
from sim.model.parameters import BY_NAME, PER_MODEL, resolve
from sim.model.recorder import DIAGNOSTIC_COUNTS, DIAGNOSTIC_KEYS, diagnostics_table

BATCH_BLOCKS = 50
"""Blocks per batch: 51,200 runs.  A batch costs a fixed ~1.4 s (the Python of a week's
decision, whatever the number of runs) plus a share per run that does not grow with the batch,
so larger batches are faster; 100,000 runs in two batches peak near 650 MB."""

BATCH_RUNS = BATCH_BLOCKS * BLOCK
"""Runs per batch: fixed, so an ensemble's models are the same whatever runs it."""

PATH_SAMPLE = 1000
"""Runs (the first ones) whose week-by-week records go to ``paths.parquet`` by default."""

FAN_RUNS = 20_000
"""Runs (the first ones) whose tariff paths feed the fan chart's weekly quantiles."""


@dataclass(frozen=True)
class Batch:
    """A contiguous range of runs starting on a block boundary."""

    first: int
    size: int


@dataclass
class BatchResult:
    """What one batch returns: its run table, sampled paths, fan-chart paths and the
    integer counts of choices against the margin (``Recorder.diagnostic_counts``)."""

    batch: Batch
    runs: pd.DataFrame
    paths: pd.DataFrame
    fan: dict[str, np.ndarray]  # side -> (weeks + 1, runs kept) effective tariff, %
    counts: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class Ensemble:
    """All runs of one scenario: the tables every later stage reads."""

    scenario: Scenario
    seed: int
    n_runs: int
    overrides: dict[str, float]
    runs: pd.DataFrame
    paths: pd.DataFrame
    fan: dict[str, np.ndarray]
    path_sample: int
    seconds: float = 0.0
    batches: list[Batch] = field(default_factory=list)
    diagnostics: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Per side, kind (move or answer) and move: free choices, how many against a negative
    margin, their share and mean regret in weeks of pain (``diagnostics_table``)."""
    calibrated: CalibratedSet | None = None
    """The set each run drew its parameters from (column ``parameter_point`` of ``runs``),
    or None: every run at the declared defaults."""

    @property
    def uncertainty(self) -> str:
        """Which uncertainty the outcome distribution includes, in one sentence."""
        if self.calibrated is None:
            return ("decision noise and the drawn private types; parameters fixed at their "
                    "declared defaults (--fixed-parameters)")
        return ("decision noise, the drawn private types and the parameters: "
                + self.calibrated.describe())

    def drawn(self, name: str) -> np.ndarray:
        """Each run's value of parameter ``name``: the one its calibrated point holds, or,
        where the set does not draw it (no set, or set by the scenario or ``--set``), the
        value every run used."""
        cal = self.calibrated
        if cal is not None and name in cal.names and name not in self.overrides:
            points = self.runs["parameter_point"].to_numpy(np.int64)
            return cal.values[points, cal.names.index(name)]
        return np.full(len(self.runs), self.parameters[name], dtype=np.float64)

    @property
    def parameters(self) -> dict[str, float]:
        """Every parameter value the runs used (defaults with the scenario's overrides)."""
        return resolve(self.overrides)

    def set_parameters(self) -> dict[str, float]:
        """What ``--set`` (the ``overrides``) gave on top of the scenario's own values,
        default values included: with a calibrated set, a parameter set to its default is
        held there, not drawn."""
        own = self.scenario.overrides
        return {k: v for k, v in self.overrides.items() if k not in own or own[k] != v}

    def changed_parameters(self) -> dict[str, float]:
        """Parameters that differ from their defaults."""
        return {k: v for k, v in self.parameters.items() if v != BY_NAME[k].default}


def plan_batches(runs: int, batch_blocks: int = BATCH_BLOCKS) -> list[Batch]:
    """Split ``runs`` into batches of ``batch_blocks`` whole blocks (the last may be short)."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    if batch_blocks < 1:
        raise ValueError("batch_blocks must be at least 1")
    size = batch_blocks * BLOCK
    return [Batch(first, min(size, runs - first)) for first in range(0, runs, size)]


def run_batch(scenario: Scenario, seed: int, batch: Batch, overrides: dict[str, float],
              path_sample: int, fan_runs: int,
              on_week: Callable[[float], None] | None = None,
              calibrated: CalibratedSet | None = None) -> BatchResult:
    """Advance one batch of runs through the scenario's weeks (with ``calibrated``: each
    run with the parameters of the point it draws, ``sim.io.calibrated``)."""
    if calibrated is not None:
        return _run_calibrated_batch(scenario, seed, batch, overrides, path_sample, fan_runs,
                                     on_week, calibrated)
    sample = max(0, min(path_sample - batch.first, batch.size))
    model = TradeWarModel(scenario, runs=batch.size, seed=seed, first_run=batch.first,
                          overrides=overrides, sample=sample)
    for _ in range(scenario.weeks):
        model.step()
        if on_week is not None:
            on_week(1.0)
    keep = max(0, min(fan_runs - batch.first, batch.size))
    fan = {side: model.recorder.tariff[side][:, :keep].copy() for side in ("us", "cn")}
    result = BatchResult(batch, model.recorder.runs_frame(), model.recorder.paths_frame(), fan,
                         model.recorder.diagnostic_counts())
    del model
    gc.collect()  # free the model's reference cycles (and their arrays) now
    return result


def _run_calibrated_batch(scenario: Scenario, seed: int, batch: Batch,
                          overrides: dict[str, float], path_sample: int, fan_runs: int,
                          on_week: Callable[[float], None] | None,
                          calibrated: CalibratedSet) -> BatchResult:
    """A batch whose runs draw their parameters from a calibrated set.  Runs that draw the
    same values of the parameters that must be one per model (``PER_MODEL``) advance in
    one model, with their own streams; every model keeps its per-run values as arrays
    (``keep_arrays``), so that a run replayed alone (``sim.reports.explain``) repeats."""
    runs, paths, fans, counts, order = [], [], {"us": [], "cn": []}, [], []
    for mine, model in calibrated_models(scenario, seed, batch, overrides, calibrated,
                                         path_sample):
        for _ in range(scenario.weeks):
            model.step()
            if on_week is not None:
                on_week(mine.size / batch.size)
        keep = int((mine < fan_runs).sum())
        for side in ("us", "cn"):
            fans[side].append(model.recorder.tariff[side][:, :keep].copy())
        order.append(mine[:keep])
        runs.append(model.recorder.runs_frame())
        paths.append(model.recorder.paths_frame())
        counts.append(model.recorder.diagnostic_counts())
        del model
        gc.collect()
    table = _concat_sorted(runs, ["run"])
    rows = calibrated.rows(seed, np.arange(batch.first, batch.first + batch.size))
    table.insert(1, "parameter_point", rows.astype(np.int32))
    kept = np.argsort(np.concatenate(order), kind="stable")
    fan = {side: np.concatenate(fans[side], axis=1)[:, kept] for side in ("us", "cn")}
    return BatchResult(batch, table, _concat_sorted(paths, ["week", "run"]), fan,
                       sum_counts(counts))


def calibrated_models(scenario: Scenario, seed: int, batch: Batch,
                      overrides: dict[str, float], calibrated: CalibratedSet,
                      path_sample: int = 0) -> Iterator[tuple[np.ndarray, TradeWarModel]]:
    """The models of a batch whose runs draw their parameters from ``calibrated``, each
    with the runs (streams) it holds, made one at a time (``split_per_model``)."""
    streams = np.arange(batch.first, batch.first + batch.size, dtype=np.int64)
    drawn = calibrated.drawn(calibrated.rows(seed, streams),
                             fixed=set(overrides) | set(scenario.overrides))
    for idx, group in split_per_model(drawn, streams.size):
        mine = streams[idx]
        yield mine, TradeWarModel(scenario, runs=int(mine.size), seed=seed,
                                  first_run=batch.first, overrides={**overrides, **group},
                                  streams=mine, sample=int((mine < path_sample).sum()),
                                  keep_arrays=True)


def split_per_model(drawn: dict[str, np.ndarray], n: int
                    ) -> list[tuple[np.ndarray, dict[str, float | np.ndarray]]]:
    """The ``n`` runs (indices) grouped by the values they draw of the ``PER_MODEL``
    parameters, in order of those values; each group's parameters: those numbers, and the
    other parameters' values for its runs."""
    keys = [name for name in drawn if name in PER_MODEL]
    if not keys:
        return [(np.arange(n), dict(drawn))]
    combos, which = np.unique(np.stack([drawn[k] for k in keys], axis=1), axis=0,
                              return_inverse=True)
    groups = []
    for g, combo in enumerate(combos):
        idx = np.flatnonzero(which.ravel() == g)
        values: dict[str, float | np.ndarray] = {
            name: (float(combo[keys.index(name)]) if name in PER_MODEL else v[idx])
            for name, v in drawn.items()}
        groups.append((idx, values))
    return groups


def _concat_sorted(frames: list[pd.DataFrame], by: list[str]) -> pd.DataFrame:
    """Frames of a batch's models as one, in the order one model would have given them
    (``by``, stably); categorical columns stay categorical."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    categorical = [c for c in frames[0].columns
                   if isinstance(frames[0][c].dtype, pd.CategoricalDtype)]
    table = pd.concat(frames, ignore_index=True)
    for column in categorical:
        table[column] = table[column].astype("category")
    keys = [table[c].to_numpy() for c in reversed(by)]
    return table.iloc[np.lexsort(keys)].reset_index(drop=True)


def iter_batches(scenario: Scenario, *, runs: int, seed: int, overrides: dict[str, float],
                 path_sample: int = PATH_SAMPLE, fan_runs: int = FAN_RUNS,
                 batch_blocks: int = BATCH_BLOCKS,
                 on_week: Callable[[float], None] | None = None,
                 calibrated: CalibratedSet | None = None) -> Iterator[BatchResult]:
    """Run the batches one after another in this process, yielding each as it finishes."""
    for batch in plan_batches(runs, batch_blocks):
        yield run_batch(scenario, seed, batch, overrides, path_sample, fan_runs, on_week,
                        calibrated)


def assemble(scenario: Scenario, seed: int, runs: int, overrides: dict[str, float],
             results: list[BatchResult], path_sample: int, seconds: float = 0.0,
             calibrated: CalibratedSet | None = None) -> Ensemble:
    """Join batch results in run order into one :class:`Ensemble`."""
    results = sorted(results, key=lambda r: r.batch.first)
    run_table = pd.concat([r.runs for r in results], ignore_index=True)
    paths = [r.paths for r in results if len(r.paths)]
    path_table = pd.concat(paths, ignore_index=True) if paths else pd.DataFrame()
    fan = {side: np.concatenate([r.fan[side] for r in results], axis=1) for side in ("us", "cn")}
    return Ensemble(scenario, seed, runs, dict(overrides), run_table, path_table, fan,
                    min(path_sample, runs), seconds, [r.batch for r in results],
                    diagnostics_table(sum_counts([r.counts for r in results])), calibrated)


def sum_counts(counts: list[pd.DataFrame]) -> pd.DataFrame:
    """Batches' diagnostic counts summed row by row (integers: exact in any order)."""
    keys, cols = list(DIAGNOSTIC_KEYS), list(DIAGNOSTIC_COUNTS)
    frames = [c for c in counts if len(c)]
    if not frames:
        return pd.DataFrame({**{k: pd.Series(dtype=object) for k in keys},
                             **{c: pd.Series(dtype=np.int64) for c in cols}})
    total = frames[0].copy()
    for frame in frames[1:]:
        if not frame[keys].equals(total[keys]):
            raise ValueError("batches disagree on the rows of their diagnostic counts")
        total[cols] = total[cols].to_numpy(np.int64) + frame[cols].to_numpy(np.int64)
    return total


def run_ensemble(scenario: Scenario, *, runs: int | None = None, seed: int | None = None,
                 overrides: dict[str, float] | None = None, path_sample: int = PATH_SAMPLE,
                 fan_runs: int = FAN_RUNS, batch_blocks: int = BATCH_BLOCKS,
                 progress: bool = False, calibrated: CalibratedSet | None = None,
                 workers: int = 1) -> Ensemble:
    """Run a scenario's ensemble (its own ``runs`` and ``seed`` unless given).

    ``calibrated``: each run draws the parameters the scenario and ``overrides`` leave
    alone from this set (``sim.io.calibrated.load_calibrated_set()``: the shipped one);
    None: every run uses the declared defaults.  ``workers``: batches run side by side in
    up to that many local processes (``sim.experiments.executors``) where there is more
    than one batch; the ensemble is the same, run for run, whatever the number."""
    runs = scenario.runs if runs is None else runs
    seed = scenario.seed if seed is None else seed
    merged = {**scenario.overrides, **(overrides or {})}
    resolve(merged)  # fail early on a bad name or value
    if workers < 1:
        raise ValueError("workers must be at least 1")
    started = time.perf_counter()
    batches = plan_batches(runs, batch_blocks)
    bar = _progress_bar(len(batches) * scenario.weeks, progress)
    try:
        if workers > 1 and len(batches) > 1:
            results = _run_in_workers(scenario, seed, batches, merged, path_sample, fan_runs,
                                      calibrated, min(workers, len(batches)), bar)
        else:
            results = list(iter_batches(scenario, runs=runs, seed=seed, overrides=merged,
                                        path_sample=path_sample, fan_runs=fan_runs,
                                        batch_blocks=batch_blocks,
                                        on_week=bar.update if bar is not None else None,
                                        calibrated=calibrated))
    finally:
        if bar is not None:
            bar.close()
    return assemble(scenario, seed, runs, merged, results, path_sample,
                    time.perf_counter() - started, calibrated)


def _run_in_workers(scenario: Scenario, seed: int, batches: list[Batch],
                    overrides: dict[str, float], path_sample: int, fan_runs: int,
                    calibrated: CalibratedSet | None, workers: int, bar) -> list[BatchResult]:
    """Each batch in a worker process; the bar moves a batch's weeks as it finishes."""
    from concurrent.futures import as_completed

    from sim.experiments.executors import local_pool

    results = []
    with local_pool(workers) as pool:
        futures = [pool.submit(run_batch, scenario, seed, batch, overrides, path_sample,
                               fan_runs, None, calibrated) for batch in batches]
        try:
            for future in as_completed(futures):
                results.append(future.result())
                if bar is not None:
                    bar.update(scenario.weeks)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # the batches not yet started
            raise
    return results


def _progress_bar(total: int, enabled: bool):
    """Progress in weeks simulated, summed over batches (``sim.experiments.progress``)."""
    from sim.experiments.progress import progress_bar

    return progress_bar(total, enabled, desc="simulating", unit="batch-weeks")
