"""The source registry: `load_raw` dispatches on data.source to the loader that reads it.

Each loader (tables, folders, keras_datasets, and the sample and Reber sources here) hands
back a `Raw` (engine.data.raw); the loaders import raw, never this module, so the registry
and its loaders import in one direction only.
"""

from __future__ import annotations

import difflib
from typing import Callable

import numpy as np
import pandas as pd

from engine.data.raw import MAX_CLASSES, Raw, check_exists, encode_labels, tidy
from engine.data.sample import sample_path
from engine.errors import DataError
from engine.experiment import SOURCES, Experiment
from engine.progress import OnPhase, silent

__all__ = ["MAX_CLASSES", "REBER_DEFAULT_SIZE", "Raw", "check_exists", "encode_labels", "load_raw", "load_sample", "tidy"]

REBER_DEFAULT_SIZE = 2000


def load_sample(exp: Experiment) -> Raw:
    from engine.data.table_read import read_table

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


def _loaders() -> dict[str, Callable[[Experiment, OnPhase], Raw]]:
    """source -> loader(exp, on_phase); the quick ones do not report their progress."""
    from engine.data import folders, keras_datasets, tables

    return {
        "sample": lambda exp, _: load_sample(exp),
        "reber": lambda exp, _: _load_reber(exp, embedded=False),
        "embedded-reber": lambda exp, _: _load_reber(exp, embedded=True),
        "csv": tables.load_csv,
        "per-class": tables.load_per_class,
        "folder": folders.load_folder,
        "keras": lambda exp, _: keras_datasets.load_keras(exp),
    }


def load_raw(exp: Experiment, on_phase: OnPhase = silent) -> Raw:
    """The source's rows as read; `on_phase` hears how far a long read got."""
    source = exp.data.source
    loaders = _loaders()
    if source not in loaders:
        close = difflib.get_close_matches(str(source), SOURCES, n=1)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        raise DataError(f"data.source: unknown source {source!r}.", f"{hint}Use one of {', '.join(SOURCES)}.")
    on_phase(f"reading the {source} data")
    return loaders[source](exp, on_phase)
