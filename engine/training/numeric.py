"""Vectorize once: train the numeric part of a string-input model on integer ids.

A kerminal model takes raw strings: `vectorize` (TextVectorization) and `fix_length` come
first, then the stack. Feeding strings to `fit` would tokenize every training and validation
text again in every epoch (string ops that also cannot run on a GPU). Instead the model is
split into its vectorizer and its numeric stack, which share their layer objects with the
saved string model: the texts go through the vectorizer once, into int32 arrays, and `fit`
trains the stack on those. Training the stack trains the string model's own weights, so
best.keras / last.keras stay string-in and load and predict as before.

A model that cannot be split (not a functional chain that starts with kerminal's vectorizer
layers) trains on strings as before; `split_model` returns None for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from engine.memory import format_bytes, free_memory_bytes  # noqa: F401  (numeric's names too)

if TYPE_CHECKING:  # pragma: no cover
    import keras

# The layers engine.vectorize.make_vectorizer puts first (one_hot stays in the numeric part:
# caching ids costs 4 bytes a step where a one-hot step costs 4 bytes a symbol).
VECTORIZER_LAYERS = ("vectorize", "fix_length")
# Keep the cached ids below this share of the memory that is free when training starts.
MEMORY_SHARE = 0.5


@dataclass
class NumericModel:
    """The string model's two halves: texts -> ids, and ids -> outputs (shared weights)."""

    vectorizer: keras.Model  # (batch, 1) strings -> (batch, length) ids
    stack: keras.Model  # ids -> the string model's outputs, the same layer objects
    length: int
    _fn: Any = None  # the vectorizer as one traced tf.function, shared by every vectorize()


def split_model(model: keras.Model) -> NumericModel | None:
    """The vectorizer and the numeric stack of a kerminal string model, or None when the
    model is not a chain that starts with kerminal's vectorizer layers."""
    import keras

    inputs = getattr(model, "inputs", None) or []
    if len(inputs) != 1 or len(getattr(model, "outputs", None) or []) != 1 or "string" not in str(inputs[0].dtype):
        return None
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    names = tuple(layer.name for layer in layers[: len(VECTORIZER_LAYERS)])
    if names != VECTORIZER_LAYERS or len(layers) <= len(VECTORIZER_LAYERS):
        return None
    # A chain: every layer after the vectorizer reads the output of the one before it.
    chain = layers[len(VECTORIZER_LAYERS) :]
    try:
        previous = layers[len(VECTORIZER_LAYERS) - 1]
        for layer in chain:
            # After a masking Embedding a layer's input is [x, mask]: x must be the chain's.
            if keras.tree.flatten(layer.input)[0] is not previous.output:
                return None
            previous = layer
        if chain[-1].output is not model.outputs[0]:
            return None
    except (AttributeError, ValueError):  # a layer used twice has no single input/output
        return None
    ids = layers[len(VECTORIZER_LAYERS) - 1].output
    vectorizer = keras.Model(inputs[0], ids, name="vectorizer")
    length = int(ids.shape[-1])
    x = start = keras.Input(shape=(length,), dtype="int32", name="ids")
    for layer in chain:
        x = layer(x)
    return NumericModel(vectorizer, keras.Model(start, x, name="stack"), length)


def vectorize(parts: NumericModel, texts: Sequence[str], batch_size: int = 512, tick: Callable[[int], None] | None = None, start: int = 0) -> np.ndarray:
    """Every text through the vectorizer once: an (n, length) int32 array. In chunks of 512:
    a chunk is padded to its longest text before it is cut to `length`, and 2,048 IMDB-sized
    reviews at a time peaked 140 MB higher for the same speed. `tick` is told how many texts
    are done after each chunk (`start` of them before these: a progress.Counter)."""
    import tensorflow as tf

    if parts._fn is None:  # traced once: the training and the validation texts share it
        parts._fn = tf.function(lambda t: parts.vectorizer(t, training=False), input_signature=[tf.TensorSpec([None, 1], tf.string)])
    fn = parts._fn
    out = np.zeros((len(texts), parts.length), dtype=np.int32)
    for i in range(0, len(texts), batch_size):
        chunk = np.asarray(list(texts[i : i + batch_size]), dtype=object).reshape(-1, 1)
        out[i : i + len(chunk)] = fn(tf.constant(chunk, dtype=tf.string)).numpy()
        if tick is not None:
            tick(start + i + len(chunk))
    return out


def cache_bytes(rows: int, length: int) -> int:
    """What the cached ids of `rows` texts take in memory."""
    return int(rows) * int(length) * 4


def fits_in_memory(rows: int, length: int, free: int | None = None) -> bool:
    """Whether caching the ids of `rows` texts leaves room (at most MEMORY_SHARE of free)."""
    free = free_memory_bytes() if free is None else free
    return free is None or cache_bytes(rows, length) <= MEMORY_SHARE * free


# XLA compiles the training step into one fused program. Measured on the 2-core CPU machine
# (Embedding(10000, 32) -> SimpleRNN/LSTM(32), length 100, batch 32): an epoch runs 2.3-4x
# faster, but compiling costs 3-12 s once per model and call of fit. Keras turns XLA off on
# machines without a GPU; kerminal turns it on there when a call trains enough token steps
# (rows x length x epochs) for the compile to pay back, and leaves Keras's choice on a GPU.
XLA_MIN_TOKEN_STEPS = 3_000_000


def gpu_present() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def use_xla(setting: str, rows: int, length: int, epochs: int) -> bool | str:
    """The `jit_compile` argument for `compile`: True, False, or "auto" (Keras decides)."""
    if setting == "on":
        return True
    if setting == "off":
        return False
    if gpu_present():
        return "auto"
    return int(rows) * int(length) * int(epochs) >= XLA_MIN_TOKEN_STEPS
