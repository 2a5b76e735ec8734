"""A streamed Dataset: each split's texts are a `StreamTexts`, a sequence that reads the
source again for every pass (its length is known from the first pass); the labels, 8 bytes
a row, are in memory. Code that iterates the texts works unchanged; the trainer, the
vectorizer and the chars alphabet take the chunked paths (`chunks`, `tf_dataset`, `alphabet`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from engine.data.stream.rows import Rows, changed_error
from engine.dataset import Dataset, Split
from engine.experiment import VectorizeConfig

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf


class StreamTexts(Sequence[str]):
    """The texts of one split of a streamed source, in order, the first `n` of them."""

    def __init__(self, rows: Rows, split: int, n: int, cap: VectorizeConfig | None = None) -> None:
        self.rows, self.split, self.n, self.cap = rows, split, n, cap

    def capped(self, config: VectorizeConfig) -> StreamTexts:
        """The same texts cut to the vectorizer's character cap (engine/text_cap.py) as they are read."""
        return StreamTexts(self.rows, self.split, self.n, config)

    def chunks(self) -> Iterator[list[str]]:
        """The texts a chunk at a time; DataError when the source gives fewer than before."""
        from engine.text_cap import cap_texts

        left = self.n
        for texts, _labels, codes in self.rows.chunks():
            if left <= 0:
                return
            mine = [t for t, c in zip(texts, codes, strict=True) if c == self.split][:left]
            if not mine:
                continue
            if self.cap is not None:
                mine, _cut = cap_texts(mine, self.cap)
            left -= len(mine)
            yield mine
        if left > 0:
            raise changed_error(self.rows.name)

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[str]:
        for chunk in self.chunks():
            yield from chunk

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        """A text or a slice, read from the start (cheap for the first rows only)."""
        if isinstance(i, slice):
            start, stop, step = i.indices(self.n)
            out: list[str] = []
            if stop <= start:
                return out
            for chunk in self.chunks():
                out += chunk[: stop - len(out)]
                if len(out) >= stop:
                    break
            return out[start:stop:step]
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self[i : i + 1][0]

    def pick(self, rows: list[int]) -> dict[int, str]:
        """The texts of a few rows, in one pass (stops after the last)."""
        wanted, done = set(rows), 0
        out: dict[int, str] = {}
        if not wanted:
            return out
        last = max(wanted)
        for chunk in self.chunks():
            for j, text in enumerate(chunk):
                if done + j in wanted:
                    out[done + j] = text
            done += len(chunk)
            if done > last:
                break
        return out

    def alphabet(self) -> set[str]:
        """Every character of the texts (one pass)."""
        seen: set[str] = set()
        for chunk in self.chunks():
            seen.update(*chunk)
        return seen

    def tf_dataset(self, batch: int, limit: int = 0) -> tf.data.Dataset:
        """The texts (the first `limit`, 0 = all) as a batched tf.data pipeline of strings."""
        import tensorflow as tf

        def gen() -> Iterator[np.ndarray]:
            for chunk in self.chunks():
                yield np.asarray(chunk, dtype=object)

        from engine.data.stream.from_iterator import from_iterator

        ds = from_iterator(lambda: ((c,) for c in gen()), (tf.TensorSpec([None], tf.string),)).unbatch()  # not from_generator: see from_iterator.py
        return (ds.take(limit) if limit else ds).batch(batch)


@dataclass
class StreamedDataset(Dataset):
    """A Dataset whose splits read the source in chunks (see StreamTexts)."""

    @property
    def streamed(self) -> bool:
        return True

    def capped(self, config: VectorizeConfig) -> StreamedDataset:
        def cap(split: Split) -> Split:
            texts: Any = split.texts
            return Split(texts.capped(config), split.labels)

        return replace(self, train=cap(self.train), validation=cap(self.validation), test=cap(self.test))


def is_streamed(ds: Dataset) -> bool:
    return ds.streamed
