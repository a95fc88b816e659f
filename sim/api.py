"""The Python face of tradewar-sim: what the command line does, in a few lines of Python.

Every function takes what the matching command takes, raises the same
:class:`~sim.io.yamlio.InputError` (with the same message) on bad input, and returns an
object holding pandas tables, with ``summary()`` (the text the command prints), ``plot()``
(a matplotlib Figure) and ``save(folder)`` (the files the command writes).  The command
line is a thin layer over these functions, so the same seed gives the same tables.

    >>> import sim
    >>> result = sim.run("scenarios/baseline.yaml", runs=500)
    >>> result.runs["outcome"].value_counts(normalize=True)  # doctest: +SKIP
    >>> fig = result.plot()
    >>> folder = result.save("results/my-baseline")  # doctest: +SKIP

Parameters the documents leave to assumption are, by default, drawn per run from the
shipped calibrated set (``calibrated=True``, ``docs/calibration.md``); ``calibrated=False``
keeps every parameter at its declared default (``--fixed-parameters``), and a path draws
from another set (``--calibrated-set``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.experiments.calibrate import Calibration
from sim.experiments.compare import Comparison
from sim.experiments.ensemble import FAN_RUNS, PATH_SAMPLE, Ensemble
from sim.io.calibrated import CalibratedSet, load_calibrated_set
from sim.io.scenario import Scenario, scenario_from_dict
from sim.io.scenario import load_scenario as _load_file
from sim.io.yamlio import InputError
from sim.model.parameters import check

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ScenarioLike = str | os.PathLike | Mapping[str, Any] | Scenario
"""A scenario file's path, a mapping with a scenario file's fields, or a loaded scenario."""
Calibrated = bool | str | os.PathLike | CalibratedSet
"""True: the shipped calibrated set; False: the declared defaults; a path: that set."""

__all__ = ["CalibrationResult", "CompareResult", "HypothesisResult", "RunResult", "Story",
           "SweepResult", "TargetsResult", "calibrate", "compare", "evidence", "explain",
           "hypothesis", "load_scenario", "run", "sweep", "targets"]


def load_scenario(source: ScenarioLike) -> Scenario:
    """Read and validate a scenario from a file, or from a mapping of its fields.

    >>> sim.load_scenario({"name": "mine", "description": "April peak, more face decay",
    ...                    "parameters": {"face.decay": 0.95}}).name
    'mine'
    """
    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        return scenario_from_dict(source)
    return _load_file(source)


def _calibrated(calibrated: Calibrated) -> CalibratedSet | None:
    if calibrated is True:
        return load_calibrated_set()
    if calibrated is False or calibrated is None:
        return None
    if isinstance(calibrated, CalibratedSet):
        return calibrated
    return load_calibrated_set(calibrated)


def _overrides(values: Mapping[str, float] | None) -> dict[str, float]:
    """``--set`` values, checked as the command checks them."""
    out = {}
    for name, value in (values or {}).items():
        if hasattr(value, "item") and not isinstance(value, bool):
            value = value.item()  # a numpy number
        try:
            check(name, value)
        except (KeyError, ValueError) as exc:
            raise InputError.single("--set", str(exc.args[0]), field_name=name) from None
        out[name] = float(value)
    return out


def _format(format: str) -> None:
    if format not in ("parquet", "csv"):
        raise InputError.single("--format", f"must be parquet or csv, got {format!r}")


def _count(name: str, value: int | None, lo: int, hi: int) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or not lo <= value <= hi):
        raise InputError.single(f"--{name}", f"must be a whole number from {lo:,} to {hi:,}, "
                                f"got {value!r}")
    return value


@dataclass
class RunResult:
    """A scenario's runs (``tradewar run``): ``runs`` (one row per run), ``paths`` (week by
    week, for the first ``paths_sample`` runs) and ``diagnostics`` tables."""

    ensemble: Ensemble
    source: str | None = None  # the scenario file, if it came from one

    @property
    def runs(self) -> pd.DataFrame:
        return self.ensemble.runs

    @property
    def paths(self) -> pd.DataFrame:
        return self.ensemble.paths

    @property
    def diagnostics(self) -> pd.DataFrame:
        return self.ensemble.diagnostics

    @property
    def scenario(self) -> Scenario:
        return self.ensemble.scenario

    @property
    def seed(self) -> int:
        return self.ensemble.seed

    def summary(self) -> str:
        """The summary ``tradewar run`` prints: outcome shares with intervals, timing,
        tariffs, the scripted-path report and the uncertainty included."""
        from sim.experiments.summary import format_summary, summarize, uncertainty_note
        from sim.reports.replay import format_replay, replay_report

        scenario = self.scenario
        text = format_summary(summarize(self.runs, scenario.weeks),
                              f"Scenario '{scenario.name}' (seed {self.seed})")
        text += "\n\n" + uncertainty_note(self.ensemble.uncertainty)
        report = replay_report(self.runs, scenario)
        if report is not None:
            text += "\n\n" + format_replay(report)
        return text

    def plot(self) -> Figure:
        """The summary figure: the tariff fan chart and the outcome shares."""
        from sim.experiments.summary import summarize
        from sim.reports.plots import figure_title, summary_figure

        scenario = self.scenario
        return summary_figure(self.ensemble.fan, summarize(self.runs, scenario.weeks),
                              scenario.start_date,
                              figure_title(scenario.name, scenario.description))

    def save(self, folder: str | os.PathLike, *, command: list[str] | None = None,
             extra: dict[str, str] | None = None, unique: bool = False,
             format: str = "parquet") -> Path:
        """Write what ``tradewar run --out FOLDER`` writes (the folder must not exist);
        return the folder.  ``command`` is recorded in the manifest (default: this call);
        ``format="csv"`` adds ``runs.csv`` and ``paths.csv`` (``--format csv``)."""
        _format(format)
        from sim.experiments.summary import summarize
        from sim.reports.results import check_out, unwritable, write_results

        out = check_out(Path(folder))
        summary = summarize(self.runs, self.scenario.weeks)
        try:
            return write_results(self.ensemble, summary, out,
                                 command=command or [f"sim.run({self.source or '...'!r})"],
                                 scenario_file=self.source, text=self.summary(), extra=extra,
                                 unique=unique, csv=format == "csv")
        except OSError as exc:
            raise unwritable(out, exc) from None

    def explain(self, run: int) -> Story:
        """The week-by-week story of run ``run`` (replayed exactly)."""
        return explain(self.scenario, run, seed=self.seed,
                       overrides=self.ensemble.set_parameters(),
                       calibrated=self.ensemble.calibrated or False,
                       runs=self.ensemble.n_runs)

    def diagnose(self, best_response: bool = True, workers: int = 1,
                 progress: bool = False) -> str:
        """``tradewar diagnose``'s report: how often each side chose against its margin,
        and (``best_response``) what the noise does to the outcomes: the same runs again at
        best response, compared with these (in ``workers`` local processes)."""
        from sim.reports.diagnose import at_best_response, diagnose

        best = (at_best_response(self.ensemble, workers, progress) if best_response
                else None)
        return diagnose(self.ensemble, best).text


def run(scenario: ScenarioLike, *, runs: int | None = None, seed: int | None = None,
        overrides: Mapping[str, float] | None = None, calibrated: Calibrated = True,
        paths_sample: int = PATH_SAMPLE, progress: bool = False,
        workers: int = 1) -> RunResult:
    """Run a scenario's Monte-Carlo ensemble (``tradewar run``).

    ``runs`` and ``seed`` default to the scenario's; ``overrides`` sets parameters by
    dotted name (``--set``); ``calibrated`` as in the module docstring; ``workers``: local
    processes for ensembles of more than one batch of 51,200 runs (``--workers``; the
    results are the same whatever the number).

    >>> result = sim.run("scenarios/baseline.yaml", runs=200, seed=1)
    >>> len(result.runs)
    200
    """
    from sim.experiments.ensemble import run_ensemble

    loaded = load_scenario(scenario)
    _count("runs", runs, 1, 10_000_000)
    _count("seed", seed, 0, 2**63 - 1)
    _count("paths-sample", paths_sample, 0, 16_384)
    _count("workers", workers, 1, 1024)
    ensemble = run_ensemble(loaded, runs=runs, seed=seed, overrides=_overrides(overrides),
                            path_sample=paths_sample, fan_runs=FAN_RUNS, progress=progress,
                            calibrated=_calibrated(calibrated), workers=workers)
    source = None if isinstance(scenario, (Mapping, Scenario)) else str(scenario)
    return RunResult(ensemble, source)


@dataclass
class CompareResult:
    """Scenarios run with common random numbers (``tradewar compare``): ``table`` (each
    measure per scenario, with the paired difference to the first) and ``runs`` (each
    scenario's run table, by name)."""

    comparison: Comparison
    sources: list[str | None] = field(default_factory=list)

    @property
    def table(self) -> pd.DataFrame:
        return self.comparison.table

    @property
    def runs(self) -> dict[str, pd.DataFrame]:
        return {e.scenario.name: e.runs for e in self.comparison.ensembles}

    def summary(self) -> str:
        """The table ``tradewar compare`` prints, and the uncertainty included."""
        from sim.experiments.compare import format_comparison
        from sim.experiments.summary import uncertainty_note

        return (format_comparison(self.comparison) + "\n\n"
                + uncertainty_note(self.comparison.ensembles[0].uncertainty))

    def plot(self) -> Figure:
        """Outcome shares, tariff paths and time to a deal, scenario by scenario."""
        from sim.reports.plots import comparison_figure

        return comparison_figure(self.comparison.ensembles, self.comparison.table)

    def save(self, folder: str | os.PathLike, *, command: list[str] | None = None,
             unique: bool = False) -> Path:
        """Write what ``tradewar compare --out FOLDER`` writes; return the folder."""
        from sim.reports.results import check_out, unwritable, write_comparison

        out = check_out(Path(folder))
        files = [s or "<dict>" for s in self.sources]
        try:
            return write_comparison(self.comparison, self.summary(), out,
                                    command=command or ["sim.compare(...)"],
                                    scenario_files=files, unique=unique)
        except OSError as exc:
            raise unwritable(out, exc) from None


def compare(scenarios: Iterable[ScenarioLike], *, runs: int | None = None,
            seed: int | None = None, overrides: Mapping[str, float] | None = None,
            calibrated: Calibrated = True, progress: bool = False) -> CompareResult:
    """Run scenarios with the same seed and runs and compare them (``tradewar compare``);
    the first is the reference.  ``runs`` and ``seed`` default to the first scenario's.

    >>> result = sim.compare(["scenarios/baseline.yaml", "scenarios/fentanyl_first.yaml"],
    ...                      runs=200)
    >>> sorted(result.runs)
    ['baseline', 'fentanyl_first']
    """
    from sim.experiments.compare import run_comparison

    given = list(scenarios)
    loaded = [load_scenario(s) for s in given]
    if not loaded:
        raise InputError.single("scenarios", "give at least one scenario")
    names = [s.name for s in loaded]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        where = given[names.index(twice)]
        raise InputError.single(str(where) if not isinstance(where, Mapping) else "<dict>",
                                "two scenarios share this name")
    _count("runs", runs, 1, 10_000_000)
    _count("seed", seed, 0, 2**63 - 1)
    comparison = run_comparison(loaded, runs=runs or loaded[0].runs,
                                seed=loaded[0].seed if seed is None else seed,
                                overrides=_overrides(overrides), progress=progress,
                                calibrated=_calibrated(calibrated))
    sources = [None if isinstance(s, (Mapping, Scenario)) else str(s) for s in given]
    return CompareResult(comparison, sources)


@dataclass
class Story:
    """One run told week by week (``tradewar explain``): ``text``, and the run's ``paths``
    (its weekly records) and ``row`` (its row of the run table).  ``matches`` says, for a
    run replayed from a results folder, whether it equals that folder's row."""

    text: str
    paths: pd.DataFrame
    row: pd.Series
    matches: bool | None = None

    def __str__(self) -> str:
        return self.text

    def summary(self) -> str:
        return self.text


def explain(source: ScenarioLike, run: int, *, seed: int | None = None,
            overrides: Mapping[str, float] | None = None, calibrated: Calibrated = True,
            runs: int | None = None) -> Story:
    """Re-run one run exactly and tell its story (``tradewar explain``).  ``source`` is a
    scenario (then ``seed``, ``overrides``, ``calibrated`` and ``runs``, the ensemble's
    size, are as for :func:`run`) or a results folder (which fixes them all).

    >>> print(sim.explain("scenarios/baseline.yaml", run=3, runs=200))  # doctest: +SKIP
    """
    from sim.reports.explain import narrate, replay_run

    _count("run", run, 0, 10_000_000)
    _count("seed", seed, 0, 2**63 - 1)
    _count("runs", runs, 1, 10_000_000)
    if not isinstance(source, (Mapping, Scenario)) and Path(source).is_dir():
        if seed is not None or overrides:
            raise InputError.single(str(source), "--seed and --set go with a scenario file; "
                                    "a results directory fixes both")
        scenario, seed, fixed, expected, chosen, size = results_run(Path(source), run)
        story = replay_run(scenario, seed, run, fixed, chosen, size)
        same = all(_same(story.row[c], expected[c]) for c in expected.index)
        return Story(narrate(story), story.paths, story.row, same)
    scenario = load_scenario(source)
    story = replay_run(scenario, scenario.seed if seed is None else seed, run,
                       _overrides(overrides), _calibrated(calibrated), runs)
    return Story(narrate(story), story.paths, story.row)


def _same(a: object, b: object) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if isinstance(a, (float, int)) and isinstance(b, (float, int)):
        return bool(a == b)
    return str(a) == str(b)


def results_run(folder: Path, run: int):
    """What a results folder fixes for replaying run ``run``: scenario, seed, overrides,
    the run's row, the calibrated set (or None) and the ensemble's size; every file
    checked against the manifest."""
    import json

    from sim.model.parameters import check as parameters_check
    from sim.reports.results import MANIFEST_FILE, RUNS_FILE, SCENARIO_FILE

    manifest_path = folder / MANIFEST_FILE
    if not manifest_path.is_file() or not (folder / SCENARIO_FILE).is_file():
        raise InputError.single(str(folder), f"not a results directory (no {MANIFEST_FILE} "
                                f"and {SCENARIO_FILE})")
    try:
        manifest = json.loads(manifest_path.read_text())
        expected_keys = ("scenario_sha256", "runs", "seed", "parameters_changed")
        missing = [k for k in expected_keys if k not in manifest]
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as exc:
        raise InputError.single(str(manifest_path), f"not a valid manifest: {exc}") from None
    if missing:
        raise InputError.single(str(manifest_path), f"manifest lacks {', '.join(missing)}")
    kinds = {"scenario_sha256": str, "runs": int, "seed": int, "parameters_changed": dict}
    for key, kind in kinds.items():
        value = manifest[key]
        if not isinstance(value, kind) or isinstance(value, bool) or (
                kind is int and value < (1 if key == "runs" else 0)):
            raise InputError.single(str(manifest_path), f"{key} is not a valid "
                                    f"{'count' if kind is int else kind.__name__} "
                                    f"(got {value!r:.60}); the manifest was edited",
                                    field_name=key)
    if not all(isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
               for k, v in manifest["parameters_changed"].items()):
        raise InputError.single(str(manifest_path), "parameters_changed must map parameter "
                                "names to numbers; the manifest was edited",
                                field_name="parameters_changed")
    scenario = _load_file(folder / SCENARIO_FILE)
    if scenario.digest() != manifest["scenario_sha256"]:
        raise InputError.single(str(folder / SCENARIO_FILE), "does not match the manifest's "
                                "scenario_sha256; the results directory was edited")
    if run >= manifest["runs"]:
        raise InputError.single(str(folder), f"--run {run} is out of range: these results "
                                f"have {manifest['runs']:,} runs (0 to {manifest['runs'] - 1})")
    try:
        runs = pd.read_parquet(folder / RUNS_FILE)
    except FileNotFoundError:
        raise InputError.single(str(folder / RUNS_FILE), "is missing: the results directory "
                                "is incomplete") from None
    except (OSError, ValueError) as exc:  # pyarrow's errors for a damaged file
        raise InputError.single(str(folder / RUNS_FILE), f"cannot be read ({exc}); the "
                                "results directory is damaged") from None
    if len(runs) != manifest["runs"]:
        raise InputError.single(str(folder / RUNS_FILE), f"has {len(runs):,} rows, the "
                                f"manifest says {manifest['runs']:,}; the results directory "
                                "was edited")
    # what --set gave (older results record only the values that differ from defaults)
    key = "parameters_set" if "parameters_set" in manifest else "parameters_changed"
    given = manifest[key]
    if not isinstance(given, dict):
        raise InputError.single(str(manifest_path), f"{key} must map parameter names to "
                                "numbers; the manifest was edited", field_name=key)
    for name, value in {**manifest["parameters_changed"], **given}.items():
        try:
            if isinstance(value, bool):
                raise ValueError(f"parameter '{name}' must be a number, got {value!r}")
            parameters_check(name, value)
        except (KeyError, ValueError) as exc:
            raise InputError.single(str(manifest_path), f"{exc.args[0]}; the manifest was "
                                    "edited", field_name=f"{key}.{name}") from None
    overrides = (dict(given) if key == "parameters_set" else
                 {k: v for k, v in given.items() if k not in scenario.overrides})
    calibrated = _results_set(folder, manifest)
    return scenario, manifest["seed"], overrides, runs.iloc[run], calibrated, manifest["runs"]


def _results_set(folder: Path, manifest: dict) -> CalibratedSet | None:
    """The calibrated set a results directory's runs drew from (its copy beside them), or
    None for runs at fixed parameters (and for results written before sets existed)."""
    from sim.io.calibrated import SET_CSV

    entry = manifest.get("calibrated_set")
    if entry is None:
        return None
    manifest_path = folder / "manifest.json"
    if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
        raise InputError.single(str(manifest_path), "calibrated_set is not valid; the "
                                "manifest was edited", field_name="calibrated_set")
    calibrated = load_calibrated_set(folder / SET_CSV)
    if calibrated.sha256 != entry["sha256"]:
        raise InputError.single(str(folder / SET_CSV), "does not match the manifest's "
                                "calibrated_set.sha256; the results directory was edited")
    return calibrated


@dataclass
class HypothesisResult:
    """Scenarios' hypotheses checked against their references with common random numbers
    (``tradewar hypothesis``): ``table``, one row per scenario, and the ``checks``."""

    checks: list[Any]
    overrides: dict[str, float] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        from dataclasses import asdict

        return pd.DataFrame([asdict(c) for c in self.checks])

    def summary(self) -> str:
        """The report ``tradewar hypothesis`` prints."""
        from sim.experiments.hypothesis import format_check

        text = "\n".join(format_check(c) for c in self.checks)
        if self.overrides:
            held = ", ".join(f"{k}={v:g}" for k, v in self.overrides.items())
            text += f"\nHeld in both scenarios of every check (--set): {held}"
        return text


def hypothesis(scenarios: Iterable[str | os.PathLike], *, runs: int | None = None,
               seed: int | None = None, overrides: Mapping[str, float] | None = None,
               calibrated: Calibrated = True) -> HypothesisResult:
    """Check each scenario file's ``hypothesis:`` against its reference scenario: the paired
    difference of its metric, a 95% interval and the verdict (``tradewar hypothesis``).
    ``overrides`` hold parameters at a value in both scenarios of every check.

    >>> sim.hypothesis(["scenarios/fentanyl_first.yaml"], runs=300).table  # doctest: +SKIP
    """
    from sim.experiments.hypothesis import check_hypothesis, reference_scenario

    files = [str(f) for f in scenarios]
    for file in files:  # refuse bad input before anything runs, as the command does
        scenario = _load_file(file)
        if scenario.hypothesis is None:
            raise InputError.single(file, "states no hypothesis; add a 'hypothesis:' block "
                                    "(metric, direction, against, why)", 1, "hypothesis")
        reference_scenario(file, scenario)
    _count("runs", runs, 1, 10_000_000)
    held = _overrides(overrides)
    chosen, cache = _calibrated(calibrated), {}
    return HypothesisResult([check_hypothesis(f, runs=runs, seed=seed, cache=cache,
                                              calibrated=chosen, overrides=held)
                             for f in files], held)


@dataclass
class TargetsResult:
    """The documents' patterns measured on a scenario's runs (``tradewar targets``):
    ``table``, one row per target with its share of runs, interval, threshold and verdict."""

    results: list[Any]
    scenario: Scenario
    runs: int
    seed: int
    calibrated: CalibratedSet | None

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"target": r.target.id, "week": r.week, "share": r.share,
                              "low": r.low, "high": r.high, "min_share": r.target.min_share,
                              "met": r.met} for r in self.results])

    def summary(self) -> str:
        """The table ``tradewar targets`` prints, and the parameters the runs used."""
        import textwrap

        from sim.experiments.targets import format_results

        what = ("parameters fixed at their declared defaults (--fixed-parameters)"
                if self.calibrated is None else self.calibrated.describe())
        return (format_results(self.results, self.scenario, self.runs, self.seed) + "\n"
                + textwrap.fill(f"Parameters: {what}.", width=92))


def targets(targets_file: str | os.PathLike = "calibration/targets.yaml", *, runs: int = 2000,
            seed: int | None = None, overrides: Mapping[str, float] | None = None,
            calibrated: Calibrated = True) -> TargetsResult:
    """How often runs show each pattern the documents report (``tradewar targets``).

    >>> sim.targets(runs=500).table[["target", "share", "met"]]  # doctest: +SKIP
    """
    from sim.experiments.targets import load_targets, measure

    loaded, scenario = load_targets(targets_file)
    _count("runs", runs, 1, 1_000_000)
    chosen = _calibrated(calibrated)
    seed = scenario.seed if seed is None else seed
    results = measure(loaded, scenario, runs=runs, seed=seed, overrides=_overrides(overrides),
                      calibrated=chosen)
    return TargetsResult(results, scenario, runs, seed, chosen)


def evidence(calibrated: Calibrated = True) -> pd.DataFrame:
    """Every parameter with its default, unit, valid range, provenance (evidence ids,
    published estimates, the assumption) and, for calibrated ones, the calibration that
    sets them (``tradewar evidence``)."""
    from sim.io.evidence import provenance_table

    rows = provenance_table(_calibrated(calibrated))
    table = pd.DataFrame(rows)
    table[["low", "high"]] = pd.DataFrame(table.pop("range").tolist(), index=table.index)
    return table.set_index("name")


@dataclass
class SweepResult:
    """A finished (or resumed) sweep in ``folder`` (``tradewar sweep``): ``points`` (one
    row per point: its parameters, outcome shares and means) and ``runs`` (every run)."""

    folder: Path
    runs_done: int = 0  # runs simulated by the call that made this object
    seconds: float = 0.0

    @property
    def points(self) -> pd.DataFrame:
        from sim.experiments.sweep import point_summary

        return point_summary(self.folder)

    @property
    def runs(self) -> pd.DataFrame:
        from sim.experiments.sweep import iter_runs

        frames = list(iter_runs(self.folder))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def summary(self) -> str:
        """Points, runs and the spread of each outcome share across points."""
        from sim.experiments.analyze import load_sweep
        from sim.experiments.sweep import results_digest

        experiment, points = load_sweep(self.folder)
        lines = [f"Sweep '{experiment.name}' in {self.folder}/",
                 f"  {len(points)} points x {experiment.replicates} replicates = "
                 f"{len(points) * experiment.replicates:,} runs",
                 f"  results hash: {results_digest(self.folder)[:16]}",
                 "  outcome shares across points (min / median / max):"]
        for col in [c for c in points.columns if c.startswith("share_")]:
            v = points[col]
            lines.append(f"    {col[6:]:<20} {v.min():6.1%} {v.median():6.1%} {v.max():6.1%}")
        return "\n".join(lines)

    def analyze(self, measure: str | None = None, target: str = "truce") -> str:
        """``tradewar analyze``: sensitivity indices (Sobol or Morris designs) and the
        boxes of parameter space where ``target`` is likely."""
        from sim.experiments.analyze import DEFAULT_MEASURE, AnalysisError, report

        try:
            return report(self.folder, measure or DEFAULT_MEASURE, target)
        except AnalysisError as exc:
            raise InputError.single(str(self.folder), str(exc)) from None

    def plot(self, kind: str = "shares", **options: object) -> Figure:
        """One figure of ``tradewar plot`` (kinds: ``sim.reports.sweep_plots.KINDS``)."""
        from sim.reports.sweep_plots import KINDS, figures

        if kind not in KINDS:
            raise InputError.single("--kind", f"unknown plot kind {kind!r}; one of "
                                    f"{', '.join(KINDS)}")
        made = figures(self.folder, kind, **options)
        if not made:
            raise InputError.single(str(self.folder), f"this sweep has no {kind} plot")
        return made[0]

    def save(self, folder: str | os.PathLike | None = None, *,
             format: str = "parquet") -> list[Path]:
        """The sweep's default figures as files (``tradewar plot``), in ``folder`` (default:
        the sweep's ``plots/``); the tables are already in the sweep's folder, and
        ``format="csv"`` adds them as ``points.csv`` and ``runs.csv`` there."""
        from sim.experiments.analyze import load_sweep
        from sim.experiments.sweep import write_csv
        from sim.reports.sweep_plots import default_kinds, plot

        _format(format)
        experiment, _ = load_sweep(self.folder)
        written = plot(self.folder, default_kinds(experiment), folder)
        return written + (write_csv(self.folder) if format == "csv" else [])


def sweep(experiment: str | os.PathLike, out: str | os.PathLike | None = None, *,
          workers: int = 1, executor: str = "local", address: str | None = None,
          resume: bool = False, chunk_runs: int | None = None,
          progress: bool = False) -> SweepResult:
    """Run (or, with ``resume``, finish) an experiment's parameter sweep (``tradewar
    sweep``) into ``out`` (default ``results/<experiment name>``).  Rows are the same for
    any ``workers`` and for ``executor="dask"``.

    >>> result = sim.sweep("experiments/face_pain_grid.yaml", "results/grid")  # doctest: +SKIP
    >>> result.points.head()  # doctest: +SKIP
    """
    from sim.experiments.experiment import load_experiment
    from sim.experiments.sweep import CHUNK_RUNS, SweepError, run_sweep

    exp, scenario = load_experiment(experiment)
    folder = Path("results") / exp.name if out is None else Path(out)
    _count("workers", workers, 1, 1024)
    started = time.perf_counter()
    try:
        result = run_sweep(exp, scenario, folder, workers=workers, executor=executor,
                           address=address, resume=resume,
                           chunk_runs=chunk_runs or CHUNK_RUNS,
                           command=[f"sim.sweep({str(experiment)!r})"], progress=progress)
    except SweepError as exc:
        raise InputError.single(str(folder), str(exc)) from None
    return SweepResult(folder, result.runs, time.perf_counter() - started)


@dataclass
class CalibrationResult:
    """A history matching (``tradewar calibrate``): ``nonimplausible`` (the set), ``waves``
    (each wave's points, target shares and implausibilities) and the written ``folder``."""

    calibration: Calibration

    @property
    def folder(self) -> Path:
        return self.calibration.folder

    @property
    def nonimplausible(self) -> pd.DataFrame:
        return self.calibration.nonimplausible

    @property
    def waves(self) -> list[pd.DataFrame]:
        return self.calibration.waves

    def summary(self) -> str:
        """The report ``tradewar calibrate`` prints."""
        from sim.experiments.calibrate import report

        return report(self.calibration)

    def plot(self) -> Figure:
        """Implausibility against the parameters it depends on most (wave 0)."""
        from sim.reports.calibration import figures

        return figures(self.calibration)["implausibility"]

    def save(self, folder: str | os.PathLike | None = None) -> list[Path]:
        """The report and figures, in ``folder`` (default: the calibration's own)."""
        from sim.reports.calibration import plots

        out = Path(folder) if folder is not None else self.folder
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.txt").write_text(self.summary() + "\n")
        return [out / "report.txt", *plots(self.calibration, out)]


def calibrate(targets: str | os.PathLike, out: str | os.PathLike | None = None, *,
              points: int = 1000, replicates: int = 32, waves: int = 3, seed: int = 1,
              workers: int = 1, executor: str = "local", address: str | None = None,
              resume: bool = False, progress: bool = False,
              command: str | None = None,
              factors: Sequence[str] = ()) -> CalibrationResult:
    """History matching of the fitted assumption-only parameters against a targets file
    (``tradewar calibrate``), into ``out`` (default ``results/calibration``).  The
    folder gets the non-implausible set, also as a calibrated set (``calibrated_set.csv``
    and its provenance, ``command`` recorded in it: default, this call), which
    ``run(..., calibrated=PATH)`` draws from.  ``factors``: parameters that are not in the
    box (not assumption-only, such as a structural switch, or a dial declared not fitted,
    such as the status-quo bias) to put into it too, each
    ``"NAME=V1,V2,..."`` or ``"NAME=LO:HI"`` (``tradewar calibrate --factor``); the report
    then compares how often the documents' patterns leave each of their values.

    >>> cal = sim.calibrate("calibration/targets.yaml", "results/cal", points=200,
    ...                     replicates=8, waves=2)  # doctest: +SKIP
    >>> len(cal.nonimplausible)  # doctest: +SKIP
    """
    from sim.experiments.calibrate import added_factor, write_set
    from sim.experiments.calibrate import calibrate as history_matching
    from sim.experiments.sweep import SweepError
    from sim.experiments.targets import load_targets

    if isinstance(factors, str):
        raise InputError.single("factors", "give a list of NAME=V1,V2 or NAME=LO:HI specs, "
                                "not one string")
    added: dict[str, dict] = {}
    for spec in factors:
        try:
            name, factor = added_factor(str(spec))
        except (KeyError, ValueError) as exc:
            raise InputError.single("--factor", str(exc.args[0])) from None
        if name in added:
            raise InputError.single("--factor", f"{name} is given twice")
        added[name] = factor
    loaded, scenario = load_targets(targets)
    folder = Path("results") / "calibration" if out is None else Path(out)
    for name, value, hi in (("points", points, 1_000_000), ("replicates", replicates, 100_000),
                            ("waves", waves, 20), ("workers", workers, 1024)):
        _count(name, value, 1 if name != "points" else 2, hi)
    if folder.exists() and any(folder.iterdir()) and not resume:
        raise InputError.single(str(folder), "not empty; give another --out, or --resume to "
                                "continue the calibration in it")
    try:
        result = history_matching(loaded, Path(targets).parent / loaded.scenario, scenario,
                                  folder, points=points, replicates=replicates, waves=waves,
                                  seed=seed, workers=workers, executor=executor,
                                  address=address, resume=resume, progress=progress,
                                  added=added)
    except SweepError as exc:
        raise InputError.single(str(folder), str(exc)) from None
    if len(result.nonimplausible):
        write_set(result, targets, command or f"sim.calibrate({str(targets)!r}, "
                  f"points={points}, replicates={replicates}, waves={waves}, seed={seed})",
                  points=points, replicates=replicates, waves=waves, seed=seed)
    return CalibrationResult(result)
