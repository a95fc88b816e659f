"""Analysis of a finished sweep: variance-based (Sobol) or elementary-effects (Morris)
sensitivity indices via SALib, and scenario discovery with a shallow decision tree
(CART; Breiman et al. 1984), reported as boxes with coverage and density (the PRIM
vocabulary of Bryant & Lempert 2010).

A sweep's measure is a per-point number computed from its runs: ``share:OUTCOME`` (share of
runs ending so), ``mean:COLUMN`` or ``reached:COLUMN`` (share of runs where a week column is
set, e.g. ``reached:deal_week``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.experiment import Experiment, salib_problem
from sim.experiments.sweep import iter_runs, point_summary
from sim.model.outcomes import OUTCOMES

DEFAULT_MEASURE = "share:truce"


class AnalysisError(Exception):
    """The analysis asked for does not fit the sweep (the CLI exits with status 2)."""


def load_sweep(folder: str | Path) -> tuple[Experiment, pd.DataFrame]:
    """The experiment and the per-point summary of a finished sweep."""
    from pydantic import ValidationError

    from sim.experiments.sweep import SweepError, read_state

    folder = Path(folder)
    try:
        state = read_state(folder)
    except SweepError as exc:
        raise AnalysisError(str(exc)) from None
    if len(state["completed"]) < state["chunks"]:
        raise AnalysisError(f"the sweep is unfinished ({len(state['completed'])} of "
                            f"{state['chunks']} chunks); resume it with --resume")
    try:
        experiment = Experiment.model_validate(
            json.loads((folder / "experiment.json").read_text()))
        return experiment, point_summary(folder)
    except (OSError, ValueError, KeyError, ValidationError) as exc:
        # a missing or damaged experiment.json, points.parquet or chunk file
        raise AnalysisError("the sweep's files are missing or damaged "
                            f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]})") from None


def measure(summary: pd.DataFrame, name: str) -> np.ndarray:
    """The per-point values of measure ``name``."""
    kind, _, what = name.partition(":")
    column = {"share": f"share_{what}", "mean": f"mean_{what}",
              "reached": f"reached_{what}", "weeks": f"weeks_{what}"}.get(kind)
    if column is None or column not in summary.columns:
        options = [f"share:{o}" for o in (*OUTCOMES, "deal")] + [
            c.replace("_", ":", 1) for c in summary.columns if c.startswith(("mean_",
                                                                            "reached_",
                                                                            "weeks_"))]
        raise AnalysisError(f"unknown measure '{name}'; choose from {', '.join(options)}")
    return summary[column].to_numpy(dtype=float)


def sobol_indices(experiment: Experiment, summary: pd.DataFrame,
                  name: str = DEFAULT_MEASURE) -> pd.DataFrame:
    """First-order and total Sobol indices with 95% bootstrap intervals (Saltelli 2010)."""
    from SALib.analyze import sobol

    if experiment.sampler.kind != "sobol":
        raise AnalysisError("Sobol indices need a sweep sampled with 'sobol'")
    y = measure(summary, name)
    if np.isnan(y).any():
        raise AnalysisError(f"measure '{name}' is undefined at some points (no run reached "
                            "it); use a share or reached: measure")
    res = sobol.analyze(salib_problem(experiment), y,
                        calc_second_order=experiment.sampler.second_order,
                        conf_level=0.95, seed=experiment.sampler.seed)
    return pd.DataFrame({"S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"],
                         "ST_conf": res["ST_conf"]}, index=list(experiment.parameters))


def morris_indices(experiment: Experiment, summary: pd.DataFrame,
                   name: str = DEFAULT_MEASURE) -> pd.DataFrame:
    """Morris elementary effects: mu* (with its 95% interval) and sigma (Morris 1991)."""
    from SALib.analyze import morris

    if experiment.sampler.kind != "morris":
        raise AnalysisError("Morris indices need a sweep sampled with 'morris'")
    problem = salib_problem(experiment)
    x = summary[list(experiment.parameters)].to_numpy(dtype=float)
    res = morris.analyze(problem, x, measure(summary, name),
                         num_levels=experiment.sampler.morris_levels, conf_level=0.95,
                         seed=experiment.sampler.seed)
    return pd.DataFrame({"mu_star": res["mu_star"], "mu_star_conf": res["mu_star_conf"],
                         "sigma": res["sigma"]}, index=list(experiment.parameters))


@dataclass(frozen=True)
class Box:
    """A region of parameter space: bounds per parameter (others unrestricted)."""

    bounds: dict[str, tuple[float, float]]
    runs: int
    coverage: float  # share of all target runs that fall in the box
    density: float  # share of the box's runs that hit the target


def discover(folder: str | Path, experiment: Experiment, target: str,
             max_depth: int = 3, max_rows: int = 200_000, seed: int = 0) -> list[Box]:
    """Boxes where outcome ``target`` is common, from a shallow decision tree fitted to
    (parameters -> run hit the target); at most ``max_rows`` runs, sampled evenly."""
    from sklearn.tree import DecisionTreeClassifier

    if target not in OUTCOMES:
        raise AnalysisError(f"unknown outcome '{target}'; choose from {', '.join(OUTCOMES)}")
    names = list(experiment.parameters)
    points = pd.read_parquet(Path(folder) / "points.parquet").set_index("point")[names]
    frames = list(iter_runs(folder, columns=["point", "outcome"]))
    total = sum(len(f) for f in frames)
    rng = np.random.default_rng(seed)
    keep = min(1.0, max_rows / total)
    rows = pd.concat([f.sample(frac=keep, random_state=rng) if keep < 1 else f
                      for f in frames], ignore_index=True)
    x = points.loc[rows["point"]].to_numpy(dtype=float)
    y = (rows["outcome"] == target).to_numpy()
    if y.all() or not y.any():
        return []
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=max(50, len(y) // 50),
                                  random_state=seed).fit(x, y)
    leaves = tree.apply(x)
    boxes = []
    t = tree.tree_
    for leaf in np.unique(leaves):
        in_leaf = leaves == leaf
        density = float(y[in_leaf].mean())
        if density <= y.mean():
            continue
        boxes.append(Box(_leaf_bounds(t, leaf, names, x), int(in_leaf.sum()),
                         float(y[in_leaf].sum() / y.sum()), density))
    return sorted(boxes, key=lambda b: -b.density)


def _leaf_bounds(t: object, leaf: int, names: list[str],
                 x: np.ndarray) -> dict[str, tuple[float, float]]:
    parent = {}
    for node in range(t.node_count):
        for child, side in ((t.children_left[node], "le"), (t.children_right[node], "gt")):
            if child >= 0:
                parent[child] = (node, side)
    lo, hi = x.min(axis=0).astype(float), x.max(axis=0).astype(float)
    node = leaf
    while node in parent:
        node, side = parent[node]
        j, thr = t.feature[node], t.threshold[node]
        if side == "le":
            hi[j] = min(hi[j], thr)
        else:
            lo[j] = max(lo[j], thr)
    full_lo, full_hi = x.min(axis=0), x.max(axis=0)
    return {names[j]: (float(lo[j]), float(hi[j])) for j in range(len(names))
            if lo[j] > full_lo[j] or hi[j] < full_hi[j]}


def report(folder: str | Path, name: str = DEFAULT_MEASURE, target: str = "truce") -> str:
    """A short text report: indices for the sampler used, and discovered boxes."""
    experiment, summary = load_sweep(folder)
    lines = [f"Sweep '{experiment.name}': {len(summary)} points x {experiment.replicates} "
             f"replicates ({experiment.sampler.kind} sampler)", ""]
    if experiment.sampler.kind == "sobol":
        idx = sobol_indices(experiment, summary, name)
        lines.append(f"Sobol indices of {name} (95% intervals)")
        for p, r in idx.iterrows():
            lines.append(f"  {p:<32} S1 {r.S1:6.3f} +/- {r.S1_conf:.3f}   "
                         f"ST {r.ST:6.3f} +/- {r.ST_conf:.3f}")
    elif experiment.sampler.kind == "morris":
        idx = morris_indices(experiment, summary, name)
        lines.append(f"Morris indices of {name} (95% intervals)")
        for p, r in idx.iterrows():
            lines.append(f"  {p:<32} mu* {r.mu_star:7.3f} +/- {r.mu_star_conf:.3f}   "
                         f"sigma {r.sigma:7.3f}")
    else:
        y = measure(summary, name)
        lines.append(f"{name} across points: min {np.nanmin(y):.3f}, median "
                     f"{np.nanmedian(y):.3f}, max {np.nanmax(y):.3f}")
        for p in experiment.parameters:
            x = summary[p].to_numpy(dtype=float)
            if np.ptp(x) > 0:
                corr = pd.Series(x).corr(pd.Series(y), method="spearman")
                lines.append(f"  rank correlation with {p:<28} {corr:+.2f}")
    lines += ["", f"Scenario discovery: where does '{target}' happen? (decision tree, depth 3)"]
    boxes = discover(folder, experiment, target)
    if not boxes:
        lines.append("  no region stands out (the outcome is everywhere or nowhere)")
    for b in boxes[:4]:
        where = "; ".join(f"{lo:g} <= {p} <= {hi:g}" for p, (lo, hi) in b.bounds.items())
        lines.append(f"  density {b.density:5.1%}  coverage {b.coverage:5.1%}  "
                     f"({b.runs:,} runs)  {where or 'everywhere'}")
    return "\n".join(lines)
