"""Vectorize once: the numeric stack trains the string model's own weights, saved string-in."""

from __future__ import annotations

import numpy as np
import pytest

from engine.dataset import Dataset, Split
from engine.experiment import CompileConfig, Experiment, FitConfig, LayerSpec, VectorizeConfig
from engine.training import numeric


def _dataset(n: int = 160) -> Dataset:
    rng = np.random.default_rng(0)
    good, bad = ["great", "fine", "loved"], ["awful", "dull", "hated"]
    texts, labels = [], []
    for i in range(n):
        y = i % 2
        words = list(rng.choice(good if y else bad, size=3)) + [f"w{int(k)}" for k in rng.integers(0, 40, size=int(rng.integers(2, 12)))]
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(y)
    y = np.asarray(labels, dtype=np.int64)
    cut = int(n * 0.75)
    return Dataset("tiny", ["neg", "pos"], Split(texts[:cut], y[:cut]), Split(texts[cut:], y[cut:]))


def _experiment(recurrent: str = "GRU", **fit) -> Experiment:
    return Experiment(
        name="numeric",
        vectorize=VectorizeConfig(kind="words", max_tokens=100, length=12, padding="post", truncation="post"),
        layers=[LayerSpec("Embedding", {"output_dim": 8, "mask_zero": True}), LayerSpec(recurrent, {"units": 8}), LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})],
        compile=CompileConfig(optimizer="adam", learning_rate=0.01, loss="binary_crossentropy", metrics=["accuracy"]),
        fit=FitConfig(epochs=2, batch_size=16, seed=3, **fit),
    )


def test_the_stack_predicts_what_the_string_model_predicts():
    import tensorflow as tf

    from engine import layers

    ds = _dataset()
    model = layers.build(_experiment(), ds)
    parts = numeric.split_model(model)
    assert parts is not None
    ids = numeric.vectorize(parts, ds.validation.texts, batch_size=7)  # chunks of uneven size
    assert ids.dtype == np.int32 and ids.shape == (len(ds.validation), 12)
    want = model(tf.constant(np.asarray(ds.validation.texts, dtype=object).reshape(-1, 1)), training=False)
    np.testing.assert_allclose(parts.stack(ids, training=False), want, rtol=1e-5, atol=1e-6)


def test_a_model_that_is_not_a_kerminal_chain_is_not_split():
    import keras

    inputs = keras.Input(shape=(3,))
    assert numeric.split_model(keras.Model(inputs, keras.layers.Dense(1)(inputs))) is None


@pytest.mark.slow
def test_training_the_stack_trains_the_saved_string_model(tmp_path):
    from engine.training import Predictor, RunStore, Trainer

    ds = _dataset()
    trainer = Trainer(_experiment(), ds, tmp_path, listener=lambda e: None)
    result = trainer.run()
    assert "vectorized once" in trainer.pipeline
    assert result.history["accuracy"][-1] > 0.6  # it learned, so the shared weights moved
    run = RunStore(tmp_path).load(result.run_dir, which="last")
    assert "string" in str(run.model.inputs[0].dtype)  # saved string-in, vectorizer inside
    predictor = Predictor.from_run(run)
    live = Predictor(trainer.model, ds.class_names, trainer.exp)
    texts = list(ds.validation.texts[:5])
    np.testing.assert_allclose(predictor.probabilities(texts), live.probabilities(texts), rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_a_continued_run_keeps_the_optimizer_state(tmp_path):
    from engine.training import Trainer

    ds = _dataset()
    first = Trainer(_experiment(), ds, tmp_path, listener=lambda e: None).run(epochs=1)
    steps = -(-len(ds.train) // 16)
    again = Trainer.from_run(first.run_dir, ds, listener=lambda e: None)
    again.run(epochs=1)
    assert int(again.model.optimizer.iterations.numpy()) == 2 * steps  # not restarted at 0
    assert again.epochs_done == 2


@pytest.mark.slow
def test_a_corpus_too_large_to_cache_trains_on_strings_and_says_why(tmp_path, monkeypatch):
    from engine.runs import events
    from engine.training import Trainer

    monkeypatch.setattr(numeric, "free_memory_bytes", lambda: 1000)  # 1 kB free: nothing fits
    started = []
    trainer = Trainer(_experiment(), _dataset(), tmp_path, listener=lambda e: started.append(e) if isinstance(e, events.Started) else None)
    trainer.run(epochs=1)
    assert "tokenized in every batch" in started[0].pipeline and "free memory" in started[0].pipeline
    assert trainer._fit_model is trainer.model  # the string model trained itself
    assert numeric.fits_in_memory(10, 10, free=1000) and not numeric.fits_in_memory(1000, 100, free=1000)


@pytest.mark.parametrize("setting, rows, expected", [("on", 10, True), ("off", 10**7, False), ("auto", 10, False), ("auto", 10**6, True)])
def test_xla_choice(setting, rows, expected, monkeypatch):
    monkeypatch.setattr(numeric, "gpu_present", lambda: False)
    assert numeric.use_xla(setting, rows, 100, 3) is expected
    monkeypatch.setattr(numeric, "gpu_present", lambda: True)
    if setting == "auto":
        assert numeric.use_xla(setting, rows, 100, 3) == "auto"  # Keras's own choice on a GPU


@pytest.mark.slow
def test_xla_on_trains_and_says_so(tmp_path):
    from engine.runs import events
    from engine.training import Trainer

    started = []
    trainer = Trainer(_experiment(xla="on"), _dataset(), tmp_path, listener=lambda e: started.append(e) if isinstance(e, events.Started) else None)
    result = trainer.run(epochs=1)
    assert result.status == "finished" and "XLA on" in started[0].pipeline


@pytest.mark.slow
def test_a_stack_xla_cannot_compile_falls_back_to_plain_graphs_once(tmp_path):
    from engine.training import Trainer

    trainer = Trainer(_experiment(xla="on"), _dataset(), tmp_path, listener=lambda e: None)
    trainer._prepare()
    stack = trainer._fit_model
    real_fit, calls = stack.fit, []

    def fit(*args, **kwargs):  # as XLA refusing an op: fails before the first step
        calls.append(stack.jit_compile)
        if stack.jit_compile is True:
            raise RuntimeError("XLA compilation failed: unsupported op")
        return real_fit(*args, **kwargs)

    stack.fit = fit
    result = trainer.run(epochs=1)
    assert calls == [True, False] and result.status == "finished" and result.epochs == 1
