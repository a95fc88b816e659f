"""Figures: the fan chart of both sides' tariffs and the outcome shares."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

from sim.experiments.summary import Summary

SIDE_STYLE = {"us": ("US tariff on Chinese goods", "tab:blue"),
              "cn": ("China's tariff on US goods", "tab:red")}
OUTCOME_COLOURS = {"comprehensive_deal": "tab:green", "truce": "tab:olive",
                   "partial_deal": "tab:purple",
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


def outcome_label(name: str) -> str:
    """An outcome class as a figure labels it ('de_escalation' -> 'de-escalation')."""
    return name.replace("de_escalation", "de-escalation").replace("_", " ")


def outcome_bars(ax: plt.Axes, summary: Summary) -> None:
    """Share of runs ending in each outcome, with 95% Wilson intervals."""
    names = [outcome_label(s.name) for s in summary.outcomes]
    shares = np.array([s.share for s in summary.outcomes]) * 100
    low = shares - np.array([s.low for s in summary.outcomes]) * 100
    high = np.array([s.high for s in summary.outcomes]) * 100 - shares
    colours = [OUTCOME_COLOURS[s.name] for s in summary.outcomes]
    y = np.arange(len(names))
    ax.barh(y, shares, xerr=[low, high], color=colours, capsize=3)
    for yi, value, up in zip(y, shares, high, strict=True):  # clear of the interval
        ax.text(value + up + 1.5, yi, f"{value:.1f}%", va="center", fontsize=8)
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


def comparison_figure(ensembles: list, table, path: str | Path) -> None:
    """Outcome shares, tariff paths and time-to-deal ECDFs of several scenarios."""
    from sim.model.outcomes import OUTCOMES

    fig, (bars, fans, ecdf) = plt.subplots(1, 3, figsize=(16, 5))
    names = [e.scenario.name for e in ensembles]
    colours = plt.get_cmap("tab10").colors
    height = 0.8 / len(names)
    y = np.arange(len(OUTCOMES))
    for k, name in enumerate(names):
        rows = table[(table["scenario"] == name) & table["measure"].str.startswith("share ")]
        values = rows["value"].to_numpy() * 100
        err = [values - rows["low"].to_numpy() * 100, rows["high"].to_numpy() * 100 - values]
        bars.barh(y + k * height, values, height, xerr=err, color=colours[k % 10], capsize=2,
                  label=name)
    bars.set_yticks(y + 0.4 - height / 2, [outcome_label(o) for o in OUTCOMES])
    bars.invert_yaxis()
    bars.set_xlim(0, 100)
    bars.set_xlabel("share of runs, % (95% CI)")
    bars.set_title("Outcome after the horizon", fontsize=10)
    bars.legend(fontsize=8)
    bars.grid(axis="x", alpha=0.3)
    for k, ens in enumerate(ensembles):
        weeks = np.arange(ens.fan["us"].shape[0])
        for side, style in (("us", "-"), ("cn", "--")):
            q = np.quantile(ens.fan[side], (0.25, 0.5, 0.75), axis=1)
            fans.plot(weeks, q[1], style, color=colours[k % 10], lw=1.8,
                      label=f"{ens.scenario.name} ({side.upper()})")
            fans.fill_between(weeks, q[0], q[2], color=colours[k % 10], alpha=0.12, lw=0)
    fans.set_xlabel("week")
    fans.set_ylabel("effective tariff, % (median, 50% band)")
    fans.set_ylim(bottom=0)
    fans.set_title("Tariff paths: US on China (solid), China on US (dashed)", fontsize=10)
    fans.legend(fontsize=7, ncol=2)
    fans.grid(alpha=0.3)
    for k, ens in enumerate(ensembles):
        horizon = ens.scenario.weeks
        weeks = ens.runs["deal_week"].to_numpy(dtype=float, na_value=np.inf)
        grid = np.arange(horizon + 1)
        reached = (weeks[None, :] <= grid[:, None]).mean(axis=1) * 100
        ecdf.step(grid, reached, where="post", color=colours[k % 10], label=ens.scenario.name)
    ecdf.set_xlabel("week")
    ecdf.set_ylabel("runs with a deal or truce by then, %")
    ecdf.set_ylim(0, 100)
    ecdf.set_title("Time to first deal or truce (ECDF, censored at the horizon)", fontsize=10)
    ecdf.legend(fontsize=8)
    ecdf.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
