"""What a model run keeps: per-run summaries for every run, full weekly records (with the
decision terms of every move made) for a sample of runs, and both tariff paths for all
runs (for fan charts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.model.agents import TYPE_NAMES, Government
from sim.model.decision import TERM_NAMES
from sim.model.events import STATUS_NAMES
from sim.model.moves import ANSWERS, INDEX, MOVE_NAMES, MOVES
from sim.model.outcomes import OUTCOMES, classify_model
from sim.model.packages import PACKAGES
from sim.model.vector import select

if TYPE_CHECKING:
    from sim.model.economics import Pain
    from sim.model.model import TradeWarModel

Array = np.ndarray
DEESCALATION_KINDS = ("none", "unilateral_us", "unilateral_cn", "private_us", "private_cn",
                      "matched", *(f"deal_{pkg.name}" for pkg in PACKAGES))
ANSWER_NAMES = ("", "accept", "reject")
UNSIGNED_NAMES = ("", "failed_at_home_us", "failed_at_home_cn", "failed_at_home_both",
                  "lapsed")
"""What came of an accepted package that was not signed (``{side}_answer_unsigned``)."""
DEAL_EVENT_NAMES = ("", "pause_expired", "us_reopened", "cn_reneged")
"""What befell a standing deal at the end of a week (``deal_event``): nothing, its tariff
pause ran out and the paused layers and tools returned, or it collapsed (the US reopened
it, us-inconsistent-demands; China reneged, lit-bown-phase-one) and every level returned to
where it stood before the first deal."""
REGRET_UNIT = 1_000_000  # regret is summed in micro-weeks of pain: integers, exact sums
REGRET_TOL = 1e-6  # a shortfall (weeks of pain) below this is a tie, not a choice against
DIAGNOSTIC_KEYS = ("side", "kind", "move")
DIAGNOSTIC_COUNTS = ("chosen", "against", "regret_uw", "over_week", "hold_better")
"""Free choices; those against a negative margin; their summed shortfall (micro-weeks of
pain); those against by more than a week of pain (``MATERIAL``); those where standing pat
(holding, or turning the proposal down) was the better option."""
MATERIAL = 1.0  # weeks of pain: a shortfall above this is a mistake, not a close call
HOLD = INDEX["hold"]


class Recorder:
    """Collects a model's results as it steps."""

    def __init__(self, model: TradeWarModel, sample: int) -> None:
        self.model = model
        n, w = model.n, model.horizon
        self.kinds = DEESCALATION_KINDS
        self.sample = min(sample, n)
        self.tariff = {s: np.zeros((w + 1, n), dtype=np.float32) for s in ("us", "cn")}
        self.peak = {s: np.zeros(n) for s in ("us", "cn")}
        self.first_talks = np.full(n, -1, dtype=np.int16)
        self.first_deesc = np.full(n, -1, dtype=np.int16)
        self.first_deesc_kind = np.zeros(n, dtype=np.int8)
        self.deal_week = np.full(n, -1, dtype=np.int16)
        self.deal_kind = np.full(n, -1, dtype=np.int8)
        self.renege_week = np.full(n, -1, dtype=np.int16)
        self.reneged_by = np.zeros(n, dtype=np.int8)  # 0 nobody, 1 US, 2 China
        self.declined = {s: np.zeros(n, dtype=np.int16) for s in ("us", "cn")}
        self.leaks = {s: np.zeros(n, dtype=np.int16) for s in ("us", "cn")}
        self.expired = np.zeros(n, dtype=bool)
        self.talk_leaks = np.zeros(n, dtype=bool)
        self.failed = {s: np.zeros(n, dtype=np.int16) for s in ("us", "cn")}
        self.failed_deals = np.zeros(n, dtype=np.int16)
        self.tools = {s: np.zeros((w + 1, n), dtype=np.float32) for s in ("us", "cn")}
        # diagnostics over every run, per move and per answer (accept, reject): how often
        # it was chosen freely (not scripted), how often against a negative margin (a better
        # option was open) and the summed shortfall, in micro-weeks of pain so that every
        # sum is an integer and the totals do not depend on how runs are batched
        n_moves, n_answers = len(MOVES), len(ANSWER_NAMES) - 1
        self.chosen = {s: np.zeros(n_moves, dtype=np.int64) for s in ("us", "cn")}
        self.against = {s: np.zeros(n_moves, dtype=np.int64) for s in ("us", "cn")}
        self.regret = {s: np.zeros(n_moves, dtype=np.int64) for s in ("us", "cn")}
        self.answered = {s: np.zeros(n_answers, dtype=np.int64) for s in ("us", "cn")}
        self.answered_against = {s: np.zeros(n_answers, dtype=np.int64) for s in ("us", "cn")}
        self.answer_regret = {s: np.zeros(n_answers, dtype=np.int64) for s in ("us", "cn")}
        self.over_week = {s: np.zeros(n_moves, dtype=np.int64) for s in ("us", "cn")}
        self.hold_better = {s: np.zeros(n_moves, dtype=np.int64) for s in ("us", "cn")}
        self.answer_over_week = {s: np.zeros(n_answers, dtype=np.int64) for s in ("us", "cn")}
        s = self.sample
        self.paths = {name: np.zeros((w + 1, s), dtype=np.float32) for name in (
            "us_pain", "cn_pain", "us_face", "cn_face", "channel", "us_acknowledges",
            "cn_acknowledges", "us_cum_pain", "cn_cum_pain", "us_pressure", "cn_pressure",
            "us_belief_hardline", "cn_belief_hardline", "us_belief_soft", "cn_belief_soft")}
        self.answers = {side: np.zeros((w + 1, s), dtype=np.int8) for side in ("us", "cn")}
        self.answer_gain = {side: np.zeros((w + 1, s), dtype=np.float32)
                            for side in ("us", "cn")}
        # what came of a package a side accepted: 0 signed (or nothing accepted), 1 failed
        # at home in the US, 2 in China, 3 in both, 4 lapsed as moot (UNSIGNED_NAMES)
        self.unsigned_code = {side: np.zeros((w + 1, s), dtype=np.int8)
                              for side in ("us", "cn")}
        self.deal_event = np.zeros((w + 1, s), dtype=np.int8)  # DEAL_EVENT_NAMES
        self.moves = {side: np.full((w + 1, s), -1, dtype=np.int8) for side in ("us", "cn")}
        self.args = {side: np.full((w + 1, s), -1, dtype=np.int16) for side in ("us", "cn")}
        self.scripted = {side: np.zeros((w + 1, s), dtype=np.int16) for side in ("us", "cn")}
        # scenario steps put on the table as standing proposals this week, and the step
        # (if any) whose standing proposal a side answered: event index + 1, 0 for none
        self.tabled = {side: np.zeros((w + 1, s), dtype=np.int16) for side in ("us", "cn")}
        self.answered_step = {side: np.zeros((w + 1, s), dtype=np.int16)
                              for side in ("us", "cn")}
        self.runner_up = {side: np.full((w + 1, s), -1, dtype=np.int8) for side in ("us", "cn")}
        self.margin = {side: np.zeros((w + 1, s), dtype=np.float32) for side in ("us", "cn")}
        self.terms = {side: np.zeros((w + 1, len(TERM_NAMES), s), dtype=np.float32)
                      for side in ("us", "cn")}
        self.alt_terms = {side: np.zeros((w + 1, len(TERM_NAMES), s), dtype=np.float32)
                          for side in ("us", "cn")}

    # --- called by the model ------------------------------------------------------------
    def record_state(self, pain: Pain) -> None:
        """Record the state at the end of the current week (week 0 is the start)."""
        m, t = self.model, self.model.week
        for gov in m.governments:
            level = gov.tariff()
            self.tariff[gov.side][t] = level
            self.tools[gov.side][t] = sum(gov.tools.values())
            self.peak[gov.side] = np.maximum(self.peak[gov.side], level)
        talks = m.channel >= 2
        self.first_talks = np.where(talks & (self.first_talks < 0), t, self.first_talks).astype(
            np.int16)
        s = self.sample
        if s:
            rec = self.paths
            rec["us_pain"][t], rec["cn_pain"][t] = pain.us[:s], pain.cn[:s]
            rec["us_face"][t], rec["cn_face"][t] = m.us.face[:s], m.cn.face[:s]
            rec["channel"][t] = m.channel[:s]
            rec["us_acknowledges"][t] = m.us.acknowledges[:s]
            rec["cn_acknowledges"][t] = m.cn.acknowledges[:s]
            rec["us_cum_pain"][t], rec["cn_cum_pain"][t] = m.us.cum_pain[:s], m.cn.cum_pain[:s]
            gain = m.p["pressure.gain"]
            for gov in m.governments:
                rec[f"{gov.side}_pressure"][t] = gov.pressure(gain)[:s]
                # each side's belief that the RIVAL is of the hardline / soft type
                rec[f"{gov.side}_belief_hardline"][t] = gov.belief[-1, :s]
                rec[f"{gov.side}_belief_soft"][t] = gov.belief[0, :s]

    def before_resolve(self) -> None:
        """Record the answers and moves chosen this week: diagnostics for every run, and
        for the sample the decision terms of the move made and of its best alternative."""
        t = self.model.week + 1
        for gov in self.model.governments:
            free = gov.scripted == 0
            eu = gov.eu
            cols = np.arange(gov.n)
            chosen_eu = eu[gov.choice.astype(np.intp), cols]
            best = select(np.isfinite(eu), eu, -np.inf).max(axis=0)
            regret = select(free, best - chosen_eu, 0.0)
            bad = free & (regret > REGRET_TOL)
            units = np.rint(regret[bad] * REGRET_UNIT).astype(np.int64)
            self.chosen[gov.side] += np.bincount(gov.choice[free], minlength=len(MOVES))
            self.against[gov.side] += np.bincount(gov.choice[bad], minlength=len(MOVES))
            np.add.at(self.regret[gov.side], gov.choice[bad].astype(np.intp), units)
            if bad.any():  # what was passed over: a close call, or a better option to hold
                self.over_week[gov.side] += np.bincount(
                    gov.choice[bad & (regret > MATERIAL)], minlength=len(MOVES))
                held = eu[:, bad].argmax(axis=0) == HOLD
                self.hold_better[gov.side] += np.bincount(gov.choice[bad][held],
                                                          minlength=len(MOVES))
            # answers: an acceptance against a loss, a refusal against a gain
            answered = (gov.answer != 0) & ~gov.answer_scripted
            gain = gov.answer_gain.astype(np.float64)
            for j, code in enumerate((1, 2)):
                sel = answered & (gov.answer == code)
                wrong = sel & ((gain < -REGRET_TOL) if code == 1 else (gain > REGRET_TOL))
                self.answered[gov.side][j] += int(sel.sum())
                self.answered_against[gov.side][j] += int(wrong.sum())
                self.answer_over_week[gov.side][j] += int((wrong & (np.abs(gain) > MATERIAL))
                                                          .sum())
                self.answer_regret[gov.side][j] += int(
                    np.rint(np.abs(gain[wrong]) * REGRET_UNIT).astype(np.int64).sum())
        s = self.sample
        if not s:
            return
        for gov in self.model.governments:
            choice = gov.choice[:s].astype(np.intp)
            self.moves[gov.side][t] = choice
            self.args[gov.side][t] = gov.choice_arg[:s]
            self.scripted[gov.side][t] = gov.scripted[:s]
            week = self.model.week
            self.tabled[gov.side][t] = np.where(gov.standing_week[:s] == week,
                                                gov.standing_event[:s] + 1, 0)
            on_standing = (gov.answer[:s] != 0) & (gov.answer_target[:s] == 2)
            self.answered_step[gov.side][t] = np.where(on_standing,
                                                       gov.rival.standing_event[:s] + 1, 0)
            self.answers[gov.side][t] = gov.answer[:s]
            self.answer_gain[gov.side][t] = gov.answer_gain[:s]
            eu = gov.eu[:, :s]
            cols = np.arange(s)
            masked = eu.copy()
            masked[choice, cols] = -np.inf
            second = masked.argmax(axis=0)
            has_second = np.isfinite(masked[second, cols])
            self.runner_up[gov.side][t] = np.where(has_second, second, -1)
            self.margin[gov.side][t] = np.where(
                has_second, eu[choice, cols] - masked[second, cols], 0.0)
            for j, name in enumerate(TERM_NAMES):
                stacked = np.stack([np.broadcast_to(getattr(terms, name), (gov.n,))[:s]
                                    if terms is not None else np.zeros(s)
                                    for terms in gov.table])
                self.terms[gov.side][t, j] = stacked[choice, cols]
                self.alt_terms[gov.side][t, j] = np.where(has_second, stacked[second, cols], 0.0)

    def failed_at_home(self, any_side: Array, us: Array, cn: Array) -> None:
        """A deal both governments agreed failed ratification on one side or both."""
        self.failed_deals += any_side
        self.failed["us"] += us
        self.failed["cn"] += cn

    def unsigned(self, answerer: str, us: Array, cn: Array, moot: Array) -> None:
        """For the sampled runs' narratives: a package ``answerer`` accepted this week was
        not signed, because it failed at home (``us``, ``cn``) or lapsed as ``moot``."""
        s = self.sample
        if not s:
            return
        code = np.where(moot[:s], 4, us[:s].astype(np.int8) + 2 * cn[:s].astype(np.int8))
        row = self.unsigned_code[answerer][self.model.week + 1]
        row[:] = np.where(code > 0, code, row)

    def diagnostic_counts(self) -> pd.DataFrame:
        """Integer counts per side, kind (``move`` or ``answer``) and name: free choices
        (``chosen``), those made against a negative margin (``against``) and their summed
        shortfall in micro-weeks of pain (``regret_uw``).  Sums of these over batches are
        exact; :func:`diagnostics_table` turns them into shares and means."""
        rows = []
        for side in ("us", "cn"):
            for i, name in enumerate(MOVE_NAMES):
                if i in ANSWERS:  # never a move: answers are counted on their own rows
                    continue
                rows.append((side, "move", name, self.chosen[side][i], self.against[side][i],
                             self.regret[side][i], self.over_week[side][i],
                             self.hold_better[side][i]))
            for j, name in enumerate(ANSWER_NAMES[1:]):
                # an acceptance against a loss passed over turning the proposal down
                standing_pat = self.answered_against[side][j] if name == "accept" else 0
                rows.append((side, "answer", name, self.answered[side][j],
                             self.answered_against[side][j], self.answer_regret[side][j],
                             self.answer_over_week[side][j], standing_pat))
        frame = pd.DataFrame(rows, columns=list(DIAGNOSTIC_KEYS + DIAGNOSTIC_COUNTS))
        return frame.astype({c: np.int64 for c in DIAGNOSTIC_COUNTS})

    def diagnostics(self) -> pd.DataFrame:
        """This model's choices against the margin (see :func:`diagnostics_table`)."""
        return diagnostics_table(self.diagnostic_counts())

    def deescalated(self, mask: Array, kind: str) -> None:
        """Note the first de-escalation of each run and its kind."""
        new = mask & (self.first_deesc < 0)
        self.first_deesc[new] = self.model.week + 1
        self.first_deesc_kind[new] = self.kinds.index(kind)

    def dealt(self, mask: Array, k: int) -> None:
        """Note the first deal of each run."""
        new = mask & (self.deal_week < 0)
        self.deal_week[new] = self.model.week + 1
        self.deal_kind[new] = k

    def pause_expired(self, mask: Array) -> None:
        """Note the runs whose tariff pause ran out at the end of this week."""
        self.expired |= mask
        if self.sample:
            t = self.model.week
            self.deal_event[t] = np.where(mask[:self.sample], 1, self.deal_event[t])

    def reneged(self, mask: Array, by_us: Array) -> None:
        """Note each collapse of a deal and who walked away (the first in ``runs``)."""
        new = mask & (self.renege_week < 0)
        self.renege_week[new] = self.model.week
        self.reneged_by[new] = np.where(by_us[new], 1, 2)
        if self.sample:
            t, s = self.model.week, self.sample
            self.deal_event[t] = np.where(mask[:s], np.where(by_us[:s], 2, 3),
                                          self.deal_event[t])

    # --- tables -------------------------------------------------------------------------
    def runs_frame(self) -> pd.DataFrame:
        """One row per run."""
        m = self.model
        outcome = classify_model(m, self.tariff, self.tools)
        deal_names = np.array(["none", *(pkg.name for pkg in PACKAGES)])
        frame = {
            "run": m.streams.copy(),
            "outcome": pd.Categorical.from_codes(outcome, categories=list(OUTCOMES)),
            "first_talks_week": _weeks(self.first_talks),
            "first_deescalation_week": _weeks(self.first_deesc),
            "first_deescalation_kind": pd.Categorical.from_codes(
                self.first_deesc_kind, categories=list(self.kinds)),
            "deal_week": _weeks(self.deal_week),
            "deal_kind": pd.Categorical.from_codes(self.deal_kind + 1,
                                                   categories=list(deal_names)),
            "renege_week": _weeks(self.renege_week),
            "reneged_by": pd.Categorical.from_codes(self.reneged_by,
                                                    categories=["nobody", "us", "cn"]),
            "us_tariff_final": m.us.tariff(), "cn_tariff_final": m.cn.tariff(),
            **{f"{gov.side}_{name}_final": level for gov in m.governments
               for name, level in gov.layers.items()},
            "us_tariff_peak": self.peak["us"], "cn_tariff_peak": self.peak["cn"],
            "us_cum_pain": m.us.cum_pain, "cn_cum_pain": m.cn.cum_pain,
            "us_face_final": m.us.face, "cn_face_final": m.cn.face,
            "us_face_paid": m.us.face_paid, "cn_face_paid": m.cn.face_paid,
            "channel_final": m.channel.astype(np.int8),
            "cn_precursor_action": m.precursor_action.copy(),
            **{f"{gov.side}_{name}_final": level for gov in m.governments
               for name, level in gov.tools.items()},
            "us_declined": self.declined["us"], "cn_declined": self.declined["cn"],
            "us_leaks": self.leaks["us"], "cn_leaks": self.leaks["cn"],
            "us_type": pd.Categorical.from_codes(m.us.type_index, categories=list(TYPE_NAMES)),
            "cn_type": pd.Categorical.from_codes(m.cn.type_index, categories=list(TYPE_NAMES)),
            "us_resolve": m.us.resolve, "cn_resolve": m.cn.resolve,
            "us_belief_cn_hardline": m.us.belief[-1], "cn_belief_us_hardline": m.cn.belief[-1],
            "us_belief_cn_obstinate": _obstinate(m.us), "cn_belief_us_obstinate": _obstinate(m.cn),
            **{f"{side}_resistance": _resistance(m, side) for side in ("us", "cn")},
            "failed_at_home": self.failed_deals, "us_failed_at_home": self.failed["us"],
            "cn_failed_at_home": self.failed["cn"], "talks_leaked": self.talk_leaks,
        }
        names = np.array(list(STATUS_NAMES.values()))
        for j, ev_id in enumerate(m.events.ids):
            frame[f"event_{ev_id}"] = pd.Categorical.from_codes(
                m.events.status[j], categories=list(names))
            frame[f"event_{ev_id}_week"] = _weeks(m.events.fired_week[j])
            frame[f"event_{ev_id}_declined"] = m.events.declines[j]
            frame[f"event_{ev_id}_rejected"] = m.events.rejections[j]
            frame[f"event_{ev_id}_failed"] = m.events.failures[j]
        df = pd.DataFrame(frame)
        return df

    def paths_frame(self) -> pd.DataFrame:
        """Week-by-week records of the sampled runs, with the terms of each move made."""
        m, s = self.model, self.sample
        w = m.horizon + 1
        if not s:
            return pd.DataFrame()
        weeks = np.repeat(np.arange(w), s)
        frame: dict[str, Array] = {
            "run": np.tile(m.streams[:s], w),
            "week": weeks.astype(np.int16),
            "us_tariff": self.tariff["us"][:, :s].ravel(),
            "cn_tariff": self.tariff["cn"][:, :s].ravel(),
        }
        for name, values in self.paths.items():
            frame[name] = values.ravel()
        frame["channel"] = frame["channel"].astype(np.int8)
        frame["talks"] = frame["channel"] >= 2
        frame["deal_event"] = pd.Categorical.from_codes(self.deal_event.ravel(),
                                                        categories=list(DEAL_EVENT_NAMES))
        move_names = np.array(["", *MOVE_NAMES])
        for side in ("us", "cn"):
            frame[f"{side}_move"] = pd.Categorical(move_names[self.moves[side].ravel() + 1])
            frame[f"{side}_answer"] = pd.Categorical(
                np.array(ANSWER_NAMES)[self.answers[side].ravel()])
            frame[f"{side}_answer_gain"] = self.answer_gain[side].ravel()
            frame[f"{side}_answer_unsigned"] = pd.Categorical.from_codes(
                self.unsigned_code[side].ravel(), categories=list(UNSIGNED_NAMES))
            frame[f"{side}_move_arg"] = self.args[side].ravel()
            event_names = np.array(["", *m.events.ids, "player"])  # PLAYER = -1: last
            frame[f"{side}_event"] = event_names[self.scripted[side].ravel()]
            frame[f"{side}_tabled"] = event_names[self.tabled[side].ravel()]
            frame[f"{side}_answered_step"] = event_names[self.answered_step[side].ravel()]
            frame[f"{side}_runner_up"] = pd.Categorical(
                move_names[self.runner_up[side].ravel() + 1])
            frame[f"{side}_margin"] = self.margin[side].ravel()
            for j, name in enumerate(TERM_NAMES):
                frame[f"{side}_{name}_term"] = self.terms[side][:, j, :].ravel()
            for j, name in enumerate(TERM_NAMES):
                frame[f"{side}_{name}_alt"] = self.alt_terms[side][:, j, :].ravel()
        return pd.DataFrame(frame)


def diagnostics_table(counts: pd.DataFrame) -> pd.DataFrame:
    """Counts (:meth:`Recorder.diagnostic_counts`, or their sum over batches) as the table
    side, kind, move, chosen, against, share_against (of free choices), mean_regret
    (weeks of pain, over the choices made against the margin), over_week and its share of
    free choices (against by more than a week of pain), hold_better and its share (against
    the margin where standing pat was the better option)."""
    out = counts[list(DIAGNOSTIC_KEYS)].copy()
    chosen = counts["chosen"].to_numpy(np.int64)
    against = counts["against"].to_numpy(np.int64)
    regret = counts["regret_uw"].to_numpy(np.int64) / REGRET_UNIT
    out["chosen"], out["against"] = chosen, against
    out["share_against"] = np.divide(against, chosen, out=np.zeros(len(out)),
                                     where=chosen > 0)
    out["mean_regret"] = np.divide(regret, against, out=np.zeros(len(out)),
                                   where=against > 0)
    for column in ("over_week", "hold_better"):
        count = counts[column].to_numpy(np.int64)
        out[column] = count
        out[f"share_{column}"] = np.divide(count, chosen, out=np.zeros(len(out)),
                                           where=chosen > 0)
    return out


def _resistance(m: TradeWarModel, side: str) -> Array:
    """A side's drawn domestic resistance to deals where it is persistent
    (``ratification.persistent``), NaN elsewhere."""
    kept = np.asarray(m.p["ratification.persistent"]) > 0.5
    if m.resistance is None or not kept.any():
        return np.full(m.n, np.nan, dtype=np.float32)
    return np.where(kept, m.resistance[side], np.nan).astype(np.float32)


def _obstinate(gov: Government) -> Array:
    """Each run's final weight ``gov`` puts on an obstinate rival: 0 unless sides learn
    how the rival reasons (``decision.obstinacy_prior``)."""
    if gov.level_belief is None:
        return np.zeros(gov.n, dtype=np.float32)
    return gov.level_belief[-1]


def _weeks(values: Array) -> Array:
    """Week numbers with -1 (never) as missing."""
    return pd.array(np.where(values < 0, pd.NA, values), dtype="Int16")
