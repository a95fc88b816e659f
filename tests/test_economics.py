"""Economic pain: directions and invariants of the trade-flow formulas (sim.model.economics)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.economics import CN_TOOLS, US_TOOLS, Economy, Posture, elasticity
from sim.model.model import peak_pain
from sim.model.parameters import defaults, resolve

TOOLS_OFF = {t: np.zeros(1) for t in CN_TOOLS + US_TOOLS}
rates = st.floats(0.0, 3.0, allow_nan=False)
elasticities = st.floats(0.1, 4.0, allow_nan=False)


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
def test_pain_and_revenue_are_non_negative(us, cn, eps):
    pain = pain_at(us, cn, eps)
    for field in ("us", "cn", "us_revenue", "cn_revenue", "us_consumer", "cn_consumer",
                  "us_exporter", "cn_exporter"):
        assert getattr(pain, field)[0] >= 0.0
    assert 0.0 <= pain.cn_export_loss_share[0] <= 1.0


def test_no_tariffs_no_pain():
    pain = pain_at(0.0, 0.0)
    assert pain.us[0] == 0.0 and pain.cn[0] == 0.0


def test_elasticity_moves_from_short_to_long_run():
    p = defaults()
    path = [elasticity(p, w) for w in (0, 26, 52, 156, 1000)]
    assert path[0] == p["trade.elasticity_short"]
    assert all(a < b for a, b in itertools.pairwise(path))
    assert path[-1] <= p["trade.elasticity_long"]


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
