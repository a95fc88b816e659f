"""Calibration targets: patterns the five source documents report, declared as data before
any fit, and measured on a scenario's runs.

Pattern-oriented modelling (Grimm et al., Science 2005): a model is judged by several
patterns at once, each a qualitative or quantitative observation at a date.  Here a target
is a conjunction of conditions on the state of a run at the end of the week that contains
the target's date (``weeks_to``); its statistic is the share of runs that show the pattern.
The documents report one history, so a pattern is met when that history is not an unusual
run of the model: when at least ``min_share`` of runs show it.  ``min_share`` admits model
discrepancy and the chance that 2025 was itself an unusual draw; it is declared with the
target, before any fit (issue 10), and never tuned to one.

The file format (``calibration/targets.yaml``)::

    scenario: ../scenarios/baseline.yaml   # the scenario the targets are measured on
    targets:
      - id: fentanyl-layer-stands
        pattern: The 20% fentanyl layer is still in force in September.
        evidence: [cn-fentanyl-linkage, us-tariff-fentanyl-20]
        date: 2025-09-06
        when: [{state: us_layer.fentanyl, op: ">", value: 0}]
        min_share: 0.5
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.experiments.ensemble import Batch, calibrated_models
from sim.io import yamlio
from sim.io.calibrated import CalibratedSet
from sim.io.scenario import Scenario, load_scenario
from sim.model.economics import CN_TOOLS, US_TOOLS
from sim.model.model import BLOCK, TradeWarModel
from sim.model.packages import COMPREHENSIVE

OPS = {"==": np.equal, "!=": np.not_equal, ">": np.greater, ">=": np.greater_equal,
       "<": np.less, "<=": np.less_equal}

STATES: dict[str, str] = {
    "us_tariff": "US effective tariff on Chinese goods, %",
    "cn_tariff": "China's effective tariff on US goods, %",
    "us_layer.fentanyl": "US fentanyl layer, percentage points",
    "us_layer.reciprocal": "US reciprocal layer, percentage points",
    "cn_layer.retaliatory": "China's retaliatory layer, percentage points",
    "channel": "channel level: 0 none, 1 working, 2 deputy, 3 ministerial, 4 leader",
    "us_acknowledges": "1 if the US admits in public that talks happen",
    "cn_acknowledges": "1 if China admits in public that talks happen",
    "deal_in_force": "1 if any deal or pause is in force",
    "comprehensive_in_force": "1 if a comprehensive deal is in force",
    **{f"tool.{t}": f"1 if {t.replace('_', ' ')} is in force" for t in (*CN_TOOLS, *US_TOOLS)},
}
"""State variables a condition may name, read from each run at the target's week."""

MAX_TARGETS = 200


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Condition(_Strict):
    state: str = Field(description="a state variable (STATES)")
    op: Literal["==", "!=", ">", ">=", "<", "<="]
    value: float

    @field_validator("state")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in STATES:
            raise ValueError(f"unknown state '{name}'; choose from {', '.join(STATES)}")
        return name


class Target(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    pattern: str = Field(min_length=1, description="what the documents report, in words")
    evidence: list[str] = Field(min_length=1, description="evidence ids it rests on")
    date: dt.date = Field(description="when the documents report it")
    when: list[Condition] = Field(min_length=1, max_length=10)
    min_share: float = Field(gt=0.0, le=1.0, description="the pattern is met when at least "
                             "this share of runs shows it")


class TargetsFile(_Strict):
    scenario: str = Field(description="scenario file, relative to the targets file")
    targets: list[Target] = Field(min_length=1, max_length=MAX_TARGETS)


def load_targets(path: str | Path) -> tuple[TargetsFile, Scenario]:
    """Read and validate a targets file and its scenario; ``InputError`` naming file, line
    and field, as for scenarios."""
    from sim.io.evidence import load_evidence

    data, index = yamlio.load_yaml(path)
    try:
        targets = TargetsFile.model_validate(data)
    except ValidationError as exc:
        raise yamlio.validation_error(path, exc, index) from None
    known = load_evidence()
    problems, seen = [], set()
    for i, target in enumerate(targets.targets):
        if target.id in seen:
            problems.append(yamlio.Problem(index.line_for(("targets", i, "id")),
                                           f"targets[{i}].id", f"duplicate id '{target.id}'"))
        seen.add(target.id)
        for j, cite in enumerate(target.evidence):
            if cite not in known:  # targets rest on the documents alone, not the literature
                problems.append(yamlio.Problem(
                    index.line_for(("targets", i, "evidence", j)),
                    f"targets[{i}].evidence[{j}]", f"'{cite}' is not an evidence record of "
                    "the five documents"))
    scenario_path = Path(path).parent / targets.scenario
    try:
        scenario = load_scenario(scenario_path)
    except yamlio.InputError as exc:
        lines = [p.format(exc.file) for p in exc.problems]
        problems.append(yamlio.Problem(index.line_for(("scenario",)), "scenario",
                                       f"the scenario {scenario_path} is invalid:\n  "
                                       + "\n  ".join(lines)))
        scenario = None
    if scenario is not None:
        for i, target in enumerate(targets.targets):
            week = weeks_to(scenario, target.date)
            if not 1 <= week <= scenario.weeks:
                problems.append(yamlio.Problem(
                    index.line_for(("targets", i, "date")), f"targets[{i}].date",
                    f"{target.date} is outside the scenario's {scenario.weeks} weeks from "
                    f"{scenario.start_date}"))
    if problems:
        raise yamlio.InputError.from_problems(str(path), problems)
    return targets, scenario  # type: ignore[return-value]


def weeks_to(scenario: Scenario, date: dt.date) -> int:
    """Weekly steps after which a run's state includes the week that contains ``date``."""
    return (date - scenario.start_date).days // 7 + 1


def state(model: TradeWarModel, name: str) -> np.ndarray:
    """State variable ``name`` (``STATES``) of every run of ``model``, as floats."""
    us, cn = model.us, model.cn
    if name in ("us_tariff", "cn_tariff"):
        return (us if name == "us_tariff" else cn).tariff().astype(float)
    side, _, rest = name.partition(".")
    if side in ("us_layer", "cn_layer"):
        return (us if side == "us_layer" else cn).layers[rest].astype(float)
    if side == "tool":
        gov = us if rest in US_TOOLS else cn
        return gov.tools[rest].astype(float)
    if name == "channel":
        return model.channel.astype(float)
    if name in ("us_acknowledges", "cn_acknowledges"):
        return (us if name.startswith("us") else cn).acknowledges.astype(float)
    if name == "deal_in_force":
        return (model.in_force.any(axis=0) | (model.truce_left > 0)).astype(float)
    if name == "comprehensive_in_force":
        return model.in_force[sorted(COMPREHENSIVE)].any(axis=0).astype(float)
    raise KeyError(name)


@dataclass(frozen=True)
class Pattern:
    """A target as a sweep measures it: a 0/1 column ``column`` per run, from the
    conditions ``when`` (state, op, value) on the run's state after ``week`` steps."""

    column: str
    week: int
    when: tuple[tuple[str, str, float], ...]

    def shows(self, model: TradeWarModel) -> np.ndarray:
        """Which runs of ``model`` show the pattern now."""
        ok = np.ones(model.n, dtype=bool)
        for name, op, value in self.when:
            ok &= OPS[op](state(model, name), value)
        return ok


def patterns(targets: TargetsFile, scenario: Scenario) -> tuple[Pattern, ...]:
    """The targets as sweep patterns (column ``target:<id>``)."""
    return tuple(Pattern(f"target:{t.id}", weeks_to(scenario, t.date),
                         tuple((c.state, c.op, float(c.value)) for c in t.when))
                 for t in targets.targets)


@dataclass(frozen=True)
class TargetResult:
    target: Target
    week: int
    share: float
    low: float
    high: float

    @property
    def met(self) -> bool:
        return self.share >= self.target.min_share


def measure(targets: TargetsFile, scenario: Scenario, *, runs: int = 2000,
            seed: int | None = None, overrides: dict[str, float] | None = None,
            batch_blocks: int = 16, calibrated: CalibratedSet | None = None
            ) -> list[TargetResult]:
    """Each target's share of runs showing its pattern, with a 95% Wilson interval.  Runs
    advance in batches of ``batch_blocks`` blocks, each block on its own random stream (the
    same streams as any ensemble of the scenario and seed), so the shares do not depend on
    the batching.  With ``calibrated``, each run draws its parameters from that set as in
    ``run_ensemble``: the shares are then what the calibrated model predicts."""
    from sim.experiments.summary import share as wilson

    seed = scenario.seed if seed is None else seed
    merged = {**scenario.overrides, **(overrides or {})}
    by_week: dict[int, list[int]] = {}
    for i, target in enumerate(targets.targets):
        by_week.setdefault(weeks_to(scenario, target.date), []).append(i)
    hits = np.zeros(len(targets.targets), dtype=np.int64)
    batch = batch_blocks * BLOCK
    for first in range(0, runs, batch):
        size = min(batch, runs - first)
        models = (iter([TradeWarModel(scenario, runs=size, seed=seed, first_run=first,
                                      overrides=merged)]) if calibrated is None else
                  (m for _, m in calibrated_models(scenario, seed, Batch(first, size),
                                                   merged, calibrated)))
        for model in models:
            for week in range(1, max(by_week) + 1):
                model.step()
                for i in by_week.get(week, ()):
                    ok = np.ones(model.n, dtype=bool)
                    for c in targets.targets[i].when:
                        ok &= OPS[c.op](state(model, c.state), c.value)
                    hits[i] += int(ok.sum())
            del model
    results = []
    for i, target in enumerate(targets.targets):
        s = wilson(target.id, int(hits[i]), runs)
        results.append(TargetResult(target, weeks_to(scenario, target.date), s.share, s.low,
                                    s.high))
    return results


def format_results(results: list[TargetResult], scenario: Scenario, runs: int,
                   seed: int) -> str:
    """Plain-text table: each target, its share with interval, the threshold, met or not."""
    met = sum(r.met for r in results)
    lines = [f"Targets on '{scenario.name}' ({runs:,} runs, seed {seed}): {met} of "
             f"{len(results)} met", "",
             f"  {'target':<30} {'week':>4} {'share of runs':>22} {'needs':>6}  verdict"]
    for r in results:
        lines.append(f"  {r.target.id:<30.30} {r.week:>4} {r.share:8.1%} "
                     f"[{r.low:5.1%}, {r.high:5.1%}] {r.target.min_share:>6.0%}  "
                     f"{'met' if r.met else 'NOT MET'}")
    lines += ["", "share of runs: runs whose state at the end of that week shows the pattern "
              "(95% interval, Monte Carlo error); needs: the share at which the documents' "
              "history counts as a typical run"]
    return "\n".join(lines)

