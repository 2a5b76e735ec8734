"""The exported script builds the very layers kerminal builds: for every preset, the model
built by exec'ing the script's own model code has the same config, layer by layer (the cuDNN
flag included, which get_config leaves out), and the same parameter count as kerminal's
stack. No training, no data: only the model part of the script runs."""

from __future__ import annotations

from typing import Any

import pytest

from engine.experiment import LayerSpec
from engine.export import _attention_code, _imports, _model_code
from engine.layers import stack_calls, stack_layers, validate
from engine.layers.presets import get_preset, preset_names
from engine.layers.validate import _spec_for

keras = pytest.importorskip("keras")


def _inputs(spec: Any) -> tuple[tuple[int, ...], str]:
    return tuple(spec.shape), "int32" if spec.kind == "words" else "float32"


def _exported_model(exp: Any) -> Any:
    """The keras.Model that the exported script's model section builds."""
    spec = _spec_for(exp)
    report = validate(exp.layers, spec, 2, exp.compile, exp.vectorize.padding)
    assert report.ok, report.errors
    shape, dtype = _inputs(spec)
    code = "\n\n".join([_imports(report), _attention_code(report), _model_code(exp, report, spec, report.loss)])
    code = code.replace("model.summary()", "")  # the summary only prints
    namespace: dict[str, Any] = {"INPUT_SHAPE": shape, "INPUT_DTYPE": dtype}
    exec(compile(code, "<exported model>", "exec"), namespace)  # noqa: S102  (our own script, as a user runs it)
    return namespace["model"]


def _kerminal_model(exp: Any) -> Any:
    spec = _spec_for(exp)
    report = validate(exp.layers, spec, 2, exp.compile, exp.vectorize.padding)
    shape, dtype = _inputs(spec)
    x = inputs = keras.Input(shape=shape, dtype=dtype)
    for layer in stack_layers(report, spec):
        x = layer(x)
    return keras.Model(inputs, x)


def _config(layer: Any) -> dict[str, Any]:
    """get_config plus the cuDNN choice; a wrapped layer's own name is Keras's counter, not ours."""
    config = layer.get_config()
    for key in ("layer", "backward_layer"):
        if isinstance(config.get(key), dict):
            config[key].get("config", {}).pop("name", None)
    config["use_cudnn"] = getattr(layer, "use_cudnn", None)
    if hasattr(layer, "forward_layer"):
        config["use_cudnn"] = (layer.forward_layer.use_cudnn, layer.backward_layer.use_cudnn)
    return config


def _same_models(exp: Any) -> None:
    ours, theirs = _kerminal_model(exp), _exported_model(exp)
    assert [type(layer).__name__ for layer in ours.layers] == [type(layer).__name__ for layer in theirs.layers]
    for a, b in zip(ours.layers[1:], theirs.layers[1:], strict=True):
        assert _config(a) == _config(b), a.name
    assert ours.count_params() == theirs.count_params()


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_exports_the_model_kerminal_builds(name):
    _same_models(get_preset(name))


def test_a_masked_lstm_on_pre_padding_exports_use_cudnn_false():
    exp = get_preset("sample-gru")
    exp.vectorize.padding = "pre"
    exp.layers = [
        LayerSpec("Embedding", {"output_dim": 8, "mask_zero": True}),
        LayerSpec("Bidirectional", {"layer": {"type": "LSTM", "units": 4, "return_sequences": True}}),
        LayerSpec("GRU", {"units": 4}),
        LayerSpec("Dense", {"units": 1, "activation": "sigmoid"}),
    ]
    spec = _spec_for(exp)
    report = validate(exp.layers, spec, 2, exp.compile, exp.vectorize.padding)
    assert [r.cudnn for r in report.rows] == [True, False, False, True]
    codes = [c.code() for c in stack_calls(report, spec)]
    assert "use_cudnn=False" in codes[1] and "use_cudnn=False" in codes[2]
    _same_models(exp)


def test_layer_values_are_literals_in_the_code():
    from engine.layers import layer_call

    call = layer_call("Dense", {"units": 3, "activation": "relu"}, name="x'); import os; ('")
    assert call.code() == "layers.Dense(units=3, activation='relu', name=\"x'); import os; ('\")"
    with pytest.raises(ValueError, match="no Python literal"):
        layer_call("Dropout", {"rate": float("nan")}).code()
