"""Experiment files: a base scenario, parameters with ranges, values or distributions, a
sampler, replicates per point and the outputs to keep, declared as data (the EMA Workbench
idea of uncertainties and outcomes as data) and validated like scenarios.

Samplers: ``grid`` (full factorial), ``monte_carlo``, ``latin_hypercube``, ``sobol``
(Saltelli's scheme; the base sample size must be a power of two) and ``morris``.  The last
three come from SALib.  SALib has no categorical inputs: a categorical parameter is sampled
as a uniform index in [0, k) and floored, an integer one is rounded.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.io import yamlio
from sim.io.scenario import Scenario, load_scenario
from sim.model import parameters

OUTPUTS = ("outcome", "first_talks_week", "first_deescalation_week", "deal_week",
           "us_tariff_final", "cn_tariff_final", "us_cum_pain", "cn_cum_pain",
           "us_face_paid", "cn_face_paid", "us_face_final", "cn_face_final", "channel_final")
"""Columns of the run table an experiment may keep."""

MAX_RUNS = 100_000_000
"""Most runs (points x replicates) an experiment may ask for: about a day of this machine."""

MAX_POINTS = 2_000_000
"""Most points an experiment's design may have (the design is built in memory)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Factor(Strict):
    """One swept parameter: a range (continuous or integer), a list of values
    (categorical), or a normal distribution (Monte Carlo and Latin hypercube only)."""

    range: tuple[float, float] | None = Field(None, description="[low, high]")
    values: list[float] | None = Field(None, min_length=1, description="categorical values")
    normal: tuple[float, float] | None = Field(None, description="[mean, sd]")
    levels: int | None = Field(None, ge=2, le=1000, strict=True,
                               description="grid points over the range (grid sampler)")
    integer: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> Factor:
        kinds = [k for k in ("range", "values", "normal") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of 'range', 'values' or 'normal'")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError("range must be [low, high] with low < high")
        if self.normal is not None and not self.normal[1] > 0:
            raise ValueError("normal needs [mean, sd] with sd > 0")
        return self

    @property
    def kind(self) -> str:
        return "values" if self.values is not None else (
            "normal" if self.normal is not None else "range")


class Sampler(Strict):
    kind: Literal["grid", "monte_carlo", "latin_hypercube", "sobol", "morris"] = "grid"
    n: int | None = Field(None, ge=1, le=10_000_000, strict=True,
                          description="points (MC, LHS), base sample (Sobol), "
                                      "trajectories (Morris)")
    second_order: bool = Field(False, description="Sobol: also second-order indices")
    morris_levels: int = Field(4, ge=2, le=20, strict=True)
    seed: int = Field(0, ge=0, strict=True, description="seed of the sampler")


class Experiment(Strict):
    """A validated experiment."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    description: str
    scenario: str = Field(description="base scenario file, relative to the experiment file")
    parameters: dict[str, Factor] = Field(min_length=1)
    sampler: Sampler = Sampler()
    replicates: int = Field(100, ge=1, le=1_000_000, strict=True,
                            description="runs per point (common random numbers across points)")
    seed: int | None = Field(None, ge=0, lt=2**63, strict=True,
                             description="ensemble seed (default: the scenario's)")
    outputs: list[Literal[OUTPUTS]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(OUTPUTS))

    @model_validator(mode="after")
    def _sampler_fits(self) -> Experiment:
        kind = self.sampler.kind
        names = list(self.parameters)
        if kind == "grid":
            for name, f in self.parameters.items():
                if f.kind == "normal":
                    raise ValueError(f"parameters.{name}: a grid needs 'range' or 'values'")
                if f.kind == "range" and f.levels is None:
                    raise ValueError(f"parameters.{name}: a grid over a range needs 'levels'")
        else:
            if self.sampler.n is None:
                raise ValueError(f"sampler.n: the {kind} sampler needs a sample size")
            if kind in ("sobol", "morris"):
                bad = [n for n in names if self.parameters[n].kind == "normal"]
                if bad:
                    raise ValueError(f"parameters.{bad[0]}: {kind} needs 'range' or 'values'")
            if kind == "sobol" and self.sampler.n & (self.sampler.n - 1):
                low = 1 << (self.sampler.n.bit_length() - 1)
                raise ValueError(f"sampler.n: Sobol sample sizes must be powers of two; "
                                 f"{self.sampler.n} is not (use {low} or {low * 2})")
        if "outcome" not in self.outputs:
            raise ValueError("outputs: 'outcome' must be kept")
        points = self.points()
        if points > MAX_POINTS:
            where = "parameters" if self.sampler.kind == "grid" else "sampler.n"
            raise ValueError(f"{where}: the design has {points:,} points; at most "
                             f"{MAX_POINTS:,} are allowed")
        if points * self.replicates > MAX_RUNS:
            raise ValueError(f"replicates: {points:,} points x {self.replicates:,} "
                             f"replicates is {points * self.replicates:,} runs; at most "
                             f"{MAX_RUNS:,} are allowed")
        return self

    def points(self) -> int:
        """How many points the design has (worked out, not built)."""
        s, d = self.sampler, len(self.parameters)
        if s.kind == "grid":
            count = 1
            for f in self.parameters.values():
                count *= len(f.values) if f.values is not None else (f.levels or 1)
            return count
        n = s.n or 0
        if s.kind == "sobol":  # Saltelli: N (2D + 2) with second order, else N (D + 2)
            return n * (2 * d + 2 if s.second_order else d + 2)
        if s.kind == "morris":
            return n * (d + 1)
        return n

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True)
                              .encode()).hexdigest()


def load_experiment(path: str | Path) -> tuple[Experiment, Scenario]:
    """Read and validate an experiment file and its base scenario."""
    data, index = yamlio.load_yaml(path)
    problems = []
    swept = data.get("parameters")
    for key in swept if isinstance(swept, dict) else ():
        if str(key) not in parameters.BY_NAME:
            try:
                parameters.check(str(key), 0.0)
            except KeyError as exc:
                problems.append(yamlio.Problem(index.line_for(("parameters", key)),
                                               f"parameters.{key}", str(exc.args[0])))
    try:
        experiment = Experiment.model_validate(data)
    except ValidationError as exc:
        error = yamlio.validation_error(path, exc, index)
        ours = {p.field for p in problems}
        raise yamlio.InputError.from_problems(
            str(path), [p for p in error.problems if p.field not in ours] + problems) from None
    for name, factor in experiment.parameters.items():
        p = parameters.BY_NAME.get(name)
        if p is None:
            continue
        if (p.integer or factor.integer) and factor.values is not None:
            odd = [v for v in factor.values if v != round(v)]
            if odd:
                problems.append(yamlio.Problem(index.line_for(("parameters", name, "values")),
                                               f"parameters.{name}.values",
                                               f"{name} takes whole numbers; got {odd[0]:g}"))
        bounds = factor.range or (factor.values and (min(factor.values), max(factor.values)))
        if bounds and not (p.lo <= bounds[0] and bounds[1] <= p.hi):
            problems.append(yamlio.Problem(index.line_for(("parameters", name)),
                                           f"parameters.{name}",
                                           f"{list(bounds)} leaves the valid range "
                                           f"[{p.lo:g}, {p.hi:g}] {p.unit}"))
    if problems:
        raise yamlio.InputError.from_problems(str(path), problems)
    scenario_path = (Path(path).parent / experiment.scenario)
    try:
        scenario = load_scenario(scenario_path)
    except yamlio.InputError as exc:
        # the experiment's own line first, then the scenario's problems under its own name
        lines = [p.format(exc.file) for p in exc.problems]
        raise yamlio.InputError.single(
            str(path), f"the base scenario {scenario_path} is invalid:\n  "
            + "\n  ".join(lines), index.line_for(("scenario",)), "scenario") from None
    return experiment, scenario


def salib_problem(experiment: Experiment) -> dict[str, Any]:
    """The SALib problem: every factor on its own scale (categorical: index in [0, k))."""
    names, bounds = [], []
    for name, f in experiment.parameters.items():
        names.append(name)
        if f.values is not None:
            bounds.append([0.0, float(len(f.values))])
        elif f.range is not None:
            bounds.append(list(f.range))
        else:  # a normal factor (Monte Carlo, Latin hypercube): its mean +/- 3 sd
            mean, sd = f.normal  # type: ignore[misc]
            bounds.append([mean - 3 * sd, mean + 3 * sd])
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def sample(experiment: Experiment) -> pd.DataFrame:
    """The experiment's points: one row per point, one column per parameter."""
    s, factors = experiment.sampler, experiment.parameters
    names = list(factors)
    if s.kind == "grid":
        axes = [np.asarray(f.values if f.values is not None else
                           np.linspace(f.range[0], f.range[1], f.levels), dtype=float)
                for f in factors.values()]
        # the full factorial in itertools.product's order (last factor fastest), built as
        # one array rather than a tuple per point
        raw = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))
        return _finish(pd.DataFrame(raw, columns=names), factors, categorical_index=False)
    problem = salib_problem(experiment)
    if s.kind == "sobol":
        from SALib.sample import sobol

        raw = sobol.sample(problem, s.n, calc_second_order=s.second_order, seed=s.seed)
    elif s.kind == "morris":
        from SALib.sample import morris

        raw = morris.sample(problem, s.n, num_levels=s.morris_levels, seed=s.seed)
    else:
        rng = np.random.default_rng(s.seed)
        if s.kind == "latin_hypercube":
            strata = (np.arange(s.n)[:, None] + rng.random((s.n, len(names)))) / s.n
            unit = np.take_along_axis(strata, rng.random((s.n, len(names))).argsort(axis=0), 0)
        else:
            unit = rng.random((s.n, len(names)))
        raw = np.empty_like(unit)
        for j, f in enumerate(factors.values()):
            if f.normal is not None:
                from scipy.stats import norm

                raw[:, j] = norm.ppf(unit[:, j], loc=f.normal[0], scale=f.normal[1])
            else:
                lo, hi = problem["bounds"][j]
                raw[:, j] = lo + unit[:, j] * (hi - lo)
    return _finish(pd.DataFrame(raw, columns=names), factors, categorical_index=True)


def _finish(points: pd.DataFrame, factors: dict[str, Factor],
            categorical_index: bool) -> pd.DataFrame:
    """Map categorical indices to values, round integers, clip to the valid range."""
    for name, f in factors.items():
        col = points[name].to_numpy()
        if f.values is not None and categorical_index:
            idx = np.clip(np.floor(col).astype(int), 0, len(f.values) - 1)
            col = np.asarray(f.values, dtype=float)[idx]
        if f.integer or (name in parameters.BY_NAME and parameters.BY_NAME[name].integer):
            col = np.round(col)
        p = parameters.BY_NAME[name]
        points[name] = np.clip(col, p.lo, p.hi)
    points.index.name = "point"
    return points
