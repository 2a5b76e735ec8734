"""The layer registry: typed, defaulted, ranged params with help; check_param for the edit form."""

from __future__ import annotations

import inspect

import pytest

from engine.errors import LayerError
from engine.layers import LAYERS, check_param, layer_info, layer_types
from engine.layers.registry import ACTIVATIONS, resolve

EXPECTED = {
    "Embedding", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "Conv1D", "MaxPooling1D", "GlobalMaxPooling1D",
    "GlobalAveragePooling1D", "Dense", "Dropout", "SpatialDropout1D", "Activation", "LayerNormalization",
    "BatchNormalization", "Flatten", "TokenAndPositionEmbedding", "TransformerEncoder",  # the last two: issue 13
}


def test_registry_has_every_layer_of_the_issue_with_documented_params():
    assert set(layer_types()) == EXPECTED
    for name in layer_types():
        info = layer_info(name)
        assert info.help
        for p in info.params:
            assert p.help and p.kind in ("int", "float", "bool", "choice", "activation", "layer")
            assert check_param(name, p.name, p.default) is None, (name, p.name)
            if p.kind in ("int", "float"):
                assert p.min is not None and p.range_text()
            if p.kind in ("choice", "activation"):
                assert p.default in p.choices
    assert [p.name for p in layer_info("GRU").params] == ["units", "activation", "dropout", "recurrent_dropout", "return_sequences", "reset_after"]


def test_param_names_are_keras_argument_names_and_activations_exist():
    import keras

    from engine import keras_layers

    for name, info in LAYERS.items():
        cls = getattr(keras.layers, name, None) or getattr(keras_layers, name)  # kerminal's attention layers
        args = inspect.signature(cls.__init__).parameters
        for p in info.params:
            assert p.name in args, (name, p.name)
    for a in ACTIVATIONS:
        assert callable(keras.activations.get(a)), a


def test_unknown_layer_info_raises_with_close_names():
    with pytest.raises(LayerError, match="Did you mean LSTM"):
        layer_info("LSMT")


@pytest.mark.parametrize(
    ("type", "name", "value", "expect"),
    [
        ("LSTM", "units", 32, None),
        ("LSTM", "units", 0, "out of range"),
        ("LSTM", "units", "32", "must be an integer"),
        ("LSTM", "units", 3.0, "write 3"),
        ("Dropout", "rate", float("nan"), "not a number"),
        ("LSTM", "units", True, "must be an integer"),
        ("Dropout", "rate", 0.0, None),
        ("Dropout", "rate", 1, "[0, 1)"),
        ("Dense", "activation", "softmax", None),
        ("Dense", "activation", "Softmax", "Did you mean 'softmax'"),
        ("Embedding", "mask_zero", "yes", "true or false"),
        ("Embedding", "input_dim", 0, None),
        ("Conv1D", "padding", "full", "unknown choice"),
        ("GlobalMaxPooling1D", "units", 3, "takes no parameters"),
        ("Dense", "unit", 3, "Did you mean 'units'"),
        ("Dens", "units", 3, "Did you mean Dense"),
        ("Bidirectional", "layer", {"type": "GRU", "units": 8}, None),
        ("Bidirectional", "layer", {"type": "Dense", "units": 8}, "only SimpleRNN, LSTM, GRU"),
        ("Bidirectional", "layer", {"type": "GRU", "units": -1}, "Bidirectional.layer: GRU.units = -1 is out of range"),
        ("Bidirectional", "layer", "LSTM", "must be a table"),
        ("Bidirectional", "merge_mode", "avg", "Did you mean 'ave'"),
    ],
)
def test_check_param(type, name, value, expect):
    msg = check_param(type, name, value)
    if expect is None:
        assert msg is None
    else:
        assert msg is not None and expect in msg


def test_resolve_fills_defaults_and_keeps_going_past_bad_values():
    p, errors = resolve("Bidirectional", {"layer": {"type": "GRU", "units": 0, "return_sequences": True}})
    assert p == {
        "layer": {"type": "GRU", "units": 64, "activation": "tanh", "dropout": 0.0, "recurrent_dropout": 0.0, "return_sequences": True, "reset_after": True},
        "merge_mode": "concat",
    }
    assert len(errors) == 1 and "units = 0" in errors[0]
