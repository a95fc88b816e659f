"""Mesa agents: the two governments and the domestic constituencies behind them.

Every attribute is a numpy array with one entry per Monte-Carlo run, so one step of the
model advances every run at once.  A government has a private type (its resolve, how much
it minds backing down, drawn per run: Fudenberg & Tirole 1986) and a belief about the
rival's type, updated on what the rival does.  Constituencies feel parts of the pain,
mobilise as their losses accumulate and vote on deals (Putnam 1988; Grossman & Helpman
1995): their pressure moves the government's weight on pain and its win-set week by week.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model.economics import CN_TOOLS, FLOAT, US_TOOLS
from sim.model.parameters import BY_NAME

if TYPE_CHECKING:
    from sim.model.model import TradeWarModel

Array = np.ndarray

SIDES = ("us", "cn")
NAMES = {"us": "the US", "cn": "China"}

# Private types: a three-point (Gauss-Hermite) discretisation of a log-normal resolve, so
# beliefs are exact Bayesian posteriors over three types (lit-fudenberg-tirole1986).
TYPE_Z = np.array([-np.sqrt(3.0), 0.0, np.sqrt(3.0)])
TYPE_PRIOR = np.array([1.0 / 6.0, 2.0 / 3.0, 1.0 / 6.0])
TYPE_NAMES = ("soft", "firm", "hardline")
K = len(TYPE_Z)


def type_values(sigma: float | Array) -> Array:
    """Resolve (the multiplier on face costs) of each type, shape (K, 1), or (K, runs)
    for one spread per run."""
    if isinstance(sigma, np.ndarray):
        return np.exp(TYPE_Z[:, None] * sigma[None, :]).astype(FLOAT)
    return np.exp(sigma * TYPE_Z).astype(FLOAT)[:, None]


@dataclass(frozen=True)
class GroupSpec:
    """A constituency: which part of the pain it feels and what it weighs in a deal."""

    feels: str  # pain component that mobilises it: consumer, exporter, farm, total, none
    judges: tuple[str, ...]  # terms of a deal it weighs: relief, face, revenue
    cites: tuple[str, ...]


@dataclass(frozen=True)
class SideSpec:
    """Static description of a side: its tariff layers, tools and constituencies."""

    side: str
    layers: tuple[str, ...]
    exemptable: str  # the layer that quiet exemptions carve goods out of
    tools: tuple[str, ...]
    constituencies: dict[str, GroupSpec]


SPECS = {
    "us": SideSpec("us", ("fentanyl", "reciprocal"), "reciprocal", US_TOOLS, {
        "farmers": GroupSpec("farm", ("relief",), ("us-farmers-harvest", "cn-soy-diversion")),
        "consumers": GroupSpec("consumer", ("relief",), ("pain-thresholds-wrigley",)),
        "markets": GroupSpec("total", ("relief",), ("us-standoff-unsustainable",
                                                    "pain-thresholds-wrigley")),
        "hawks": GroupSpec("none", ("face", "revenue"), ("us-doubled-down-on-china",
                                                          "us-status-quo-ok")),
    }),
    "cn": SideSpec("cn", ("retaliatory",), "retaliatory", CN_TOOLS, {
        "exporters": GroupSpec("exporter", ("relief",), ("cn-smes-hit",)),
        "workers": GroupSpec("exporter", ("relief",), ("cn-jobs-nomura",)),
        "nationalists": GroupSpec("none", ("face",), ("cn-mao-clip", "lit-weiss2014")),
        "elite": GroupSpec("total", ("relief", "face"), ("cn-legitimacy-risk",
                                                         "cn-elite-instability")),
    }),
}


def peak_layers(side: str, p: dict[str, float] | None = None) -> float:
    """Effective 2025 tariff layers of ``side`` at the April peak (defaults unless ``p``),
    in percentage points, exemptions netted out (us-tariff-total-145,
    cn-tariff-retaliatory-125, cn-exemptions-quiet)."""
    spec, init = SPECS[side], f"initial.{side}"
    value = (lambda name: p[name]) if p is not None else (lambda name: BY_NAME[name].default)
    return sum(value(f"{init}_{name}") * (1.0 - value(f"{init}_exempt_share")
                                           if name == spec.exemptable else 1.0)
               for name in spec.layers)


class Constituency(mesa.Agent):
    """A domestic group: feels part of the pain, mobilises as its losses accumulate, and
    votes on deals by the terms it cares about (lit-putnam1988, lit-grossman-helpman1995)."""

    def __init__(self, model: TradeWarModel, side: str, name: str, weight: float,
                 spec: GroupSpec, n: int) -> None:
        super().__init__(model)
        self.side, self.name, self.weight, self.spec = side, name, weight, spec
        self.mobilisation = np.zeros(n, dtype=FLOAT)  # years of its peak-level losses

    @property
    def economic(self) -> bool:
        """Whether the group feels economic pain (and presses for relief)."""
        return self.spec.feels != "none"

    def pull(self) -> Array:
        """The group's weight in ratification, grown by its mobilisation."""
        return self.weight * (1.0 + self.mobilisation)


class Government(mesa.Agent):
    """A government deciding week by week; its state holds one entry per run."""

    def __init__(self, model: TradeWarModel, side: str, n: int, p: dict[str, float],
                 type_index: Array) -> None:
        super().__init__(model)
        spec = SPECS[side]
        self.spec, self.side, self.n = spec, side, n
        self._tariff: Array | None = None
        init = "initial." + side
        self.base = p[f"{init}_base"]
        self.layers = {name: np.full(n, p[f"{init}_{name}"], dtype=FLOAT)
                       for name in spec.layers}
        self.exempt = np.full(n, p[f"{init}_exempt_share"], dtype=FLOAT)
        self.tools = {name: np.full(n, p[f"{init}_{name}"], dtype=FLOAT) for name in spec.tools}
        self.face = np.full(n, p[f"{init}_face"], dtype=FLOAT)
        self.acknowledges = np.full(n, p[f"{init}_acknowledges"], dtype=FLOAT)
        self.type_index = type_index.astype(np.int8)
        self.types = type_values(p["decision.resolve_sigma"])  # (K, 1), or (K, runs)
        column = 0 if self.types.shape[1] == 1 else np.arange(n)
        self.resolve = self.types[self.type_index, column]  # own type, known to itself
        self.belief = np.repeat(TYPE_PRIOR[:, None], n, axis=1).astype(FLOAT)  # rival's type
        # weights on the rival's levels of reasoning and, last, on its being obstinate
        # (levels + 1, runs), where the side learns them (``decision.obstinacy_prior``)
        self.level_belief: np.ndarray | None = None
        # proposals on the table: from the week's move, and a scenario's standing policy
        self.pending_kind = np.zeros(n, dtype=np.int8)  # 0 none, 1 package, 2 channel, 3 matched
        self.pending_arg = np.full(n, -1, dtype=np.int16)
        self.pending_private = np.zeros(n, dtype=bool)  # made through the back channel
        self.standing_kind = np.zeros(n, dtype=np.int8)
        self.standing_arg = np.full(n, -1, dtype=np.int16)
        self.standing_event = np.full(n, -1, dtype=np.int16)
        self.standing_week = np.full(n, -1, dtype=np.int16)  # week it was tabled
        self.private_out = np.zeros(n, dtype=FLOAT)  # unleaked private concessions (size)
        self.private_talks = np.zeros(n, dtype=np.int16)  # weeks left of active private talks
        self.cum_pain = np.zeros(n, dtype=FLOAT)  # %GDP-years
        self.face_paid = np.zeros(n, dtype=FLOAT)  # weeks of starting pain
        self.conceded = np.zeros(n, dtype=bool)  # made any concession this week
        self.escalated = np.zeros(n, dtype=bool)  # escalated this week (freely or forced)
        self.constituencies = [
            Constituency(model, side, name, p[f"constituency.{side}.{name}"], group, n)
            for name, group in spec.constituencies.items()]
        self.rival: Government
        # A full back-down removes the 2025 layers as they stood at the April peak.
        self.tariff_ref = peak_layers(side)
        self.choice = np.zeros(n, dtype=np.int8)
        self.choice_arg = np.full(n, -1, dtype=np.int16)
        self.scripted = np.zeros(n, dtype=np.int16)
        self.answer = np.zeros(n, dtype=np.int8)  # 0 nothing to answer, 1 accept, 2 reject
        self.answer_gain = np.zeros(n, dtype=FLOAT)
        self.answer_face = np.zeros(n, dtype=FLOAT)
        self.answer_target = np.zeros(n, dtype=np.int8)  # 1 last week's proposal, 2 standing
        self.answer_scripted = np.zeros(n, dtype=bool)
        self.standing_idle = np.zeros(n, dtype=bool)  # the rival's standing proposal, moot

    @property
    def label(self) -> str:
        """Readable name of the side."""
        return NAMES[self.side]

    def tariff(self, layers: dict[str, Array] | None = None,
               exempt: Array | None = None) -> Array:
        """Effective tariff on the rival's goods in percent: base + layers, less exemptions.

        Without arguments: the current tariff, cached until ``invalidate`` is called.
        """
        if layers is None and exempt is None:
            if self._tariff is None:
                self._tariff = self.tariff(self.layers, self.exempt)
            return self._tariff
        layers = self.layers if layers is None else layers
        exempt = self.exempt if exempt is None else exempt
        total = np.full(self.n, self.base, dtype=FLOAT)
        for name, level in layers.items():
            total = total + (level * (1.0 - exempt) if name == self.spec.exemptable else level)
        return total

    def invalidate(self) -> None:
        """Forget the cached tariff after the layers or exemptions changed."""
        self._tariff = None

    def tabled(self, week: int) -> Array:
        """The kind of this side's standing proposal the rival can answer in ``week``: a
        policy tabled this week is seen from the next, as a proposal made by a move is
        (so the order in which the two sides step makes no difference)."""
        return np.where(self.standing_week < week, self.standing_kind, 0).astype(np.int8)

    def pressure(self, gain: float) -> Array:
        """Weight on economic pain: 1 plus the mobilisation of the groups that feel it,
        weighted by their standing (lit-grossman-helpman1995, pain-thresholds-wrigley)."""
        econ = [g for g in self.constituencies if g.economic]
        return 1.0 + gain * sum(g.weight * g.mobilisation for g in econ) / self.economic_weight()

    def economic_weight(self) -> float | Array:
        """Summed weight of the groups that feel economic pain (1 if none weighs)."""
        total = sum(g.weight for g in self.constituencies if g.economic)
        if isinstance(total, np.ndarray):  # one weight per run
            return np.where(total == 0, 1.0, total).astype(FLOAT)
        return total or 1.0

    def step(self) -> None:
        """Answer the rival's proposals and choose this week's move in every run (the
        model's weekly decision, ``sim.model.choice.choose``)."""
        self.model.decide(self)
