"""Issue 10, findings 8-10 on the command line: bad input gets a typed message, never a traceback.

Driven in-process through engine.cli.main (capsys), except the closed-pipe case, which needs
a real pipe.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import experiment
from engine.cli import main
from engine.errors import PredictError
from engine.layers.presets import preset_text

ROOT = Path(__file__).resolve().parents[2]

REBER = """\
version = 1
name = "cli errors"

[data]
source = "reber"
size = 120

[vectorize]
kind = "chars"
length = 16
alphabet = "BTSXPVE"

[[layers]]
type = "GRU"
units = 4

[[layers]]
type = "Dense"
units = 1
activation = "sigmoid"

[fit]
epochs = 1
batch_size = 32
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """One tiny trained run (a second or two), shared by the predict tests."""
    tmp = tmp_path_factory.mktemp("run")
    (tmp / "exp.toml").write_text(REBER)
    runs = tmp / "runs"
    assert main(["train", str(tmp / "exp.toml"), "--runs-dir", str(runs), "--json"]) == 0
    (path,) = runs.iterdir()
    return path


class Stdin:
    """A stand-in for sys.stdin that carries raw bytes, as a pipe does."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)

    def isatty(self) -> bool:
        return False


def json_lines(out: str) -> list[dict]:
    """The --json rule: every line of stdout is one JSON object."""
    return [json.loads(line) for line in out.splitlines()]


def assert_error_object(obj: dict, kind: str) -> None:
    assert obj["error"] == kind and obj["problem"] and isinstance(obj["fix"], str)


# ---- finding 8: invalid UTF-8 on predict's standard input -------------------------------------


@pytest.mark.slow
def test_predict_stdin_with_invalid_utf8_predicts_the_valid_lines_and_names_the_bad_ones(run_dir, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", Stdin(b"BTXSE\nBP\xffVE\nBPVVE\n\xe9t\xe9\n"))
    assert main(["predict", str(run_dir)]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].endswith("BTXSE") and lines[1].endswith("BPVVE")
    assert err.startswith("kerminal predict: ") and "Traceback" not in err
    assert "line 2" in err and "line 4" in err and "0xff" in err and "UTF-8" in err
    assert "2 of 4 lines" in err


def test_predict_stdin_invalid_utf8_with_json_ends_with_one_error_object(run_dir, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", Stdin(b"\xef\xbb\xbfBTXSE\r\n\xff\xfe\r\nBPVVE\r\n"))  # BOM, CRLF
    assert main(["predict", str(run_dir), "--json"]) == 1
    objs = json_lines(capsys.readouterr().out)
    assert [o["text"] for o in objs[:2]] == ["BTXSE", "BPVVE"]
    assert_error_object(objs[2], "PredictError")
    assert objs[2]["lines"] == [2] and len(objs) == 3


def test_predict_stdin_blank_lines_are_skipped_with_a_note_not_predicted(run_dir, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", Stdin(b"BTXSE\n\n   \nBPVVE\n"))
    assert main(["predict", str(run_dir)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 2
    assert "skipped 2 empty lines (lines 2, 3)" in err


def test_predict_stdin_without_a_byte_buffer_still_reads_text(run_dir, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("BTXSE\nBPVVE\n"))
    assert main(["predict", str(run_dir)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


# ---- finding 10: an empty text is refused, not answered -----------------------------------------


def test_predict_refuses_an_empty_text_argument(run_dir, capsys):
    assert main(["predict", str(run_dir), "", "BTXSE", "  "]) == 1
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 1 and out.rstrip().endswith("BTXSE")  # the valid one still answers
    assert "TEXT 1" in err and "TEXT 3" in err and "empty" in err and "Traceback" not in err


def test_predictor_raises_a_typed_error_on_empty_text(run_dir):
    from engine.training.predictor import Predictor

    predictor = Predictor.from_run(run_dir)
    for text in ("", " \t\n"):
        with pytest.raises(PredictError, match="empty"):
            predictor.predict(text)
    with pytest.raises(PredictError, match=r"Texts 2, 3 of 3"):
        predictor.predict_many(["BTXSE", "", "  "])
    assert predictor.predict_many([]) == []
    assert predictor.predict("BTXSE").label in predictor.class_names


# ---- finding 9: options between RUN and TEXT, mistyped commands ---------------------------------


def test_an_option_between_run_and_text_is_accepted(run_dir, capsys):
    assert main(["predict", str(run_dir), "--json", "BTXSE", "--model", "last", "BPVVE"]) == 0
    assert [o["text"] for o in json_lines(capsys.readouterr().out)] == ["BTXSE", "BPVVE"]


def test_a_text_that_looks_like_an_option_goes_after_a_double_dash(run_dir, capsys):
    assert main(["predict", str(run_dir), "--json", "--", "-BTXSE"]) == 0
    assert json_lines(capsys.readouterr().out)[0]["text"] == "-BTXSE"


def test_a_mistyped_command_names_the_close_one(capsys):
    assert main(["trian", "x.toml"]) == 2
    out, err = capsys.readouterr()
    assert err.strip() == "kerminal: unknown command 'trian': did you mean 'train'? Run `kerminal --help` for the commands."
    assert out == ""
    assert main(["zzz"]) == 2
    assert "unknown command 'zzz'" in capsys.readouterr().err
    assert main(["--json", "runs"]) == 2
    assert "'--json' comes before the command" in capsys.readouterr().err


def test_a_mistyped_command_with_json_is_a_json_error(capsys):
    assert main(["preset", "--json"]) == 2
    (obj,) = json_lines(capsys.readouterr().out)
    assert_error_object(obj, "UsageError") and "did you mean 'presets'" in obj["problem"]


def test_the_app_entry_sends_a_mistyped_command_to_the_command_line(capsys):
    from tui.entry import main as entry

    assert entry(["trian", "x.toml"]) == 2
    assert "did you mean 'train'?" in capsys.readouterr().err


def test_usage_errors_are_messages_with_exit_2(capsys, tmp_path):
    assert main(["predict"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kerminal predict: ") and "RUN" in err and "--help" in err
    assert main(["train", str(tmp_path / "x.toml"), "--epochs", "many", "--json"]) == 2
    (obj,) = json_lines(capsys.readouterr().out)
    assert_error_object(obj, "UsageError") and "--epochs" in obj["problem"]


def test_help_and_no_command(capsys):
    assert main([]) == 2
    assert "JSON Lines" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0 and "JSON Lines" in out and "141" in out  # the rules, in --help
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    assert "JSON Lines" in capsys.readouterr().out


# ---- finding 8: presets --save with a directory, an existing file ------------------------------


def test_presets_save_into_a_directory_writes_name_toml(tmp_path, capsys):
    assert main(["presets", "--save", "seed002-reber", str(tmp_path)]) == 0
    written = tmp_path / "seed002-reber.toml"
    assert experiment.load(written).to_toml() == preset_text("seed002-reber")
    assert str(written) in capsys.readouterr().out


def test_presets_save_refuses_to_overwrite_without_force(tmp_path, capsys):
    target = tmp_path / "mine.toml"
    target.write_text("# my edits\n")
    assert main(["presets", "--save", "seed002-reber", str(target)]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err
    assert target.read_text() == "# my edits\n"  # saved work is kept
    assert main(["presets", "--save", "seed002-reber", str(target), "--force"]) == 0
    assert experiment.load(target).name == "seed002-reber"


def test_presets_save_into_a_file_path_under_a_file_is_a_message(tmp_path, capsys):
    (tmp_path / "f").write_text("")
    assert main(["presets", "--save", "seed002-reber", str(tmp_path / "f" / "x.toml")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kerminal presets: ") and "Traceback" not in err


# ---- finding 8: output into a closed pipe ------------------------------------------------------


@pytest.mark.parametrize("argv", [["presets", "--json"], ["presets"], ["inspect", "{tmp}/missing.toml", "--json"]])
def test_output_into_a_closed_pipe_exits_quietly(argv, tmp_path):
    """As `kerminal presets --json | head -1` once head has gone: no BrokenPipeError traceback."""
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write: deterministic EPIPE
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"
    try:
        proc = subprocess.run([sys.executable, "-c", code, *argv], stdout=write_end, stderr=subprocess.PIPE, cwd=ROOT, env=env, timeout=120)
    finally:
        os.close(write_end)
    err = proc.stderr.decode()
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
    assert proc.returncode == 141  # 128 + SIGPIPE, what the shell reports for `yes | head -1`


# ---- the JSON rule: every --json output is JSON Lines, errors included -------------------------


def test_every_command_json_output_is_json_lines(run_dir, tmp_path, capsys):
    (tmp_path / "exp.toml").write_text(REBER)
    runs = run_dir.parent
    calls = [
        ["presets", "--json"],
        ["inspect", str(tmp_path / "exp.toml"), "--json"],
        ["predict", str(run_dir), "BTXSE", "--json"],
        ["eval", str(run_dir), "--json"],
        ["runs", "--runs-dir", str(runs), "--json"],
    ]
    for argv in calls:
        assert main(argv) == 0, argv
        objs = json_lines(capsys.readouterr().out)
        assert objs and all(isinstance(o, dict) and "error" not in o for o in objs), argv
    assert main(["presets", "--json"]) == 0
    assert len(json_lines(capsys.readouterr().out)) > 9  # one preset per line


@pytest.mark.parametrize(
    "argv, kind",
    [
        (["inspect", "{tmp}/missing.toml", "--json"], "ExperimentError"),
        (["train", "{tmp}/missing.toml", "--json"], "ExperimentError"),
        (["predict", "{tmp}/nope", "x", "--json"], "RunError"),
        (["eval", "{tmp}/nope", "--json"], "RunError"),
        (["runs", "--runs-dir", "{tmp}", "--delete", "nope", "--json"], "RunError"),
        (["presets", "--save", "nope", "{tmp}/x.toml", "--json"], "ExperimentError"),
    ],
)
def test_every_command_json_error_is_one_error_object(argv, kind, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    (obj,) = json_lines(out)
    assert_error_object(obj, kind)
    assert err.startswith(f"kerminal {argv[0]}: ")  # people still read stderr


@pytest.mark.slow
def test_train_into_a_closed_pipe_stops_cleanly_and_keeps_the_run(tmp_path):
    """`kerminal train x.toml --json | head -1`: the run is stopped (not failed) at a batch end,
    what it finished is kept, and the exit is the quiet 141."""
    (tmp_path / "exp.toml").write_text(REBER)
    read_end, write_end = os.pipe()
    os.close(read_end)  # head has gone before the first event
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    code = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"
    try:
        proc = subprocess.run([sys.executable, "-c", code, "train", str(tmp_path / "exp.toml"), "--runs-dir", str(tmp_path / "runs"), "--json"],
                              stdout=write_end, stderr=subprocess.PIPE, cwd=ROOT, env=env, timeout=240)
    finally:
        os.close(write_end)
    err = proc.stderr.decode()
    assert "Traceback" not in err and "BrokenPipe" not in err, err[-2000:]
    assert proc.returncode == 141
    (run,) = (tmp_path / "runs").iterdir()
    meta = json.loads((run / "metrics.json").read_text())
    assert meta["status"] == "stopped", meta["message"]
    assert "standard output was closed" in meta["message"]
