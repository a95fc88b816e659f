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

from sim.io.scenario import Scenario
from sim.model.model import BLOCK, TradeWarModel
from sim.model.parameters import BY_NAME, resolve
from sim.model.recorder import DIAGNOSTIC_COUNTS, DIAGNOSTIC_KEYS, diagnostics_table

BATCH_BLOCKS = 50
"""Blocks per batch: 51,200 runs.  A batch costs a fixed ~1.4 s (the Python of a week's
decision, whatever the number of runs) plus a share per run that does not grow with the batch,
so larger batches are faster; 100,000 runs in two batches peak near 650 MB."""

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

    @property
    def parameters(self) -> dict[str, float]:
        """Every parameter value the runs used (defaults with the scenario's overrides)."""
        return resolve(self.overrides)

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
              on_week: Callable[[], None] | None = None) -> BatchResult:
    """Advance one batch of runs through the scenario's weeks."""
    sample = max(0, min(path_sample - batch.first, batch.size))
    model = TradeWarModel(scenario, runs=batch.size, seed=seed, first_run=batch.first,
                          overrides=overrides, sample=sample)
    for _ in range(scenario.weeks):
        model.step()
        if on_week is not None:
            on_week()
    keep = max(0, min(fan_runs - batch.first, batch.size))
    fan = {side: model.recorder.tariff[side][:, :keep].copy() for side in ("us", "cn")}
    result = BatchResult(batch, model.recorder.runs_frame(), model.recorder.paths_frame(), fan,
                         model.recorder.diagnostic_counts())
    del model
    gc.collect()  # free the model's reference cycles (and their arrays) now
    return result


def iter_batches(scenario: Scenario, *, runs: int, seed: int, overrides: dict[str, float],
                 path_sample: int = PATH_SAMPLE, fan_runs: int = FAN_RUNS,
                 batch_blocks: int = BATCH_BLOCKS,
                 on_week: Callable[[], None] | None = None) -> Iterator[BatchResult]:
    """Run the batches one after another in this process, yielding each as it finishes."""
    for batch in plan_batches(runs, batch_blocks):
        yield run_batch(scenario, seed, batch, overrides, path_sample, fan_runs, on_week)


def assemble(scenario: Scenario, seed: int, runs: int, overrides: dict[str, float],
             results: list[BatchResult], path_sample: int, seconds: float = 0.0) -> Ensemble:
    """Join batch results in run order into one :class:`Ensemble`."""
    results = sorted(results, key=lambda r: r.batch.first)
    run_table = pd.concat([r.runs for r in results], ignore_index=True)
    paths = [r.paths for r in results if len(r.paths)]
    path_table = pd.concat(paths, ignore_index=True) if paths else pd.DataFrame()
    fan = {side: np.concatenate([r.fan[side] for r in results], axis=1) for side in ("us", "cn")}
    return Ensemble(scenario, seed, runs, dict(overrides), run_table, path_table, fan,
                    min(path_sample, runs), seconds, [r.batch for r in results],
                    diagnostics_table(sum_counts([r.counts for r in results])))


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
                 progress: bool = False) -> Ensemble:
    """Run a scenario's ensemble (its own ``runs`` and ``seed`` unless given)."""
    runs = scenario.runs if runs is None else runs
    seed = scenario.seed if seed is None else seed
    merged = {**scenario.overrides, **(overrides or {})}
    resolve(merged)  # fail early on a bad name or value
    started = time.perf_counter()
    bar = _progress_bar(len(plan_batches(runs, batch_blocks)) * scenario.weeks, progress)
    try:
        results = list(iter_batches(scenario, runs=runs, seed=seed, overrides=merged,
                                    path_sample=path_sample, fan_runs=fan_runs,
                                    batch_blocks=batch_blocks,
                                    on_week=bar.update if bar is not None else None))
    finally:
        if bar is not None:
            bar.close()
    return assemble(scenario, seed, runs, merged, results, path_sample,
                    time.perf_counter() - started)


def _progress_bar(total: int, enabled: bool):
    """Progress in weeks simulated, summed over batches (``sim.experiments.progress``)."""
    from sim.experiments.progress import progress_bar

    return progress_bar(total, enabled, desc="simulating", unit="batch-weeks")
