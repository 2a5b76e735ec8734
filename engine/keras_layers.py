"""The small Keras layers kerminal adds, and the words vectorizer's standardization:
FixLength and OneHot (the vectorizers' steps Keras lacks), ToVector (the ngrams vectorizer's
(batch, 1, n) counts as (batch, n) floats), NBScale (an nb bag's log-count ratios),
TokenAndPositionEmbedding and TransformerEncoder (attention, on top of Keras's
MultiHeadAttention, LayerNormalization, Dense and Embedding).

They are registered serializable, so a saved model reloads in safe mode once this module
is imported (engine.training imports it before loading).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

# Keras's own "lower_and_strip_punctuation" pattern (TextVectorization._preprocess).
_PUNCTUATION = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
# Control characters and the line/paragraph separators: Keras saves the vocabulary one token
# per line and reads it back with str.splitlines(), which also breaks at \x0b \x0c \x1c-\x1e
# \x85 \u2028 \u2029 and \r, so a token holding one of them makes the saved model unloadable.
_SEPARATORS = r"[\x{0}-\x{1f}\x{7f}-\x{9f}\x{2028}\x{2029}]"


@keras.saving.register_keras_serializable(package="kerminal")
def standardize_text(texts):
    """Keras's default standardization (ASCII lowercase, punctuation stripped), with every
    control character and line separator turned into a space, so that no token contains one."""
    texts = tf.strings.lower(texts)
    texts = tf.strings.regex_replace(texts, _PUNCTUATION, "")
    return tf.strings.regex_replace(texts, _SEPARATORS, " ")


@keras.saving.register_keras_serializable(package="kerminal")
class FixLength(keras.layers.Layer):
    """Pads or truncates post-padded id rows to `length`, at the front or at the back.

    TextVectorization pads and truncates only at the back; the tutorials' tokenizer did
    both at the front, which changes what a recurrent layer sees last.
    """

    def __init__(self, length: int, padding: str = "pre", truncation: str = "pre", **kwargs):
        super().__init__(**kwargs)
        self.length = int(length)
        self.padding = padding
        self.truncation = truncation

    def call(self, ids):
        ids = tf.convert_to_tensor(ids)
        if ids.shape.rank == 3:  # (batch, 1, steps) from a (batch, 1) string input
            ids = tf.squeeze(ids, axis=1)
        ids = tf.cast(ids, "int64")
        n = tf.reduce_sum(tf.cast(ids != 0, "int32"), axis=1)  # id 0 is only ever padding
        if self.truncation == "pre":  # keep the last `length` tokens
            ids = _right_align(ids, n)
            ids = ids[:, tf.maximum(tf.shape(ids)[1] - self.length, 0) :]
            n = tf.minimum(n, self.length)
            ids = _left_align(ids, n)
        else:  # keep the first `length` tokens
            ids = ids[:, : self.length]
            n = tf.minimum(n, self.length)
        ids = tf.pad(ids, [[0, 0], [0, self.length - tf.shape(ids)[1]]])
        if self.padding == "pre":
            ids = _right_align(ids, n)
        return tf.reshape(ids, [-1, self.length])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.length)

    def get_config(self):
        return {**super().get_config(), "length": self.length, "padding": self.padding, "truncation": self.truncation}


def _right_align(ids, n):
    """Move each row's first n ids to the end of the row, keeping their order."""
    return tf.reverse(tf.reverse_sequence(ids, n, seq_axis=1, batch_axis=0), axis=[1])


def _left_align(ids, n):
    """Move each row's last n ids to the front of the row, keeping their order."""
    return tf.reverse_sequence(tf.reverse(ids, axis=[1]), n, seq_axis=1, batch_axis=0)


@keras.saving.register_keras_serializable(package="kerminal")
class OneHot(keras.layers.Layer):
    """One-hot over `depth` symbols whose ids start at `offset`; padding and unknown
    symbols (ids below `offset`) become all-zero steps."""

    def __init__(self, depth: int, offset: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.depth = int(depth)
        self.offset = int(offset)

    def call(self, ids):
        return tf.one_hot(tf.cast(ids, "int64") - self.offset, self.depth, dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.depth)

    def get_config(self):
        return {**super().get_config(), "depth": self.depth, "offset": self.offset}


@keras.saving.register_keras_serializable(package="kerminal")
class ToVector(keras.layers.Layer):
    """The ngrams vectorizer's output of a (batch, 1) string input, (batch, 1, width) counts or
    weights, as (batch, width) floats for the Dense layers that follow."""

    def __init__(self, width: int, **kwargs):
        super().__init__(**kwargs)
        self.width = int(width)

    def call(self, x):
        return tf.reshape(tf.cast(x, self.compute_dtype), [-1, self.width])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.width)

    def get_config(self):
        return {**super().get_config(), "width": self.width}


@keras.saving.register_keras_serializable(package="kerminal")
class NBScale(keras.layers.Layer):
    """The nb bag's last step: (batch, width) multi-hot floats times each column's naive-Bayes
    log-count ratio (engine.vectorize.nb_ratios). The ratios are fitted, not trained, and
    kept as TextVectorization keeps its IDF weights: saved with the model's variables
    (save_own_variables), not a Keras weight, so count_params() stays the stack's count, as
    for the other modes."""

    def __init__(self, width: int, ratio=None, **kwargs):
        super().__init__(**kwargs)
        self.width = int(width)
        self.ratio = np.zeros(self.width, np.float32) if ratio is None else np.asarray(ratio, np.float32).reshape(self.width)

    def call(self, x):
        return x * tf.constant(self.ratio, dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "width": self.width}

    def save_own_variables(self, store):
        store["ratio"] = self.ratio

    def load_own_variables(self, store):
        self.ratio = np.asarray(store["ratio"], np.float32).reshape(self.width)


@keras.saving.register_keras_serializable(package="kerminal")
class TokenAndPositionEmbedding(keras.layers.Layer):
    """Word ids -> a word vector plus a learned vector for the position: (batch, steps) ->
    (batch, steps, output_dim), as keras.io's Transformer text classifier (and KerasHub's
    layer of this name) do. The number of positions is the input's steps, known at build.
    With mask_zero, id 0 (padding) is masked for the layers that follow."""

    def __init__(self, input_dim: int, output_dim: int, mask_zero: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.token_embedding = keras.layers.Embedding(self.input_dim, self.output_dim, mask_zero=self.mask_zero, name="token_embedding")
        self.positions = 0

    def build(self, input_shape):
        self.positions = int(input_shape[-1])
        self.token_embedding.build(input_shape)
        self.position_embedding = self.add_weight(shape=(self.positions, self.output_dim), initializer="uniform", name="position_embedding")
        self.built = True

    def call(self, ids):
        ids = tf.cast(ids, "int32")
        return self.token_embedding(ids) + tf.cast(self.position_embedding, self.compute_dtype)[tf.newaxis, : tf.shape(ids)[-1]]

    def compute_mask(self, ids, mask=None):
        return keras.ops.not_equal(ids, 0) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim, "mask_zero": self.mask_zero}


@keras.saving.register_keras_serializable(package="kerminal")
class TransformerEncoder(keras.layers.Layer):
    """One Transformer encoder block, post-norm as in "Attention is all you need" and KerasHub's
    TransformerEncoder: x = LayerNorm(x + Dropout(MultiHeadAttention(x, x))), then
    LayerNorm(x + Dropout(Dense(width)(Dense(intermediate_dim, activation)(x)))).
    (batch, steps, width) -> the same shape. A padding mask from the layer before keeps the
    attention off padded steps and passes on to the next layer (average pooling skips them)."""

    def __init__(self, num_heads: int, intermediate_dim: int, key_dim: int = 0, dropout: float = 0.1, activation: str = "relu", **kwargs):
        super().__init__(**kwargs)
        self.num_heads = int(num_heads)
        self.intermediate_dim = int(intermediate_dim)
        self.key_dim = int(key_dim)
        self.dropout = float(dropout)
        self.activation = activation
        self.supports_masking = True

    def build(self, input_shape):
        width = int(input_shape[-1])
        key_dim = self.key_dim or width // self.num_heads
        self.attention = keras.layers.MultiHeadAttention(self.num_heads, key_dim, dropout=self.dropout, name="attention")
        self.attention.build(input_shape, input_shape)
        self.attention_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="attention_norm")
        self.attention_norm.build(input_shape)
        self.intermediate = keras.layers.Dense(self.intermediate_dim, activation=self.activation, name="intermediate")
        self.intermediate.build(input_shape)
        self.output_dense = keras.layers.Dense(width, name="output_dense")
        self.output_dense.build((*input_shape[:-1], self.intermediate_dim))
        self.output_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="output_norm")
        self.output_norm.build(input_shape)
        self.attention_dropout = keras.layers.Dropout(self.dropout)
        self.output_dropout = keras.layers.Dropout(self.dropout)
        self.built = True

    def call(self, x, mask=None, training=None):
        attended = self.attention(x, x, query_mask=mask, value_mask=mask, training=training)
        x = self.attention_norm(x + self.attention_dropout(attended, training=training))
        y = self.output_dense(self.intermediate(x))
        return self.output_norm(x + self.output_dropout(y, training=training))

    def compute_mask(self, x, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(), "num_heads": self.num_heads, "intermediate_dim": self.intermediate_dim,
            "key_dim": self.key_dim, "dropout": self.dropout, "activation": self.activation,
        }
