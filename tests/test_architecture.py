"""The package's layers: ``lint-imports`` keeps the contracts in ``pyproject.toml``
(cli > teach > reports > experiments > io > model, and an order inside the model core),
and the model core runs on its own configuration, not the scenario module's."""

import subprocess
import sys
from pathlib import Path

import numpy as np

from sim.io.scenario import Scenario
from sim.model.config import RunConfig, ScriptedEvent
from sim.model.model import TradeWarModel

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_kept():
    """Both contracts: the package's layers, and the model core's own one-way order
    (vector < economics, data < agents < transitions < decision < moves < choice < events <
    recorder < model), which also rules out import cycles inside the core."""
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 2 kept, 0 broken." in done.stdout


def test_default_config_is_the_baseline_scenario():
    baseline, default = Scenario.baseline(), RunConfig()
    for name in ("name", "start_date", "weeks", "overrides"):
        assert getattr(default, name) == getattr(baseline, name), name
    assert list(default.events) == list(baseline.events) == []


def test_default_model_runs_like_the_baseline_scenario():
    a = TradeWarModel(runs=50, seed=3, sample=1)
    b = TradeWarModel(Scenario.baseline(), runs=50, seed=3, sample=1)
    for _ in range(8):
        a.step()
        b.step()
    assert isinstance(a.config, RunConfig)
    assert np.array_equal(a.us.tariff(), b.us.tariff())
    assert np.array_equal(a.channel, b.channel)


def test_player_move_is_core_data():
    model = TradeWarModel(runs=4, seed=1)
    model.play("us", "hold")
    assert isinstance(model.player_moves["us"], ScriptedEvent)
