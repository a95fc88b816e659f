"""History matching (``tradewar calibrate``): the implausibility measure on known answers, a
small calibration that gives the same non-implausible set for 1 worker, 2 workers and Dask,
resumes, and reports on the command line."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.calibrate import CUTOFF, DISCREPANCY, calibrate, implausibility, report
from sim.experiments.targets import load_targets

from .conftest import ROOT

TARGETS = ROOT / "calibration" / "targets.yaml"
SMALL = {"points": 200, "replicates": 8, "waves": 2}


def test_implausibility_is_the_shortfall_over_the_error():
    # a share at or above the threshold is never implausible
    assert implausibility(np.array([0.5, 0.9]), 0.5, 100).tolist() == [0.0, 0.0]
    # a shortfall of 0.3 with share 0.2 over 100 runs
    sd = np.sqrt(0.2 * 0.8 / 100 + DISCREPANCY**2)
    assert implausibility(np.array([0.2]), 0.5, 100)[0] == pytest.approx(0.3 / sd)
    # a share of 0 is judged with the error of half a run, not of none
    sd0 = np.sqrt((0.5 / 8) * (1 - 0.5 / 8) / 8 + DISCREPANCY**2)
    assert implausibility(np.array([0.0]), 0.5, 8)[0] == pytest.approx(0.5 / sd0)


@pytest.fixture(scope="module")
def targets():
    return load_targets(TARGETS)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, targets):
    t, scenario = targets
    folder = tmp_path_factory.mktemp("cal") / "one"
    return calibrate(t, TARGETS.parent / t.scenario, scenario, folder, **SMALL)


def _set(result) -> pd.DataFrame:
    return result.nonimplausible.sort_values("point").reset_index(drop=True)


def test_a_small_calibration_rules_points_out_and_samples_around_survivors(reference):
    first, last = reference.waves
    assert len(first) == len(last) == SMALL["points"]
    kept = first[first["I_max"] <= CUTOFF]
    assert 0 < len(kept) < len(first)  # some points are ruled out, some are not
    # the second wave, drawn around the survivors, is ruled out less often
    assert (last["I_max"] <= CUTOFF).mean() > (first["I_max"] <= CUTOFF).mean()
    # and stays inside the prior box, whole numbers whole, flags at a survivor's value
    for name, factor in reference.prior.items():
        if "range" in factor:
            lo, hi = factor["range"]
            assert last[name].between(lo, hi).all(), name
            if factor.get("integer"):
                assert (last[name] == last[name].round()).all(), name
        else:
            assert set(last[name]) <= set(kept[name]), name
    assert (reference.folder / "nonimplausible.parquet").exists()
    text = report(reference)
    assert "wave 0: 200 points" in text and "Non-implausible set" in text
    # each assumption-only flag's values compared over wave 0
    assert "Wave 0, by the value of each assumption-only flag:" in text
    for name, factor in reference.prior.items():
        if "values" in factor:
            assert f"\n  {name}\n    = 0 " in text, name


def test_same_set_for_two_workers_and_dask(tmp_path, targets, reference):
    t, scenario = targets
    for executor in ("local", "dask"):
        other = calibrate(t, TARGETS.parent / t.scenario, scenario, tmp_path / executor,
                          workers=2, executor=executor, **SMALL)
        pd.testing.assert_frame_equal(_set(other), _set(reference))


def test_a_stopped_calibration_resumes_to_the_same_set(tmp_path, targets, reference):
    t, scenario = targets
    folder = tmp_path / "stopped"
    calibrate(t, TARGETS.parent / t.scenario, scenario, folder, **{**SMALL, "waves": 1})
    # a killed second wave: its folder holds part of its chunks, or none
    resumed = calibrate(t, TARGETS.parent / t.scenario, scenario, folder, resume=True,
                        **SMALL)
    pd.testing.assert_frame_equal(_set(resumed), _set(reference))


def test_the_command_writes_the_set_report_and_figures(tmp_path, capsys):
    out = tmp_path / "cal"
    code = main(["calibrate", str(TARGETS), "--points", "40", "--replicates", "4", "--waves",
                 "1", "--out", str(out), "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "History matching on 8 targets" in printed
    for name in ("nonimplausible.parquet", "report.txt", "calibration.json",
                 "implausibility.png"):
        assert (out / name).exists(), name
    # a second run into the same folder is refused, nothing changed
    assert main(["calibrate", str(TARGETS), "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_a_bad_targets_file_is_refused_with_file_line_field(tmp_path, capsys):
    bad = tmp_path / "targets.yaml"
    bad.write_text("scenario: ../scenarios/baseline.yaml\ntargets:\n  - id: x\n"
                   "    pattern: p\n    evidence: [cn-talk-dont-yield]\n"
                   "    date: 2025-09-06\n    when: [{state: nope, op: '==', value: 0}]\n"
                   "    min_share: 0.5\n")
    assert main(["calibrate", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "targets.yaml:7" in err and "state" in err
    assert not (tmp_path / "o").exists()


def test_a_sweep_resumed_with_other_points_is_refused(tmp_path, baseline):
    """A calibration's later waves give the sweep its points; resuming one with other
    points would mix two designs."""
    from sim.experiments.experiment import Experiment
    from sim.experiments.sweep import SweepError, run_sweep

    exp = Experiment(name="pts", description="explicit points",
                     scenario=str(ROOT / "scenarios" / "baseline.yaml"),
                     parameters={"face.decay": {"range": [0.9, 0.99]}},
                     sampler={"kind": "latin_hypercube", "n": 2}, replicates=2,
                     outputs=["outcome"])
    short = baseline.model_copy(update={"weeks": 4})
    points = pd.DataFrame({"face.decay": [0.9, 0.95]}, index=pd.RangeIndex(2, name="point"))
    run_sweep(exp, short, tmp_path / "s", points=points)
    run_sweep(exp, short, tmp_path / "s", points=points, resume=True)  # the same: fine
    with pytest.raises(SweepError, match="its points"):
        run_sweep(exp, short, tmp_path / "s", resume=True,
                  points=points.assign(**{"face.decay": [0.9, 0.97]}))


# --- structural choices put into the box (--factor) ---------------------------------------

def test_an_added_factor_is_parsed_into_listed_values_or_a_range():
    from sim.experiments.calibrate import added_factor

    assert added_factor("decision.obstinacy_prior=0,0.05") == (
        "decision.obstinacy_prior", {"values": [0.0, 0.05]})
    assert added_factor(" decision.obstinacy_prior = 0:0.2 ") == (
        "decision.obstinacy_prior", {"range": [0.0, 0.2]})
    # one that steers a model's computations too: the sweep gives its values models apart
    assert added_factor("channel.back_channel=0,1") == (
        "channel.back_channel", {"values": [0.0, 1.0]})
    # a dial declared not fitted is assumption-only but out of the box: it may be put in
    assert added_factor("decision.action_cost=0:2.6") == (
        "decision.action_cost", {"range": [0.0, 2.6]})
    for spec, reason in (
            ("decision.obstinacy_prior", "expected NAME=V1,V2 or NAME=LO:HI"),
            ("decision.obstinacy_priors=0,1", "unknown parameter"),
            ("decision.rationality=1,2", "is assumption-only and already in the box"),
            ("decision.obstinacy_prior=0,0.9", "0.9 is outside [0, 0.5]"),
            ("decision.obstinacy_prior=0.2:0.1", "needs LO < HI"),
            ("decision.obstinacy_prior=0.05", "at least two different values"),
            ("decision.obstinacy_prior=0,0", "at least two different values"),
            ("decision.obstinacy_prior=a,b", "is not V1,V2,... or LO:HI"),
            ("decision.obstinacy_prior=0,nan", "is not V1,V2,... or LO:HI"),
            ("decision.obstinacy_prior=0,1e400", "inf is not a finite number"),
            ("decision.obstinacy_prior=0,1_0", "is not V1,V2,... or LO:HI"),
            ("decision.obstinacy_prior=0,\u0660", "is not V1,V2,... or LO:HI"),
            ("decision.obstinacy_prior=0:0.1:0.2", "is not V1,V2,... or LO:HI"),
            ("decision.best_response=0,1", "the rule runs are compared against"),
            ("channel.back_channel=0:1", "list them (channel.back_channel=0,1)")):
        with pytest.raises((KeyError, ValueError), match=re.escape(reason)):
            added_factor(spec)


def test_a_bad_factor_is_refused_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "cal"
    assert main(["calibrate", str(TARGETS), "--factor", "decision.rationality=1:2",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--factor" in err and "assumption-only" in err and "Traceback" not in err
    assert main(["calibrate", str(TARGETS), "--factor", "decision.obstinacy_prior=0,0.05",
                 "--factor", "decision.obstinacy_prior=0:0.1", "--out", str(out)]) == 2
    assert "given twice" in capsys.readouterr().err
    assert not out.exists()


@pytest.fixture(scope="module")
def with_learning(tmp_path_factory, targets):
    """A small calibration with the forecasts' learning switch put into the box."""
    from sim.experiments.calibrate import added_factor

    t, scenario = targets
    name, factor = added_factor("decision.obstinacy_prior=0,0.05")
    folder = tmp_path_factory.mktemp("cal") / "learning"
    return calibrate(t, TARGETS.parent / t.scenario, scenario, folder,
                     added={name: factor}, **{**SMALL, "waves": 1})


def test_an_added_factor_is_sampled_reported_and_drawn_by_runs(with_learning):
    from sim.experiments.calibrate import write_set
    from sim.io.calibrated import load_calibrated_set

    name = "decision.obstinacy_prior"
    first = with_learning.waves[0]
    # over the Latin hypercube each value meets the same spread of the other parameters
    assert first[name].value_counts().to_dict() == {0.0: 100, 0.05: 100}
    text = report(with_learning)
    assert f"{name} (added)" in text and "decision.outlast\n" in text
    kept = first["I_max"] <= CUTOFF
    for value, label in ((0.0, "0"), (0.05, "0.05")):
        mine = first[name] == value
        assert f"= {label:<12}   100 points  {kept[mine].mean():6.1%}" in text
    assert f"{name}: share of wave-0 points not ruled out by each target alone" in text
    # the set carries the added column, and runs drawing from it get it run by run
    csv, _ = write_set(with_learning, TARGETS, "test", points=200, replicates=8, waves=1,
                       seed=1)
    loaded = load_calibrated_set(csv)
    assert name in loaded.names and "66 fitted assumption-only parameters and 1 other" in \
        loaded.describe()
    assert set(loaded.values[:, loaded.names.index(name)].tolist()) <= {0.0, np.float32(0.05)}


def test_a_calibration_resumed_with_other_factors_is_refused(with_learning, targets):
    from sim.experiments.sweep import SweepError

    t, scenario = targets
    with pytest.raises(SweepError, match=re.escape(
            "added decision.obstinacy_prior=0,0.05, not no factor")):
        calibrate(t, TARGETS.parent / t.scenario, scenario, with_learning.folder,
                  resume=True, **{**SMALL, "waves": 1})


def test_a_range_is_reported_in_thirds_each_point_in_one(targets):
    """Wave 0 split by a range factor: thirds of the range, or of the whole numbers an
    integer factor takes (each end value with its full weight), every point in one group;
    an empty group reads '-', not 0%."""
    from sim.experiments.calibrate import Calibration, _groups

    t, _ = targets
    wave = pd.DataFrame({"decision.obstinacy_prior": [0.0, .01, .02, .03, .04, .05, .06, .07,
                                                      .08],
                         "deal.pause_weeks": [4.0, 4, 5, 6, 7, 8, 9, 10, 12]})
    result = Calibration(ROOT, [wave], t, {"decision.obstinacy_prior": {"range": [0.0, 0.09]},
                                           "deal.pause_weeks": {"range": [4.0, 12.0],
                                                                "integer": True}})
    thirds = _groups(result, "decision.obstinacy_prior")
    assert [label for label, _ in thirds] == ["0-0.03", "0.03-0.06", "0.06-0.09"]
    assert [int(w.sum()) for _, w in thirds] == [3, 3, 3]
    whole = _groups(result, "deal.pause_weeks")
    assert [label for label, _ in whole] == ["4-6", "7-9", "10-12"]
    assert [int(w.sum()) for _, w in whole] == [4, 3, 2]
    for groups in (thirds, whole):
        assert (np.sum([w for _, w in groups], axis=0) == 1).all()


def test_figures_draw_a_factor_added_at_several_listed_values(targets):
    """A factor added at four listed values (``--factor decision.action_cost=0,0.5,1,2``)
    is drawn against the implausibility but has no prior range for the marginals: the
    figures leave it out there, where they once stopped with a KeyError and a traceback
    after the whole calibration had run."""
    from sim.experiments.calibrate import Calibration
    from sim.reports.calibration import figures

    t, _ = targets
    rng = np.random.default_rng(0)
    wave = pd.DataFrame({"decision.rationality": rng.uniform(0.5, 5, 40),
                         "decision.action_cost": np.tile([0.0, 0.5, 1.0, 2.0], 10),
                         "I_max": rng.uniform(0, 6, 40)})
    prior = {"decision.rationality": {"range": [0.5, 5.0]}}
    added = {"decision.action_cost": {"values": [0.0, 0.5, 1.0, 2.0]}}
    result = Calibration(ROOT, [wave], t, {**prior, **added}, added)
    drawn = figures(result)
    assert set(drawn) == {"implausibility", "marginals"}
    labels = {ax.get_xlabel() for ax in drawn["marginals"].axes}
    assert "decision.rationality" in labels and "decision.action_cost" not in labels
    assert "decision.action_cost" in {ax.get_xlabel() for ax in drawn["implausibility"].axes}


def test_a_resume_takes_the_same_factors_in_any_order(tmp_path, targets):
    from sim.experiments.calibrate import added_factor

    t, scenario = targets
    specs = ["decision.obstinacy_prior=0,0.05", "channel.back_channel=0,1"]
    one = dict(added_factor(x) for x in specs)
    other = dict(added_factor(x) for x in reversed(specs))
    small = {"points": 40, "replicates": 4, "waves": 1}
    first = calibrate(t, TARGETS.parent / t.scenario, scenario, tmp_path / "c", added=one,
                      **small)
    again = calibrate(t, TARGETS.parent / t.scenario, scenario, tmp_path / "c", added=other,
                      resume=True, **small)
    pd.testing.assert_frame_equal(first.waves[0], again.waves[0])


def test_a_set_whose_provenance_names_a_factor_it_lacks_is_refused(with_learning, tmp_path):
    import shutil

    from sim.experiments.calibrate import write_set
    from sim.io.calibrated import load_calibrated_set
    from sim.io.yamlio import InputError

    csv, yaml_path = write_set(with_learning, TARGETS, "test", points=200, replicates=8,
                               waves=1, seed=1)
    folder = tmp_path / "set"
    folder.mkdir()
    for path in (csv, yaml_path):
        shutil.copy(path, folder / path.name)
    edited = folder / yaml_path.name
    edited.write_text(edited.read_text().replace("- decision.obstinacy_prior",
                                                 "- decision.outlast"))
    with pytest.raises(InputError,
                       match="assumption-only and fitted, not a parameter --factor added"):
        load_calibrated_set(folder / csv.name)
