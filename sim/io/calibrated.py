"""The calibrated parameter set: the points of the fitted assumption-only parameters that history
matching (``tradewar calibrate``, ``sim.experiments.calibrate``) left non-implausible
against the documents' patterns (``calibration/targets.yaml``).

Unless told otherwise (``--fixed-parameters``), each run of ``tradewar run``, ``compare``,
``diagnose``, ``targets``, ``hypothesis`` and ``explain`` draws one point of the set, uniformly,
and uses its values for every parameter the scenario and ``--set`` leave alone; so the
printed shares and intervals carry parameter uncertainty as well as decision noise and the
private types.  The draw of run ``r`` comes from its own stream,
``SeedSequence(seed, spawn_key=(r // BLOCK, STREAM))``, apart from the streams of the
model's own draws: a run draws the same point whatever the batches, workers or scenario,
so paired comparisons stay paired.

Two files make a set: ``calibrated_set.csv`` (a header ``point,<parameter>,...``, one row
per point) and ``calibrated_set.yaml``, its provenance (the calibration's command, targets
and their digest, the wave, the CSV's digest).  Both are read as untrusted input: a bad
file is refused naming file, line and field.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from sim.io.yamlio import MAX_BYTES, InputError, load_yaml, read_text, validation_error
from sim.model.model import BLOCK
from sim.model.parameters import BY_NAME, check

SET_CSV = "calibrated_set.csv"
SET_YAML = "calibrated_set.yaml"
REPO_CALIBRATION = Path(__file__).resolve().parents[2] / "calibration"
"""The repository's ``calibration/`` folder (the default location)."""
PACKAGE_CALIBRATION = Path(__file__).resolve().parents[1] / "calibration"
"""Where a non-editable install puts the same files (package ``sim.calibration``)."""
STREAM = 1
"""Second entry of the spawn key of the draws of points (the model's streams have one)."""
MAX_POINTS = 100_000
"""Most points a set may hold (a calibration keeps hundreds)."""
CSV_MAX_BYTES = 50 * MAX_BYTES


class Provenance(BaseModel):
    """Where a calibrated set comes from (``calibrated_set.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str = Field(min_length=3, description="how the set was found")
    command: str = Field(min_length=3, description="the command that made it")
    version: str = Field(description="the tradewar-sim version that made it")
    date: dt.date
    targets_file: str = Field(description="the targets file, as given to the command")
    targets_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    targets: list[str] = Field(min_length=1, description="the ids of the targets matched")
    added: list[str] = Field(default_factory=list,
                             description="parameters not in the box (not assumption-only, or a "
                             "dial not fitted), put into "
                             "the box by --factor (a structural choice the documents weigh)")
    wave: StrictInt = Field(ge=0, description="the wave whose non-implausible points form the set")
    waves: StrictInt = Field(ge=1)
    points_per_wave: StrictInt = Field(ge=1)
    replicates: StrictInt = Field(ge=1)
    seed: StrictInt = Field(ge=0)
    points: StrictInt = Field(ge=1, description="points in the set")
    set_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="digest of the CSV file")


@dataclass(frozen=True)
class CalibratedSet:
    """Points of the fitted assumption-only parameters, and where they come from."""

    path: Path  # the CSV file
    names: tuple[str, ...]
    values: np.ndarray  # (points, names), float64 holding float32 values exactly
    provenance: Provenance
    sha256: str

    @property
    def points(self) -> int:
        return int(self.values.shape[0])

    def rows(self, seed: int, streams: np.ndarray) -> np.ndarray:
        """The point each run draws (run index = stream), uniformly from the set."""
        streams = np.asarray(streams, dtype=np.int64)
        out = np.empty(streams.size, dtype=np.int64)
        blocks = streams // BLOCK
        for b in np.unique(blocks).tolist():
            ss = np.random.SeedSequence(seed, spawn_key=(b, STREAM))
            draws = np.random.Generator(np.random.PCG64(ss)).integers(0, self.points, BLOCK)
            mine = blocks == b
            out[mine] = draws[streams[mine] % BLOCK]
        return out

    def drawn(self, rows: np.ndarray, fixed: Collection[str] = ()) -> dict[str, np.ndarray]:
        """Each parameter's values for runs drawing ``rows``, but those in ``fixed`` (set by
        the scenario or ``--set``: what a user sets is what runs)."""
        return {name: self.values[rows, j] for j, name in enumerate(self.names)
                if name not in fixed}

    def describe(self) -> str:
        """One line for summaries: what the runs drew from."""
        p = self.provenance
        other = sum(not (BY_NAME[n].assumption and BY_NAME[n].fitted) for n in self.names)
        what = f"{len(self.names) - other} fitted assumption-only parameters" + (
            f" and {other} other{'s' if other > 1 else ''}" if other else "")
        return (f"each run draws the {what} from the "
                f"calibrated set ({self.points} points: history matching on "
                f"{len(p.targets)} targets, wave {p.wave}; {self.path.name})")

    def spread(self, name: str) -> tuple[float, float, float]:
        """5th percentile, median and 95th percentile of ``name`` over the set."""
        column = self.values[:, self.names.index(name)]
        low, mid, high = np.percentile(column, [5, 50, 95])
        return float(low), float(mid), float(high)

    def manifest(self) -> dict:
        """What a results manifest records of the set."""
        return {"file": self.path.name, "sha256": self.sha256, "points": self.points,
                "parameters": list(self.names), "targets": list(self.provenance.targets),
                "command": self.provenance.command}


def calibration_dir() -> Path:
    """The repository's ``calibration/``, else the installed package's ``sim/calibration``."""
    if (REPO_CALIBRATION / SET_CSV).is_file() or not PACKAGE_CALIBRATION.is_dir():
        return REPO_CALIBRATION
    return PACKAGE_CALIBRATION


_CACHE: dict[tuple[str, float, float], CalibratedSet] = {}


def load_calibrated_set(path: str | Path | None = None) -> CalibratedSet:
    """Read and check a set's CSV (default: the shipped one) and the YAML beside it."""
    csv_path = Path(path) if path is not None else calibration_dir() / SET_CSV
    yaml_path = csv_path.with_suffix(".yaml")
    try:
        key = (str(csv_path.resolve()), csv_path.stat().st_mtime, yaml_path.stat().st_mtime)
    except OSError:
        key = None
    if key is not None and key in _CACHE:
        return _CACHE[key]
    raw = read_text(csv_path, CSV_MAX_BYTES)
    sha = hashlib.sha256(raw.encode()).hexdigest()
    names, values = _read_csv(str(csv_path), raw)
    if not yaml_path.is_file():
        raise InputError.single(str(yaml_path), "is missing: a calibrated set needs its "
                                f"provenance beside {csv_path.name}")
    data, index = load_yaml(yaml_path)
    try:
        provenance = Provenance.model_validate(data)
    except ValidationError as exc:
        raise validation_error(yaml_path, exc, index) from None
    if provenance.set_sha256 != sha:
        raise InputError.single(str(csv_path), f"does not match {yaml_path.name} (its "
                                "set_sha256 differs): the set was edited after the "
                                "calibration wrote it", field_name="set_sha256")
    if provenance.points != len(values):
        raise InputError.single(str(yaml_path), f"says {provenance.points} points, "
                                f"{csv_path.name} has {len(values)}", field_name="points")
    for name in provenance.added:
        if name not in names or (BY_NAME[name].assumption and BY_NAME[name].fitted):
            why = (f"is not a column of {csv_path.name}" if name not in names
                   else "is assumption-only and fitted, not a parameter --factor added")
            raise InputError.single(str(yaml_path), f"'{name}' {why}",
                                    line=index.line_for(("added",)), field_name="added")
    result = CalibratedSet(csv_path, names, values, provenance, sha)
    if key is not None:
        _CACHE[key] = result
    return result


def _read_csv(file: str, text: str) -> tuple[tuple[str, ...], np.ndarray]:
    """Header and values of a set's CSV; every name a parameter, every value valid."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), strict=True)
    try:
        return _read_rows(file, reader)
    except csv.Error as exc:  # an unterminated quote, a field past the size limit ...
        raise InputError.single(file, f"is not a valid CSV file ({exc})",
                                line=reader.line_num or None) from None


def _read_rows(file: str, reader) -> tuple[tuple[str, ...], np.ndarray]:
    try:
        header = next(reader)
    except StopIteration:
        raise InputError.single(file, "is empty") from None
    if not header or header[0] != "point":
        raise InputError.single(file, "the header must start with 'point'", line=1)
    names = tuple(header[1:])
    if not names:
        raise InputError.single(file, "names no parameter", line=1)
    for name in names:
        if name not in BY_NAME:
            try:
                check(name, 0.0)
            except KeyError as exc:
                raise InputError.single(file, exc.args[0], line=1, field_name=name) from None
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise InputError.single(file, "appears twice in the header", line=1, field_name=twice)
    rows = []
    for row in reader:
        if not row:
            continue
        line = reader.line_num  # the file's line (a quoted cell may span lines)
        if len(rows) >= MAX_POINTS:
            raise InputError.single(file, f"holds more than {MAX_POINTS:,} points", line=line)
        if len(row) != len(header):
            raise InputError.single(file, f"has {len(row)} fields, the header {len(header)}",
                                    line=line)
        if not row[0].strip().isdigit():
            raise InputError.single(file, f"not a point number: {row[0]!r:.40}", line=line,
                                    field_name="point")
        values = []
        for name, cell in zip(names, row[1:], strict=True):
            try:
                value = float(cell) if "_" not in cell else float("nan")
            except ValueError:
                value = float("nan")
            if not np.isfinite(value):
                raise InputError.single(file, f"not a number: {cell!r:.40}", line=line,
                                        field_name=name)
            try:
                check(name, int(value) if BY_NAME[name].integer and value.is_integer()
                      else value)
            except ValueError as exc:
                raise InputError.single(file, exc.args[0], line=line, field_name=name) from None
            values.append(value)
        rows.append(values)
    if not rows:
        raise InputError.single(file, "holds no point")
    array = np.asarray(rows, dtype=np.float32).astype(np.float64)  # the model's precision
    return names, array


def write_calibrated_set(folder: str | Path, names: list[str], values: np.ndarray,
                         provenance: dict) -> tuple[Path, Path]:
    """Write a set's CSV and its provenance YAML into ``folder``, each atomically.

    ``values``: one row per point, one column per name, stored as float32 holds them (the
    model's precision, so a drawn value is exactly the value run); ``provenance``: the
    fields of :class:`Provenance` but ``points`` and ``set_sha256``, filled in here."""
    import yaml

    folder = Path(folder)
    values = np.asarray(values, dtype=np.float32)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["point", *names])
    for i, row in enumerate(values.tolist()):
        writer.writerow([i, *(_short(float(np.float32(v))) for v in row)])
    text = buffer.getvalue()
    record = {**provenance, "points": len(values),
              "set_sha256": hashlib.sha256(text.encode()).hexdigest()}
    Provenance.model_validate(record)
    record["date"] = str(record["date"])
    head = ("# Provenance of calibrated_set.csv: the non-implausible points of a history "
            "matching\n# (sim/io/calibrated.py). Written by tradewar calibrate; do not "
            "edit (set_sha256 checks the CSV).\n")
    paths = folder / SET_CSV, folder / SET_YAML
    for path, content in zip(paths, (text, head + yaml.safe_dump(record, sort_keys=False)),
                             strict=True):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(content)
        os.replace(tmp, path)
    return paths


def _short(value: float) -> str:
    """The shortest decimal that reads back as the same float32."""
    for digits in range(6, 10):
        text = f"{value:.{digits}g}"
        if np.float32(float(text)) == np.float32(value):
            return text
    return repr(value)
