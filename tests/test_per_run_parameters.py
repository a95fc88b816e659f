"""Parameters per run (issue 10): a sweep's points advance together in one model, each
parameter holding one value per run and each run keeping its replicate's random stream."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.experiments.experiment import Experiment
from sim.experiments.sweep import iter_runs, run_sweep
from sim.io.scenario import Scenario, load_scenario
from sim.model.model import BLOCK, TradeWarModel
from sim.model.parameters import PARAMS, PER_MODEL, resolve

from .conftest import SCENARIOS

R = 512
DISCRETE = ["outcome", "deal_week", "first_talks_week", "first_deescalation_week",
            "deal_kind", "us_type", "cn_type"]


def _run(scenario: Scenario, runs: int, overrides=None, streams=None, weeks: int = 30,
         seed: int = 4):
    m = TradeWarModel(scenario, runs=runs, seed=seed, overrides=overrides, streams=streams)
    for _ in range(weeks):
        m.step()
    return m.recorder.runs_frame()


def test_runs_with_the_same_streams_repeat_the_same_runs(baseline):
    """Two copies of replicates 0..R-1 in one model are each the plain model's runs, bit for
    bit (the common random numbers a sweep's points share)."""
    alone = _run(baseline, R)
    twice = _run(baseline, 2 * R, streams=np.r_[np.arange(R), np.arange(R)])
    for half in (twice.iloc[:R], twice.iloc[R:]):
        pd.testing.assert_frame_equal(half.reset_index(drop=True), alone)


def test_streams_from_several_blocks_draw_as_those_blocks_would():
    far = np.arange(3 * BLOCK, 3 * BLOCK + 8)
    packed = TradeWarModel(runs=16, seed=9, streams=np.r_[far, np.arange(8)])
    plain = TradeWarModel(runs=4 * BLOCK, seed=9)
    np.testing.assert_array_equal(packed.uniform(), plain.uniform()[np.r_[far, np.arange(8)]])
    assert packed.recorder.runs_frame()["run"].tolist() == [*far, *range(8)]


@pytest.mark.parametrize("name, values", [
    ("face.backdown_weeks", (13.0, 52.0)),
    ("initial.cn_face", (12.0, 20.0)),
    ("cn.stimulus_capacity", (0.0, 3.0)),
    ("moves.chips", (1.0, 0.0)),
    ("decision.known_types", (0.0, 1.0)),
    ("decision.outlast", (0.0, 1.0)),  # a flag per run: the holding-out rule
    ("decision.obstinacy_prior", (0.0, 0.0625)),  # learning how the rival reasons
    ("decision.resolve_sigma", (0.5, 1.0)),
    ("ratification.noise", (0.5, 8.0)),
    ("ratification.persistent", (0.0, 1.0)),  # resistance drawn once, or each week
    ("decision.expects_answers", (1.0, 0.0)),
    ("face.answer_commitment", (1.0, 0.0)),
])
def test_points_packed_in_one_model_match_each_point_alone(baseline, name, values):
    """With values a float32 holds exactly, each point's runs in the packed model are the
    runs of that point alone: same types, moves and outcomes."""
    packed = _run(baseline, 2 * R, {name: np.repeat(np.array(values), R)},
                  streams=np.r_[np.arange(R), np.arange(R)])
    for i, value in enumerate(values):
        alone = _run(baseline, R, {name: value})
        part = packed.iloc[i * R:(i + 1) * R].reset_index(drop=True)
        pd.testing.assert_frame_equal(part[DISCRETE], alone[DISCRETE])


@pytest.mark.parametrize("name, values", [
    ("decision.horizon_weeks", (26.0, 13.0)),  # an extra (zero) stretch of status quo
    ("face.decay", (0.98, 0.9)),  # float32 values, where a lone run has float64 ones
    ("deal.renege_hazard", (0.002, 0.01)),
])
def test_points_packed_agree_with_each_point_alone_up_to_rounding(baseline, name, values):
    """Where a value is not exact in float32, or the per-run arithmetic takes another
    order, packed runs differ from lone ones by rounding, which tips a few near ties:
    the discrete record agrees in at least 85% of runs (measured: 86-100% over every
    parameter, most at 100%)."""
    packed = _run(baseline, 2 * R, {name: np.repeat(np.array(values), R)},
                  streams=np.r_[np.arange(R), np.arange(R)])
    for i, value in enumerate(values):
        alone = _run(baseline, R, {name: value})
        part = packed.iloc[i * R:(i + 1) * R].reset_index(drop=True)
        same = np.ones(R, dtype=bool)
        for column in DISCRETE:
            x, y = part[column], alone[column]
            same &= ((x == y).fillna(False) | (x.isna() & y.isna())).to_numpy(bool)
        assert same.mean() >= 0.85, (name, value, same.mean())


def test_a_per_run_array_of_one_value_is_that_number():
    p = resolve({"face.decay": np.full(5, 0.9)})
    assert p["face.decay"] == 0.9 and isinstance(p["face.decay"], float)
    varied = resolve({"face.decay": np.array([0.9, 0.95])})["face.decay"]
    assert varied.dtype == np.float32 and varied.tolist() == pytest.approx([0.9, 0.95])


def test_per_run_values_are_checked_entry_by_entry():
    with pytest.raises(ValueError, match=r"face.decay' = 1.5 is outside \[0.5, 1\]"):
        resolve({"face.decay": np.array([0.9, 1.5])})
    with pytest.raises(ValueError, match="whole number"):
        resolve({"initial.channel": np.array([1.0, 1.5])})
    with pytest.raises(ValueError, match="1-D array of numbers"):
        resolve({"face.decay": np.ones((2, 2))})


@pytest.mark.parametrize("name", sorted(PER_MODEL))
def test_parameters_that_steer_the_computation_are_one_per_model(name):
    param = next(p for p in PARAMS if p.name == name)
    other = param.lo if param.default != param.lo else param.hi
    with pytest.raises(ValueError, match="holds one value for all the runs of a model"):
        resolve({name: np.array([param.default, other])})


@pytest.mark.parametrize("name", [p.name for p in PARAMS if p.name not in PER_MODEL])
def test_every_other_parameter_may_differ_between_runs(baseline, name):
    """Every parameter outside PER_MODEL runs with one value per run (a few weeks)."""
    param = next(p for p in PARAMS if p.name == name)
    other = param.lo if param.default != param.lo else param.hi
    values = np.where(np.arange(64) % 2 == 0, param.default, other)
    m = TradeWarModel(baseline, runs=64, seed=1, overrides={name: values})
    for _ in range(6):
        m.step()
    assert len(m.recorder.runs_frame()) == 64


def test_a_sweep_packs_points_and_keeps_per_model_parameters_apart(tmp_path):
    """A sweep over a per-run parameter and a per-model one: each point's rows are those
    of the point run alone (values a float32 holds exactly)."""
    exp = Experiment(name="packed", description="per-run and per-model parameters",
                     scenario=str(SCENARIOS / "baseline.yaml"),
                     parameters={"face.backdown_weeks": {"values": [13, 52]},
                                 "channel.back_channel": {"values": [0, 1]}},
                     replicates=64, outputs=["outcome", "deal_week"])
    scenario = load_scenario(SCENARIOS / "baseline.yaml").model_copy(update={"weeks": 20})
    run_sweep(exp, scenario, tmp_path / "s")
    rows = pd.concat(iter_runs(tmp_path / "s"), ignore_index=True)
    points = pd.read_parquet(tmp_path / "s" / "points.parquet").set_index("point")
    assert rows["point"].nunique() == 4
    for point, values in points.iterrows():
        alone = _run(scenario, 64, values.to_dict(), weeks=20, seed=scenario.seed)
        got = rows[rows["point"] == point].sort_values("run").reset_index(drop=True)
        pd.testing.assert_frame_equal(got[["outcome", "deal_week"]],
                                      alone[["outcome", "deal_week"]])
