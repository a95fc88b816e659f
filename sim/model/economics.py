"""Economic pain from tariffs, through trade flows, vectorized over runs.

Constant-elasticity import demand with full pass-through (Amiti, Redding & Weinstein 2019;
Fajgelbaum et al. 2020): imports M(t) = M0 (1+t)^-e; consumer loss
CS = M0 [(1+t)^(1-e) - 1] / (1-e); tariff revenue t M(t); exporter loss
X0 [1 - (1+t_rival)^-e] x value-added share x (1 - rerouted share).  The elasticity moves
from its one-year to its long-run value by partial adjustment (Boehm, Levchenko &
Pandalai-Nayar 2023).  All outputs are in % of the side's GDP per year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FLOAT = np.float32
"""Floating type of per-run state: single precision halves memory traffic; a week's
utilities are O(1-100), far above its resolution."""

Array = np.ndarray

# Non-tariff tools each side controls, in the order an escalation reaches for them.
CN_TOOLS: tuple[str, ...] = ("rare_earth", "films", "farm_diversion", "yuan", "treasuries")
US_TOOLS: tuple[str, ...] = ("export_controls", "transshipment")


def elasticity(p: dict[str, float], weeks_since_shock: float) -> float:
    """Import-demand elasticity after partial adjustment (lit-boehm2023)."""
    short, long_ = p["trade.elasticity_short"], p["trade.elasticity_long"]
    return long_ - (long_ - short) * math.exp(-weeks_since_shock / p["trade.adjustment_weeks"])


@dataclass(frozen=True)
class Posture:
    """What the pain depends on: both effective tariffs (fractions) and the tools in force."""

    us_tariff: Array  # US tariff on Chinese goods, effective, as a fraction
    cn_tariff: Array  # China's tariff on US goods, effective, as a fraction
    tools: dict[str, Array]  # flag per tool name (CN_TOOLS + US_TOOLS), 0.0 or 1.0


@dataclass(frozen=True)
class Pain:
    """Annual pain and revenue for both sides at one posture, in % of own GDP."""

    us: Array
    cn: Array
    us_revenue: Array
    cn_revenue: Array
    us_consumer: Array  # consumer (price) loss on imports
    cn_consumer: Array
    us_exporter: Array  # exporter loss, farm diversion included
    cn_exporter: Array
    us_farm: Array  # the US farm-loss part of ``us`` (salient at harvest)
    cn_export_loss_share: Array  # share of China's US-bound exports lost (for jobs)


class Economy:
    """Turns postures into pain; holds the trade and economy parameters."""

    def __init__(self, p: dict[str, float], cn_peak_loss: float = 0.0) -> None:
        """``cn_peak_loss``: China's unbuffered annual loss (% of GDP) at the April 2025 peak
        with default parameters (``sim.model.model.peak_pain``); 0 means no stimulus buffer."""
        self.p = p
        self._memo: dict[tuple, tuple] = {}
        self.m_us = p["trade.us_imports_from_cn"]
        self.x_us = p["trade.us_exports_to_cn"]
        self.soy = p["trade.us_soy_exports_to_cn"]
        self.pt = p["trade.pass_through"]
        self.va_us = p["trade.us_value_added_share"]
        self.va_cn = p["trade.cn_value_added_share"]
        self.reroute = p["trade.cn_rerouted_share"]
        self.transship = p["trade.transshipment_effect"]
        self.us_gdp = p["economy.us_gdp"] / 100.0  # $B per % of GDP
        self.cn_gdp = p["economy.cn_gdp"] / 100.0
        # Stimulus absorbs a share of China's losses: the room set aside for the trade
        # shock over China's loss at the April peak (with defaults), so at the peak it
        # offsets exactly that room, and any posture's loss in the same proportion.
        room = p["cn.stimulus_capacity"] * p["cn.stimulus_offset_share"]
        self.absorbed = min(1.0, room / cn_peak_loss) if cn_peak_loss else 0.0
        self.us_ntm = {"rare_earth": p["ntm.rare_earth.target_pain"],
                       "films": p["ntm.films.target_pain"],
                       "yuan": p["ntm.yuan.target_pain"],
                       "treasuries": p["ntm.treasuries.target_pain"],
                       "export_controls": p["ntm.export_controls.own_cost"]}
        self.cn_ntm = {"rare_earth": p["ntm.rare_earth.own_cost"],
                       "films": p["ntm.films.own_cost"],
                       "farm_diversion": p["ntm.farm_diversion.own_cost"],
                       "yuan": p["ntm.yuan.own_cost"],
                       "treasuries": p["ntm.treasuries.own_cost"],
                       "export_controls": p["ntm.export_controls.target_pain"]}

    def trade(self, tariff: Array, eps: float, m0: float) -> tuple[Array, Array, Array]:
        """Share of trade kept, consumer loss and revenue on imports ``m0`` at ``tariff``.

        Memoised on the tariff array: a week's hypothetical postures share most tariffs.
        """
        key = (id(tariff), eps, m0)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is tariff:
            return hit[1]
        log = np.log1p(tariff)
        keep = np.exp(-eps * log)
        if abs(1.0 - eps) < 1e-9:
            cs = m0 * log
        else:  # M0 [(1+t)^(1-e) - 1] / (1-e), with (1+t)^(1-e) = (1+t) keep
            cs = m0 * ((1.0 + tariff) * keep - 1.0) / (1.0 - eps)
        out = (keep, cs, m0 * tariff * keep)
        if len(self._memo) > 64:
            self._memo.clear()
        self._memo[key] = (tariff, out)
        return out

    def pain(self, posture: Posture, eps: float) -> Pain:
        """Annual pain of both sides at ``posture`` with elasticity ``eps``."""
        tools = posture.tools
        keep_us, cs_us, rev_us = self.trade(posture.us_tariff, eps, self.m_us)
        keep_cn, cs_cn, rev_cn = self.trade(posture.cn_tariff, eps, self.x_us)
        # Exporter losses.
        reroute = self.reroute * (1.0 - self.transship * tools["transshipment"])
        loss_cn_share = 1.0 - keep_us
        exp_cn = self.m_us * loss_cn_share * self.va_cn * (1.0 - reroute)
        exp_cn = exp_cn + (1.0 - self.pt) * rev_us  # tariff absorbed by exporters
        exp_us = self.x_us * (1.0 - keep_cn) * self.va_us + (1.0 - self.pt) * rev_cn
        farm_us = self.soy * tools["farm_diversion"] * keep_cn * self.va_us
        us = (self.pt * cs_us + exp_us + farm_us) / self.us_gdp
        cn = (self.pt * cs_cn + exp_cn) / self.cn_gdp
        for name, cost in self.us_ntm.items():
            if cost:
                us = us + cost * tools[name]
        for name, cost in self.cn_ntm.items():
            if cost:
                cn = cn + cost * tools[name]
        cn = cn * (1.0 - self.absorbed)  # stimulus buffers China's pain
        return Pain(us=us, cn=cn, us_revenue=rev_us / self.us_gdp,
                    cn_revenue=rev_cn / self.cn_gdp,
                    us_consumer=self.pt * cs_us / self.us_gdp,
                    cn_consumer=self.pt * cs_cn / self.cn_gdp,
                    us_exporter=(exp_us + farm_us) / self.us_gdp, cn_exporter=exp_cn / self.cn_gdp,
                    us_farm=farm_us / self.us_gdp, cn_export_loss_share=loss_cn_share)
