"""The two small Keras layers kerminal adds (Keras has no layer that does either), and the
words vectorizer's standardization.

They are registered serializable, so a saved model reloads in safe mode once this module
is imported (engine.training imports it before loading).
"""

from __future__ import annotations

import keras
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
