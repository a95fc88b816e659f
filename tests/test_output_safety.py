"""The file system as hostile input: destinations that cannot take the results are refused
before any simulation runs; a failure while writing leaves nothing half-written and exits
2 with the folder named; two runs in the same second do not collide; a run killed outright
leaves no hidden folder behind for good; results folders follow the user's umask."""

from __future__ import annotations

import errno
import os
import stat

import pandas as pd
import pytest

from sim.cli import main
from sim.reports import results
from sim.reports.results import atomic_directory, remove_stale

from .conftest import SCENARIOS

BASELINE = str(SCENARIOS / "baseline.yaml")


def run(*args: str) -> int:
    return main(["run", BASELINE, "--runs", "20", "--no-progress", *args])


def test_a_file_in_the_way_is_refused_before_running(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    assert run("--out", str(tmp_path / "afile" / "out")) == 2
    err = capsys.readouterr().err
    assert "is a file" in err and "Traceback" not in err


@pytest.mark.parametrize("out", ["", "."])
def test_an_empty_out_is_refused(out, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("--out", out) == 2
    assert "--out: needs a folder name" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_leaves_nothing_and_names_the_folder(tmp_path, capsys, monkeypatch):
    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    out = tmp_path / "out"
    assert run("--out", str(out)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{out}: cannot be written: No space left on device"), err
    assert list(tmp_path.iterdir()) == []  # no results folder, no hidden one


def test_two_runs_in_the_same_second_do_not_collide(tmp_path):
    target = tmp_path / "baseline-20250101-000000"
    first, second = atomic_directory(target, unique=True), atomic_directory(target, unique=True)
    a, b = first.__enter__(), second.__enter__()  # both started before either finished
    (a / "runs.parquet").write_text("a")
    (b / "runs.parquet").write_text("b")
    first.__exit__(None, None, None)
    second.__exit__(None, None, None)
    assert first.path == target and second.path == tmp_path / f"{target.name}-2"
    assert (target / "runs.parquet").read_text() == "a"
    assert (second.path / "runs.parquet").read_text() == "b"


def test_an_explicit_out_is_never_overwritten(tmp_path):
    target = tmp_path / "mine"
    first, second = atomic_directory(target), atomic_directory(target)
    a, b = first.__enter__(), second.__enter__()
    (a / "f").write_text("a")
    (b / "f").write_text("b")
    first.__exit__(None, None, None)
    with pytest.raises(FileExistsError):
        second.__exit__(None, None, None)
    assert (target / "f").read_text() == "a"
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]


def test_hidden_folders_of_dead_runs_are_cleared(tmp_path):
    dead = tmp_path / ".baseline-x.pid999999999.abcd"  # no such process
    alive = tmp_path / f".baseline-y.pid{os.getpid()}.efgh"  # this one still runs
    other = tmp_path / ".not-ours"
    for folder in (dead, alive, other):
        folder.mkdir()
    remove_stale(tmp_path)
    assert not dead.exists() and alive.exists() and other.exists()


def test_results_folders_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_directory(tmp_path / "out") as tmp:
            (tmp / "f").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o755


def test_the_hidden_folder_name_carries_the_pid(tmp_path):
    with atomic_directory(tmp_path / "out") as tmp:
        assert results._STALE.match(tmp.name)
        assert tmp.name.split(".pid")[1].split(".")[0] == str(os.getpid())


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("explain") / "run"
    assert run("--out", str(out)) == 0
    return out


def _damaged(results_dir, tmp_path, damage):
    """A copy of the results folder with ``damage(folder, manifest)`` done to it."""
    import json
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(results_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    damage(copy, manifest)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


@pytest.mark.parametrize(("damage", "words"), [
    (lambda d, m: (d / "runs.parquet").unlink(), "runs.parquet: is missing"),
    (lambda d, m: (d / "runs.parquet").write_bytes(b"PAR1 not really"), "cannot be read"),
    (lambda d, m: m.update(runs="many"), "runs is not a valid count"),
    (lambda d, m: m.update(runs=7), "has 20 rows, the manifest says 7"),
    (lambda d, m: m.update(seed=-3), "seed is not a valid count"),
    (lambda d, m: m.update(parameters_changed={"face.decy": 1}), "unknown parameter"),
    (lambda d, m: m.update(parameters_changed={"face.decay": "x"}), "map parameter names"),
])
def test_a_damaged_results_folder_is_refused_clearly(results_dir, tmp_path, capsys, damage,
                                                     words):
    folder = _damaged(results_dir, tmp_path, damage)
    assert main(["explain", str(folder), "--run", "3"]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err, err


@pytest.mark.parametrize("argv", [
    ["schema", "--out", "{tmp}/missing/folder/schema.json"],
    ["schema", "--out", "{tmp}/afile/schema.json"],
    ["validate", "{tmp}/afile/nothing.yaml"],
])
def test_file_system_errors_on_any_command_exit_2_in_one_line(argv, tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and str(tmp_path) in err, err
