"""Every parameter count and output shape of `validate` equals Keras's own, layer by layer.

Many layer types and settings share a few models so that the whole file builds quickly.
"""

from __future__ import annotations

import math

import pytest

from engine.experiment import LayerSpec, VectorizeConfig
from engine.layers import shapes, validate
from engine.layers.build import stack_layers
from engine.layers.registry import LAYERS
from engine.vectorize import InputSpec, input_spec


def S(type, **params):
    return LayerSpec(type, params)


WORDS = input_spec(VectorizeConfig(max_tokens=100, length=24))
CHARS = InputSpec("chars", 12, features=7)
NGRAMS = input_spec(VectorizeConfig(kind="ngrams", max_tokens=300, ngrams=2))

STACKS = {
    "recurrent-and-conv": (
        WORDS,
        [
            S("Embedding", output_dim=8, input_dim=120),
            S("SimpleRNN", units=5, activation="relu", dropout=0.1, return_sequences=True),
            S("LSTM", units=6, activation="sigmoid", recurrent_dropout=0.2, return_sequences=True),
            S("GRU", units=7, return_sequences=True),
            S("GRU", units=4, reset_after=False, return_sequences=True),
            S("Bidirectional", layer={"type": "LSTM", "units": 3, "return_sequences": True}),
            S("Bidirectional", layer={"type": "GRU", "units": 3, "return_sequences": True, "reset_after": False}, merge_mode="sum"),
            S("Bidirectional", layer={"type": "SimpleRNN", "units": 2, "return_sequences": True}, merge_mode="mul"),
            S("Bidirectional", layer={"type": "LSTM", "units": 5, "return_sequences": True}, merge_mode="ave"),
            S("Conv1D", filters=5, kernel_size=3),
            S("Conv1D", filters=4, kernel_size=2, strides=2, padding="same", activation="tanh"),
            S("Conv1D", filters=3, kernel_size=3, padding="causal", dilation_rate=2),
            S("SpatialDropout1D", rate=0.3),
            S("LayerNormalization"),
            S("BatchNormalization", momentum=0.9),
            S("Dense", units=6, activation="tanh"),
            S("MaxPooling1D", pool_size=2),
            S("MaxPooling1D", pool_size=3, strides=1, padding="same"),
            S("Dropout", rate=0.2),
            S("Activation", activation="relu"),
            S("Flatten"),
            S("Dense", units=1, activation="sigmoid"),
        ],
    ),
    "masked-pooling": (
        WORDS,
        [
            S("Embedding", output_dim=4, mask_zero=True),
            S("LSTM", units=3, return_sequences=True),
            S("GRU", units=5, return_sequences=True),
            S("GlobalAveragePooling1D"),
            S("BatchNormalization"),
            S("LayerNormalization", epsilon=1e-5),
            S("Dense", units=9, activation="gelu"),
            S("Dense", units=3, activation="softmax"),
        ],
    ),
    "final-states": (
        WORDS,
        [
            S("Embedding", output_dim=6),
            S("Bidirectional", layer={"type": "GRU", "units": 4}),
            S("Dense", units=2, activation="relu"),
            S("Activation", activation="softmax"),
        ],
    ),
    "chars": (
        CHARS,
        [
            S("Conv1D", filters=8, kernel_size=3, padding="same"),
            S("MaxPooling1D", pool_size=2, strides=3),
            S("SimpleRNN", units=4, return_sequences=True),
            S("GlobalMaxPooling1D"),
            S("Dense", units=1),
        ],
    ),
    "chars-lstm-gru": (CHARS, [S("LSTM", units=9, return_sequences=True), S("GRU", units=2), S("Dense", units=1, activation="sigmoid")]),
    "attention": (
        WORDS,
        [
            S("TokenAndPositionEmbedding", output_dim=12),
            S("TransformerEncoder", num_heads=3, intermediate_dim=20),
            S("TransformerEncoder", num_heads=5, key_dim=7, intermediate_dim=9, activation="gelu", dropout=0.0),
            S("GlobalAveragePooling1D"),
            S("Dense", units=1, activation="sigmoid"),
        ],
    ),
    "attention-unmasked": (
        WORDS,
        [
            S("TokenAndPositionEmbedding", output_dim=8, input_dim=150, mask_zero=False),
            S("TransformerEncoder", num_heads=1, intermediate_dim=4),
            S("Flatten"),
            S("Dense", units=2, activation="softmax"),
        ],
    ),
    "ngrams": (NGRAMS, [S("Dense", units=8, activation="relu"), S("Dropout", rate=0.5), S("Dense", units=1, activation="sigmoid")]),
    "reber": (CHARS, [S("SimpleRNN", units=4), S("Dense", units=1, activation="sigmoid")]),
}


def keras_rows(spec, report):
    import keras

    x = inputs = keras.Input(shape=spec.shape, dtype="int32" if spec.kind == "words" else "float32")
    layers = stack_layers(report, spec)
    for layer in layers:
        x = layer(x)
    keras.Model(inputs, x)
    out = []
    for layer in layers:
        nt = sum(math.prod(w.shape) for w in layer.non_trainable_weights)
        out.append((tuple(layer.output.shape), layer.count_params(), layer.count_params() - nt, nt))
    return out


@pytest.mark.parametrize("name", list(STACKS))
def test_counts_and_shapes_equal_keras(name):
    spec, layers = STACKS[name]
    report = validate(layers, spec, num_classes=3 if name == "masked-pooling" else 2)
    assert report.ok, report.errors
    ours = [(r.output_shape, r.params, r.trainable, r.non_trainable) for r in report.rows]
    assert ours == keras_rows(spec, report)


def test_every_layer_type_is_covered_by_a_count_test():
    seen = {layer.type for _, layers in STACKS.values() for layer in layers}
    seen |= {layer.params["layer"]["type"] for _, layers in STACKS.values() for layer in layers if layer.type == "Bidirectional"}
    assert seen == set(LAYERS)


def alone(type):
    """A small model around one layer of `type` at its defaults: vectors in, one vector out."""
    if LAYERS[type].shape in (shapes.embedding, shapes.positional_embedding):  # takes the word ids (and may mask)
        return [S(type), S("GlobalAveragePooling1D"), S("Dense", units=1, activation="sigmoid")]
    return [S("Embedding", output_dim=8), S(type), S("Flatten"), S("Dense", units=1, activation="sigmoid")]


@pytest.mark.parametrize("type", list(LAYERS))
def test_every_registered_type_has_a_shape_rule_that_counts_its_defaults_as_keras(type):
    assert callable(LAYERS[type].shape)
    report = validate(alone(type), WORDS)
    assert report.ok, report.errors
    assert [(r.output_shape, r.params, r.trainable, r.non_trainable) for r in report.rows] == keras_rows(WORDS, report)


def test_reber_model_is_48_plus_5():
    report = validate(STACKS["reber"][1], CHARS)
    assert [r.params for r in report.rows] == [48, 5] and report.total == 53
