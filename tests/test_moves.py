"""One test per move: forcing it through a scenario event does what the move says."""

from __future__ import annotations

import numpy as np
import pytest

from sim.io.scenario import Scenario
from sim.model.events import MoveNotAvailable
from sim.model.model import TradeWarModel
from sim.model.moves import INDEX, MOVES
from sim.model.packages import INDEX as PACKAGE_INDEX

RUNS = 200
NO_RENEGING = {"deal.renege_hazard": 0.0}
# without stimulus China feels its full loss, and at the April peak the truce and the
# fentanyl swap (at a small face cost) lie inside its win-set
OPEN = {**NO_RENEGING, "cn.stimulus_capacity": 0.0}


def forced(*events: dict, weeks: int = 1, initial: dict | None = None,
           parameters: dict | None = None) -> TradeWarModel:
    """A model whose scenario forces ``events``, stepped ``weeks`` weeks."""
    evs = [{"mode": "forced", **ev} for ev in events]
    scenario = Scenario(name="probe", description="forced moves", weeks=10, events=evs,
                        initial=initial or {}, parameters=parameters or {})
    model = TradeWarModel(scenario, runs=RUNS, seed=4)
    for _ in range(weeks):
        model.step()
    return model


def test_menu_is_complete_and_unique():
    assert set(INDEX) == {"hold", "reject", "escalate", "open_channel", "deny_talks",
                          "acknowledge_talks", "offer", "accept", "step_down_alone",
                          "step_down_matched", "step_down_private"}
    assert len({type(m) for m in MOVES}) == len(MOVES)


def test_hold_changes_nothing():
    before = TradeWarModel(runs=RUNS, seed=4)
    m = forced({"actor": "us", "move": "hold"}, {"actor": "cn", "move": "hold"})
    np.testing.assert_array_equal(m.us.tariff(), before.us.tariff())
    np.testing.assert_array_equal(m.cn.tariff(), before.cn.tariff())
    assert np.all(m.us.choice == INDEX["hold"]) and np.all(m.cn.choice == INDEX["hold"])


def test_us_escalation_raises_the_reciprocal_layer_and_its_commitment():
    start = TradeWarModel(runs=RUNS, seed=4)
    m = forced({"actor": "us", "move": "escalate"}, {"actor": "cn", "move": "hold"})
    step = m.p["us.escalation_step"]
    assert np.all(m.us.layers["reciprocal"] == start.us.layers["reciprocal"] + step)
    assert np.all(m.us.face > start.us.face * m.p["face.decay"])


def test_chinese_escalation_reaches_for_the_next_tool_not_a_tariff():
    start = TradeWarModel(runs=RUNS, seed=4)
    m = forced({"actor": "cn", "move": "escalate"}, {"actor": "us", "move": "hold"})
    assert np.all(m.cn.tools["farm_diversion"] == 1.0)  # rare earths and films already on
    np.testing.assert_array_equal(m.cn.layers["retaliatory"], start.cn.layers["retaliatory"])


def test_stepping_down_alone_cuts_the_layer_and_pays_face():
    m = forced({"actor": "us", "move": "step_down_alone", "layer": "fentanyl"},
               {"actor": "cn", "move": "hold"})
    assert np.all(m.us.layers["fentanyl"] == 0.0)
    assert np.all(m.us.face_paid > 0.0)
    assert np.all(m.recorder.first_deesc == 1)
    assert m.recorder.kinds[m.recorder.first_deesc_kind[0]] == "unilateral_us"


def test_private_step_down_widens_exemptions_at_a_small_face_cost():
    start = TradeWarModel(runs=RUNS, seed=4)
    alone = forced({"actor": "cn", "move": "step_down_alone"}, {"actor": "us", "move": "hold"})
    m = forced({"actor": "cn", "move": "step_down_private"}, {"actor": "us", "move": "hold"})
    assert np.all(m.cn.exempt == pytest.approx(start.cn.exempt + m.p["moves.exemption_step"]))
    assert np.all((m.cn.private_out > 0.0) | (m.recorder.leaks["cn"] > 0))
    assert np.all(m.cn.tariff() < start.cn.tariff())
    assert np.all(m.cn.face_paid < alone.cn.face_paid)


def test_deny_and_acknowledge_talks_flip_the_public_stance():
    m = forced({"actor": "us", "move": "deny_talks"}, {"actor": "cn", "move": "acknowledge_talks"})
    assert np.all(m.us.acknowledges == 0.0) and np.all(m.cn.acknowledges == 1.0)
    assert np.all(m.cn.face_paid > 0.0)  # admitting talks after denying them costs face


def test_channel_proposal_needs_the_rivals_consent():
    m = forced({"actor": "us", "move": "open_channel", "level": 2},
               {"actor": "cn", "move": "accept", "week": 1}, weeks=2)
    assert np.all(m.channel >= 2)
    assert np.all(m.recorder.first_talks == 2)
    refused = forced({"actor": "us", "move": "open_channel", "level": 2},
                     {"actor": "cn", "move": "hold"},
                     {"actor": "cn", "move": "reject", "week": 1, "when": {"after": "e2"}},
                     weeks=2)
    assert np.all(refused.channel == 1)


def test_offer_then_accept_concludes_the_package():
    m = forced({"actor": "us", "move": "offer", "package": "truce"},
               {"actor": "cn", "move": "accept", "week": 1}, weeks=2, initial={"channel": 3},
               parameters=OPEN)
    assert np.all(m.in_force[PACKAGE_INDEX["truce"]] | (m.truce_left > 0))
    assert np.all(m.us.layers["reciprocal"] == m.p["deal.pause_rate"])
    assert np.all(m.cn.tools["rare_earth"] == 0.0)
    assert np.all(m.recorder.deal_week == 2)


def test_acceptance_only_inside_the_win_set():
    """Even a forced acceptance waits for domestic ratification (Putnam 1988): when the
    precursor crackdown costs China as much face as the US layer it removes, China's party
    elite and nationalists outweigh its exporters and the swap cannot be accepted; when the
    crackdown costs no face (the limiting case) it is accepted.  (With the one-year
    elasticity anchored at week 52, a week-1 swap relieves China's exporters less than
    before, so the boundary now lies below a crackdown of 0.05 of a back-down.)"""
    swap = ({"actor": "us", "move": "offer", "package": "fentanyl_for_precursors"},
            {"actor": "cn", "move": "accept", "week": 1})
    costly = forced(*swap, weeks=2, initial={"channel": 2},
                    parameters={"deal.precursor_concession_size": 0.15, **OPEN})
    assert not costly.in_force[PACKAGE_INDEX["fentanyl_for_precursors"]].any()
    assert np.all(costly.us.layers["fentanyl"] == 20.0)
    cheap = forced(*swap, weeks=2, initial={"channel": 2},
                   parameters={"deal.precursor_concession_size": 0.0, **OPEN})
    assert cheap.in_force[PACKAGE_INDEX["fentanyl_for_precursors"]].all()
    assert np.all(cheap.us.layers["fentanyl"] == 0.0)


def test_matched_step_down_cuts_both_broad_layers_for_less_face():
    low_face = {"cn_face": 3}  # inside China's win-set only with little face at stake
    start = TradeWarModel(runs=RUNS, seed=4)
    m = forced({"actor": "us", "move": "step_down_matched"},
               {"actor": "cn", "move": "accept", "week": 1}, weeks=2, initial=low_face)
    step = m.p["moves.tariff_step"]
    assert np.all(m.us.layers["reciprocal"] == start.us.layers["reciprocal"] - step)
    assert np.all(m.cn.layers["retaliatory"] == start.cn.layers["retaliatory"] - step)
    alone = forced({"actor": "cn", "move": "step_down_alone"}, {"actor": "us", "move": "hold"},
                   initial=low_face)
    assert np.all(m.cn.face_paid < alone.cn.face_paid)


def test_a_player_move_replaces_the_script_and_is_checked_before_the_week():
    scenario = Scenario(name="p", description="player", weeks=5, initial={"channel": 2},
                        events=[{"actor": "us", "move": "escalate", "mode": "forced"}])
    model = TradeWarModel(scenario, runs=1, seed=1)
    with pytest.raises(MoveNotAvailable, match="comprehensive is not possible"):
        model.play("us", "offer", package="comprehensive")  # needs leader talks
    assert model.week == 0 and not model.player_moves
    model.play("us", "offer", package="fentanyl_for_precursors")
    model.step()
    assert MOVES[model.us.choice[0]].name == "offer"
    assert model.events.status[0, 0] == 0  # the scripted escalation waits
