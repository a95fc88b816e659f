"""The global sensitivity study over every assumption (issue 10): the shipped experiment
covers every assumption-only parameter, over the ranges the documented rule gives."""

from __future__ import annotations

import pytest

from sim.experiments.assumptions import assumption_factors, assumption_parameters, factor
from sim.experiments.experiment import load_experiment
from sim.model.parameters import BY_NAME

from .conftest import ROOT

SOBOL = ROOT / "experiments" / "sobol_assumptions.yaml"


def test_the_experiment_sweeps_every_assumption_only_parameter_by_the_rule():
    exp, _ = load_experiment(SOBOL)
    assert set(exp.parameters) == {p.name for p in assumption_parameters()}
    for name, expected in assumption_factors().items():
        got = exp.parameters[name].model_dump(exclude_defaults=True)
        want = {k: (tuple(v) if k == "range" else v) for k, v in expected.items()}
        assert got == want, name
    assert exp.sampler.kind == "sobol" and exp.sampler.n >= 512


@pytest.mark.parametrize("name, expected", [
    ("decision.rationality", {"range": [0.5, 5.0]}),  # its declared sweep range
    ("decision.outlast", {"values": [0, 1]}),  # a flag
    ("face.acknowledge_size", {"range": [0.05, 0.15]}),  # half to one and a half
    ("decision.action_cost", {"range": [0, 2.6]}),  # default 0: a twentieth of [0, 52]
    ("channel.talks_weeks", {"range": [2.0, 6.0], "integer": True}),
    ("decision.reasoning_level", {"range": [1.0, 3.0], "integer": True}),
    ("pressure.retention", {"range": [0.495, 1.0]}),  # clipped to the valid range
])
def test_the_range_rule(name, expected):
    assert factor(BY_NAME[name]) == expected


def test_every_range_lies_inside_the_valid_one():
    for p in assumption_parameters():
        f = factor(p)
        values = f.get("range") or f["values"]
        assert p.lo <= min(values) < max(values) <= p.hi, p.name


def test_the_report_gives_indices_convergence_and_figures(tmp_path, baseline):
    """A small Sobol sweep through the report: every measure gets a table of the top
    parameters with intervals and the index at N/2, a convergence line and a figure."""
    from sim.experiments.experiment import Experiment
    from sim.experiments.sweep import run_sweep
    from sim.reports.sensitivity import MEASURES, markdown

    exp = Experiment(name="small_sobol", description="report test",
                     scenario=str(ROOT / "scenarios" / "baseline.yaml"),
                     parameters={"decision.rationality": {"range": [0.5, 5.0]},
                                 "cn.stimulus_offset_share": {"range": [0.0, 1.0]},
                                 "face.acknowledge_size": {"range": [0.05, 0.15]}},
                     sampler={"kind": "sobol", "n": 16, "seed": 1}, replicates=4,
                     outputs=["outcome", "first_talks_week", "first_deescalation_week",
                              "us_tariff_final", "cn_tariff_final"])
    scenario = baseline.model_copy(update={"weeks": 12})
    run_sweep(exp, scenario, tmp_path / "s")
    text = markdown(tmp_path / "s", tmp_path / "docs")
    assert "The sweep took" in text and "## Overview" in text
    # the timing names the workers the sweep ran with, not a fixed count
    assert "2-core machine with 1 worker (`tradewar sweep" in text and "--workers 1`" in text
    for name in MEASURES:
        assert f"(`{name}`)" in text
        assert (tmp_path / "docs" / "sensitivity" / f"{name.replace(':', '_')}.png").stat(
        ).st_size > 10_000
    assert text.count("Convergence:") == len(MEASURES)
    assert text.count("| `decision.rationality` |") >= len(MEASURES)
