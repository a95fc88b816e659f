"""Calibration targets (issue 10): the shipped file validates and rests on the documents'
evidence only; bad targets files get file, line and field; the measurement reads the run
state it names, with known answers, whatever the batching."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.experiments import targets as tg
from sim.experiments.targets import STATES, load_targets, measure, state, weeks_to
from sim.io.evidence import load_evidence
from sim.io.scenario import load_scenario
from sim.model.model import TradeWarModel

from .conftest import ROOT, SCENARIOS

SHIPPED = ROOT / "calibration" / "targets.yaml"

GOOD = """\
scenario: short.yaml
targets:
  - id: no-deal-yet
    pattern: No deal in the first week.
    evidence: [us-tariff-total-145]
    date: 2025-04-15
    when:
      - {state: deal_in_force, op: "==", value: 0}
    min_share: 0.5
"""

SHORT = "name: short\ndescription: a 10-week baseline\nweeks: 10\nseed: 3\n"


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "short.yaml").write_text(SHORT)
    path = tmp_path / "targets.yaml"
    path.write_text(text)
    return path


def test_the_shipped_targets_validate_and_cite_the_documents_only():
    targets, scenario = load_targets(SHIPPED)
    evidence = load_evidence()
    assert len(targets.targets) >= 6
    for target in targets.targets:
        assert set(target.evidence) <= set(evidence)  # no literature: the documents alone
        assert 1 <= weeks_to(scenario, target.date) <= scenario.weeks
    assert scenario.name == "baseline"


@pytest.mark.parametrize(("change", "line", "field", "words"), [
    (("deal_in_force", "dealt"), 8, "targets[0].when[0].state", "unknown state 'dealt'"),
    (("us-tariff-total-145", "lit-amiti2019"), 5, "targets[0].evidence[0]",
     "not an evidence record of the five documents"),
    (("2025-04-15", "2026-09-01"), 6, "targets[0].date", "outside the scenario's 10 weeks"),
    (("min_share: 0.5", "min_share: 0"), 9, "targets[0].min_share", "greater than 0"),
    (("op: \"==\"", "op: \"~\""), 8, "targets[0].when[0].op", "Input should be"),
    (("scenario: short.yaml", "scenario: missing.yaml"), 1, "scenario", "no such file"),
])
def test_bad_targets_files_are_refused_clearly(tmp_path, capsys, change, line, field, words):
    path = write(tmp_path, GOOD.replace(*change))
    assert main(["targets", str(path), "--runs", "10"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:{line}: {field}:"), err
    assert words in err and "Traceback" not in err


def test_duplicate_target_ids_are_refused(tmp_path, capsys):
    body = GOOD + GOOD.split("targets:\n", 1)[1]
    assert main(["targets", str(write(tmp_path, body)), "--runs", "10"]) == 2
    assert "duplicate id 'no-deal-yet'" in capsys.readouterr().err


def test_states_read_the_model():
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    model = TradeWarModel(scenario, runs=8, seed=1)
    for name in STATES:
        values = state(model, name)
        assert values.shape == (8,) and np.isfinite(values).all(), name
    assert (state(model, "us_layer.reciprocal") == 125).all()
    assert (state(model, "us_layer.fentanyl") == 20).all()
    assert (state(model, "cn_acknowledges") == 0).all()
    assert (state(model, "tool.rare_earth") == 1).all()
    assert (state(model, "deal_in_force") == 0).all()


def test_known_answers(tmp_path):
    targets, scenario = load_targets(write(tmp_path, GOOD))
    first = measure(targets, scenario, runs=300)
    assert first[0].share == 1.0 and first[0].met  # nothing can be concluded in week one
    never = targets.model_copy(update={"targets": [targets.targets[0].model_copy(
        update={"when": [tg.Condition(state="channel", op=">", value=4)]})]})
    assert measure(never, scenario, runs=50)[0].share == 0.0


def test_shares_do_not_depend_on_the_batching(tmp_path):
    body = GOOD.replace("2025-04-15", "2025-05-20").replace(
        '{state: deal_in_force, op: "==", value: 0}', '{state: channel, op: ">=", value: 2}')
    targets, scenario = load_targets(write(tmp_path, body))
    one = measure(targets, scenario, runs=2100, batch_blocks=1)[0]
    many = measure(targets, scenario, runs=2100, batch_blocks=16)[0]
    assert one.share == many.share and 0.0 < one.share < 1.0


def test_the_command_prints_every_target(capsys):
    assert main(["targets", str(SHIPPED), "--runs", "60", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    targets, _ = load_targets(SHIPPED)
    assert out.startswith("Targets on 'baseline' (60 runs, seed 5):")
    for target in targets.targets:
        assert target.id[:30] in out
