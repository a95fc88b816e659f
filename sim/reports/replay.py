"""How a scripted path fared: per event, how often it took effect, who declined or rejected
it, and, for the path as a whole, how often it completed and where it broke down.

Reads only the run table (``runs.parquet``): the ``event_<id>`` status columns and the
``_declined`` / ``_rejected`` counts the recorder writes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.summary import Share, share
from sim.io.scenario import Scenario

NAMES = {"us": "the US", "cn": "China"}


@dataclass(frozen=True)
class EventReport:
    """What became of one scripted event across the runs."""

    id: str
    actor: str
    move: str
    took_effect: Share
    declined: float  # share of runs where its actor declined it at least once
    rejected: float  # share of runs where the rival rejected it at least once
    never_reached: float  # share of runs where it was never put and did not take effect
    median_week: float | None  # week it was last put, among runs where it took effect


@dataclass(frozen=True)
class Breakdown:
    """Where the path stopped: the first event that did not take effect, and why."""

    event: str
    reason: str
    share: float


@dataclass(frozen=True)
class ReplayReport:
    completed: Share
    events: tuple[EventReport, ...]
    breakdowns: tuple[Breakdown, ...]


def took_effect(runs: pd.DataFrame, event_id: str) -> np.ndarray:
    """Runs in which the event was made (and, for a proposal, accepted)."""
    from sim.model.events import STATUS_NAMES, TOOK_EFFECT

    return runs[f"event_{event_id}"].isin([STATUS_NAMES[s] for s in TOOK_EFFECT]).to_numpy()


def stop_reason(runs: pd.DataFrame, event_id: str, actor: str) -> np.ndarray:
    """Why the event did not take effect, per run (strings)."""
    status = runs[f"event_{event_id}"].astype(str).to_numpy()
    declines = runs[f"event_{event_id}_declined"].to_numpy() > 0
    rejections = runs[f"event_{event_id}_rejected"].to_numpy() > 0
    failures = (runs[f"event_{event_id}_failed"].to_numpy() > 0
                if f"event_{event_id}_failed" in runs else np.zeros(len(runs), dtype=bool))
    rival = "cn" if actor == "us" else "us"
    return np.select(
        [status == "rejected", status == "declined", status == "failed_at_home",
         failures & rejections, failures, rejections, declines, status == "awaiting"],
        [f"rejected by {NAMES[rival]}", f"declined by {NAMES[actor]}",
         f"accepted by {NAMES[rival]}, but failed at home (not ratified)",
         f"failed at home when accepted, rejected by {NAMES[rival]} when put again",
         f"accepted by {NAMES[rival]}, but failed at home each time (not ratified)",
         f"rejected by {NAMES[rival]} (each time proposed)",
         f"declined by {NAMES[actor]} (each time put to it)",
         f"made, awaiting {NAMES[rival]}'s answer at the horizon"],
        default="never put (its week, condition or move never came)")


def replay_report(runs: pd.DataFrame, scenario: Scenario) -> ReplayReport | None:
    """The report for a scenario with events (None without)."""
    if not scenario.events:
        return None
    n = len(runs)
    events, still = [], np.ones(n, dtype=bool)
    stops: dict[tuple[str, str], int] = {}
    for ev in scenario.events:
        ok = took_effect(runs, ev.id)
        week = runs[f"event_{ev.id}_week"]
        reached = week.notna().to_numpy()
        took_weeks = week[ok].dropna().to_numpy(dtype=float)
        events.append(EventReport(
            ev.id, ev.actor, ev.move, share(ev.id, int(ok.sum()), n),
            float(np.mean(runs[f"event_{ev.id}_declined"].to_numpy() > 0)),
            float(np.mean(runs[f"event_{ev.id}_rejected"].to_numpy() > 0)),
            float(np.mean(~reached & ~ok)),  # an aim already met counts as taken effect
            float(np.median(took_weeks)) if len(took_weeks) else None))
        stopped = still & ~ok
        if stopped.any():
            reasons, counts = np.unique(stop_reason(runs, ev.id, ev.actor)[stopped],
                                        return_counts=True)
            for reason, count in zip(reasons, counts, strict=True):
                stops[(ev.id, str(reason))] = int(count)
        still &= ok
    breakdowns = tuple(sorted((Breakdown(e, r, c / n) for (e, r), c in stops.items()),
                              key=lambda b: -b.share))
    return ReplayReport(share("completed", int(still.sum()), n), tuple(events), breakdowns)


def format_replay(report: ReplayReport) -> str:
    """Plain-text table of the report."""
    c = report.completed
    lines = [f"Scripted path: completed in {c.share:.1%} of runs [{c.low:.1%}, {c.high:.1%}]",
             f"  {'event':<22} {'actor':<6} {'move':<18} {'took effect':>11} {'declined':>9} "
             f"{'rejected':>9} {'never put':>9} {'week':>5}"]
    for e in report.events:
        week = f"{e.median_week:.0f}" if e.median_week is not None else "-"
        lines.append(f"  {e.id:<22.22} {e.actor:<6} {e.move:<18} {e.took_effect.share:>11.1%} "
                     f"{e.declined:>9.1%} {e.rejected:>9.1%} {e.never_reached:>9.1%} "
                     f"{week:>5}")
    lines.append("  (took effect: made, or its aim already met; declined, rejected: share of "
                 "runs where it\n   happened at least once; never put: its week, condition or "
                 "move never came;\n   week: median week it took effect)")
    if report.breakdowns:
        lines.append("Where the path stopped (first step that did not take effect):")
        for b in report.breakdowns[:6]:
            lines.append(f"  {b.share:6.1%}  at {b.event}: {b.reason}")
    return "\n".join(lines)
