"""An ensemble's batches run side by side in local processes give the same ensemble, run
for run, as one process does (``run_ensemble(workers=)``, ``tradewar run --workers``)."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.ensemble import run_ensemble
from sim.io.calibrated import load_calibrated_set
from sim.io.scenario import load_scenario
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(SCENARIOS / "baseline.yaml")


@pytest.mark.parametrize("calibrated", [False, True])
def test_workers_give_the_same_ensemble(baseline, calibrated):
    chosen = load_calibrated_set() if calibrated else None
    kwargs = dict(runs=2500, seed=4, path_sample=1100, fan_runs=1500, batch_blocks=1,
                  calibrated=chosen)
    alone = run_ensemble(baseline, **kwargs)
    side_by_side = run_ensemble(baseline, workers=2, **kwargs)
    pd.testing.assert_frame_equal(side_by_side.runs, alone.runs)
    pd.testing.assert_frame_equal(side_by_side.paths, alone.paths)
    pd.testing.assert_frame_equal(side_by_side.diagnostics, alone.diagnostics)
    for side in ("us", "cn"):
        assert (side_by_side.fan[side] == alone.fan[side]).all()


def test_workers_must_be_a_positive_number(baseline, tmp_path, capsys):
    with pytest.raises(ValueError, match="workers"):
        run_ensemble(baseline, runs=10, workers=0)
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(SCENARIOS / "baseline.yaml"), "--runs", "10", "--workers", "0",
              "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    assert "argument --workers: 0 is outside [1, 1,024]" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
