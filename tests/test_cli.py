"""The ``tradewar`` command end to end: run, validate, schema, evidence."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from sim.cli import main
from sim.model.parameters import PARAMS

from .conftest import SCENARIOS

RUN_COLUMNS = {"run", "outcome", "first_talks_week", "first_deescalation_week",
               "first_deescalation_kind", "deal_week", "us_tariff_final", "cn_tariff_final",
               "us_tariff_peak", "cn_tariff_peak", "us_cum_pain", "cn_cum_pain",
               "us_face_final", "cn_face_final"}
PATH_COLUMNS = {"run", "week", "us_tariff", "cn_tariff", "us_pain", "cn_pain", "us_face",
                "cn_face", "channel", "talks", "us_move", "cn_move"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "baseline"
    code = main(["run", str(SCENARIOS / "baseline.yaml"), "--runs", "1500", "--seed", "3",
                 "--set", "face.decay=0.97", "--paths-sample", "40", "--out", str(out),
                 "--no-progress"])
    assert code == 0
    return out


def test_run_writes_the_four_results(run_dir):
    assert {p.name for p in run_dir.iterdir()} >= {"runs.parquet", "paths.parquet",
                                                    "manifest.json", "summary.png"}
    runs = pd.read_parquet(run_dir / "runs.parquet")
    assert len(runs) == 1500 and set(runs.columns) >= RUN_COLUMNS
    assert runs["run"].tolist() == list(range(1500))
    paths = pd.read_parquet(run_dir / "paths.parquet")
    assert set(paths.columns) >= PATH_COLUMNS
    assert paths["run"].nunique() == 40 and paths["week"].max() == 52
    assert (paths["talks"] == (paths["channel"] >= 2)).all()
    assert (run_dir / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_manifest_says_how_to_reproduce(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["runs"] == 1500
    assert manifest["parameters_changed"] == {"face.decay": 0.97}
    assert len(manifest["scenario_sha256"]) == 64
    assert manifest["package_version"]
    assert "--set" in manifest["command"]
    assert set(manifest["files"]) >= {"runs.parquet", "paths.parquet", "summary.png"}


def test_same_seed_gives_identical_runs_table(run_dir, tmp_path):
    again = tmp_path / "again"
    assert main(["run", str(SCENARIOS / "baseline.yaml"), "--runs", "1500", "--seed", "3",
                 "--set", "face.decay=0.97", "--paths-sample", "40", "--out", str(again),
                 "--no-progress"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(run_dir / "runs.parquet"),
                                  pd.read_parquet(again / "runs.parquet"), check_exact=True)


def test_summary_is_printed(tmp_path, capsys):
    assert main(["run", str(SCENARIOS / "fentanyl_first.yaml"), "--runs", "300",
                 "--out", str(tmp_path / "r"), "--no-progress"]) == 0
    text = capsys.readouterr().out
    for words in ("Outcome at the horizon", "managed_stalemate", "95% interval",
                  "official talks", "Effective tariffs", "p50", "results:"):
        assert words in text
    listed = text.rsplit("results:", 1)[1]  # every file the run wrote is named
    assert all(p.name in listed for p in (tmp_path / "r").iterdir())


def test_default_output_directory_is_under_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(SCENARIOS / "baseline.yaml"), "--runs", "50",
                 "--no-progress"]) == 0
    (made,) = (tmp_path / "results").iterdir()
    assert made.name.startswith("baseline-") and (made / "runs.parquet").exists()


def test_validate_shipped_scenarios(capsys):
    files = sorted(str(p) for p in SCENARIOS.glob("*.yaml"))
    assert len(files) >= 2
    assert main(["validate", *files]) == 0
    assert capsys.readouterr().out.count(": ok") == len(files)


def test_schema_lists_fields_and_parameters(tmp_path):
    out = tmp_path / "schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    schema = json.loads(out.read_text())
    assert {"name", "weeks", "runs", "seed", "initial", "parameters", "events"} <= set(
        schema["properties"])
    assert "face.decay" in schema["properties"]["parameters"]["properties"]
    assert "us_reciprocal" in schema["properties"]["initial"]["properties"]


def test_evidence_prints_every_parameter_with_provenance(capsys):
    assert main(["evidence"]) == 0
    text = capsys.readouterr().out
    for p in PARAMS:
        assert p.name in text
    assert main(["evidence", "--csv", "--grep", "initial."]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0].startswith("name,") and len(rows) == 1 + sum(
        p.name.startswith("initial.") for p in PARAMS)


def test_python_dash_m_and_exit_status():
    proc = subprocess.run([sys.executable, "-m", "sim", "validate", "no-such-file.yaml"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "no-such-file.yaml: no such file" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "sim", "--version"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0 and "tradewar" in proc.stdout


def test_figure_titles_do_not_repeat_the_scenario_name():
    from sim.io.scenario import load_scenario
    from sim.reports.plots import figure_title

    base = load_scenario(SCENARIOS / "baseline.yaml")
    assert figure_title(base.name, base.description) == "Baseline"
    talk = load_scenario(SCENARIOS / "talk_dont_yield.yaml")
    assert figure_title(talk.name, talk.description) == "Talk but don't yield (talk_dont_yield)"
