"""Throughput of the baseline scenario: runs per second at 1, 1,000 and 100,000 runs, and
the ratio to running the same model one run at a time.

    python benchmarks/bench_runs.py [--runs 1 1000 100000] [--single 20] [--repeat 3]
                                    [--calibrated]

By default every run uses the declared parameter defaults (``--fixed-parameters``); with
``--calibrated`` each run draws its assumption-only parameters from the shipped calibrated
set, as ``tradewar run`` does by default (runs that draw different forecast depths advance
in models of their own, ``sim.experiments.ensemble``).

Runs in this process on one core (the machine has two; nothing here uses the second).
Prints a table; targets (issue 2): 100,000 runs x 52 weeks in <= 10 s, and >= 50x the
one-run-at-a-time throughput.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from pathlib import Path

from sim.experiments.ensemble import run_ensemble
from sim.io.calibrated import load_calibrated_set
from sim.io.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def timed(scenario, runs: int, seed: int, calibrated=None) -> float:
    started = time.perf_counter()
    run_ensemble(scenario, runs=runs, seed=seed, path_sample=0, fan_runs=0,
                 calibrated=calibrated)
    return time.perf_counter() - started


def one_at_a_time(scenario, runs: int, calibrated=None) -> float:
    """Seconds for ``runs`` single-run models in sequence, as a naive loop would do."""
    started = time.perf_counter()
    for seed in range(runs):
        run_ensemble(scenario, runs=1, seed=seed, path_sample=0, fan_runs=0,
                     calibrated=calibrated)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[1, 1000, 100_000])
    parser.add_argument("--single", type=int, default=20,
                        help="single-run models timed for the one-at-a-time baseline")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many timings")
    parser.add_argument("--calibrated", action="store_true",
                        help="runs draw their parameters from the shipped calibrated set")
    args = parser.parse_args()
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    calibrated = load_calibrated_set() if args.calibrated else None
    timed(scenario, 1024, 0, calibrated)  # warm up imports and caches

    single = one_at_a_time(scenario, args.single, calibrated) / args.single
    single_rate = 1.0 / single
    print(f"baseline scenario, {scenario.weeks} weeks; Python {platform.python_version()}, "
          f"{os.cpu_count()} cores visible, one used; parameters "
          + ("drawn from the calibrated set" if calibrated else "at their defaults"))
    print(f"one run at a time: {single * 1000:.1f} ms per run = {single_rate:,.1f} runs/s "
          f"(mean of {args.single})")
    print(f"{'runs':>9} {'seconds':>9} {'runs/s':>10} {'x one-at-a-time':>16}")
    for runs in args.runs:
        best = min(timed(scenario, runs, seed, calibrated) for seed in range(args.repeat))
        rate = runs / best
        print(f"{runs:>9,} {best:>9.3f} {rate:>10,.0f} {rate / single_rate:>16,.0f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
