"""Scenario events (forced, proposed, conditional) and the parameter table."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.io.scenario import Scenario
from sim.model import parameters
from sim.model.decision import WeekContext
from sim.model.events import DECLINED, DONE, PENDING
from sim.model.model import TradeWarModel
from sim.model.moves import INDEX
from sim.reports.explain import narrate, replay_run
from sim.reports.replay import stop_reason


def model_with(events: list[dict], runs: int = 500, weeks: int = 3, **params) -> TradeWarModel:
    scenario = Scenario(name="probe", description="events", weeks=20, events=events,
                        parameters=params)
    model = TradeWarModel(scenario, runs=runs, seed=8)
    for _ in range(weeks):
        model.step()
    return model


def test_forced_event_fires_in_every_run_at_its_week():
    m = model_with([{"actor": "us", "move": "escalate", "mode": "forced", "week": 2}])
    assert np.all(m.events.status[0] == DONE)
    assert np.all(m.events.fired_week[0] == 2)


def test_proposed_event_is_the_agents_choice():
    """A proposal is taken by the same logit rule as any move: admitting talks after
    denying them costs China face, so it is mostly declined; with no face at stake it is
    taken far more often; with random choice about half are taken."""
    proposal = [{"actor": "cn", "move": "acknowledge_talks", "mode": "proposed"}]
    costly = model_with(proposal).events.status[0]
    assert set(np.unique(costly)) <= {DONE, DECLINED}
    assert np.mean(costly == DONE) < 0.2
    free = model_with(proposal, **{"face.acknowledge_size": 0.0})
    assert np.mean(free.events.status[0] == DONE) > np.mean(costly == DONE) + 0.2
    random = model_with(proposal, **{"decision.rationality": 0.0})
    assert 0.4 < np.mean(random.events.status[0] == DONE) < 0.6


def test_an_agent_that_already_chose_the_proposed_step_takes_it():
    """A proposed step the agent would make anyway is taken, never counted as declined
    (not a coin flip at zero gain): China answering an escalation it was going to answer."""
    own = model_with([], weeks=2).cn.choice == INDEX["hold"]  # week 1, no script
    assert 0.2 < own.mean() < 1.0
    m = model_with([{"actor": "cn", "move": "hold", "mode": "proposed", "week": 1}], weeks=2)
    assert np.all(m.events.status[0][own] == DONE)
    assert not m.events.declines[0][own].any()


def test_a_proposed_answer_follows_the_sides_own_tie_rule_at_best_response():
    """At best response a side accepts an offer only on a gain (``choice.answer``): a
    scenario's proposed acceptance is declined on a gain of exactly 0, and a proposed
    rejection taken (before, a proposed acceptance went along on a tie)."""
    for move, taken in (("accept", False), ("reject", True)):
        scenario = Scenario(name="tie", description="a tie", weeks=4, events=[
            {"actor": "cn", "move": move, "mode": "proposed", "week": 0}],
            parameters={"decision.best_response": 1})
        m = TradeWarModel(scenario, runs=4, seed=1)
        m._open = None
        m.channel_target = m.channel_targets()
        m.context = ctx = WeekContext(m)
        m.cn.answer_gain = np.zeros(4, dtype=np.float32)  # every offer a tie
        m.cn.answer = np.full(4, 2, dtype=np.int8)
        m.cn.answer_scripted = np.zeros(4, dtype=bool)
        m.events._answer(0, m.events.events[0], m.cn, ctx, np.ones(4, dtype=bool), None,
                         np.full(4, 0.5))
        assert np.all(m.events.status[0] == (DONE if taken else DECLINED)), move
        assert np.all(m.cn.answer_scripted == taken), move


def test_conditions_chain_events():
    m = model_with([
        {"id": "hike", "actor": "us", "move": "escalate", "mode": "forced", "week": 1},
        {"id": "answer", "actor": "cn", "move": "escalate", "mode": "forced",
         "when": {"after": "hike"}},
        {"id": "never", "actor": "cn", "move": "hold", "mode": "forced",
         "when": {"variable": "us.tariff", "op": "<", "value": 10}},
    ])
    assert np.all(m.events.fired_week[0] == 1)
    # China moves after the US within a week, so it can answer in the same week
    assert np.all(m.events.fired_week[1] == 1)
    # tools are graded: one escalation turns the next tool up one notch (where no deal
    # signed since lifted it)
    kept = m.recorder.deal_week < 0
    assert kept.mean() > 0.9
    assert np.all(m.cn.tools["farm_diversion"][kept] >= m.p["moves.tool_step"])
    assert np.all(m.events.status[2] == PENDING)


def test_every_default_is_inside_its_range_and_whole_where_required():
    for p in parameters.PARAMS:
        assert p.lo <= p.default <= p.hi, p.name
        if p.integer:
            assert p.default == int(p.default), p.name
        if p.sweep:
            assert p.lo <= p.sweep[0] < p.sweep[1] <= p.hi, p.name
        assert p.doc and p.unit, p.name


def test_constituency_weights_sum_to_one():
    for side in ("us", "cn"):
        total = sum(p.default for p in parameters.PARAMS
                    if p.name.startswith(f"constituency.{side}."))
        assert math.isclose(total, 1.0), side


def test_check_names_the_problem():
    with pytest.raises(KeyError, match=r"did you mean 'face\.decay'"):
        parameters.check("face.decai", 0.9)
    with pytest.raises(ValueError, match=r"outside \[0.5, 1\]"):
        parameters.check("face.decay", 1.2)
    with pytest.raises(ValueError, match="whole number"):
        parameters.check("initial.channel", 1.5)
    with pytest.raises(ValueError, match="must be a number"):
        parameters.check("face.decay", True)
    assert parameters.resolve({"face.decay": 0.9})["face.decay"] == 0.9


def test_overrides_reach_the_model():
    m = TradeWarModel(runs=3, overrides={"initial.us_reciprocal": 50})
    assert np.all(m.us.layers["reciprocal"] == 50)


def test_an_accepted_package_that_fails_at_home_has_not_taken_effect():
    """A standing offer the rival accepted but one side's constituencies did not ratify
    (lit-putnam1988) has not taken effect: a step conditioned on it waits, and with retry
    the offer stays on the table; where it is signed, the step follows."""
    from sim.experiments.ensemble import run_ensemble

    scenario = Scenario(
        name="swap", description="a swap that may fail at home", weeks=4,
        initial={"channel": 2},
        parameters={"deal.renege_hazard": 0.0, "us.reopen_hazard": 0.0},
        events=[{"id": "swap", "actor": "us", "move": "offer", "mode": "forced",
                 "package": "fentanyl_for_precursors", "retry": True},
                {"id": "yes", "actor": "cn", "move": "accept", "mode": "forced", "week": 1},
                {"id": "next", "actor": "us", "move": "hold", "mode": "forced",
                 "when": {"after": "swap"}}])
    runs = run_ensemble(scenario, runs=400, seed=3, path_sample=0).runs
    status = runs["event_swap"].astype(str)
    assert set(status) <= {"accepted", "awaiting", "lapsed"}
    waiting = (status == "awaiting") & (runs["failed_at_home"] > 0)
    assert waiting.sum() > 20  # failed at home, still on the table at the horizon
    assert (runs.loc[status == "awaiting", "event_next"] == "pending").all()
    assert (runs.loc[status == "accepted", "event_next"] == "done").all()
    # the replay names the failures at home as the reason the path stopped, not China
    assert (runs.loc[waiting, "event_swap_failed"] > 0).all()
    reasons = stop_reason(runs, "swap", "us")
    rejected_later = (runs["event_swap_rejected"] > 0).to_numpy()
    assert set(reasons[waiting.to_numpy() & rejected_later]) == {
        "failed at home when accepted, rejected by China when put again"}
    assert set(reasons[waiting.to_numpy() & ~rejected_later]) <= {
        "accepted by China, but failed at home each time (not ratified)"}
    # and explain tells the week it failed
    k = int(np.flatnonzero(waiting.to_numpy())[0])
    text = narrate(replay_run(scenario, seed=3, run=k))
    line = next(x for x in text.splitlines() if "China accepts the US proposal standing on "
                "the table (scenario step 'swap')" in x)
    assert "It fails at home: its ratification fails in" in line


def test_a_proposed_offer_the_agent_reckons_hopeless_is_still_weighed():
    """A proposed offer without a named package is weighed against holding like any
    proposed step, also where the agent, reckoning it no chance of a deal, would not make
    it of its own accord (its own menu then has no terms for it): before, it was tabled
    unweighed there, so whether it was declined depended on the other runs in the model."""
    scenario = Scenario(name="quiet", description="a proposed private offer", weeks=2,
                        parameters={"decision.best_response": 1, "decision.action_cost": 0.5},
                        events=[{"id": "sound_out", "actor": "us", "move": "offer_private",
                                 "mode": "proposed"}])
    m = TradeWarModel(scenario, runs=4, seed=1)
    m.resistance_shown = True  # the US's votes at home have shown it ratifies nothing
    m.resistance_low["us"] = np.ones(m.n, dtype=np.float32)
    m.step()
    assert not np.isfinite(m.us.eu[INDEX["offer_private"]]).any()  # not on its own menu
    runs = m.recorder.runs_frame()
    assert (runs["event_sound_out"] == "declined").all()
    assert (runs["event_sound_out_declined"] == 1).all()
