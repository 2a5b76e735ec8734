"""A table file read in chunks with the in-memory loader's rules (table_read.py, tables.py):
the format, delimiter, header and columns are sniffed and picked on the file's first
megabyte with the same functions, then pandas reads it CHUNK_ROWS rows at a time (CSV and
TSV through `Lines`, JSON lines with read_json's chunks, Parquet a row group at a time).
Lines with more fields than the header are dropped and named with their line numbers, blank
lines and rows without a label are counted, as the in-memory loader does.

Not the same as in memory: the columns are guessed from the first rows, not the whole file
(data.text / data.label choose them); a JSON array (not lines) cannot be read in chunks.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.data.raw import check_exists
from engine.data.stream.lines import Lines, head
from engine.data.table_columns import blank_rows, column_name, isspace, numeric_text_note, pick_columns
from engine.data.table_format import SEPARATOR_NAMES, TableFormat, describe_separated
from engine.data.table_read import SKIPPED_LINE, checked_frame, parse_table, refuse_too_wide, sample_rows
from engine.data.table_sniff import FORMATS, NOT_TABLES, SNIFF_BYTES, head_text, refuse_binary, sniff_delimiter, sniff_header
from engine.errors import DataError
from engine.experiment import Experiment

CHUNK_ROWS = 20_000
MAX_LABELS = 10_000  # distinct label values collected on the first pass
HEAD_BYTES = 1 << 20  # what the format, header and columns are sniffed on


@dataclass
class TableStream:
    """One table file, ready to be read in chunks of (texts, labels) again and again."""

    path: Path
    how: TableFormat
    text_col: Hashable
    label_col: Hashable
    notes: list[str]
    wide: list[tuple[int, int]] = field(default_factory=list)  # wide first data rows (line, fields), skipped
    bad: list[tuple[int, int]] = field(default_factory=list)  # (line, fields) of the last pass
    blank: int = 0
    unlabelled: int = 0
    replaced: int = 0  # sequences that are not UTF-8, replaced with U+FFFD
    # Each distinct label value -> its index in order of appearance. Collected before the
    # texts are tidied, as the in-memory loader encodes its labels before it drops empty texts.
    distinct: dict[Any, int] = field(default_factory=dict)

    def chunks(self) -> Iterator[tuple[pd.Series, np.ndarray]]:
        """(texts, label values' indexes in `distinct`) of each chunk, blank rows and rows
        without a label left out."""
        self.bad, self.blank, self.unlabelled = list(self.wide), 0, 0
        for frame in self._frames():
            blank = blank_rows(frame)
            if blank.any():
                self.blank += int(blank.sum())
                frame = frame[~blank]
            texts = _col(frame, self.text_col)
            labels = _col(frame, self.label_col)
            missing = (labels.isna() | isspace(labels)).to_numpy()
            if missing.any():
                self.unlabelled += int(missing.sum())
                texts, labels = texts[~missing], labels[~missing]
            yield texts, self._indexes(labels)

    def _indexes(self, labels: pd.Series) -> np.ndarray:
        try:
            codes, uniques = pd.factorize(labels)
        except TypeError:
            raise DataError(f"{self.path.name}: the labels in {column_name(self.label_col)} are not plain values (lists or objects).", "Point data.label at the column that holds the classes.") from None
        distinct = self.distinct
        ids = np.fromiter((distinct.setdefault(u, len(distinct)) for u in uniques), dtype=np.int64, count=len(uniques))
        if len(distinct) > MAX_LABELS:
            raise DataError(
                f"{self.path.name}: {column_name(self.label_col)} has more than {MAX_LABELS:,} distinct values: that looks like text or ids, not classes.",
                "Point data.label at the column that holds the classes (a few distinct values).",
            )
        return ids[codes]

    def pass_notes(self) -> list[str]:
        """What the last full pass dropped, as the in-memory loader says it."""
        name, notes = self.path.name, []
        if self.bad:
            what = "the header" if self.how.header else "the first line"
            named = ", ".join(f"line {line} has {fields}" for line, fields in self.bad[:5]) + (", ..." if len(self.bad) > 5 else "")
            notes.append(
                f"{name}: dropped {len(self.bad)} line{'s' * (len(self.bad) != 1)} with more fields than {what}: {named}; "
                f"check the delimiter (data.format) and quoting (data.quotes), or put quotes around fields that hold a {SEPARATOR_NAMES.get(self.how.sep, repr(self.how.sep))}"
            )
        if self.replaced:
            notes.append(f"{name}: replaced {self.replaced} sequences of bytes that are not UTF-8 with U+FFFD (save the file as UTF-8 to keep them)")
        if self.blank:
            notes.append(f"{name}: skipped {self.blank} blank line{'s' * (self.blank != 1)}")
        if self.unlabelled:
            notes.append(f"{name}: dropped {self.unlabelled} rows with no label in {column_name(self.label_col)}")
        return notes

    def _frames(self) -> Iterator[pd.DataFrame]:
        how = self.how
        if how.kind == "parquet":
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(self.path)
            cols = list(dict.fromkeys(str(c) for c in (self.text_col, self.label_col)))
            for i in range(pf.metadata.num_row_groups):
                yield pf.read_row_group(i, columns=cols).to_pandas()
            return
        with open(self.path, "rb") as fh:
            if how.kind == "jsonl":
                text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="replace")
                try:
                    with pd.read_json(text, lines=True, dtype=False, chunksize=CHUNK_ROWS) as reader:
                        for frame in reader:
                            yield checked_frame(self.path, frame)
                except ValueError as exc:
                    raise DataError(f"{self.path.name} could not be read as JSONL: {str(exc).splitlines()[0] if str(exc) else exc}", "Check that every line is one JSON object.") from None
                return
            lines = Lines(fh)
            reader = pd.read_csv(io.BufferedReader(lines, 1 << 20), **how.pandas_args(), skiprows=[line - 1 for line, _ in self.wide] or None, on_bad_lines="warn", chunksize=CHUNK_ROWS)
            with reader:
                while True:
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        try:
                            frame = next(reader)
                        except StopIteration:
                            break
                        except pd.errors.EmptyDataError:
                            break
                        except (ValueError, pd.errors.ParserError) as exc:
                            raise _parse_error(self.path, how, exc) from None
                    self.bad += [(int(m.group(1)), int(m.group(2))) for w in caught for m in SKIPPED_LINE.finditer(str(w.message))]
                    if not how.header:
                        frame.columns = list(range(1, frame.shape[1] + 1))
                    self.replaced = lines.replaced
                    yield frame
            self.replaced = lines.replaced


def _col(frame: pd.DataFrame, col: Hashable) -> pd.Series:
    if col in frame.columns:
        return frame[col]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)  # a JSON key absent from a whole chunk


def _parse_error(path: Path, how: TableFormat, exc: BaseException) -> DataError:
    if how.quotes and "EOF inside string" in str(exc):
        return DataError(
            f"{path.name}: a quoted field never closes ({str(exc).split('EOF inside string', 1)[1].strip()}): a \" opens a quote that runs to the end of the file.",
            "If quotes are part of the texts (as in the UCI SMS file), set data.quotes = false.",
        )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataError(f"{path.name} could not be read as {describe_separated(how.sep, how.quotes)}: {first}", "Check that the file is valid, or set data.format to what it holds.")


def open_table(exp: Experiment, path: Path) -> TableStream:
    """Sniff a table file on its head and pick its columns (DataError as the in-memory loader)."""
    d = exp.data
    check_exists(path, "file")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a table file.", 'For one folder of .txt files per class, use source = "folder"; else point data.path at the file.')
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            first = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise DataError(f"{path} could not be read: {exc.strerror or exc}.", "Check the file's permissions.") from None
    if size == 0:
        raise DataError(f"{path} is empty.", "Point data.path at a file with data rows.")
    if not d.format and path.suffix.lower() in NOT_TABLES:
        raise DataError(f"{path.name}: kerminal does not read {path.suffix} files.", f"Save it as UTF-8 CSV, TSV or JSON lines ({', '.join(sorted(FORMATS))}), or set data.format if it is one of those.")
    kind = d.format or FORMATS.get(path.suffix.lower()) or ("parquet" if first.startswith(b"PAR1") else "")
    sniffed_format = not d.format and not FORMATS.get(path.suffix.lower())
    notes: list[str] = []
    if kind == "parquet":
        frame, how = _parquet_head(path), TableFormat("parquet")
    else:
        refuse_binary(path, first)
        with open(path, "rb") as fh:
            content = head(fh, HEAD_BYTES)
        whole = len(content) < HEAD_BYTES
        cut = content if whole else content[: content.rfind(b"\n") + 1] or content
        if not cut.strip():
            raise DataError(f"{path} has only blank lines.", "Point data.path at a file with data rows.")
        if not kind and cut.lstrip()[:1] in (b"{", b"["):
            kind = "jsonl"
        if kind == "jsonl":
            if cut.lstrip().startswith(b"["):
                raise DataError(f"{path.name} is one JSON array: it cannot be read in chunks.", "Save it as JSON lines (one object a line), or set data.stream = false.")
            how = TableFormat("jsonl")
            try:
                frame = pd.read_json(io.BytesIO(cut), **how.pandas_args())
            except ValueError as exc:
                raise DataError(f"{path.name} could not be read as JSONL: {str(exc).splitlines()[0] if str(exc) else exc}", "Check that every line is one JSON object.") from None
            frame = checked_frame(path, frame)
        else:
            frame, how, wide, why = _delimited_head(path, kind, cut, not whole, exp)
            said = [f"read as {describe_separated(how.sep, how.quotes)}" + (" (sniffed; data.format sets it)" if sniffed_format else "")]
            if why:
                said.append(f"no header row ({why}), so its columns are numbered 1 to {frame.shape[1]}; set data.header = true if the first row names them")
            if sniffed_format or why:
                notes.append(f"{path.name}: " + "; ".join(said))
            text_col, label_col = _columns(exp, path, frame, notes)
            return TableStream(path, how, text_col, label_col, notes, wide)
    text_col, label_col = _columns(exp, path, frame, notes)
    return TableStream(path, how, text_col, label_col, notes)


def _parquet_head(path: Path) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
    except Exception as exc:
        raise DataError(f"{path.name} could not be read as PARQUET: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", "Check that the file is valid PARQUET, or set data.format to what it holds.") from None
    if pf.metadata.num_row_groups == 0:
        raise DataError(f"{path.name} has no row groups: the Parquet file holds no rows.", "Point data.path at a Parquet file with data rows.")
    batch = next(pf.iter_batches(batch_size=2000), None)
    if batch is None or batch.num_rows == 0:
        raise DataError(f"{path} has no data rows.", "Point data.path at a file with data rows below the header.")
    return checked_frame(path, batch.to_pandas())


def _delimited_head(path: Path, kind: str, content: bytes, cut: bool, exp: Experiment) -> tuple[pd.DataFrame, TableFormat, list[tuple[int, int]], str]:
    d = exp.data
    sep = {"csv": ",", "tsv": "\t"}.get(kind) or sniff_delimiter(head_text(content, SNIFF_BYTES + 4), cut or len(content) > SNIFF_BYTES)
    quoting = d.quotes if d.quotes is not None else sep != "\t"
    header, why = d.header, ""
    try:
        if header is None:
            sample = sample_rows(content, sep, quoting)
            refuse_too_wide(path, sample, sep, quoting)
            header, why = sniff_header(sample, d.text, d.label)
        frame, bad = parse_table(content, sep, quoting, header=header)
        refuse_too_wide(path, frame, sep, quoting)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty.", "Point data.path at a file with data rows.") from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise _parse_error(path, TableFormat("delimited", sep, bool(header), quoting), exc) from None
    # wide first data rows, which parse_table found and dropped: the chunked reader skips them too
    wide = []
    for i, (line, fields) in enumerate(bad):
        if not header or line != i + 2:
            break
        wide.append((line, fields))
    frame = frame[~blank_rows(frame)].reset_index(drop=True)
    if not header:
        frame.columns = list(range(1, frame.shape[1] + 1))
    return checked_frame(path, frame), TableFormat("delimited", sep, bool(header), quoting), wide, why


def _columns(exp: Experiment, path: Path, frame: pd.DataFrame, notes: list[str]) -> tuple[Hashable, Hashable]:
    """The text and label columns, as load_csv picks them (on the head's rows)."""
    text_col, label_col = pick_columns(path, frame, exp.data.text, exp.data.label, notes, counted=f" in the first {len(frame):,} rows")
    warning = numeric_text_note(path.name, frame[text_col], text_col)
    if warning:
        notes.append(warning)
    return text_col, label_col
