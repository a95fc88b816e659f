"""Declared outcome metrics: what a scenario's hypothesis may be about.

One table, :data:`METRICS`, in the style of EMA Workbench's outcomes: each entry names a
measure of an ensemble, says how it is computed from the run table (one row per run, the
columns of :meth:`sim.model.recorder.Recorder.runs_frame`) and carries its documentation.
A metric is a per-run value and a statistic over runs: a 0/1 indicator averaged into a
share, a number averaged into a mean, or a week whose median is taken over the runs where
it is set.  Per-run values keep the run order, so two scenarios run with common random
numbers can be compared run by run (``sim.experiments.hypothesis``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

DEAL_OUTCOMES: tuple[str, ...] = ("comprehensive_deal", "truce", "partial_deal")
"""Outcomes with a deal in force at the horizon (``sim.model.bands`` rules 1-3)."""

Kind = Literal["share", "mean", "median"]


@dataclass(frozen=True)
class Metric:
    """One declared measure of an ensemble."""

    name: str
    kind: Kind
    """``share``: mean of a 0/1 indicator; ``mean``: mean of a number; ``median``: median
    over the runs where the value is set (NaN elsewhere)."""
    unit: str
    doc: str
    values: Callable[[pd.DataFrame, int | None], np.ndarray]
    """Per-run values in run order, from the run table and the metric's ``week`` (if any)."""
    tolerance: float
    """Default half-width of the band a ``same`` hypothesis allows, in the metric's unit."""
    needs_week: bool = False

    def per_run(self, runs: pd.DataFrame, week: int | None = None) -> np.ndarray:
        """Per-run values: ``bool`` for a share, ``float`` (NaN = not set) otherwise."""
        out = self.values(runs, week)
        return out.astype(bool) if self.kind == "share" else out.astype(float)

    def of(self, runs: pd.DataFrame, week: int | None = None) -> float:
        """The metric of one ensemble (NaN for a median with no run to take it over)."""
        v = self.per_run(runs, week)
        if self.kind == "median":
            v = v[~np.isnan(v)]
            return float(np.median(v)) if len(v) else float("nan")
        return float(v.mean())


def _outcome_in(*outcomes: str) -> Callable[[pd.DataFrame, int | None], np.ndarray]:
    return lambda runs, week: runs["outcome"].isin(outcomes).to_numpy()


def _set(column: str) -> Callable[[pd.DataFrame, int | None], np.ndarray]:
    return lambda runs, week: runs[column].notna().to_numpy()


def _by_week(column: str) -> Callable[[pd.DataFrame, int | None], np.ndarray]:
    def values(runs: pd.DataFrame, week: int | None) -> np.ndarray:
        if week is None:
            raise ValueError("this metric needs a week")
        return (runs[column].to_numpy(dtype=float) <= week)  # NaN (never) compares False

    return values


def _column(column: str) -> Callable[[pd.DataFrame, int | None], np.ndarray]:
    return lambda runs, week: runs[column].to_numpy(dtype=float)


def _both_tariffs(runs: pd.DataFrame, week: int | None) -> np.ndarray:
    return (runs["us_tariff_final"].to_numpy(dtype=float)
            + runs["cn_tariff_final"].to_numpy(dtype=float)) / 2


METRICS: tuple[Metric, ...] = (
    Metric("deal_share", "share", "share of runs",
           "Share of runs ending with a deal in force: comprehensive_deal, truce or "
           "partial_deal.", _outcome_in(*DEAL_OUTCOMES), 0.02),
    Metric("comprehensive_share", "share", "share of runs",
           "Share of runs ending in a comprehensive_deal (both broad layers at the floor "
           "under a lasting deal).", _outcome_in("comprehensive_deal"), 0.02),
    Metric("truce_share", "share", "share of runs",
           "Share of runs ending in a truce (a deal in force, broad layers paused or cut "
           "into the truce band, not comprehensive).", _outcome_in("truce"), 0.02),
    Metric("escalation_share", "share", "share of runs",
           "Share of runs ending in a sustained escalation with no deal in force.",
           _outcome_in("escalation"), 0.02),
    Metric("talks_share", "share", "share of runs",
           "Share of runs that reach official talks (channel at deputy level, 2, or above) "
           "at some week, the start included.", _set("first_talks_week"), 0.02),
    Metric("talks_by_week", "share", "share of runs",
           "Share of runs that have reached official talks by the hypothesis' week.",
           _by_week("first_talks_week"), 0.02, needs_week=True),
    Metric("deal_by_week", "share", "share of runs",
           "Share of runs whose first deal or truce came by the hypothesis' week (whether or "
           "not it still stands at the horizon).", _by_week("deal_week"), 0.02,
           needs_week=True),
    Metric("median_deal_week", "median", "weeks",
           "Median week of the first deal or truce, over the runs that reach one.",
           _column("deal_week"), 2.0),
    Metric("mean_us_tariff_final", "mean", "% (effective)",
           "Mean over runs of the US effective tariff on Chinese goods at the horizon.",
           _column("us_tariff_final"), 2.0),
    Metric("mean_cn_tariff_final", "mean", "% (effective)",
           "Mean over runs of China's effective tariff on US goods at the horizon.",
           _column("cn_tariff_final"), 2.0),
    Metric("mean_tariff_final", "mean", "% (effective)",
           "Mean over runs of the two sides' effective tariffs at the horizon, averaged: how "
           "far down the ladder both sides end.", _both_tariffs, 2.0),
)
"""Every metric a hypothesis may name."""

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
METRIC_NAMES: tuple[str, ...] = tuple(BY_NAME)
