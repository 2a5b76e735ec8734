"""Streamed data: a csv or folder source read in chunks, memory flat in rows.

`choose(exp)` says whether a source streams (data.stream, else its size against the free
memory) and why; `load_streamed(exp)` makes the first pass (rows counted, labels collected,
the split decided by a hash of each row's position) and returns a `StreamedDataset` whose
texts are read again on every later pass. The readers apply the in-memory loader's sniffing,
header, column and cleaning rules (tables.py, folder.py); the split is rows.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from engine.data.raw import encode_labels
from engine.data.stream.choose import choose, source_bytes
from engine.data.stream.dataset import StreamedDataset, StreamTexts, is_streamed
from engine.data.stream.rows import TEST, TRAIN, VALIDATION, Part, Rows, all_in, hashed, split_codes
from engine.dataset import Split
from engine.errors import DataError
from engine.experiment import Experiment
from engine.progress import OnPhase, silent

__all__ = ["StreamTexts", "StreamedDataset", "choose", "is_streamed", "load_streamed", "source_bytes", "split_codes"]


def load_streamed(exp: Experiment, on_phase: OnPhase = silent, why: str = "") -> StreamedDataset:
    """The first pass over a csv or folder source. Raises DataError as load_dataset does."""
    d = exp.data
    notes: list[str] = [why] if why else []
    read_as: dict[str, Any] = {}
    class_names: list[str] = []
    folder_streams: list[Any] = []
    if d.source == "csv":
        from engine.data.stream.tables import open_table
        from engine.data.table_format import TableRead, record

        if not d.path:
            raise DataError("data.path is empty: the csv source needs a table file.", 'Set data.path = "reviews.csv" (CSV, TSV, JSON lines or Parquet).')
        path = exp.resolve(d.path)
        table = open_table(exp, path)
        notes += table.notes
        name = path.name
        if d.split.validation_from_test:  # as in memory: a table has no test split of its own
            notes.append(f"{name} has no test split of its own; data.split.validation_from_test is not used")
        rows = Rows(name, [Part(table.chunks, hashed(d.split.seed, d.split.validation, d.split.test))], list(d.clean), [path])
        read_as = record("csv", [TableRead(str(path), table.how, _recorded(table.text_col), _recorded(table.label_col))])
    elif d.source == "folder":
        from engine.data.stream.folder import open_folder

        class_names, train, test, folder_notes = open_folder(exp)
        notes += folder_notes
        name = exp.resolve(d.path).name
        parts = [Part(train.chunks, hashed(d.split.seed, d.split.validation, 0.0 if test else d.split.test))]
        if test is not None and (d.split.merge_test or d.split.validation_from_test):
            # Pooling the test split with the training rows, or validating on part of it,
            # needs both splits' rows at once; a table or a folder without test/ never asks it.
            raise DataError(
                f"{name} has its own test split, and data.split.merge_test / validation_from_test cannot use it when the data is streamed.",
                "Set data.stream = false to read the data into memory, or turn those settings off.",
            )
        if test is not None:
            parts.append(Part(test.chunks, all_in(TEST)))
            if d.split.test > 0:
                notes.append(f"{name} has its own test split ({len(test):,} files); data.split.test = {d.split.test} is not used")
        folder_streams = [train, *([test] if test else [])]
        rows = Rows(name, parts, list(d.clean))
    else:
        raise DataError(f"data.source {d.source!r} cannot be streamed.", "Stream a csv or folder source, or set data.stream = false.")

    limits = (d.limit, d.validation_limit or d.limit, d.test_limit or d.limit)
    counts, seen = [0, 0, 0], [0, 0, 0]
    labels: list[list[np.ndarray]] = [[], [], []]
    total = 0
    for texts, raw, codes in rows.chunks():
        total += len(texts)
        ids = np.asarray(raw)  # class ids (folder), indexes of distinct label values (csv)
        for s in (TRAIN, VALIDATION, TEST):
            mask = codes == s
            k = int(mask.sum())
            seen[s] += k
            room = (limits[s] - counts[s]) if limits[s] else k
            if room > 0 and k:
                labels[s].append(ids[mask][:room])
                counts[s] += min(room, k)
        on_phase(f"reading {name} {total:,} rows")
    if d.source == "csv":
        notes += table.pass_notes()
        if not table.distinct:  # as the in-memory loader says it
            from engine.data.table_columns import no_labels

            raise no_labels(name, table.label_col, table.unlabelled)
        class_names, lookup = _classes(table.distinct, total + rows.missing + rows.blank, f"{name} {_column_name(table.label_col)}")
    else:
        from engine.data.stream.folder import pass_notes

        notes += pass_notes(exp.resolve(d.path), folder_streams)
        lookup = np.arange(len(class_names))
    if rows.tidy_note():
        notes.append(rows.tidy_note())
    if not total:
        raise DataError(f"{name}: no rows with text are left.", "Check data.text names the column that holds the texts.")
    splits = [lookup[np.concatenate(parts)].astype(np.int64) if parts else np.zeros(0, dtype=np.int64) for parts in labels]
    present = np.unique(np.concatenate(splits))
    if len(present) < 2:
        raise DataError(
            f"{name}: every row with text belongs to one class ({class_names[int(present[0])]!r}); a classifier needs at least two.",
            "Point data.label at the column that holds the classes, or add rows of the other classes.",
        )
    notes.append(
        f"{name}: split by a stable hash of each row's position (seed {d.split.seed}), not by class: "
        f"{counts[TRAIN]:,} train, {counts[VALIDATION]:,} validation, {counts[TEST]:,} test"
    )
    if counts != seen:
        notes.append(f"data limits: kept the first {sum(counts):,} of {sum(seen):,} rows of each split in file order (at most {' / '.join(str(n) if n else 'all' for n in limits)})")
    return StreamedDataset(
        name=name,
        class_names=list(class_names),
        train=Split(StreamTexts(rows, TRAIN, counts[TRAIN]), splits[TRAIN]),  # type: ignore[arg-type]  # a lazy sequence of texts
        validation=Split(StreamTexts(rows, VALIDATION, counts[VALIDATION]), splits[VALIDATION]),  # type: ignore[arg-type]
        test=Split(StreamTexts(rows, TEST, counts[TEST]), splits[TEST]),  # type: ignore[arg-type]
        notes=notes,
        read_as=read_as,
        why=why,
    )


def _classes(distinct: dict[Any, int], rows: int, where: str) -> tuple[list[str], np.ndarray]:
    """Class names and each distinct value's class id, by encode_labels's rule (numbers keep
    their order, strings are sorted)."""
    values = pd.Series(list(distinct))
    codes, names = encode_labels(values, where, rows=rows)
    return names, np.asarray(codes, dtype=np.int64)


def _column_name(col: Any) -> str:
    from engine.data.table_columns import column_name

    return column_name(col)


def _recorded(col: Any) -> str | int:
    return col if isinstance(col, int) else str(col)
