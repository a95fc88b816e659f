"""The teaching demo's logic, apart from the page (``sim.teach.app``) so it is tested without a
browser: the parameter sliders, the live run, its charts and narrative, and the live
ensemble panel.

No dynamics live here.  The live run is a one-run :class:`~sim.model.model.TradeWarModel` (it
only stops at the horizon and notes each week's tariff layers for the stack chart), and the
ensemble is :func:`sim.experiments.ensemble.run_ensemble`, exactly as ``tradewar run`` uses them.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.experiments.ensemble import run_ensemble
from sim.experiments.summary import Summary, summarize
from sim.io.scenario import Scenario, load_scenario
from sim.model import parameters
from sim.model.model import TradeWarModel
from sim.reports.explain import CHANNELS, RunStory, _state_change, narrate, week_sentence
from sim.reports.plots import SIDE_STYLE, fan_chart, fan_legend, outcome_bars

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
SCENARIO_ENV = "TRADEWAR_DEMO_SCENARIO"
"""Environment variable through which ``tradewar demo SCENARIO`` names the first scenario."""
ENSEMBLE_RUNS = 300
"""Runs in the live ensemble panel (about 0.2 s here)."""
STANCE_ROWS = {"us": -0.6, "cn": -1.1}  # where the stance bars sit in the channel panel
PLAYERS = {"nobody (agents play both)": "", "the US": "us", "China": "cn"}


@dataclass(frozen=True)
class Knob:
    """A slider over one parameter (dotted name)."""

    name: str
    label: str
    lo: float
    hi: float
    step: float
    help: str


KNOBS: tuple[Knob, ...] = (
    Knob("initial.us_face", "US face: public commitments", 0.0, 30.0, 0.1,
         "how many public vows the US has made against backing down; more face makes a "
         "US concession dearer"),
    Knob("initial.cn_face", "China's face: public commitments", 0.0, 30.0, 0.1,
         "the same for China (12 statements counted in April 2025)"),
    Knob("face.backdown_weeks", "Cost of a full back-down, weeks of pain", 13.0, 78.0, 1.0,
         "what a full public climb-down costs at the peak commitment, for both sides"),
    Knob("decision.relative_loss_weight", "Relative-gains weight: who loses more", 0.0,
         2.0, 0.05, "how much each government minds hurting more than its rival (0 by "
         "default: the war of attrition already prices who can hold out longer)"),
    Knob("trade.elasticity_short", "Trade elasticity at one year", 0.25, 1.5, 0.05,
         "how fast buyers switch away from taxed goods; higher means less pain per point"),
    Knob("cn.stimulus_capacity", "China's stimulus capacity, % of GDP a year", 0.0, 3.0,
         0.1, "fiscal room that absorbs part of China's losses"),
    Knob("decision.rationality", "Rationality λ (logit precision)", 0.25, 10.0, 0.25,
         "high: governments nearly always pick their best move; low: more random moves"),
)
BY_KNOB = {k.name: k for k in KNOBS}


# --- scenarios and parameters ----------------------------------------------------------------
def scenario_files(extra: str | None = None) -> dict[str, str]:
    """Scenario name -> file: the library, plus ``extra`` (a path) if given."""
    files = {p.stem: str(p) for p in sorted(LIBRARY.glob("*.yaml"))}
    if extra:
        sc = load_scenario(extra)
        files = {sc.name: str(Path(extra).resolve()), **files}
    return files


def first_scenario() -> tuple[dict[str, str], str]:
    """The scenario files and the one to show first (``$TRADEWAR_DEMO_SCENARIO`` or
    ``baseline``)."""
    extra = os.environ.get(SCENARIO_ENV) or None
    files = scenario_files(extra)
    if extra:
        return files, scenario(files_key(files, extra)).name
    return files, "baseline" if "baseline" in files else next(iter(files))


def files_key(files: dict[str, str], path: str) -> str:
    resolved = str(Path(path).resolve())
    return next((f for f in files.values() if str(Path(f).resolve()) == resolved), path)


@functools.lru_cache(maxsize=64)
def scenario(path: str) -> Scenario:
    """A validated scenario (cached by file)."""
    return load_scenario(path)


def knob_values(sc: Scenario) -> dict[str, float]:
    """Each slider's value in force in the scenario (its own value or the default)."""
    values = parameters.resolve(sc.overrides)
    return {k.name: float(values[k.name]) for k in KNOBS}


def knob_range(knob: Knob, value: float) -> tuple[float, float]:
    """The slider's range, widened to include ``value`` and kept inside the valid range."""
    param = parameters.BY_NAME[knob.name]
    return max(param.lo, min(knob.lo, value)), min(param.hi, max(knob.hi, value))


def overrides_for(sc: Scenario, values: dict[str, float]) -> dict[str, float]:
    """Slider values that differ from the scenario's, checked like ``--set``."""
    base = knob_values(sc)
    out = {}
    for name, value in values.items():
        value = float(value)
        parameters.check(name, value)
        if not np.isclose(value, base[name]):
            out[name] = value
    return out


def run_seed(sc: Scenario, run: int) -> int:
    """Seed of the live run and its ensemble: the scenario's seed plus the run number
    chosen on the page, so the live run is run 0 of the ensemble shown beside it."""
    return sc.seed + int(run)


# --- the live run -----------------------------------------------------------------------------
class LiveRun(TradeWarModel):
    """One run for the page: an ordinary one-run model that stops at the horizon.

    The keyword arguments are what Mesa's Reset button passes back (``ModelController``).
    """

    def __init__(self, scenario_file: str = "", run: int = 0,
                 overrides: dict[str, float] | None = None) -> None:
        files = scenario_files()
        self.scenario_file = scenario_file or files.get("baseline", next(iter(files.values())))
        sc = scenario(self.scenario_file)
        self.run_number = int(run)
        self.overrides = dict(overrides or {})
        self.run_seed = run_seed(sc, run)
        super().__init__(sc, runs=1, seed=self.run_seed, overrides=self.overrides, sample=1)
        self.stacks: list[dict[str, dict[str, float]]] = [self.tariff_stacks()]

    def tariff_stacks(self) -> dict[str, dict[str, float]]:
        """Each side's effective tariff by layer now (exemptions netted out)."""
        from sim.teach.play import tariff_stack

        return {gov.side: tariff_stack(gov) for gov in self.governments}

    def step(self) -> None:
        if self.week >= self.horizon:
            self.running = False
            return
        super().step()
        self.stacks.append(self.tariff_stacks())
        self.running = self.week < self.horizon

    @property
    def params(self) -> dict[str, object]:
        """The keyword arguments that rebuild this run."""
        return {"scenario_file": self.scenario_file, "run": self.run_number,
                "overrides": dict(self.overrides)}


def run_figure(model: LiveRun) -> Figure:
    """Six panels of the live run so far: both tariff stacks, weekly and cumulative pain,
    face stocks, channel level and public stance."""
    t, horizon = model.week, model.horizon
    rec = model.recorder
    weeks = np.arange(t + 1)
    fig = Figure(figsize=(8.2, 5.6))
    axes = fig.subplots(2, 3)
    for ax, side in zip(axes[0, :2], ("us", "cn"), strict=True):
        stacks = [s[side] for s in model.stacks[: t + 1]]
        names = list(stacks[0])
        ax.stackplot(weeks, *[[s[n] for s in stacks] for n in names], labels=names,
                     step="post", alpha=0.8)
        ax.set_title(SIDE_STYLE[side][0].replace(" on ", " on\n") + ", %", fontsize=9)
        ax.legend(loc="upper right", fontsize=7)
    p = rec.paths
    for side in ("us", "cn"):
        colour = SIDE_STYLE[side][1]
        who = "US" if side == "us" else "China"
        axes[0, 2].plot(weeks, p[f"{side}_pain"][: t + 1, 0], color=colour, label=who)
        axes[1, 0].plot(weeks, p[f"{side}_cum_pain"][: t + 1, 0], color=colour, label=who)
        axes[1, 1].plot(weeks, p[f"{side}_face"][: t + 1, 0], color=colour, label=who)
        low = STANCE_ROWS[side]
        axes[1, 2].fill_between(weeks, low - 0.12, low + 0.12, step="post", color=colour,
                                where=p[f"{side}_acknowledges"][: t + 1, 0] > 0.5, lw=0)
    axes[0, 2].set_title("Pain this week\n(% of GDP a year)", fontsize=9)
    axes[1, 0].set_title("Pain so far\n(% of GDP-years)", fontsize=9)
    axes[1, 1].set_title("Face stock\n(public commitments)", fontsize=9)
    axes[1, 2].step(weeks, p["channel"][: t + 1, 0], where="post", color="black", lw=2,
                    label="channel level")
    axes[1, 2].set_yticks([STANCE_ROWS["cn"], STANCE_ROWS["us"], *range(5)],
                          ["China admits talks", "US admits talks", "none", "working",
                           "deputy", "minister", "leader"], fontsize=7)
    axes[1, 2].set_ylim(-1.4, 4.3)
    axes[1, 2].set_title("Channel; stance\n(bar: talks admitted)", fontsize=9)
    for ax in axes.flat:
        ax.set_xlim(0, horizon)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
        if ax is not axes[0, 0] and ax is not axes[0, 1]:
            ax.legend(loc="upper left", fontsize=7)
    for ax in axes[1]:
        ax.set_xlabel("week", fontsize=8)
    fig.suptitle(f"'{model.config.name}', run seed {model.run_seed} - week {t} of "
                 f"{horizon}", fontsize=10)
    fig.tight_layout()
    return fig


def this_week(model: LiveRun) -> str:
    """The latest week in words: both moves, their reasons, what changed."""
    t = model.week
    if t == 0:
        return (f"Week 0 ({model.date():%d %b %Y}): nothing has happened yet. Press Step "
                "(or play a move) to advance one week.")
    paths = model.recorder.paths_frame()
    row, before = paths.iloc[t], paths.iloc[t - 1]
    date = model.start + dt.timedelta(weeks=t - 1)
    lines = [f"Week {t} ({date:%d %b %Y}):"]
    lines += [week_sentence(row, side, events=model.config.events) for side in ("us", "cn")]
    lines.append(_state_change(before, row))
    return "\n".join(lines)


def story(model: LiveRun) -> str:
    """The whole run so far, as ``tradewar explain`` tells it."""
    if model.week == 0:
        return f"Channel: {CHANNELS[int(model.channel[0])]}."
    paths = model.recorder.paths_frame()
    return narrate(RunStory(0, model.config, paths.iloc[: model.week + 1].reset_index(drop=True),
                            model.recorder.runs_frame().iloc[0]))


# --- the live ensemble --------------------------------------------------------------------------
@dataclass(frozen=True)
class EnsembleView:
    """What the ensemble panel shows."""

    scenario: Scenario
    seed: int
    overrides: dict[str, float]
    summary: Summary
    fan: dict[str, np.ndarray]
    seconds: float

    @property
    def runs(self) -> int:
        return self.summary.runs


@functools.lru_cache(maxsize=48)
def _ensemble(path: str, seed: int, overrides: tuple[tuple[str, float], ...],
              runs: int) -> EnsembleView:
    sc = scenario(path)
    started = time.perf_counter()
    ens = run_ensemble(sc, runs=runs, seed=seed, overrides=dict(overrides), path_sample=0)
    summary = summarize(ens.runs, sc.weeks)
    return EnsembleView(sc, seed, dict(overrides), summary, ens.fan,
                        time.perf_counter() - started)


def live_ensemble(scenario_file: str, run: int = 0, overrides: dict[str, float] | None = None,
                  runs: int = ENSEMBLE_RUNS) -> EnsembleView:
    """``runs`` runs of the scenario with the sliders' values (cached: moving a slider
    back is instant)."""
    sc = scenario(scenario_file)
    return _ensemble(scenario_file, run_seed(sc, run), tuple(sorted((overrides or {}).items())),
                     runs)


def ensemble_figure(view: EnsembleView, live: LiveRun | None = None) -> Figure:
    """Tariff fan chart of the ensemble (with the live run so far) and outcome shares."""
    fig = Figure(figsize=(11, 4.3))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.7, 1]})
    start = view.scenario.start_date
    fan_chart(left, view.fan, start)
    if live is not None and live.week > 0:
        dates = [start + dt.timedelta(weeks=w) for w in range(live.week + 1)]
        for side in ("us", "cn"):
            left.plot(dates, live.recorder.tariff[side][: live.week + 1, 0], color="black",
                      lw=1.2, ls="--" if side == "cn" else "-")
        left.plot([], [], color="black", lw=1.2, label="this run (US solid, China dashed)")
        fan_legend(left)
    left.set_title(f"Tariff paths of {view.runs} runs", fontsize=9)
    outcome_bars(right, view.summary)
    right.set_title(f"Outcome after {view.summary.weeks} weeks ({view.runs} runs)", fontsize=9)
    changed = ", ".join(f"{k}={v:g}" for k, v in view.overrides.items()) or "scenario values"
    fig.suptitle(f"'{view.scenario.name}', seed {view.seed}: {changed}", fontsize=9)
    fig.tight_layout()
    return fig


def shares_text(view: EnsembleView) -> str:
    """Outcome shares in one line."""
    from sim.teach.play import outcome_words

    return "; ".join(f"{outcome_words(s.name)} {s.share:.0%}" for s in view.summary.outcomes)
