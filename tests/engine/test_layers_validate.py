"""TF-free validation: every rule of issue 3 names the layer and the fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.experiment import CompileConfig, Experiment, LayerSpec, VectorizeConfig
from engine.layers import format_table, validate, validate_experiment
from engine.vectorize import InputSpec, input_spec

ROOT = Path(__file__).resolve().parents[2]
WORDS = input_spec(VectorizeConfig(max_tokens=1000, length=50))
CHARS = InputSpec("chars", 12, features=7)


def S(type, **params):
    return LayerSpec(type, params)


def head(n=1, act="sigmoid"):
    return S("Dense", units=n, activation=act)


def errors_of(report, index):
    return report.rows[index - 1].errors


def warnings_of(report, index):
    return report.rows[index - 1].warnings


def test_empty_stack_is_an_error():
    r = validate([], WORDS)
    assert not r.ok and "empty" in r.errors[0]


def test_unknown_layer_type_lists_close_names():
    r = validate([S("Embedding", output_dim=8), S("LTSM", units=4), head()], WORDS)
    assert r.errors[0].startswith("layer 2 (LTSM): unknown layer type 'LTSM'") and "LSTM" in r.errors[0]
    assert "Did you mean GRU or Dense" not in validate([S("gru")], WORDS).errors[0]
    assert "GRU" in validate([S("gru")], WORDS).errors[0]


def test_wrong_typed_and_out_of_range_params_name_layer_param_and_fix():
    r = validate(
        [
            S("Embedding", output_dim="big"),
            S("LSTM", units=0, dropout=1.0),
            S("Dropout", rate=-0.1),
            S("Dense", units=2.5, activation="sigmod"),
            S("GRU", unit=3),
        ],
        WORDS,
    )
    e = r.errors
    assert "layer 1 (Embedding): Embedding.output_dim must be an integer" in e[0]
    assert "layer 2 (LSTM): LSTM.units = 0 is out of range. Use a value in [1, 100000]." == e[1]
    assert "layer 2 (LSTM): LSTM.dropout = 1.0 is out of range. Use a value in [0, 1)." == e[2]
    assert "Dropout.rate = -0.1 is out of range" in e[3]
    assert "Dense.units must be a whole number" in e[4]
    assert "unknown activation 'sigmod'. Did you mean 'sigmoid'?" in e[5]
    assert "GRU has no parameter 'unit'. Did you mean 'units'?" in e[6]


def test_recurrent_fed_by_non_sequence_recurrent_says_return_sequences_on_that_layer():
    r = validate([S("Embedding", output_dim=8), S("LSTM", units=4), S("GRU", units=4), head()], WORDS)
    assert errors_of(r, 3) and "set return_sequences=true on layer 2" in errors_of(r, 3)[0]
    # counts go on after the error: GRU on 4 features
    assert r.rows[2].params == 3 * (4 * 4 + 4 * 4 + 4) + 12


def test_three_d_output_at_the_end_is_an_error_with_fixes():
    r = validate([S("Embedding", output_dim=8), S("LSTM", units=4, return_sequences=True), head()], WORDS)
    msg = errors_of(r, 3)[0]
    assert "ends in a sequence (None, 50, 1)" in msg and "GlobalAveragePooling1D" in msg and "Flatten" in msg
    assert "return_sequences=false on layer 2" in msg


def test_two_d_reaching_a_sequence_layer():
    r = validate([S("Embedding", output_dim=8), S("GlobalMaxPooling1D"), S("Conv1D", filters=4, kernel_size=3), head()], WORDS)
    assert "layer 2 (GlobalMaxPooling1D) already reduced it" in errors_of(r, 3)[0]
    r = validate([S("LSTM", units=4), head()], WORDS)
    assert "put an Embedding before it" in errors_of(r, 1)[0]
    r = validate([S("Embedding", output_dim=4), S("LSTM", units=4), head()], CHARS)
    assert "chars vectorizer already gives one-hot vectors" in errors_of(r, 1)[0]


def test_seed000_lstm_as_printed_is_rejected_naming_the_dense_layer():
    layers = [S("Embedding", output_dim=20), S("LSTM", units=10, dropout=0.5), S("Dense", units=16, activation="sigmoid"), S("Activation", activation="softmax")]
    r = validate(layers, input_spec(VectorizeConfig(max_tokens=4000, length=400)), 2, CompileConfig(loss="categorical_crossentropy"))
    assert not r.ok
    assert r.errors[0].startswith("layer 3 (Dense): outputs 16 units") and "(None, 16)" in r.errors[0] and "units=2" in r.errors[0]


@pytest.mark.parametrize(
    ("n", "units", "act", "ok", "loss", "labels", "logits"),
    [
        (2, 1, "sigmoid", True, "binary_crossentropy", "binary", False),
        (2, 2, "softmax", True, "sparse_categorical_crossentropy", "sparse", False),
        (2, 1, "linear", True, "binary_crossentropy", "binary", True),
        (2, 2, "linear", True, "sparse_categorical_crossentropy", "sparse", True),
        (4, 4, "softmax", True, "sparse_categorical_crossentropy", "sparse", False),
        (4, 4, "linear", True, "sparse_categorical_crossentropy", "sparse", True),
        (2, 1, "softmax", False, "", "", False),
        (2, 2, "sigmoid", False, "", "", False),
        (2, 3, "softmax", False, "", "", False),
        (4, 3, "softmax", False, "", "", False),
        (4, 4, "sigmoid", False, "", "", False),
        (2, 1, "relu", False, "", "", False),
    ],
)
def test_head_against_the_task(n, units, act, ok, loss, labels, logits):
    r = validate([S("Embedding", output_dim=8), S("GRU", units=4), head(units, act)], WORDS, num_classes=n)
    assert r.ok is ok, r.errors
    if ok:
        assert (r.loss.loss, r.loss.labels, r.loss.from_logits) == (loss, labels, logits)
    else:
        assert r.errors[0].startswith("layer 3 (Dense)")


def test_named_losses_against_the_head():
    layers = [S("Embedding", output_dim=8), S("GRU", units=4), head(2, "softmax")]
    assert validate(layers, WORDS, 2, CompileConfig(loss="categorical_crossentropy")).loss.labels == "onehot"
    bad = validate(layers, WORDS, 2, CompileConfig(loss="binary_crossentropy"))
    assert "binary_crossentropy needs 1 output unit" in bad.errors[0]
    typo = validate(layers, WORDS, 2, CompileConfig(loss="binary_crossentropie"))
    assert "Did you mean 'binary_crossentropy'" in typo.errors[0]
    assert "unknown metric 'acuracy'" in validate(layers, WORDS, 2, CompileConfig(metrics=["acuracy"])).errors[0]
    logits = [S("Embedding", output_dim=8), S("GRU", units=4), head(1, "linear")]
    assert "needs probabilities" in validate(logits, WORDS, 2, CompileConfig(metrics=["precision"])).errors[0]


def test_head_missing():
    r = validate([S("Embedding", output_dim=8), S("GRU", units=4)], WORDS)
    assert "not a classifier head" in r.errors[0] and 'Dense(units=1, activation="sigmoid")' in r.errors[0]


def test_embedding_vocab_smaller_than_vectorizer_is_an_error():
    r = validate([S("Embedding", output_dim=8, input_dim=500), S("GRU", units=4), head()], WORDS)
    assert "input_dim=500 is smaller than the vectorizer's vocabulary (1000 ids)" in r.errors[0]
    assert validate([S("Embedding", output_dim=8, input_dim=1001), S("GRU", units=4), head()], WORDS).ok


def test_mask_zero_into_a_layer_without_mask_support_warns_once():
    r = validate([S("Embedding", output_dim=8, mask_zero=True), S("Conv1D", filters=4, kernel_size=3), S("GlobalMaxPooling1D"), head()], WORDS)
    assert r.ok and "mask of mask_zero on layer 1 stops here" in warnings_of(r, 2)[0]
    assert warnings_of(r, 3) == []
    masked_ok = validate([S("Embedding", output_dim=8, mask_zero=True), S("Dropout", rate=0.1), S("GRU", units=4, return_sequences=True), S("GlobalAveragePooling1D"), S("Flatten"), head()], WORDS, padding="post")
    assert masked_ok.ok and masked_ok.warnings == []


def test_cudnn_warnings():
    r = validate(
        [
            S("Embedding", output_dim=8),
            S("LSTM", units=4, recurrent_dropout=0.2, return_sequences=True),
            S("GRU", units=4, activation="relu", return_sequences=True),
            S("Bidirectional", layer={"type": "GRU", "units": 4, "reset_after": False}),
            head(),
        ],
        WORDS,
    )
    assert r.ok
    assert "recurrent_dropout=0.2 loses the fast cuDNN kernel" in warnings_of(r, 2)[0]
    assert "activation='relu' loses the fast cuDNN kernel" in warnings_of(r, 3)[0]
    assert "reset_after=false" in warnings_of(r, 4)[0]
    assert validate([S("Embedding", output_dim=8), S("SimpleRNN", units=4, recurrent_dropout=0.2), head()], WORDS).warnings == []


def test_mask_on_pre_padded_input_warns_and_turns_cudnn_off():
    layers = [S("Embedding", output_dim=8, mask_zero=True), S("LSTM", units=4), head()]
    r = validate(layers, WORDS, padding="pre")
    assert 'vectorize.padding = "post"' in warnings_of(r, 2)[0] and r.rows[1].cudnn is False
    assert validate(layers, WORDS, padding="post").rows[1].cudnn is True


def test_conv_and_pool_longer_than_the_sequence():
    short = input_spec(VectorizeConfig(max_tokens=100, length=4))
    r = validate([S("Embedding", output_dim=8), S("Conv1D", filters=4, kernel_size=5), S("GlobalMaxPooling1D"), head()], short)
    assert "kernel spans 5 steps but the sequence has only 4" in r.errors[0]
    r = validate([S("Embedding", output_dim=8), S("MaxPooling1D", pool_size=8), S("Flatten"), head()], short)
    assert "pool_size=8 is longer than the sequence" in r.errors[0]


def test_validate_accepts_an_experiment_and_reports_dict_and_table():
    exp = Experiment(vectorize=VectorizeConfig(max_tokens=1000, length=50), layers=[S("Embedding", output_dim=8), S("GRU", units=4), head()])
    r = validate(exp)
    assert r.ok and r.total == validate_experiment(exp).total == 1000 * 8 + 3 * (8 * 4 + 16 + 4) + 12 + 5
    d = r.to_dict()
    assert d["rows"][0]["output_shape"] == [None, 50, 8] and d["total"] == r.total and d["ok"] is True
    table = format_table(r)
    assert "GRU(units=4)" in table and "(None, 4)" in table and f"Total params: {r.total:,}" in table


def test_thirty_layer_stack_validates():
    # Its speed is measured in bench/bench_validate.py, not asserted here.
    layers = [S("Embedding", output_dim=32)] + [S("LSTM", units=32, return_sequences=True) for _ in range(27)] + [S("GlobalAveragePooling1D"), head()]
    r = validate(layers, WORDS)
    assert r.ok and len(r.rows) == 30
    assert r.rows[-2].output_shape == (None, 32) and r.total == sum(row.params for row in r.rows)


def test_a_new_layer_type_is_one_registry_entry(monkeypatch):
    # Its declaration (params, summary, shape rule, mask and head roles) is all validate reads.
    from engine.layers import LayerInfo, ParamInfo, shapes
    from engine.layers.registry import LAYERS

    info = LayerInfo("Scale", "multiplies by a constant", (ParamInfo("factor", "float", 1.0, min=0.0, max=10.0, help="the constant", shown=True),), supports_masking=False, head="keeps", shape=shapes.elementwise)
    monkeypatch.setitem(LAYERS, "Scale", info)
    r = validate([S("Embedding", output_dim=8, mask_zero=True), S("Scale", factor=2.0), S("Flatten"), head()], WORDS)
    assert r.ok, r.errors
    assert r.rows[1].summary == "factor=2.0" and r.rows[1].output_shape == (None, 50, 8) and r.rows[1].params == 0
    assert "does not support masks" in warnings_of(r, 2)[0]
    assert "factor must be a number" in validate([S("Scale", factor="x")], WORDS).errors[0]
    assert "the stack ends with Scale, not a classifier head" in validate([S("Embedding"), S("Flatten"), head(), S("Scale")], WORDS).errors[0]


def test_validation_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "from engine.layers import validate, validate_experiment, format_table, check_param, loss_plan\n"
        "from engine.layers.presets import list_presets, get_preset\n"
        "infos = list_presets()\n"
        "print(format_table(validate_experiment(get_preset('seed003-simplernn'))).count('Total params: 322,113'), loss_plan(get_preset('seed002-bilstm')).from_logits)\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split("\n")[:2] == ["1 True", "False False"]
