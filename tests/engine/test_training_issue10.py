"""Issue 10 on the training side: honest stops (3), no NaN kept (4), crash-consistent run
folders and --resume (5), symlinked data (6), any experiment name (7), a full disk and
clear messages (8, 9), the back-padding warning (10), and a max_tokens = 20000 run on
reviews holding every line separator that predicts afterwards (1)."""

from __future__ import annotations

import csv
import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.errors import RunError, TrainingError
from engine.runs import folder as R
from engine.runs import reader, saving
from engine.runs.store import load_model_file
from engine.training import EpochEnd, RunStore, Stopped, TrainControl, Trainer
from engine.training.failures import keras_failure
from tests.engine.test_cli_training import write_experiment
from tests.engine.test_training_trainer import Recorder, reber_dataset, reber_experiment


# ---- finding 3: a stop mid-epoch is a partial epoch, not a row -------------------------------
@pytest.mark.slow
def test_stop_mid_epoch_is_not_recorded_as_an_epoch(tmp_path):
    control = TrainControl()
    rec = Recorder()

    def listener(event):
        rec(event)
        if getattr(event, "epoch", 0) == 2 and getattr(event, "step", 0) == 3 and not rec.of(Stopped):
            control.stop("test stop.")

    trainer = Trainer(reber_experiment(epochs=5, batch_size=8), reber_dataset(), tmp_path, listener, control, batch_interval=0.0)
    result = trainer.run()
    assert result.status == "stopped" and result.epochs == 1
    assert [e.epoch for e in rec.of(EpochEnd)] == [1], "no validation pass / epoch end for the partial epoch"
    stopped = trainer.events[-1]
    assert (stopped.partial_epoch, stopped.steps) == (2, 40) and stopped.step in (3, 4)
    log = (result.run_dir / R.LOG).read_text()
    assert re.search(r"Stopped at step [34] of 40 in epoch 2", log)
    assert len((result.run_dir / R.HISTORY).read_text().strip().splitlines()) == 1 + 1
    meta = json.loads((result.run_dir / R.METRICS).read_text())
    assert meta["epochs"] == 1 and meta["best"]["epoch"] == 1 and len(reader.read_history(result.run_dir)["loss"]) == 1
    assert not list(result.run_dir.glob(R.TEMP_GLOB))
    # the model in memory is the saved epoch 1 again: continuing numbers epoch 2 right
    assert trainer.run(epochs=1).epochs == 2
    assert [r["epoch"] for r in csv.DictReader(open(result.run_dir / R.HISTORY))] == ["1", "2"]


# ---- finding 4: a NaN epoch is never kept ----------------------------------------------------
@pytest.mark.slow
def test_a_diverging_run_keeps_no_nan_model(tmp_path):
    from dataclasses import replace

    exp = reber_experiment(epochs=3, lr=1e38)  # the loss turns NaN mid-epoch
    exp.compile = replace(exp.compile, optimizer="sgd")
    exp.fit = replace(exp.fit, monitor="val_accuracy")  # ModelCheckpoint alone would save a NaN model here
    trainer = Trainer(exp, reber_dataset(), tmp_path)
    with pytest.raises(TrainingError, match="NaN.*learning_rate"):
        trainer.run()
    for name in (R.BEST, R.LAST):
        if (trainer.run_dir / name).is_file():
            load_model_file(trainer.run_dir / name)  # finite, or it would raise


@pytest.mark.slow
def test_predict_and_eval_refuse_a_model_with_nan_weights(tmp_path, capsys):
    result = Trainer(reber_experiment(), reber_dataset(), tmp_path).run()
    model = load_model_file(result.run_dir / R.LAST)
    model.set_weights([np.full_like(w, np.nan) if w.dtype.kind == "f" else w for w in model.get_weights()])
    for name in (R.BEST, R.LAST):
        model.save(result.run_dir / name)
    with pytest.raises(RunError, match="not finite.*learning_rate"):
        RunStore(tmp_path).load(result.run_dir)
    assert main(["predict", str(result.run_dir), "BTSSXXTVVE"]) == 1
    assert "not finite" in capsys.readouterr().err
    assert main(["eval", str(result.run_dir)]) == 1
    assert "not finite" in capsys.readouterr().err


# ---- finding 5: kill inside a save; --resume ---------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("point, kept", [("model_saved@2", 1), ("history_written@2", 1), ("committed@2", 2)])
def test_a_kill_inside_a_save_leaves_a_consistent_run_that_resumes(tmp_path, point, kept):
    exp = write_experiment(tmp_path, epochs=3)
    runs_dir = tmp_path / "runs"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERMINAL_TEST_KILL_AT=point, PYTHONPATH=str(Path.cwd()))
    proc = subprocess.run([sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main())", "train", str(exp), "--runs-dir", str(runs_dir)], env=env, capture_output=True, timeout=240)
    assert proc.returncode == -9, proc.stderr[-2000:]
    (run_dir,) = runs_dir.iterdir()
    assert list(run_dir.glob(R.TEMP_GLOB)), "the kill left a temporary file"
    info = RunStore(runs_dir).info(run_dir)
    assert info.status == "interrupted" and info.epochs == kept
    assert len(reader.read_history(run_dir)["loss"]) == kept  # rows beyond metrics.json are ignored
    run = RunStore(runs_dir).load(run_dir, which="last")  # recovers: no temp file, history trimmed
    assert run.model is not None and not list(run_dir.glob(R.TEMP_GLOB))
    assert len((run_dir / R.HISTORY).read_text().strip().splitlines()) == 1 + kept
    assert main(["train", "--resume", str(run_dir), "--epochs", "1", "--runs-dir", str(runs_dir)]) == 0
    epochs = [r["epoch"] for r in csv.DictReader(open(run_dir / R.HISTORY))]
    assert epochs == [str(i) for i in range(1, kept + 2)]  # no second "epoch 1"
    assert json.loads((run_dir / R.METRICS).read_text())["epochs"] == kept + 1


def test_resume_needs_a_run_or_a_file_not_both(tmp_path, capsys):
    assert main(["train"]) == 1
    assert "--resume RUN" in capsys.readouterr().err
    assert main(["train", str(write_experiment(tmp_path)), "--resume", "x"]) == 1
    assert "not both" in capsys.readouterr().err


def pooled_experiment(name: str, data: str, max_tokens: int, length: int, output_dim: int, epochs: int) -> str:
    """A csv experiment with a small Embedding -> pooling -> Dense(1) stack; `data`: the lines
    of [data] after `source` (and any [data.split] table)."""
    return (
        f'version = 1\nname = "{name}"\n\n[data]\nsource = "csv"\n{data}\n\n'
        f'[vectorize]\nkind = "words"\nmax_tokens = {max_tokens}\nlength = {length}\n\n'
        f'[[layers]]\ntype = "Embedding"\noutput_dim = {output_dim}\n\n[[layers]]\ntype = "GlobalAveragePooling1D"\n\n'
        f'[[layers]]\ntype = "Dense"\nunits = 1\nactivation = "sigmoid"\n\n[fit]\nepochs = {epochs}\n'
    )


# ---- findings 6 and 7: a symlinked data file, any experiment name ----------------------------
@pytest.mark.slow
def test_symlinked_data_and_a_unicode_name_train_and_evaluate(tmp_path, capsys):
    from engine.experiment import load

    real = tmp_path / "SMSSpamCollection"
    real.write_text("label\ttext\n" + "".join(f"{'spam' if i % 3 == 0 else 'ham'}\t{'WIN cash now' if i % 3 == 0 else 'see you at lunch'} {i}\n" for i in range(120)))
    (tmp_path / "sms.tsv").symlink_to(real.name)
    exp_file = tmp_path / "exp.toml"
    exp_file.write_text(pooled_experiment(
        "Überblick 😀 my run", 'path = "sms.tsv"\nformat = "tsv"\ntext = "text"\nlabel = "label"\n\n[data.split]\nvalidation = 0.2\ntest = 0.2', max_tokens=50, length=8, output_dim=4, epochs=1,
    ))
    runs_dir = tmp_path / "runs"
    assert main(["train", str(exp_file), "--runs-dir", str(runs_dir)]) == 0
    (run_dir,) = runs_dir.iterdir()
    assert "Überblick" in run_dir.name and "my-run" in run_dir.name and "😀" not in run_dir.name
    assert load(run_dir / R.EXPERIMENT).data.path == str(tmp_path / "sms.tsv")  # the link, not its target
    capsys.readouterr()
    assert main(["eval", str(run_dir)]) == 0
    assert "accuracy" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["_draft", "😀"])
def test_names_keras_refuses_still_train(tmp_path, name):
    exp = reber_experiment()
    exp.name = name
    result = Trainer(exp, reber_dataset(100), tmp_path).run()
    assert result.status == "finished" and result.run_dir.is_dir()


# ---- findings 8 and 9: a full disk, messages -------------------------------------------------
@pytest.mark.slow
def test_a_full_disk_while_saving_is_a_clear_error_that_keeps_the_finished_epochs(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = saving.write_history

    def full_on_second(path, history, epochs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, history, epochs)

    monkeypatch.setattr(saving, "write_history", full_on_second)
    trainer = Trainer(reber_experiment(epochs=3), reber_dataset(), tmp_path)
    with pytest.raises(TrainingError, match=r"No space left on device while saving epoch 2 to .*--runs-dir") as info:
        trainer.run()
    assert "Check the layer stack and the data" not in str(info.value)
    meta = json.loads((trainer.run_dir / R.METRICS).read_text())
    assert meta["epochs"] == 1 and meta["status"] == "failed"
    assert not list(trainer.run_dir.glob(R.TEMP_GLOB))
    assert RunStore(tmp_path).load(trainer.run_dir, which="last").model is not None


@pytest.mark.slow
def test_a_full_disk_inside_keras_save_names_the_epoch(tmp_path, monkeypatch):
    import keras

    calls = {"n": 0}
    real = keras.Model.save

    def save(self, path, *a, **k):
        calls["n"] += 1
        if calls["n"] >= 3:  # best and last of epoch 1 fit; epoch 2 does not
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(self, path, *a, **k)

    monkeypatch.setattr(keras.Model, "save", save)
    trainer = Trainer(reber_experiment(epochs=3), reber_dataset(), tmp_path)
    with pytest.raises(TrainingError, match=r"No space left on device while saving epoch 2"):
        trainer.run()
    monkeypatch.setattr(keras.Model, "save", real)
    assert json.loads((trainer.run_dir / R.METRICS).read_text())["epochs"] == 1
    assert RunStore(tmp_path).load(trainer.run_dir).model is not None


@pytest.mark.slow
def test_a_real_full_tmpfs(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root in a sandbox that allows mount(2); the monkeypatched ENOSPC tests above cover the same code path")
    try:
        with pytest.raises(TrainingError, match="No space left on device|Disk quota"):
            Trainer(reber_experiment(units=64, epochs=3), reber_dataset(), mnt).run()
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def test_errors_inside_keras_get_a_fix_that_fits(tmp_path):
    import tensorflow as tf

    oom = keras_failure(tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor"), 3, tmp_path)
    assert "Out of memory in epoch 3" in str(oom) and "batch_size" in oom.fix
    shape = keras_failure(ValueError("Incompatible shapes: [32,1] vs [32,5]"), 1, tmp_path)
    assert "layer stack does not fit" in str(shape) and "kerminal inspect" in shape.fix
    other = keras_failure(RuntimeError("something odd"), 2, tmp_path)
    for err in (oom, shape, other):
        assert "Check the layer stack and the data" not in str(err)


@pytest.mark.slow
def test_a_truncated_model_file_says_damaged(tmp_path):
    result = Trainer(reber_experiment(), reber_dataset(), tmp_path).run()
    last = result.run_dir / R.LAST
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])
    with pytest.raises(RunError, match="damaged or truncated") as info:
        load_model_file(last)
    assert "not found" not in str(info.value).lower()


# ---- finding 10: back padding without a mask -------------------------------------------------
def test_seed004_warns_about_back_padding_without_a_mask():
    from dataclasses import replace

    from engine.layers.presets import get_preset
    from engine.layers.validate import validate

    exp = get_preset("seed004-lstm")
    (warning,) = [w for w in validate(exp).warnings if "padding steps" in w]
    assert warning.startswith("layer 2 (LSTM)") and "padding = 'pre', or Embedding mask_zero = true" in warning
    exp.vectorize = replace(exp.vectorize, padding="pre")
    assert not [w for w in validate(exp).warnings if "padding steps" in w]
    exp = get_preset("seed004-lstm")
    exp.layers[0].params["mask_zero"] = True
    assert not [w for w in validate(exp).warnings if "padding steps" in w]


# ---- finding 1, end to end -------------------------------------------------------------------
@pytest.mark.slow
def test_max_tokens_20000_on_reviews_with_every_line_separator_predicts(tmp_path, capsys):
    seps = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    rows = []
    for i in range(200):
        sep = seps[i % len(seps)]
        good = i % 2 == 0
        words = " ".join(f"w{(i * 7 + j) % 900}" for j in range(6))
        rows.append({"text": f"{'great wonderful' if good else 'awful boring'}{sep}film {words}{sep}<br /><br />end{sep}", "label": "pos" if good else "neg"})
    import pandas as pd

    pd.DataFrame(rows).to_csv(tmp_path / "reviews.csv", index=False)
    exp_file = tmp_path / "exp.toml"
    exp_file.write_text(pooled_experiment("separators", 'path = "reviews.csv"\ntext = "text"\nlabel = "label"', max_tokens=20000, length=16, output_dim=8, epochs=2))
    runs_dir = tmp_path / "runs"
    assert main(["train", str(exp_file), "--runs-dir", str(runs_dir)]) == 0
    (run_dir,) = runs_dir.iterdir()
    capsys.readouterr()
    assert main(["predict", str(run_dir), "great wonderful film\x85", "awful\u2028boring", "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count('"label"') == 2


@pytest.mark.slow
def test_a_full_disk_for_the_event_log_is_said_in_the_failure(tmp_path, monkeypatch):
    """events.jsonl and log.txt that cannot be written do not stop a run silently: the run's
    end message says so, and metrics.json still records the finished epochs."""
    from engine.runs import safe

    real_open = safe.open_append
    state = {"full": False}

    def open_(file, *a, **k):
        if state["full"] and str(file).endswith((R.EVENTS, R.LOG)):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(file, *a, **k)

    failed = []
    trainer = Trainer(reber_experiment(epochs=1), reber_dataset(), tmp_path, listener=lambda e: failed.append(e) if type(e).__name__ == "Failed" else None)
    trainer.run()
    monkeypatch.setattr(safe, "open_append", open_)
    state["full"] = True
    monkeypatch.setattr(saving, "write_history", lambda *a: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(TrainingError, match="No space left on device"):
        trainer.run(epochs=1)
    assert "events.jsonl/log.txt could not be written" in failed[-1].message
    assert json.loads((trainer.run_dir / R.METRICS).read_text())["epochs"] == 1
