"""The story of one run, week by week, told from its recorded decision terms.

Run ``k`` of an ensemble is reproduced exactly by a model holding runs ``b..k`` of its
random block ``b`` (``sim.model.model``); its recorder keeps, for every week and side, the
answer given to the rival's proposal (with its gain over holding out), the move made, the
best alternative, and both moves' named utility terms.  Each sentence is built from those
numbers: the terms that separated the move from its alternative are the reasons given,
constant costs (``CONSTANT_TERMS``) aside, since they say nothing about the trade-off, but
named where they decided the choice.  What the week's end did to a standing deal (its pause
ran out, it collapsed: ``deal_event``) is told before the levels it left.

Weeks are numbered as scenario files number them: week 0 is the week that starts on the
scenario's start date, and an event with ``week: n`` is decided in week n.  Row ``t`` of
the recorded paths holds the decisions of week ``t - 1`` and the state at its end
(``Recorder.before_resolve`` writes at ``week + 1``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.ensemble import BATCH_RUNS, split_per_model
from sim.io.calibrated import CalibratedSet
from sim.io.scenario import Scenario
from sim.model.config import EventSpec
from sim.model.decision import CONSTANT_TERMS, TERM_NAMES
from sim.model.model import BLOCK, TradeWarModel
from sim.model.moves import INDEX, MOVES
from sim.model.packages import INDEX as PACKAGE_INDEX
from sim.model.packages import PACKAGES

SIDE_NAMES = {"us": "The US", "cn": "China"}
RIVAL_OF = {"us": "cn", "cn": "us"}
ADJECTIVE = {"us": "US", "cn": "Chinese"}
CHANNELS = ("no channel", "a back-channel at working level", "deputy-level talks",
            "ministerial talks", "leader talks")
TERM_WORDS = {
    "pain": "economic pain", "face": "face", "tariff": "tariff revenue and leverage",
    "relative": "who loses more", "attrition": "the chance the rival folds first",
    "value": "what the deal or channel brings", "risk": "the risk of a leak",
    "leverage": "its effect on the rival's willingness to settle",
    "action": "the cost of changing course",
}
REASON_TERMS = tuple(t for t in TERM_NAMES if t not in CONSTANT_TERMS)


@dataclass
class RunStory:
    """One run's weekly records and its summary row."""

    run: int
    scenario: Scenario
    paths: pd.DataFrame  # the run's rows of paths.parquet
    row: pd.Series  # the run's row of runs.parquet


MIN_MODEL_RUNS = 16
"""Fewest runs in a model for which a run's float32 arithmetic is the same whatever the
model's size (measured: models of 1-3 runs differ from larger ones in the last bits)."""


def replay_run(scenario: Scenario, seed: int, run: int,
               overrides: dict[str, float] | None = None,
               calibrated: CalibratedSet | None = None, runs: int | None = None) -> RunStory:
    """Re-run run ``run`` of the ensemble (seed ``seed``) with full weekly records; with
    ``calibrated``, with the parameters it drew from that set (as ``run_ensemble`` does;
    ``runs``: the ensemble's size, default the scenario's)."""
    if run < 0:
        raise ValueError("run must be at least 0")
    first = (run // BLOCK) * BLOCK
    local = run - first
    if calibrated is not None:
        # in a model of the runs of its block that share its model in the ensemble
        # (``split_per_model``); where those are a handful (numpy's loops take other paths
        # over a few runs than over many, which moves the last bits of a float32 belief),
        # in the ensemble's own model: the runs of its batch that share it
        size = scenario.runs if runs is None else runs
        fixed = set(overrides or {}) | set(scenario.overrides)

        def group(start: int, end: int):
            streams = np.arange(start, max(min(end, size), run + 1), dtype=np.int64)
            points = calibrated.rows(seed, streams)
            idx, values = next(g for g in split_per_model(calibrated.drawn(points, fixed),
                                                          streams.size)
                               if run - start in g[0])
            return streams, points, idx, values, start

        streams, points, idx, values, start = group(first, first + BLOCK)
        if idx.size < MIN_MODEL_RUNS:
            batch = (run // BATCH_RUNS) * BATCH_RUNS
            streams, points, idx, values, start = group(batch, batch + BATCH_RUNS)
        position = int(np.searchsorted(idx, run - start))
        model = TradeWarModel(scenario, runs=int(idx.size), seed=seed, first_run=start,
                              overrides={**(overrides or {}), **values}, streams=streams[idx],
                              sample=position + 1, keep_arrays=True)
        point, local = int(points[run - start]), position
    else:
        model = TradeWarModel(scenario, runs=local + 1, seed=seed, first_run=first,
                              overrides=overrides, sample=local + 1)
    for _ in range(scenario.weeks):
        model.step()
    paths = model.recorder.paths_frame()
    row = model.recorder.runs_frame().iloc[local]
    if calibrated is not None:
        row = pd.concat([row.iloc[:1], pd.Series({"parameter_point": point}),
                         row.iloc[1:]])
    return RunStory(run, scenario, paths[paths["run"] == run].reset_index(drop=True), row)


def decision_week(t: int) -> int:
    """The scenario's number for the week whose decisions row ``t`` of the paths holds."""
    return t - 1


def describe_move(side: str, move: str, arg: int) -> str:
    """Plain words for a move and its argument."""
    who = SIDE_NAMES[side]
    if move in ("offer", "offer_private") and 0 <= arg < len(PACKAGES):
        package = PACKAGES[arg].name.replace("_", " ")
        if move == "offer_private":
            return f"{who} sounds out the {package} package through the back channel"
        return f"{who} offers the {package} package"
    if move == "open_channel" and arg >= 0:
        return f"{who} proposes {CHANNELS[min(arg, 4)]}"
    return f"{who} {MOVES[INDEX[move]].summary}"


def term_differences(row: pd.Series, side: str) -> dict[str, float]:
    """Each non-constant term of the move made minus that of its best alternative."""
    return {t: float(row[f"{side}_{t}_term"] - row[f"{side}_{t}_alt"]) for t in REASON_TERMS}


def main_reason(row: pd.Series, side: str) -> str | None:
    """The term that differed most between the move and its best alternative."""
    diffs = term_differences(row, side)
    name, diff = max(diffs.items(), key=lambda d: abs(d[1]))
    return name if abs(diff) >= 0.05 else None


def reasons(row: pd.Series, side: str, top: int = 2) -> str:
    """The terms that separated the move from its best alternative, largest first
    (constant costs such as ``action`` are left out: they are no trade-off), and the
    constant cost where it decided the choice (without it the alternative was ahead)."""
    diffs = term_differences(row, side)
    ranked = sorted((d for d in diffs.items() if abs(d[1]) >= 0.05), key=lambda d: -abs(d[1]))
    parts = [f"{TERM_WORDS[t]} {'+' if d > 0 else '-'}{abs(d):.1f}" for t, d in ranked[:top]]
    constant = sum(float(row[f"{side}_{t}_term"] - row[f"{side}_{t}_alt"])
                   for t in CONSTANT_TERMS)
    margin = float(row.get(f"{side}_margin", np.nan))
    if parts and margin >= 0 and margin - constant < -0.05:
        # the constant cost is no trade-off, but here it decided: say so, truthfully
        # (a status-quo bias, decision.action_cost, lit-samuelson-zeckhauser1988)
        parts.append(f"and {TERM_WORDS['action']} {constant:+.1f}, without which the other "
                     "option was ahead")
    if parts:
        return ", ".join(parts)
    if abs(constant) >= 0.05:
        return f"no term differed by more than 0.05 (only constant costs did, {constant:+.1f})"
    return "no term differed by more than 0.05"


def unsigned_sentence(row: pd.Series, side: str) -> str:
    """What came of a package the side accepted but that was not signed: it failed at
    home (lit-putnam1988) or it would by then change nothing; '' where it was signed."""
    code = str(row.get(f"{side}_answer_unsigned", "") or "")
    if code == "lapsed":
        return (" It lapses unsigned: by the time it was accepted it would change nothing"
                " (a deal or a move since it was put took that away, or a trade lost one"
                " of its halves).")
    if code.startswith("failed_at_home_"):
        where = {"us": "in the US", "cn": "in China", "both": "on both sides"}[
            code.removeprefix("failed_at_home_")]
        return f" It fails at home: its ratification fails {where}, and nothing is signed."
    return ""


def answer_sentence(row: pd.Series, side: str) -> str | None:
    """The side's answer to the rival's proposal this week, if it gave one, naming the
    scenario step when the proposal is one standing on the table."""
    answer = str(row.get(f"{side}_answer", "") or "")
    if answer not in ("accept", "reject"):
        return None
    who, rival = SIDE_NAMES[side], ADJECTIVE[RIVAL_OF[side]]
    step = str(row.get(f"{side}_answered_step", "") or "")
    what = (f"the {rival} proposal standing on the table (scenario step '{step}')" if step
            else f"the {rival} proposal")
    gain = float(row[f"{side}_answer_gain"])
    if answer == "accept":
        if gain >= 0:
            why = f"gain {gain:+.1f} weeks of pain over holding out"
        else:
            why = f"although it would lose {-gain:.1f} weeks of pain against holding out"
        return f"{who} accepts {what} ({why}).{unsigned_sentence(row, side)}"
    if gain <= 0:
        why = f"it would lose {-gain:.1f} weeks of pain by accepting"
    else:
        why = f"although accepting would gain it {gain:+.1f} weeks of pain"
    return f"{who} turns down {what} ({why})."


def tabled_sentence(row: pd.Series, side: str,
                    events: Sequence[EventSpec] = ()) -> str | None:
    """The scenario step the side put on the table this week as a standing proposal, if
    any: a policy beside the side's own move, not in its place (a ``proposed`` event does
    not take the agent's move slot)."""
    step = str(row.get(f"{side}_tabled", "") or "")
    if not step:
        return None
    event = next((e for e in events if e.id == step), None)
    forced = event is not None and event.mode == "forced"
    how = (f"forced by the scenario step '{step}'" if forced
           else f"proposed by the scenario step '{step}', and taken")
    what = "a standing proposal"
    if event is not None:
        if event.package is not None:
            arg = PACKAGE_INDEX.get(event.package, -1)
        else:
            arg = event.level if event.level is not None else -1
        words = describe_move(side, event.move, arg).removeprefix(SIDE_NAMES[side] + " ")
        what += f" (it {words})"
    return (f"{SIDE_NAMES[side]} also puts {what} on the table ({how}); it stays there, "
            "beside the side's own moves, until it is accepted or withdrawn.")


TIE = 0.005
"""Margin (weeks of pain) below which the move made and its best alternative are told as
level: it shows as 0.00, and logit choice takes either about as often."""


def _size(x: float) -> str:
    """A margin's size, with a second decimal where one would show 0.0."""
    return f"{abs(x):.2f}" if abs(x) < 0.05 else f"{abs(x):.1f}"


def _signed(x: float) -> str:
    return ("+" if x >= 0 else "-") + _size(x)


def week_sentence(row: pd.Series, side: str, modes: dict[str, str] | None = None,
                  events: Sequence[EventSpec] = ()) -> str:
    """One side's answer and move in one week, with its reasons (``modes``: event id ->
    mode, by default read from ``events``), and any scenario step it put on the table as a
    standing proposal (described from the scenario's ``events``)."""
    if modes is None:
        modes = {e.id: e.mode for e in events}
    move, alt = str(row[f"{side}_move"]), str(row[f"{side}_runner_up"])
    event = str(row.get(f"{side}_event", "") or "")
    said = answer_sentence(row, side)
    tabled = tabled_sentence(row, side, events)
    if said is not None and move == "hold" and not alt and not event:
        # a side that signs makes no other move that week
        return said if tabled is None else f"{said} {tabled}"
    text = describe_move(side, move, int(row[f"{side}_move_arg"]))
    margin = float(row[f"{side}_margin"])
    alt_words = MOVES[INDEX[alt]].summary if alt else ""
    rated = np.isfinite(margin)
    if event == "player":  # a human's move (TradeWarModel.play): the agent's view of it
        text += " (the player's choice"
        if alt:
            text += (f"; the agent rates it {_signed(margin)} weeks of pain against the best "
                     f"other move, where it {alt_words}: {reasons(row, side)}"
                     if rated else "; not a move the agent would have chosen of its own accord")
        text += ")."
    elif event:
        forced = modes.get(event) == "forced"
        how = "forced by the scenario step" if forced else "proposed by the scenario step"
        text += f" ({how} '{event}'{'' if forced else ', and taken'}"
        if not alt:
            text += ")."
        elif not rated:
            text += "; not a move it would have had on its own menu)."
        elif forced:
            text += (f"; its own rating: {_signed(margin)} weeks of pain against its best "
                     f"alternative (it {alt_words}): {reasons(row, side)}).")
        else:
            text += (f"; it rated this {_signed(margin)} weeks of pain against its best "
                     f"alternative (it {alt_words}): {reasons(row, side)}).")
    elif not alt:
        text += "."
    elif abs(margin) < TIE:  # a coin toss between equals, neither a best response nor a slip
        text += (f"; it rated this level with the next best option (it {alt_words}), within "
                 f"{TIE} weeks of pain: {reasons(row, side)}.")
    elif margin >= 0:
        text += (f"; it rated this {_size(margin)} weeks of pain above the next best option "
                 f"(it {alt_words}): {reasons(row, side)}.")
    else:
        text += (f", although it rated this {_size(margin)} below the option it passed over "
                 f"(it {alt_words}): a bounded-rationality choice; {reasons(row, side)}.")
    if tabled is not None:
        text += " " + tabled
    return text if said is None else f"{said} {text}"


def narrate(story: RunStory) -> str:
    """The run's story: quiet stretches folded into one line, every other week told.
    Weeks are numbered as the scenario numbers them (``decision_week``)."""
    p, sc = story.paths, story.scenario
    start = sc.start_date
    lines = [f"Run {story.run} of '{sc.name}': outcome {story.row['outcome']}"
             f" (deal signed in week {_week(story.row['deal_week'])}, talks first held in "
             f"week {_week(story.row['first_talks_week'])}).",
             "Week 0 starts on the scenario's start date, as scenario events count weeks. "
             "Terms are in weeks of each side's pain at the April 2025 peak; '+' favoured the "
             "move made over its best alternative.", ""]
    quiet_from = None
    for t in range(1, len(p)):
        row, before = p.iloc[t], p.iloc[t - 1]
        quiet = (row["us_move"] == "hold" and row["cn_move"] == "hold"
                 and not _answered(row, "us") and not _answered(row, "cn")
                 and not row.get("us_event", "") and not row.get("cn_event", "")
                 and not row.get("us_tabled", "") and not row.get("cn_tabled", "")
                 and not row.get("deal_event", "")
                 and row["channel"] == before["channel"]
                 and np.isclose(row["us_tariff"], before["us_tariff"])
                 and np.isclose(row["cn_tariff"], before["cn_tariff"]))
        if quiet:
            quiet_from = t if quiet_from is None else quiet_from
            if t < len(p) - 1:
                continue
        if quiet_from is not None:
            end = t if quiet else t - 1
            first, last = decision_week(quiet_from), decision_week(end)
            span = f"Week {last}" if last == first else f"Weeks {first}-{last}"
            lines.append(f"{span}: both hold; tariffs "
                         f"{row['us_tariff']:.0f}% (US) and {row['cn_tariff']:.0f}% (China); "
                         f"{CHANNELS[int(row['channel'])]}.")
            quiet_from = None
            if quiet:
                continue
        week = decision_week(t)
        date = start + dt.timedelta(weeks=week)
        lines.append(f"Week {week} ({date:%d %b %Y}):")
        for side in ("us", "cn"):
            lines.append("  " + week_sentence(row, side, events=sc.events))
        lines.append("  " + _state_change(before, row))
    return "\n".join(lines)


def _answered(row: pd.Series, side: str) -> bool:
    return str(row.get(f"{side}_answer", "") or "") in ("accept", "reject")


DEAL_EVENT_WORDS = {
    "pause_expired": "The tariff pause ran out: the paused layers and tools returned",
    "us_reopened": "The US reopened the deal with new demands: every tariff and tool "
                   "returned to where it stood before the first deal",
    "cn_reneged": "China reneged on the deal: every tariff and tool returned to where it "
                  "stood before the first deal",
}
"""What the week's end did to a standing deal (``deal_event`` of the paths), told before
the levels it left."""


def _state_change(before: pd.Series, after: pd.Series) -> str:
    event = str(after.get("deal_event", "") or "")
    lead = f"{DEAL_EVENT_WORDS[event]}. " if event else ""
    parts = []
    for side, label in (("us", "US tariff"), ("cn", "China's tariff")):
        a, b = before[f"{side}_tariff"], after[f"{side}_tariff"]
        parts.append(f"{label} {b:.0f}%" if np.isclose(a, b) else f"{label} {a:.0f}% -> {b:.0f}%")
    if after["channel"] != before["channel"]:
        parts.append(f"now {CHANNELS[int(after['channel'])]}")
    for side, who in (("us", "the US"), ("cn", "China")):
        if after[f"{side}_acknowledges"] != before[f"{side}_acknowledges"]:
            parts.append(f"{who} now {'admits' if after[f'{side}_acknowledges'] else 'denies'} "
                         "talks")
    return lead + "Then: " + "; ".join(parts) + "."


def _week(value: object) -> str:
    """A runs.parquet week (the end-of-week index of ``Recorder``) as the scenario's week
    number of the decisions that led to it."""
    if pd.isna(value):
        return "-"
    return "0 (from the start)" if int(value) == 0 else str(decision_week(int(value)))
