"""Figures: the fan chart of both sides' tariffs and the outcome shares."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

from sim.summary import Summary

SIDE_STYLE = {"us": ("US tariff on Chinese goods", "tab:blue"),
              "cn": ("China's tariff on US goods", "tab:red")}
OUTCOME_COLOURS = {"comprehensive_deal": "tab:green", "truce": "tab:olive",
                   "de_escalation": "tab:cyan", "managed_stalemate": "tab:gray",
                   "escalation": "tab:red"}


def fan_chart(ax: plt.Axes, fan: dict[str, np.ndarray], start: dt.date) -> None:
    """Median, 50% and 90% bands of each side's effective tariff, week by week."""
    weeks = fan["us"].shape[0]
    dates = [start + dt.timedelta(weeks=w) for w in range(weeks)]
    for side, (label, colour) in SIDE_STYLE.items():
        q = np.quantile(fan[side], (0.05, 0.25, 0.5, 0.75, 0.95), axis=1)
        ax.fill_between(dates, q[0], q[4], color=colour, alpha=0.12, lw=0)
        ax.fill_between(dates, q[1], q[3], color=colour, alpha=0.28, lw=0)
        ax.plot(dates, q[2], color=colour, lw=2, label=f"{label} (median)")
    ax.set_ylabel("effective tariff, %")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.tick_params(axis="x", labelrotation=30)
    ax.legend(loc="lower left", fontsize=8, title="bands: 50% and 90% of runs",
              title_fontsize=8)
    ax.grid(alpha=0.3)


def outcome_bars(ax: plt.Axes, summary: Summary) -> None:
    """Share of runs ending in each outcome, with 95% Wilson intervals."""
    names = [s.name.replace("_", " ") for s in summary.outcomes]
    shares = np.array([s.share for s in summary.outcomes]) * 100
    low = shares - np.array([s.low for s in summary.outcomes]) * 100
    high = np.array([s.high for s in summary.outcomes]) * 100 - shares
    colours = [OUTCOME_COLOURS[s.name] for s in summary.outcomes]
    y = np.arange(len(names))
    ax.barh(y, shares, xerr=[low, high], color=colours, capsize=3)
    for yi, value in zip(y, shares, strict=True):
        ax.text(value + 1.5, yi, f"{value:.1f}%", va="center", fontsize=8)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of runs, % (95% CI)")
    ax.grid(axis="x", alpha=0.3)


def summary_figure(fan: dict[str, np.ndarray], summary: Summary, start: dt.date,
                   title: str, path: str | Path) -> None:
    """Write the two-panel summary figure (fan chart, outcome shares) to ``path``."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8),
                                      gridspec_kw={"width_ratios": [1.7, 1]})
    fan_chart(left, fan, start)
    left.set_title(f"Tariff paths ({fan['us'].shape[1]:,} runs)", fontsize=10)
    outcome_bars(right, summary)
    right.set_title(f"Outcome after {summary.weeks} weeks ({summary.runs:,} runs)", fontsize=10)
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
