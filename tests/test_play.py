"""Playing one side: the game logic, and the terminal game fed moves on standard input."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import numpy as np
import pytest

from sim.cli import main
from sim.io.scenario import Scenario
from sim.model.model import TradeWarModel
from sim.teach.play import Game, Option, debrief, percentile, play_terminal, side_key

from .conftest import ROOT, SCENARIOS


@pytest.fixture(scope="module")
def talk():
    from sim.io.scenario import load_scenario

    return load_scenario(SCENARIOS / "talk_dont_yield.yaml")


def test_side_names():
    assert side_key("China") == side_key("cn") == "cn"
    assert side_key("US") == "us"
    with pytest.raises(ValueError):
        side_key("mars")


def test_percentile_counts_ties_half():
    values = np.array([1.0, 2.0, 3.0, 4.0])
    assert percentile(values, 0.5) == 0
    assert percentile(values, 10) == 100
    assert percentile(values, 2.0) == pytest.approx(37.5)


def test_the_menu_is_the_agents_menu(baseline):
    game = Game.new(baseline, "china")
    assert game.menu() == game.model.available_moves("cn")
    assert "hold" in game.menu()


def test_holding_every_week_is_a_run_of_the_same_model(baseline):
    """The student's moves go through the model's own hook: a game in which the student
    makes the agent's exact choices reproduces the agent's run."""
    agent = TradeWarModel(baseline, runs=1, seed=5, sample=1)
    game = Game.new(baseline, "us", seed=5)
    for _ in range(12):
        agent.step()
    choices = agent.recorder.paths_frame()["us_move"].astype(str).tolist()[1:13]
    args = agent.recorder.paths_frame()["us_move_arg"].tolist()[1:13]
    for move, arg in zip(choices, args, strict=True):
        option = None
        if move == "open_channel" and arg >= 0:
            option = Option("level", int(arg), "")  # -1: the agent's own target level
        elif move == "offer" and arg >= 0:
            option = Option("package", None, "")
        game.play(move, option)
    assert np.allclose(game.model.recorder.tariff["cn"][:13, 0],
                       agent.recorder.tariff["cn"][:13, 0])
    assert np.isclose(game.model.cn.cum_pain[0], agent.cn.cum_pain[0])


def test_escalating_raises_the_us_tariff_and_is_reported(baseline):
    game = Game.new(baseline, "us", weeks=4)
    before = game.snapshot()["us_tariff"]
    turn = game.play("escalate")
    assert game.snapshot()["us_tariff"] > before
    assert turn.week == 1 and turn.player_move == "escalate"
    assert "US tariff" in turn.consequences and "->" in turn.consequences
    assert turn.rival_text.startswith("China ")


def test_options_are_valid_moves(talk):
    game = Game.new(talk, "cn", weeks=3)
    offers = game.options("offer")
    assert offers[0].value is None and {o.value for o in offers[1:]} >= {
        "fentanyl_for_precursors"}
    levels = game.options("open_channel")
    assert [o.value for o in levels] == [3, 4]  # deputy talks already
    game.play("open_channel", levels[-1])
    assert game.week == 1


def test_debrief_compares_with_agents(baseline):
    game = Game.new(baseline, "china", weeks=6)
    for _ in range(6):
        game.play("hold" if "hold" in game.menu() else "reject")
    assert game.done
    text = debrief(game, game.agent_ensemble(runs=60))
    assert "Compared with 60 runs" in text
    assert "percentile" in text and "Agents' outcomes" in text
    assert "hold" in text


def _transcript(scenario, side, moves, **kw):
    game = Game.new(scenario, side, **kw)
    out = io.StringIO()
    play_terminal(game, io.StringIO(moves), out, debrief_runs=50)
    return game, out.getvalue()


def test_terminal_game_reads_moves_and_tells_consequences(talk):
    game, text = _transcript(talk, "cn", "hold\n2\nq\n", weeks=8)
    assert "You play China; the agent plays the US" in text
    assert "Week 1 of 8 (01 Sep 2025)" in text
    assert "Your moves:" in text and "1. hold" in text
    assert "You: China holds its position." in text
    assert "Week 2 (08 Sep 2025):" in text
    assert game.week == 2
    assert "Debrief: 2 weeks of 'talk_dont_yield'" in text


def test_terminal_game_reprompts_on_bad_input_and_ends_cleanly_at_eof(baseline):
    game, text = _transcript(baseline, "us", "invade\n99\n\nescalate\n", weeks=5)
    assert "Not on this week's menu: 'invade'" in text
    assert "Not on this week's menu: '99'" in text
    assert "Please choose a move." in text
    assert "You: The US escalates." in text
    assert "(end of input: the game stops here)" in text
    assert game.week == 1
    assert "Debrief: 1 weeks" in text or "Debrief: 1 week" in text


def test_terminal_game_asks_for_the_level_with_a_default(baseline):
    _game, text = _transcript(baseline, "china", "open_channel\n\n", weeks=3)
    assert "open_channel: choose one" in text and "(default)" in text
    assert "You: China proposes deputy-level talks." in text


def test_a_full_game_ends_with_a_debrief(baseline):
    game, text = _transcript(baseline, "us", "1\n" * 3, weeks=3)
    assert game.done and "(end of input" not in text
    assert "Debrief: 3 weeks" in text and "Your world with the agent in your seat" in text


def test_eof_before_any_move(baseline):
    _game, text = _transcript(baseline, "us", "", weeks=3)
    assert "no week was played" in text


def test_cli_play_through_stdin():
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "play", "--as", "china",
         str(SCENARIOS / "talk_dont_yield.yaml"), "--weeks", "4", "--seed", "11",
         "--debrief-runs", "40"],
        input="hold\nhold\nhold\nhold\n", capture_output=True, text=True, cwd=ROOT,
        timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Week 4 (" in out and "Debrief: 4 weeks of 'talk_dont_yield' (seed 11)" in out
    assert out.count("Your moves:") == 4


def test_cli_play_refuses_bad_input(capsys):
    assert main(["play", "--as", "us", str(SCENARIOS / "baseline.yaml"),
                 "--set", "face.decy=1"]) == 2
    assert "unknown parameter" in capsys.readouterr().err


def test_the_student_answers_a_proposal_on_the_table(baseline):
    """Answers are decided apart from the week's move: with the rival's proposal on the
    table the menu offers accept and reject in words that name it, and answering holds."""
    game = Game.new(baseline, "china", seed=5, weeks=12)
    while not game.answerable():
        assert "accept" not in game.menu()
        game.play("hold")
        assert not game.done, "the agent made no proposal in 12 weeks of seed 5"
    menu = game.menu()
    assert {"accept", "reject"} <= set(menu)
    assert "the US's proposal: " in game.move_words("accept")
    assert game.move_words("reject").startswith("turn down the US's proposal")
    out = io.StringIO()
    from sim.teach.play import _choose_move
    assert _choose_move(game, io.StringIO("reject\n"), out)[0] == "reject"
    assert "turn down the US's proposal" in out.getvalue()
    turn = game.play("reject")
    assert turn.player_move == "reject"
    assert turn.player_text.startswith("You: China turns down the US's proposal")
    assert not game.answerable() or "standing" in game.pending_text()


def test_the_transcript_says_who_answered_and_what_came_of_it(baseline):
    """With the rival's proposal on the table and another move made, the agent's rule
    answers for the student, and the transcript says so rather than telling the answer as
    the student's; an accepted package that is not signed says why (here both sides'
    politics reject a pause every group must approve)."""
    game = Game.new(baseline, "china", seed=5, weeks=12)
    while not game.answerable():
        game.play("hold")
    turn = game.play("hold")
    assert turn.player_move == "hold"
    assert re.fullmatch(r"You: China holds its position; your agent's rule "
                        r"(accepts|turns down) the US's proposal for you\..*",
                        turn.player_text), turn.player_text
    strict = Scenario(name="strict", description="a pause every group must approve", weeks=4,
                      initial={"channel": 3},
                      parameters={"decision.ratification_threshold": 0.99,
                                  "ratification.noise": 0.0, "decision.best_response": 1},
                      events=[{"actor": "us", "move": "offer", "package": "truce",
                               "mode": "forced"}])
    game = Game.new(strict, "china", seed=1)
    game.play("hold")
    turn = game.play("accept")
    assert turn.player_text == ("You: China accepts the US's proposal. It fails at home: its "
                                "ratification fails on both sides, and nothing is signed.")


def test_menu_numbers_mean_the_same_move_every_week(baseline):
    """Typing a number always means the same move: numbers follow the fixed move order,
    so answers (accept, reject) appearing on the menu do not shift the others."""
    from sim.teach.play import _choose_move, move_number

    game = Game.new(baseline, "china", seed=5, weeks=12)
    seen: dict[int, str] = {}
    while not game.done:
        out = io.StringIO()
        _choose_move(game, io.StringIO("1\n"), out)
        for line in out.getvalue().splitlines():
            head = line.strip().split(".", 1)
            if head[0].isdigit():
                number, name = int(head[0]), head[1].split()[0]
                assert seen.setdefault(number, name) == name
                assert move_number(name) == number
        game.play("hold")
    assert seen[1] == "hold"


def test_a_non_tariff_tool_change_is_named(baseline):
    """An escalation or concession by a non-tariff tool says which tool (the tariff lines
    alone showed nothing)."""
    game = Game.new(baseline, "us", seed=5, weeks=4)
    before = game.snapshot()
    assert before["tool:cn:films"] == 1.0 and before["tool:us:transshipment"] == 0.0
    before["tool:cn:films"] = 0.0  # as if the film curbs had been off a week ago
    before["tool:us:transshipment"] = 1.0  # and the clauses on
    text = game.consequences(before)
    assert "China imposes curbs on US films" in text
    assert "the US lifts anti-transshipment clauses" in text
    assert "rare-earth" not in game.consequences(game.snapshot())
