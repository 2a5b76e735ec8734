"""What a table file is, from its first bytes: the format by extension or content (FORMATS,
Parquet's magic bytes, JSON's opening brace), a refusal naming what a binary file looks
like, how many bytes are not UTF-8, the delimiter (among , TAB ; |) and whether the first
row is a header (a first row whose label value recurs in later rows is data, and so is one
with numbers where the column below holds numbers)."""

from __future__ import annotations

import codecs
import csv
from collections import Counter
from pathlib import Path

import pandas as pd

from engine.data.table_columns import blank_rows, guess_label_column
from engine.data.table_format import DELIMITERS
from engine.errors import DataError

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
SNIFF_BYTES = 1 << 16
# Leading bytes of files that are not text tables (what users pick by mistake).
BINARY_MAGIC = {
    b"PK\x03\x04": "a ZIP archive (an Excel .xlsx workbook?)",
    b"\x1f\x8b": "gzip-compressed",
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old Office file (an Excel .xls workbook?)",
    b"SQLite format 3": "a SQLite database",
}
# Extensions of files that are not text tables (any other extension is sniffed).
NOT_TABLES = {".xlsx", ".xls", ".xlsm", ".ods", ".zip", ".gz", ".bz2", ".xz", ".7z", ".pdf", ".db", ".sqlite", ".feather", ".pkl", ".pickle", ".h5", ".hdf5", ".npz", ".npy", ".keras"}


def refuse_binary(path: Path, head: bytes) -> None:
    """Refuse files that are not UTF-8 text tables, saying what they look like."""
    known = ", ".join(sorted(FORMATS))
    fix = f"Save it as UTF-8 CSV, TSV or JSON lines ({known}), or set data.format if it is one of those."
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise DataError(f"{path.name} is UTF-16 text; kerminal reads UTF-8.", "Save the file as UTF-8 (most editors and spreadsheet programs offer it).")
    for magic, what in BINARY_MAGIC.items():
        if head.startswith(magic):
            raise DataError(f"{path.name} is {what}, not a text table.", fix)
    if head and head.count(0) > len(head) // 10:  # a few NUL bytes are a text hazard, many mean binary
        raise DataError(f"{path.name} looks like a binary file ({head.count(0)} NUL bytes in its first {len(head)}), not a text table.", fix)


def undecodable_bytes(data: bytes) -> int:
    """How many bytes are not UTF-8 (pandas replaces each run with U+FFFD as it reads)."""
    # Checked a megabyte at a time, so no decoded copy of the whole file is ever made.
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    view = memoryview(data)
    try:
        for i in range(0, len(data), 1 << 20):
            decoder.decode(view[i : i + (1 << 20)])
        decoder.decode(b"", final=True)
        return 0
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        new = text.count("\ufffd") - data.count("\ufffd".encode())
        return len(data) - len(text.encode("utf-8")) + 3 * new  # each U+FFFD is 3 bytes


def head_text(data: bytes, size: int) -> str:
    """The first `size` bytes as text (a character cut at the end becomes U+FFFD)."""
    return data[:size].decode("utf-8", errors="replace")


def sniff_delimiter(sample: str, cut: bool) -> str:
    """The delimiter found the same number of times on the most lines of a sample (the
    file's head; `cut`: the file goes on past it); csv.Sniffer's choice breaks ties, then the
    order of DELIMITERS."""
    lines = sample.split("\n")
    if cut and len(lines) > 1:
        lines = lines[:-1]  # cut mid-line
    lines = [line for line in lines if line.strip()][:200]
    if not lines:
        return ","
    try:
        # its quote regex is quadratic on long quoted lines: 8 KB keeps it to milliseconds
        hint = csv.Sniffer().sniff("\n".join(lines)[:8192], delimiters=DELIMITERS).delimiter
    except csv.Error:
        hint = None
    scores = {}
    for d in DELIMITERS:
        per_line = [line.count(d) for line in lines]
        mode = Counter(per_line).most_common(1)[0][0]
        scores[d] = sum(c == mode for c in per_line) / len(per_line) if mode else 0.0
    best = max(scores.values())
    if best == 0:
        return ","  # one column
    tied = [d for d in DELIMITERS if scores[d] == best]
    return hint if hint in tied else tied[0]


def sniff_header(sample: pd.DataFrame, text_spec: str | int, label_spec: str | int) -> tuple[bool, str]:
    """Whether the first row of `sample` (read without a header) names the columns, and why
    not when it does not."""
    sample = sample[~blank_rows(sample)]
    if len(sample) < 2:
        return True, ""
    first, rest = sample.iloc[0], sample.iloc[1:]
    names = {str(v).strip() for v in first.dropna()}
    if any(isinstance(v, str) and v and v in names for v in (text_spec, label_spec)):
        return True, ""  # the first row holds a column the settings name
    width = sample.shape[1]
    if isinstance(label_spec, int) and 1 <= label_spec <= width:
        col: int | None = label_spec - 1
    else:
        exclude = (text_spec - 1,) if isinstance(text_spec, int) else ()
        guessed, _n = guess_label_column(rest, exclude=exclude)
        col = None if guessed is None else int(rest.columns.get_loc(guessed))  # its position
    if col is not None:
        value = first.iloc[col]
        if pd.notna(value) and rest.iloc[:, col].dropna().astype(str).str.strip().eq(str(value).strip()).any():
            return False, f"the first row's label {str(value).strip()!r} in column {col + 1} recurs below"
        return True, ""
    for c in range(width):
        below = rest.iloc[:, c].dropna()
        if len(below) and pd.to_numeric(below, errors="coerce").notna().all():
            if pd.notna(pd.to_numeric(pd.Series([first.iloc[c]]), errors="coerce").iloc[0]):
                return False, f"column {c + 1} holds numbers from the first row on"
            return True, ""
    return True, ""
