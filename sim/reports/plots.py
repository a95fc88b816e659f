"""Figures: the fan chart of both sides' tariffs and the outcome shares."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import matplotlib

# files only (Agg), but in Jupyter, whose kernel names its inline backend in MPLBACKEND
# ("module://..."), where the figures the API returns are shown; an interactive backend
# named there is not used: nothing here opens a window
matplotlib.use(os.environ.get("MPLBACKEND", "") if os.environ.get(
    "MPLBACKEND", "").startswith("module://") else "Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from sim.experiments.summary import Summary

# load the backend now: Jupyter's inline backend, once loaded, shows the figures that are
# returned (built without pyplot, they would otherwise print as text); one that cannot be
# loaded gives way to Agg
try:
    plt.switch_backend(matplotlib.get_backend())
except (ImportError, ValueError):
    plt.switch_backend("Agg")

SIDE_STYLE = {"us": ("US tariff on Chinese goods", "tab:blue"),
              "cn": ("China's tariff on US goods", "tab:red")}
OUTCOME_COLOURS = {"comprehensive_deal": "tab:green", "truce": "tab:olive",
                   "partial_deal": "tab:purple",
                   "de_escalation": "tab:cyan", "managed_stalemate": "tab:gray",
                   "escalation": "tab:red"}


SAMPLE_PATHS = 8
"""Single runs drawn over the fan chart: the median of a bimodal ensemble (some runs cut
early, some late) describes no run, the runs themselves show what happens."""


def fan_chart(ax: plt.Axes, fan: dict[str, np.ndarray], start: dt.date,
              sample: int = SAMPLE_PATHS) -> None:
    """Median, 50% and 90% bands of each side's effective tariff, week by week, with a few
    single runs (the first ``sample``) drawn thin."""
    weeks = fan["us"].shape[0]
    dates = [start + dt.timedelta(weeks=w) for w in range(weeks)]
    for side, (label, colour) in SIDE_STYLE.items():
        q = np.quantile(fan[side], (0.05, 0.25, 0.5, 0.75, 0.95), axis=1)
        ax.fill_between(dates, q[0], q[4], color=colour, alpha=0.10, lw=0)
        ax.fill_between(dates, q[1], q[3], color=colour, alpha=0.22, lw=0)
        for k in range(min(sample, fan[side].shape[1])):
            ax.plot(dates, fan[side][:, k], color=colour, lw=0.7, alpha=0.55,
                    drawstyle="steps-post",
                    label=f"{label}: single runs" if k == 0 else None)
        ax.plot(dates, q[2], color=colour, lw=2.2, ls="--", label=f"{label}: median")
    ax.set_ylabel("effective tariff, %")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.tick_params(axis="x", labelrotation=30)
    fan_legend(ax)
    ax.grid(alpha=0.3)


def fan_legend(ax: plt.Axes) -> None:
    """The fan chart's legend, under the axes and their date labels, clear of the paths
    (which fill the whole height); call again after adding a labelled line."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2, fontsize=7,
              title="bands: 50% and 90% of runs", title_fontsize=7, frameon=False)


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
    ax.set_xlabel("share of runs, %\n(whiskers: 95% interval of the Monte Carlo error)",
                  fontsize=9)
    ax.grid(axis="x", alpha=0.3)


def summary_figure(fan: dict[str, np.ndarray], summary: Summary, start: dt.date,
                   title: str, path: str | Path | None = None, footnote: str = "") -> Figure:
    """The two-panel summary figure (fan chart, outcome shares), with ``footnote`` (what
    produced it) under both panels; written to ``path`` if given.  The figure is not
    registered with pyplot: it shows where it is returned (a notebook) and nowhere else."""
    fig = Figure(figsize=(12, 5.2))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.7, 1]})
    fan_chart(left, fan, start)
    left.set_title(f"Tariff paths ({fan['us'].shape[1]:,} runs)", fontsize=10)
    outcome_bars(right, summary)
    right.set_title(f"Outcome after {summary.weeks} weeks ({summary.runs:,} runs)", fontsize=10)
    fig.suptitle(title, fontsize=12)
    fig.tight_layout(rect=(0, 0.04 if footnote else 0, 1, 1))
    if footnote:
        fig.text(0.01, 0.01, footnote, fontsize=7, color="0.35", ha="left", va="bottom")
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def figure_title(name: str, description: str) -> str:
    """A figure's title: the description's headline (the words before its first colon or
    full stop), with the scenario's file name where the headline does not spell it."""
    headline = description.split(":")[0].split(".")[0].strip()[:80]
    def squash(text: str) -> str:
        return "".join(c for c in text.lower() if c.isalnum())
    if not headline or squash(headline) == squash(name):
        return headline or name
    return f"{headline} ({name})"


def comparison_figure(ensembles: list, table, path: str | Path | None = None) -> Figure:
    """Outcome shares, tariff paths and time-to-deal ECDFs of several scenarios (written
    to ``path`` if given; not registered with pyplot)."""
    from sim.model.outcomes import OUTCOMES

    fig = Figure(figsize=(16, 5))
    bars, fans, ecdf = fig.subplots(1, 3)
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
    bars.set_xlabel("share of runs, % (whiskers: 95% interval, Monte Carlo error)")
    bars.set_title("Outcome after the horizon", fontsize=10)
    bars.legend(fontsize=8)
    bars.grid(axis="x", alpha=0.3)
    for k, ens in enumerate(ensembles):
        weeks = np.arange(ens.fan["us"].shape[0])
        # earlier scenarios drawn wider, so that medians that coincide stay visible as
        # nested outlines instead of hiding one another
        width = 1.4 + 1.6 * (len(ensembles) - 1 - k)
        for side, style in (("us", "-"), ("cn", "--")):
            q = np.quantile(ens.fan[side], (0.25, 0.5, 0.75), axis=1)
            fans.plot(weeks, q[1], style, color=colours[k % 10], lw=width,
                      label=f"{ens.scenario.name} ({side.upper()})", zorder=3 + k)
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
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
