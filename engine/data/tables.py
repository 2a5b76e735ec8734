"""Table files through pandas: CSV, TSV, JSON lines (or one JSON array) and Parquet, by extension.

`csv` reads one table with a text column and a label column (guessed when not named):
string labels become class names in sorted order, numeric labels keep their order.
`per-class` reads one table per class (data.files, class name -> file) and keeps one text
column of each; class ids follow the order of data.files in the experiment file.
Invalid UTF-8 is replaced with U+FFFD and counted in the notes.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.sources import Raw, check_exists, encode_labels
from engine.errors import DataError
from engine.experiment import Experiment

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
MAX_LABEL_VALUES = 50  # a guessed label column has at most this many distinct values


def _undecodable(path: Path) -> int:
    """How many characters of the file are not UTF-8 (each becomes U+FFFD when read)."""
    data = path.read_bytes()
    text = data.decode("utf-8", errors="replace")
    return text.count("\ufffd") - data.count("\ufffd".encode())


def _read(path: Path, kind: str, errors: str) -> pd.DataFrame:
    if kind == "jsonl":
        with open(path, "rb") as fh:
            array = fh.read(4096).lstrip().startswith(b"[")  # one array of records, not JSON lines
        return pd.read_json(path, lines=not array, encoding="utf-8", encoding_errors=errors, dtype=False)
    return pd.read_csv(
        path,
        sep="\t" if kind == "tsv" else ",",
        encoding="utf-8",
        encoding_errors=errors,
        keep_default_na=False,
        na_values=[""],
        low_memory=False,
    )


def read_table(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Read a table file by its extension; returns the frame and notes (replaced bytes)."""
    check_exists(path, "file")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a table file.", 'For one folder of .txt files per class, use source = "folder".')
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(FORMATS))
        raise DataError(f"{path.name}: kerminal does not know the file type {path.suffix or '(no extension)'!r}.", f"Use one of {known} (by extension).")
    notes: list[str] = []
    replaced = 0
    try:
        if path.stat().st_size == 0:
            raise DataError(f"{path} is empty.", "Point data.path at a file with a header row and data rows.")
        if kind == "parquet":
            frame = pd.read_parquet(path)
        else:
            try:
                frame = _read(path, kind, "strict")
            except UnicodeDecodeError:  # read again, replacing what is not UTF-8, and count it
                frame = _read(path, kind, "replace")
                replaced = _undecodable(path)
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty.", "Point data.path at a file with a header row and data rows.") from None
    except (ValueError, pd.errors.ParserError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path.name} could not be read as {kind.upper()}: {first}", f"Check that the file is valid {kind.upper()} and its extension matches its content.") from None
    if frame.empty:
        raise DataError(f"{path} has no data rows.", "Point data.path at a file with data rows below the header.")
    frame.columns = [str(c) for c in frame.columns]
    if replaced:
        notes.append(f"{path.name}: replaced {replaced} bytes that are not UTF-8 with U+FFFD (save the file as UTF-8 to keep them)")
    return frame, notes


def _missing_column(path: Path, frame: pd.DataFrame, name: str, key: str) -> DataError:
    cols = list(frame.columns)
    close = difflib.get_close_matches(name, cols, n=1)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    return DataError(
        f"{path.name} has no column {name!r} ({key}). Its columns are: {', '.join(map(repr, cols))}.",
        f"{hint}Set {key} to one of those.",
    )


def guess_text_column(frame: pd.DataFrame, exclude: tuple[str, ...] = ()) -> str | None:
    """The string column with the longest average value (over the first 2,000 rows)."""
    best, best_len = None, -1.0
    head = frame.head(2000)
    for col in frame.columns:
        if col in exclude:
            continue
        values = head[col].dropna()
        if values.empty or not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        if not values.map(type).eq(str).all():
            continue
        avg = float(values.str.len().mean())
        if avg > best_len:
            best, best_len = col, avg
    return best


def guess_label_column(frame: pd.DataFrame, exclude: tuple[str, ...] = ()) -> tuple[str | None, int]:
    """The column with the fewest distinct values (at least 2, at most MAX_LABEL_VALUES)."""
    best, best_n = None, MAX_LABEL_VALUES + 1
    for col in frame.columns:
        if col in exclude:
            continue
        n = int(frame[col].nunique(dropna=True))
        if 2 <= n < best_n:
            best, best_n = col, n
    return best, best_n


def load_csv(exp: Experiment) -> Raw:
    d = exp.data
    if not d.path:
        raise DataError('data.path is empty: the csv source needs a table file.', 'Set data.path = "reviews.csv" (CSV, TSV, JSON lines or Parquet).')
    path = exp.resolve(d.path)
    frame, notes = read_table(path)
    text_col, label_col = d.text, d.label
    for name, key in ((text_col, "data.text"), (label_col, "data.label")):
        if name and name not in frame.columns:
            raise _missing_column(path, frame, name, key)
    picked = []
    if not text_col:
        text_col = guess_text_column(frame, exclude=(label_col,))
        if text_col is None:
            raise DataError(f"{path.name} has no column of text. Its columns are: {', '.join(map(repr, frame.columns))}.", "Set data.text to the column that holds the texts.")
        picked.append(f"{text_col!r} as text (longest average string)")
    if not label_col:
        label_col, n = guess_label_column(frame, exclude=(text_col,))
        if label_col is None:
            raise DataError(
                f"{path.name}: no column looks like a label (2 to {MAX_LABEL_VALUES} distinct values). Its columns are: {', '.join(map(repr, frame.columns))}.",
                "Set data.label to the column that holds the classes.",
            )
        picked.append(f"{label_col!r} as label ({n} distinct values)")
    if picked:
        notes.append(f"{path.name}: picked column {' and '.join(picked)}; set data.text / data.label to choose others")
    if text_col == label_col:
        raise DataError(f"data.text and data.label both name column {text_col!r}.", "Use two different columns.")
    labels = frame[label_col]
    missing = labels.isna().to_numpy()
    texts = frame[text_col]
    if missing.any():
        notes.append(f"{path.name}: dropped {int(missing.sum())} rows with no label in {label_col!r}")
        labels, texts = labels[~missing], texts[~missing]
    ids, class_names = encode_labels(labels, f"{path.name} column {label_col!r}")
    return Raw(name=path.name, texts=texts.reset_index(drop=True), labels=ids, class_names=class_names, notes=notes)


def load_per_class(exp: Experiment) -> Raw:
    d = exp.data
    if len(d.files) < 2:
        have = ", ".join(d.files) or "none"
        raise DataError(
            f"data.files names {len(d.files)} class file(s) ({have}); a classifier needs at least 2 classes.",
            'Map each class to its file: files = { fake = "Fake.csv", true = "True.csv" }.',
        )
    class_names = list(d.files)
    texts, labels, notes = [], [], []
    for i, (cls, rel) in enumerate(d.files.items()):
        path = exp.data_file(rel)
        frame, file_notes = read_table(path)
        notes += file_notes
        col = d.text
        if col and col not in frame.columns:
            raise _missing_column(path, frame, col, "data.text")
        if not col:
            col = guess_text_column(frame)
            if col is None:
                raise DataError(f"{path.name} has no column of text. Its columns are: {', '.join(map(repr, frame.columns))}.", "Set data.text to the column that holds the texts.")
            notes.append(f"{path.name}: picked column {col!r} as text (longest average string); set data.text to choose another")
        texts.append(frame[col])
        labels.append(np.full(len(frame), i, dtype=np.int64))
    name = "+".join(Path(f).name for f in d.files.values())
    return Raw(name=name, texts=pd.concat(texts, ignore_index=True), labels=np.concatenate(labels), class_names=class_names, notes=notes)
