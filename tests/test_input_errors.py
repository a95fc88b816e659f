"""Bad scenario files and options: one clear message naming file, line and field; exit
status 2; no traceback; nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.io.yamlio import MAX_BYTES


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path

GOOD = """\
name: probe
description: a test scenario
weeks: 20
runs: 10
"""

# (file text, expected line, expected field, words the message must contain)
CASES = {
    "syntax": (GOOD + "events:\n  - actor: us\n    move: [hold\n", 8, "", "YAML syntax"),
    "unknown top-level key": (GOOD + "horizon: 30\n", 5, "horizon", "unknown key"),
    "unknown event key": (GOOD + "events:\n  - actor: us\n    move: hold\n    colour: red\n",
                          8, "events[0].colour", "unknown key"),
    "wrong type": (GOOD.replace("weeks: 20", "weeks: soon"), 3, "weeks", "integer"),
    "out of range": (GOOD.replace("runs: 10", "runs: 0"), 4, "runs", "greater than"),
    "unknown actor": (GOOD + "events:\n  - actor: eu\n    move: hold\n", 6,
                      "events[0].actor", "'us', 'china' or 'cn'"),
    "unknown move": (GOOD + "events:\n  - actor: us\n    move: invade\n", 7,
                     "events[0].move", "got 'invade'"),
    "event past horizon": (GOOD + "events:\n  - actor: cn\n    move: hold\n    week: 25\n", 6,
                           "events[0]", "past the horizon"),
    "unknown parameter": (GOOD + "parameters:\n  face.decy: 0.9\n", 6,
                          "parameters.face.decy", "did you mean 'face.decay'"),
    "parameter out of range": (GOOD + "parameters:\n  face.decay: 1.5\n", 6,
                               "parameters.face.decay", "outside [0"),
    "initial out of range": (GOOD + "initial:\n  us_reciprocal: -5\n", 6,
                             "initial.us_reciprocal", "outside"),
    "unsafe tag": (GOOD + "description2: !!python/object/apply:os.system ['echo hi']\n", 5,
                   "", "tag not allowed"),
    "duplicate key": (GOOD + "weeks: 30\n", 5, "weeks", "duplicate key"),
    "not a mapping": ("- just\n- a list\n", 1, "", "must be a mapping"),
    "empty": ("", None, "", "empty"),
    "unknown package": (GOOD + "events:\n  - actor: us\n    move: offer\n    package: peace\n",
                        8, "events[0].package", "got 'peace'"),
    "alias": (GOOD + "cites: &x [a]\nnote: *x\n", 6, "", "aliases"),
    "too deep": (GOOD + "cites: " + "[" * 30 + "]" * 30 + "\n", 5, "", "nested more than"),
    "impossible date": (GOOD + "start_date: 2025-02-30\n", 5, "start_date",
                        "day is out of range"),
    "control character": (GOOD + "note: \"a\x1bb\"\n", 5, "", "'\\x1b' is not allowed"),
    "NUL byte": ("name: pro\x00be\n" + GOOD.split("\n", 1)[1], 1, "", "'\\x00' is not allowed"),
    "escape sequence in a key": (GOOD + "parameters:\n  \"face.\\e[2Jdecay\": 0.9\n", 6,
                                 "parameters.face.\\x1b[2Jdecay", "unknown parameter"),
    "too many events": (GOOD + "events:\n" + "  - {actor: us, move: hold}\n" * 501, 5,
                        "events", "at most 500"),
    "too many parameters": (GOOD + "parameters:\n" + "".join(
        f"  p{i}: 1\n" for i in range(2000)), 5, "parameters", "2,000 entries"),
    "date too far": (GOOD + "start_date: 9999-12-20\n", 5, "start_date", "less than or equal"),
    "boolean as number": (GOOD.replace("weeks: 20", "weeks: true"), 3, "weeks",
                          "valid integer"),
    "unknown evidence id": (GOOD + "cites: [us-tariff-total-145, us-tarif-total-145]\n", 5,
                            "cites[1]", "did you mean 'us-tariff-total-145'"),
    "condition on unknown event": (
        GOOD + "events:\n  - actor: us\n    move: hold\n    when: {after: nothing}\n", 6,
        "events[0]", "names no earlier event"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_scenario_is_refused_clearly(case, tmp_path, capsys):
    text, line, field, words = CASES[case]
    path = write(tmp_path, text)
    out = tmp_path / "results"
    code = main(["run", str(path), "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    first = err.splitlines()[0]
    where = f"{path}:{line}:" if line else f"{path}:"
    assert first.startswith(where), first
    if field:
        assert f": {field}:" in first, first
    assert words in err, err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # nothing half-written
    assert main(["validate", str(path)]) == 2


def test_every_problem_is_reported_at_once(tmp_path, capsys):
    text = GOOD + "colour: red\nparameters:\n  face.decay: 7\n"
    assert main(["validate", str(write(tmp_path, text))]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and ":5: colour:" in err[0] and ":7: parameters.face.decay:" in err[1]


def test_oversized_file_is_refused_before_parsing(tmp_path, capsys):
    path = write(tmp_path, GOOD + "# " + "x" * MAX_BYTES + "\n")
    assert main(["validate", str(path)]) == 2
    assert "limit is" in capsys.readouterr().err


def test_missing_file(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: no such file" in capsys.readouterr().err


def test_non_utf8_file(tmp_path, capsys):
    path = tmp_path / "latin.yaml"
    path.write_bytes(GOOD.encode() + b"note: caf\xe9\n")
    assert main(["validate", str(path)]) == 2
    assert "not UTF-8" in capsys.readouterr().err


@pytest.mark.parametrize(("setting", "words"), [
    ("face.decay=2", "outside"), ("face.decy=0.9", "did you mean"),
    ("face.decay", "NAME=VALUE"), ("face.decay=high", "must be a number"),
])
def test_bad_set_option(setting, words, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(write(tmp_path, GOOD)), "--set", setting, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("--set: ") and words in err
    assert not out.exists()


@pytest.mark.parametrize("option", [["--runs", "0"], ["--runs", "many"], ["--seed", "-1"]])
def test_bad_command_line_values_exit_2(option, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", str(write(tmp_path, GOOD)), *option])
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_existing_output_directory_is_not_overwritten(tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["run", str(write(tmp_path, GOOD)), "--out", str(out)]) == 2
    assert "exists already" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
