"""tf.data pipelines fed by Python iterators, without tf.data.Dataset.from_generator.

Once a process has iterated a from_generator dataset, every later training step costs more
CPU: seed 003's SimpleRNN on 1x IMDB's ids took 8.3 CPU-s an epoch instead of 5.6, and about
6,000 instead of 8,900 samples/s, even when fit then got numpy arrays (TF 2.21, 2 cores,
2026-12-06). A numpy_function in a map does not do that, so each element here is next() of
the current pass's iterator, called by one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf

UNBOUNDED = 1 << 62


def from_iterator(start: Callable[[], Iterator[Any]], spec: tuple[tf.TensorSpec, ...], most: int = UNBOUNDED) -> tf.data.Dataset:
    """A dataset of the items of `start()` (a tuple of arrays each, as `spec` says); every
    iteration of the dataset calls `start()` once, for a pass of at most `most` items."""
    import tensorflow as tf

    state: dict[str, Iterator[Any]] = {}
    empty = tuple(np.zeros([0 if d is None else d for d in s.shape], dtype=s.dtype.as_numpy_dtype) for s in spec)

    def step(i: np.int64) -> tuple[Any, ...]:
        if i == 0:  # a new pass (the elements are made one at a time, in order)
            state["it"] = iter(start())
        item = next(state["it"], None)
        if item is None:
            return (np.bool_(False), *empty)
        return (np.bool_(True), *(np.asarray(a, dtype=s.dtype.as_numpy_dtype) for a, s in zip(item, spec, strict=True)))

    def call(i: tf.Tensor) -> tuple[tf.Tensor, ...]:
        out = tf.numpy_function(step, [i], [tf.bool, *(s.dtype for s in spec)], stateful=True)
        out[0].set_shape([])
        for t, s in zip(out[1:], spec, strict=True):
            t.set_shape(s.shape)
        return tuple(out)

    ds = tf.data.Dataset.range(most).map(call).take_while(lambda more, *_: more)
    return ds.map(lambda _more, *items: items if len(items) > 1 else items[0])
