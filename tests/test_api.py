"""The Python API (``sim.api``, re-exported by ``sim``): a fast import, the same tables as
the command line for the same seed, the same errors, figures returned, and what
``save()`` writes equal to what the command writes."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure

import sim
from sim.cli import main

from .conftest import ROOT, SCENARIOS

BASELINE = SCENARIOS / "baseline.yaml"


def test_importing_sim_loads_no_heavy_library():
    """``import sim`` stays quick because it loads nothing heavy until a function needs it
    (what it costs is a measurement, not an assertion)."""
    code = ("import sys; import sim; "
            "print(sorted(m for m in ('numpy', 'pandas', 'mesa', 'matplotlib', 'scipy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "[]"


def test_every_public_name_resolves():
    for name in sim.__all__:
        assert getattr(sim, name) is not None, name
    with pytest.raises(AttributeError):
        sim.no_such_thing  # noqa: B018


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["run", str(BASELINE), "--runs", "300", "--seed", "5", "--out", str(out),
                 "--no-progress"]) == 0
    return out


@pytest.fixture(scope="module")
def api_run():
    return sim.run(BASELINE, runs=300, seed=5)


def test_run_gives_the_command_lines_tables(cli_run, api_run):
    pd.testing.assert_frame_equal(api_run.runs, pd.read_parquet(cli_run / "runs.parquet"))
    pd.testing.assert_frame_equal(api_run.paths, pd.read_parquet(cli_run / "paths.parquet"))
    assert (cli_run / "summary.txt").read_text().strip() == api_run.summary()


def test_save_writes_what_the_command_writes(tmp_path, cli_run, api_run):
    folder = api_run.save(tmp_path / "saved")
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in cli_run.iterdir())
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "runs.parquet"),
                                  pd.read_parquet(cli_run / "runs.parquet"))
    # a folder that exists is refused, as the command refuses it
    with pytest.raises(sim.InputError, match="exists already"):
        api_run.save(folder)


def test_plot_returns_a_figure(api_run):
    fig = api_run.plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 2


def test_a_scenario_from_a_mapping_is_the_scenario_from_its_file():
    data = yaml.safe_load(BASELINE.read_text())
    assert sim.load_scenario(data).digest() == sim.load_scenario(BASELINE).digest()
    with pytest.raises(sim.InputError) as bad:
        sim.load_scenario({**data, "parameters": {"face.decy": 0.9}})
    assert str(bad.value) == ("<dict>: parameters.face.decy: unknown parameter 'face.decy' "
                              "(did you mean 'face.decay'?)")


def test_errors_are_the_command_lines(capsys):
    assert main(["run", str(BASELINE), "--set", "face.decy=0.9"]) == 2
    printed = capsys.readouterr().err.strip()
    with pytest.raises(sim.InputError) as bad:
        sim.run(BASELINE, overrides={"face.decy": 0.9})
    assert f"tradewar: {bad.value}" == printed or str(bad.value) == printed
    with pytest.raises(sim.InputError, match="no such file"):
        sim.run(ROOT / "scenarios" / "nope.yaml")
    with pytest.raises(sim.InputError, match="--runs"):
        sim.run(BASELINE, runs=0)


def test_compare_and_explain_match_the_command_line(tmp_path, capsys):
    files = [BASELINE, SCENARIOS / "fentanyl_first.yaml"]
    out = tmp_path / "cmp"
    assert main(["compare", *map(str, files), "--runs", "200", "--out", str(out),
                 "--no-progress", "--fixed-parameters"]) == 0
    capsys.readouterr()
    result = sim.compare(files, runs=200, calibrated=False)
    table = pd.read_csv(out / "compare.csv")
    pd.testing.assert_frame_equal(result.table.reset_index(drop=True), table,
                                  check_dtype=False)
    assert isinstance(result.plot(), Figure)
    assert sorted(result.runs) == ["baseline", "fentanyl_first"]
    assert main(["explain", str(BASELINE), "--run", "4", "--runs", "200"]) == 0
    story = sim.explain(BASELINE, 4, runs=200)
    assert capsys.readouterr().out.strip() == story.text
    assert story.matches is None and story.row["run"] == 4


def test_a_run_explains_itself_and_a_saved_run_replays(tmp_path, api_run):
    story = api_run.explain(7)
    assert story.row["outcome"] == api_run.runs.iloc[7]["outcome"]
    folder = api_run.save(tmp_path / "r")
    replayed = sim.explain(folder, 7)
    assert replayed.matches is True and replayed.text == story.text


def test_a_sweep_runs_analyzes_and_plots(tmp_path):
    exp = tmp_path / "tiny.yaml"
    exp.write_text(f"name: tiny\ndescription: two points\nscenario: {BASELINE}\n"
                   "parameters:\n  face.backdown_weeks: {values: [13, 78]}\n"
                   "sampler: {kind: grid}\nreplicates: 4\noutputs: [outcome, deal_week]\n")
    result = sim.sweep(exp, tmp_path / "out")
    assert len(result.points) == 2 and len(result.runs) == 8
    assert "Sweep 'tiny'" in result.summary()
    assert isinstance(result.plot("shares"), Figure)
    assert all(p.exists() for p in result.save(format="csv"))
    points = pd.read_csv(tmp_path / "out" / "points.csv")
    assert points["runs"].tolist() == [4, 4]
    assert len(pd.read_csv(tmp_path / "out" / "runs.csv")) == 8
    again = sim.sweep(exp, tmp_path / "out", resume=True)  # nothing left to run
    assert again.runs_done == 0
    with pytest.raises(sim.InputError, match="--kind"):
        result.plot("pie")


def test_csv_beside_parquet_for_spreadsheets(tmp_path, api_run):
    folder = api_run.save(tmp_path / "csv", format="csv")
    runs = pd.read_csv(folder / "runs.csv")
    assert len(runs) == 300 and list(runs.columns) == list(api_run.runs.columns)
    assert runs["outcome"].tolist() == api_run.runs["outcome"].astype(str).tolist()
    assert len(pd.read_csv(folder / "paths.csv")) == len(api_run.paths)
    assert main(["run", str(BASELINE), "--runs", "50", "--out", str(tmp_path / "cli"),
                 "--format", "csv", "--no-progress"]) == 0
    assert (tmp_path / "cli" / "runs.csv").exists()
    with pytest.raises(sim.InputError, match="--format"):
        api_run.save(tmp_path / "x", format="xlsx")
    assert not (tmp_path / "x").exists()


def test_targets_hypotheses_and_evidence_from_python(capsys):
    result = sim.targets(runs=200, calibrated=False)
    assert main(["targets", str(ROOT / "calibration" / "targets.yaml"), "--runs", "200",
                 "--fixed-parameters"]) == 0
    assert capsys.readouterr().out.strip() == result.summary()
    assert len(result.table) == 8 and set(result.table["met"]) <= {True, False}
    checks = sim.hypothesis([SCENARIOS / "leader_call.yaml"], runs=200, calibrated=False)
    assert checks.table.loc[0, "scenario"] == "leader_call"
    assert checks.table.loc[0, "verdict"] in {"supported", "contradicted", "inconclusive"}
    table = sim.evidence()
    assert table.loc["face.decay", "default"] == 0.98
    assert table.loc["cn.stimulus_offset_share", "calibrated"].startswith("calibrated:")
    assert sim.evidence(calibrated=False)["calibrated"].eq("").all()


def test_calibrate_from_python_writes_a_set_runs_can_draw_from(tmp_path):
    cal = sim.calibrate(ROOT / "calibration" / "targets.yaml", tmp_path / "cal", points=20,
                        replicates=2, waves=1)
    assert "History matching on 8 targets" in cal.summary()
    assert isinstance(cal.plot(), Figure)
    made = tmp_path / "cal" / "calibrated_set.csv"
    assert made.exists() and len(cal.nonimplausible) > 0
    result = sim.run(BASELINE, runs=30, calibrated=made)
    assert result.runs["parameter_point"].between(0, len(cal.nonimplausible) - 1).all()
    with pytest.raises(sim.InputError, match="--seed"):
        sim.run(BASELINE, runs=10, seed=-1)


def test_the_docstring_examples_run(monkeypatch):
    """Each public function's example, run as written (from the repository's root)."""
    import doctest

    import sim.api

    monkeypatch.chdir(ROOT)
    for module in (sim, sim.api):
        failed, tried = doctest.testmod(module, extraglobs={"sim": sim}, report=False,
                                        optionflags=doctest.ELLIPSIS)
        assert tried >= 2 and failed == 0, module.__name__
