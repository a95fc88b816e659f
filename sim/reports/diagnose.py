"""How often each side chose against its own margin: ``tradewar diagnose``.

Each week a government picks its move by logit quantal response over expected utilities
in weeks of pain, and answers the rival's proposal the same way.  A free choice (not
scripted) is *against the margin* when another option on the menu had a higher expected
utility; its *regret* is the shortfall.  The recorder counts these over every run
(``Ensemble.diagnostics``); this module turns them into a table per side with a verdict on
the consequential moves, the ones that change tariffs, deals or commitments.

Given the same runs at best response as well (``decision.best_response`` = 1, common random
numbers: the same seed, types and drawn parameters), the report adds what the noise does to
the outcomes: each outcome's share at the scenario's precision and at best response, with the
paired difference.  Where the noise decides outcomes, it is the engine, not a dial (issue 9;
McKelvey & Palfrey 1995 on the logit as a model of error, not of strategy).
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.ensemble import Ensemble, run_ensemble
from sim.io.scenario import Scenario

CONSEQUENTIAL: tuple[str, ...] = ("escalate", "step_down_alone", "step_down_private",
                                  "step_down_matched", "offer", "offer_private", "accept")
"""Moves (and the answer ``accept``) that change tariffs, deals or commitments."""

SIDE_NAMES = {"us": "The US", "cn": "China"}
WIDTH = 92


@dataclass
class Diagnosis:
    """The diagnostics table, each side's verdict and the printed report."""

    table: pd.DataFrame  # Ensemble.diagnostics with a ``consequential`` flag
    verdicts: pd.DataFrame  # per side over consequential moves: counts and shares
    lam: float  # logit precision (decision.rationality)
    best_response: bool  # decision.best_response: every choice the best on the menu
    text: str
    noise: pd.DataFrame | None = None  # outcome shares at lambda and at best response


def diagnose(ensemble: Ensemble, at_best: Ensemble | None = None) -> Diagnosis:
    """The diagnosis of an ensemble's choices against the margin; with ``at_best``, the
    same runs at best response, also what the noise does to the outcomes
    (``noise_effect``)."""
    if ensemble.diagnostics.empty:
        raise ValueError("the ensemble carries no diagnostics")
    table = ensemble.diagnostics.copy()
    table["consequential"] = table["move"].isin(CONSEQUENTIAL)
    verdicts = consequential_shares(table)
    params = ensemble.parameters
    lam = float(params["decision.rationality"])
    best = params["decision.best_response"] > 0.5
    drawn = _drawn_precision(ensemble)
    if drawn is not None:  # each run drew its own: tell their spread, reason at the median
        lam = round(drawn[1], 2)
    title = (f"Choices against the margin: scenario '{ensemble.scenario.name}' "
             f"(seed {ensemble.seed}), {ensemble.n_runs:,} runs x "
             f"{ensemble.scenario.weeks} weeks")
    text = format_diagnosis(table, verdicts, lam, best, title, drawn)
    noise = None
    if at_best is not None and not best:
        noise = noise_effect(ensemble, at_best)
        text += "\n\n" + format_noise(noise, lam, drawn)
    return Diagnosis(table, verdicts, lam, best, text, noise)


def outcome_indicators(ensemble: Ensemble) -> dict[str, np.ndarray]:
    """Per run, 0/1 for each outcome class at the horizon, any deal or pause signed by
    then, and official talks by then (deputy level or above)."""
    from sim.model.outcomes import OUTCOMES

    runs = ensemble.runs
    out = {f"outcome: {o}": (runs["outcome"] == o).to_numpy() for o in OUTCOMES}
    out["a deal or pause signed"] = runs["deal_week"].notna().to_numpy()
    out["official talks"] = runs["first_talks_week"].notna().to_numpy()
    return out


def noise_effect(at_lambda: Ensemble, at_best: Ensemble) -> pd.DataFrame:
    """Each outcome's share over the same runs at the scenario's precision and at best
    response, and the paired difference (lambda minus best response) with its 95%
    paired-bootstrap interval (``paired_difference``; each row on its own stream)."""
    from sim.experiments.compare import paired_difference

    _check_pair(at_lambda, at_best)
    a, b = outcome_indicators(at_lambda), outcome_indicators(at_best)
    rows = []
    for name in a:
        diff, low, high = paired_difference(a[name], b[name], np.random.default_rng(0))
        rows.append({"measure": name, "at_lambda": float(a[name].mean()),
                     "at_best": float(b[name].mean()), "difference": diff, "low": low,
                     "high": high})
    return pd.DataFrame(rows)


def _check_pair(at_lambda: Ensemble, at_best: Ensemble) -> None:
    """``ValueError`` unless ``at_best`` is ``at_lambda``'s runs at best response: the same
    scenario, seed, runs, settings but the rule, drawn points and private types."""
    def sha(e: Ensemble) -> str | None:
        return None if e.calibrated is None else e.calibrated.sha256

    def rest(e: Ensemble) -> dict:
        return {k: v for k, v in e.overrides.items() if k != "decision.best_response"}

    rule = "decision.best_response"
    mine, theirs = rest(at_lambda), rest(at_best)
    same = (at_lambda.n_runs == at_best.n_runs and at_lambda.seed == at_best.seed
            and at_lambda.scenario == at_best.scenario and sha(at_lambda) == sha(at_best)
            and mine.keys() == theirs.keys()
            and all(np.array_equal(np.asarray(v), np.asarray(theirs[k]))
                    for k, v in mine.items()))
    if not same:
        raise ValueError("the two ensembles must be the same runs of one scenario, with the "
                         "same settings but the decision rule")
    if not float(np.min(at_best.parameters[rule])) > 0.5:
        raise ValueError("the second ensemble must be at best response")
    if float(np.max(at_lambda.parameters[rule])) > 0.5:
        raise ValueError("the first ensemble must not be at best response")
    for column in ("parameter_point", "us_type", "cn_type"):
        if column in at_lambda.runs and not at_lambda.runs[column].equals(
                at_best.runs[column]):
            raise ValueError(f"the two ensembles' runs differ in {column}: not the same runs")


def format_noise(noise: pd.DataFrame, lam: float,
                 drawn: tuple[float, float, float] | None = None) -> str:
    """The section on what the noise does: a table and the largest shift."""
    at = f"lambda = {lam:g}" if drawn is None else "lambda drawn"
    lines = ["What the noise does to the outcomes: the same runs at best response",
             "(decision.best_response=1), outcomes at the horizon",
             f"  {'':<34}{at:>14}{'best response':>15}{'difference [95%]':>26}"]
    for r in noise.itertuples():
        lines.append(f"  {r.measure:<34}{r.at_lambda:>14.1%}{r.at_best:>15.1%}"
                     f"{100 * r.difference:>+11.1f} [{100 * r.low:+.1f}, {100 * r.high:+.1f}]")
    top = noise.loc[noise["difference"].abs().idxmax()]
    lines.append(textwrap.fill(
        f"Largest shift: {top.measure}, {100 * top.difference:+.1f} points with the noise "
        f"({top.at_best:.1%} at best response, {top.at_lambda:.1%} at {at}). Differences "
        "in points of the share of runs; where an outcome exists only through the noise, "
        "the noise is what makes it, not the bargaining.", WIDTH,
        initial_indent="  ", subsequent_indent="    "))
    return "\n".join(lines)


def _drawn_precision(ensemble: Ensemble) -> tuple[float, float, float] | None:
    """5th percentile, median and 95th percentile of the precision the runs drew from a
    calibrated set, or None where it is one number for all runs."""
    cal, name = ensemble.calibrated, "decision.rationality"
    if cal is None or name not in cal.names or name in ensemble.overrides:
        return None
    values = ensemble.drawn(name)
    low, mid, high = np.percentile(values, [5, 50, 95])
    return float(low), float(mid), float(high)


def diagnose_scenario(scenario: Scenario, *, runs: int | None = None, seed: int | None = None,
                      overrides: dict[str, float] | None = None,
                      batch_blocks: int | None = None) -> Diagnosis:
    """Run a scenario's ensemble (no week-by-week paths kept) and diagnose it."""
    extra = {} if batch_blocks is None else {"batch_blocks": batch_blocks}
    ensemble = run_ensemble(scenario, runs=runs, seed=seed, overrides=overrides,
                            path_sample=0, fan_runs=0, **extra)
    return diagnose(ensemble)


def at_best_response(ensemble: Ensemble, workers: int = 1,
                     progress: bool = False) -> Ensemble | None:
    """The same runs as ``ensemble`` (seed, parameters, calibrated set) at best response,
    or None where the ensemble is at best response already."""
    if float(np.max(ensemble.parameters["decision.best_response"])) > 0.5:
        return None
    return run_ensemble(ensemble.scenario, runs=ensemble.n_runs, seed=ensemble.seed,
                        overrides={**ensemble.overrides, "decision.best_response": 1},
                        path_sample=0, fan_runs=0, calibrated=ensemble.calibrated,
                        workers=workers, progress=progress)


VERDICT_COLUMNS = ("side", "chosen", "against", "share_against", "over_week",
                   "share_over_week", "hold_better", "share_hold_better")


def consequential_shares(table: pd.DataFrame) -> pd.DataFrame:
    """Per side: free consequential choices; how many were made against the margin, against
    it by more than a week of pain, and where standing pat was better; and their shares."""
    rows = []
    for side, part in table[table["move"].isin(CONSEQUENTIAL)].groupby("side", sort=False):
        chosen = int(part["chosen"].sum())
        row = {"side": side, "chosen": chosen}
        for column in ("against", "over_week", "hold_better"):
            count = int(part[column].sum())
            row[column], row[f"share_{column}"] = count, count / chosen if chosen else 0.0
        rows.append(row)
    return pd.DataFrame(rows, columns=list(VERDICT_COLUMNS))


def why(lam: float, best_response: bool) -> str:
    """One sentence on why choices go against the margin at this precision."""
    if best_response:
        return ("Why: best response (decision.best_response=1) always takes the option with "
                "the highest expected utility, so no choice goes against the margin (share 0).")
    if lam == 0:
        return ("Why: at precision lambda = 0 every option on the menu is equally likely, "
                "whatever its expected utility.")
    return (f"Why: logit noise; at precision lambda = {lam:g} a gap of g weeks of pain gives "
            f"the better option odds of exp({lam:g}*g) to 1 ({_odds(lam, 1.0)} for one week, "
            f"{_odds(lam, 0.25)} for a quarter week), so close calls often go the other way; "
            "with best response (decision.best_response=1) the share is 0.")


def format_diagnosis(table: pd.DataFrame, verdicts: pd.DataFrame, lam: float,
                     best_response: bool, title: str = "",
                     drawn: tuple[float, float, float] | None = None) -> str:
    """The report: per side a table of moves and answers, then a verdict line (``drawn``:
    the spread of a precision each run drew, ``lam`` its median)."""
    rule = ("Best response (decision.best_response=1)" if best_response
            else f"Logit choice at precision lambda = {lam:g} per week of pain" if drawn is None
            else f"Logit choice at a precision each run drew from the calibrated set (lambda "
                 f"{drawn[0]:.2g} to {drawn[2]:.2g} per week of pain, 5-95%; median "
                 f"{drawn[1]:.2g})")
    lines = [title] if title else []
    lines.append(f"{rule}; * marks a consequential move.")
    header = (f"  {'':<22}{'chosen freely':>14}{'against margin':>16}{'by > 1 wk':>11}"
              f"{'hold better':>13}{'mean regret':>13}")
    for side, part in table.groupby("side", sort=False):
        name = SIDE_NAMES.get(str(side), str(side))
        lines += ["", f"{name}", header]
        for kind, label in (("move", "moves"), ("answer", "answers")):
            rows = part[part["kind"] == kind]
            if rows.empty:
                continue
            lines.append(f"  {label}")
            for r in rows.itertuples():
                mark = "*" if r.consequential else " "
                share, week, hold = ((f"{r.share_against:.1%}", f"{r.share_over_week:.1%}",
                                      f"{r.share_hold_better:.1%}") if r.chosen
                                     else ("-", "-", "-"))
                regret = f"{r.mean_regret:.2f} wk" if r.against else "-"
                lines.append(f"  {mark} {r.move:<20}{r.chosen:>14,}{share:>16}{week:>11}"
                             f"{hold:>13}{regret:>13}")
        verdict = verdicts[verdicts["side"] == side]
        if len(verdict):
            v = verdict.iloc[0]
            lines.append(textwrap.fill(
                f"Verdict: {v.share_against:.1%} of {v.chosen:,} free consequential "
                f"choices against a negative margin "
                f"({_precision(lam, best_response, drawn)}); "
                f"{v.share_over_week:.1%} by more than a week of pain; "
                f"{v.share_hold_better:.1%} where standing pat was better", WIDTH,
                initial_indent="  ", subsequent_indent="    "))
    notes = ("Against margin: the share of free (unscripted) choices made although another "
             "option had a higher expected utility; by > 1 wk: the share made although "
             "another was better by more than a week of pain (a mistake, not a close call); "
             "hold better: the share made against the margin where the better option was to "
             "stand pat (hold, or turn the proposal down), the rest passing over another "
             "move, often a near substitute (a public offer for a private one); mean "
             "regret: the average shortfall of the choices against the margin, in weeks of "
             "pain. Consequential: " + ", ".join(CONSEQUENTIAL) + ".")
    lines += ["", textwrap.fill(notes, WIDTH), textwrap.fill(why(lam, best_response), WIDTH)]
    return "\n".join(lines)


def _precision(lam: float, best_response: bool,
               drawn: tuple[float, float, float] | None = None) -> str:
    if best_response:
        return "best response"
    return f"lambda = {lam:g}" if drawn is None else f"lambda drawn per run, median {lam:.2g}"


def _odds(lam: float, gap: float) -> str:
    odds = math.exp(min(lam * gap, 700.0))
    return f"{odds:,.0f}:1" if odds >= 10 else f"{odds:.1f}:1"
