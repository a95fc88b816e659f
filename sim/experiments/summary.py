"""Summaries of an ensemble's run table: outcome shares with confidence intervals, time to
official talks and to a deal, and tariff quantiles at the horizon."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from sim.model.outcomes import OUTCOMES

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Share:
    """A share of runs with its Wilson score interval."""

    name: str
    count: int
    total: int
    low: float
    high: float

    @property
    def share(self) -> float:
        return self.count / self.total


@dataclass(frozen=True)
class Timing:
    """When an event first happens: share of runs that reach it by the horizon, and the
    quartiles of its week among those runs."""

    name: str
    reached: Share
    quartiles: tuple[float, float, float] | None


@dataclass(frozen=True)
class Summary:
    """The headline results of an ensemble."""

    runs: int
    weeks: int
    outcomes: tuple[Share, ...]
    timings: tuple[Timing, ...]
    tariffs: pd.DataFrame  # rows: us_tariff_final, cn_tariff_final…; columns: quantiles


def share(name: str, count: int, total: int, confidence: float = CONFIDENCE) -> Share:
    """``count`` of ``total`` with a Wilson interval (Wilson 1927; good near 0 and 1)."""
    ci = binomtest(count, total).proportion_ci(confidence_level=confidence, method="wilson")
    return Share(name, int(count), int(total), float(ci.low), float(ci.high))


def timing(name: str, weeks: pd.Series) -> Timing:
    """Share of runs where ``weeks`` is set, and its quartiles among them."""
    hit = weeks.dropna().to_numpy(dtype=float)
    quartiles = tuple(float(q) for q in np.quantile(hit, (0.25, 0.5, 0.75))) if len(hit) else None
    return Timing(name, share(name, len(hit), len(weeks)), quartiles)  # type: ignore[arg-type]


def summarize(runs: pd.DataFrame, weeks: int) -> Summary:
    """Headline results from a run table (``runs.parquet``)."""
    n = len(runs)
    counts = runs["outcome"].value_counts()
    outcomes = tuple(share(o, int(counts.get(o, 0)), n) for o in OUTCOMES)
    timings = (
        timing("official talks (deputy level or above)", runs["first_talks_week"]),
        timing("first de-escalation", runs["first_deescalation_week"]),
        timing("first deal or truce", runs["deal_week"]),
    )
    columns = ["us_tariff_final", "cn_tariff_final", "us_tariff_peak", "cn_tariff_peak"]
    tariffs = runs[columns].quantile(list(QUANTILES)).T
    tariffs.columns = [f"p{round(q * 100):02d}" for q in QUANTILES]
    return Summary(n, weeks, outcomes, timings, tariffs)


def format_summary(summary: Summary, title: str = "") -> str:
    """Plain-text report for the terminal."""
    pct = f"{CONFIDENCE:.0%}"
    lines = [title] if title else []
    lines.append(f"{summary.runs:,} runs x {summary.weeks} weeks")
    lines.append("")
    lines.append(f"Outcome at the horizon      share   {pct} interval")
    for s in summary.outcomes:
        lines.append(f"  {s.name:<24} {s.share:6.1%}   [{s.low:5.1%}, {s.high:5.1%}]")
    lines.append("")
    lines.append("Timing (weeks from start)   reached by horizon     weeks: p25 / median / p75")
    for t in summary.timings:
        q = " / ".join(f"{v:.0f}" for v in t.quartiles) if t.quartiles else "-"
        lines.append(f"  {t.name:<40.40} {t.reached.share:6.1%}   {q}")
    lines.append("")
    lines.append("Effective tariffs, %       " + "  ".join(f"{c:>6}" for c in summary.tariffs))
    labels = {"us_tariff_final": "US on China, at horizon", "cn_tariff_final":
              "China on US, at horizon", "us_tariff_peak": "US on China, peak",
              "cn_tariff_peak": "China on US, peak"}
    for key, row in summary.tariffs.iterrows():
        lines.append(f"  {labels[str(key)]:<25}" + "  ".join(f"{v:6.1f}" for v in row))
    return "\n".join(lines)


def uncertainty_note(what: str) -> str:
    """The line saying which uncertainty the shares and intervals include, wrapped."""
    import textwrap

    return textwrap.fill(f"Uncertainty: the shares spread over {what}. The intervals are "
                         "the Monte Carlo error of the shares.", width=92)
