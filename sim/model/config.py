"""What the model reads from a scenario, as plain data defined in the core.

The model does not import the scenario module (``sim.io.scenario``).  It takes any object
with the attributes of ``RunSpec``, whose events have the attributes of ``EventSpec``: a
validated ``Scenario`` and its ``Event``s have them, and so do the frozen dataclasses
below.  ``RunConfig()`` is the April 2025 baseline with every default (the model's
configuration when it is given none); ``ScriptedEvent`` is the form of a human player's
move (``TradeWarModel.play``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

ACTORS: dict[str, str] = {"us": "us", "china": "cn", "cn": "cn"}
"""How a scenario file or a player may name a side, and the side it means."""


class ConditionSpec(Protocol):
    """When a scripted event may fire: after another event, or on a state threshold."""

    @property
    def after(self) -> str | None: ...
    @property
    def variable(self) -> str | None: ...
    @property
    def op(self) -> str: ...
    @property
    def value(self) -> float | None: ...


class EventSpec(Protocol):
    """A move put to (``proposed``) or imposed on (``forced``) an actor."""

    @property
    def id(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def move(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def week(self) -> int: ...
    @property
    def when(self) -> ConditionSpec | None: ...
    @property
    def package(self) -> str | None: ...
    @property
    def level(self) -> int | None: ...
    @property
    def layer(self) -> str | None: ...
    @property
    def retry(self) -> bool: ...


class RunSpec(Protocol):
    """What the model reads from its configuration."""

    @property
    def name(self) -> str: ...
    @property
    def start_date(self) -> dt.date: ...
    @property
    def weeks(self) -> int: ...
    @property
    def events(self) -> Sequence[EventSpec]: ...
    @property
    def overrides(self) -> Mapping[str, float]: ...


@dataclass(frozen=True)
class When:
    """A scripted event's condition (see ``ConditionSpec``)."""

    after: str | None = None
    variable: str | None = None
    op: str = ">="
    value: float | None = None


@dataclass(frozen=True, kw_only=True)
class ScriptedEvent:
    """A scripted or player's move (see ``EventSpec``); the actor is ``us`` or ``cn``."""

    id: str = ""
    actor: str
    move: str
    mode: str = "proposed"
    week: int = 0
    when: When | None = None
    package: str | None = None
    level: int | None = None
    layer: str | None = None
    retry: bool = False
    note: str = ""


@dataclass(frozen=True)
class RunConfig:
    """A run configuration (see ``RunSpec``); the defaults are the April 2025 baseline."""

    name: str = "baseline"
    start_date: dt.date = dt.date(2025, 4, 14)
    weeks: int = 52
    events: tuple[ScriptedEvent, ...] = ()
    overrides: Mapping[str, float] = field(default_factory=dict)
