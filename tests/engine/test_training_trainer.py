"""Trainer, run folders, Predictor and evaluate on tiny Reber models (a few seconds each)."""

from __future__ import annotations

import json
import math
import threading
import time

import numpy as np
import pytest

from engine.data import reber
from engine.dataset import Dataset, Split
from engine.errors import KerminalError, LayerError, RunError, TrainingError
from engine.experiment import CompileConfig, Experiment, FitConfig, LayerSpec, VectorizeConfig
from engine.runs import folder as R
from engine.runs import reader, saving
from engine.training import (
    BatchEnd,
    EpochEnd,
    Failed,
    Finished,
    Predictor,
    RunStore,
    Started,
    Stopped,
    TrainControl,
    Trainer,
    evaluate,
)


def reber_dataset(n: int = 400, seed: int = 0, test: int = 0) -> Dataset:
    strings, labels = reber.generate(n + test, seed=seed)
    y = np.asarray(labels, dtype=np.int64)
    k = int(n * 0.8)
    return Dataset(
        "reber",
        list(reber.CLASS_NAMES),
        Split(strings[:k], y[:k]),
        Split(strings[k:n], y[k:n]),
        Split(strings[n:], y[n:]),
        symbols=True,
    )


def reber_experiment(units: int = 8, cell: str = "GRU", lr: float = 0.02, epochs: int = 1, batch_size: int = 32, seed: int = 42) -> Experiment:
    return Experiment(
        name="tiny reber",
        vectorize=VectorizeConfig(kind="chars", length=20, alphabet=reber.SYMBOLS),
        layers=[LayerSpec(cell, {"units": units}), LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})],
        compile=CompileConfig(optimizer="adam", learning_rate=lr),
        fit=FitConfig(epochs=epochs, batch_size=batch_size, seed=seed),
    )


class Recorder:
    def __init__(self) -> None:
        self.events: list = []

    def __call__(self, event) -> None:
        self.events.append(event)

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]


@pytest.mark.slow
def test_tiny_gru_learns_reber_strings(tmp_path):
    rec = Recorder()
    exp = reber_experiment(units=16, epochs=8)
    result = Trainer(exp, reber_dataset(1000), tmp_path, rec, batch_interval=0.0).run()
    assert result.status == "finished" and result.epochs == 8
    assert max(result.history["val_accuracy"]) >= 0.75  # chance is 0.5
    kinds = [type(e) for e in rec.events if not isinstance(e, BatchEnd)]
    assert kinds == [Started] + [EpochEnd] * 8 + [Finished]
    assert rec.of(BatchEnd), "batch events are emitted (throttled)"
    last = rec.of(EpochEnd)[-1]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(last.metrics)
    assert last.samples_per_s > 0 and last.duration_s > 0


@pytest.mark.slow
def test_run_folder_layout_and_continuation(tmp_path):
    rec = Recorder()
    trainer = Trainer(reber_experiment(), reber_dataset(), tmp_path, rec)
    first = trainer.run()
    assert first.epochs == 1
    run_dir = first.run_dir
    assert run_dir.parent == tmp_path
    for name in (R.EXPERIMENT, R.HISTORY, R.BEST, R.LAST, R.METRICS, R.EVENTS, R.LOG):
        assert (run_dir / name).is_file(), name
    assert not list(run_dir.glob(".*tmp*")), "no temporary files are left behind"
    again = trainer.run(epochs=2)  # continue the same run
    assert again.run_dir == run_dir and again.epochs == 3
    started = rec.of(Started)
    assert [s.initial_epoch for s in started] == [0, 1] and started[1].epochs == 3
    rows = (run_dir / R.HISTORY).read_text().strip().splitlines()
    assert len(rows) == 1 + 3 and rows[0].startswith("epoch,")
    meta = json.loads((run_dir / R.METRICS).read_text())
    assert meta["status"] == "finished" and meta["epochs"] == 3 and meta["class_names"] == list(reber.CLASS_NAMES)
    lines = [json.loads(line) for line in (run_dir / R.EVENTS).read_text().splitlines()]
    steps = 3 * math.ceil(320 / 32)
    assert sum(d["event"] == "BatchEnd" for d in lines) < steps  # throttled to one per 0.25 s
    assert [d["event"] for d in lines if d["event"] != "BatchEnd"] == ["Started", "EpochEnd", "Finished", "Started", "EpochEnd", "EpochEnd", "Finished"]
    info = RunStore(tmp_path).list()[0]
    assert info.id == run_dir.name and info.epochs == 3 and info.monitor == "val_loss" and info.best_value is not None
    assert len(info.id) > 16 and info.id[:8].isdigit()  # sortable: timestamp first

    with pytest.raises(TrainingError, match="epochs"):
        trainer.run(epochs=0)  # a refusal leaves the saved run as it was
    assert json.loads((run_dir / R.METRICS).read_text())["status"] == "finished"

    resumed = Trainer.from_run(run_dir, reber_dataset())  # continue a saved run from disk
    assert resumed.run(epochs=1).epochs == 4
    assert len((run_dir / R.HISTORY).read_text().strip().splitlines()) == 1 + 4


@pytest.mark.slow
def test_same_seed_gives_same_first_epoch_loss(tmp_path):
    ds = reber_dataset(200)
    a = Trainer(reber_experiment(seed=7), ds, tmp_path).run()
    b = Trainer(reber_experiment(seed=7), ds, tmp_path).run()
    c = Trainer(reber_experiment(seed=8), ds, tmp_path).run()
    assert a.run_dir != b.run_dir
    assert a.history["loss"][0] == pytest.approx(b.history["loss"][0], rel=1e-6)
    assert c.history["loss"][0] != pytest.approx(a.history["loss"][0], rel=1e-6)


@pytest.mark.slow
def test_stop_from_another_thread_keeps_history(tmp_path):
    control = TrainControl()
    epoch_done = threading.Event()

    def listener(event):
        if isinstance(event, EpochEnd):
            epoch_done.set()

    trainer = Trainer(reber_experiment(epochs=200, batch_size=8), reber_dataset(), tmp_path, listener, control)
    stopper = threading.Thread(target=lambda: (epoch_done.wait(60), control.stop("test stop.")))
    stopper.start()
    result = trainer.run()
    stopper.join()
    assert result.status == "stopped" and 1 <= result.epochs < 200
    stopped = trainer.events[-1]
    assert isinstance(stopped, Stopped) and stopped.message.startswith("test stop.")
    if stopped.partial_epoch:  # stopped mid-epoch (the usual case): that epoch is not kept
        assert stopped.partial_epoch == result.epochs + 1 and 1 <= stopped.step <= stopped.steps == 40
        assert f"Stopped at step {stopped.step} of 40 in epoch {stopped.partial_epoch}" in stopped.message
    rows = (result.run_dir / R.HISTORY).read_text().strip().splitlines()
    assert len(rows) == 1 + result.epochs
    assert len(result.history["loss"]) == result.epochs
    assert json.loads((result.run_dir / R.METRICS).read_text())["status"] == "stopped"
    assert (result.run_dir / R.LAST).is_file()


@pytest.mark.slow
def test_pause_blocks_and_resume_continues(tmp_path):
    """Paused at the first batch of epoch 2, held HOLD_S, resumed: no batch runs meanwhile and
    epoch 2's time leaves the pause out."""
    HOLD_S = 3.0
    control = TrainControl()
    batches: list[tuple[int, int]] = []
    seen: dict[str, float] = {}
    paused = threading.Event()

    def listener(event):
        if isinstance(event, BatchEnd):
            batches.append((event.epoch, event.step))
            if event.epoch == 2 and not paused.is_set():
                control.pause()  # as a UI would, from its own thread; here: right after batch 1
                seen["paused"] = time.perf_counter()
                paused.set()
        elif isinstance(event, EpochEnd):
            seen[f"epoch {event.epoch} ended"] = time.perf_counter()

    trainer = Trainer(reber_experiment(epochs=2, batch_size=16), reber_dataset(), tmp_path, listener, control, batch_interval=0.0)
    out: list = []
    worker = threading.Thread(target=lambda: out.append(trainer.run()))
    worker.start()
    assert paused.wait(120)
    held = len(batches)
    threading.Event().wait(HOLD_S)  # the paused stretch whose time must not count
    assert len(batches) == held and batches[-1] == (2, 1), "no batch runs while paused"
    assert worker.is_alive()
    pause_s = time.perf_counter() - seen["paused"]
    control.resume()
    worker.join(120)
    assert out and out[0].status == "finished" and out[0].epochs == 2
    assert len(batches) == 2 * math.ceil(320 / 16)
    reported = [e.duration_s for e in trainer.events if isinstance(e, EpochEnd)][1]
    # Epoch 2 lies between the two EpochEnd events, pause included; left out, the pause takes
    # HOLD_S off that span (1 s of room for a loaded machine's timing, still well under HOLD_S).
    span = seen["epoch 2 ended"] - seen["epoch 1 ended"]
    assert reported < span - pause_s + 1.0, (reported, span, pause_s)


@pytest.mark.slow
def test_save_load_predict_same_probabilities(tmp_path):
    ds = reber_dataset(test=60)
    exp = reber_experiment(epochs=2)
    trainer = Trainer(exp, ds, tmp_path)
    result = trainer.run()
    in_memory = Predictor(trainer.model, ds.class_names, exp)
    loaded = Predictor.from_run(result.run_dir, which="last")
    texts = ds.test.texts[:20]
    np.testing.assert_allclose(in_memory.probabilities(texts), loaded.probabilities(texts), atol=1e-6)
    one = loaded.predict(texts[0])
    assert one.label in ds.class_names and math.isclose(sum(one.probabilities.values()), 1.0, rel_tol=1e-5)
    assert list(one.probabilities) == ds.class_names and one.latency_ms > 0
    assert one.probabilities["valid"] == pytest.approx(float(in_memory.probabilities([texts[0]])[0, 1]), abs=1e-6)
    for t in texts:  # single predictions with different strings and lengths do not retrace
        loaded.predict(t)
    loaded.predict_many(texts)
    assert loaded.tracing_count == 1
    many = loaded.predict_many(texts)
    assert [p.label for p in many] == [loaded.predict(t).label for t in texts]

    ev = evaluate(result.run_dir, ds)
    assert ev.split == "test" and ev.samples == 60
    assert sum(map(sum, ev.confusion)) == 60
    assert ev.accuracy == pytest.approx(sum(ev.confusion[i][i] for i in range(2)) / 60)
    assert set(ev.per_class) == set(ds.class_names) and all(0 <= c["f1"] <= 1 for c in ev.per_class.values())
    wrong = ev.misclassified
    assert len(wrong) == min(10, 60 - sum(ev.confusion[i][i] for i in range(2)))
    assert all(w.true != w.predicted for w in wrong)
    assert [w.confidence for w in wrong] == sorted((w.confidence for w in wrong), reverse=True)
    assert "confusion" in ev.format()


# ---- bad input ---------------------------------------------------------------------------


def test_one_class_dataset_is_refused_and_nothing_is_written(tmp_path):
    ds = reber_dataset()
    one = Dataset("one", list(reber.CLASS_NAMES), Split(ds.train.texts, np.ones(len(ds.train), np.int64)), ds.validation)
    rec = Recorder()
    with pytest.raises(TrainingError, match="only one class"):
        Trainer(reber_experiment(), one, tmp_path / "runs", rec).run()
    assert isinstance(rec.events[-1], Failed) and "one class" in rec.events[-1].message
    assert not (tmp_path / "runs").exists()


def test_stack_that_does_not_validate_gives_the_validation_message(tmp_path):
    exp = reber_experiment()
    exp.layers = [LayerSpec("Dense", {"units": 1, "activation": "sigmoid"}), LayerSpec("LSTM", {"units": 4})]
    with pytest.raises(LayerError) as info:
        Trainer(exp, reber_dataset(), tmp_path / "runs").run()
    assert "LSTM" in str(info.value) and "Traceback" not in str(info.value)
    assert not (tmp_path / "runs").exists()


def test_unknown_monitor_is_refused(tmp_path):
    exp = reber_experiment()
    exp.fit.monitor = "val_auc"
    with pytest.raises(TrainingError, match="fit.monitor"):
        Trainer(exp, reber_dataset(), tmp_path).run()


@pytest.mark.slow
def test_nan_loss_stops_says_so_and_keeps_the_last_good_model(tmp_path, capsys):
    rec = Recorder()
    ds = reber_dataset()
    trainer = Trainer(reber_experiment(), ds, tmp_path, rec)
    good = trainer.run()
    last = good.run_dir / R.LAST
    before = last.read_bytes()
    head = trainer.model.layers[-1]
    head.kernel.assign(np.full(head.kernel.shape, np.nan, dtype="float32"))  # a crafted NaN model
    with pytest.raises(TrainingError, match="NaN") as info:
        trainer.run(epochs=3)
    assert "epoch 2, step 1" in str(info.value) and "last.keras keeps epoch 1" in str(info.value)
    assert isinstance(rec.events[-1], Failed) and "NaN" in rec.events[-1].message
    assert capsys.readouterr().out == "", "Keras prints nothing to stdout (it would garble --json or the app)"
    assert last.read_bytes() == before, "the last good checkpoint is not overwritten"
    meta = json.loads((good.run_dir / R.METRICS).read_text())
    assert meta["status"] == "failed" and meta["last_good_epoch"] == 1
    probs = Predictor.from_run(good.run_dir, which="last").probabilities(ds.validation.texts[:5])
    assert np.isfinite(probs).all()


def test_missing_incomplete_and_foreign_runs_are_clear_errors(tmp_path):
    import keras

    store = RunStore(tmp_path)
    with pytest.raises(RunError, match="No run 'nope'"):
        store.load("nope")
    half = tmp_path / "20260101-000000-half"
    half.mkdir()
    (half / R.EXPERIMENT).write_text('name = "x"\n')
    with pytest.raises(RunError, match=r"incomplete.*metrics.json.*best.keras or last.keras"):
        store.load(half)
    assert store.list() == []  # not listed as a run either

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    inp = keras.Input(shape=(3,))
    keras.Model(inp, keras.layers.Dense(1)(inp)).save(foreign / R.LAST)
    with pytest.raises(RunError, match="not a kerminal run"):
        store.load(foreign)
    (foreign / R.EXPERIMENT).write_text('name = "x"\n')
    saving.write_json_atomic(foreign / R.METRICS, {"kerminal_run": 1, "class_names": ["a", "b"]})
    with pytest.raises(RunError, match="not a kerminal model"):
        store.load(foreign)
    (foreign / R.LAST).write_bytes(b"not a zip file")
    with pytest.raises(RunError, match="damaged or truncated"):  # not "File not found" (finding 9)
        store.load(foreign)
    with pytest.raises(RunError, match="is a file, not a run folder"):
        store.load(foreign / R.LAST)
    assert (foreign / R.LAST).read_bytes() == b"not a zip file"  # nothing is touched


@pytest.mark.slow
def test_delete_removes_only_runs(tmp_path):
    trainer = Trainer(reber_experiment(), reber_dataset(120), tmp_path)
    run_dir = trainer.run().run_dir
    other = tmp_path / "notes"
    other.mkdir()
    with pytest.raises(RunError):
        RunStore(tmp_path).delete("notes")
    assert other.is_dir()
    RunStore(tmp_path).delete(run_dir.name)
    assert not run_dir.exists() and isinstance(RunError("x"), KerminalError)


@pytest.mark.slow
def test_early_stopping_from_the_experiment_ends_the_run(tmp_path):
    exp = reber_experiment(epochs=10, lr=1e-12)  # weights cannot move: val_loss never improves
    exp.fit.early_stopping.patience = 1
    rec = Recorder()
    result = Trainer(exp, reber_dataset(160), tmp_path, rec).run()
    assert result.status == "finished" and result.early_stopped and result.epochs == 2
    assert isinstance(rec.events[-1], Finished) and "early stopping" in rec.events[-1].message
    assert reader.read_history(result.run_dir)["val_loss"] == pytest.approx(result.history["val_loss"])
    events, offset = reader.read_events(result.run_dir)
    assert [type(e) for e in events if not isinstance(e, BatchEnd)] == [Started, EpochEnd, EpochEnd, Finished]
    more, again = reader.read_events(result.run_dir, offset)  # a watcher polling from where it was
    assert more == [] and again == offset


def three_class_dataset() -> Dataset:
    rng = np.random.default_rng(0)
    groups = [["red", "ruby", "rose"], ["green", "lime", "moss"], ["blue", "navy", "sky"]]
    texts, labels = [], []
    for i in range(240):
        c = i % 3
        words = list(rng.choice(groups[c], 4)) + list(rng.choice(sum(groups, []), 2))
        texts.append(" ".join(rng.permutation(words)))
        labels.append(c)
    y = np.asarray(labels, dtype=np.int64)
    return Dataset("colours", ["red", "green", "blue"], Split(texts[:200], y[:200]), Split(texts[200:], y[200:]))


@pytest.mark.slow
@pytest.mark.parametrize(
    "head, loss",
    [
        ({"units": 3, "activation": "softmax"}, "auto"),  # sparse integer labels
        ({"units": 3, "activation": "softmax"}, "categorical_crossentropy"),  # one-hot labels
        ({"units": 3}, "auto"),  # logits: the Predictor appends the softmax
    ],
)
def test_multiclass_label_encodings_train_and_predict(tmp_path, head, loss):
    ds = three_class_dataset()
    exp = Experiment(
        name="colours",
        vectorize=VectorizeConfig(kind="words", max_tokens=50, length=6),
        layers=[LayerSpec("Embedding", {"output_dim": 8}), LayerSpec("GRU", {"units": 8}), LayerSpec("Dense", head)],
        compile=CompileConfig(optimizer="adam", learning_rate=0.05, loss=loss),
        fit=FitConfig(epochs=3, batch_size=16),
    )
    result = Trainer(exp, ds, tmp_path).run()
    assert result.history["val_accuracy"][-1] > 0.5  # chance is 1/3
    pred = Predictor.from_run(result.run_dir).predict("ruby rose red red")
    assert list(pred.probabilities) == ["red", "green", "blue"]
    assert sum(pred.probabilities.values()) == pytest.approx(1.0, abs=1e-5) and min(pred.probabilities.values()) >= 0


def test_the_probe_predictor_is_traced_in_the_training_thread_after_fit_traced_its_steps(tmp_path, monkeypatch):
    """A SimpleRNN with dropout caches its dropout mask on its cell while it is traced, so a
    probe predictor traced in a side thread during the first epoch (as it once was) raced
    fit's own trace: now and then on a busy machine the run failed in epoch 1 with "... is out
    of scope and cannot be used here" (reproduced 4 times in 8 with a second thread tracing
    the same model during fit). The predictor is built in the training thread, at the end of
    the first epoch, and the probes are scored from epoch 1 all the same."""
    from engine.training import predictor as predictor_module

    built: list[str] = []
    real = predictor_module.Predictor.__init__

    def spy(self, *args, **kwargs):
        built.append(threading.current_thread().name)
        real(self, *args, **kwargs)

    monkeypatch.setattr(predictor_module.Predictor, "__init__", spy)
    rec = Recorder()
    exp = reber_experiment(units=4, cell="SimpleRNN", epochs=2)
    exp.layers[0].params["dropout"] = 0.5
    exp.probes = ["BTSSXXTVVE", "BPTVPSE"]
    here = threading.current_thread().name
    result = Trainer(exp, reber_dataset(200), tmp_path, rec, batch_interval=-1).run()
    assert result.status == "finished"
    assert built == [here]  # once, in the thread that trains
    assert not [e for e in rec.of(EpochEnd) if not e.probes or e.probes[0][0] == "(probes failed)"]
