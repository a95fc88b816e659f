"""The evidence base the model's parameters cite, loaded and validated.

Two YAML files hold it:

* ``evidence.yaml`` -- one record per fact taken from the five source documents
  (``/work/shared/seeds/000_*.txt`` ... ``004_*.txt``), paraphrased in the project's own
  words, with date, actor, source file and, where numeric, value and unit;
* ``literature.yaml`` -- one record per published estimate, paper or official statistic
  (ids ``lit-*``).

Both live in the repository's ``seeds/`` folder.  Set the environment variable
``TRADEWAR_SEEDS`` to read them from another folder.  An installed (non-editable) package
ships them as ``sim/seeds/`` (see ``pyproject.toml``), which is used when the repository
folder is absent.

Parameters (:data:`sim.model.parameters.PARAMS`) cite ids from either file; :func:`provenance_table`
resolves the citations and :func:`unresolved_citations` lists those that do not resolve.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

ENV_VAR = "TRADEWAR_SEEDS"
"""Environment variable that overrides the folder holding the two YAML files."""

REPO_SEEDS = Path(__file__).resolve().parents[2] / "seeds"
"""The repository's ``seeds/`` folder (the default location)."""

PACKAGE_SEEDS = Path(__file__).resolve().parents[1] / "seeds"
"""Where a non-editable install puts the same files (package ``sim.seeds``)."""

SOURCE_DOCS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
"""The five source documents, when present beside the repository (``../shared/seeds``)."""

EVIDENCE_FILE = "evidence.yaml"
LITERATURE_FILE = "literature.yaml"
SOURCE_PATTERN = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")
ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_QUOTE_WORDS = 6


class EvidenceRecord(BaseModel):
    """One fact from a source document, in the project's own words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    claim: str = Field(min_length=10)
    date: dt.date
    date_basis: Literal["stated", "implied", "publication"] = "stated"
    actor: Literal["us", "cn", "analyst", "third-party"]
    source: str
    value: float | None = None
    unit: str | None = None
    quote: str | None = None

    @field_validator("claim", "quote")
    @classmethod
    def _one_line(cls, text: str | None) -> str | None:
        if text is not None and ("\n" in text or not text.strip()):
            raise ValueError("must be a single non-empty line")
        return text

    @field_validator("quote")
    @classmethod
    def _short_quote(cls, text: str | None) -> str | None:
        if text is not None and len(text.split()) > MAX_QUOTE_WORDS:
            raise ValueError(f"a quote may have at most {MAX_QUOTE_WORDS} words")
        return text

    @field_validator("source")
    @classmethod
    def _known_source(cls, name: str, info: ValidationInfo) -> str:
        allowed = (info.context or {}).get("sources")
        if allowed is not None:
            if name not in allowed:
                raise ValueError(f"'{name}' is not one of the source documents {sorted(allowed)}")
        elif not SOURCE_PATTERN.match(name):
            raise ValueError(f"'{name}' does not look like a source file name (NNN_<16 hex>.txt)")
        return name

    @model_validator(mode="after")
    def _value_has_unit(self) -> EvidenceRecord:
        if (self.value is None) != (self.unit is None or not self.unit.strip()):
            raise ValueError("value and unit must be given together")
        return self


class LiteratureRecord(BaseModel):
    """One published estimate, paper or official statistic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^lit-[a-z0-9]+(-[a-z0-9]+)*$")
    citation: str = Field(min_length=10)
    finding: str = Field(min_length=10)
    value: float | None = None
    unit: str | None = None
    doi: str | None = Field(default=None, pattern=r"^10\.\d{4,9}/\S+$")
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    path: str | None = None

    @model_validator(mode="after")
    def _value_has_unit(self) -> LiteratureRecord:
        if (self.value is None) != (self.unit is None or not self.unit.strip()):
            raise ValueError("value and unit must be given together")
        return self


def seeds_dir() -> Path:
    """The folder the YAML files are read from: ``$TRADEWAR_SEEDS``, else the repository's
    ``seeds/``, else the installed package's ``sim/seeds/``."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser().resolve()
    if (REPO_SEEDS / EVIDENCE_FILE).is_file() or not PACKAGE_SEEDS.is_dir():
        return REPO_SEEDS
    return PACKAGE_SEEDS


def source_documents() -> set[str] | None:
    """Names of the source documents in ``../shared/seeds``, or None if that folder is absent."""
    if not SOURCE_DOCS.is_dir():
        return None
    return {p.name for p in SOURCE_DOCS.iterdir() if SOURCE_PATTERN.match(p.name)}


def _read_list(path: Path, key: str) -> list[Any]:
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found (set {ENV_VAR} to the folder holding it)")
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ValueError(f"{path}: expected a top-level '{key}:' list")
    return data[key]


def _validate(path: Path, key: str, model: type[BaseModel],
              context: dict[str, Any] | None = None) -> dict[str, dict]:
    records: dict[str, dict] = {}
    for i, raw in enumerate(_read_list(path, key)):
        try:
            rec = model.model_validate(raw, context=context)
        except ValueError as exc:  # pydantic.ValidationError is a ValueError
            ident = raw.get("id", f"#{i}") if isinstance(raw, dict) else f"#{i}"
            raise ValueError(f"{path}: record {ident}: {exc}") from exc
        rid = rec.id  # type: ignore[attr-defined]
        if rid in records:
            raise ValueError(f"{path}: duplicate id '{rid}'")
        records[rid] = rec.model_dump(mode="json", exclude_none=True)
    return records


@lru_cache(maxsize=8)
def _load(folder: str) -> tuple[dict[str, dict], dict[str, dict]]:
    base = Path(folder)
    sources = source_documents()
    evidence = _validate(base / EVIDENCE_FILE, "evidence", EvidenceRecord,
                         {"sources": sources} if sources is not None else None)
    literature = _validate(base / LITERATURE_FILE, "literature", LiteratureRecord)
    clash = evidence.keys() & literature.keys()
    if clash:
        raise ValueError(f"ids in both files: {sorted(clash)}")
    return evidence, literature


def load_evidence() -> dict[str, dict]:
    """Evidence records by id (validated; dates as ISO strings)."""
    return copy.deepcopy(_load(str(seeds_dir()))[0])


def load_literature() -> dict[str, dict]:
    """Literature records by id (validated)."""
    return copy.deepcopy(_load(str(seeds_dir()))[1])


def lookup(record_id: str) -> dict:
    """The evidence or literature record with this id; KeyError with close matches if none."""
    evidence, literature = _load(str(seeds_dir()))
    for table in (evidence, literature):
        if record_id in table:
            return copy.deepcopy(table[record_id])
    close = difflib.get_close_matches(record_id, [*evidence, *literature], n=3)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    raise KeyError(f"no evidence or literature record '{record_id}'{hint}")


def describe(record_id: str) -> str:
    """One-line description of a cited id, or ``'<id>: UNRESOLVED'``."""
    evidence, literature = _load(str(seeds_dir()))
    if record_id in evidence:
        r = evidence[record_id]
        return f"{record_id}: {r['claim']} [{r['source'][:3]}, {r['date']}]"
    if record_id in literature:
        return f"{record_id}: {literature[record_id]['citation']}"
    return f"{record_id}: UNRESOLVED"


def provenance_table(calibrated: Any = None) -> list[dict]:
    """For every parameter: name, default, unit, range, provenance text, resolved sources,
    and (``calibrated``: a ``sim.io.calibrated.CalibratedSet``) how the set calibrates it."""
    from sim.model.parameters import PARAMS

    return [
        {
            "calibrated": calibrated_provenance(calibrated, p.name),
            "name": p.name,
            "default": p.default,
            "unit": p.unit,
            "range": (p.lo, p.hi),
            "provenance": p.provenance,
            "sources": [describe(c) for c in p.cites],
            "assumption": p.assumption,
            "doc": p.doc,
        }
        for p in PARAMS
    ]


def calibrated_provenance(calibrated: Any, name: str) -> str:
    """How a calibrated set gives ``name`` its values, in one line ('' if it does not)."""
    if calibrated is None or name not in calibrated.names:
        return ""
    low, mid, high = calibrated.spread(name)
    p = calibrated.provenance
    return (f"calibrated: each run draws it from {calibrated.path.name} ({calibrated.points} "
            f"points, 5-95% {low:.4g} to {high:.4g}, median {mid:.4g}), the non-implausible "
            f"set of wave {p.wave} of history matching on the targets "
            f"{', '.join(p.targets)} ({p.targets_file}); made by `{p.command}` "
            f"(tradewar-sim {p.version}, {p.date}); the default is used with "
            "--fixed-parameters")


def unresolved_citations() -> list[tuple[str, str]]:
    """(parameter name, id) for every cited id found in neither file."""
    from sim.model.parameters import PARAMS

    evidence, literature = _load(str(seeds_dir()))
    return [(p.name, c) for p in PARAMS for c in p.cites
            if c not in evidence and c not in literature]
