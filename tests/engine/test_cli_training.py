"""The headless train / runs / predict / eval commands, called through engine.cli.main."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.cli import main

EXPERIMENT = """\
version = 1
name = "cli reber"

[data]
source = "reber"
size = 300

[data.split]
validation = 0.2
test = 0.2
seed = 1

[vectorize]
kind = "chars"
length = 20
alphabet = "BTSXPVE"

[[layers]]
type = "GRU"
units = 8

[[layers]]
type = "Dense"
units = 1
activation = "sigmoid"

[compile]
optimizer = "adam"
learning_rate = 0.02

[fit]
epochs = {epochs}
batch_size = {batch_size}
"""


def write_experiment(tmp_path: Path, epochs: int = 2, batch_size: int = 32, layers_text: str | None = None) -> Path:
    text = EXPERIMENT.format(epochs=epochs, batch_size=batch_size)
    if layers_text is not None:
        head, rest = text.split("[[layers]]", 1)
        text = head + layers_text + "\n[compile]" + rest.split("[compile]", 1)[1]
    path = tmp_path / "exp.toml"
    path.write_text(text)
    return path


@pytest.mark.slow
def test_round_trip_train_runs_predict_eval(tmp_path, capsys):
    runs_dir = tmp_path / "runs"
    exp = write_experiment(tmp_path)
    assert main(["train", str(exp), "--epochs", "1", "--runs-dir", str(runs_dir)]) == 0
    out = capsys.readouterr().out
    assert "epoch 1/1" in out and "loss" in out and "samples/s" in out
    run_line = out.strip().splitlines()[-1]
    assert run_line.startswith("run: ")
    run_dir = Path(run_line[5:])
    assert run_dir.parent == runs_dir

    assert main(["train", str(exp), "--runs-dir", str(runs_dir), "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["event"] for e in events] == ["Started", "EpochEnd", "EpochEnd", "Finished"]
    assert events[1]["epoch"] == 1 and "val_accuracy" in events[1]["metrics"] and events[1]["eta_s"] >= 0

    assert main(["runs", "--runs-dir", str(runs_dir)]) == 0
    table = capsys.readouterr().out
    assert run_dir.name in table and "val_loss" in table
    assert main(["runs", "--runs-dir", str(runs_dir), "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(listed) == 2 and {r["epochs"] for r in listed} == {1, 2}

    assert main(["predict", str(run_dir), "BTXSE", "BPVVE", "--json"]) == 0
    preds = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [p["text"] for p in preds] == ["BTXSE", "BPVVE"]
    assert all(p["label"] in ("corrupted", "valid") and abs(sum(p["probabilities"].values()) - 1) < 1e-5 for p in preds)
    assert main(["predict", run_dir.name, "BTXSE", "--runs-dir", str(runs_dir)]) == 0  # by id
    assert "BTXSE" in capsys.readouterr().out

    assert main(["eval", str(run_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["split"] == "test" and report["samples"] == 60
    assert sum(map(sum, report["confusion"])) == 60 and 0 <= report["accuracy"] <= 1
    assert main(["eval", str(run_dir)]) == 0
    assert "precision" in capsys.readouterr().out

    csv = tmp_path / "more.csv"
    csv.write_text("text,label\nBTXSE,valid\nBPVVE,valid\nBTXXE,corrupted\nBPTTE,corrupted\n")
    assert main(["eval", str(run_dir), "--file", str(csv), "--text", "text", "--label", "label", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["samples"] == 4 and report["split"] == "more.csv"


@pytest.mark.slow
def test_predict_reads_stdin_lines(tmp_path, capsys, monkeypatch):
    import io

    exp = write_experiment(tmp_path, epochs=1)
    assert main(["train", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    run_dir = capsys.readouterr().out.strip().splitlines()[-1][5:]
    monkeypatch.setattr(sys, "stdin", io.StringIO("BTXSE\n\nBPVVE\n"))
    assert main(["predict", run_dir]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].endswith("BTXSE") and lines[1].endswith("BPVVE")


def test_bad_input_exits_1_with_a_message(tmp_path, capsys):
    bad = write_experiment(tmp_path, layers_text='[[layers]]\ntype = "Dense"\nunits = 1\n\n[[layers]]\ntype = "LSTM"\nunits = 4\n')
    assert main(["train", str(bad), "--runs-dir", str(tmp_path / "runs")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kerminal train: ") and "LSTM" in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists()

    assert main(["train", str(tmp_path / "missing.toml")]) == 1
    assert "No experiment file" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "nope"), "hi"]) == 1
    assert "No run" in capsys.readouterr().err
    assert main(["eval", str(tmp_path), "--runs-dir", str(tmp_path)]) == 1
    assert "not a kerminal run" in capsys.readouterr().err
    assert main(["runs", "--runs-dir", str(tmp_path / "empty")]) == 0
    assert "no runs" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["train", "predict", "eval", "runs"])
def test_help_exits_0(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "usage: kerminal " + command in capsys.readouterr().out


@pytest.mark.slow
def test_ctrl_c_stops_at_a_batch_end_saves_and_exits_130(tmp_path, capsys):
    exp = write_experiment(tmp_path, epochs=500, batch_size=4)
    runs_dir = tmp_path / "runs"

    def interrupt_after_first_epoch():
        deadline = time.time() + 60
        while time.time() < deadline:
            if list(runs_dir.glob("*/history.csv")):
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.02)

    t = threading.Thread(target=interrupt_after_first_epoch, daemon=True)
    t.start()
    code = main(["train", str(exp), "--runs-dir", str(runs_dir)])
    t.join()
    assert code == 130
    err = capsys.readouterr().err
    assert "Ctrl+C" in err and "epochs kept in" in err
    (run_dir,) = runs_dir.iterdir()
    rows = (run_dir / "history.csv").read_text().strip().splitlines()
    assert 2 <= len(rows) < 501
    meta = json.loads((run_dir / "metrics.json").read_text())
    assert meta["status"] == "stopped" and meta["epochs"] == len(rows) - 1
    assert (run_dir / "last.keras").is_file()


def test_cli_commands_do_not_import_textual(tmp_path):
    code = (
        "import argparse, importlib, sys\n"
        "for m in ('train', 'predict', 'eval', 'runs'):\n"
        "    importlib.import_module(f'engine.cli.{m}_cmd').add_arguments(argparse.ArgumentParser())\n"
        "print('textual' in sys.modules, 'tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


@pytest.mark.slow
def test_a_run_killed_mid_epoch_keeps_every_finished_epoch(tmp_path):
    exp = write_experiment(tmp_path, epochs=500, batch_size=4)
    runs_dir = tmp_path / "runs"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main())", "train", str(exp), "--runs-dir", str(runs_dir)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            rows = list(runs_dir.glob("*/history.csv"))
            if rows and len(rows[0].read_text().splitlines()) >= 3:
                break
            time.sleep(0.05)
        proc.kill()  # SIGKILL: no handler, no cleanup
    finally:
        proc.wait(30)
    (run_dir,) = runs_dir.iterdir()
    from engine.training import Predictor, RunStore

    rows = (run_dir / "history.csv").read_text().strip().splitlines()
    assert len(rows) >= 3
    info = RunStore(runs_dir).list()[0]
    assert info.status == "interrupted" and info.epochs >= len(rows) - 2  # metrics.json follows history.csv
    assert Predictor.from_run(run_dir).predict("BTXSE").label in ("corrupted", "valid")
