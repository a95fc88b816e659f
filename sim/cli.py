"""The ``tradewar`` command: run, diagnose, compare, hypothesis, sweep, explain, play,
validate and more.

Bad input ends with one message per problem (file, line, field) on stderr and exit
status 2, before anything is written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sim._version import __version__
from sim.io.yamlio import InputError, Problem, printable

EXIT_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tradewar`` console script and ``python -m sim``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = ["tradewar", *argv]
    try:
        return int(args.handler(args) or 0)
    except InputError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted; no results were written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # the file system: read-only, full, a file where a folder goes
        what = f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
        print(f"tradewar: {printable(what)}", file=sys.stderr)
        return EXIT_INPUT


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tradewar", description="Agent-based simulator of the US-China tariff negotiation.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a scenario's Monte-Carlo ensemble",
                         description="Run a scenario, print a summary and write results.")
    _ensemble_options(run, "results directory (default: results/<scenario>-<time>); must "
                      "not exist")
    run.add_argument("--paths-sample", type=_bounded_int(0, 16_384), default=None,
                     help="runs kept week by week in paths.parquet (default 1000)")
    _format_option(run, "runs.csv and paths.csv")
    run.set_defaults(handler=cmd_run)

    diag = sub.add_parser("diagnose", help="how often each side chose against its own "
                          "margin", description="Run a scenario's ensemble and print, per "
                          "side and move, how often it was chosen freely, the share chosen "
                          "although a better option was on the menu, and the mean regret, "
                          "with a verdict on the consequential moves; then runs the same "
                          "runs at best response and shows what the noise does to the "
                          "outcomes.")
    _ensemble_options(diag, "also write a results directory, as `tradewar run` does, with "
                      "diagnosis.txt (default: none); must not exist")
    diag.add_argument("--no-best-response", action="store_true",
                      help="skip the second run at best response (the section on what the "
                      "noise does to the outcomes)")
    diag.set_defaults(handler=cmd_diagnose)

    tgt = sub.add_parser("targets", help="measure the calibration targets: how often runs "
                         "show the patterns the documents report",
                         description="Run the targets file's scenario and print, for each "
                         "pattern the five documents report, the share of runs whose state "
                         "shows it at its date, with an interval, and whether the documents' "
                         "history counts as a typical run (share >= min_share).")
    tgt.add_argument("targets", help="targets YAML file (e.g. calibration/targets.yaml)")
    tgt.add_argument("--runs", type=_bounded_int(1, 1_000_000), default=2000,
                     help="runs (default 2000)")
    _seed_and_set(tgt, "seed (default: the scenario's)",
                  "override a parameter by dotted name (repeatable)")
    _parameter_options(tgt)
    tgt.set_defaults(handler=cmd_targets)

    cal = sub.add_parser("calibrate", help="history matching: which values of the "
                         "fitted assumption-only parameters let the runs show the documents' "
                         "patterns",
                         description="In waves, sample every fitted assumption-only parameter "
                         "(all but the dials declared not fitted, such as the status-quo bias) by "
                         "Latin hypercube, run each point on the sweep engine, rule out the "
                         "points whose target shares fall short of the targets' min_share "
                         "beyond three standard deviations (Monte Carlo error and model "
                         "discrepancy), and narrow to what is left. Writes the "
                         "non-implausible set, a report of which targets can be met together, "
                         "and figures.")
    cal.add_argument("targets", help="targets YAML file (e.g. calibration/targets.yaml)")
    cal.add_argument("--points", type=_bounded_int(2, 1_000_000), default=1000,
                     help="points per wave (default 1000)")
    cal.add_argument("--replicates", type=_bounded_int(1, 100_000), default=32,
                     help="runs per point (default 32)")
    cal.add_argument("--waves", type=_bounded_int(1, 20), default=3,
                     help="waves (default 3)")
    cal.add_argument("--seed", type=_bounded_int(0, 2**31 - 1), default=1,
                     help="seed of the Latin hypercube of wave 0 (wave k: seed + k)")
    cal.add_argument("--factor", action="append", default=[], metavar="NAME=V1,V2|NAME=LO:HI",
                     help="also put a parameter that is not in the box (not assumption-only, or "
                     "a dial not fitted, e.g. decision.action_cost) into it, "
                     "at listed values or over a range (repeatable), e.g. a structural "
                     "switch: decision.obstinacy_prior=0,0.05; the report compares how often "
                     "each value survives")
    _pool_options(cal, "calibration", "folder (default results/calibration)")
    cal.add_argument("--no-progress", action="store_true", help="no progress bar")
    cal.set_defaults(handler=cmd_calibrate)

    cmp_ = sub.add_parser("compare", help="run scenarios with common random numbers and "
                          "compare their outcomes",
                          description="Run every scenario with the same seed and runs, print "
                          "outcome shares and key times with intervals and the paired "
                          "difference to the first, and write a comparison figure.")
    cmp_.add_argument("scenarios", nargs="+", help="scenario YAML files (the first is the "
                      "reference)")
    cmp_.add_argument("--runs", type=_bounded_int(1, 10_000_000),
                      help="runs per scenario (default: the first scenario's)")
    _seed_and_set(cmp_, "common seed (default: the first scenario's)",
                  "override a parameter in every scenario (repeatable)")
    cmp_.add_argument("--out", type=Path, help="results directory (default: "
                      "results/compare-<time>); must not exist")
    cmp_.add_argument("--no-progress", action="store_true", help="no progress bar")
    _parameter_options(cmp_)
    cmp_.set_defaults(handler=cmd_compare)

    hyp = sub.add_parser("hypothesis", help="check scenarios' hypotheses against their "
                         "reference with common random numbers",
                         description="Run each scenario and the scenario its hypothesis is "
                         "stated against with the same seed and runs, print the paired "
                         "difference of the hypothesis' metric with a 95%% interval and the "
                         "verdict: supported, contradicted or inconclusive.")
    hyp.add_argument("scenarios", nargs="+", help="scenario YAML files with a 'hypothesis:' "
                     "block")
    hyp.add_argument("--runs", type=_bounded_int(1, 10_000_000),
                     help="runs per scenario (default: each scenario's own)")
    hyp.add_argument("--seed", type=_bounded_int(0, 2**63 - 1),
                     help="common seed (default: each scenario's own)")
    hyp.add_argument("--set", dest="sets", action="append", default=[],
                     metavar="NAME=VALUE", help="hold a parameter at a value in both "
                     "scenarios of every check (repeatable)")
    hyp.add_argument("--markdown", type=Path, help="also write the results as a Markdown "
                     "document (docs/hypotheses.md)")
    hyp.add_argument("--readings", type=Path, help="with --markdown: YAML of documented "
                     "verdicts and readings of disagreements (docs/hypotheses-readings.yaml)")
    _parameter_options(hyp)
    hyp.set_defaults(handler=cmd_hypothesis)

    swp = sub.add_parser("sweep", help="run an experiment's parameter sweep",
                         description="Run (or resume) an experiment: points x replicates in "
                         "fixed chunks, on local processes or Dask; writes chunk files, a "
                         "summary and a default plot set.")
    swp.add_argument("experiment", help="experiment YAML file")
    _pool_options(swp, "sweep", "sweep folder (default results/<experiment>)")
    swp.add_argument("--chunk-runs", type=_bounded_int(1024, 1 << 22), default=None,
                     help="runs per chunk (default 8192; fixed for a sweep's lifetime)")
    swp.add_argument("--no-plots", action="store_true", help="skip the default plot set")
    _format_option(swp, "points.csv (one row per point) and runs.csv (every run)")
    swp.add_argument("--no-progress", action="store_true", help="no progress bar")
    swp.set_defaults(handler=cmd_sweep)

    ana = sub.add_parser("analyze", help="sensitivity indices and scenario discovery")
    ana.add_argument("results", type=Path, help="a finished sweep folder")
    ana.add_argument("--measure", default="share:truce", help="per-point measure: "
                     "share:OUTCOME, mean:COLUMN or reached:COLUMN (default share:truce)")
    ana.add_argument("--target", default="truce", help="outcome to discover regions for")
    ana.set_defaults(handler=cmd_analyze)

    plo = sub.add_parser("plot", help="figures of a finished sweep (PNG and SVG)")
    plo.add_argument("results", type=Path, help="a finished sweep folder")
    plo.add_argument("--kind", action="append", choices=("shares", "heatmap", "fan", "ecdf",
                     "violin", "sensitivity", "boxes"), help="repeatable; default: the "
                     "default set")
    plo.add_argument("--measure", default="share:truce", help="for heatmap and sensitivity")
    plo.add_argument("--out", type=Path, help="folder for the figures (default RESULTS/plots)")
    plo.set_defaults(handler=cmd_plot)

    exp = sub.add_parser("explain", help="tell the week-by-week story of one run",
                         description="Re-run one run exactly and tell, week by week, which "
                         "move each side made and the utility terms that tipped it.")
    exp.add_argument("source", help="a results directory (reproduces its run) or a scenario "
                     "YAML file")
    exp.add_argument("--run", type=_bounded_int(0, 10_000_000), required=True,
                     help="run index (0-based)")
    _seed_and_set(exp, "with a scenario file: the seed (default: the scenario's)",
                  "with a scenario file: override a parameter (repeatable)")
    exp.add_argument("--runs", type=_bounded_int(1, 10_000_000),
                     help="with a scenario file: the size of the ensemble the run belongs to "
                     "(default: the scenario's runs); with a calibrated set it decides "
                     "which runs shared the run's model")
    _parameter_options(exp)
    exp.set_defaults(handler=cmd_explain)

    demo = sub.add_parser("demo", help="start the teaching demo in the browser",
                          description="Start the browser demo (Solara): sliders, a live run "
                          "with charts and its story, a live ensemble, and play-one-side.")
    demo.add_argument("scenario", nargs="?", help="scenario YAML file shown first (default: "
                      "the library's baseline)")
    demo.add_argument("--host", default="localhost", help="address to listen on "
                      "(default localhost)")
    demo.add_argument("--port", type=_bounded_int(0, 65535), default=8765,
                      help="port (default 8765; 0 picks a free one)")
    demo.add_argument("--no-browser", action="store_true", help="do not open a browser")
    demo.set_defaults(handler=cmd_demo)

    play = sub.add_parser("play", help="play the US or China in the terminal",
                          description="Take one side: each week pick a move from the agent's "
                          "own menu and see the rival's answer; a debrief compares your path "
                          "with agent runs. End of input stops the game (with the debrief).")
    play.add_argument("scenario", help="scenario YAML file")
    play.add_argument("--as", dest="side", required=True, choices=("us", "china", "cn"),
                      help="the side you play")
    _seed_and_set(play, "seed of your world (default: the scenario's)",
                  "override a parameter (repeatable)")
    play.add_argument("--weeks", type=_bounded_int(1, 520), help="weeks to play (default: the "
                      "scenario's horizon)")
    play.add_argument("--debrief-runs", type=_bounded_int(1, 100_000), default=300,
                      help="agent runs the debrief compares you with (default 300)")
    play.set_defaults(handler=cmd_play)

    val = sub.add_parser("validate", help="check scenario files without running them")
    val.add_argument("files", nargs="+", help="scenario YAML files")
    val.set_defaults(handler=cmd_validate)

    schema = sub.add_parser("schema", help="write the JSON Schema of scenario files")
    schema.add_argument("--out", type=Path, help="file to write (default: standard output)")
    schema.set_defaults(handler=cmd_schema)

    evidence = sub.add_parser("evidence", help="print every parameter with its provenance")
    evidence.add_argument("--grep", default="", help="only parameters whose name contains this")
    evidence.add_argument("--csv", action="store_true", help="comma-separated output")
    _parameter_options(evidence)
    evidence.set_defaults(handler=cmd_evidence)
    return parser


def _ensemble_options(parser: argparse.ArgumentParser, out_help: str) -> None:
    """The options of a command that runs one scenario's ensemble (``run``, ``diagnose``)."""
    parser.add_argument("scenario", help="scenario YAML file")
    parser.add_argument("--runs", type=_bounded_int(1, 10_000_000), help="number of runs")
    _seed_and_set(parser, "ensemble seed", "override a parameter by dotted name (repeatable)")
    parser.add_argument("--out", type=Path, help=out_help)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--workers", type=_bounded_int(1, 1024), default=None,
                        help="local processes, one per batch of 51,200 runs (default: the "
                        "cores this process may use); the results are the same whatever "
                        "the number")
    _parameter_options(parser)


def _format_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                        help=f"csv: also write {what} beside the Parquet files, for "
                        "spreadsheets (default parquet)")


def _parameter_options(parser: argparse.ArgumentParser) -> None:
    """``--fixed-parameters`` and ``--calibrated-set FILE`` (``sim.io.calibrated``)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--fixed-parameters", action="store_true",
                       help="every run at the declared parameter defaults (by default each "
                       "run draws the fitted assumption-only parameters from the calibrated set, "
                       "so the shares carry parameter uncertainty)")
    group.add_argument("--calibrated-set", type=Path, metavar="CSV",
                       help="draw from this calibrated set (a calibrated_set.csv written by "
                       "`tradewar calibrate`, its .yaml beside it) instead of the shipped "
                       "calibration/calibrated_set.csv")


def _calibrated(args: argparse.Namespace):
    """The set runs draw their parameters from, or None with ``--fixed-parameters``."""
    from sim.io.calibrated import load_calibrated_set

    if args.fixed_parameters:
        return None
    return load_calibrated_set(args.calibrated_set)


def _calibrated_choice(args: argparse.Namespace):
    """The ``calibrated`` argument of ``sim.api`` for the parameter options."""
    if args.fixed_parameters:
        return False
    return True if args.calibrated_set is None else args.calibrated_set


def _seed_and_set(parser: argparse.ArgumentParser, seed_help: str, set_help: str) -> None:
    """The ``--seed S`` and repeatable ``--set NAME=VALUE`` options (see ``parse_sets``)."""
    parser.add_argument("--seed", type=_bounded_int(0, 2**63 - 1), help=seed_help)
    parser.add_argument("--set", dest="sets", action="append", default=[],
                        metavar="NAME=VALUE", help=set_help)


def _bounded_int(lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is outside [{lo}, {hi:,}]")
        return value

    return parse


def parse_sets(items: Sequence[str]) -> dict[str, float]:
    """``["face.decay=0.95", …]`` → overrides, or ``InputError`` naming the bad item."""
    from sim.model import parameters

    out: dict[str, float] = {}
    problems = []
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        try:
            if not sep:
                raise ValueError(f"expected NAME=VALUE, got {item!r}")
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"parameter '{name}' must be a number, got {text!r}") from None
            parameters.check(name, value)
            out[name] = value
        except (KeyError, ValueError) as exc:
            problems.append(Problem(None, name, str(exc.args[0])))
    if problems:
        raise InputError("--set", problems)
    return out


def cmd_run(args: argparse.Namespace) -> int:
    from sim import api
    from sim.experiments.ensemble import PATH_SAMPLE
    from sim.reports.results import check_out, default_dir

    scenario = api.load_scenario(args.scenario)
    out = check_out(args.out or default_dir(scenario.name))
    result = _run(args, scenario, PATH_SAMPLE if args.paths_sample is None
                  else args.paths_sample)
    written = result.save(out, command=args.argv, unique=args.out is None,
                          format=args.format)
    print(result.summary())
    _print_rate(result.ensemble)
    print(_written(written))
    return 0


def cmd_diagnose(args: argparse.Namespace) -> int:
    from sim import api
    from sim.experiments.ensemble import PATH_SAMPLE
    from sim.experiments.executors import usable_cores
    from sim.reports.results import check_out

    scenario = api.load_scenario(args.scenario)
    out = None if args.out is None else check_out(args.out)
    result = _run(args, scenario, PATH_SAMPLE if out else 0)
    workers = usable_cores() if args.workers is None else args.workers
    started = time.perf_counter()
    diagnosis = result.diagnose(best_response=not args.no_best_response, workers=workers,
                                progress=not args.no_progress)
    print(diagnosis)
    _print_rate(result.ensemble)
    if "What the noise does" in diagnosis:
        print(f"the same runs at best response: {time.perf_counter() - started:.1f} s")
    if out is not None:
        written = result.save(out, command=args.argv, extra={"diagnosis.txt": diagnosis})
        print(_written(written))
    return 0


def _run(args: argparse.Namespace, scenario, paths_sample: int):
    """``sim.api.run`` with the options of ``run`` and ``diagnose``: ``--runs``, ``--seed``,
    ``--set``, the parameter options, a progress bar unless ``--no-progress``."""
    from sim import api
    from sim.experiments.executors import usable_cores

    workers = usable_cores() if args.workers is None else args.workers
    result = api.run(scenario, runs=args.runs, seed=args.seed, overrides=parse_sets(args.sets),
                     calibrated=_calibrated_choice(args), paths_sample=paths_sample,
                     progress=not args.no_progress,  # a bar on a terminal, lines in a log
                     workers=workers)
    result.source = str(args.scenario)
    return result


def _written(folder: Path) -> str:
    """The closing ``results:`` line: the folder and every file written into it."""
    return f"results: {folder}/  ({', '.join(sorted(p.name for p in folder.iterdir()))})"


def _print_rate(ensemble) -> None:
    rate = ensemble.n_runs / ensemble.seconds if ensemble.seconds else float("nan")
    print(f"\n{ensemble.n_runs:,} runs in {ensemble.seconds:.1f} s ({rate:,.0f} runs/s)")


def cmd_targets(args: argparse.Namespace) -> int:
    from sim import api

    result = api.targets(args.targets, runs=args.runs, seed=args.seed,
                         overrides=parse_sets(args.sets), calibrated=_calibrated_choice(args))
    print(result.summary())
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from sim import api
    from sim.io.scenario import load_scenario
    from sim.reports.results import check_out, default_dir

    scenarios, problems = [], []
    for file in args.scenarios:
        try:
            scenarios.append(load_scenario(file))
        except InputError as exc:
            problems.append(str(exc))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return EXIT_INPUT
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError.single(args.scenarios[names.index(next(
            n for n in names if names.count(n) > 1))], "two scenarios share this name")
    out = check_out(args.out or default_dir("compare"))
    result = api.compare(scenarios, runs=args.runs, seed=args.seed,
                         overrides=parse_sets(args.sets), calibrated=_calibrated_choice(args),
                         progress=not args.no_progress)
    result.sources = list(args.scenarios)
    written = result.save(out, command=args.argv, unique=args.out is None)
    print(result.summary())
    print("\n" + _written(written))
    return 0


def cmd_hypothesis(args: argparse.Namespace) -> int:
    from sim import api
    from sim.experiments.hypothesis import reference_scenario
    from sim.io.scenario import load_scenario
    from sim.reports.hypotheses import load_readings, markdown

    if args.readings is not None and args.markdown is None:
        raise InputError.single("--readings", "goes with --markdown")
    problems = []
    for file in args.scenarios:  # refuse bad input before anything runs
        try:
            scenario = load_scenario(file)
            if scenario.hypothesis is None:
                raise InputError.single(file, "states no hypothesis; add a 'hypothesis:' block "
                                        "(metric, direction, against, why)", 1, "hypothesis")
            reference_scenario(file, scenario)
        except InputError as exc:
            problems.append(str(exc))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return EXIT_INPUT
    readings = load_readings(args.readings) if args.readings is not None else {}
    if args.markdown is not None and not args.markdown.parent.is_dir():
        raise InputError.single(str(args.markdown), "its folder does not exist")
    result = api.hypothesis(args.scenarios, runs=args.runs, seed=args.seed,
                            overrides=parse_sets(args.sets),
                            calibrated=_calibrated_choice(args))
    checks = result.checks
    print(result.summary())
    if args.markdown is not None:
        command = _command_line(args.argv, args.scenarios)
        args.markdown.write_text(markdown(checks, readings, command))
        print(f"\nwrote {args.markdown}")
    return 0


def _command_line(argv: Sequence[str], files: Sequence[str]) -> str:
    """``argv`` for a document, ``files`` shown as ``DIR/*.yaml`` when they are every
    scenario file of one folder."""
    import shlex

    words = [shlex.quote(w) for w in argv]
    folders = {Path(f).parent for f in files}
    if len(folders) == 1:
        folder = folders.pop()
        if sorted(files) == sorted(str(folder / p.name) for p in folder.glob("*.yaml")):
            at = words.index(shlex.quote(files[0]))
            words = [w for w in words if w not in {shlex.quote(f) for f in files}]
            words.insert(at, f"{shlex.quote(str(folder))}/*.yaml")
    return " ".join(words)


def _pool_options(parser: argparse.ArgumentParser, what: str, out_help: str) -> None:
    """Where a sweep-engine job runs and writes: workers, executor, Dask address, resume,
    output folder (sweep, calibrate)."""
    parser.add_argument("--workers", type=_bounded_int(1, 1024), default=1,
                        help="worker processes (default 1)")
    parser.add_argument("--executor", choices=("local", "dask"), default="local")
    parser.add_argument("--address", help="Dask scheduler address (tcp://host:port); "
                        "without it --executor dask starts a LocalCluster")
    parser.add_argument("--resume", action="store_true", help=f"continue an interrupted {what}")
    parser.add_argument("--out", type=Path, help=out_help)


def _check_pool(args: argparse.Namespace, folder: Path) -> None:
    """The output folder, the number of local workers and a Dask address, checked before
    anything runs (sweep, calibrate)."""
    from sim.reports.results import check_out

    if str(folder) in ("", ".") or not folder.exists():
        check_out(folder)  # not the current folder; no part of its path may be a file
    cores = os.cpu_count() or 1
    if args.executor == "local" and args.workers > MAX_WORKERS_PER_CORE * cores:
        raise InputError.single("--workers", f"{args.workers} local worker processes on "
                                f"{cores} cores; at most {MAX_WORKERS_PER_CORE * cores}")
    if args.address is not None and not re.fullmatch(r"(tcp|tls)://[\w.\-\[\]:]+:\d+",
                                                     args.address):
        raise InputError.single("--address", f"{args.address!r} is not a scheduler address "
                                "like tcp://host:8786")


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim import api
    from sim.experiments.calibrate import SET_FILE

    folder = Path("results") / "calibration" if args.out is None else args.out
    _check_pool(args, folder)
    started = time.perf_counter()
    try:
        result = api.calibrate(args.targets, folder, points=args.points,
                               replicates=args.replicates, waves=args.waves, seed=args.seed,
                               workers=args.workers, executor=args.executor,
                               address=args.address, resume=args.resume,
                               progress=not args.no_progress, command=shlex.join(args.argv),
                               factors=args.factor)
    except KeyboardInterrupt:
        print(f"interrupted; finished work is kept in {folder}/; run the same command with "
              "--resume to finish the calibration", file=sys.stderr)
        return 130
    figures = result.save()
    written = [SET_FILE] + (["calibrated_set.csv", "calibrated_set.yaml"]
                            if len(result.nonimplausible) else [])
    print(result.summary())
    print(f"\n{time.perf_counter() - started:.1f} s; written to {folder}/: "
          f"{', '.join(written)}, calibration.json, {', '.join(f.name for f in figures)}, "
          "wave_*/")
    if len(result.nonimplausible):
        print(f"To make this set the default every run draws from, copy {folder}/"
              "calibrated_set.csv and calibrated_set.yaml into calibration/.")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.experiments.experiment import load_experiment
    from sim.experiments.sweep import (
        CHUNK_RUNS,
        SweepError,
        point_summary,
        results_digest,
        run_sweep,
        write_csv,
    )
    from sim.reports.sweep_plots import default_kinds, plot

    experiment, scenario = load_experiment(args.experiment)
    folder = Path("results") / experiment.name if args.out is None else args.out
    _check_pool(args, folder)
    try:
        result = run_sweep(experiment, scenario, folder, workers=args.workers,
                           executor=args.executor, address=args.address, resume=args.resume,
                           chunk_runs=args.chunk_runs or CHUNK_RUNS, command=args.argv,
                           progress=not args.no_progress)
    except SweepError as exc:
        raise InputError.single(str(folder), str(exc)) from None
    except KeyboardInterrupt:
        done = _chunks_written(folder)
        print(f"interrupted; {done} finished chunk(s) are kept in {folder}/; run the same "
              "command with --resume to finish the sweep", file=sys.stderr)
        return 130
    summary = point_summary(folder)
    rate = result.runs / result.seconds if result.seconds else float("nan")
    print(f"Sweep '{experiment.name}' -> {folder}/")
    print(f"  {len(summary)} points x {experiment.replicates} replicates = "
          f"{len(summary) * experiment.replicates:,} runs in {result.chunks} chunks "
          f"({result.skipped} already done)")
    print(f"  this session: {result.runs:,} runs in {result.seconds:.1f} s "
          f"({rate:,.0f} runs/s, {args.workers} worker(s), {args.executor})")
    print(f"  results hash: {results_digest(folder)[:16]}")
    shares = summary[[c for c in summary.columns if c.startswith("share_")]]
    print("  outcome shares across points (min / median / max):")
    for col in shares:
        v = shares[col]
        print(f"    {col[6:]:<20} {v.min():6.1%} {v.median():6.1%} {v.max():6.1%}")
    if not args.no_plots:
        written = plot(folder, default_kinds(experiment))
        print(f"  plots: {len(written)} files in {folder / 'plots'}/")
    if args.format == "csv":
        print(f"  tables for spreadsheets: {', '.join(p.name for p in write_csv(folder))}")
    return 0


MAX_WORKERS_PER_CORE = 4
"""Local worker processes allowed per core (more only queue for the same cores)."""


def _chunks_written(folder: Path) -> int:
    from sim.experiments.sweep import chunk_files

    try:
        return len(chunk_files(folder))
    except OSError:
        return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from sim.experiments.analyze import AnalysisError, report

    try:
        print(report(args.results, args.measure, args.target))
    except AnalysisError as exc:
        raise InputError.single(str(args.results), str(exc)) from None
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from sim.experiments.analyze import AnalysisError, load_sweep
    from sim.reports.sweep_plots import default_kinds, plot

    try:
        experiment, _ = load_sweep(args.results)
        kinds = args.kind or default_kinds(experiment)
        written = plot(args.results, kinds, args.out, measure=args.measure)
    except AnalysisError as exc:
        raise InputError.single(str(args.results), str(exc)) from None
    for path in written:
        print(path)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from sim import api

    source = Path(args.source)
    if source.is_dir():
        if args.fixed_parameters or args.calibrated_set is not None:
            raise InputError.single(str(source), "--fixed-parameters and --calibrated-set go "
                                    "with a scenario file; a results directory fixes them")
        if args.seed is not None or args.sets:
            raise InputError.single(str(source), "--seed and --set go with a scenario file; "
                                    "a results directory fixes both")
    story = api.explain(source, args.run, seed=args.seed, overrides=parse_sets(args.sets),
                        calibrated=_calibrated_choice(args), runs=args.runs)
    print(story.text)
    if story.matches is not None:
        print(f"\nReproduced from {source}: the replayed run "
              f"{'matches' if story.matches else 'DOES NOT match'} row {args.run} of "
              "runs.parquet.")
        return 0 if story.matches else 1
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import importlib.util
    import signal
    import subprocess

    from sim.teach.demo import SCENARIO_ENV

    env = dict(os.environ)
    if args.scenario is not None:
        from sim.io.scenario import load_scenario

        load_scenario(args.scenario)  # refuse a bad file before starting a server
        env[SCENARIO_ENV] = str(Path(args.scenario).resolve())
    if importlib.util.find_spec("solara") is None:
        print("the demo needs its optional dependencies: pip install 'tradewar-sim[demo]' "
              "(or pip install -e '.[demo]' in a checkout)", file=sys.stderr)
        return EXIT_INPUT
    note = ensure_demo_assets()
    if note:
        print(note, file=sys.stderr, flush=True)
    app = Path(__file__).resolve().parent / "teach" / "app.py"
    command = [sys.executable, "-m", "solara", "run", str(app), "--host", args.host,
               "--port", str(args.port), "--production",
               "--no-open" if args.no_browser else "--open"]
    print(f"Starting the demo on http://{args.host}:{args.port} (Ctrl+C stops it)", flush=True)
    server = subprocess.Popen(command, env=env)

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)  # stopping us stops the server too
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def ensure_demo_assets(npm: str = "npm") -> str:
    """Fetch the page's JavaScript and CSS into solara's cache where they are missing (a
    machine that cannot reach solara's CDN otherwise shows a blank page); a one-line note
    to print: what was fetched, or, where fetching failed, what to do ("" if all was
    there)."""
    from sim.teach import offline_assets

    try:
        todo = offline_assets.missing()
        if not todo:
            return ""
        fetched = offline_assets.install(npm=npm)
    except (offline_assets.AssetsError, OSError) as exc:
        return (f"note: the demo page's assets are not cached and could not be fetched "
                f"({str(exc).splitlines()[0][:160]}); without internet access the page "
                "stays blank: install npm and run 'python -m sim.teach.offline_assets'")
    return f"fetched the demo page's assets into solara's cache ({len(fetched)} packages)"


def cmd_play(args: argparse.Namespace) -> int:
    from sim.io.scenario import load_scenario
    from sim.teach.play import Game, play_terminal

    scenario = load_scenario(args.scenario)
    overrides = parse_sets(args.sets)
    game = Game.new(scenario, args.side, seed=args.seed, weeks=args.weeks, overrides=overrides)
    play_terminal(game, debrief_runs=args.debrief_runs)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.io.scenario import load_scenario

    failed = False
    for file in args.files:
        try:
            scenario = load_scenario(file)
        except InputError as exc:
            print(exc, file=sys.stderr)
            failed = True
            continue
        print(f"{file}: ok ({scenario.name}: {scenario.weeks} weeks, {scenario.runs:,} runs, "
              f"{len(scenario.events)} events)")
    return EXIT_INPUT if failed else 0


def cmd_schema(args: argparse.Namespace) -> int:
    from sim.io.scenario import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text)
        print(f"wrote {args.out}")
    return 0


def cmd_evidence(args: argparse.Namespace) -> int:
    from sim.io.evidence import provenance_table

    rows = [r for r in provenance_table(_calibrated(args)) if args.grep in r["name"]]
    if args.csv:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(["name", "default", "unit", "range", "provenance", "calibrated"])
        for r in rows:
            writer.writerow([r["name"], r["default"], r["unit"], r["range"], r["provenance"],
                             r["calibrated"]])
        return 0
    for r in rows:
        lo, hi = r["range"]
        print(f"{r['name']} = {r['default']:g} {r['unit']}  (valid {lo:g} to {hi:g}): {r['doc']}")
        for source in r["sources"]:
            print(f"    - {source}")
        if r["assumption"]:
            print(f"    - assumption: {r['assumption']}")
        if r["calibrated"]:
            print(f"    - {r['calibrated']}")
    calibrated = sum(bool(r["calibrated"]) for r in rows)
    print(f"\n{len(rows)} parameters" + (f", {calibrated} of them calibrated"
                                          if calibrated else ""))
    return 0

if __name__ == "__main__":
    sys.exit(main())
