"""Mesa agents: the two governments and the domestic constituencies behind them.

Every attribute is a numpy array with one entry per Monte-Carlo run, so one step of the
model advances every run at once.  Governments choose moves (``sim.model.moves``) by logit
quantal response (McKelvey & Palfrey 1995); constituencies ratify deals (Putnam 1988).
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


@dataclass(frozen=True)
class SideSpec:
    """Static description of a side: its tariff layers, tools and constituencies."""

    side: str
    layers: tuple[str, ...]
    exemptable: str  # the layer that quiet exemptions carve goods out of
    tools: tuple[str, ...]
    constituencies: dict[str, dict[str, float]]  # name -> exposure to each term


SPECS = {
    "us": SideSpec("us", ("fentanyl", "reciprocal"), "reciprocal", US_TOOLS, {
        "farmers": {"exporter": 1.0},
        "consumers": {"consumer": 1.0},
        "markets": {"total": 1.0},
        "hawks": {"face": 1.0, "revenue": 1.0},
    }),
    "cn": SideSpec("cn", ("retaliatory",), "retaliatory", CN_TOOLS, {
        "exporters": {"exporter": 1.0},
        "workers": {"exporter": 1.0},
        "nationalists": {"face": 1.0},
        "elite": {"total": 1.0, "face": 1.0},
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
    """A domestic group that feels some terms of a deal and votes on ratification."""

    def __init__(self, model: TradeWarModel, side: str, name: str, weight: float,
                 exposure: dict[str, float]) -> None:
        super().__init__(model)
        self.side, self.name, self.weight, self.exposure = side, name, weight, exposure

    def approves(self, deltas: dict[str, Array]) -> Array:
        """True where the group is better off with the deal than without (lit-putnam1988).

        ``deltas`` holds each term's gain from the deal in weeks of starting pain:
        ``consumer``, ``exporter``, ``total`` (pain relief), ``revenue`` and ``face`` (the
        face cost, counted as a loss).
        """
        gain = 0.0
        for term, coef in self.exposure.items():
            sign = -1.0 if term == "face" else 1.0
            gain = gain + sign * coef * deltas[term]
        return np.asarray(gain) > 0.0


class Government(mesa.Agent):
    """A government deciding week by week; its state holds one entry per run."""

    def __init__(self, model: TradeWarModel, side: str, n: int, p: dict[str, float],
                 resolve: Array) -> None:
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
        self.belief_low = np.full(n, p["decision.belief_prior_low"], dtype=FLOAT)
        self.resolve = resolve
        self.pending_kind = np.zeros(n, dtype=np.int8)  # 0 none, 1 package, 2 channel, 3 matched
        self.pending_arg = np.full(n, -1, dtype=np.int16)
        self.private_out = np.zeros(n, dtype=FLOAT)  # unleaked private concessions (size)
        # level of the exemptable layer to restore when a pause ends
        self.paused_from = np.full(n, np.nan, dtype=FLOAT)
        self.cum_pain = np.zeros(n, dtype=FLOAT)  # %GDP-years
        self.face_paid = np.zeros(n, dtype=FLOAT)  # weeks of starting pain
        self.conceded = np.zeros(n, dtype=bool)  # made any concession this week
        self.constituencies = [
            Constituency(model, side, name, p[f"constituency.{side}.{name}"], exposure)
            for name, exposure in spec.constituencies.items()]
        self.rival: Government
        # A full back-down removes the 2025 layers as they stood at the April peak.
        self.tariff_ref = peak_layers(side)
        self.choice = np.zeros(n, dtype=np.int8)
        self.choice_arg = np.full(n, -1, dtype=np.int16)
        self.scripted = np.zeros(n, dtype=np.int16)

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

    def ratifies(self, deltas: dict[str, Array], threshold: float) -> Array:
        """Weighted share of constituencies approving reaches the threshold (two-level game)."""
        share = 0.0
        for group in self.constituencies:
            share = share + group.weight * group.approves(deltas)
        total = sum(group.weight for group in self.constituencies)
        return np.asarray(share) >= threshold * total - 1e-12

    def decide(self) -> None:
        """Choose this week's move in every run; see ``sim.model.decision.choose``."""
        from sim.model.decision import choose

        choose(self, self.model.context)
