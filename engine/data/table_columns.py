"""The columns of a table read into a frame: naming them in messages, finding the one
data.text / data.label names (by name or 1-based position), guessing them when unnamed (the
text: the longest strings; the label: the fewest distinct values), and saying why no column
could be the label."""

from __future__ import annotations

import difflib
from collections.abc import Hashable
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import DataError

MAX_LABEL_VALUES = 50  # a guessed label column has at most this many distinct values


def blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every field is missing or whitespace (blank lines, lines of delimiters)."""
    blank = np.ones(len(frame), dtype=bool)
    for c in frame.columns:
        col = frame[c]
        blank &= (col.isna() | isspace(col)).to_numpy()
    return blank


def isspace(col: pd.Series) -> pd.Series:
    if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
        return pd.Series(False, index=col.index)
    return col.str.isspace().fillna(False).astype(bool)


def column_name(col: Hashable) -> str:
    """How notes and messages name a column: `column 2` by position, `column 'review'`."""
    return f"column {col}" if isinstance(col, int) else f"column {col!r}"


def no_labels(file_name: str, col: Hashable, rows: int) -> DataError:
    """The label column holds no label in any row: the one message of both loaders."""
    return DataError(
        f"{file_name}: {column_name(col)} (data.label) is empty: none of its {rows:,} rows has a label.",
        "Point data.label at the column that holds the classes.",
    )


def columns_listing(frame: pd.DataFrame) -> str:
    """The columns for a message: names, or positions with a sample value when unnamed."""
    if not positional(frame):
        return ", ".join(map(repr, frame.columns))
    out = []
    for c in frame.columns:
        values = frame[c].dropna()
        sample = str(values.iloc[0]) if len(values) else ""
        out.append(f"{c} ({sample[:30] + '…' if len(sample) > 30 else sample!r})")
    return ", ".join(out)


def positional(frame: pd.DataFrame) -> bool:
    """Whether the frame was read without a header (its columns are 1, 2, ...)."""
    return len(frame.columns) > 0 and all(isinstance(c, int) for c in frame.columns)


def column(path: Path, frame: pd.DataFrame, spec: str | int, key: str) -> Hashable:
    """The frame's column that data.text / data.label names, by name or 1-based position."""
    n = frame.shape[1]
    short = key.split(".")[1]
    if isinstance(spec, int):
        if spec > n:
            raise DataError(
                f"{path.name} has no column {spec} ({key}): it has {n} column{'s' * (n != 1)}: {columns_listing(frame)}.",
                f"Set {key} to a position from 1 to {n}" + ("." if positional(frame) else " or a column's name."),
            )
        return frame.columns[spec - 1]
    if positional(frame):
        raise DataError(
            f"{path.name} has no header row, so its columns have no names ({key} = {spec!r}). Its columns are: {columns_listing(frame)}.",
            f"Address the column by position, e.g. {short} = {min(2, n)}, or set data.header = true if the first row names the columns.",
        )
    if spec not in frame.columns:
        raise _missing_column(path, frame, spec, key)
    return spec


def _missing_column(path: Path, frame: pd.DataFrame, name: str, key: str) -> DataError:
    cols = list(frame.columns)
    close = difflib.get_close_matches(name, cols, n=1)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    return DataError(
        f"{path.name} has no column {name!r} ({key}). Its columns are: {', '.join(map(repr, cols))}.",
        f"{hint}Set {key} to one of those, or to a 1-based position.",
    )


def numeric_text_note(name: str, texts: pd.Series, col: Hashable) -> str | None:
    """A warning when the text column holds numbers (ids, scores) rather than texts."""
    values = texts.dropna()
    if values.empty:
        return None
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        k = len(values)
    else:
        short = values.astype(str)
        short = short[short.str.len() <= 40].str.strip()  # numbers are short: skip parsing long texts
        k = int(pd.to_numeric(short, errors="coerce").notna().sum())
    n = len(values)
    if k == n:
        return (
            f"{name}: warning: every text in {column_name(col)} is a number (e.g. {str(values.iloc[0])!r}); "
            "that looks like ids or scores, not text: set data.text to the column that holds the texts"
        )
    if k * 2 >= n:
        return f"{name}: warning: {k} of {n} texts in {column_name(col)} are numbers; check that data.text names the column that holds the texts"
    return None


def guess_text_column(frame: pd.DataFrame, exclude: tuple[Hashable, ...] = ()) -> Hashable | None:
    """The string column with the longest average value (over the first 2,000 rows);
    columns of numbers only (ids, scores) are never guessed."""
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
        if pd.to_numeric(values.str.strip(), errors="coerce").notna().all():
            continue
        avg = float(values.str.len().mean())
        if avg > best_len:
            best, best_len = col, avg
    return best


def guess_label_column(frame: pd.DataFrame, exclude: tuple[Hashable, ...] = ()) -> tuple[Hashable | None, int]:
    """The column with the fewest distinct values (at least 2, at most MAX_LABEL_VALUES)."""
    best, best_n = None, MAX_LABEL_VALUES + 1
    for col in frame.columns:
        if col in exclude:
            continue
        n = int(frame[col].nunique(dropna=True))
        if 2 <= n < best_n:
            best, best_n = col, n
    return best, best_n


# Column names that say "the classes" (compared lower-cased), for the error when no column
# could be guessed: the one the user meant is then diagnosed by name.
LABEL_NAMES = ("label", "labels", "class", "classes", "category", "target", "sentiment", "y", "tag", "spam")


def label_values(col: pd.Series) -> pd.Series:
    """A column's non-empty values, stripped, as strings."""
    values = col.dropna().astype(str).str.strip()
    return values[values != ""]


def label_candidate(frame: pd.DataFrame, text_col: Hashable | None) -> Hashable | None:
    """The column meant as the label when none could be guessed: the only one besides the
    text, else the one named like a label (LABEL_NAMES); None when that is unclear."""
    others = [c for c in frame.columns if c != text_col]
    if len(others) == 1:
        return others[0]
    named = [c for c in others if str(c).strip().lower() in LABEL_NAMES]
    return named[0] if len(named) == 1 else None


def no_label_column(path: Path, frame: pd.DataFrame, text_col: Hashable) -> DataError:
    """Why no column could be guessed as the label: what is wrong with the one meant (empty,
    one class, too many values), else what each column holds."""
    fix = "Set data.label to the column that holds the classes (a name, or a 1-based position)."
    col = label_candidate(frame, text_col)
    if col is not None:
        name, values = column_name(col), label_values(frame[col])
        distinct = values.unique()
        if not len(values):
            return DataError(f"{path.name}: {name} is empty: none of its {len(frame)} rows has a label.", f"Fill in the labels, or s{fix[1:]}")
        if len(distinct) == 1:
            return DataError(f"{path.name}: {name} has only one class, {distinct[0]!r}: a classifier needs two or more.", f"Add rows of another class (or correct the labels), or s{fix[1:]}")
        if len(distinct) > MAX_LABEL_VALUES:
            return DataError(
                f"{path.name}: {name} has {len(distinct):,} distinct values in {len(values):,} rows: more than the {MAX_LABEL_VALUES} a guessed label column may have.",
                f"If those are the classes, set data.label = {str(col)!r}; else point data.label at the column that holds the classes.",
            )
    held = ", ".join(f"{column_name(c)} ({n:,} distinct value{'s' * (n != 1)})" for c in frame.columns if c != text_col for n in [int(label_values(frame[c]).nunique())])
    return DataError(f"{path.name}: no column looks like a label (2 to {MAX_LABEL_VALUES} distinct values). Besides the text ({column_name(text_col)}) its columns hold: {held or 'nothing'}.", fix)


def text_column(path: Path, frame: pd.DataFrame, spec: str | int, notes: list[str], exclude: tuple[Hashable, ...] = ()) -> tuple[Hashable, str]:
    """The text column named by data.text, else guessed (and what was picked, for the note)."""
    if spec:
        return column(path, frame, spec, "data.text"), ""
    col = guess_text_column(frame, exclude=exclude)
    if col is None:
        raise DataError(f"{path.name} has no column of text. Its columns are: {columns_listing(frame)}.", "Set data.text to the column that holds the texts (a name, or a 1-based position).")
    return col, f"{column_name(col)} as text (longest average string)"


def pick_columns(path: Path, frame: pd.DataFrame, text: str | int, label: str | int, notes: list[str], counted: str = "") -> tuple[Hashable, Hashable]:
    """The text and label columns: the ones data.text / data.label name, else guessed (said
    in `notes`); `counted` says which rows the label's values were counted in (a stream
    guesses on its first rows)."""
    label_col = column(path, frame, label, "data.label") if label else None
    text_col, picked_text = text_column(path, frame, text, notes, exclude=(label_col,) if label_col is not None else ())
    picked = [picked_text] if picked_text else []
    if label_col is None:
        label_col, n = guess_label_column(frame, exclude=(text_col,))
        if label_col is None:
            raise no_label_column(path, frame, text_col)
        picked.append(f"{column_name(label_col)} as label ({n} distinct values{counted})")
    if picked:
        notes.append(f"{path.name}: picked {' and '.join(picked)}; set data.text / data.label to choose others")
    if text_col == label_col:
        raise DataError(f"data.text and data.label both name {column_name(text_col)}.", "Use two different columns.")
    return text_col, label_col
