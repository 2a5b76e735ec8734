"""Validating a 30-layer stack: kerminal's pure-Python `validate` against Keras itself.

kerminal: `engine.layers.validate` (shapes, parameter counts, errors, warnings; no
TensorFlow). Baseline: what one would otherwise do to learn the same numbers: build the
same 30 layers as a Keras model on the same input and call `count_params()` on each layer.
Both give the same counts (tests/engine/test_layers_counts.py proves it layer by layer).

A second row times the first answer in a fresh Python process: importing engine.layers and
validating, against importing Keras (TensorFlow) and building the model.

    python -m bench.bench_validate [--quick]
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench import common  # noqa: E402


def stack() -> list:
    """30 layers: Embedding, convolution, pooling, 4 blocks of recurrent layers of each kind with
    dropout, normalization and Dense, then batch normalization, pooling and the head."""
    from engine.experiment import LayerSpec as S

    block = [
        S("LSTM", {"units": 32, "return_sequences": True}),
        S("Dropout", {"rate": 0.1}),
        S("GRU", {"units": 32, "return_sequences": True}),
        S("LayerNormalization", {}),
        S("Bidirectional", {"layer": {"type": "SimpleRNN", "units": 16, "return_sequences": True}}),
        S("Dense", {"units": 32, "activation": "relu"}),
    ]
    layers = [
        S("Embedding", {"output_dim": 32, "mask_zero": False}),
        S("Conv1D", {"filters": 32, "kernel_size": 3, "padding": "same"}),
        S("MaxPooling1D", {"pool_size": 2}),
        *block * 4,
        S("BatchNormalization", {}),
        S("GlobalAveragePooling1D", {}),
        S("Dense", {"units": 1, "activation": "sigmoid"}),
    ]
    assert len(layers) == 30, len(layers)
    return layers


SPEC_ARGS = dict(max_tokens=10000, length=200)

FRESH_KERMINAL = (
    "from engine.experiment import VectorizeConfig\n"
    "from engine.layers import validate\n"
    "from engine.vectorize import input_spec\n"
    "from bench.bench_validate import stack, SPEC_ARGS\n"
    "r = validate(stack(), input_spec(VectorizeConfig(**SPEC_ARGS)))\n"
    "assert r.ok, r.errors\n"
    "import sys; assert 'tensorflow' not in sys.modules\n"
)
FRESH_KERAS = (
    "from bench.bench_validate import keras_counts\n"
    "keras_counts()\n"
)


def keras_counts() -> list[int]:
    """Build the stack in Keras on the same input and count each layer's parameters."""
    import keras

    from engine.experiment import VectorizeConfig
    from engine.layers import validate
    from engine.layers.build import stack_layers
    from engine.vectorize import input_spec

    spec = input_spec(VectorizeConfig(**SPEC_ARGS))
    report = validate(stack(), spec)
    x = inputs = keras.Input(shape=spec.shape, dtype="int32")
    layers = stack_layers(report, spec)
    for layer in layers:
        x = layer(x)
    keras.Model(inputs, x)
    return [layer.count_params() for layer in layers]


def _fresh(code: str, repeat: int) -> list[float]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}

    def call() -> None:
        subprocess.run([sys.executable, "-c", code], cwd=common.ROOT, env=env, check=True, capture_output=True)

    return common.time_calls(call, repeat, warmup=0)


def run(quick: bool) -> list[dict[str, Any]]:
    from engine.experiment import VectorizeConfig
    from engine.layers import validate
    from engine.vectorize import input_spec

    layers = stack()
    spec = input_spec(VectorizeConfig(**SPEC_ARGS))
    report = validate(layers, spec)
    ours = common.time_calls(lambda: validate(layers, spec), 50 if quick else 500, warmup=5)
    theirs = common.time_calls(keras_counts, 2 if quick else 7, warmup=1)
    same = [r.params for r in report.rows] == keras_counts()
    k_ms, b_ms = common.median(ours) * 1000, common.median(theirs) * 1000
    rows = [
        common.row(
            "validate a 30-layer stack",
            "ms",
            k_ms,
            b_ms,
            "kerminal < 10 ms",
            f"median of {len(ours)} validate() calls vs {len(theirs)} Keras builds + count_params(); same counts: {same}; {b_ms / k_ms:.0f}x faster",
        )
    ]
    n = 1 if quick else 3
    fresh_k = _fresh(FRESH_KERMINAL, n)
    fresh_b = _fresh(FRESH_KERAS, n)
    rows.append(
        common.row(
            "first validation in a fresh process",
            "s",
            common.median(fresh_k),
            common.median(fresh_b),
            "",
            f"python -c: import engine.layers + validate vs import keras + build + count_params (median of {n}); TensorFlow never imported by the first",
        )
    )
    return rows


if __name__ == "__main__":
    raise SystemExit(common.main_for(run))
