"""Scenario files: the validated configuration a model run starts from.

A scenario names its starting state (``initial``: the ``initial.*`` parameters, defaults
from the evidence), parameter overrides by dotted name, and events - moves by an actor,
timed or conditional, ``forced`` or ``proposed``.  Loading is safe YAML only; every
problem is reported with the file, line and field (``sim.io.yamlio``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.io import yamlio
from sim.model import parameters
from sim.model.agents import SPECS
from sim.model.config import ACTORS
from sim.model.events import OPS, VARIABLES
from sim.model.metrics import BY_NAME as METRICS
from sim.model.metrics import METRIC_NAMES
from sim.model.moves import MOVE_NAMES
from sim.model.packages import PACKAGES

MoveName = Literal[MOVE_NAMES]  # type: ignore[valid-type]
PackageName = Literal[tuple(pkg.name for pkg in PACKAGES)]  # type: ignore[valid-type]
VariableName = Literal[tuple(VARIABLES)]  # type: ignore[valid-type]
OpName = Literal[tuple(OPS)]  # type: ignore[valid-type]
MetricName = Literal[METRIC_NAMES]  # type: ignore[valid-type]
NAME_PATTERN = r"^[A-Za-z0-9_\-]+$"
CITATION = re.compile(r"\[([^\[\]]*)\]")
"""A citation in free text: evidence or literature ids in brackets, ``[id, id]``."""


class Strict(BaseModel):
    """Base: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(Strict):
    """When an event may fire: after another event was done, or on a state threshold."""

    after: str | None = Field(None, description="id of an event that must have been done")
    variable: VariableName | None = Field(None, description="state variable to test")
    op: OpName = ">="
    value: float | None = Field(None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        if (self.after is None) == (self.variable is None):
            raise ValueError("give exactly one of 'after' or 'variable'")
        if self.variable is not None and self.value is None:
            raise ValueError(f"condition on '{self.variable}' needs a 'value'")
        return self


class Event(Strict):
    """A move put to (``proposed``) or imposed on (``forced``) an actor."""

    id: str = Field("", pattern=r"^[a-z0-9_]*$", description="name other events can refer to")
    actor: Literal["us", "china", "cn"]
    move: MoveName
    mode: Literal["forced", "proposed"] = "proposed"
    week: int = Field(0, ge=0, strict=True, description="earliest week the event can fire")
    when: Condition | None = None
    package: PackageName | None = Field(None, description="package to offer (move: offer)")
    level: int | None = Field(None, ge=1, le=4, strict=True,
                              description="channel level (open_channel)")
    layer: str | None = Field(None, description="tariff layer to cut (step_down_alone)")
    retry: bool = Field(False, description="put the move again each week after it is "
                        "declined, or its proposal rejected, until it takes effect")
    note: str = ""

    @field_validator("actor")
    @classmethod
    def _actor(cls, value: str) -> str:
        return ACTORS[value]

    @model_validator(mode="after")
    def _arguments_fit_move(self) -> Event:
        if self.package is not None and self.move != "offer":
            raise ValueError("'package' goes with move 'offer'")
        if self.level is not None and self.move != "open_channel":
            raise ValueError("'level' goes with move 'open_channel'")
        if self.layer is not None:
            if self.move != "step_down_alone":
                raise ValueError("'layer' goes with move 'step_down_alone'")
            layers = SPECS[self.actor].layers
            if self.layer not in layers:
                raise ValueError(f"layer '{self.layer}' is not one of {self.actor}'s layers "
                                 f"{list(layers)}")
        return self


class Hypothesis(Strict):
    """What the scenario is expected to do to one metric (``sim.model.metrics``) against
    a reference scenario, and why.  ``against: null`` marks the reference itself."""

    metric: MetricName | None = Field(None, description="declared metric the hypothesis is "
                                      "about (sim.model.metrics)")
    direction: Literal["higher", "lower", "same"] | None = Field(
        None, description="expected direction of the metric against the reference")
    against: str | None = Field("baseline", pattern=NAME_PATTERN,
                                description="reference scenario, by name (a file NAME.yaml "
                                "beside this one); null: this scenario is the reference")
    week: int | None = Field(None, ge=0, le=520, strict=True,
                             description="week of a *_by_week metric")
    tolerance: float | None = Field(None, gt=0, allow_inf_nan=False,
                                    description="half-width of the band 'same' allows, in "
                                    "the metric's unit (default: the metric's own)")
    why: str = Field(min_length=1, description="the reason, citing evidence or literature "
                     "ids in brackets: [cn-equal-basis]")


MAX_EVENTS = 500
"""Most events a scenario may script (the library's longest has a handful)."""


class Scenario(Strict):
    """A validated scenario."""

    name: str = Field(pattern=NAME_PATTERN)
    description: str
    cites: list[str] = Field(default_factory=list, description="evidence ids it rests on")
    start_date: dt.date = Field(dt.date(2025, 4, 14), ge=dt.date(1900, 1, 1),
                                le=dt.date(2199, 12, 31))
    weeks: int = Field(52, ge=1, le=520, strict=True)
    runs: int = Field(1000, ge=1, le=10_000_000, strict=True)
    seed: int = Field(20250414, ge=0, lt=2**63, strict=True)
    initial: dict[str, float] = Field(default_factory=dict,
                                      description="starting state: initial.* parameters")
    parameters: dict[str, float] = Field(default_factory=dict,
                                         description="parameter overrides by dotted name")
    events: list[Event] = Field(default_factory=list, max_length=MAX_EVENTS)
    hypothesis: Hypothesis | None = Field(None, description="expected direction against a "
                                          "reference scenario and why (required in the "
                                          "library)")

    @model_validator(mode="after")
    def _events_consistent(self) -> Scenario:
        ids: list[str] = []
        for i, ev in enumerate(self.events):
            if not ev.id:
                object.__setattr__(ev, "id", f"e{i + 1}")
            if ev.id in ids:
                raise ValueError(f"events[{i}]: duplicate event id '{ev.id}'")
            if ev.week >= self.weeks:
                raise ValueError(f"events[{i}]: week {ev.week} is past the horizon "
                                 f"({self.weeks} weeks)")
            if ev.when is not None and ev.when.after is not None and ev.when.after not in ids:
                raise ValueError(f"events[{i}]: 'after: {ev.when.after}' names no earlier event")
            ids.append(ev.id)
        return self

    @model_validator(mode="after")
    def _hypothesis_consistent(self) -> Scenario:
        hyp = self.hypothesis
        if hyp is None:
            return self
        if hyp.against is None:
            for key in ("metric", "direction", "week", "tolerance"):
                if getattr(hyp, key) is not None:
                    raise ValueError(f"hypothesis.{key}: the reference (against: null) states "
                                     "no direction; remove it")
            return self
        if hyp.against == self.name:
            raise ValueError("hypothesis.against: a scenario cannot be its own reference")
        for key in ("metric", "direction"):
            if getattr(hyp, key) is None:
                raise ValueError(f"hypothesis.{key}: required field is missing")
        metric = METRICS[hyp.metric]
        if metric.needs_week and hyp.week is None:
            raise ValueError(f"hypothesis.week: metric '{hyp.metric}' needs a week")
        if not metric.needs_week and hyp.week is not None:
            raise ValueError(f"hypothesis.week: metric '{hyp.metric}' takes no week")
        if hyp.week is not None and hyp.week > self.weeks:
            raise ValueError(f"hypothesis.week: week {hyp.week} is past the horizon "
                             f"({self.weeks} weeks)")
        if hyp.tolerance is not None and hyp.direction != "same":
            raise ValueError("hypothesis.tolerance: goes with direction 'same'")
        return self

    @property
    def overrides(self) -> dict[str, float]:
        """Initial state and parameters as one mapping of dotted names."""
        return {**{f"initial.{k}": v for k, v in self.initial.items()}, **self.parameters}

    def digest(self) -> str:
        """SHA-256 of the validated content (independent of formatting and comments).  The
        hypothesis changes no run and is left out, so results and sweeps made before a
        scenario stated one still match it."""
        text = json.dumps(self.model_dump(mode="json", exclude={"hypothesis"}), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def baseline(cls) -> Scenario:
        """The April 2025 peak standoff with every default."""
        return cls(name="baseline", description="April 2025 peak standoff, defaults")


MAX_PROBLEMS = 50
"""Problems reported per file; past this the rest are summed up in one line."""


def parameter_problems(data: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Unknown or out-of-range entries of ``initial`` and ``parameters`` (loc, message);
    a section with more entries than there are parameters is refused at once."""
    problems = []
    for section, prefix in (("initial", "initial."), ("parameters", "")):
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue  # the schema reports the wrong type
        if len(entries) > len(parameters.PARAMS):
            problems.append(((section,), f"{len(entries):,} entries; there are only "
                             f"{len(parameters.PARAMS)} parameters in all"))
            continue
        for key, value in entries.items():
            if len(problems) >= MAX_PROBLEMS:
                break
            name = prefix + str(key)
            if section == "parameters" and name.startswith("initial."):
                problems.append(((section, key), "set the starting state under 'initial'"))
                continue
            try:
                parameters.check(name, value)
            except (KeyError, ValueError) as exc:
                problems.append(((section, key), str(exc.args[0])))
    return problems


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise ``InputError`` naming file, line, field."""
    data, index = yamlio.load_yaml(path)
    return _validated(data, index, path)


def scenario_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Scenario:
    """Validate a scenario given as a mapping (what a scenario file holds, e.g. from
    ``yaml.safe_load``); raise ``InputError`` naming ``source`` and the field."""
    if not isinstance(data, Mapping):
        raise yamlio.InputError.single(source, "a scenario is a mapping of fields, got "
                                       f"{type(data).__name__}")
    try:
        return _validated(dict(data), yamlio.LineIndex(), source)
    except yamlio.InputError as exc:  # a mapping has no lines: name the field alone
        raise yamlio.InputError.from_problems(source, [
            yamlio.Problem(None, p.field, p.message) for p in exc.problems]) from None


def _validated(data: Any, index: yamlio.LineIndex, path: str | Path) -> Scenario:
    events = data.get("events")
    if isinstance(events, list) and len(events) > MAX_EVENTS:  # refused before validating
        raise yamlio.InputError.single(str(path), f"{len(events):,} events; at most "
                                       f"{MAX_EVENTS} are allowed", index.line_for(
                                           ("events",)), "events")
    problems = [yamlio.Problem(index.line_for(loc), yamlio.field_name(loc), msg)
                for loc, msg in parameter_problems(data)]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        error = yamlio.validation_error(path, exc, index)
        ours = {p.field for p in problems}
        schema = [p for p in error.problems if p.field not in ours]
        raise yamlio.InputError.from_problems(str(path), schema + problems) from None
    problems += citation_problems(scenario, index)
    if problems:
        raise yamlio.InputError.from_problems(str(path), problems)
    return scenario


def citation_problems(scenario: Scenario, index: yamlio.LineIndex) -> list[yamlio.Problem]:
    """Cited ids (``cites`` and the bracketed ids of ``hypothesis.why``) that are neither
    evidence records nor literature, and a ``why`` that cites nothing."""
    from sim.io.evidence import load_evidence, load_literature

    known = {**load_evidence(), **load_literature()}
    problems = []
    for i, cite in enumerate(scenario.cites):
        if cite not in known:
            problems.append(yamlio.Problem(index.line_for(("cites", i)), f"cites[{i}]",
                                           _unknown(cite, known)))
    if scenario.hypothesis is not None:
        line = index.line_for(("hypothesis", "why"))
        cited = why_citations(scenario.hypothesis.why)
        if not cited:
            problems.append(yamlio.Problem(line, "hypothesis.why", "cites no evidence; put "
                                           "evidence or literature ids in brackets, e.g. "
                                           "[cn-equal-basis]"))
        problems += [yamlio.Problem(line, "hypothesis.why", _unknown(c, known))
                     for c in cited if c not in known]
    return problems


def why_citations(text: str) -> list[str]:
    """The ids cited in brackets in ``text``: ``"... [a, b] ... [c]"`` → ``[a, b, c]``."""
    return [part.strip() for group in CITATION.findall(text)
            for part in re.split(r"[,;]", group) if part.strip()]


def _unknown(cite: str, known: dict[str, Any]) -> str:
    import difflib

    close = difflib.get_close_matches(cite, list(known), n=2)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return f"'{cite}' is not an evidence or literature id{hint}"


def json_schema() -> dict[str, Any]:
    """JSON Schema of scenario files, for editors (parameter names listed as properties)."""
    schema = Scenario.model_json_schema()
    props = schema["properties"]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "tradewar-sim scenario"
    for section, prefix in (("initial", "initial."), ("parameters", "")):
        names = [p for p in parameters.PARAMS if p.name.startswith("initial.") == bool(prefix)]
        props[section]["additionalProperties"] = False
        props[section]["properties"] = {
            p.name.removeprefix(prefix): {"type": "integer" if p.integer else "number",
                                          "minimum": p.lo, "maximum": p.hi,
                                          "default": p.default,
                                          "description": f"{p.doc} [{p.unit}]"}
            for p in names}
    return schema
