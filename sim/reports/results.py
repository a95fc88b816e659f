"""Writing an ensemble's results: a directory appears complete or not at all.

Everything is written into a hidden temporary directory beside the target and renamed
into place at the end, so an interrupted run leaves no half-written result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import yaml

from sim._version import __version__
from sim.experiments.compare import Comparison
from sim.experiments.ensemble import FAN_RUNS, Ensemble
from sim.experiments.summary import Summary, format_summary
from sim.io.calibrated import SET_CSV, SET_YAML
from sim.io.yamlio import InputError
from sim.reports.plots import comparison_figure, figure_title, summary_figure

RUNS_FILE, PATHS_FILE, MANIFEST_FILE, FIGURE_FILE, SUMMARY_FILE, SCENARIO_FILE = (
    "runs.parquet", "paths.parquet", "manifest.json", "summary.png", "summary.txt",
    "scenario.yaml")
DIAGNOSTICS_FILE = "diagnostics.csv"


def default_dir(scenario_name: str, root: str | Path = "results",
                now: dt.datetime | None = None) -> Path:
    """``results/<scenario>-<YYYYmmdd-HHMMSS>`` (with a suffix if that exists)."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{scenario_name}-{stamp}"
    path, k = base, 1
    while path.exists():
        k += 1
        path = base.with_name(f"{base.name}-{k}")
    return path


_STALE = re.compile(r"^\..+\.pid(\d+)\.[^.]+$")
"""Name of a hidden temporary results directory: ``.<name>.pid<PID>.<random>``."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove_stale(folder: Path) -> None:
    """Remove hidden temporary directories in ``folder`` left by processes that no longer
    run (a run killed outright cannot clean up after itself)."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        match = _STALE.match(entry.name)
        if match is None or not entry.is_dir():
            continue
        try:
            os.kill(int(match[1]), 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except (PermissionError, OverflowError):
            pass  # another user's live process, or not a pid


class atomic_directory:
    """A hidden temporary directory beside ``out``, renamed to ``out`` when the block ends
    and removed on any failure or interruption.  With ``unique``, a directory that appeared
    at ``out`` meanwhile (another run started in the same second) is left alone and the
    results go to ``out-2``, ``out-3``...; ``path`` is the directory written."""

    def __init__(self, out: str | Path, unique: bool = False) -> None:
        self.out, self.unique = Path(out), unique
        self.path = self.out

    def __enter__(self) -> Path:
        out = self.out
        if out.exists() and not self.unique:
            raise FileExistsError(f"{out} exists already; results are never overwritten")
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(out.parent)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.pid{os.getpid()}.",
                                         dir=out.parent))
        try:
            self.tmp.chmod(0o777 & ~_umask())  # as any folder the user makes, not 0700
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        return self.tmp

    def __exit__(self, kind: type | None, *_: object) -> None:
        if kind is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        target, k = self.out, 1
        try:
            while True:
                try:
                    if target.exists():
                        raise FileExistsError(target)
                    os.rename(self.tmp, target)  # refuses a non-empty directory
                    break
                except OSError:
                    if not self.unique or not target.exists():
                        raise
                    k += 1
                    target = self.out.with_name(f"{self.out.name}-{k}")
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        self.path = target


def write_results(ensemble: Ensemble, summary: Summary, out: str | Path, *,
                  command: list[str], scenario_file: str | None = None,
                  text: str | None = None, extra: dict[str, str] | None = None,
                  unique: bool = False, csv: bool = False) -> Path:
    """Write tables, figure, summary (``text``, by default the formatted ``summary``), any
    ``extra`` text files (name -> content) and manifest into the new directory ``out``
    (with ``unique``, the next free ``out-K`` if ``out`` appears meanwhile), and with
    ``csv`` the run and path tables as CSV too; return the directory written."""
    directory = atomic_directory(out, unique)
    with directory as tmp:
        ensemble.runs.to_parquet(tmp / RUNS_FILE, index=False)
        ensemble.paths.to_parquet(tmp / PATHS_FILE, index=False)
        if csv:  # for spreadsheets, beside the Parquet files the tools read
            ensemble.runs.to_csv(tmp / "runs.csv", index=False)
            ensemble.paths.to_csv(tmp / "paths.csv", index=False)
        if not ensemble.diagnostics.empty:
            ensemble.diagnostics.to_csv(tmp / DIAGNOSTICS_FILE, index=False)
        for name, content in (extra or {}).items():
            if Path(name).name != name or name.startswith("."):
                raise ValueError(f"extra file names must be plain names, got {name!r}")
            (tmp / name).write_text(content + "\n")
        (tmp / SCENARIO_FILE).write_text(
            "# The validated scenario these results came from (tradewar explain reads it).\n"
            + yaml.safe_dump(ensemble.scenario.model_dump(mode="json"), sort_keys=False))
        scenario = ensemble.scenario
        title = figure_title(scenario.name, scenario.description)
        footnote = (f"scenario '{scenario.name}' (SHA-256 {scenario.digest()[:12]}), seed "
                    f"{ensemble.seed}, {ensemble.n_runs:,} runs x {scenario.weeks} weeks, "
                    + ("parameters at their defaults" if ensemble.calibrated is None else
                       f"parameters drawn from a calibrated set of "
                       f"{ensemble.calibrated.points} points")
                    + f"; tradewar-sim {__version__}, {dt.date.today():%Y-%m-%d}")
        summary_figure(ensemble.fan, summary, scenario.start_date, title,
                       tmp / FIGURE_FILE, footnote)
        (tmp / SUMMARY_FILE).write_text((text or format_summary(summary, title)) + "\n")
        copy_calibrated_set(ensemble.calibrated, tmp)
        manifest = build_manifest(ensemble, command, scenario_file, tmp)
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return directory.path


def write_comparison(comparison: Comparison, text: str, out: str | Path, *,
                     command: list[str], scenario_files: list[str],
                     unique: bool = False) -> Path:
    """Write the comparison table, figure, text, each scenario's run table and a manifest;
    return the directory written (``unique`` as for ``write_results``)."""
    directory = atomic_directory(out, unique)
    with directory as tmp:
        comparison.table.to_csv(tmp / "compare.csv", index=False)
        comparison_figure(comparison.ensembles, comparison.table, tmp / "compare.png")
        (tmp / "compare.txt").write_text(text + "\n")
        for ens in comparison.ensembles:
            ens.runs.to_parquet(tmp / f"runs_{ens.scenario.name}.parquet", index=False)
        calibrated = comparison.ensembles[0].calibrated
        copy_calibrated_set(calibrated, tmp)
        manifest = {
            "command": command,
            "package_version": __version__,
            "seed": comparison.ensembles[0].seed,
            "runs": comparison.ensembles[0].n_runs,
            "scenarios": [{"name": e.scenario.name, "file": f,
                           "scenario_sha256": e.scenario.digest(),
                           "parameters_changed": e.changed_parameters()}
                          for e, f in zip(comparison.ensembles, scenario_files, strict=True)],
            "calibrated_set": None if calibrated is None else calibrated.manifest(),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "files": {f.name: _sha256(f) for f in sorted(tmp.iterdir())},
        }
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return directory.path


def build_manifest(ensemble: Ensemble, command: list[str], scenario_file: str | None,
                   folder: Path) -> dict:
    """What produced these results, enough to reproduce them."""
    import mesa
    import numpy as np

    scenario = ensemble.scenario
    return {
        "scenario": scenario.name,
        "scenario_file": scenario_file,
        "scenario_sha256": scenario.digest(),
        "package": "tradewar-sim",
        "package_version": __version__,
        "seed": ensemble.seed,
        "runs": ensemble.n_runs,
        "weeks": scenario.weeks,
        "start_date": scenario.start_date.isoformat(),
        "command": command,
        "parameters_changed": ensemble.changed_parameters(),
        "parameters_set": ensemble.set_parameters(),
        "calibrated_set": (None if ensemble.calibrated is None
                           else ensemble.calibrated.manifest()),
        "uncertainty": ensemble.uncertainty,
        "paths_sample": {"runs": ensemble.path_sample,
                         "rule": "the first runs by index (run 0, 1, ...)"},
        "fan_chart_runs": min(ensemble.n_runs, FAN_RUNS),
        "batches": len(ensemble.batches),
        "seconds": round(ensemble.seconds, 3),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "pandas": pd.__version__,
        "files": {f.name: _sha256(f) for f in sorted(folder.iterdir())
                  if f.name != MANIFEST_FILE},
    }


def check_out(out: Path) -> Path:
    """A results directory that can be created: it must not exist, and no part of its
    parent path may be a file.  Checked before any simulation runs."""
    if str(out) in ("", "."):
        raise InputError.single("--out", "needs a folder name; an empty one would write into "
                                "the current folder")
    if out.exists():
        raise InputError.single(str(out), "exists already; choose another --out")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError.single(str(out), f"cannot be created: {parent} is a file")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise InputError.single(str(out), f"cannot be created: {parent} is not "
                                        "writable")
            break
    return out


def unwritable(out: Path, exc: OSError) -> InputError:
    """The file system refused the results (full, read-only ...): say where and why."""
    reason = exc.strerror or str(exc)
    return InputError.single(str(out), f"cannot be written: {reason} (nothing was left "
                             "half-written)")


def copy_calibrated_set(calibrated, folder: Path) -> None:
    """The calibrated set the runs drew from, beside them (``tradewar explain`` reads it)."""
    if calibrated is not None:
        shutil.copyfile(calibrated.path, folder / SET_CSV)
        shutil.copyfile(calibrated.path.with_suffix(".yaml"), folder / SET_YAML)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
