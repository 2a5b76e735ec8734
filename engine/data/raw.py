"""What every source loader hands back before cleaning and splitting, and the helpers loaders share.

A source loader reads its files into a `Raw`: texts (a pandas Series, possibly with missing
values), integer labels, class names, and its own test split when it has one. `tidy` drops
rows with missing or empty text, counting them. The loaders (tables, folders,
keras_datasets) import this module; the registry that picks one (sources) imports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import DataError

MAX_CLASSES = 1000


@dataclass
class Raw:
    name: str
    texts: pd.Series
    labels: np.ndarray
    class_names: list[str]
    test: tuple[pd.Series, np.ndarray] | None = None  # the source's own test split
    symbols: bool = False
    notes: list[str] = field(default_factory=list)
    read_as: dict[str, Any] = field(default_factory=dict)  # how its tables were read (table_format.record)


def check_exists(path: Path, what: str) -> None:
    if not path.exists():
        raise DataError(
            f"No {what} at {path}.",
            "Check data.path (or data.files); relative paths are relative to the experiment file's folder.",
        )


def encode_labels(labels: pd.Series, where: str, rows: int | None = None) -> tuple[np.ndarray, list[str]]:
    """Integer ids and class names: numbers keep their order, strings are sorted by name.
    `rows`: how many rows the labels stand for (a streamed source passes its distinct values)."""
    values = labels
    if pd.api.types.is_bool_dtype(values):
        values = values.astype(np.int64)
    elif pd.api.types.is_float_dtype(values) and np.all(np.mod(values.to_numpy(), 1) == 0):
        values = values.astype(np.int64)
    elif not pd.api.types.is_numeric_dtype(values):
        values = values.astype(str).str.strip()
        distinct = pd.Series(values.unique())
        numbers = pd.to_numeric(distinct, errors="coerce")
        if len(numbers) and numbers.notna().all():  # numbers read as text keep their order (2 < 10)
            values = pd.to_numeric(values)
            if np.all(np.mod(values.to_numpy(), 1) == 0):
                values = values.astype(np.int64)
    codes, uniques = pd.factorize(values, sort=True)
    class_names = [str(u) for u in uniques]
    if not class_names:
        raise DataError(f"{where} is empty: it has no labels.", "Point data.label at the column that holds the classes.")
    if len(class_names) < 2:
        only = class_names[0] if class_names else "none"
        raise DataError(
            f"{where} has only one class ({only!r}); a classifier needs at least two.",
            "Point data.label at the column that holds the classes, or add rows of the other classes.",
        )
    rows = len(codes) if rows is None else rows
    if len(class_names) > MAX_CLASSES or (len(class_names) > 50 and len(class_names) > rows // 2):
        raise DataError(
            f"{where} has {len(class_names)} distinct values in {rows} rows: that looks like text or ids, not classes.",
            "Point data.label at the column that holds the classes (a few distinct values).",
        )
    return codes.astype(np.int64), class_names


def tidy(texts: pd.Series, labels: np.ndarray, where: str, notes: list[str], clean: list[str] | tuple[str, ...] = ()) -> tuple[pd.Series, np.ndarray]:
    """Drop rows whose text is missing, clean the rest (data.clean), drop blank ones; count both."""
    from engine.data.clean import clean_texts

    missing = texts.isna().to_numpy()
    if missing.any():
        texts = texts[~missing]
        labels = labels[~missing]
    if not isinstance(texts.dtype, pd.StringDtype):
        texts = texts.astype(str)
    if clean:
        texts = clean_texts(texts, clean)
    blank = texts.str.strip().eq("").to_numpy()
    if blank.any():
        texts = texts[~blank]
        labels = labels[~blank]
    if missing.any() or blank.any():
        notes.append(f"{where}: dropped {int(missing.sum())} rows with missing text and {int(blank.sum())} with empty text")
    return texts.reset_index(drop=True), labels
