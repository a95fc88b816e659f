"""Model 2 against the first model, side by side: the baseline scenario at 100,000 runs x 52
weeks in each, whole processes, alternated A B A B so that a drift in the machine's speed
falls on both; prints each pair's wall and CPU seconds, the ratios and their medians.

    python benchmarks/bench_vs_first_model.py [--runs 100000] [--pairs 3] [--ref 347c8e1]
                                              [--workers N]

The first model is checked out from git (``--ref``, the last commit before Model 2) into a
temporary worktree, removed afterwards; both run with this interpreter and its packages, at
the declared parameter defaults (no calibrated set: the first model had none).  Issue 9's
target: Model 2 within 2x of the first model.  Needs git and the repository's history.

``--workers N`` runs Model 2's batches in N local processes, as ``tradewar run`` does on a
machine with N cores (the first model had no such option and runs in one); the CPU seconds
of worker processes are not counted then, so only the wall ratio is printed.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_MODEL = "347c8e1"

JOB = """
import sys
sys.path.insert(0, {root!r})
import sim
assert sim.__file__.startswith({root!r}), sim.__file__
from sim.experiments.ensemble import run_ensemble
from sim.io.scenario import load_scenario
if __name__ == "__main__":
    run_ensemble(load_scenario({root!r} + "/scenarios/baseline.yaml"), runs={runs}, seed=1,
                 path_sample=0, fan_runs=0{workers})
"""


def timed(root: Path, runs: int, workers: int = 1) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process running ``runs`` baseline runs (with
    ``workers`` > 1, in that many worker processes, whose CPU is not counted)."""
    job = JOB.format(root=str(root), runs=runs,
                     workers="" if workers == 1 else f", workers={workers}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(job)  # a file, so that worker processes can import its main module
    try:
        subprocess.run([sys.executable, script.name], check=True,
                       cwd=tempfile.gettempdir())
    finally:
        Path(script.name).unlink()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--ref", default=FIRST_MODEL, help="git revision of the first model")
    parser.add_argument("--workers", type=int, default=1,
                        help="local processes for Model 2's batches (the first model: one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "first-model"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet",
                        str(old), args.ref], check=True)
        try:
            timed(old, 1024)  # warm the file cache for both trees
            timed(ROOT, 1024)
            print(f"baseline, {args.runs:,} runs x 52 weeks, whole processes; first model "
                  f"= {args.ref}, Model 2 = this tree"
                  + (f" in {args.workers} worker processes (CPU not counted)"
                     if args.workers > 1 else ""))
            print(f"{'pair':>4} {'Model 2 s':>10} {'first s':>9} {'wall ratio':>11} "
                  f"{'cpu ratio':>10}")
            walls, cpus = [], []
            for i in range(args.pairs):
                new_wall, new_cpu = timed(ROOT, args.runs, args.workers)
                old_wall, old_cpu = timed(old, args.runs)
                walls.append(new_wall / old_wall)
                cpus.append(new_cpu / old_cpu)
                shown = f"{cpus[-1]:>10.2f}" if args.workers == 1 else f"{'-':>10}"
                print(f"{i + 1:>4} {new_wall:>10.1f} {old_wall:>9.1f} {walls[-1]:>11.2f} "
                      f"{shown}")
            cpu = (f"cpu {statistics.median(cpus):.2f}" if args.workers == 1
                   else "cpu not counted")
            print(f"median ratio: wall {statistics.median(walls):.2f}, {cpu} "
                  "(target: at most 2)")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(old)], check=False)


if __name__ == "__main__":
    main()
