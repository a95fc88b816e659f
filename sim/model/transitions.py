"""What a move or a deal does to a side's state: the state transitions of every move, as
pure functions of the side's state and the parameters (no utilities, no choices).

``side_effect`` names a hypothetical change by a key (``escalate:us``, ``step_down:cn``,
``private:us``, ``matched``, ``pkg:3``, ``snapback``) so the decision can price it and the
model can carry it out with the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import Government
from sim.model.economics import FLOAT
from sim.model.packages import PACKAGES
from sim.model.parameters import BY_NAME

if TYPE_CHECKING:
    from sim.model.decision import WeekContext

Array = np.ndarray


@dataclass(frozen=True)
class SideState:
    """A side's tariff layers, exemptions and tools, actual or hypothetical."""

    layers: dict[str, Array]
    exempt: Array
    tools: dict[str, Array]


def current(me: Government) -> SideState:
    """The side's state as it stands."""
    return SideState(me.layers, me.exempt, me.tools)


def escalation_target(me: Government, p: dict[str, float]) -> Array:
    """What an escalation raises in each run: 0 the US reciprocal layer, t+1 tool t."""
    n = me.n
    target = np.full(n, -1, dtype=np.int8)
    if me.side == "us":
        target = np.where(me.layers["reciprocal"] < p["us.max_reciprocal"], 0, target)
    for t, name in enumerate(me.spec.tools):
        target = np.where((target < 0) & (me.tools[name] < 1.0), t + 1, target)
    return target


def side_effect(me: Government, ctx: WeekContext, key: str) -> SideState:
    """The side's state after the hypothetical change named by ``key``."""
    kind, _, rest = key.partition(":")
    p = ctx.p
    if kind in ("escalate", "step_down", "private"):
        who, _, layer = rest.partition(":")
        if who != me.side:
            return current(me)
        return {"escalate": _escalate, "step_down": _step_down,
                "private": _private}[kind](me, p, layer)
    if kind == "matched":
        return _cut(me, p, me.spec.exemptable)
    if kind == "pkg":
        return package_state(me, p, int(rest))
    if kind == "snapback":
        m = ctx.model
        return SideState({n: m.snapback_level(me, n, lvl) for n, lvl in me.layers.items()},
                         me.exempt,
                         {n: m.snapback_level(me, n, lvl) for n, lvl in me.tools.items()})
    raise KeyError(key)


def _escalate(me: Government, p: dict[str, float], _layer: str) -> SideState:
    target = escalation_target(me, p)
    layers, tools = dict(me.layers), dict(me.tools)
    step = p["moves.tool_step"]
    if me.side == "us":
        recip = me.layers["reciprocal"]
        layers["reciprocal"] = np.where(
            target == 0, np.minimum(recip + p["us.escalation_step"], p["us.max_reciprocal"]),
            recip)
    for t, name in enumerate(me.spec.tools):
        tools[name] = np.where(target == t + 1, np.minimum(me.tools[name] + step, 1.0),
                               me.tools[name])
    return SideState(layers, me.exempt, tools)


def _cut(me: Government, p: dict[str, float], layer: str) -> SideState:
    """One step off ``layer`` (the fentanyl layer goes whole)."""
    level = me.layers[layer]
    new = np.zeros_like(level) if layer == "fentanyl" else np.maximum(
        level - p["moves.tariff_step"], 0.0)
    return SideState({**me.layers, layer: new}, me.exempt, me.tools)


def _step_down(me: Government, p: dict[str, float], layer: str) -> SideState:
    if layer:
        return _cut(me, p, layer)
    if me.side == "us":
        fent = me.layers["fentanyl"] > 0
        first = _cut(me, p, "fentanyl")
        second = _cut(me, p, "reciprocal")
        layers = {name: np.where(fent, first.layers[name], second.layers[name])
                  for name in me.layers}
        state = SideState(layers, me.exempt, me.tools)
    else:
        state = _cut(me, p, "retaliatory")
    # nothing left to cut: ease the last tool in force instead, one notch
    bare = np.logical_and.reduce([lvl <= 0 for lvl in me.layers.values()])
    if bare.any():
        tools = dict(state.tools)
        done = ~bare
        for name in reversed(me.spec.tools):
            on = (me.tools[name] > 0) & ~done
            tools[name] = np.where(on, np.maximum(me.tools[name] - p["moves.tool_step"], 0.0),
                                   me.tools[name])
            done |= on
        state = SideState(state.layers, state.exempt, tools)
    return state


def _private(me: Government, p: dict[str, float], _layer: str) -> SideState:
    exempt = np.minimum(me.exempt + p["moves.exemption_step"], p["moves.max_exempt_share"])
    return SideState(me.layers, np.maximum(exempt, me.exempt), me.tools)


def layer_target(level: str, p: dict[str, float], side: str, layer: str) -> float:
    """A package's target for a layer: zero, a parameter, or a partial cut from the
    April-peak level of that layer (``deal.partial_cut_share`` of the way down)."""
    if level == "0":
        return 0.0
    if level == "partial":
        peak = BY_NAME[f"initial.{side}_{layer}"].default
        return peak * (1.0 - p["deal.partial_cut_share"])
    return p[level]


def package_state(me: Government, p: dict[str, float], k: int) -> SideState:
    """The side's state once package ``k`` is carried out."""
    pkg = PACKAGES[k]
    targets = pkg.us_layers if me.side == "us" else pkg.cn_layers
    layers = dict(me.layers)
    for layer, level in targets.items():
        layers[layer] = np.minimum(me.layers[layer], layer_target(level, p, me.side, layer))
    lifted = pkg.us_tools_lifted if me.side == "us" else pkg.cn_tools_lifted
    tools = {name: (np.zeros(me.n, dtype=FLOAT) if name in lifted else level)
             for name, level in me.tools.items()}
    return SideState(layers, me.exempt, tools)
