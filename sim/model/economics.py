"""Economic pain from tariffs, through trade flows, vectorized over runs.

Constant-elasticity import demand with full pass-through (Amiti, Redding & Weinstein 2019;
Fajgelbaum et al. 2020).  The 2024 flows M0 (customs value) already reflect the pre-2025 base
tariff t_b, so only the change from it applies (model brief, section 5): with the relative
price r = (1+t)/(1+t_b), imports M(t) = M0 r^-e; consumer loss of going from t_b to t
CS = M0 (1+t_b) [r^(1-e) - 1] / (1-e) (the integral of demand over the duty-inclusive price,
which is (1+t_b) at the base); tariff revenue t M(t), the whole tariff; exporter loss
X0 [1 - r_rival^-e] x value-added share x (1 - rerouted share).  Every loss is zero at the base
tariffs and negative (a gain against 2024) below them.  The elasticity moves by partial
adjustment from below its one-year value on impact, through it at one year, toward its
long-run value (Boehm, Levchenko & Pandalai-Nayar 2023).  All outputs are in % of the side's
GDP per year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.model.vector import select

FLOAT = np.float32
"""Floating type of per-run state: single precision halves memory traffic; a week's
utilities are O(1-100), far above its resolution."""

Array = np.ndarray

# Non-tariff tools each side controls, in the order an escalation reaches for them.
CN_TOOLS: tuple[str, ...] = ("rare_earth", "films", "farm_diversion", "yuan", "treasuries")
US_TOOLS: tuple[str, ...] = ("export_controls", "transshipment")


ELASTICITY_FLOOR = 0.05
"""Smallest elasticity the partial-adjustment path returns (the lower bound of
``trade.elasticity_short``): keeps the impact value positive for extreme parameters."""

ONE_YEAR = 52.0
"""Weeks after the shock at which ``trade.elasticity_short`` is measured (lit-boehm2023)."""

BASE_TOLERANCE = 1e-6
"""Tariffs (fractions) this close to the base count as the base: float32 tariffs built from
percent (``Government.tariff`` / 100) differ from ``initial.*_base`` / 100 by an ulp, and
the base posture must cost exactly nothing."""


def elasticity(p: dict[str, float], weeks_since_shock: float | Array) -> float | Array:
    """Import-demand elasticity ``weeks_since_shock`` weeks after the shock (lit-boehm2023).

    Partial adjustment anchored at one year, where Boehm, Levchenko & Pandalai-Nayar (2023)
    measure ``trade.elasticity_short``:
    e(t) = e_long - (e_long - e_short) exp(-(t - 52) / T), T = ``trade.adjustment_weeks``.
    So e(52) = e_short exactly, the impact value e(0) lies below it (with defaults 0.18),
    and e(t) tends to ``trade.elasticity_long``; clipped at ``ELASTICITY_FLOOR`` so that
    extreme parameter choices cannot make the impact value zero or negative.
    """
    short, long_ = p["trade.elasticity_short"], p["trade.elasticity_long"]
    adjust = p["trade.adjustment_weeks"]
    if not any(isinstance(x, Array) for x in (short, long_, adjust, weeks_since_shock)):
        closed = -math.expm1(-(weeks_since_shock - ONE_YEAR) / adjust)
        return max(ELASTICITY_FLOOR, short + (long_ - short) * closed)  # 0 at one year
    # one value per run (``sim.model.parameters.resolve``)
    closed = -np.expm1(-(weeks_since_shock - ONE_YEAR) / np.asarray(adjust, dtype=FLOAT))
    return np.maximum(FLOAT(ELASTICITY_FLOOR), short + (long_ - short) * closed)


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
        self.us_base = p["initial.us_base"] / 100.0  # pre-2025 tariffs in the 2024 flows
        self.cn_base = p["initial.cn_base"] / 100.0
        self.us_gdp = p["economy.us_gdp"] / 100.0  # $B per % of GDP
        self.cn_gdp = p["economy.cn_gdp"] / 100.0
        # Stimulus absorbs a share of China's losses: the room set aside for the trade
        # shock over China's loss at the April peak (with defaults), so at the peak it
        # offsets exactly that room, and any posture's loss in the same proportion.
        room = p["cn.stimulus_capacity"] * p["cn.stimulus_offset_share"]
        self.absorbed = (np.minimum(1.0, room / cn_peak_loss) if isinstance(room, Array)
                         else min(1.0, room / cn_peak_loss)) if cn_peak_loss else 0.0
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
        # the measures that cost anything in some run, in order (the rest add nothing)
        self._us_ntm_on = [(name, c) for name, c in self.us_ntm.items() if np.any(c)]
        self._cn_ntm_on = [(name, c) for name, c in self.cn_ntm.items() if np.any(c)]

    def trade(self, tariff: Array, base: float, eps: float,
              m0: float) -> tuple[Array, Array, Array, Array]:
        """Trade kept, consumer loss, revenue and revenue change on 2024 imports ``m0``.

        ``m0`` was bought at the ``base`` tariff, so only the move from ``base`` to
        ``tariff`` applies: the share of ``m0`` kept is ((1+t)/(1+t_b))^-eps and the consumer
        loss is zero at the base.  Revenue is the whole tariff on the imports kept; the
        change is against the base's revenue ``base m0``.
        Memoised on the tariff array: a week's hypothetical postures share most tariffs.
        """
        key = (id(tariff), *(id(x) if isinstance(x, Array) else x for x in (base, eps, m0)))
        hit = self._memo.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], (tariff, base, eps, m0),
                                                          strict=True)
                                   if isinstance(b, Array)):
            return hit[1]
        step = tariff - base
        step = select(np.abs(step) <= BASE_TOLERANCE, 0.0, step).astype(tariff.dtype)
        log = np.log1p(step / (1.0 + base))  # log of the relative price (1+t)/(1+t_b)
        keep = np.exp(-eps * log)
        spend = m0 * (1.0 + base)  # duty-inclusive spending at the base
        if isinstance(eps, Array):  # one elasticity per run
            unit = np.abs(1.0 - eps) < 1e-9
            cs = select(unit, spend * log,
                        spend * np.expm1((1.0 - eps) * log) / select(unit, 1.0, 1.0 - eps))
        elif abs(1.0 - eps) < 1e-9:
            cs = spend * log
        else:  # spend [r^(1-e) - 1] / (1-e), stable near e = 1
            cs = spend * np.expm1((1.0 - eps) * log) / (1.0 - eps)
        revenue = m0 * tariff * keep
        change = m0 * (step * keep + base * (keep - 1.0))  # revenue - base m0, 0 at the base
        out = (keep, cs, revenue, change)
        if len(self._memo) > 64:
            self._memo.clear()
        self._memo[key] = ((tariff, base, eps, m0), out)
        return out

    def pain(self, posture: Posture, eps: float) -> Pain:
        """Annual pain of both sides at ``posture`` with elasticity ``eps``.

        Pain is the loss against 2024 (the base tariffs), zero at the base posture; revenue
        is the whole revenue at the posture (callers only compare postures, so the base's
        revenue is a constant offset).
        """
        tools = posture.tools
        keep_us, cs_us, rev_us, drev_us = self.trade(posture.us_tariff, self.us_base, eps,
                                                     self.m_us)
        keep_cn, cs_cn, rev_cn, drev_cn = self.trade(posture.cn_tariff, self.cn_base, eps,
                                                     self.x_us)
        # Exporter losses.
        reroute = self.reroute * (1.0 - self.transship * tools["transshipment"])
        loss_cn_share = 1.0 - keep_us
        exp_cn = self.m_us * loss_cn_share * self.va_cn * (1.0 - reroute)
        exp_cn = exp_cn + (1.0 - self.pt) * drev_us  # extra tariff absorbed by exporters
        exp_us = self.x_us * (1.0 - keep_cn) * self.va_us + (1.0 - self.pt) * drev_cn
        farm_us = self.soy * tools["farm_diversion"] * keep_cn * self.va_us
        us = (self.pt * cs_us + exp_us + farm_us) / self.us_gdp
        cn = (self.pt * cs_cn + exp_cn) / self.cn_gdp
        for name, cost in self._us_ntm_on:
            us = us + cost * tools[name]
        for name, cost in self._cn_ntm_on:
            cn = cn + cost * tools[name]
        cn = cn * (1.0 - self.absorbed)  # stimulus buffers China's pain
        return Pain(us=us, cn=cn, us_revenue=rev_us / self.us_gdp,
                    cn_revenue=rev_cn / self.cn_gdp,
                    us_consumer=self.pt * cs_us / self.us_gdp,
                    cn_consumer=self.pt * cs_cn / self.cn_gdp,
                    us_exporter=(exp_us + farm_us) / self.us_gdp, cn_exporter=exp_cn / self.cn_gdp,
                    us_farm=farm_us / self.us_gdp, cn_export_loss_share=loss_cn_share)
