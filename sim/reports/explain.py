"""The story of one run, week by week, told from its recorded decision terms.

Run ``k`` of an ensemble is reproduced exactly by a model holding runs ``b..k`` of its
random block ``b`` (``sim.model.model``); its recorder keeps, for every week and side, the move
made, the best alternative, and both moves' named utility terms.  Each sentence is built
from those numbers: the terms that separated the move from its alternative are the reasons
given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.io.scenario import Scenario
from sim.model.decision import TERM_NAMES
from sim.model.model import BLOCK, TradeWarModel
from sim.model.moves import INDEX, MOVES
from sim.model.packages import PACKAGES

SIDE_NAMES = {"us": "The US", "cn": "China"}
CHANNELS = ("no channel", "a back-channel at working level", "deputy-level talks",
            "ministerial talks", "leader talks")
TERM_WORDS = {
    "pain": "economic pain", "face": "face", "tariff": "tariff revenue and leverage",
    "relative": "who loses more", "attrition": "the chance the rival folds first",
    "value": "what the deal or channel brings", "action": "the cost of changing course",
}


@dataclass
class RunStory:
    """One run's weekly records and its summary row."""

    run: int
    scenario: Scenario
    paths: pd.DataFrame  # the run's rows of paths.parquet
    row: pd.Series  # the run's row of runs.parquet


def replay_run(scenario: Scenario, seed: int, run: int,
               overrides: dict[str, float] | None = None) -> RunStory:
    """Re-run run ``run`` of the ensemble (seed ``seed``) with full weekly records."""
    if run < 0:
        raise ValueError("run must be at least 0")
    first = (run // BLOCK) * BLOCK
    local = run - first
    model = TradeWarModel(scenario, runs=local + 1, seed=seed, first_run=first,
                          overrides=overrides, sample=local + 1)
    for _ in range(scenario.weeks):
        model.step()
    paths = model.recorder.paths_frame()
    return RunStory(run, scenario, paths[paths["run"] == run].reset_index(drop=True),
                    model.recorder.runs_frame().iloc[local])


def describe_move(side: str, move: str, arg: int) -> str:
    """Plain words for a move and its argument."""
    who = SIDE_NAMES[side]
    if move == "offer" and arg >= 0:
        return f"{who} offers the {PACKAGES[arg].name.replace('_', ' ')} package"
    if move == "open_channel" and arg >= 0:
        return f"{who} proposes {CHANNELS[min(arg, 4)]}"
    return f"{who} {MOVES[INDEX[move]].summary}"


def reasons(row: pd.Series, side: str, top: int = 2) -> str:
    """The terms that separated the move from its best alternative, largest first."""
    diffs = {t: float(row[f"{side}_{t}_term"] - row[f"{side}_{t}_alt"]) for t in TERM_NAMES}
    ranked = sorted((d for d in diffs.items() if abs(d[1]) >= 0.05), key=lambda d: -abs(d[1]))
    parts = [f"{TERM_WORDS[t]} {'+' if d > 0 else '-'}{abs(d):.1f}" for t, d in ranked[:top]]
    return ", ".join(parts) if parts else "no term differed by more than 0.05"


def week_sentence(row: pd.Series, side: str, modes: dict[str, str] | None = None) -> str:
    """One side's move in one week, with its reasons (``modes``: event id -> mode)."""
    move, alt = str(row[f"{side}_move"]), str(row[f"{side}_runner_up"])
    text = describe_move(side, move, int(row[f"{side}_move_arg"]))
    margin = float(row[f"{side}_margin"])
    event = str(row.get(f"{side}_event", ""))
    if event == "player":  # a human's move (TradeWarModel.play): the agent's view of it
        text += " (the player's choice"
        if alt:
            text += (f"; the agent rates it {margin:+.1f} weeks of pain against the best "
                     f"other move, where it {MOVES[INDEX[alt]].summary}: {reasons(row, side)}")
        return text + ")."
    if event:
        how = "forced" if (modes or {}).get(event) == "forced" else "proposed and taken"
        text += f" (step '{event}' of the scenario, {how})"
    if alt:
        alt_words = MOVES[INDEX[alt]].summary
        if margin >= 0:
            text += (f"; it rated this {margin:.1f} weeks of pain above the next best option "
                     f"(it {alt_words}): {reasons(row, side)}")
        else:
            text += (f", although it rated this {-margin:.1f} below the option it passed over "
                     f"(it {alt_words}): a bounded-rationality choice; {reasons(row, side)}")
    return text + "."


def narrate(story: RunStory) -> str:
    """The run's story: quiet stretches folded into one line, every other week told."""
    p, sc = story.paths, story.scenario
    start = sc.start_date
    lines = [f"Run {story.run} of '{sc.name}': outcome {story.row['outcome']}"
             f" (deal week {_fmt(story.row['deal_week'])}, first talks week "
             f"{_fmt(story.row['first_talks_week'])}).",
             "Terms are in weeks of each side's pain at the April 2025 peak; '+' favoured the "
             "move made over its best alternative.", ""]
    quiet_from = None
    for t in range(1, len(p)):
        row, before = p.iloc[t], p.iloc[t - 1]
        quiet = (row["us_move"] == "hold" and row["cn_move"] == "hold"
                 and row["channel"] == before["channel"]
                 and np.isclose(row["us_tariff"], before["us_tariff"])
                 and np.isclose(row["cn_tariff"], before["cn_tariff"]))
        if quiet:
            quiet_from = t if quiet_from is None else quiet_from
            if t < len(p) - 1:
                continue
        if quiet_from is not None:
            end = t if quiet else t - 1
            span = f"Week {end}" if end == quiet_from else f"Weeks {quiet_from}-{end}"
            lines.append(f"{span}: both hold; tariffs "
                         f"{row['us_tariff']:.0f}% (US) and {row['cn_tariff']:.0f}% (China); "
                         f"{CHANNELS[int(row['channel'])]}.")
            quiet_from = None
            if quiet:
                continue
        date = start + dt.timedelta(weeks=t - 1)
        lines.append(f"Week {t} ({date:%d %b %Y}):")
        modes = {e.id: e.mode for e in sc.events}
        for side in ("us", "cn"):
            lines.append("  " + week_sentence(row, side, modes))
        lines.append("  " + _state_change(before, row))
    return "\n".join(lines)


def _state_change(before: pd.Series, after: pd.Series) -> str:
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
    return "Then: " + "; ".join(parts) + "."


def _fmt(value: object) -> str:
    return "-" if pd.isna(value) else str(int(value))
