"""Side-by-side comparison of scenarios with common random numbers.

Every scenario is run with the same seed and number of runs, so run ``k`` of each draws
the same random numbers (its block stream, ``sim.model.model``): differences between scenarios
are differences of policy, not of luck.  Differences to the first scenario are paired by
run; their intervals come from a paired bootstrap, drawn exactly for a difference of two
indicators by resampling the counts of (-1, 0, +1) run differences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.ensemble import Ensemble, run_ensemble
from sim.experiments.summary import CONFIDENCE, share
from sim.io.calibrated import CalibratedSet
from sim.io.scenario import Scenario
from sim.model.outcomes import OUTCOMES

BOOTSTRAP = 2000
BOOTSTRAP_SEED = 0  # the intervals are reproducible

Statistic = Callable[[np.ndarray], np.ndarray]
"""A statistic of per-run values: ``(draws, runs)`` array -> one value per draw."""


@dataclass
class Comparison:
    """Ensembles run with common random numbers, and the comparison table."""

    ensembles: list[Ensemble]
    table: pd.DataFrame  # one row per (scenario, measure)

    @property
    def names(self) -> list[str]:
        return [e.scenario.name for e in self.ensembles]


def run_comparison(scenarios: list[Scenario], *, runs: int, seed: int,
                   overrides: dict[str, float] | None = None,
                   progress: bool = False,
                   calibrated: CalibratedSet | None = None) -> Comparison:
    """Run each scenario with the same ``runs`` and ``seed`` (and, with ``calibrated``,
    each run drawing the same point of the set in every scenario), then tabulate."""
    ensembles = [run_ensemble(s, runs=runs, seed=seed, overrides=overrides, path_sample=0,
                              progress=progress, calibrated=calibrated) for s in scenarios]
    return Comparison(ensembles, comparison_table(ensembles))


def paired_difference(a: np.ndarray, b: np.ndarray, rng: np.random.Generator,
                      confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean of ``a - b`` for paired 0/1 indicators, with a paired-bootstrap interval."""
    d = a.astype(np.int8) - b.astype(np.int8)
    n = len(d)
    counts = np.array([(d == -1).sum(), (d == 0).sum(), (d == 1).sum()])
    draws = rng.multinomial(n, counts / n, size=BOOTSTRAP)
    means = (draws[:, 2] - draws[:, 0]) / n
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, (tail, 1 - tail))
    return float(d.mean()), float(low), float(high)


def paired_bootstrap(a: np.ndarray, b: np.ndarray, statistic: Statistic,
                     rng: np.random.Generator, confidence: float = CONFIDENCE,
                     chunk: int = 200) -> tuple[float, float, float]:
    """``statistic(a) - statistic(b)`` for per-run values paired by run, with a paired-
    bootstrap interval: runs are resampled by index, the same indices for both, so the
    pairing (common random numbers) is kept.  ``statistic`` maps a ``(draws, runs)`` array
    to one value per draw.  The interval is NaN if any draw's statistic is undefined."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError("a and b must be non-empty per-run values of the same runs")
    n = len(a)
    estimate = float(statistic(a[None, :])[0] - statistic(b[None, :])[0])
    draws = []
    for start in range(0, BOOTSTRAP, chunk):
        idx = rng.integers(0, n, size=(min(chunk, BOOTSTRAP - start), n))
        draws.append(statistic(a[idx]) - statistic(b[idx]))
    diffs = np.concatenate(draws)
    if np.isnan(diffs).any():
        return estimate, float("nan"), float("nan")
    tail = (1 - confidence) / 2
    low, high = np.quantile(diffs, (tail, 1 - tail))
    return estimate, float(low), float(high)


def row_means(x: np.ndarray) -> np.ndarray:
    """Mean of each row (a ``paired_bootstrap`` statistic)."""
    return x.mean(axis=1)


def row_medians_of_set(x: np.ndarray) -> np.ndarray:
    """Median of each row over its non-NaN entries, NaN for a row with none (a
    ``paired_bootstrap`` statistic)."""
    ordered = np.sort(x, axis=1)  # NaN sorts last
    k = (~np.isnan(ordered)).sum(axis=1)
    rows = np.arange(len(x))
    lo, hi = np.maximum((k - 1) // 2, 0), np.maximum(k // 2, 0)
    out = (ordered[rows, lo] + ordered[rows, np.minimum(hi, x.shape[1] - 1)]) / 2
    return np.where(k > 0, out, np.nan)


def median_with_interval(weeks: np.ndarray, rng: np.random.Generator,
                         confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Median with a percentile-bootstrap interval (NaN when empty).

    A resample is drawn as counts of the distinct values (a multinomial draw), not as an
    index per run: the same bootstrap distribution, in memory that grows with the number of
    distinct values (weeks: at most the horizon) rather than with the number of runs."""
    n = len(weeks)
    if n == 0:
        return (float("nan"),) * 3
    values, counts = np.unique(weeks, return_counts=True)
    draws = rng.multinomial(n, counts / n, size=BOOTSTRAP).cumsum(axis=1)
    # the median: the values at 0-based ranks (n - 1) // 2 and n // 2, averaged
    lo = (draws <= (n - 1) // 2).sum(axis=1)
    hi = (draws <= n // 2).sum(axis=1)
    medians = (values[lo] + values[hi]) / 2
    tail = (1 - confidence) / 2
    low, high = np.quantile(medians, (tail, 1 - tail))
    return float(np.median(weeks)), float(low), float(high)


TIMES = {"first_talks_week": "first official talks (week)",
         "deal_week": "first deal or truce (week)"}


def comparison_table(ensembles: list[Ensemble]) -> pd.DataFrame:
    """Outcome shares and key times for each scenario, with intervals, and each share's
    paired difference to the first scenario."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    first = ensembles[0].runs
    rows = []
    for ens in ensembles:
        runs = ens.runs
        n = len(runs)
        for outcome in OUTCOMES:
            hit = (runs["outcome"] == outcome).to_numpy()
            s = share(outcome, int(hit.sum()), n)
            diff = paired_difference(hit, (first["outcome"] == outcome).to_numpy(), rng)
            rows.append({"scenario": ens.scenario.name, "measure": f"share {outcome}",
                         "value": s.share, "low": s.low, "high": s.high,
                         "diff_vs_first": diff[0], "diff_low": diff[1], "diff_high": diff[2]})
        for column, label in TIMES.items():
            reached = runs[column].notna().to_numpy()
            s = share(column, int(reached.sum()), n)
            diff = paired_difference(reached, first[column].notna().to_numpy(), rng)
            rows.append({"scenario": ens.scenario.name, "measure": f"reached {label}",
                         "value": s.share, "low": s.low, "high": s.high,
                         "diff_vs_first": diff[0], "diff_low": diff[1], "diff_high": diff[2]})
            med = median_with_interval(runs[column].dropna().to_numpy(dtype=float), rng)
            rows.append({"scenario": ens.scenario.name, "measure": f"median {label}",
                         "value": med[0], "low": med[1], "high": med[2],
                         "diff_vs_first": np.nan, "diff_low": np.nan, "diff_high": np.nan})
    return pd.DataFrame(rows)


def format_comparison(comparison: Comparison) -> str:
    """Plain-text table: each measure, scenario by scenario."""
    table = comparison.table
    first = comparison.names[0]
    ens = comparison.ensembles[0]
    lines = [f"{len(comparison.names)} scenarios, {ens.n_runs:,} runs each, seed {ens.seed} "
             f"(common random numbers); differences are to '{first}', paired by run, "
             f"{CONFIDENCE:.0%} intervals", ""]
    for measure, rows in table.groupby("measure", sort=False):
        lines.append(str(measure))
        is_share = not str(measure).startswith("median")
        for r in rows.itertuples():
            if is_share:
                text = f"{r.value:6.1%} [{r.low:5.1%}, {r.high:5.1%}]"
                if r.scenario != first:
                    text += (f"   {r.diff_vs_first:+6.1%} [{r.diff_low:+5.1%}, "
                             f"{r.diff_high:+5.1%}]")
            else:
                text = ("-" if np.isnan(r.value) else
                        f"{r.value:6.1f} [{r.low:4.1f}, {r.high:4.1f}]")
            lines.append(f"  {r.scenario:<24.24} {text}")
    return "\n".join(lines)
