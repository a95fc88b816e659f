"""Shared fixtures: small scenarios and ensembles, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.experiments.ensemble import run_ensemble
from sim.io.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    return load_scenario(SCENARIOS / "baseline.yaml")


@pytest.fixture(scope="session")
def baseline_ensemble(baseline: Scenario):
    """3,000 runs of the baseline: enough for directions, quick to make."""
    return run_ensemble(baseline, runs=3000, seed=7, path_sample=50)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives the demo in a real browser "
                            "(chromium via Playwright); skipped when chromium is missing")
