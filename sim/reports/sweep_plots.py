"""Figures of a finished sweep, in PNG and SVG: fan charts, ECDFs and violins of outcome
measures, outcome-share bars with intervals, heatmaps over two swept parameters,
sensitivity-index bars and discovered boxes."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.experiments import analyze
from sim.experiments.experiment import Experiment
from sim.experiments.summary import share
from sim.experiments.sweep import chunk_files, iter_runs
from sim.model.outcomes import OUTCOMES
from sim.reports.plots import OUTCOME_COLOURS, outcome_label  # (and the backend)

KINDS = ("shares", "heatmap", "fan", "ecdf", "violin", "sensitivity", "boxes")
LABELS = {"deal_week": "week of first deal or truce", "first_talks_week":
          "week of first official talks", "us_cum_pain": "US cumulative pain, % of GDP-years",
          "cn_cum_pain": "China's cumulative pain, % of GDP-years",
          "us_tariff_final": "US tariff at the horizon, %",
          "cn_tariff_final": "China's tariff at the horizon, %"}


def _save(fig: plt.Figure, out: Path | list, name: str) -> list[Path]:
    """Write ``fig`` as PNG and SVG into ``out``; or, with a list for ``out``
    (``figures``), keep it there and write nothing."""
    fig.tight_layout()
    if isinstance(out, list):
        plt.close(fig)  # out of pyplot's hands: shown only where it is returned
        out.append(fig)
        return []
    paths = [out / f"{name}.png", out / f"{name}.svg"]
    for p in paths:
        fig.savefig(p, dpi=110)
    plt.close(fig)
    return paths


def _label(p: str) -> str:
    from sim.model.parameters import BY_NAME

    return f"{p} [{BY_NAME[p].unit}]" if p in BY_NAME else p


def shares(folder: Path, out: Path, experiment: Experiment, summary: pd.DataFrame,
           **_: object) -> list[Path]:
    """Outcome shares over all runs of the sweep, with 95% Wilson intervals."""
    counts = {o: 0 for o in OUTCOMES}
    total = 0
    for frame in iter_runs(folder, columns=["outcome"]):
        vc = frame["outcome"].value_counts()
        for o in OUTCOMES:
            counts[o] += int(vc.get(o, 0))
        total += len(frame)
    s = [share(o, counts[o], total) for o in OUTCOMES]
    fig, ax = plt.subplots(figsize=(7, 4))
    y = np.arange(len(OUTCOMES))
    values = np.array([x.share for x in s]) * 100
    err = [values - np.array([x.low for x in s]) * 100,
           np.array([x.high for x in s]) * 100 - values]
    ax.barh(y, values, xerr=err, color=[OUTCOME_COLOURS[o] for o in OUTCOMES], capsize=3)
    ax.set_yticks(y, [outcome_label(o) for o in OUTCOMES])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of all runs, % (95% CI)")
    ax.set_title(f"{experiment.name}: outcomes over {total:,} runs", fontsize=10)
    return _save(fig, out, "shares")


def heatmap(folder: Path, out: Path, experiment: Experiment, summary: pd.DataFrame,
            measure: str = analyze.DEFAULT_MEASURE, x: str | None = None,
            y: str | None = None, **_: object) -> list[Path]:
    """A measure over two swept parameters (averaged over the others)."""
    names = list(experiment.parameters)
    if len(names) < 2:
        raise analyze.AnalysisError("a heatmap needs two swept parameters")
    x, y = x or names[0], y or names[1]
    values = pd.Series(analyze.measure(summary, measure), index=summary.index)
    table = pd.DataFrame({x: summary[x], y: summary[y], "v": values})
    if table[x].nunique() > 12 or table[y].nunique() > 12:  # continuous samples: bin them
        for col in (x, y):
            table[col] = pd.cut(table[col], 8).apply(lambda iv: round(iv.mid, 3))
    grid = table.pivot_table(index=y, columns=x, values="v", aggfunc="mean", observed=True)
    fig, ax = plt.subplots(figsize=(7, 5))
    im = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns], rotation=45)
    ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(y))
    for (i, j), v in np.ndenumerate(grid.to_numpy()):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", color="w", fontsize=7)
    fig.colorbar(im, ax=ax, label=measure)
    ax.set_title(f"{experiment.name}: {measure}", fontsize=10)
    return _save(fig, out, "heatmap")


def fan(folder: Path, out: Path, experiment: Experiment, summary: pd.DataFrame,
        points: int = 4, **_: object) -> list[Path]:
    """Tariff medians and 50% bands for a few points spread over the measure's range."""
    paths = pd.concat([pd.read_parquet(p) for p in chunk_files(folder, "paths")])
    y = analyze.measure(summary, analyze.DEFAULT_MEASURE)
    order = np.argsort(y)
    chosen = summary.index[order[np.linspace(0, len(order) - 1, min(points, len(order)))
                                 .astype(int)]]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(chosen)))
    for ax, side, title in zip(axes, ("us", "cn"), ("US tariff on Chinese goods",
                                                    "China's tariff on US goods"), strict=True):
        for colour, point in zip(colours, chosen, strict=True):
            rows = paths[(paths["point"] == point) & (paths["side"] == side)]
            label = ", ".join(f"{k}={summary.loc[point, k]:g}" for k in experiment.parameters)
            ax.plot(rows["week"], rows["q50"], color=colour, label=label[:60])
            ax.fill_between(rows["week"], rows["q25"], rows["q75"], color=colour, alpha=0.2)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("effective tariff, % (median and 50% band)")
    axes[0].legend(fontsize=7)
    return _save(fig, out, "fan")


def _runs_with_params(folder: Path, experiment: Experiment, column: str,
                      max_rows: int = 200_000) -> pd.DataFrame:
    points = pd.read_parquet(folder / "points.parquet").set_index("point")
    frames = [f for f in iter_runs(folder, columns=["point", column])]
    total = sum(len(f) for f in frames)
    frac = min(1.0, max_rows / total)
    rows = pd.concat([f.sample(frac=frac, random_state=0) if frac < 1 else f for f in frames])
    return rows.join(points[list(experiment.parameters)], on="point")


def ecdf(folder: Path, out: Path, experiment: Experiment, summary: pd.DataFrame,
         column: str = "deal_week", **_: object) -> list[Path]:
    """ECDF of a run measure, one curve per level of the first swept parameter (binned)."""
    rows = _runs_with_params(folder, experiment, column)
    by = next(iter(experiment.parameters))
    groups = rows[by] if rows[by].nunique() <= 6 else pd.cut(rows[by], 5)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for level, sub in rows.groupby(groups, observed=True):
        v = np.sort(sub[column].to_numpy(dtype=float, na_value=np.inf))
        finite = np.isfinite(v)
        ax.step(v[finite], np.arange(1, finite.sum() + 1) / len(v), where="post",
                label=f"{by} = {level}")
    ax.set_xlabel(LABELS.get(column, column) + " (runs never reaching it stay below 1)")
    ax.set_ylabel("share of runs")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return _save(fig, out, "ecdf")


def violin(folder: Path, out: Path, experiment: Experiment, summary: pd.DataFrame,
           column: str = "cn_cum_pain", **_: object) -> list[Path]:
    """Distribution of a run measure per level of the first swept parameter (binned)."""
    rows = _runs_with_params(folder, experiment, column).dropna(subset=[column])
    by = next(iter(experiment.parameters))
    groups = rows[by] if rows[by].nunique() <= 6 else pd.cut(rows[by], 5)
    data = [(str(k), g[column].to_numpy(dtype=float))
            for k, g in rows.groupby(groups, observed=True) if len(g) > 1]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.violinplot([d for _, d in data], showmedians=True)
    ax.set_xticks(range(1, len(data) + 1), [k for k, _ in data], rotation=30)
    ax.set_xlabel(_label(by))
    ax.set_ylabel(LABELS.get(column, column))
    ax.grid(alpha=0.3)
    return _save(fig, out, "violin")


def sensitivity(folder: Path, out: Path, experiment: Experiment, summary: pd.DataFrame,
                measure: str = analyze.DEFAULT_MEASURE, **_: object) -> list[Path]:
    """Sobol (S1, ST) or Morris (mu*) index bars with their 95% intervals."""
    fig, ax = plt.subplots(figsize=(7, 4))
    if experiment.sampler.kind == "sobol":
        idx = analyze.sobol_indices(experiment, summary, measure)
        y = np.arange(len(idx))
        ax.barh(y - 0.2, idx["S1"], 0.4, xerr=idx["S1_conf"], label="first order S1")
        ax.barh(y + 0.2, idx["ST"], 0.4, xerr=idx["ST_conf"], label="total ST")
        ax.set_xlabel(f"Sobol index of {measure}")
    elif experiment.sampler.kind == "morris":
        idx = analyze.morris_indices(experiment, summary, measure)
        y = np.arange(len(idx))
        ax.barh(y, idx["mu_star"], xerr=idx["mu_star_conf"], label="mu*")
        ax.set_xlabel(f"Morris mu* of {measure}")
    else:
        plt.close(fig)
        raise analyze.AnalysisError("sensitivity bars need a sobol or morris sweep")
    ax.set_yticks(y, idx.index)
    ax.invert_yaxis()
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, out, "sensitivity")


def boxes(folder: Path, out: Path, experiment: Experiment, summary: pd.DataFrame,
          target: str = "truce", **_: object) -> list[Path]:
    """Points over the first two parameters coloured by the target's share, with the
    discovered boxes drawn on top."""
    names = list(experiment.parameters)
    if len(names) < 2:
        raise analyze.AnalysisError("boxes are drawn over two swept parameters")
    x, y = names[0], names[1]
    found = analyze.discover(folder, experiment, target)
    fig, ax = plt.subplots(figsize=(7, 5))
    sc = ax.scatter(summary[x], summary[y], c=summary[f"share_{target}"], cmap="viridis", s=25)
    fig.colorbar(sc, ax=ax, label=f"share {target}")
    span_x = float(summary[x].max() - summary[x].min()) or 1.0
    span_y = float(summary[y].max() - summary[y].min()) or 1.0
    for i, (b, colour) in enumerate(zip(found[:3], ("red", "darkorange", "magenta"),
                                        strict=False), 1):
        # drawn round the points the box holds (a box between two grid lines, or one
        # column of points wide, would otherwise have no area), padded a little
        x0, x1 = b.bounds.get(x, (-np.inf, np.inf))
        y0, y1 = b.bounds.get(y, (-np.inf, np.inf))
        inside = summary[summary[x].between(x0, x1) & summary[y].between(y0, y1)]
        if inside.empty:
            continue
        px, py = 0.03 * span_x * (1 + 0.5 * i), 0.03 * span_y * (1 + 0.5 * i)
        left, right = inside[x].min() - px, inside[x].max() + px
        bottom, top = inside[y].min() - py, inside[y].max() + py
        ax.add_patch(plt.Rectangle((left, bottom), right - left, top - bottom, fill=False,
                                   ec=colour, lw=2, label=f"box {i}: {target} in "
                                   f"{b.density:.0%} of its runs, {b.coverage:.0%} of all "
                                   f"{target} runs"))
        ax.text(left, top, f" {i}", color=colour, fontsize=9, fontweight="bold",
                va="top", ha="left")
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(y))
    ax.set_title(f"Where '{target}' happens (points: share per point; boxes: "
                 "scenario discovery)", fontsize=9)
    if found:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=7, frameon=False)
    fig.tight_layout()
    return _save(fig, out, "boxes")


PLOTTERS = {"shares": shares, "heatmap": heatmap, "fan": fan, "ecdf": ecdf,
            "violin": violin, "sensitivity": sensitivity, "boxes": boxes}


def plot(folder: str | Path, kinds: list[str], out: str | Path | None = None,
         **options: object) -> list[Path]:
    """Draw ``kinds`` into ``out`` (default: the sweep's ``plots/``)."""
    folder = Path(folder)
    experiment, summary = analyze.load_sweep(folder)
    out = Path(out) if out else folder / "plots"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in kinds:
        written += PLOTTERS[kind](folder, out, experiment, summary, **options)
    return written


def figures(folder: str | Path, kind: str, **options: object) -> list[plt.Figure]:
    """The figures of one ``kind`` (``KINDS``), returned instead of written."""
    experiment, summary = analyze.load_sweep(Path(folder))
    kept: list = []
    PLOTTERS[kind](Path(folder), kept, experiment, summary, **options)
    return kept


def default_kinds(experiment: Experiment) -> list[str]:
    """The plot set written after every sweep."""
    kinds = ["shares", "fan"]
    kinds += ["ecdf"] if "deal_week" in experiment.outputs else []
    kinds += ["violin"] if "cn_cum_pain" in experiment.outputs else []
    if len(experiment.parameters) >= 2:
        kinds += ["heatmap", "boxes"]
    if experiment.sampler.kind in ("sobol", "morris"):
        kinds.append("sensitivity")
    return kinds
