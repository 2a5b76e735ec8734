"""The two table sources: `csv` reads one table with a text column and a label column
(guessed when not named): string labels become class names in sorted order, numeric labels
keep their order. `per-class` reads one table per class (data.files, class name -> file) and
keeps one text column of each; class ids follow the order of data.files in the experiment
file. How a file is read is table_read.py; how its columns are found, table_columns.py.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.raw import Raw, encode_labels
from engine.data.table_columns import column, column_name, guess_label_column, isspace, label_candidate, label_values, no_labels, numeric_text_note, pick_columns, text_column
from engine.data.table_format import TableFormat, TableRead, record
from engine.data.table_read import read_table_format
from engine.errors import DataError
from engine.experiment import Experiment
from engine.progress import OnPhase, silent


def unknown_labels(exp: Experiment, class_names: list[str]) -> DataError | None:
    """For a file evaluated against a run: a DataError naming the labels of its label column
    (data.label, else the guessed or the meant one) that are not among `class_names`, or None
    when there are none (or the column cannot be told)."""
    d = exp.data
    path = exp.resolve(d.path)
    try:
        frame, _notes, _how = _read(exp, path, d.label)
        label_col = column(path, frame, d.label, "data.label") if d.label else None
        text_col, _picked = text_column(path, frame, d.text, [], exclude=(label_col,) if label_col is not None else ())
    except DataError:
        return None
    if label_col is None:
        label_col = guess_label_column(frame, exclude=(text_col,))[0] or label_candidate(frame, text_col)
    if label_col is None:
        return None
    known = {str(c) for c in class_names}
    foreign = sorted(set(label_values(frame[label_col])) - known)
    if not foreign:
        return None
    listed = ", ".join(map(repr, foreign[:10])) + (", ..." if len(foreign) > 10 else "")
    return DataError(
        f"{path.name}: labels {listed} in {column_name(label_col)} are not classes of this run ({', '.join(map(str, class_names))}).",
        "Evaluate on a file labelled with the run's classes (or name the label column with --label).",
    )


def _read(exp: Experiment, path: Path, label: str | int = "") -> tuple[pd.DataFrame, list[str], TableFormat]:
    d = exp.data
    return read_table_format(path, d.format, d.header, d.quotes, d.text, label)


def load_csv(exp: Experiment, on_phase: OnPhase = silent) -> Raw:
    d = exp.data
    if not d.path:
        raise DataError('data.path is empty: the csv source needs a table file.', 'Set data.path = "reviews.csv" (CSV, TSV, JSON lines or Parquet).')
    path = exp.resolve(d.path)
    on_phase(f"parsing {path.name}")  # one pandas call: its rows are counted once it returns
    frame, notes, how = _read(exp, path, d.label)
    on_phase(f"parsed {len(frame):,} rows of {path.name}")
    text_col, label_col = pick_columns(path, frame, d.text, d.label, notes)
    labels = frame[label_col]
    missing = (labels.isna() | isspace(labels)).to_numpy()
    texts = frame[text_col]
    if missing.all():
        raise no_labels(path.name, label_col, len(labels))
    if missing.any():
        notes.append(f"{path.name}: dropped {int(missing.sum())} rows with no label in {column_name(label_col)}")
        labels, texts = labels[~missing], texts[~missing]
    warning = numeric_text_note(path.name, texts, text_col)
    if warning:
        notes.append(warning)
    ids, class_names = encode_labels(labels, f"{path.name} {column_name(label_col)}")
    read = TableRead(str(path), how, _recorded(text_col), _recorded(label_col))
    return Raw(name=path.name, texts=texts.reset_index(drop=True), labels=ids, class_names=class_names, notes=notes, read_as=record("csv", [read]))


def _recorded(col: Hashable) -> str | int:
    """A column as the run's record keeps it: its position when the file has no header, else its name."""
    return col if isinstance(col, int) else str(col)


def load_per_class(exp: Experiment, on_phase: OnPhase = silent) -> Raw:
    d = exp.data
    if len(d.files) < 2:
        have = ", ".join(d.files) or "none"
        raise DataError(
            f"data.files names {len(d.files)} class file(s) ({have}); a classifier needs at least 2 classes.",
            'Map each class to its file: files = { fake = "Fake.csv", true = "True.csv" }.',
        )
    class_names = list(d.files)
    texts, labels, notes, reads = [], [], [], []
    for i, (cls, rel) in enumerate(d.files.items()):
        path = exp.data_file(rel)
        on_phase(f"parsing {path.name} (file {i + 1}/{len(d.files)})")
        frame, file_notes, how = _read(exp, path)
        notes += file_notes
        col, picked = text_column(path, frame, d.text, notes)
        if picked:
            notes.append(f"{path.name}: picked {picked}; set data.text to choose another")
        warning = numeric_text_note(path.name, frame[col], col)
        if warning:
            notes.append(warning)
        texts.append(frame[col])
        labels.append(np.full(len(frame), i, dtype=np.int64))
        reads.append(TableRead(str(path), how, _recorded(col), class_name=cls))
    name = "+".join(Path(f).name for f in d.files.values())
    return Raw(name=name, texts=pd.concat(texts, ignore_index=True), labels=np.concatenate(labels), class_names=class_names, notes=notes, read_as=record("per-class", reads))
