"""``docs/hypotheses.md``: the library's hypotheses, measured, with readings of each
disagreement.

The table comes from :func:`sim.experiments.hypothesis.check_hypothesis`; the readings
(which mechanism makes the model disagree with the theory) are written by hand in a YAML
file, one entry per scenario whose verdict is not ``supported``, with the verdict the
reading was written for.  A reading whose verdict no longer matches the measurement is
flagged in the document, and the library test fails until the file is brought up to date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.experiments.hypothesis import HypothesisCheck, format_value
from sim.experiments.summary import CONFIDENCE
from sim.io import yamlio


class Reading(BaseModel):
    """A documented verdict and the reading of the mechanism behind it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    verdict: Literal["supported", "contradicted", "inconclusive", "reference"]
    reading: str = Field(min_length=1)


class Readings(BaseModel):
    """The readings file: ``readings: [{scenario, verdict, reading}, ...]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    readings: list[Reading] = Field(default_factory=list)


def load_readings(path: str | Path) -> dict[str, Reading]:
    """Readings by scenario; ``InputError`` naming file, line and field if malformed."""
    data, index = yamlio.load_yaml(path)
    try:
        parsed = Readings.model_validate(data)
    except ValidationError as exc:
        raise yamlio.validation_error(path, exc, index) from None
    out: dict[str, Reading] = {}
    for i, r in enumerate(parsed.readings):
        if r.scenario in out:
            raise yamlio.InputError.single(str(path), f"second reading for '{r.scenario}'",
                                           index.line_for(("readings", i)), f"readings[{i}]")
        out[r.scenario] = r
    return out


def documented_verdict(scenario: str, readings: dict[str, Reading], reference: bool) -> str:
    """The verdict the documentation records: a reading's, else ``supported`` (or
    ``reference`` for the reference scenario)."""
    if scenario in readings:
        return readings[scenario].verdict
    return "reference" if reference else "supported"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def markdown(checks: list[HypothesisCheck], readings: dict[str, Reading],
             command: str) -> str:
    """The document: how it was made, the table, and the readings."""
    runs = sorted({c.runs for c in checks})
    pct = f"{CONFIDENCE:.0%}"
    lines = [
        "# Scenario hypotheses, measured",
        "",
        "Generated file: do not edit by hand. Each library scenario states in its "
        "`hypothesis:` block the direction theory expects against a reference scenario, "
        "and why. The checker runs both with common random numbers (same seed and runs, so "
        "run *k* of each draws the same random numbers) and gives the paired difference "
        f"(scenario minus reference) with a {pct} paired-bootstrap interval. Verdict: "
        "**supported** if the interval excludes 0 on the stated side, **contradicted** if "
        "on the other, **inconclusive** otherwise.",
        "",
        "The model core is still changing, so these verdicts may change. Regenerate this "
        "file with one command (from the repository root):",
        "",
        "```bash",
        command,
        "```",
        "",
        "Readings are kept in `docs/hypotheses-readings.yaml` (one entry for each scenario "
        "whose verdict is not `supported`); `tests/test_hypotheses.py` asserts the verdict "
        "recorded there, so a change in either direction fails the test until the reading "
        "is revisited.",
        "",
        f"Runs per scenario: {', '.join(f'{r:,}' for r in runs)}; seed: each scenario's own.",
        "",
        "| scenario | hypothesis | scenario value | reference value | paired difference "
        f"[{pct}] | verdict |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in checks:
        if c.verdict == "reference":
            lines.append(f"| {c.scenario} | reference (against: null) | - | - | - | "
                         "reference |")
            continue
        diff = (f"{format_value(c, c.difference, True)} [{format_value(c, c.low, True)}, "
                f"{format_value(c, c.high, True)}]")
        verdict = c.verdict if c.verdict == "supported" else f"**{c.verdict}**"
        lines.append(f"| {c.scenario} | {_cell(c.statement)} | {format_value(c, c.value)} | "
                     f"{format_value(c, c.reference)} | {diff} | {verdict} |")
    lines += ["", "## Why each hypothesis", ""]
    for c in checks:
        lines.append(f"- **{c.scenario}** ({_cell(c.statement)}): {_cell(c.why)}")
    lines += ["", "## Where the model disagrees, and the mechanism that makes it", ""]
    disagreements = [c for c in checks if c.verdict not in ("supported", "reference")]
    if not disagreements:
        lines.append("None: every hypothesis is supported.")
    for c in disagreements:
        r = readings.get(c.scenario)
        lines.append(f"### {c.scenario}: {c.verdict}")
        lines.append("")
        if r is None:
            lines.append("_No reading yet: add one to `docs/hypotheses-readings.yaml`._")
        else:
            if r.verdict != c.verdict:
                lines.append(f"_This reading was written for verdict '{r.verdict}'; the "
                             f"verdict is now '{c.verdict}': revisit it._")
                lines.append("")
            lines.append(" ".join(r.reading.split()))
        lines.append("")
    measured = {c.scenario: c.verdict for c in checks}
    for r in readings.values():
        if measured.get(r.scenario) == "supported":
            lines += [f"### {r.scenario}: now supported", "",
                      f"_The reading was written for verdict '{r.verdict}'; the hypothesis is "
                      "now supported: remove the reading._", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
