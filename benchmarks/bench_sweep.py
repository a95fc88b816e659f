"""Sweep throughput at 1 and 2 workers; at 1, 8 and 1,024 replicates per point against one
scenario with as many runs; peak memory of a 1,000,000-run sweep; and the ratio to running
the same experiment with ``mesa.batch_run`` one model per run.

    python benchmarks/bench_sweep.py [--runs-per-point 8192] [--replicate-runs 8192]
                                     [--million] [--batch-runs 20]

Targets: 2 workers >= 1.8x one; 1,000,000 runs with peak RSS <= 1 GB (the sweep's whole
process tree); >= 100x batch_run (issue 4); with 1 replicate per point at least half the
throughput of one scenario with many runs (issue 10).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mesa

from sim.experiments.ensemble import run_ensemble
from sim.experiments.experiment import Experiment
from sim.experiments.sweep import run_sweep
from sim.io.scenario import load_scenario
from sim.model.model import TradeWarModel

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def experiment(points: int, replicates: int) -> Experiment:
    """``points`` values of the face cost of a full back-down: a grid, or (above the
    grid's 1,000 levels) a Latin hypercube sample."""
    factor = {"range": [13, 78]}
    sampler = {"kind": "latin_hypercube", "n": points}
    if points <= 1000:
        factor, sampler = {"range": [13, 78], "levels": points}, {"kind": "grid"}
    return Experiment(name="bench", description="throughput", scenario=str(BASELINE),
                      parameters={"face.backdown_weeks": factor}, sampler=sampler,
                      replicates=replicates, outputs=["outcome", "deal_week", "cn_cum_pain"])


def throughput(workers: int, points: int, replicates: int) -> float:
    scenario = load_scenario(BASELINE)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        run_sweep(experiment(points, replicates), scenario, Path(tmp) / "s", workers=workers)
        return points * replicates / (time.perf_counter() - started)


def scenario_rate(runs: int) -> float:
    """Runs per second of the baseline scenario with ``runs`` runs, in this process."""
    scenario = load_scenario(BASELINE)
    started = time.perf_counter()
    run_ensemble(scenario, runs=runs, seed=1, path_sample=0, fan_runs=0)
    return runs / (time.perf_counter() - started)


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, MB (from /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total / 1024


def million(workers: int = 2) -> tuple[float, float]:
    """Run a 1,000,000-run sweep in a subprocess; return (seconds, peak tree RSS MB)."""
    with tempfile.TemporaryDirectory() as tmp:
        exp = Path(tmp) / "million.yaml"
        exp.write_text(f"name: million\ndescription: memory\nscenario: {BASELINE}\n"
                       "parameters:\n  face.backdown_weeks: {range: [13, 78], levels: 10}\n"
                       "replicates: 100000\noutputs: [outcome, deal_week, cn_cum_pain]\n")
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(exp), "--out",
                                 str(Path(tmp) / "out"), "--workers", str(workers),
                                 "--no-plots", "--no-progress"], stdout=subprocess.DEVNULL)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, tree_rss_mb(proc.pid))
            time.sleep(0.1)
        if proc.returncode:
            raise SystemExit(f"the million-run sweep failed ({proc.returncode})")
        return time.perf_counter() - started, peak


class BatchRunModel(TradeWarModel):
    """The same model, one run per model, with the DataCollector batch_run requires."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__(runs=1, seed=seed)
        self.datacollector = mesa.DataCollector(model_reporters={"us_tariff": us_tariff})

    def step(self) -> None:
        super().step()
        self.datacollector.collect(self)


def us_tariff(model: TradeWarModel) -> float:
    return float(model.us.tariff()[0])


def batch_run_rate(runs: int) -> float:
    started = time.perf_counter()
    mesa.batch_run(BatchRunModel, parameters={"seed": list(range(runs))},
                   max_steps=52, number_processes=1, data_collection_period=-1,
                   display_progress=False)
    return runs / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--runs-per-point", type=int, default=8192)
    parser.add_argument("--million", action="store_true", help="also the 1,000,000-run sweep")
    parser.add_argument("--batch-runs", type=int, default=20)
    parser.add_argument("--replicate-runs", type=int, default=8192,
                        help="runs of each replicates-per-point design (1, 8, 1,024)")
    args = parser.parse_args()
    total = args.replicate_runs
    single = scenario_rate(total)
    print(f"one scenario, {total:,} runs (baseline, 52 weeks), this process: "
          f"{single:10,.0f} runs/s")
    for replicates in (1, 8, 1024):
        rate = throughput(1, max(1, total // replicates), replicates)
        print(f"  sweep, {replicates:>5,} replicate(s) per point x {total // replicates:>5,} "
              f"points, 1 worker: {rate:10,.0f} runs/s ({rate / single:.2f}x one scenario)")
    runs = args.points * args.runs_per_point
    print(f"sweep of {args.points} points x {args.runs_per_point:,} runs = {runs:,} runs "
          f"(baseline, 52 weeks), local processes; {os.cpu_count()} cores")
    one = throughput(1, args.points, args.runs_per_point)
    two = throughput(2, args.points, args.runs_per_point)
    print(f"  1 worker : {one:10,.0f} runs/s")
    print(f"  2 workers: {two:10,.0f} runs/s  ({two / one:.2f}x one worker)")
    batch = batch_run_rate(args.batch_runs)
    print(f"mesa.batch_run, one model per run: {batch:,.1f} runs/s ({args.batch_runs} runs)")
    print(f"  sweep / batch_run: {one / batch:,.0f}x (1 worker), {two / batch:,.0f}x "
          "(2 workers)")
    if args.million:
        seconds, peak = million()
        print(f"1,000,000-run sweep, 2 workers: {seconds:.1f} s "
              f"({1_000_000 / seconds:,.0f} runs/s), peak RSS of the process tree "
              f"{peak:,.0f} MB")


if __name__ == "__main__":
    main()
