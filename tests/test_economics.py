"""Economic pain: directions and invariants of the trade-flow formulas (sim.model.economics)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.economics import CN_TOOLS, US_TOOLS, Economy, Posture, elasticity
from sim.model.model import peak_pain
from sim.model.parameters import BY_NAME, defaults, resolve

TOOLS_OFF = {t: np.zeros(1) for t in CN_TOOLS + US_TOOLS}
rates = st.floats(0.0, 3.0, allow_nan=False)
elasticities = st.floats(0.1, 4.0, allow_nan=False)
US_BASE = defaults()["initial.us_base"] / 100.0  # pre-2025 tariffs, fractions
CN_BASE = defaults()["initial.cn_base"] / 100.0


def pain_at(us: float, cn: float, eps: float = 0.75, tools=None, p=None):
    econ = Economy(p or defaults(), peak_pain(buffered=False)["cn"])
    return econ.pain(Posture(np.array([us]), np.array([cn]), tools or TOOLS_OFF), eps)


@settings(max_examples=60, deadline=None)
@given(rates, rates, rates, elasticities)
def test_pain_rises_with_tariffs(t1, t2, rival, eps):
    lo, hi = sorted((t1, t2))
    for side in ("us", "cn"):  # each side's pain rises with its own and the rival's tariff
        own_lo, own_hi = ((pain_at(lo, rival, eps), pain_at(hi, rival, eps)) if side == "us"
                          else (pain_at(rival, lo, eps), pain_at(rival, hi, eps)))
        assert getattr(own_hi, side)[0] >= getattr(own_lo, side)[0] - 1e-12
        rival_lo, rival_hi = ((pain_at(rival, lo, eps), pain_at(rival, hi, eps)) if side == "us"
                              else (pain_at(lo, rival, eps), pain_at(hi, rival, eps)))
        assert getattr(rival_hi, side)[0] >= getattr(rival_lo, side)[0] - 1e-12


@settings(max_examples=60, deadline=None)
@given(rates, rates, elasticities)
def test_pain_and_revenue_are_non_negative_at_or_above_the_base(us_layers, cn_layers, eps):
    """Tariffs in the model never fall below the pre-2025 base; above it every loss is >= 0."""
    pain = pain_at(US_BASE + us_layers, CN_BASE + cn_layers, eps)
    for field in ("us", "cn", "us_revenue", "cn_revenue", "us_consumer", "cn_consumer",
                  "us_exporter", "cn_exporter"):
        assert getattr(pain, field)[0] >= 0.0
    assert 0.0 <= pain.cn_export_loss_share[0] <= 1.0


def test_no_pain_at_the_base_posture():
    """2024 flows already reflect the pre-2025 tariffs, so at the base tariffs (no 2025 layers,
    no tools) every pain component is exactly zero, also with float32 tariffs built the way
    ``Government.tariff`` builds them (base in percent, then / 100)."""
    float32 = Posture(np.full(1, 100 * US_BASE, dtype=np.float32) / 100.0,
                      np.full(1, 100 * CN_BASE, dtype=np.float32) / 100.0, TOOLS_OFF)
    econ = Economy(defaults(), peak_pain(buffered=False)["cn"])
    for eps in (0.18, 0.75, 1.0, 2.0):
        for pain in (pain_at(US_BASE, CN_BASE, eps), econ.pain(float32, eps)):
            for field in ("us", "cn", "us_consumer", "cn_consumer", "us_exporter",
                          "cn_exporter", "us_farm", "cn_export_loss_share"):
                assert getattr(pain, field)[0] == 0.0, (field, eps)
            assert pain.us_revenue[0] > 0.0 and pain.cn_revenue[0] > 0.0  # base still collects


def test_below_the_base_is_a_gain():
    """Cutting below the 2024 base (free trade) is a gain against 2024, not zero pain."""
    pain = pain_at(0.0, 0.0)
    assert pain.us[0] < 0.0 and pain.cn[0] < 0.0


def test_elasticity_is_anchored_at_one_year_and_rises_to_the_long_run():
    """Boehm, Levchenko & Pandalai-Nayar (2023) measure 0.75 one year after the shock; on
    impact the elasticity is lower, and it rises toward the long-run value."""
    p = defaults()
    short, long_ = p["trade.elasticity_short"], p["trade.elasticity_long"]
    assert elasticity(p, 52) == short
    path = [elasticity(p, w) for w in (0, 13, 26, 52, 156, 520, 5000)]
    assert 0.0 < path[0] < short
    assert all(a < b for a, b in itertools.pairwise(path))
    assert path[-1] <= long_ and abs(path[-1] - long_) < 1e-6


def test_elasticity_stays_positive_for_extreme_parameters():
    lo_hi = {name: (BY_NAME[name].lo, BY_NAME[name].hi)
             for name in ("trade.elasticity_short", "trade.elasticity_long",
                          "trade.adjustment_weeks")}
    for short, long_, weeks in itertools.product(*lo_hi.values()):
        p = resolve({"trade.elasticity_short": short, "trade.elasticity_long": long_,
                     "trade.adjustment_weeks": weeks})
        for w in (0, 1, 26, 52, 104, 520):
            assert elasticity(p, w) >= BY_NAME["trade.elasticity_short"].lo > 0.0
        assert elasticity(p, 52) == short


def test_import_volume_at_the_april_peak():
    """Only the change from the 2024 base applies to 2024 flows. Defaults, week 0:
    eps = 2 - 1.25 exp(52/139) = 0.18290; US imports 439 (2.658/1.208)^-0.18290 = 380.04;
    US exports 143 (2.211/1.211)^-0.18290 = 128.09 ($B/yr). Revenue is the whole tariff
    times the flow."""
    p = defaults()
    eps = elasticity(p, 0)
    assert abs(eps - 0.18290) < 1e-5
    pain = pain_at(1.658, 1.211, eps)
    imports = p["trade.us_imports_from_cn"] * (1.0 - pain.cn_export_loss_share[0])
    assert abs(imports - 380.04) < 0.01
    assert abs(pain.us_revenue[0] * p["economy.us_gdp"] / 100.0 - 1.658 * imports) < 0.01
    exports = pain.cn_revenue[0] * p["economy.cn_gdp"] / 100.0 / 1.211
    assert abs(exports - 128.09) < 0.01


def test_peak_pain_is_below_the_double_counting_formula():
    """Applying the whole tariff (base included) to 2024 flows, as if they were free-trade
    flows, is what a zero base computes; correcting it lowers the pain at the peak at the
    elasticities of the model's first year (impact to one year, and up to 1).  Above ~1.2 the
    consumer loss can exceed the old figure: the 2024 flows were bought at the duty-inclusive
    price 1+t_b, which the old formula took as 1."""
    p = defaults()
    naive = resolve({"initial.us_base": 0.0, "initial.cn_base": 0.0})
    for eps in (elasticity(p, 0), elasticity(p, 26), elasticity(p, 52), 1.0):
        fixed, double = pain_at(1.658, 1.211, eps), pain_at(1.658, 1.211, eps, p=naive)
        for field in ("us", "cn", "us_consumer", "cn_consumer", "us_exporter", "cn_exporter"):
            assert getattr(fixed, field)[0] < getattr(double, field)[0], (field, eps)


@settings(max_examples=60, deadline=None)
@given(rates, rates, elasticities)
def test_consumer_loss_covers_the_extra_revenue(us_layers, cn_layers, eps):
    """Raising a tariff above the base costs consumers at least the revenue it adds (the
    deadweight loss is non-negative), so own pain net of revenue never turns into a gain."""
    base = pain_at(US_BASE, CN_BASE, eps)
    pain = pain_at(US_BASE + us_layers, CN_BASE + cn_layers, eps)
    for side in ("us", "cn"):
        extra = getattr(pain, f"{side}_revenue")[0] - getattr(base, f"{side}_revenue")[0]
        assert getattr(pain, f"{side}_consumer")[0] >= extra - 1e-6


def test_higher_elasticity_lowers_trade_kept():
    low, high = pain_at(1.45, 1.25, 0.75), pain_at(1.45, 1.25, 2.0)
    assert high.cn_export_loss_share[0] > low.cn_export_loss_share[0]


def test_stimulus_buffers_chinas_pain_in_proportion():
    """The buffer scales every posture's loss alike, so it also shrinks what China gains
    from a tariff cut: with stimulus, a cut matters less to China."""
    def gain(capacity: float) -> float:
        p = resolve({"cn.stimulus_capacity": capacity})
        return float(pain_at(1.45, 1.25, p=p).cn[0] - pain_at(1.45, 0.5, p=p).cn[0])
    with_stimulus = pain_at(1.45, 1.25, p=resolve({"cn.stimulus_capacity": 2.0}))
    without = pain_at(1.45, 1.25, p=resolve({"cn.stimulus_capacity": 0.0}))
    assert with_stimulus.cn[0] < without.cn[0]
    assert with_stimulus.us[0] == without.us[0]
    assert 0 < gain(2.0) < gain(0.0)


def test_stimulus_offsets_its_room_at_the_peak():
    """At the April peak the buffer absorbs exactly capacity x offset share (% of GDP)."""
    raw, buffered = peak_pain(buffered=False)["cn"], peak_pain(buffered=True)["cn"]
    p = defaults()
    room = p["cn.stimulus_capacity"] * p["cn.stimulus_offset_share"]
    assert abs((raw - buffered) - room) < 1e-5


def test_rerouting_lowers_chinas_exporter_loss_and_transshipment_clauses_undo_it():
    none = pain_at(1.45, 1.25, p=resolve({"trade.cn_rerouted_share": 0.0}))
    some = pain_at(1.45, 1.25, p=resolve({"trade.cn_rerouted_share": 0.3}))
    assert some.cn_exporter[0] < none.cn_exporter[0]
    blocked = dict(TOOLS_OFF, transshipment=np.ones(1))
    clauses = pain_at(1.45, 1.25, tools=blocked,
                      p=resolve({"trade.cn_rerouted_share": 0.3}))
    assert some.cn_exporter[0] < clauses.cn_exporter[0] <= none.cn_exporter[0]


def test_farm_diversion_hurts_us_farmers():
    diverted = pain_at(1.45, 1.25, tools=dict(TOOLS_OFF, farm_diversion=np.ones(1)))
    base = pain_at(1.45, 1.25)
    assert diverted.us_farm[0] > 0.0 == base.us_farm[0]
    assert diverted.us[0] > base.us[0]


def test_rare_earth_controls_hurt_the_us():
    on = pain_at(1.45, 1.25, tools=dict(TOOLS_OFF, rare_earth=np.ones(1)))
    assert on.us[0] > pain_at(1.45, 1.25).us[0]


def test_peak_pain_is_of_plausible_size():
    """At the April peak the annual pain is a fraction of a percent of GDP, not tens of
    percent (Fajgelbaum et al. 2020 measured 0.27% of GDP for the far smaller 2018-19 war)."""
    pain = pain_at(1.658, 1.211, tools=dict(TOOLS_OFF, rare_earth=np.ones(1),
                                             films=np.ones(1), export_controls=np.ones(1)))
    assert 0.1 < pain.us[0] < 3.0
    assert 0.1 < pain.cn[0] < 5.0
