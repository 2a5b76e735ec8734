"""A source's rows in order, cleaned, with the split each one falls in.

The split is decided per row by a stable hash of its position among the kept rows and the
seed (splitmix64): the same rows every time, nothing shuffled in memory. It holds the
declared fractions over many rows, not per class (the in-memory split is stratified).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.data.clean import clean_texts
from engine.errors import DataError

TRAIN, VALIDATION, TEST = 0, 1, 2
_MASK = (1 << 64) - 1


def split_codes(positions: np.ndarray, seed: int, validation: float, test: float) -> np.ndarray:
    """TRAIN, VALIDATION or TEST for each row position: a uniform number from the hash of
    (position, seed), below `test` is test, below `test + validation` validation."""
    with np.errstate(over="ignore"):
        x = positions.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64((int(seed) * 0xBF58476D1CE4E5B9 + 0x632BE59BD9B4E019) & _MASK)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    u = (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return np.where(u < test, TEST, np.where(u < test + validation, VALIDATION, TRAIN)).astype(np.int8)


@dataclass
class Part:
    """One run of rows (a table file, a folder's train/ or test/): its chunks of (texts,
    labels), and how a row position picks its split."""

    chunks: Callable[[], Iterator[tuple[pd.Series, Any]]]
    splits: Callable[[np.ndarray], np.ndarray]


def hashed(seed: int, validation: float, test: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda pos: split_codes(pos, seed, validation, test)


def all_in(split: int) -> Callable[[np.ndarray], np.ndarray]:
    return lambda pos: np.full(len(pos), split, dtype=np.int8)


@dataclass
class Rows:
    """The source's kept rows: missing and blank texts dropped (after data.clean), counted."""

    name: str
    parts: list[Part]
    clean: list[str]
    watched: list[Path] = field(default_factory=list)  # files that must not change between passes
    missing: int = 0
    blank: int = 0
    _snapshot: list[tuple[int, int]] | None = None

    def chunks(self) -> Iterator[tuple[list[str], Any, np.ndarray]]:
        """(texts, labels, split codes) of each chunk, in order. DataError when a watched file
        changed since the first pass (its size or modification time)."""
        self._check()
        self.missing = self.blank = 0
        for part in self.parts:
            pos = 0
            for texts, labels in part.chunks():
                missing = texts.isna().to_numpy()
                if missing.any():
                    self.missing += int(missing.sum())
                    texts, labels = texts[~missing], labels[~missing]
                texts = texts.astype(str)
                if self.clean:
                    texts = clean_texts(texts, self.clean)
                blank = texts.str.strip().eq("").to_numpy()
                if blank.any():
                    self.blank += int(blank.sum())
                    texts, labels = texts[~blank], labels[~blank]
                k = len(texts)
                if not k:
                    continue
                yield texts.tolist(), labels, part.splits(np.arange(pos, pos + k, dtype=np.int64))
                pos += k
        self._check()

    def tidy_note(self) -> str:
        if not (self.missing or self.blank):
            return ""
        return f"{self.name}: dropped {self.missing} rows with missing text and {self.blank} with empty text"

    def _check(self) -> None:
        now = [_stamp(p) for p in self.watched]
        if self._snapshot is None:
            self._snapshot = now
        elif now != self._snapshot:
            changed = [p.name for p, a, b in zip(self.watched, now, self._snapshot, strict=True) if a != b]
            raise changed_error(", ".join(changed))


def changed_error(name: str) -> DataError:
    return DataError(
        f"{name} changed while it was read (its size or modification time is not what the first pass found): the rows counted then are not the rows read now.",
        "Train on a file that nothing writes to (copy it first), then start again.",
    )


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)
