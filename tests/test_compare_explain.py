"""``tradewar compare`` (common random numbers, computed intervals) and ``tradewar explain``
(narratives built from the recorded terms, reproducible from results)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.compare import paired_difference, run_comparison
from sim.io.scenario import load_scenario
from sim.model.decision import CONSTANT_TERMS, TERM_NAMES
from sim.model.model import TradeWarModel
from sim.reports.explain import (
    DEAL_EVENT_WORDS,
    TERM_WORDS,
    RunStory,
    _state_change,
    decision_week,
    main_reason,
    narrate,
    reasons,
    replay_run,
    week_sentence,
)

from .conftest import SCENARIOS


def test_a_scenario_compared_with_itself_differs_by_exactly_zero(baseline):
    comparison = run_comparison([baseline, baseline.model_copy(update={"name": "again"})],
                                runs=600, seed=2)
    again = comparison.table[comparison.table["scenario"] == "again"]
    shares = again[again["diff_vs_first"].notna()]
    assert (shares["diff_vs_first"] == 0).all()
    assert (shares["diff_low"] == 0).all() and (shares["diff_high"] == 0).all()
    first, second = (e.runs for e in comparison.ensembles)
    pd.testing.assert_series_equal(first["outcome"], second["outcome"])  # same draws


def test_paired_differences_have_computed_intervals():
    rng = np.random.default_rng(0)
    a = rng.random(4000) < 0.6
    b = a.copy()
    flip = rng.random(4000) < 0.1
    b[flip] = ~b[flip]
    diff, low, high = paired_difference(a, b, np.random.default_rng(1))
    assert diff == (a.astype(int) - b.astype(int)).mean()
    assert low < diff < high and high - low < 0.05
    # pairing matters: the paired interval is narrower than for independent samples
    se_independent = np.sqrt(a.mean() * (1 - a.mean()) / 4000 * 2)
    assert (high - low) < 2 * 1.96 * se_independent


def test_compare_command_writes_table_and_figure(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", str(SCENARIOS / "baseline.yaml"),
                 str(SCENARIOS / "fentanyl_first.yaml"), "--runs", "400", "--seed", "5",
                 "--out", str(out), "--no-progress"])
    assert code == 0
    text = capsys.readouterr().out
    assert "common random numbers" in text and "fentanyl_first" in text
    table = pd.read_csv(out / "compare.csv")
    assert set(table["scenario"]) == {"baseline", "fentanyl_first"}
    rows = table[(table["scenario"] == "fentanyl_first") & table["diff_vs_first"].notna()]
    assert ((rows["diff_low"] <= rows["diff_vs_first"])
            & (rows["diff_vs_first"] <= rows["diff_high"])).all()
    assert (out / "compare.png").stat().st_size > 10_000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and len(manifest["scenarios"]) == 2
    runs_a = pd.read_parquet(out / "runs_baseline.parquet")
    runs_b = pd.read_parquet(out / "runs_fentanyl_first.parquet")
    assert (runs_a["us_resolve"] == runs_b["us_resolve"]).all()  # common random numbers


def test_compare_refuses_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\n")
    assert main(["compare", str(SCENARIOS / "baseline.yaml"), str(bad),
                 "--out", str(tmp_path / "o")]) == 2
    assert "description: required field is missing" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def _week_block(text: str, week: int) -> str:
    """The lines the narrative tells under the heading of week ``week``."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"Week {week} ("))
    end = next((i for i in range(at + 1, len(lines)) if lines[i].startswith("Week")),
               len(lines))
    return "\n".join(lines[at:end])


def _row(**diffs: float) -> pd.Series:
    """A recorded week for the US whose terms differ from the alternative's by ``diffs``."""
    values = {"us_move": "hold", "us_runner_up": "escalate", "us_move_arg": -1,
              "us_margin": sum(diffs.values()), "us_event": "", "us_answer": "",
              "us_answer_gain": 0.0}
    for t in TERM_NAMES:
        values[f"us_{t}_term"], values[f"us_{t}_alt"] = diffs.get(t, 0.0), 0.0
    return pd.Series(values)


def test_every_term_has_words_and_constant_costs_are_never_the_reason():
    assert set(TERM_WORDS) == set(TERM_NAMES)
    assert TERM_WORDS["risk"] == "the risk of a leak"
    assert TERM_WORDS["leverage"] == "its effect on the rival's willingness to settle"
    assert "action" in CONSTANT_TERMS
    row = _row(action=5.0, face=0.3, pain=-0.2)
    assert main_reason(row, "us") == "face"
    assert reasons(row, "us") == "face +0.3, economic pain -0.2"
    assert TERM_WORDS["action"] not in week_sentence(row, "us")
    only_constant = _row(action=5.0)
    assert main_reason(only_constant, "us") is None
    assert not reasons(only_constant, "us").startswith(TERM_WORDS["action"])
    # where the constant cost decided the choice, the sentence says so (a status-quo
    # bias holding a side back is not hidden behind the term that lost)
    decided = _row(action=1.0, face=-0.3, pain=-0.2)
    assert main_reason(decided, "us") == "face"
    assert reasons(decided, "us") == ("face -0.3, economic pain -0.2, and the cost of "
                                      "changing course +1.0, without which the other option "
                                      "was ahead")


def test_narrative_reasons_come_from_the_recorded_terms(baseline):
    story = replay_run(baseline, seed=11, run=1500)
    text = narrate(story)
    assert text.startswith("Run 1500 of 'baseline'")
    told = 0
    for t in range(1, len(story.paths)):
        row = story.paths.iloc[t]
        for side in ("us", "cn"):
            if row[f"{side}_move"] != "hold" and row[f"{side}_runner_up"]:
                assert reasons(row, side) in _week_block(text, t - 1)
                told += 1
    assert told > 0


def test_changing_a_parameter_changes_the_reason_given(baseline):
    """Run 351's US denies talks in week 0 rather than sound out a package in private: face
    is the reason; doubling the face cost of backing down doubles that reason."""
    default = replay_run(baseline, seed=11, run=351)
    dearer = replay_run(baseline, seed=11, run=351, overrides={"face.backdown_weeks": 78.0})
    rows = default.paths.iloc[1], dearer.paths.iloc[1]  # the decisions of week 0
    for row in rows:
        assert (row["us_move"], row["us_runner_up"]) == ("deny_talks", "offer_private")
        assert main_reason(row, "us") == "face"
    face = [float(r["us_face_term"] - r["us_face_alt"]) for r in rows]
    assert face[1] == pytest.approx(2 * face[0], rel=0.05) and face[0] < -0.2
    told = [_week_block(narrate(s), 0).splitlines()[1] for s in (default, dearer)]
    assert told[0].endswith(f" face -{abs(face[0]):.1f}.")
    assert told[1].endswith(f" face -{abs(face[1]):.1f}.")
    assert told[0] != told[1]


def test_answers_to_proposals_are_told_each_week_they_happen(baseline):
    story = replay_run(baseline, seed=11, run=3)
    text = narrate(story)
    rival = {"us": "Chinese", "cn": "US"}
    who = {"us": "The US", "cn": "China"}
    counts = {"accept": 0, "reject": 0}
    for t in range(1, len(story.paths)):
        row = story.paths.iloc[t]
        for side in ("us", "cn"):
            answer, gain = str(row[f"{side}_answer"]), float(row[f"{side}_answer_gain"])
            if answer == "accept" and gain >= 0:
                said = (f"{who[side]} accepts the {rival[side]} proposal (gain {gain:+.1f} "
                        "weeks of pain over holding out)")
            elif answer == "accept":  # a noisy acceptance says it was against the margin
                said = (f"{who[side]} accepts the {rival[side]} proposal (although it would "
                        f"lose {-gain:.1f} weeks of pain against holding out)")
            elif answer == "reject" and gain <= 0:
                said = (f"{who[side]} turns down the {rival[side]} proposal (it would lose "
                        f"{-gain:.1f} weeks of pain by accepting)")
            elif answer == "reject":
                said = (f"{who[side]} turns down the {rival[side]} proposal (although "
                        f"accepting would gain it {gain:+.1f} weeks of pain)")
            else:
                continue
            assert said in _week_block(text, t - 1)
            counts[answer] += 1
    assert counts["accept"] >= 1 and counts["reject"] >= 1


def test_forced_and_proposed_steps_say_so_at_the_scenario_week(capsys):
    """Row t of the paths holds week t-1's decisions: a forced event with ``week: n`` is told
    under "Week n (its date)", with the agent's own rating, never as bounded rationality."""
    path = SCENARIOS / "escalation_spiral.yaml"
    scenario = load_scenario(path)
    # run 0 makes every forced hike at its week (in run 1 the US, answering China's
    # answers, has no step left in week 8, so the third waits: test_scenario_library)
    story = replay_run(scenario, seed=1, run=0)
    text = narrate(story)
    modes = {e.id: e.mode for e in scenario.events}
    forced = [e for e in scenario.events if e.mode == "forced"]
    assert forced[0].id == "us_hike_1" and forced[0].week == 1
    for ev in forced:
        assert story.row[f"event_{ev.id}_week"] == ev.week
        first = text.index(f"'{ev.id}'")
        heading = text.rfind("\nWeek ", 0, first) + 1
        date = scenario.start_date + dt.timedelta(weeks=ev.week)
        assert text[heading:].startswith(f"Week {ev.week} ({date:%d %b %Y}):")
    seen = {"forced": 0, "proposed": 0, "bounded": 0, "tie": 0}
    for t in range(1, len(story.paths)):
        row = story.paths.iloc[t]
        for side in ("us", "cn"):
            said, event = week_sentence(row, side, modes), str(row[f"{side}_event"])
            if event:
                assert "bounded-rationality" not in said
                if modes[event] == "forced" and not np.isfinite(row[f"{side}_margin"]):
                    # bound by a deal in force, the agent would not have escalated
                    assert (f"forced by the scenario step '{event}'; not a move it would "
                            "have had on its own menu" in said)
                    seen["forced"] += 1
                elif modes[event] == "forced":
                    assert f"forced by the scenario step '{event}'; its own rating: " in said
                    seen["forced"] += 1
                else:
                    assert f"proposed by the scenario step '{event}', and taken" in said
                    seen["proposed"] += 1
            elif row[f"{side}_runner_up"] and abs(row[f"{side}_margin"]) < 0.005:
                # a tie is told as one, not as a slip or a best response
                assert "level with the next best option" in said
                assert "bounded-rationality" not in said
                assert "weeks of pain above the next best option" not in said
                seen["tie"] += 1
            elif row[f"{side}_runner_up"] and row[f"{side}_margin"] < 0:
                assert "a bounded-rationality choice" in said
                seen["bounded"] += 1
    assert seen["forced"] == len(forced) and seen["proposed"] >= 1 and seen["bounded"] >= 1
    assert seen["tie"] >= 1
    # the CLI tells the same story
    assert main(["explain", str(path), "--run", "0", "--seed", "1", "--fixed-parameters"]) == 0
    assert capsys.readouterr().out.strip() == text


def test_explain_reproduces_a_run_from_its_results(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", str(SCENARIOS / "fentanyl_first.yaml"), "--runs", "1100",
                 "--seed", "8", "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["explain", str(out), "--run", "1050"]) == 0
    text = capsys.readouterr().out
    assert "Run 1050 of 'fentanyl_first'" in text
    assert "matches row 1050 of runs.parquet" in text
    assert main(["explain", str(out), "--run", "5000"]) == 2
    assert "out of range" in capsys.readouterr().err


def test_explain_a_scenario_file_with_a_seed(capsys):
    path = SCENARIOS / "escalation_spiral.yaml"
    assert main(["explain", str(path), "--run", "0", "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert "(forced by the scenario step 'us_hike_1'; its own rating: " in text
    assert load_scenario(path).name in text


def test_median_interval_from_counts_matches_the_index_bootstrap():
    """The median's bootstrap draws counts of distinct values (memory independent of the
    number of runs): its interval agrees with resampling run indices."""
    import numpy as np

    from sim.experiments.compare import BOOTSTRAP, median_with_interval

    rng = np.random.default_rng(4)
    weeks = rng.integers(0, 21, size=101).astype(float)
    estimate, low, high = median_with_interval(weeks, np.random.default_rng(0))
    idx = np.random.default_rng(1).integers(0, len(weeks), size=(BOOTSTRAP, len(weeks)))
    ref_low, ref_high = np.quantile(np.median(weeks[idx], axis=1), (0.025, 0.975))
    assert estimate == np.median(weeks)
    assert abs(low - ref_low) <= 1 and abs(high - ref_high) <= 1
    even = np.array([1.0, 2.0, 3.0, 10.0])  # an even count averages the middle two
    assert median_with_interval(even, np.random.default_rng(0))[0] == 2.5
    assert median_with_interval(np.full(50, 7.0), np.random.default_rng(0)) == (7.0, 7.0, 7.0)


def test_explain_tells_standing_proposals_and_the_answers_to_them():
    """A scenario step that stands on the table as a policy (a ``proposed`` offer or
    channel upgrade: issue 9, it takes no move slot) is told in the week it is tabled,
    with what it proposes, and every answer to it names the step: as many refusals as
    runs.parquet counts rejections, and the acceptance where the step was accepted."""
    scenario = load_scenario(SCENARIOS / "fentanyl_first.yaml")
    modes = {e.id: e.mode for e in scenario.events}
    story = next(s for s in (replay_run(scenario, seed=1, run=k) for k in range(64))
                 if s.row["event_fentanyl_talks"] == "accepted"
                 and not pd.isna(s.row["event_fentanyl_swap_week"]))
    text = narrate(story)
    told = 0
    for ev in scenario.events:
        if pd.isna(story.row[f"event_{ev.id}_week"]):
            continue  # never tabled (not reached, or already in place)
        week = int(story.row[f"event_{ev.id}_week"])
        heading = text.index(f"\nWeek {week} (") + 1
        body = text[heading:text.find("\nWeek ", heading)]
        assert ("The US also puts a standing proposal (it " in body
                and f"(proposed by the scenario step '{ev.id}', and taken)" in body), body
        assert modes[ev.id] == "proposed"
        what = f"the US proposal standing on the table (scenario step '{ev.id}')"
        assert text.count(f"China turns down {what}") == story.row[f"event_{ev.id}_rejected"]
        signed = [line for line in text.splitlines()
                  if f"China accepts {what}" in line and "fails at home" not in line
                  and "lapses unsigned" not in line]
        assert bool(signed) == (story.row[f"event_{ev.id}"] == "accepted")
        told += 1
    assert told >= 2  # the fentanyl talks and at least the swap that follows them
    assert "it proposes deputy-level talks" in text



def test_a_deal_that_collapses_is_told_in_its_week(baseline):
    """Levels that return at a week's end because a deal collapsed (the US reopened it, or
    China reneged) are told as such, in that week: a run once read 'The US steps down
    alone ... Then: US tariff 31% -> 166%', the collapse untold.  The runs table keeps the
    first collapse and who walked away; the paths keep every one."""
    model = TradeWarModel(baseline, runs=256, seed=11, sample=256,
                          overrides={"us.reopen_hazard": 0.02, "deal.renege_hazard": 0.02})
    for _ in range(baseline.weeks):
        model.step()
    paths, runs = model.recorder.paths_frame(), model.recorder.runs_frame()
    seen: set[str] = set()
    for run, mine in paths.groupby("run"):
        mine = mine.reset_index(drop=True)
        row = runs.loc[runs["run"] == run].iloc[0]
        events = mine["deal_event"].astype(str).to_numpy()
        collapsed = np.flatnonzero(np.isin(events, ["us_reopened", "cn_reneged"]))
        if pd.isna(row["renege_week"]):
            assert collapsed.size == 0
            continue
        assert collapsed[0] == int(row["renege_week"])
        assert events[collapsed[0]] == {"us": "us_reopened", "cn": "cn_reneged"}[
            row["reneged_by"]]
        text = narrate(RunStory(int(run), baseline, mine, row))
        for t in collapsed:
            block = _week_block(text, decision_week(int(t)))
            assert DEAL_EVENT_WORDS[events[t]] + ". Then: " in block, block
            seen.add(events[t])
    assert seen == {"us_reopened", "cn_reneged"}


def test_a_pause_that_runs_out_is_recorded_in_the_week_its_layers_return(baseline):
    """The recorder marks a pause's end in the row whose state shows the paused layers
    back (run 210 of 400, seed 3: its pause ends at the end of week 17), and the
    narrative tells it there."""
    model = TradeWarModel(baseline, runs=400, seed=3, sample=400)
    for _ in range(baseline.weeks):
        model.step()
    paths = model.recorder.paths_frame()
    mine = paths[paths["run"] == 210].reset_index(drop=True)
    events = mine["deal_event"].astype(str).to_numpy()
    assert np.flatnonzero(events == "pause_expired").tolist() == [18]
    assert mine["us_tariff"][18] > mine["us_tariff"][17] + 100  # the broad layer is back
    row = model.recorder.runs_frame().set_index("run").loc[210]
    text = narrate(RunStory(210, baseline, mine, row))
    assert DEAL_EVENT_WORDS["pause_expired"] + ". Then: US tariff" in _week_block(text, 17)


def test_a_pause_that_runs_out_is_told_in_its_week():
    """The week a tariff pause runs out says so before the levels it left."""
    before = pd.Series({"us_tariff": 30.0, "cn_tariff": 10.0, "channel": 3,
                        "us_acknowledges": 1.0, "cn_acknowledges": 1.0, "deal_event": ""})
    after = before.copy()
    after[["us_tariff", "cn_tariff", "deal_event"]] = [145.0, 125.0, "pause_expired"]
    assert _state_change(before, after) == (
        "The tariff pause ran out: the paused layers and tools returned. "
        "Then: US tariff 30% -> 145%; China's tariff 10% -> 125%.")
    assert _state_change(before, before) == "Then: US tariff 30%; China's tariff 10%."
