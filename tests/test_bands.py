"""Outcome bands (sim.model.bands): each rule fires, each boundary holds, and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.model.bands import CODE, OUTCOMES, Bands, classify

STEP = 25.0  # pp of one US hike
WEEKS = 30
DEFAULT = Bands()


def run(us_path=None, cn_path=None, cn_tools=None, us_tools=None, *, us_broad=125.0,
        cn_broad=125.0, us_broad_start=125.0, cn_broad_start=125.0, lasting=False,
        pause=False, partial=False, weeks=WEEKS, us0=145.0, cn0=125.0, bands=DEFAULT):
    """Classify one run; paths default to flat at their start (a standoff at 145/125)."""
    def path(p, start):
        return np.full((weeks + 1, 1), start) if p is None else np.asarray(p, float)[:, None]
    code = classify(us_tariff_path=path(us_path, us0), cn_tariff_path=path(cn_path, cn0),
                    cn_tools_path=path(cn_tools, 0.0), us_tools_path=path(us_tools, 0.0),
                    us_broad=[us_broad], cn_broad=[cn_broad],
                    us_broad_start=[us_broad_start], cn_broad_start=[cn_broad_start],
                    lasting_deal=[lasting], pause_in_force=[pause],
                    partial_deal_in_force=[partial], escalation_step=STEP, bands=bands)
    assert code.dtype == np.int8 and code.shape == (1,)
    return OUTCOMES[code[0]]


def flat_then(start, level, from_week, weeks=WEEKS):
    """A path at ``start`` that moves to ``level`` from week ``from_week`` on."""
    p = np.full(weeks + 1, float(start))
    p[from_week:] = level
    return p


def test_outcomes_order_and_codes():
    assert OUTCOMES == ("comprehensive_deal", "truce", "partial_deal", "de_escalation",
                        "managed_stalemate", "escalation")
    assert all(OUTCOMES[i] == name for name, i in CODE.items())


# --- rule 1: comprehensive_deal -------------------------------------------------------------

def test_lasting_deal_at_floors_is_comprehensive():
    assert run(us_broad=10, cn_broad=10, lasting=True) == "comprehensive_deal"


def test_comprehensive_boundary_at_floor_band():
    assert run(us_broad=15, cn_broad=15, lasting=True) == "comprehensive_deal"
    # one layer just above the floor band: still a lasting deal with layers halved -> truce
    assert run(us_broad=15.01, cn_broad=10, lasting=True) == "truce"
    # lasting deal at floors needs the deal: the same layers under a pause are a truce
    assert run(us_broad=10, cn_broad=10, pause=True) == "truce"


# --- rule 2: truce --------------------------------------------------------------------------

def test_pause_with_broad_layers_at_10_is_truce():
    assert run(us_broad=10, cn_broad=10, pause=True) == "truce"


def test_truce_boundary_at_half_the_start():
    assert run(us_broad=62.5, cn_broad=62.5, partial=True) == "truce"
    assert run(us_broad=62.5, cn_broad=62.6, partial=True) == "partial_deal"
    assert run(us_broad=62.6, cn_broad=10, pause=True) == "partial_deal"


def test_truce_needs_a_deal_in_force():
    # broad layers halved but no deal recorded in force: not a truce (tariffs cut -> rule 5)
    us = flat_then(145, 82.5, 5)
    assert run(us, us_broad=62.5, cn_broad=62.5) == "de_escalation"


def test_escalated_while_truce_holds_is_truce():
    us = flat_then(145, 145 + 2 * STEP, 10)  # hikes held to the end
    tools = flat_then(0, 2.0, 10)
    assert run(us, cn_tools=tools, us_broad=10, cn_broad=10, pause=True) == "truce"


def test_starting_from_existing_truce_kept_is_truce():
    kw = {"us_broad_start": 10, "cn_broad_start": 10, "us0": 30, "cn0": 10}
    assert run(us_broad=10, cn_broad=10, **kw) == "truce"
    assert run(us_broad=15, cn_broad=15, **kw) == "truce"
    # ...unless a lasting deal at the floor is in force (rule 1 first)
    assert run(us_broad=10, cn_broad=10, lasting=True, **kw) == "comprehensive_deal"
    # leaving the floor band with no deal is not a truce
    assert run(us_broad=15.01, cn_broad=10, **kw) == "managed_stalemate"


# --- rule 3: partial_deal -------------------------------------------------------------------

def test_fentanyl_swap_only_is_partial_deal_not_truce():
    us = flat_then(145, 125, 6)  # the 20% fentanyl layer removed, broad layers untouched
    assert run(us, us_broad=125, cn_broad=125, partial=True) == "partial_deal"


def test_any_deal_outside_the_truce_band_is_partial_deal():
    assert run(lasting=True) == "partial_deal"
    assert run(pause=True) == "partial_deal"
    # a partial deal names the outcome even when tariffs escalated or were cut
    assert run(flat_then(145, 200, 3), partial=True) == "partial_deal"
    assert run(flat_then(145, 50, 3), partial=True) == "partial_deal"


# --- rule 4: escalation ---------------------------------------------------------------------

def test_rise_held_for_last_8_weeks_is_escalation():
    assert run(flat_then(145, 145 + STEP, WEEKS - 7)) == "escalation"


def test_rise_held_one_week_short_is_not_escalation():
    assert run(flat_then(145, 145 + STEP, WEEKS - 6)) == "managed_stalemate"


def test_spike_reversed_20_weeks_before_end_is_not_escalation():
    us = np.full(WEEKS + 1, 145.0)
    us[5:WEEKS - 19] = 145 + 2 * STEP  # spike, reversed 20 weeks before the end
    assert run(us) == "managed_stalemate"


def test_single_noise_week_in_window_breaks_escalation():
    us = flat_then(145, 145 + STEP, 3)
    us[WEEKS - 3] = 145  # one week back at the start inside the last 8
    assert run(us) == "managed_stalemate"


def test_tariff_rise_boundary_is_half_a_step():
    assert run(flat_then(145, 145 + STEP / 2, 3)) == "escalation"
    assert run(flat_then(145, 145 + STEP / 2 - 0.01, 3)) == "managed_stalemate"


def test_tool_rise_escalates_for_either_side():
    assert run(cn_tools=flat_then(0.2, 0.7, 10)) == "escalation"
    assert run(us_tools=flat_then(0.2, 0.7, 10)) == "escalation"
    assert run(cn_tools=flat_then(0.2, 0.69, 10)) == "managed_stalemate"
    # graded intensities summing to exactly the threshold (0.1 + 0.2 + 0.2) count
    assert run(cn_tools=flat_then(0.0, 0.1 + 0.2 + 0.2, 10)) == "escalation"


def test_sustain_weeks_is_a_band():
    us = flat_then(145, 145 + STEP, WEEKS - 3)  # held 4 weeks
    assert run(us) == "managed_stalemate"
    assert run(us, bands=Bands(sustain_weeks=4)) == "escalation"


def test_short_path_uses_all_weeks_after_week_0():
    assert run([145, 170, 170, 170], weeks=3) == "escalation"
    assert run([145, 170, 145, 170], weeks=3) == "managed_stalemate"
    assert run([145], weeks=0) == "managed_stalemate"  # no weeks: nothing sustained


def test_escalation_beats_de_escalation():
    # China cut its tariff but the US rise held: escalation (rule 4 before rule 5)
    assert run(flat_then(145, 195, 2), cn_path=flat_then(125, 50, 2)) == "escalation"


# --- rule 5: de_escalation ------------------------------------------------------------------

def test_30pct_cut_without_deal_is_de_escalation():
    assert run(flat_then(145, 145 * 0.7, 10)) == "de_escalation"
    assert run(cn_path=flat_then(125, 125 * 0.7, 10)) == "de_escalation"


def test_cut_boundary_is_a_quarter():
    assert run(flat_then(100, 75, 10), us0=100) == "de_escalation"
    assert run(flat_then(100, 75.01, 10), us0=100) == "managed_stalemate"


def test_cut_reversed_by_the_final_week_is_not_de_escalation():
    us = flat_then(145, 50, 5)
    us[-1] = 145
    assert run(us) == "managed_stalemate"


def test_zero_start_tariffs_never_count_as_cut():
    assert run(us0=0, cn0=0, us_broad=0, cn_broad=0, us_broad_start=0, cn_broad_start=0,
               ) == "truce"  # open at zero and keep it: an existing truce
    assert run(us0=0, cn0=0, us_broad=20, cn_broad=20, us_broad_start=0,
               cn_broad_start=0) == "managed_stalemate"
    assert run(us0=0, cn0=0, us_broad_start=0, cn_broad_start=0, us_broad=20, cn_broad=20,
               us_path=flat_then(0, 30, 3)) == "escalation"


# --- rule 6: managed_stalemate --------------------------------------------------------------

def test_standoff_is_managed_stalemate():
    assert run() == "managed_stalemate"


# --- vectorization and inputs ---------------------------------------------------------------

def test_vectorized_runs_match_one_by_one():
    weeks = 12
    us = np.stack([flat_then(145, 170, 2, weeks), flat_then(145, 100, 2, weeks),
                   np.full(weeks + 1, 145.0), np.full(weeks + 1, 145.0)], axis=1)
    flat = np.full_like(us, 125.0)
    zeros = np.zeros_like(us)
    code = classify(us_tariff_path=us, cn_tariff_path=flat, cn_tools_path=zeros,
                    us_tools_path=zeros, us_broad=[125, 125, 10, 125],
                    cn_broad=[125, 125, 10, 125], us_broad_start=125, cn_broad_start=125,
                    lasting_deal=[False, False, True, False], pause_in_force=False,
                    partial_deal_in_force=[False, False, False, True], escalation_step=STEP)
    assert [OUTCOMES[c] for c in code] == ["escalation", "de_escalation",
                                           "comprehensive_deal", "partial_deal"]


def test_empty_run_set():
    e = np.zeros((5, 0))
    code = classify(us_tariff_path=e, cn_tariff_path=e, cn_tools_path=e, us_tools_path=e,
                    us_broad=[], cn_broad=[], us_broad_start=[], cn_broad_start=[],
                    lasting_deal=[], pause_in_force=[], partial_deal_in_force=[],
                    escalation_step=STEP)
    assert code.shape == (0,) and code.dtype == np.int8


def test_zero_escalation_step_does_not_make_flat_runs_escalations():
    p = np.full((10, 1), 145.0)
    z = np.zeros((10, 1))
    code = classify(us_tariff_path=p, cn_tariff_path=p, cn_tools_path=z, us_tools_path=z,
                    us_broad=125, cn_broad=125, us_broad_start=125, cn_broad_start=125,
                    lasting_deal=False, pause_in_force=False, partial_deal_in_force=False,
                    escalation_step=0)
    assert OUTCOMES[code[0]] == "managed_stalemate"


@pytest.mark.parametrize("bad", [
    {"us_tariff_path": np.full((5, 2), np.nan)},
    {"us_broad": [np.nan, 1.0]},
    {"cn_tools_path": np.zeros((4, 2))},
    {"us_broad": [1.0, 2.0, 3.0]},
    {"us_tariff_path": np.zeros(5)},
    {"escalation_step": -1.0},
])
def test_bad_inputs_raise(bad):
    z = np.zeros((5, 2))
    kw = dict(us_tariff_path=z, cn_tariff_path=z, cn_tools_path=z, us_tools_path=z,
              us_broad=0, cn_broad=0, us_broad_start=0, cn_broad_start=0, lasting_deal=False,
              pause_in_force=False, partial_deal_in_force=False, escalation_step=STEP)
    with pytest.raises(ValueError):
        classify(**(kw | bad))


@pytest.mark.parametrize("bad", [{"truce_share": 1.5}, {"cut_share": 0}, {"sustain_weeks": 0},
                                 {"sustain_weeks": 2.5}, {"tool_rise": 0},
                                 {"floor_band": float("nan")}])
def test_bad_bands_raise(bad):
    with pytest.raises(ValueError):
        Bands(**bad)


# --- properties -----------------------------------------------------------------------------

@st.composite
def run_sets(draw):
    weeks = draw(st.integers(0, 14))
    n = draw(st.integers(1, 8))
    tariffs = st.floats(0, 300, allow_nan=False, allow_infinity=False)
    tools = st.floats(0, 5, allow_nan=False, allow_infinity=False)
    layers = st.floats(0, 200, allow_nan=False, allow_infinity=False)

    def arr(shape, elements):
        return draw(hnp.arrays(float, shape, elements=elements))

    def flags():
        return draw(hnp.arrays(bool, n))

    kw = dict(us_tariff_path=arr((weeks + 1, n), tariffs),
              cn_tariff_path=arr((weeks + 1, n), tariffs),
              cn_tools_path=arr((weeks + 1, n), tools), us_tools_path=arr((weeks + 1, n), tools),
              us_broad=arr(n, layers), cn_broad=arr(n, layers), us_broad_start=arr(n, layers),
              cn_broad_start=arr(n, layers), lasting_deal=flags(), pause_in_force=flags(),
              partial_deal_in_force=flags(),
              escalation_step=draw(st.floats(0, 50, allow_nan=False)))
    return kw, draw(st.permutations(range(n)))


def permuted(kw, perm):
    out = {}
    for k, v in kw.items():
        if k == "escalation_step":
            out[k] = v
        elif v.ndim == 2:
            out[k] = v[:, perm]
        else:
            out[k] = v[perm]
    return out


@settings(max_examples=200, deadline=None)
@given(run_sets())
def test_codes_are_valid_indices(case):
    kw, _ = case
    code = classify(**kw)
    assert code.dtype == np.int8 and code.shape == kw["us_broad"].shape
    assert np.all((code >= 0) & (code < len(OUTCOMES)))


@settings(max_examples=200, deadline=None)
@given(run_sets())
def test_permuting_runs_permutes_codes(case):
    kw, perm = case
    perm = np.array(perm)
    np.testing.assert_array_equal(classify(**permuted(kw, perm)), classify(**kw)[perm])


@settings(max_examples=200, deadline=None)
@given(run_sets())
def test_a_deal_in_force_always_names_the_outcome(case):
    kw, _ = case
    code = classify(**kw)
    deal = kw["lasting_deal"] | kw["pause_in_force"] | kw["partial_deal_in_force"]
    deal_codes = [CODE["comprehensive_deal"], CODE["truce"], CODE["partial_deal"]]
    assert np.all(np.isin(code[deal], deal_codes))
    assert np.all(kw["lasting_deal"][code == CODE["comprehensive_deal"]])


def test_a_tool_left_on_while_tariffs_came_down_is_de_escalation():
    """Tariffs are the war's main instrument: a tool raised early and left on while a side
    cut its tariff into the de-escalation band is a de-escalation; a tariff hike held to
    the end is an escalation whatever else happened."""
    tools_on = flat_then(0.0, 1.0, 2)
    cut = flat_then(145.0, 20.0, 10)
    assert run(cn_tools=tools_on) == "escalation"
    assert run(us_path=cut, cn_tools=tools_on) == "de_escalation"
    assert run(cn_path=flat_then(125.0, 50.0, 10), us_tools=tools_on) == "de_escalation"
    hiked = flat_then(145.0, 145.0 + 2 * STEP, 3)
    assert run(us_path=hiked, cn_path=flat_then(125.0, 50.0, 10)) == "escalation"
