"""Check a scenario's hypothesis against its reference with common random numbers.

A scenario's ``hypothesis:`` block (``sim.io.scenario.Hypothesis``) names a metric
(``sim.model.metrics``), the direction theory expects against a reference scenario
(``against``, by default the baseline) and why.  The check runs both scenarios with the
same seed and number of runs, so run ``k`` of each draws the same random numbers
(``sim.experiments.compare``), takes the paired difference of the metric with a 95%
paired-bootstrap interval, and gives a verdict:

* ``supported`` - the interval excludes 0 on the stated side (for ``same``: it lies inside
  the tolerance band);
* ``contradicted`` - it excludes 0 on the other side (for ``same``: it lies wholly outside
  the band);
* ``inconclusive`` - neither;
* ``reference`` - the scenario is the reference (``against: null``): nothing to check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.experiments.compare import (
    BOOTSTRAP_SEED,
    paired_bootstrap,
    paired_difference,
    row_means,
    row_medians_of_set,
)
from sim.experiments.ensemble import Ensemble, run_ensemble
from sim.experiments.summary import CONFIDENCE
from sim.io import yamlio
from sim.io.calibrated import CalibratedSet
from sim.io.scenario import Scenario, load_scenario
from sim.model.metrics import BY_NAME, Metric

LIBRARY_RUNS = 2000
"""Runs per scenario for the library check (``tests/test_hypotheses.py`` and
``docs/hypotheses.md``)."""

VERDICTS: tuple[str, ...] = ("supported", "contradicted", "inconclusive", "reference")

Cache = dict[tuple[str, int, int, str | None], Ensemble]
"""Ensembles already run, by (scenario digest, runs, seed)."""


@dataclass(frozen=True)
class HypothesisCheck:
    """The measured answer to one scenario's hypothesis."""

    scenario: str
    against: str | None
    metric: str | None
    direction: str | None
    week: int | None
    tolerance: float | None
    why: str
    runs: int
    seed: int
    value: float
    """The metric in the scenario."""
    reference: float
    """The metric in the reference scenario."""
    difference: float
    """Paired difference, scenario minus reference, with its interval below."""
    low: float
    high: float
    verdict: str

    @property
    def statement(self) -> str:
        """The hypothesis in a few words, e.g. ``deal_by_week(26) higher than baseline``."""
        if self.against is None:
            return "the reference"
        metric = f"{self.metric}({self.week})" if self.week is not None else str(self.metric)
        if self.direction == "same":
            return f"{metric} same as {self.against} (within ±{self.tolerance:g})"
        return f"{metric} {self.direction} than {self.against}"


def judge(direction: str, low: float, high: float, tolerance: float = 0.0) -> str:
    """Verdict of a paired-difference interval ``[low, high]`` on a stated direction."""
    if direction not in ("higher", "lower", "same"):
        raise ValueError(f"unknown direction {direction!r}")
    if math.isnan(low) or math.isnan(high):
        return "inconclusive"
    if direction == "same":
        if -tolerance <= low and high <= tolerance:
            return "supported"
        if low > tolerance or high < -tolerance:
            return "contradicted"
        return "inconclusive"
    if direction == "lower":
        low, high = -high, -low
    if low > 0:
        return "supported"
    if high < 0:
        return "contradicted"
    return "inconclusive"


def metric_difference(metric: Metric, values: np.ndarray, reference: np.ndarray,
                      rng: np.random.Generator, confidence: float = CONFIDENCE,
                      ) -> tuple[float, float, float]:
    """Paired difference of ``metric`` between per-run values of the same runs (run ``k``
    of each drew the same random numbers), with a paired-bootstrap interval."""
    if metric.kind == "share":
        return paired_difference(values.astype(bool), reference.astype(bool), rng, confidence)
    statistic = row_medians_of_set if metric.kind == "median" else row_means
    return paired_bootstrap(values, reference, statistic, rng, confidence)


def evaluate(scenario: Scenario, ensemble: Ensemble, reference: Ensemble) -> HypothesisCheck:
    """The verdict on ``scenario``'s hypothesis from its ensemble and the reference's,
    run with the same seed and number of runs."""
    hyp = scenario.hypothesis
    if hyp is None or hyp.against is None or hyp.metric is None or hyp.direction is None:
        raise ValueError(f"scenario '{scenario.name}' states no direction to check")
    if (ensemble.seed, ensemble.n_runs) != (reference.seed, reference.n_runs):
        raise ValueError("the two ensembles must share seed and runs (common random numbers)")
    metric = BY_NAME[hyp.metric]
    tolerance = metric.tolerance if hyp.tolerance is None else hyp.tolerance
    mine = metric.per_run(ensemble.runs, hyp.week)
    theirs = metric.per_run(reference.runs, hyp.week)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    diff, low, high = metric_difference(metric, mine, theirs, rng)
    return HypothesisCheck(
        scenario.name, hyp.against, hyp.metric, hyp.direction, hyp.week,
        tolerance if hyp.direction == "same" else None, hyp.why, ensemble.n_runs,
        ensemble.seed, metric.of(ensemble.runs, hyp.week), metric.of(reference.runs, hyp.week),
        diff, low, high, judge(hyp.direction, low, high, tolerance))


def reference_scenario(path: str | Path, scenario: Scenario) -> Scenario | None:
    """The scenario a hypothesis is checked against: ``NAME.yaml`` beside ``path`` (the
    defaults of :meth:`Scenario.baseline` for a missing ``baseline``); None for the
    reference itself.  ``InputError`` if there is none or it holds another name."""
    hyp = scenario.hypothesis
    if hyp is None or hyp.against is None:
        return None
    file = Path(path).parent / f"{hyp.against}.yaml"
    if not file.is_file():
        if hyp.against == "baseline":
            return Scenario.baseline()
        raise _against_error(path, f"no scenario file {file.name} beside this one")
    other = load_scenario(file)
    if other.name != hyp.against:
        raise _against_error(path, f"{file} holds scenario '{other.name}', not "
                             f"'{hyp.against}'")
    return other


def _against_error(path: str | Path, message: str) -> yamlio.InputError:
    _, index = yamlio.load_yaml(path)
    return yamlio.InputError.single(str(path), message, index.line_for(("hypothesis", "against")),
                                    "hypothesis.against")


def check_hypothesis(path: str | Path, *, runs: int | None = None, seed: int | None = None,
                     cache: Cache | None = None,
                     calibrated: CalibratedSet | None = None,
                     overrides: Mapping[str, float] | None = None) -> HypothesisCheck:
    """Load a scenario file, run it and its reference with common random numbers (its own
    ``runs`` and ``seed`` unless given) and judge its hypothesis.  ``cache`` keeps the
    ensembles for later checks (the baseline is the usual reference).  ``calibrated``:
    each run draws its parameters from that set (the same point in both scenarios);
    None: the declared defaults.  ``overrides`` (``--set``) hold parameters at a value
    in both scenarios, over the scenario's own and any drawn value."""
    scenario = load_scenario(path)
    hyp = scenario.hypothesis
    if hyp is None:
        raise yamlio.InputError.single(str(path), "states no hypothesis; add a 'hypothesis:' "
                                       "block (metric, direction, against, why)", 1,
                                       "hypothesis")
    runs = scenario.runs if runs is None else runs
    seed = scenario.seed if seed is None else seed
    reference = reference_scenario(path, scenario)
    if reference is None:
        nan = float("nan")
        return HypothesisCheck(scenario.name, None, None, None, None, None, hyp.why, runs,
                               seed, nan, nan, nan, nan, nan, "reference")
    cache = {} if cache is None else cache
    held = dict(overrides or {})
    return evaluate(scenario, _ensemble(scenario, runs, seed, cache, calibrated, held),
                    _ensemble(reference, runs, seed, cache, calibrated, held))


def _ensemble(scenario: Scenario, runs: int, seed: int, cache: Cache,
              calibrated: CalibratedSet | None, overrides: dict[str, float]) -> Ensemble:
    key = (scenario.digest(), runs, seed, None if calibrated is None else calibrated.sha256,
           *sorted(overrides.items()))
    if key not in cache:
        cache[key] = run_ensemble(scenario, runs=runs, seed=seed, path_sample=0, fan_runs=0,
                                  calibrated=calibrated, overrides=overrides or None)
    return cache[key]


def format_value(check: HypothesisCheck, value: float, signed: bool = False) -> str:
    """A metric value (or difference) in its unit: shares as percentages."""
    if math.isnan(value):
        return "-"
    kind = BY_NAME[check.metric].kind if check.metric else "mean"
    sign = "+" if signed else ""
    return f"{value:{sign}.1%}" if kind == "share" else f"{value:{sign}.1f}"


def format_check(check: HypothesisCheck) -> str:
    """Plain-text report of one check."""
    if check.verdict == "reference":
        return f"{check.scenario}: the reference scenario (no direction to check)"
    pct = f"{CONFIDENCE:.0%}"
    interval = (f"[{format_value(check, check.low, True)}, "
                f"{format_value(check, check.high, True)}]")
    return "\n".join([
        f"{check.scenario}: {check.statement}",
        f"  {check.runs:,} runs each, seed {check.seed}, common random numbers",
        f"  {check.scenario} {format_value(check, check.value)}, {check.against} "
        f"{format_value(check, check.reference)}",
        f"  paired difference {format_value(check, check.difference, True)} {interval} "
        f"({pct})",
        f"  verdict: {check.verdict}",
    ])
