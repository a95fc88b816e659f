"""Play one side: a student makes the US's or China's move each week, the agent plays the
other side, and a debrief compares the student's path with an agent ensemble.

The game is an ordinary one-run :class:`~sim.model.model.TradeWarModel`; the student's move goes
in through ``model.play`` (the same hook a forced scenario event uses), so the dynamics are
exactly those of ``tradewar run``.  :class:`Game` holds the logic shared by the terminal
(``tradewar play``) and the browser app (``tradewar demo``).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np
import pandas as pd

from sim.experiments.ensemble import Ensemble, run_ensemble
from sim.io.scenario import Scenario
from sim.model.decision import WeekContext
from sim.model.model import TradeWarModel
from sim.model.moves import INDEX, MOVES
from sim.model.outcomes import OUTCOMES
from sim.model.packages import PACKAGES
from sim.reports.explain import (
    CHANNELS,
    SIDE_NAMES,
    describe_move,
    unsigned_sentence,
    week_sentence,
)

SIDES = {"us": "the US", "cn": "China"}
SIDE_ALIASES = {"us": "us", "usa": "us", "united_states": "us", "cn": "cn", "china": "cn"}
TOOL_WORDS = {
    "rare_earth": "rare-earth export curbs", "films": "curbs on US films",
    "farm_diversion": "soybeans bought elsewhere", "yuan": "a weaker yuan",
    "treasuries": "talk of selling Treasuries", "export_controls": "US export controls",
    "transshipment": "anti-transshipment clauses",
}
QUIT = ("q", "quit", "exit")
DEBRIEF_RUNS = 300
"""Agent runs the debrief compares the student with (about 0.3 s here)."""


@dataclass(frozen=True)
class Option:
    """A choice that goes with a move: a package, a channel level or a tariff layer."""

    key: str  # "package", "level" or "layer"
    value: str | int | None  # None: let the move pick as the agent would
    label: str


@dataclass
class Turn:
    """One week of a game: both moves and what followed."""

    week: int
    date: dt.date
    player_move: str
    player_text: str
    rival_move: str
    rival_text: str
    consequences: str


@dataclass
class Game:
    """A student playing ``side`` in a one-run model; the agent plays the rival."""

    model: TradeWarModel
    side: str
    seed: int
    overrides: dict[str, float] = field(default_factory=dict)
    turns: list[Turn] = field(default_factory=list)

    @classmethod
    def new(cls, scenario: Scenario, side: str, *, seed: int | None = None,
            weeks: int | None = None, overrides: dict[str, float] | None = None) -> Game:
        """A fresh game: the world of run 0 of the scenario's ensemble (seed ``seed``)."""
        if weeks is not None:
            scenario = scenario.model_copy(update={"weeks": int(weeks)})
        seed = scenario.seed if seed is None else seed
        model = TradeWarModel(scenario, runs=1, seed=seed, overrides=overrides, sample=1)
        return cls(model, side_key(side), seed, dict(overrides or {}))

    # --- the state ----------------------------------------------------------------------
    @property
    def rival(self) -> str:
        return "cn" if self.side == "us" else "us"

    @property
    def week(self) -> int:
        return self.model.week

    @property
    def done(self) -> bool:
        return self.model.week >= self.model.horizon

    @property
    def scenario(self) -> Scenario:
        return self.model.config

    def date(self) -> dt.date:
        return self.model.date()

    def gov(self, side: str):
        return self.model.us if side == "us" else self.model.cn

    def tariff_stack(self, side: str) -> dict[str, float]:
        """The side's effective tariff by layer (exemptions netted out), in % points."""
        return tariff_stack(self.gov(side))

    def snapshot(self) -> dict[str, float]:
        """The numbers a student sees each week."""
        m = self.model
        pain = m.current_pain()
        return {"us_tariff": float(m.us.tariff()[0]), "cn_tariff": float(m.cn.tariff()[0]),
                "us_pain": float(pain.us[0]), "cn_pain": float(pain.cn[0]),
                "us_cum_pain": float(m.us.cum_pain[0]), "cn_cum_pain": float(m.cn.cum_pain[0]),
                "us_face": float(m.us.face[0]), "cn_face": float(m.cn.face[0]),
                "us_face_paid": float(m.us.face_paid[0]),
                "cn_face_paid": float(m.cn.face_paid[0]),
                "channel": int(m.channel[0]),
                "us_acknowledges": float(m.us.acknowledges[0]),
                "cn_acknowledges": float(m.cn.acknowledges[0]),
                **{f"tool:{gov.side}:{t}": float(v[0]) for gov in m.governments
                   for t, v in gov.tools.items()}}

    def proposals(self, side: str) -> list[str]:
        """What ``side`` has on the table, in words: last week's proposal (public or through
        the back channel) and a scenario's standing proposal."""
        gov, out = self.gov(side), []
        private = bool(getattr(gov, "pending_private", np.zeros(1, dtype=bool))[0])
        for kind, arg, how in (
                (gov.pending_kind, gov.pending_arg,
                 " (through the back channel)" if private else ""),
                (getattr(gov, "standing_kind", None), getattr(gov, "standing_arg", None),
                 " (a standing offer)")):
            if kind is None or int(kind[0]) == 0:
                continue
            out.append(proposal_words(int(kind[0]), int(arg[0])) + how)
        return out

    def answerable(self) -> bool:
        """Whether the rival has something on the table the student can accept or reject."""
        return bool(self.proposals(self.rival))

    def pending_text(self) -> str:
        """What is on the table this week (proposals made last week, standing offers)."""
        lines = []
        for side in (self.rival, self.side):
            what = " and ".join(self.proposals(side))
            if not what:
                continue
            who = "You" if side == self.side else SIDE_NAMES[side]
            verb = "propose" if side == self.side else "proposes"
            if side != self.rival:
                tail = f"; {SIDES[self.rival]} answers this week"
            elif "accept" in self.menu():
                tail = ("; you can accept or reject it (with any other move the agent's rule "
                        "answers for you)")
            else:
                tail = ("; it cannot be accepted this week (not yet within reach of the "
                        "channel, or not yours to answer)")
            lines.append(f"{who} {verb} {what}{tail}.")
        return " ".join(lines)

    def move_words(self, move: str) -> str:
        """The menu's words for ``move`` (an answer names what it answers)."""
        if MOVES[INDEX[move]].answer:
            what = " and ".join(self.proposals(self.rival)) or "the rival's proposal"
            verb = "accept" if move == "accept" else "turn down"
            return f"{verb} {SIDES[self.rival]}'s proposal: {what} (and hold)"
        return MOVES[INDEX[move]].summary

    def state_text(self) -> str:
        """The state of the world at the start of this week, for the terminal."""
        s, m = self.snapshot(), self.model
        lines = [f"Week {m.week + 1} of {m.horizon} ({self.date():%d %b %Y}); you play "
                 f"{SIDES[self.side]}."]
        for side, target in (("us", "Chinese goods"), ("cn", "US goods")):
            stack = self.tariff_stack(side)
            parts = " + ".join(f"{name} {value:.0f}" for name, value in stack.items())
            who = "US" if side == "us" else "China"
            lines.append(f"  Tariff, {who} on {target}: {s[f'{side}_tariff']:.1f}%  ({parts})")
        lines.append(f"  Pain, % of GDP a year: US {s['us_pain']:.2f}, China {s['cn_pain']:.2f}"
                     f"; so far, % of GDP-years: US {s['us_cum_pain']:.3f}, "
                     f"China {s['cn_cum_pain']:.3f}")
        lines.append(f"  Face (public commitments): US {s['us_face']:.1f}, "
                     f"China {s['cn_face']:.1f}; face paid so far: US {s['us_face_paid']:.1f}, "
                     f"China {s['cn_face_paid']:.1f} weeks of pain")
        stance = "; ".join(f"{SIDES[side]} {'admits' if s[f'{side}_acknowledges'] else 'denies'}"
                           " talks" for side in ("us", "cn"))
        lines.append(f"  Channel: {CHANNELS[s['channel']]}; {stance}")
        tools = [TOOL_WORDS[t] for gov in m.governments for t, v in gov.tools.items() if v[0] > .5]
        lines.append(f"  Non-tariff measures in force: {', '.join(tools) or 'none'}")
        pending = self.pending_text()
        if pending:
            lines.append(f"  On the table: {pending}")
        return "\n".join(lines)

    # --- the menu -----------------------------------------------------------------------
    def menu(self) -> list[str]:
        """The student's moves this week: the agent's own menu."""
        return self.model.available_moves(self.side)

    def options(self, move: str) -> list[Option]:
        """Choices that go with ``move`` (first: the default); empty if there are none."""
        m, me = self.model, self.gov(self.side)
        if move == "offer":
            ctx = WeekContext(m)
            default = int(ctx.best_offer(me, private=False)[0][0])
            out = [Option("package", None, "the package the agent would offer "
                                           f"({PACKAGES[default].name})" if default >= 0
                          else "the package the agent would offer")]
            for k, pkg in enumerate(PACKAGES):
                if m.channel[0] >= pkg.channel and m.package_open(k)[0]:
                    out.append(Option("package", pkg.name, f"{pkg.name}: {pkg.summary}"))
            return out
        if move == "open_channel":
            now = int(m.channel[0])
            levels = range(now + 1, 5)
            return [Option("level", lvl, CHANNELS[lvl]) for lvl in levels]
        if move == "step_down_alone":
            ctx = WeekContext(m)
            out = [Option("layer", None, "as the agent would (the fentanyl layer first)"
                          if self.side == "us" else "as the agent would")]
            for layer in me.spec.layers:
                after = ctx.state(me, f"step_down:{me.side}:{layer}")
                if ctx.concession_size(me, after)[0] > 0:
                    step = "all of it" if layer == "fentanyl" else \
                        f"{m.p['moves.tariff_step']:.0f} points off"
                    out.append(Option("layer", layer, f"the {layer} layer ({step})"))
            return out if len(out) > 1 else []
        return []

    def play(self, move: str, option: Option | None = None) -> Turn:
        """Make the student's move, advance one week, and tell what happened."""
        if self.done:
            raise RuntimeError("the game is over")
        # no option (or its default): the move's argument as the agent would pick it
        kwargs = {} if option is None or option.value is None else {option.key: option.value}
        before = self.snapshot()
        self.model.play(self.side, move, **kwargs)
        self.model.step()
        turn = self._turn(before, move)
        self.turns.append(turn)
        return turn

    def _turn(self, before: dict[str, float], typed: str) -> Turn:
        """The week just played, told: the student's move (``typed``), the answer given to
        the rival's proposal (by the student, or by the agent's rule where the student made
        another move), the rival's move and answer, and what came of an accepted package
        that was not signed (it failed at home, or lapsed)."""
        m, t = self.model, self.model.week
        row = m.recorder.paths_frame().iloc[t]
        me, rival = self.side, self.rival
        move = str(row[f"{me}_move"])
        mine = "You: " + describe_move(me, move, int(row[f"{me}_move_arg"]))
        answer = str(row.get(f"{me}_answer", ""))
        if answer in ("accept", "reject"):
            verb = "accepts" if answer == "accept" else "turns down"
            if typed == answer:  # the student answered
                mine = f"You: {SIDE_NAMES[me]} {verb} {SIDES[rival]}'s proposal"
                move = answer
            else:  # the agent's rule answered for the student (the menu says it will)
                mine += f"; your agent's rule {verb} {SIDES[rival]}'s proposal for you"
        mine += "."
        if answer == "accept":
            mine += unsigned_sentence(row, me)
        theirs = week_sentence(row, rival, events=m.config.events)
        their_answer = str(row.get(f"{rival}_answer", ""))
        if their_answer in ("accept", "reject"):
            theirs += (f" {SIDE_NAMES[rival]} "
                       f"{'accepts' if their_answer == 'accept' else 'turns down'} your "
                       "proposal.")
            if their_answer == "accept":
                theirs += unsigned_sentence(row, rival)
        return Turn(t, m.start + dt.timedelta(weeks=t - 1), move, mine,
                    str(row[f"{rival}_move"]), theirs, self.consequences(before))

    def consequences(self, before: dict[str, float]) -> str:
        """What changed this week: tariffs, pain, face, channel, stances, deals."""
        after, m, t = self.snapshot(), self.model, self.model.week
        rec = m.recorder
        parts = []
        for side, label in (("us", "US tariff"), ("cn", "China's tariff")):
            a, b = before[f"{side}_tariff"], after[f"{side}_tariff"]
            parts.append(f"{label} {b:.0f}%" if np.isclose(a, b) else
                         f"{label} {a:.0f}% -> {b:.0f}%")
        parts.append(f"pain US {after['us_pain']:.2f}, China {after['cn_pain']:.2f} % of GDP "
                     "a year")
        decay = m.p["face.decay"]
        for side, who in (("us", "US"), ("cn", "China's")):
            a, b = before[f"{side}_face"], after[f"{side}_face"]
            paid = after[f"{side}_face_paid"] - before[f"{side}_face_paid"]
            if abs(b - a * decay) > 0.05 or paid > 0.05:  # more than the weekly decay
                extra = f", paid {paid:.1f} weeks of pain in face" if paid > 0.05 else ""
                parts.append(f"{who} face {a:.1f} -> {b:.1f}{extra}")
        for key, value in after.items():  # a non-tariff tool imposed, raised or lifted
            if key.startswith("tool:") and not np.isclose(value, before.get(key, value)):
                _, side, tool = key.split(":")
                verb = "imposes" if value > before[key] else "lifts"
                if min(value, before[key]) > 0.0:
                    verb = "tightens" if value > before[key] else "eases"
                parts.append(f"{SIDES[side]} {verb} {TOOL_WORDS[tool]}")
        if after["channel"] != before["channel"]:
            parts.append(f"now {CHANNELS[after['channel']]}")
        for side in ("us", "cn"):
            if after[f"{side}_acknowledges"] != before[f"{side}_acknowledges"]:
                verb = "admits" if after[f"{side}_acknowledges"] else "denies"
                parts.append(f"{SIDES[side]} now {verb} talks")
        if rec.deal_week[0] == t:
            parts.append(f"DEAL: the {PACKAGES[rec.deal_kind[0]].name.replace('_', ' ')} "
                         "package is concluded")
        if rec.renege_week[0] == t:
            parts.append("a deal collapsed")
        return "Then: " + "; ".join(parts) + "."

    # --- the end ------------------------------------------------------------------------
    def result(self) -> pd.Series:
        """The student's run as a row of ``runs.parquet`` (at the week reached)."""
        return self.model.recorder.runs_frame().iloc[0]

    def agent_ensemble(self, runs: int = DEBRIEF_RUNS) -> Ensemble:
        """Agents playing both sides: the same scenario, seed and horizon (the weeks played)."""
        m = self.model
        scenario = m.config.model_copy(update={"weeks": max(m.week, 1)})
        return run_ensemble(scenario, runs=runs, seed=self.seed, overrides=self.overrides,
                            path_sample=runs)


def tariff_stack(gov, run: int = 0) -> dict[str, float]:
    """A government's effective tariff by layer in one run (exemptions netted out), % points."""
    stack = {"base": float(gov.base)}
    for name, level in gov.layers.items():
        share = 1.0 - float(gov.exempt[run]) if name == gov.spec.exemptable else 1.0
        stack[name] = float(level[run]) * share
    return stack


def side_key(text: str) -> str:
    """``us`` or ``cn`` from "us", "US", "china", "cn"..."""
    key = SIDE_ALIASES.get(text.strip().lower().replace(" ", "_"))
    if key is None:
        raise ValueError(f"side must be 'us' or 'china', got {text!r}")
    return key


def percentile(values: np.ndarray, x: float) -> float:
    """Share of ``values`` below ``x`` (ties count half), in percent."""
    values = np.asarray(values, dtype=float)
    return float(100.0 * ((values < x).mean() + 0.5 * np.isclose(values, x).mean()))


def outcome_words(outcome: str) -> str:
    """``de_escalation`` -> "de-escalation", ``managed_stalemate`` -> "managed stalemate",
    ``partial_deal`` -> "partial deal"."""
    if outcome.startswith("de_"):
        outcome = "de-" + outcome[3:]
    return outcome.replace("_", " ")


def proposal_words(kind: int, arg: int) -> str:
    """A proposal in words (``kind`` 1 package, 2 channel level, 3 matched cuts)."""
    if kind == 1 and 0 <= arg < len(PACKAGES):
        return f"the {PACKAGES[arg].name.replace('_', ' ')} package ({PACKAGES[arg].summary})"
    if kind == 2:
        return CHANNELS[min(max(arg, 0), 4)]
    return "matched, simultaneous cuts of both broad layers"


def debrief(game: Game, ensemble: Ensemble | None = None) -> str:
    """Compare the student's path with agents playing both sides (same scenario and seed)."""
    m, me, rival = game.model, game.side, game.rival
    if m.week == 0:
        return "Debrief: no week was played, so there is nothing to compare."
    ens = ensemble if ensemble is not None else game.agent_ensemble()
    runs, row = ens.runs, game.result()
    n = len(runs)
    outcome = str(row["outcome"])
    shares = runs["outcome"].value_counts(normalize=True)
    lines = [f"Debrief: {m.week} weeks of '{m.config.name}' (seed {ens.seed}); you played "
             f"{SIDES[me]}, the agent played {SIDES[rival]}.",
             f"Compared with {n} runs in which agents play both sides (same scenario, seed, "
             f"parameters and {m.week} weeks).", ""]
    start = m.recorder.tariff
    moves = ", ".join(f"{SIDES[side]}'s tariff {start[side][0, 0]:.0f}% -> "
                      f"{float(row[f'{side}_tariff_final']):.0f}%" for side in ("us", "cn"))
    lines.append(f"  Your outcome: {outcome_words(outcome)} ({moves}). Agents reached it in "
                 f"{shares.get(outcome, 0.0):.0%} of runs.")
    if outcome == "escalation":
        lines.append("  (The outcome classes the whole path: one side's sustained rise makes an "
                     "escalation even where the other side's tariff fell.)")
    lines.append("  Agents' outcomes: " + ", ".join(
        f"{outcome_words(o)} {shares.get(o, 0.0):.0%}" for o in OUTCOMES))
    lines.append("")
    lines.append(f"  {'':<36}{'you':>8}  {'agents: median [5%, 95%]':>28}  percentile")
    measures = [(f"{me}_cum_pain", "your pain, % of GDP-years"),
                (f"{rival}_cum_pain", f"{SIDES[rival]}'s pain, % of GDP-years"),
                (f"{me}_face_paid", "face you paid, weeks of pain"),
                (f"{me}_face_final", "your face stock at the end"),
                ("us_tariff_final", "US tariff at the end, %"),
                ("cn_tariff_final", "China's tariff at the end, %")]
    for col, label in measures:
        values = runs[col].to_numpy(dtype=float)
        q = np.quantile(values, (0.05, 0.5, 0.95))
        you = float(row[col])
        band = (f"{q[1]:.3g} (all runs)" if np.isclose(q[0], q[2])
                else f"{q[1]:.3g} [{q[0]:.3g}, {q[2]:.3g}]")
        lines.append(f"  {label:<36}{you:8.3g}  {band:>28}  {percentile(values, you):8.0f}")
    pain_pct = percentile(runs[f"{me}_cum_pain"].to_numpy(dtype=float),
                          float(row[f"{me}_cum_pain"]))
    verdict = ("less than most agents" if pain_pct < 40 else
               "more than most agents" if pain_pct > 60 else "about what agents bear")
    lines.append("")
    lines.append(f"  Your country's cumulative pain is at percentile {pain_pct:.0f} of the "
                 f"agent runs: {verdict}.")
    deal = row["deal_week"]
    reached = runs["deal_week"].notna().mean()
    lines.append(f"  First deal or truce: {'week ' + str(int(deal)) if pd.notna(deal) else 'none'}"
                 f" (agents reach one in {reached:.0%} of runs).")
    mine = Counter(t.player_move for t in game.turns)
    total = sum(mine.values()) or 1
    agent = (ens.paths[ens.paths["week"] >= 1][f"{me}_move"].astype(str)
             .value_counts(normalize=True) if len(ens.paths) else pd.Series(dtype=float))
    lines.append("")
    lines.append(f"  Your moves and the agent's as {SIDES[me]} (share of weeks):")
    shown = set(mine) | {mv for mv, v in agent.items() if v >= 0.005}
    for move in sorted(shown, key=lambda mv: -(mine.get(mv, 0) / total + agent.get(mv, 0.0))):
        lines.append(f"    {move:<19} you {mine.get(move, 0) / total:5.0%}   agents "
                     f"{agent.get(move, 0.0):5.0%}")
    twin = runs.iloc[0]
    lines.append("")
    lines.append(f"  Your world with the agent in your seat (run 0: the same random draws): "
                 f"{outcome_words(str(twin['outcome']))}, your side's pain "
                 f"{twin[f'{me}_cum_pain']:.3g} (yours: {row[f'{me}_cum_pain']:.3g}).")
    return "\n".join(lines)


# --- the terminal ---------------------------------------------------------------------------
class _EndOfInput(Exception):
    pass


def _ask(prompt: str, stdin: TextIO, out: TextIO) -> str:
    out.write(prompt)
    out.flush()
    line = stdin.readline()
    if not line:
        out.write("\n")
        raise _EndOfInput
    text = line.strip()
    if not stdin.isatty():  # echo piped input so the transcript reads like a session
        out.write(text + "\n")
    return text


def move_number(name: str) -> int:
    """A move's number on the menu: the same every week (the order of ``MOVES``), so that
    typing a number always means the same move; moves not open this week are left out."""
    return INDEX[name] + 1


def _choose_move(game: Game, stdin: TextIO, out: TextIO) -> tuple[str, Option | None] | None:
    menu = sorted(game.menu(), key=move_number)
    numbers = {move_number(name): name for name in menu}
    out.write("Your moves:\n")
    for name in menu:
        out.write(f"  {move_number(name):>2}. {name:<19} {game.move_words(name)}\n")
    while True:
        text = _ask(f"Move for week {game.week + 1} [a number above or a name; q to stop]: ",
                    stdin, out).lower()
        if text in QUIT:
            return None
        move = (numbers.get(int(text)) if text.isdigit() else text if text in menu else None)
        if move is None:
            what = f"Not on this week's menu: {text!r}." if text else "Please choose a move."
            out.write(f"  {what} Choose one of: "
                      f"{', '.join(f'{move_number(n)} {n}' for n in menu)}.\n")
            continue
        break
    options = game.options(move)
    if not options:
        return move, None
    out.write(f"  {move}: choose one\n")
    for i, opt in enumerate(options, 1):
        out.write(f"    {i}. {opt.label}{'  (default)' if i == 1 else ''}\n")
    while True:
        text = _ask(f"  Choice [1-{len(options)}, Enter for 1]: ", stdin, out)
        if not text:
            return move, options[0]
        if text.lower() in QUIT:
            return None
        if text.isdigit() and 1 <= int(text) <= len(options):
            return move, options[int(text) - 1]
        named = [o for o in options if str(o.value) == text]
        if named:
            return move, named[0]
        out.write(f"  Not a choice: {text!r}.\n")


def play_terminal(game: Game, stdin: TextIO | None = None, out: TextIO | None = None,
                  debrief_runs: int = DEBRIEF_RUNS) -> Game:
    """The terminal game: state, menu, move, the rival's answer; a debrief at the end or
    when input ends."""
    stdin = sys.stdin if stdin is None else stdin
    out = sys.stdout if out is None else out
    m = game.model
    out.write(f"Scenario '{m.config.name}': {m.config.description.strip()}\n")
    out.write(f"You play {SIDES[game.side]}; the agent plays {SIDES[game.rival]} with the "
              f"same rules it uses in every run. {m.horizon} weeks. Enter a move's number or "
              "name; q (or end of input) stops the game.\n")
    try:
        while not game.done:
            out.write("\n" + game.state_text() + "\n")
            choice = _choose_move(game, stdin, out)
            if choice is None:
                break
            turn = game.play(*choice)
            out.write(f"\nWeek {turn.week} ({turn.date:%d %b %Y}):\n  {turn.player_text}\n"
                      f"  {turn.rival_text}\n  {turn.consequences}\n")
    except _EndOfInput:
        out.write("(end of input: the game stops here)\n")
    out.write("\n" + debrief(game, game.agent_ensemble(debrief_runs) if game.week else None)
              + "\n")
    return game

