"""The Dataset every source loads into: texts (or grammar strings), integer labels, splits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Split:
    """One split: parallel texts and integer labels (0..num_classes-1)."""

    texts: list[str]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)


def empty_split() -> Split:
    return Split([], np.zeros(0, dtype=np.int64))


@dataclass
class Dataset:
    """A loaded dataset.

    `symbols` is true for grammar strings (Reber), which are read one character at a time.
    `notes` says what loading decided or dropped ("picked column 'title' as text",
    "dropped 3 rows with empty text"), for the user to read.
    """

    name: str
    class_names: list[str]
    train: Split
    validation: Split = field(default_factory=empty_split)
    test: Split = field(default_factory=empty_split)
    symbols: bool = False
    notes: list[str] = field(default_factory=list)
    # How the source's tables were read (engine.data.table_format.record; {} for sources
    # without tables): the run folder keeps it, so an export reads the data the same way.
    read_as: dict[str, Any] = field(default_factory=dict)
    # Which path the data took and why ("in memory: r.csv is 65.0 MB on disk", "streaming
    # big.csv: ..."; engine.data.stream.choose), for the run's log; "" when not decided.
    why: str = ""

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def task(self) -> str:
        """'binary' for two classes, 'multiclass' for more."""
        return "binary" if self.num_classes == 2 else "multiclass"

    @property
    def streamed(self) -> bool:
        """Whether the texts are read from the source on every pass (engine.data.stream)."""
        return False

    def splits(self) -> dict[str, Split]:
        return {"train": self.train, "validation": self.validation, "test": self.test}
