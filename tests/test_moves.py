"""One test class per move of Model 2 (in the style of Axelrod's per-strategy tests).

Each class checks when the move is on the menu, what it does to the state when it is made
(through the model's own ``play`` hook, as a human player would make it), and the
direction of its expected-utility terms on small hand-set states.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.choice import ACCEPT, REJECT, answer, choose
from sim.model.decision import WeekContext
from sim.model.economics import CN_TOOLS, FLOAT
from sim.model.events import MoveNotAvailable
from sim.model.model import TradeWarModel
from sim.model.moves import (
    INDEX,
    MOVES,
    AcknowledgeTalks,
    DenyTalks,
    Escalate,
    Hold,
    Offer,
    OfferPrivate,
    OpenChannel,
    StepDownAlone,
    StepDownMatched,
    StepDownPrivate,
    answered,
    channel_terms,
    coverage,
    leak_cost,
    step_down_terms,
)
from sim.model.packages import INDEX as PACKAGE_INDEX
from sim.model.packages import PACKAGES
from sim.model.transitions import layer_target

RUNS = 4
# deals stand once made, and nothing leaks, unless a test says otherwise
# no reneging, and every package open from the start (no drafting time for a lasting
# comprehensive agreement: tests/test_drafting.py tests that), so each move's mechanics
# can be tested on any package
STEADY = {"deal.renege_hazard": 0.0, "us.reopen_hazard": 0.0, "deal.drafting_weeks": 0}
QUIET = {**STEADY, "face.leak_probability": 0.0}
RATIFIED = {"decision.ratification_threshold": 0.0}  # every deal signed is carried out


def model(runs: int = RUNS, seed: int = 1, **overrides: float) -> TradeWarModel:
    """A baseline model with parameter overrides given as ``name__part=value``
    (``face__decay`` for ``face.decay``)."""
    p = {name.replace("__", "."): value for name, value in overrides.items()}
    return TradeWarModel(runs=runs, seed=seed, overrides={**STEADY, **p})


def with_params(p: dict[str, float], runs: int = RUNS, seed: int = 1) -> TradeWarModel:
    return TradeWarModel(runs=runs, seed=seed, overrides=p)


def fill(m: TradeWarModel, value: float) -> np.ndarray:
    return np.full(m.n, value, dtype=FLOAT)


def context(m: TradeWarModel) -> WeekContext:
    """A fresh week context after the state was set by hand."""
    m._open = None
    for gov in m.governments:
        gov.invalidate()
    return WeekContext(m)


def week(m: TradeWarModel, **moves: str) -> None:
    """One week with the given sides' moves made by the player hook (``us=...``)."""
    for side, move in moves.items():
        m.play(side, move)
    m.step()


def side_of(m: TradeWarModel, side: str):
    return m.us if side == "us" else m.cn


def every(x: np.ndarray) -> bool:
    return bool(np.all(x))


# --- the menu ------------------------------------------------------------------------------
class TestMenu:
    def test_menu_is_complete_and_unique(self):
        assert set(INDEX) == {"hold", "reject", "escalate", "open_channel", "deny_talks",
                              "acknowledge_talks", "offer", "accept", "step_down_alone",
                              "step_down_matched", "step_down_private", "offer_private"}
        assert len({type(m) for m in MOVES}) == len(MOVES) == len(INDEX)

    def test_only_accept_and_reject_are_answers(self):
        assert {m.name for m in MOVES if m.answer} == {"accept", "reject"}

    def test_every_move_has_metadata_and_finite_terms_where_available(self):
        m = model(runs=16)
        ctx = context(m)
        for move in MOVES:
            assert move.name and move.summary and move.cites
            for gov in m.governments:
                ok = move.available(gov, ctx)
                assert ok.dtype == bool and ok.shape == (m.n,)
                if ok.any() and not move.answer:
                    total = np.broadcast_to(move.terms(gov, ctx).total, (m.n,))
                    assert every(np.isfinite(total[ok]))


# --- Hold ----------------------------------------------------------------------------------
class TestHold:
    def test_always_available(self):
        m = model()
        ctx = context(m)
        for gov in m.governments:
            assert every(Hold().available(gov, ctx))

    def test_changes_no_tariff_tool_or_stance(self):
        m = model()
        before = {g.side: (g.tariff().copy(), dict(g.tools), g.acknowledges.copy())
                  for g in m.governments}
        week(m, us="hold", cn="hold")
        for gov in m.governments:
            tariff, tools, ack = before[gov.side]
            np.testing.assert_array_equal(gov.tariff(), tariff)
            for name, level in tools.items():
                np.testing.assert_array_equal(gov.tools[name], level)
            np.testing.assert_array_equal(gov.acknowledges, ack)
        assert every(m.us.choice == INDEX["hold"]) and every(m.cn.choice == INDEX["hold"])

    def test_terms_are_the_status_quo_plus_the_value_of_holding_out(self):
        m = model()
        ctx = context(m)
        for gov in m.governments:
            terms, now = Hold().terms(gov, ctx), ctx.outcome(gov, "now")
            np.testing.assert_allclose(terms.pain, now.pain)
            np.testing.assert_allclose(terms.attrition, ctx.attrition(gov))
            assert every(np.asarray(terms.face) == 0.0)

    def test_holding_out_is_worth_more_the_faster_the_rival_is_squeezed(self):
        """War of attrition: the rival's pressure growing faster brings its concession
        closer, so holding out is worth more (Fudenberg & Tirole 1986)."""
        values = []
        for growth in (0.0, 0.01, 0.05):
            m = model()
            m.pressure_growth["cn"] = fill(m, growth)
            values.append(context(m).attrition(m.us))
        assert every(np.diff(np.stack(values), axis=0) >= 0)
        assert every(values[-1] > values[0])


# --- Escalate ------------------------------------------------------------------------------
class TestEscalate:
    def test_us_escalation_raises_the_reciprocal_layer_by_one_step(self):
        m = model()
        start = m.us.layers["reciprocal"].copy()
        week(m, us="escalate", cn="hold")
        assert every(m.us.layers["reciprocal"] == start + m.p["us.escalation_step"])
        assert every(m.us.layers["fentanyl"] == 20.0)

    def test_escalation_is_a_public_commitment_that_adds_to_the_face_stock(self):
        held, raised = model(), model()
        week(held, us="hold", cn="hold")
        week(raised, us="escalate", cn="hold")
        kappa, decay = raised.p["face.escalation_commitment"], raised.p["face.decay"]
        np.testing.assert_allclose(raised.us.face, held.us.face + kappa * decay, rtol=1e-6)

    def test_escalation_rallies_the_rivals_hawks(self):
        held, raised = model(), model()
        week(held, us="hold", cn="hold")
        week(raised, us="escalate", cn="hold")
        hawks = [(a, b) for a, b in zip(held.cn.constituencies, raised.cn.constituencies,
                                        strict=True) if not a.economic]
        assert hawks
        for a, b in hawks:
            assert every(b.mobilisation > a.mobilisation)

    def test_us_at_its_tariff_ceiling_reaches_for_the_next_tool(self):
        m = model()
        m.us.layers["reciprocal"] = fill(m, m.p["us.max_reciprocal"])
        week(m, us="escalate", cn="hold")
        assert every(m.us.layers["reciprocal"] == m.p["us.max_reciprocal"])
        assert every(m.us.tools["transshipment"] == m.p["moves.tool_step"])

    def test_china_reaches_for_the_next_non_tariff_tool_never_a_tariff(self):
        m = model()
        start = {name: level.copy() for name, level in m.cn.tools.items()}
        retaliatory = m.cn.layers["retaliatory"].copy()
        week(m, us="hold", cn="escalate")
        np.testing.assert_array_equal(m.cn.layers["retaliatory"], retaliatory)
        # rare earths and films are already in full use: the farm diversion comes next
        assert every(m.cn.tools["farm_diversion"] == m.p["moves.tool_step"])
        for name in ("rare_earth", "films", "yuan", "treasuries"):
            np.testing.assert_array_equal(m.cn.tools[name], start[name])

    def test_china_turns_a_tool_up_to_full_use_before_the_next(self):
        m = model()
        week(m, us="hold", cn="escalate")
        week(m, us="hold", cn="escalate")
        week(m, us="hold", cn="escalate")
        assert every(m.cn.tools["farm_diversion"] == 1.0)
        assert every(m.cn.tools["yuan"] == m.p["moves.tool_step"])
        assert every(m.cn.tools["treasuries"] == 0.0)

    def test_china_with_every_tool_in_full_use_cannot_escalate(self):
        m = model()
        for name in CN_TOOLS:
            m.cn.tools[name] = fill(m, 1.0)
        assert not Escalate().available(m.cn, context(m)).any()
        assert "escalate" not in m.available_moves("cn")

    def test_coercion_needs_an_offer_that_lifts_what_was_escalated(self):
        """With the reciprocal layer at its ceiling the US escalation turns up the
        transshipment tool, which no package lifts: its leverage is the commitment's
        signal alone, the coercion part is exactly zero (Eaton & Engers 1992).  Raising
        the reciprocal layer, which its best offer would cut, does coerce."""
        capped = model(decision__rationality=3.0)
        capped.us.layers["reciprocal"] = fill(capped, capped.p["us.max_reciprocal"])
        ctx = context(capped)
        assert every(coverage(capped.us, ctx, "escalate:us") == 0.0)
        _, signal = ctx.commitment(capped.us, capped.p["face.escalation_commitment"])
        np.testing.assert_array_equal(Escalate().terms(capped.us, ctx).leverage, signal)

        m = model(decision__rationality=3.0)
        ctx = context(m)
        assert every(coverage(m.us, ctx, "escalate:us") == 1.0)
        _, signal = ctx.commitment(m.us, m.p["face.escalation_commitment"])
        assert every(Escalate().terms(m.us, ctx).leverage > signal)

    def test_an_answer_is_due_the_week_after_the_rival_escalates(self):
        m = model()
        ctx = context(m)
        assert not ctx.answer_due["cn"].any() and every(ctx.unanswered_cost(m.cn) == 0.0)
        week(m, us="escalate", cn="hold")
        ctx = context(m)
        assert every(ctx.answer_due["cn"]) and not ctx.answer_due["us"].any()
        # one broken commitment at the audience price of the face stock (lit-fearon1994)
        p = m.p
        unit = (p["face.backdown_weeks"] * p["face.escalation_commitment"]
                * p["face.multiplier_public"] * p["cn.answers_escalation"] / m.face_ref)
        np.testing.assert_allclose(ctx.unanswered_cost(m.cn), unit * m.cn.resolve, rtol=1e-6)
        by_type = ctx.unanswered_cost(m.cn, types=True)
        np.testing.assert_allclose(by_type, unit * np.broadcast_to(m.cn.types, by_type.shape),
                                   rtol=1e-6)
        # answering is what removes the cost: the escalation's face term carries it
        with_word = Escalate().terms(m.cn, ctx).face
        m.cn.escalated = np.zeros(m.n, dtype=bool)
        m.us.escalated = np.zeros(m.n, dtype=bool)
        plain = Escalate().terms(m.cn, context(m)).face
        np.testing.assert_allclose(with_word - plain, unit * m.cn.resolve, rtol=1e-5)
        # and the due answer lapses after a week
        week(m, us="hold", cn="hold")
        assert not context(m).answer_due["cn"].any()

    @pytest.mark.parametrize("committed", [1.0, 0.0])
    def test_a_committed_side_answers_at_best_response_an_uncommitted_one_does_not(
            self, committed):
        """China has said it fights to the end (cn-fight-to-end): at best response it
        answers a US escalation, unless it made no such commitment."""
        m = model(decision__best_response=1, cn__answers_escalation=committed)
        week(m, us="escalate", cn="hold")
        m.play("us", "hold")
        m.step()
        answered = m.cn.escalated
        assert every(answered) if committed else not answered.any()

    def test_deterrence_and_the_word_to_answer_are_switched_off_one_at_a_time(self):
        """``decision.expects_answers`` takes the rival's expected answer out of an
        escalation's value (deterrence) and nothing else; ``face.answer_commitment`` takes
        away the face of leaving an escalation unanswered and nothing else; per run too."""
        def terms(**flags):
            m = model(**flags)
            week(m, us="escalate", cn="hold")
            ctx = context(m)
            return (Escalate().terms(m.cn, ctx), ctx.unanswered_cost(m.cn),
                    answered(m.cn, ctx))
        both, due, expected = terms()
        assert every(due > 0) and every(expected < 0)  # the US can still answer
        blind, due_blind, expected_blind = terms(decision__expects_answers=0)
        np.testing.assert_allclose(blind.pain, both.pain - expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(blind.face, both.face)
        assert every(expected_blind == 0.0) and every(due_blind == due)
        free, due_free, expected_free = terms(face__answer_commitment=0)
        np.testing.assert_allclose(free.face, both.face - due, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(free.pain, both.pain)
        assert every(due_free == 0.0) and every(expected_free == expected)
        half = np.arange(RUNS) % 2 == 0  # one flag per run
        _, due_mixed, expected_mixed = terms(
            decision__expects_answers=half.astype(np.float32),
            face__answer_commitment=(~half).astype(np.float32))
        np.testing.assert_allclose(expected_mixed, np.where(half, expected, 0.0), rtol=1e-6)
        np.testing.assert_allclose(due_mixed, np.where(half, 0.0, due), rtol=1e-6)

    def test_an_observer_reads_an_answer_with_each_types_price_of_keeping_its_word(self):
        m = model()
        week(m, us="escalate", cn="hold")
        ctx = context(m)
        choose(m.cn, ctx)
        i = INDEX["escalate"]
        expected = (ctx.commitment_by_type(m.cn, m.p["face.escalation_commitment"])
                    + ctx.unanswered_cost(m.cn, types=True))
        np.testing.assert_allclose(m.cn.type_face[:, i, :], expected, rtol=1e-6)

    def test_coverage_follows_the_package(self):
        m = model()
        ctx = context(m)
        k = np.full(m.n, PACKAGE_INDEX["truce"], dtype=np.int16)
        assert every(coverage(m.us, ctx, "escalate:us", k) == 1.0)  # pauses the layer
        k[:] = PACKAGE_INDEX["fentanyl_for_precursors"]
        assert every(coverage(m.us, ctx, "escalate:us", k) == 0.0)  # fentanyl layer only
        k[:] = -1
        assert every(coverage(m.us, ctx, "escalate:us", k) == 0.0)  # no offer at all


# --- OpenChannel ---------------------------------------------------------------------------
class TestOpenChannel:
    def test_level_one_needs_no_consent(self):
        m = with_params({**STEADY, "initial.channel": 0})
        m.play("cn", "open_channel", level=1)
        m.step()
        assert every(m.channel == 1)
        assert every(m.cn.pending_kind == 0)

    def test_a_level_the_rival_refuses_for_certain_is_not_proposed_freely(self):
        """A leader call without groundwork costs China face for every level skipped. With
        no face stock China is indifferent and may consent; with a large one no type of
        China would, and the US does not propose the call of its own accord (a scenario or
        a player still may).  Nor does it where the call would be worth nothing to it (no
        better offer within reach: holding under another name, ``choice.moot``); without
        the back channel, whose offers need no call, run 0 has one."""
        m = with_params({**STEADY, "decision.best_response": 1, "us.leader_first": 1.0,
                         "channel.back_channel": 0})
        m.cn.face = np.array([0.0, 1e4, 0.0, 1e4], dtype=FLOAT)
        m.channel_target = m.channel_targets()  # as the week begins
        ctx = context(m)
        target = ctx.channel_target["us"]
        assert every(target == 4) and every(OpenChannel().available(m.us, ctx))
        hopeless = ctx.channel_chance(m.us, target) == 0
        assert every(hopeless == [False, True, False, True])
        np.testing.assert_array_equal(OpenChannel().chosen_freely(m.us, ctx), ~hopeless)
        m.context = ctx
        worth = channel_terms(m.us, ctx, target).total != ctx.hold(m.us).total
        choose(m.us, ctx)
        offered = np.isfinite(m.us.eu[INDEX["open_channel"]])
        np.testing.assert_array_equal(offered, ~hopeless & worth)
        assert offered[0]
        m.play("us", "open_channel", level=4)
        m.step()
        assert every(m.us.pending_kind == 2)

    def test_higher_levels_are_proposals_the_rival_must_accept(self):
        m = model()
        m.play("us", "open_channel", level=2)
        week(m, cn="hold")
        assert every(m.channel == 1)
        assert every((m.us.pending_kind == 2) & (m.us.pending_arg == 2))
        week(m, us="hold", cn="accept")
        assert every(m.channel == 2)
        # official talks are admitted by both, at a face cost to the side that denied them
        assert every(m.cn.acknowledges == 1.0) and every(m.cn.face_paid > 0.0)

    def test_a_rejected_upgrade_leaves_the_channel_where_it_was(self):
        m = model()
        m.play("us", "open_channel", level=2)
        week(m, cn="hold")
        week(m, us="hold", cn="reject")
        assert every(m.channel == 1)
        assert every(m.us.pending_kind == 0)  # the proposal lapses

    def test_not_available_at_the_top_level_or_with_a_proposal_pending(self):
        m = with_params({**STEADY, "initial.channel": 4})
        assert "open_channel" not in m.available_moves("us")
        m = model()
        m.us.pending_kind[:] = 1
        assert "open_channel" not in m.available_moves("us")

    def test_china_climbs_one_level_at_a_time_the_us_may_jump_to_leaders(self):
        m = model(runs=256)
        targets = m.channel_targets()
        assert every(targets["cn"] == m.channel + 1)
        assert set(np.unique(targets["us"])) == {2, 4}

    @pytest.mark.parametrize("side", ["us", "cn"])
    def test_the_value_of_an_upgrade_is_weighted_by_the_rivals_consent(self, side):
        """An upgrade every rival type refuses is worth no more than holding; one every type
        accepts is worth its whole gain (for China, less the face of admitting talks)."""
        m = model(decision__rationality=3.0, channel__back_channel=0)
        me = side_of(m, side)
        target = np.full(m.n, 3, dtype=np.int8)
        values = {}
        for consent in (-1e3, 1e3):
            ctx = context(m)
            ctx.upgrade_gaps = lambda gov, t, c=consent: np.full((3, m.n), c)  # type: ignore[method-assign]
            values[consent] = channel_terms(me, ctx, target).total - ctx.hold(me).total
        ctx = context(m)
        gain = ctx.upgrade_gain(me, target)
        assert every(gain != 0.0)
        np.testing.assert_allclose(values[-1e3], 0.0, atol=1e-6)
        np.testing.assert_allclose(values[1e3], gain, rtol=1e-5)


# --- DenyTalks -----------------------------------------------------------------------------
class TestDenyTalks:
    def test_only_while_acknowledging_and_at_working_level(self):
        m = model()
        ctx = context(m)
        assert every(DenyTalks().available(m.us, ctx))  # the US claims talks at level 1
        assert not DenyTalks().available(m.cn, ctx).any()  # China already denies them
        up = with_params({**STEADY, "initial.channel": 2})
        assert not DenyTalks().available(up.us, context(up)).any()

    def test_a_denial_retracts_the_stance_and_adds_to_the_face_stock(self):
        held, denied = model(), model()
        week(held, us="hold", cn="hold")
        week(denied, us="deny_talks", cn="hold")
        assert every(denied.us.acknowledges == 0.0)
        kappa, decay = denied.p["face.escalation_commitment"], denied.p["face.decay"]
        np.testing.assert_allclose(denied.us.face, held.us.face + kappa * decay, rtol=1e-6)

    def test_a_denial_is_a_commitment_with_a_face_cost_and_no_economic_effect(self):
        m = model()
        ctx = context(m)
        terms, hold = DenyTalks().terms(m.us, ctx), ctx.hold(m.us)
        np.testing.assert_allclose(terms.pain, hold.pain)
        assert every(np.asarray(terms.face) <= 0.0)
        cost, signal = ctx.commitment(m.us, m.p["face.escalation_commitment"])
        np.testing.assert_allclose(terms.face, cost)
        np.testing.assert_allclose(terms.leverage, signal)


# --- AcknowledgeTalks ----------------------------------------------------------------------
class TestAcknowledgeTalks:
    def test_only_for_a_side_that_denies_talks(self):
        m = model()
        ctx = context(m)
        assert every(AcknowledgeTalks().available(m.cn, ctx))
        assert not AcknowledgeTalks().available(m.us, ctx).any()

    def test_admitting_talks_flips_the_stance_at_a_face_cost(self):
        m = model()
        cost = context(m).acknowledge_cost(m.cn)
        assert every(cost > 0.0)
        week(m, us="hold", cn="acknowledge_talks")
        assert every(m.cn.acknowledges == 1.0)
        np.testing.assert_allclose(m.cn.face_paid, cost, rtol=1e-6)

    def test_its_face_cost_rises_with_resolve(self):
        m = model()
        m.cn.resolve = np.array([0.5, 1.0, 1.5, 2.0], dtype=FLOAT)
        face = AcknowledgeTalks().terms(m.cn, context(m)).face
        assert every(np.diff(face) < 0)

    def test_it_opens_the_way_to_public_offers(self):
        m = with_params({**STEADY, "initial.channel": 3})
        assert not Offer().available(m.cn, context(m)).any()
        week(m, us="hold", cn="acknowledge_talks")
        m._open = None
        assert every(Offer().available(m.cn, context(m)))


# --- Offer ---------------------------------------------------------------------------------
class TestOffer:
    def test_needs_the_side_to_acknowledge_talks(self):
        m = with_params({**STEADY, "initial.channel": 3})
        ctx = context(m)
        k, _ = ctx.best_offer(m.cn, private=False)
        assert every(k >= 0)  # there is a package to put forward...
        assert not Offer().available(m.cn, ctx).any()  # ...but not while denying talks
        m.cn.acknowledges = fill(m, 1.0)
        assert every(Offer().available(m.cn, context(m)))

    def test_a_package_with_no_chance_of_a_deal_is_not_tabled_freely(self):
        """Where a side's own votes at home have shown that it ratifies nothing on offer
        (its resistance is known to be above every package's support), its best offer has
        no chance of becoming a deal: the agent does not table it (it tied with holding,
        so the noise picked it as often, and the rival accepted some by the noise only for
        them to fail at home), while a player still may."""
        m = with_params({**STEADY, "initial.channel": 3})
        ctx = context(m)
        assert every(Offer().chosen_freely(m.us, ctx))
        shown = np.array([True, False, True, False])
        m.resistance_shown = True
        m.resistance_low["us"] = np.where(shown, 1.0, 0.0).astype(FLOAT)
        ctx = context(m)
        k, _ = ctx.best_offer(m.us, private=False)
        assert every(k >= 0) and every(Offer().available(m.us, ctx))
        assert every((ctx.offer_chance(m.us, k) == 0) == shown)
        np.testing.assert_array_equal(Offer().chosen_freely(m.us, ctx), ~shown)
        m.context = ctx
        choose(m.us, ctx)
        np.testing.assert_array_equal(np.isfinite(m.us.eu[INDEX["offer"]]), ~shown)
        np.testing.assert_array_equal(np.isfinite(m.us.eu[INDEX["offer_private"]]), ~shown)
        m.play("us", "offer")  # a player may still table it
        m.step()
        assert every(m.us.pending_kind == 1)

    def test_needs_the_channel_level_of_the_package(self):
        m = model()  # working level: no public offer at all
        assert not Offer().available(m.us, context(m)).any()
        m = with_params({**STEADY, "initial.channel": 3})
        with pytest.raises(MoveNotAvailable, match="comprehensive is not possible"):
            m.play("us", "offer", package="comprehensive")  # needs leaders
        assert "offer" in m.available_moves("us")

    def test_the_offer_is_the_package_of_highest_expected_gain(self):
        m = with_params({**STEADY, "initial.channel": 4})
        ctx = context(m)
        ok = ctx.offerable(m.us, private=False)
        gains = np.where(ok, np.stack([ctx.offer_gain(m.us, k) for k in range(len(PACKAGES))]),
                         -np.inf)
        m.play("us", "offer")
        m.step()
        assert every(m.us.pending_kind == 1)
        np.testing.assert_array_equal(m.us.pending_arg, gains.argmax(axis=0))

    @pytest.mark.parametrize("name", ["truce", "comprehensive", "us_gives_more"])
    def test_offer_then_accept_concludes_the_package_at_its_targets(self, name):
        k = PACKAGE_INDEX[name]
        pkg = PACKAGES[k]
        m = with_params({**QUIET, **RATIFIED, "initial.channel": pkg.channel})
        m.play("us", "offer", package=name)
        week(m, cn="hold")
        assert every((m.us.pending_kind == 1) & (m.us.pending_arg == k))
        week(m, us="hold", cn="accept")
        assert every(m.in_force[k] | (m.truce_left > 0))
        for gov, targets, lifted in ((m.us, pkg.us_layers, pkg.us_tools_lifted),
                                     (m.cn, pkg.cn_layers, pkg.cn_tools_lifted)):
            for layer, level in targets.items():
                target = layer_target(level, m.p, gov.side, layer)
                np.testing.assert_allclose(gov.layers[layer], target)
            for tool in lifted:
                assert every(gov.tools[tool] == 0.0)
        assert every(m.channel >= pkg.channel)
        assert every(m.cn.acknowledges == 1.0)  # signing a deal admits the talks

    def test_an_offer_not_taken_lapses_and_changes_nothing(self):
        m = with_params({**QUIET, "initial.channel": 3})
        start = {g.side: g.tariff().copy() for g in m.governments}
        m.play("us", "offer", package="truce")
        week(m, cn="hold")
        week(m, us="hold", cn="reject")
        assert every(m.us.pending_kind == 0)
        assert not m.concluded.any() and not m.in_force.any()
        for gov in m.governments:
            np.testing.assert_array_equal(gov.tariff(), start[gov.side])


# --- OfferPrivate --------------------------------------------------------------------------
class TestOfferPrivate:
    def test_needs_the_back_channel(self):
        m = model()
        assert every(OfferPrivate().available(m.cn, context(m)))  # at working level
        shut = model(channel__back_channel=0)
        assert not OfferPrivate().available(shut.cn, context(shut)).any()
        cut_off = with_params({**STEADY, "initial.channel": 0})
        assert not OfferPrivate().available(cut_off.cn, context(cut_off)).any()

    def test_any_scope_may_be_sounded_out_at_working_level(self):
        m = model()
        ctx = context(m)
        private = ctx.offerable(m.us, private=True)
        public = ctx.offerable(m.us, private=False)
        assert not public.any()
        assert private[PACKAGE_INDEX["comprehensive"]].all()

    def test_private_talks_start_without_admitting_them(self):
        m = with_params(QUIET)
        week(m, us="hold", cn="offer_private")
        assert every(m.cn.pending_kind == 1) and every(m.cn.pending_private)
        assert every(m.cn.acknowledges == 0.0)  # nothing admitted in public
        talks = m.p["channel.talks_weeks"]
        for gov in m.governments:
            assert every(gov.private_talks == talks - 1)

    def test_a_private_deal_signed_is_announced(self):
        m = with_params({**QUIET, **RATIFIED})
        week(m, us="hold", cn="offer_private")
        k = m.cn.pending_arg.copy()
        week(m, us="accept", cn="hold")
        assert every(m.concluded[k, np.arange(m.n)])
        assert every(m.cn.acknowledges == 1.0)
        channel = np.array([PACKAGES[j].channel for j in k])
        assert every(m.channel == channel)

    def test_its_risk_is_the_expected_cost_of_a_leak(self):
        m = model()
        ctx = context(m)
        risk = OfferPrivate().terms(m.cn, ctx).risk
        assert every(risk < 0.0)
        np.testing.assert_allclose(risk, -leak_cost(m.cn, ctx))
        # the US, which claims talks anyway, risks nothing by a leak
        assert every(np.asarray(OfferPrivate().terms(m.us, ctx).risk) == 0.0)


# --- Accept and Reject ---------------------------------------------------------------------
def offered(name: str, face: list[float],
            best_response: int = 1) -> tuple[TradeWarModel, WeekContext]:
    """A model in which the US has package ``name`` on the table and China's face stock
    differs run by run; China has answered (at best response unless told otherwise)."""
    pkg = PACKAGES[PACKAGE_INDEX[name]]
    m = with_params({**QUIET, "decision.best_response": best_response,
                     "initial.channel": pkg.channel}, runs=len(face))
    m.cn.face = np.array(face, dtype=FLOAT)
    m.us.pending_kind[:] = 1
    m.us.pending_arg[:] = PACKAGE_INDEX[name]
    ctx = context(m)
    m.context = ctx
    answer(m.cn, ctx)
    return m, ctx


class TestAccept:
    def test_available_only_with_a_proposal_on_the_table(self):
        m = model()
        assert "accept" not in m.available_moves("cn")
        m.us.pending_kind[:] = 3
        assert "accept" in m.available_moves("cn")
        m.us.pending_kind[:] = 0
        m.us.standing_kind[:] = 1
        assert "accept" in m.available_moves("cn")

    def test_accepted_exactly_where_the_deal_beats_holding_out(self):
        """The win-set (Putnam 1988; Rubinstein 1982): China takes the package where its
        terms beat holding out, and turns it down elsewhere."""
        k = PACKAGE_INDEX["comprehensive_controls"]
        m, ctx = offered("comprehensive_controls", [0.0, 2.0, 5.0, 12.0, 20.0, 40.0])
        gain = ctx.package_terms(m.cn, k).total - ctx.hold(m.cn).total
        assert (gain > 0).any() and (gain < 0).any()  # the hand-set state straddles it
        np.testing.assert_array_equal(m.cn.answer == ACCEPT, gain > 0)
        np.testing.assert_array_equal(m.cn.answer == REJECT, gain <= 0)
        np.testing.assert_allclose(m.cn.answer_gain, gain, rtol=1e-5, atol=1e-5)

    def test_the_margin_of_the_win_set_is_holding_out(self):
        """Shift the value of holding out so the deal beats it by a hair in half the runs
        and falls short by a hair in the rest: at best response the answer follows the
        sign exactly."""
        k = PACKAGE_INDEX["comprehensive_controls"]
        m, ctx = offered("comprehensive_controls", [0.0, 2.0, 5.0, 12.0, 20.0, 40.0])
        gain = ctx.package_terms(m.cn, k).total - ctx.hold(m.cn).total
        margin = np.array([1e-3, -1e-3] * 3, dtype=FLOAT)
        hold = ctx.hold(m.cn).plus(action=gain - margin)
        real = ctx.hold
        ctx.hold = lambda me: hold if me is m.cn else real(me)  # type: ignore[method-assign]
        answer(m.cn, ctx)
        np.testing.assert_array_equal(m.cn.answer == ACCEPT, margin > 0)

    def test_a_side_that_accepts_makes_no_other_move(self):
        m, ctx = offered("comprehensive_controls", [0.0, 2.0, 5.0, 12.0, 20.0, 40.0])
        choose(m.cn, ctx)
        yes = m.cn.answer == ACCEPT
        assert yes.any()
        assert every(m.cn.choice[yes] == INDEX["hold"])

    def test_accepting_matched_cuts_cuts_both_broad_layers(self):
        m = with_params(QUIET)
        start = {"us": m.us.layers["reciprocal"].copy(), "cn": m.cn.layers["retaliatory"].copy()}
        week(m, us="step_down_matched", cn="hold")
        week(m, us="hold", cn="accept")
        step = m.p["moves.tariff_step"]
        assert every(m.us.layers["reciprocal"] == start["us"] - step)
        assert every(m.cn.layers["retaliatory"] == start["cn"] - step)
        assert every(m.us.layers["fentanyl"] == 20.0)


class TestReject:
    def test_available_only_with_a_proposal_on_the_table(self):
        m = model()
        assert "reject" not in m.available_moves("us")
        m.cn.pending_kind[:] = 2
        assert "reject" in m.available_moves("us")

    def test_a_rejecting_side_still_chooses_from_its_whole_menu(self):
        """Answers are decided apart from moves: turning an offer down leaves the week's
        move free, so a counter-offer can follow (Rubinstein 1982)."""
        m, ctx = offered("comprehensive_controls", [0.0, 2.0, 5.0, 12.0, 20.0, 40.0])
        choose(m.cn, ctx)
        no = m.cn.answer == REJECT
        assert no.any()
        for name in ("escalate", "step_down_alone"):
            assert every(np.isfinite(m.cn.eu[INDEX[name], no]))
        # a counter-offer stays on the menu wherever the side would table it freely (a
        # package it reckons has some chance), the rejection notwithstanding; at the
        # default precision it does in every run that turned the offer down
        m, ctx = offered("comprehensive_controls", [0.0, 2.0, 5.0, 12.0, 20.0, 40.0],
                         best_response=0)
        choose(m.cn, ctx)
        no = m.cn.answer == REJECT
        assert no.any()
        free = OfferPrivate().chosen_freely(m.cn, ctx)[no]
        assert every(free)
        assert every(np.isfinite(m.cn.eu[INDEX["offer_private"], no]))

    def test_a_rejected_package_is_not_carried_out(self):
        m = with_params({**QUIET, "initial.channel": 3})
        m.play("us", "offer", package="truce")
        week(m, cn="hold")
        week(m, us="hold", cn="reject")
        assert not m.concluded.any()
        assert every(m.us.layers["reciprocal"] == 125.0)
        assert every(m.recorder.declined["cn"] == 1)


# --- StepDownAlone -------------------------------------------------------------------------
class TestStepDownAlone:
    def test_the_us_drops_the_fentanyl_layer_first_then_cuts_a_step(self):
        m = with_params(QUIET)
        week(m, us="step_down_alone", cn="hold")
        assert every(m.us.layers["fentanyl"] == 0.0)
        assert every(m.us.layers["reciprocal"] == 125.0)
        week(m, us="step_down_alone", cn="hold")
        assert every(m.us.layers["reciprocal"] == 125.0 - m.p["moves.tariff_step"])

    def test_china_cuts_its_retaliatory_layer_one_step(self):
        m = with_params(QUIET)
        week(m, us="hold", cn="step_down_alone")
        assert every(m.cn.layers["retaliatory"] == 125.0 - m.p["moves.tariff_step"])
        assert every(m.cn.tools["rare_earth"] == 1.0)

    def test_with_no_layer_left_it_eases_the_last_tool_in_force(self):
        m = with_params(QUIET)
        m.cn.layers["retaliatory"] = fill(m, 0.0)
        week(m, us="hold", cn="step_down_alone")
        assert every(m.cn.tools["films"] == 1.0 - m.p["moves.tool_step"])
        assert every(m.cn.tools["rare_earth"] == 1.0)

    def test_unavailable_with_nothing_left_to_give(self):
        m = model()
        m.cn.layers["retaliatory"] = fill(m, 0.0)
        for name in CN_TOOLS:
            m.cn.tools[name] = fill(m, 0.0)
        assert not StepDownAlone().available(m.cn, context(m)).any()

    def test_it_pays_public_face_and_gives_the_rival_cover(self):
        held, cut = with_params(QUIET), with_params(QUIET)
        week(held, us="hold", cn="hold")
        week(cut, us="step_down_alone", cn="hold")
        assert every(cut.us.face_paid > 0.0)
        assert every(cut.us.face < held.us.face)  # the commitment it breaks is used up
        assert every(cut.cn.face < held.cn.face)  # face-saving cover for China
        assert cut.recorder.kinds[cut.recorder.first_deesc_kind[0]] == "unilateral_us"

    def test_a_higher_resolve_raises_its_face_cost(self):
        m = model()
        m.us.resolve = np.array([0.5, 1.0, 1.5, 2.0], dtype=FLOAT)
        face = StepDownAlone().terms(m.us, context(m)).face
        assert every(face < 0.0) and every(np.diff(face) < 0)

    def test_chips_given_away_lower_the_value_of_holding_out_and_of_offers(self):
        """A unilateral cut gives away what the US could have traded for China's
        concession: switching ``moves.chips`` off removes that term, so the cut's
        attrition and leverage terms rise (Schelling 1960)."""
        key = "step_down:us"
        terms = {}
        for chips in (1, 0):
            m = model(decision__rationality=3.0, moves__chips=chips)
            terms[chips] = step_down_terms(m.us, context(m), key)
        assert every(terms[0].attrition > terms[1].attrition)
        assert every(terms[0].leverage > terms[1].leverage)
        for name in ("pain", "face", "tariff"):
            np.testing.assert_allclose(getattr(terms[0], name), getattr(terms[1], name))


# --- StepDownMatched -----------------------------------------------------------------------
class TestStepDownMatched:
    def test_needs_acknowledgement_and_something_for_the_rival_to_cut(self):
        m = model()
        ctx = context(m)
        assert every(StepDownMatched().available(m.us, ctx))
        assert not StepDownMatched().available(m.cn, ctx).any()  # China denies talks
        m.cn.layers["retaliatory"] = fill(m, 0.0)
        assert not StepDownMatched().available(m.us, context(m)).any()

    def test_not_proposed_freely_where_the_rival_turns_it_down_for_certain(self):
        """At best response a rival type takes matched cuts only where they beat holding
        out; with China's face stock far above the April count no type does, the US
        reckons the proposal certain to be turned down, and does not make it."""
        m = with_params({**QUIET, "decision.best_response": 1})
        m.cn.face = np.array([12.0, 1e4, 12.0, 1e4], dtype=FLOAT)
        ctx = context(m)
        assert every(StepDownMatched().available(m.us, ctx))
        hopeless = ctx.matched_chance(m.us) == 0
        np.testing.assert_array_equal(hopeless, [False, True, False, True])
        np.testing.assert_array_equal(StepDownMatched().chosen_freely(m.us, ctx), ~hopeless)
        m.context = ctx
        choose(m.us, ctx)
        np.testing.assert_array_equal(np.isfinite(m.us.eu[INDEX["step_down_matched"]]),
                                      ~hopeless)

    def test_a_proposal_cuts_nothing_until_matched(self):
        m = with_params(QUIET)
        week(m, us="step_down_matched", cn="hold")
        assert every(m.us.pending_kind == 3)
        assert every(m.us.layers["reciprocal"] == 125.0)
        assert every(m.cn.layers["retaliatory"] == 125.0)

    def test_a_proposal_left_with_nothing_to_cut_lapses_unanswered(self):
        """Matched cuts proposed before the layers came down some other way (here set to
        the floor by hand, as a deal signed in between would) cut nothing on either side:
        the proposal lapses unanswered, as a moot package does, and does not take the
        answering side's move that week (before the fix China accepted it half the time
        and held)."""
        m = with_params(QUIET)
        week(m, us="step_down_matched", cn="hold")
        assert every(m.us.pending_kind == 3)
        for gov, layer in ((m.us, "reciprocal"), (m.cn, "retaliatory")):
            gov.layers[layer] = np.where([True, True, False, False], 0.0,
                                         gov.layers[layer]).astype(FLOAT)
            gov.invalidate()
        week(m, us="hold", cn="hold")
        assert every(m.cn.answer[:2] == 0)  # nothing on the table: it lapsed
        assert every(m.cn.answer[2:] != 0)  # still a cut to match: answered
        assert every(m.us.pending_kind == 0)

    def test_a_standing_proposal_left_with_nothing_to_cut_lapses(self):
        """A scenario's standing matched cuts (a policy, forced, retried until taken) that
        a deal has left with nothing to cut on either side are not put to the rival; the
        proposal lapses and leaves the table, so the next round of the script can follow
        (before, it stood unanswered to the end of the year, blocking the rounds after
        it)."""
        from sim.io.scenario import Scenario
        from sim.model.events import AWAITING, LAPSED

        scenario = Scenario(name="matched", description="standing matched cuts", weeks=8,
                            parameters=QUIET, events=[
                                {"id": "round_1", "actor": "us", "move": "step_down_matched",
                                 "mode": "forced", "retry": True, "week": 0}])
        m = TradeWarModel(scenario, runs=RUNS, seed=1)
        m.cn.acknowledges = fill(m, 1.0)
        week(m)
        assert every(m.us.standing_kind == 3) and every(m.events.status[0] == AWAITING)
        gone = np.array([True, True, False, False])
        for gov, layer in ((m.us, "reciprocal"), (m.cn, "retaliatory")):
            gov.layers[layer] = np.where(gone, 0.0, gov.layers[layer]).astype(FLOAT)
            gov.invalidate()
        m.play("cn", "hold")
        m.step()
        assert every(m.events.status[0][gone] == LAPSED)
        assert every(m.us.standing_kind[gone] == 0)
        assert every(m.cn.answer[~gone] != 0)  # still a cut to match: put to China

    def test_both_proposing_in_the_same_week_cuts_both_broad_layers(self):
        m = with_params(QUIET)
        m.cn.acknowledges = fill(m, 1.0)
        week(m, us="step_down_matched", cn="step_down_matched")
        step = m.p["moves.tariff_step"]
        assert every(m.us.layers["reciprocal"] == 125.0 - step)
        assert every(m.cn.layers["retaliatory"] == 125.0 - step)
        assert every((m.us.pending_kind == 0) & (m.cn.pending_kind == 0))

    def test_a_matched_cut_costs_less_face_than_the_same_cut_alone(self):
        """Simultaneity lowers the face cost (Bagwell & Staiger 1999; Osgood 1962)."""
        m = model()
        ctx = context(m)
        p = m.p
        for gov in m.governments:
            size = ctx.concession_size(gov, ctx.state(gov, "matched"))
            alone = ctx.face_cost(gov, size, p["face.multiplier_public"])
            assert every(size > 0) and every(-ctx.matched_terms(gov).face < alone)

    def test_its_value_is_weighted_by_the_chance_the_rival_matches(self):
        m = model(decision__rationality=3.0)
        ctx = context(m)
        terms, hold, cut = (StepDownMatched().terms(m.us, ctx), ctx.hold(m.us),
                            ctx.matched_terms(m.us))
        lo = np.minimum(hold.total, cut.total) - 1e-6
        hi = np.maximum(hold.total, cut.total) + 1e-6
        assert every((terms.total >= lo) & (terms.total <= hi))


# --- StepDownPrivate -----------------------------------------------------------------------
class TestStepDownPrivate:
    def test_widens_exemptions_by_one_step(self):
        m = with_params(QUIET)
        start = m.cn.exempt.copy()
        tariff = m.cn.tariff().copy()
        week(m, us="hold", cn="step_down_private")
        np.testing.assert_allclose(m.cn.exempt, start + m.p["moves.exemption_step"])
        assert every(m.cn.layers["retaliatory"] == 125.0)
        assert every(m.cn.tariff() < tariff)

    def test_stops_at_the_most_that_can_stay_quiet(self):
        m = with_params(QUIET)
        cap = m.p["moves.max_exempt_share"]
        m.cn.exempt = fill(m, cap - 0.05)
        week(m, us="hold", cn="step_down_private")
        np.testing.assert_allclose(m.cn.exempt, cap)
        assert not StepDownPrivate().available(m.cn, context(m)).any()

    def test_unavailable_without_a_layer_to_exempt_goods_from(self):
        m = model()
        m.us.layers["reciprocal"] = fill(m, 0.0)
        assert not StepDownPrivate().available(m.us, context(m)).any()

    def test_small_face_cost_no_cover_and_an_outstanding_leak_risk(self):
        alone, quiet, held = with_params(QUIET), with_params(QUIET), with_params(QUIET)
        week(alone, us="hold", cn="step_down_alone")
        week(quiet, us="hold", cn="step_down_private")
        week(held, us="hold", cn="hold")
        assert every(quiet.cn.face_paid > 0.0) and every(quiet.cn.face_paid < alone.cn.face_paid)
        np.testing.assert_allclose(quiet.us.face, held.us.face)  # no cover for the US
        assert every(quiet.cn.private_out > 0.0)

    def test_the_leak_risk_term_vanishes_when_nothing_leaks(self):
        for side in ("us", "cn"):
            leaky, tight = model(), model(face__leak_probability=0.0)
            risk = {name: StepDownPrivate().terms(side_of(m, side), context(m)).risk
                    for name, m in (("leaky", leaky), ("tight", tight))}
            assert every(risk["leaky"] < 0.0)
            assert every(risk["tight"] == 0.0)
