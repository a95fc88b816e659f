"""History matching: which values of the fitted assumption-only parameters let the model show the
patterns the documents report?  ``tradewar calibrate TARGETS``.

Method (Vernon, Goldstein & Bower 2010; Andrianakis et al. 2015 for agent-based models): in
waves, points over the ranges of every fitted assumption-only parameter (a Latin hypercube
first) (``sim.experiments.assumptions``: all but the dials declared not fitted) is run on the
sweep engine, each point with ``replicates``
runs; each target's share of runs is compared with the share the documents' one history
needs (``min_share``, declared with the target before any fit).  A point is *implausible*
for a target when its share falls short of ``min_share`` by more than three standard
deviations of the Monte Carlo error and the model discrepancy together (Pukelsheim's three
sigma rule):

    I_t(x) = max(0, min_share_t - share_t(x)) / sqrt(share (1 - share) / R + DISCREPANCY^2)

and *non-implausible* when every I_t <= 3.  The next wave samples around the non-implausible
points (``next_points``).  History matching rather than ABC-SMC: the targets are
one-sided thresholds on shares (a pattern the history shows, not a value to fit), the
question is which regions can be ruled out, and it needs no likelihood or distance.

Structural choices the documents might decide between (a switch that is not assumption-only,
such as ``decision.obstinacy_prior``, or a dial not fitted, such as ``decision.action_cost``)
can be added to the box (``added``, ``tradewar calibrate
--factor``); the report then compares, over wave 0's Latin hypercube, how often points with
each of their values survive: the documents' support for each choice, target by target.

Each wave is a sweep in ``FOLDER/wave_<k>`` (local processes or Dask, progress, resume);
``FOLDER/calibration.json`` records the waves as they finish, so a killed calibration
resumes where it stopped.  Same seed, same non-implausible set, whatever the workers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.assumptions import calibration_factors
from sim.experiments.experiment import Experiment
from sim.experiments.summary import share
from sim.experiments.sweep import SweepError, point_summary, run_sweep, write_atomic
from sim.experiments.targets import TargetsFile, patterns
from sim.model.parameters import BY_NAME, check

DISCREPANCY = 0.05
"""Model discrepancy, as a standard deviation on a share: the model is not the world, so a
share this far below the threshold is not evidence against a point (Vernon et al. 2010)."""
CUTOFF = 3.0
"""Implausibility above which a point is ruled out (Pukelsheim's three sigma rule)."""
STATE_FILE = "calibration.json"
SET_FILE = "nonimplausible.parquet"


@dataclass
class Calibration:
    """What a calibration found: per wave, its points, their target shares and
    implausibilities; the non-implausible set of the last wave."""

    folder: Path
    waves: list[pd.DataFrame]  # per wave: parameters, share:<id>, I:<id>, I_max
    targets: TargetsFile
    prior: dict[str, dict]  # the factors of wave 0 (the prior box)
    added: dict[str, dict] = field(default_factory=dict)  # those not assumption-only

    @property
    def nonimplausible(self) -> pd.DataFrame:
        last = self.waves[-1]
        return last[last["I_max"] <= CUTOFF]


NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
"""A number as a factor's spec may write it: ASCII digits, a point, an exponent."""


def added_factor(spec: str) -> tuple[str, dict]:
    """Parse ``NAME=V1,V2,...`` (listed values) or ``NAME=LO:HI`` (a range) into a factor
    to add to the prior box; ``ValueError`` with the reason if the name is unknown, already
    in the box (an assumption-only parameter's range follows the rule of
    ``sim.experiments.assumptions``, chosen before any fit; a dial declared not fitted,
    ``Param.fitted``, may be added), the decision rule itself
    (``decision.best_response``, which ``tradewar diagnose`` sets to compare with), or a
    value is not a finite number in range."""
    name, sep, text = spec.partition("=")
    name, text = name.strip(), text.strip()
    if not sep or not name or not text:
        raise ValueError(f"expected NAME=V1,V2 or NAME=LO:HI, got {spec!r}")
    if name not in BY_NAME:
        check(name, 0.0)  # raises KeyError naming the closest names
    p = BY_NAME[name]
    if p.assumption and p.fitted:
        raise ValueError(f"{name} is assumption-only and already in the box, over the range "
                         "its rule gives (sim/experiments/assumptions.py); --factor adds "
                         "parameters that are not, and the dials declared not fitted")
    if name == "decision.best_response":
        raise ValueError(f"{name} is the rule runs are compared against (tradewar diagnose), "
                         "not an assumption the documents could weigh")
    ranged = ":" in text
    pieces = [x.strip() for x in text.split(":" if ranged else ",")]
    if (ranged and len(pieces) != 2) or not all(NUMBER.fullmatch(x) for x in pieces):
        raise ValueError(f"{name}: {text!r} is not V1,V2,... or LO:HI of numbers")
    values = [float(x) for x in pieces]
    for v in values:
        if not np.isfinite(v):
            raise ValueError(f"{name}: {v:g} is not a finite number")
        check(name, v)  # the valid range, whole numbers whole
    if ranged:
        if not values[0] < values[1]:
            raise ValueError(f"{name}: a range LO:HI needs LO < HI, got {text!r}")
        if p.integer and values[1] - values[0] < 3:
            listed = ",".join(str(v) for v in range(int(values[0]), int(values[1]) + 1))
            raise ValueError(f"{name}: a range of whole numbers this short is its values; "
                             f"list them ({name}={listed})")
        return name, {"range": values, **({"integer": True} if p.integer else {})}
    if len(values) < 2 or len(set(values)) != len(values):
        raise ValueError(f"{name}: list at least two different values, got {text!r}")
    return name, {"values": values}


def _specs(added: dict[str, dict]) -> str:
    """Added factors as ``--factor`` would give them."""
    def one(f: dict) -> str:
        return (":".join(f"{v:g}" for v in f["range"]) if "range" in f
                else ",".join(f"{v:g}" for v in f["values"]))
    return " ".join(f"{n}={one(f)}" for n, f in added.items()) or "no factor"


def implausibility(share: np.ndarray, min_share: float, replicates: int) -> np.ndarray:
    """I = shortfall below ``min_share`` over the Monte Carlo and discrepancy error."""
    p = np.clip(share, 0.5 / replicates, 1 - 0.5 / replicates)
    sd = np.sqrt(p * (1 - p) / replicates + DISCREPANCY**2)
    return np.maximum(0.0, min_share - share) / sd


def next_points(factors: dict[str, dict], kept: pd.DataFrame, points: int,
                seed: int) -> pd.DataFrame:
    """The next wave's points, around the non-implausible ones: each a survivor (taken in
    a shuffled cycle) moved by a normal step with the survivors' spread in each parameter
    (the perturbation kernel of ABC-SMC, Beaumont et al. 2009), reflected back into the
    prior range at its edges; whole numbers rounded; a flag or other listed value kept as
    the survivor's."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(kept))
    parents = kept.iloc[order[np.arange(points) % len(kept)]].reset_index(drop=True)
    out = pd.DataFrame(index=pd.RangeIndex(points, name="point"))
    for name, f in factors.items():
        values = parents[name].to_numpy(dtype=float)
        if "range" in f:
            lo, hi = f["range"]
            step = rng.normal(0.0, 1.0, points) * kept[name].to_numpy(dtype=float).std()
            values = _reflect(values + step, lo, hi)
            if f.get("integer") or BY_NAME[name].integer:
                values = np.round(values)
        out[name] = values
    return out


def _reflect(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``values`` folded back into [lo, hi] at its edges (a step past an edge comes back by
    as much), so that no mass piles up on the edges as clipping would pile it."""
    width = hi - lo
    x = np.mod(values - lo, 2 * width)
    return lo + np.where(x > width, 2 * width - x, x)


def calibrate(targets: TargetsFile, scenario_path: str | Path, scenario, folder: str | Path,
              *, points: int = 400, replicates: int = 16, waves: int = 3, seed: int = 1,
              workers: int = 1, executor: str = "local", address: str | None = None,
              resume: bool = False, progress: bool = False,
              added: dict[str, dict] | None = None) -> Calibration:
    """Run (or resume) the history matching into ``folder``; ``added``: factors
    (``added_factor``) put into the box beside the fitted assumption-only parameters."""
    folder = Path(folder)
    factors = calibration_factors()
    added = dict(sorted((added or {}).items()))  # the same box whatever the order given
    clash = sorted(set(added) & set(factors))
    if clash:
        raise ValueError(f"{clash[0]} is fitted and already in the box")
    factors.update(added)
    pats = patterns(targets, scenario)
    # runs stop after the last target's week: what comes later is never measured
    short = scenario.model_copy(update={"weeks": max(p.week for p in pats)})
    state_path = folder / STATE_FILE
    state = {"waves": [], "added": added}
    if resume and state_path.exists():
        state = json.loads(state_path.read_text())
        if state.get("added", {}) != added:
            raise SweepError("the calibration to resume added "
                             f"{_specs(state.get('added', {}))}, not {_specs(added)}; "
                             "resume it with the same --factor options")
    elif folder.exists() and any(folder.iterdir()) and not resume:
        raise FileExistsError(f"{folder}: not empty; use --resume to continue")
    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    exp = Experiment(name="calibration", description="history matching",
                     scenario=str(scenario_path), parameters=factors,
                     sampler={"kind": "latin_hypercube", "n": points, "seed": seed},
                     replicates=replicates, outputs=["outcome"])
    design = None  # wave 0: the Latin hypercube over the prior box
    for k in range(waves):
        wave = folder / f"wave_{k}"
        run_sweep(exp, short, wave, workers=workers, executor=executor, address=address,
                  resume=resume or wave.exists(), progress=progress, patterns=pats,
                  points=design)
        frame = _score(point_summary(wave), targets, list(factors), replicates)
        frames.append(frame)
        kept = frame[frame["I_max"] <= CUTOFF]
        if k >= len(state["waves"]):
            state["waves"].append({"points": len(frame), "nonimplausible": len(kept)})
            write_atomic(state_path, lambda p: p.write_text(json.dumps(state, indent=1)))
        if len(kept) < 2:
            break  # too few survivors to sample around
        design = next_points(factors, kept, points, seed + k + 1)
    result = Calibration(folder, frames, targets, factors, added)
    write_atomic(folder / SET_FILE,
                 lambda p: result.nonimplausible.to_parquet(p, index=False))
    return result


def write_set(result: Calibration, targets_path: str | Path, command: str, *,
              points: int, replicates: int, waves: int, seed: int) -> tuple[Path, Path]:
    """The non-implausible set as a calibrated set (``sim.io.calibrated``): its CSV and its
    provenance, in the calibration's folder.  Copied into ``calibration/``, it is the set
    every run draws its parameters from by default."""
    import datetime as dt
    import hashlib

    from sim._version import __version__
    from sim.io.calibrated import write_calibrated_set

    final = result.nonimplausible
    names = list(result.prior)
    provenance = {
        "method": f"history matching (implausibility cutoff {CUTOFF:g}, model discrepancy "
                  f"{DISCREPANCY:g} on a share; Vernon, Goldstein & Bower 2010): the "
                  "non-implausible points of the last wave",
        "command": command, "version": __version__, "date": dt.date.today(),
        "targets_file": str(targets_path),
        "targets_sha256": hashlib.sha256(Path(targets_path).read_bytes()).hexdigest(),
        "targets": [t.id for t in result.targets.targets],
        **({"added": list(result.added)} if result.added else {}),
        "wave": len(result.waves) - 1, "waves": waves, "points_per_wave": points,
        "replicates": replicates, "seed": seed}
    return write_calibrated_set(result.folder, names, final[names].to_numpy(dtype=float),
                                provenance)


def _score(summary: pd.DataFrame, targets: TargetsFile, names: list[str],
           replicates: int) -> pd.DataFrame:
    """Per point: parameter values, each target's share and implausibility, the largest."""
    out = summary[names].copy()
    worst = np.zeros(len(out))
    for t in targets.targets:
        share = summary[f"mean_target:{t.id}"].to_numpy(dtype=float)
        out[f"share:{t.id}"] = share
        i = implausibility(share, t.min_share, replicates)
        out[f"I:{t.id}"] = i
        worst = np.maximum(worst, i)
    out["I_max"] = worst
    return out.reset_index()


def _groups(result: Calibration, name: str) -> list[tuple[str, np.ndarray]]:
    """Wave 0's points split by the value of factor ``name``: each listed value, or for a
    range, its lower, middle and upper thirds."""
    f, column = result.prior[name], result.waves[0][name].to_numpy(dtype=float)
    if "values" in f:
        return [(f"{v:g}", column == v) for v in f["values"]]
    lo, hi = f["range"]
    if f.get("integer") or BY_NAME[name].integer:  # thirds of the whole numbers it takes
        chunks = np.array_split(np.arange(round(lo), round(hi) + 1), 3)
        return [(f"{c[0]}-{c[-1]}" if len(c) > 1 else f"{c[0]}", np.isin(column, c))
                for c in chunks]
    cuts = [lo + (hi - lo) * i / 3 for i in range(4)]
    return [(f"{a:.3g}-{b:.3g}", (column >= a) & ((column < b) if i < 2 else (column <= b)))
            for i, (a, b) in enumerate(pairwise(cuts))]


def _choices(result: Calibration, ok: pd.DataFrame) -> list[str]:
    """How often wave-0 points survive, by the value of each factor added to the box and of
    each assumption-only flag: over a Latin hypercube every value meets the same spread of
    the other parameters, so the difference is the documents' support for one value over
    another (a 95% Wilson interval on each share)."""
    first = result.waves[0]
    kept = (first["I_max"] <= CUTOFF).to_numpy()
    flags = [n for n, f in result.prior.items() if "values" in f and n not in result.added]
    names = list(result.added) + flags
    if not names:
        return []
    what = ("each factor added to the box and each assumption-only flag" if result.added
            else "each assumption-only flag")
    lines = ["", f"Wave 0, by the value of {what}:",
             "points, and the share not ruled out (95% interval)"]
    groups_of = {name: _groups(result, name) for name in names}
    for name in names:
        tag = " (added)" if name in result.added else ""
        lines.append(f"  {name}{tag}")
        for label, where in groups_of[name]:
            n, k = int(where.sum()), int(kept[where].sum())
            if n == 0:
                lines.append(f"    = {label:<12}     0 points  -")
                continue
            s = share(name, k, n)
            lines.append(f"    = {label:<12} {n:5d} points  {s.share:6.1%} "
                         f"[{s.low:.1%}, {s.high:.1%}]")
    for name in result.added:  # the targets behind the difference
        groups = groups_of[name]
        width = max(14, *(len(g) + 4 for g, _ in groups))
        lines += ["", f"  {name}: share of wave-0 points not ruled out by each target alone",
                  "    " + " " * 36 + "".join(f"{'= ' + g:>{width}}" for g, _ in groups)]
        for t in ok.columns:
            col = ok[t].to_numpy()
            lines.append(f"    {t:<36}" + "".join(
                f"{col[w].mean():{width}.1%}" if w.any() else f"{'-':>{width}}"
                for _, w in groups))
    return lines


def report(result: Calibration) -> str:
    """Which targets can be met, alone and together, wave by wave; and which conflict."""
    ids = [t.id for t in result.targets.targets]
    lines = [f"History matching on {len(ids)} targets (implausibility cutoff {CUTOFF:g}, "
             f"model discrepancy {DISCREPANCY:g} on a share)", ""]
    for k, frame in enumerate(result.waves):
        kept = frame[frame["I_max"] <= CUTOFF]
        lines.append(f"wave {k}: {len(frame)} points, {len(kept)} non-implausible "
                     f"({len(kept) / len(frame):.1%})")
    first = result.waves[0]
    ok = pd.DataFrame({t: first[f"I:{t}"] <= CUTOFF for t in ids})
    lines += ["", "Wave 0, over the whole prior box: the share of points not ruled out by each "
              "target alone", *(f"  {t:<36} {ok[t].mean():6.1%}" for t in ids)]
    both = np.array([[(ok[a] & ok[b]).mean() for b in ids] for a in ids])
    conflicts = [(a, b) for i, a in enumerate(ids) for j, b in enumerate(ids)
                 if i < j and ok[a].any() and ok[b].any() and both[i, j] == 0]
    lines += ["", "Targets no wave-0 point meets together (each is met alone somewhere):"]
    lines += [f"  {a} + {b}" for a, b in conflicts] or ["  none"]
    lines += _choices(result, ok)
    final = result.nonimplausible
    last = result.waves[-1]
    met = pd.DataFrame({t.id: last[f"share:{t.id}"] >= t.min_share
                        for t in result.targets.targets})
    lines += ["", f"Wave {len(result.waves) - 1}: points whose runs meet each target outright "
              "(share >= min_share)", *(f"  {t:<36} {met[t].mean():6.1%}" for t in ids),
              f"  every target at once: {int(met.all(axis=1).sum())} of {len(last)} points"]
    lines += ["", f"Non-implausible set: {len(final)} points (wave {len(result.waves) - 1})"]
    if len(final):
        lines.append("  most constrained parameters: spread of the set against a uniform spread "
                     "over the prior range, and where its mean lies in that range (0 low, "
                     "1 high)")
        prior = result.prior
        rows = []
        for name, f in prior.items():
            lo, hi = f["range"] if "range" in f else (min(f["values"]), max(f["values"]))
            values = final[name].to_numpy(dtype=float)
            uniform = (hi - lo) / np.sqrt(12) if "range" in f else (hi - lo) / 2
            rows.append((values.std() / uniform, (values.mean() - lo) / (hi - lo), name))
        for spread, where, name in sorted(rows)[:10]:
            lines.append(f"    {name:<36} spread {spread:4.2f}   mean at {where:4.2f}")
    else:
        best = result.waves[-1].sort_values("I_max").head(1)
        unmet = [t for t in ids if float(best[f"I:{t}"].iloc[0]) > CUTOFF]
        lines.append(f"  no point meets every target; the best one still misses: "
                     f"{', '.join(unmet)}")
    return "\n".join(lines)
