"""build / loss_plan / probability_model on a tiny in-memory Dataset (no data loading)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.dataset import Dataset, Split
from engine.errors import LayerError
from engine.experiment import CompileConfig, Experiment, LayerSpec, VectorizeConfig
from engine.layers import build, loss_plan, probability_model

TEXTS = ["a good film", "a bad film", "great acting and story", "awful plot, bad acting", "i loved it", "i hated it"]


def tiny(num_classes: int = 2) -> Dataset:
    labels = np.arange(len(TEXTS), dtype=np.int64) % num_classes
    names = ["neg", "pos"] if num_classes == 2 else [f"c{i}" for i in range(num_classes)]
    return Dataset("tiny", names, Split(TEXTS, labels))


def exp(layers, loss="auto", **vec) -> Experiment:
    e = Experiment(name="t", vectorize=VectorizeConfig(max_tokens=50, length=8, **vec), layers=layers)
    e.compile = CompileConfig(optimizer="adam", learning_rate=0.01, loss=loss)
    return e


def strings(texts):
    import tensorflow as tf

    return tf.constant(texts)[:, None]


def S(type, **params):
    return LayerSpec(type, params)


def test_invalid_stack_raises_layer_error_not_tf():
    e = exp([S("Embedding", output_dim=4), S("LSTM", units=4), S("Dense", units=16, activation="sigmoid"), S("Activation", activation="softmax")])
    with pytest.raises(LayerError, match=r"layer 3 \(Dense\)"):
        build(e, tiny())
    with pytest.raises(LayerError, match="empty"):
        build(exp([]), tiny())
    with pytest.raises(LayerError, match="unknown layer type 'Lstm'|Did you mean LSTM"):
        build(exp([S("Embedding", output_dim=4), S("Lstm", units=4), S("Dense", units=1, activation="sigmoid")]), tiny())


@pytest.mark.slow
def test_build_logits_model_predicts_probabilities_on_raw_strings():
    e = exp([S("Embedding", output_dim=4, mask_zero=True), S("Bidirectional", layer={"type": "GRU", "units": 3}), S("Dense", units=1)], padding="post")
    ds = tiny()
    model = build(e, ds)
    assert model.input_shape == (None, 1)
    assert loss_plan(e, 2).from_logits and loss_plan(e, 2).labels == "binary"
    prob = probability_model(model, e)
    assert prob is not model
    import tensorflow as tf

    out = prob(tf.constant([["a good film"], ["xyz unknown"]])).numpy()
    assert out.shape == (2, 1) and ((out > 0) & (out < 1)).all()
    history = model.fit(strings(TEXTS), ds.train.labels.astype("float32")[:, None], epochs=1, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}


def test_build_multiclass_softmax_sparse_and_probability_model_is_identity():
    e = exp([S("Embedding", output_dim=4), S("GlobalAveragePooling1D"), S("Dense", units=3, activation="softmax")])
    ds = tiny(3)
    model = build(e, ds)
    plan = loss_plan(e, 3)
    assert (plan.loss, plan.from_logits, plan.labels) == ("sparse_categorical_crossentropy", False, "sparse")
    assert probability_model(model, e) is model
    model.fit(strings(TEXTS), ds.train.labels, epochs=1, verbose=0)


@pytest.mark.slow
def test_named_categorical_loss_wants_onehot_labels():
    e = exp([S("Embedding", output_dim=4), S("SimpleRNN", units=3), S("Dense", units=2, activation="relu"), S("Activation", activation="softmax")], loss="categorical_crossentropy")
    plan = loss_plan(e, 2)
    assert (plan.loss, plan.labels, plan.from_logits) == ("categorical_crossentropy", "onehot", False)
    model = build(e, tiny())
    onehot = np.eye(2, dtype="float32")[tiny().train.labels]
    model.fit(strings(TEXTS), onehot, epochs=1, verbose=0)


def test_chars_vectorizer_stack():
    ds = Dataset("reber", ["bad", "good"], Split(["BTSXSE", "BPVVE", "BTXXTVPSE", "BPTVPXVPSE"], np.array([0, 1, 1, 0])), symbols=True)
    e = exp([S("SimpleRNN", units=4), S("Dense", units=1, activation="sigmoid")])
    e.vectorize = VectorizeConfig(kind="chars", length=12, alphabet="BTSXPVE")
    model = build(e, ds)
    assert model.count_params() == 53
    assert model.output_shape == (None, 1)


def test_loss_plan_raises_on_invalid():
    with pytest.raises(LayerError):
        loss_plan(exp([S("Embedding", output_dim=4), S("LSTM", units=4, return_sequences=True)]), 2)
