"""What every source hands back before cleaning and splitting, and the source registry.

A source loader reads its files into a `Raw`: texts (a pandas Series, possibly with missing
values), integer labels, class names, and its own test split when it has one. `load_raw`
dispatches on data.source; `tidy` drops rows with missing or empty text, counting them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from engine.data import sample_path
from engine.errors import DataError
from engine.experiment import SOURCES, Experiment

REBER_DEFAULT_SIZE = 2000
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


def check_exists(path: Path, what: str) -> None:
    if not path.exists():
        raise DataError(
            f"No {what} at {path}.",
            "Check data.path (or data.files); relative paths are relative to the experiment file's folder.",
        )


def encode_labels(labels: pd.Series, where: str) -> tuple[np.ndarray, list[str]]:
    """Integer ids and class names: numbers keep their order, strings are sorted by name."""
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
    if len(class_names) > MAX_CLASSES or (len(class_names) > 50 and len(class_names) > len(codes) // 2):
        raise DataError(
            f"{where} has {len(class_names)} distinct values in {len(codes)} rows: that looks like text or ids, not classes.",
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


def load_sample(exp: Experiment) -> Raw:
    from engine.data.tables import read_table

    frame, notes = read_table(sample_path())
    ids, names = encode_labels(frame["label"], "sample.csv")
    return Raw(name="sample", texts=frame["text"], labels=ids, class_names=names, notes=notes)


def _load_reber(exp: Experiment, embedded: bool) -> Raw:
    from engine.data import reber

    n = exp.data.size or REBER_DEFAULT_SIZE
    if n < 4:
        raise DataError(f"data.size = {n} is too small to make a dataset.", "Use data.size = 2000 or more (0 means 2000).")
    strings, labels = reber.generate(n, embedded=embedded, seed=exp.data.split.seed)
    name = "embedded-reber" if embedded else "reber"
    note = f"{name}: generated {n} strings (half valid, half with one symbol corrupted) with seed {exp.data.split.seed}"
    return Raw(name=name, texts=pd.Series(strings, dtype=object), labels=np.asarray(labels, dtype=np.int64), class_names=list(reber.CLASS_NAMES), symbols=True, notes=[note])


def _loaders() -> dict[str, Callable[[Experiment], Raw]]:
    from engine.data import folders, keras_datasets, tables

    return {
        "sample": load_sample,
        "reber": lambda exp: _load_reber(exp, embedded=False),
        "embedded-reber": lambda exp: _load_reber(exp, embedded=True),
        "csv": tables.load_csv,
        "per-class": tables.load_per_class,
        "folder": folders.load_folder,
        "keras": keras_datasets.load_keras,
    }


def load_raw(exp: Experiment) -> Raw:
    source = exp.data.source
    loaders = _loaders()
    if source not in loaders:
        close = difflib.get_close_matches(str(source), SOURCES, n=1)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        raise DataError(f"data.source: unknown source {source!r}.", f"{hint}Use one of {', '.join(SOURCES)}.")
    return loaders[source](exp)
