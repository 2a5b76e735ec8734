"""Table files through pandas: CSV, TSV (or ; | separated), JSON lines (or one JSON array) and
Parquet, as found in the wild.

The format comes from data.format, else the extension, else the content (Parquet's magic
bytes, JSON's opening brace, else the delimiter sniffed among , TAB ; |). Whether the first
row is a header comes from data.header, else it is sniffed: a first row whose label value
recurs in later rows is data (the UCI SMS file), and so is one with numbers where the
column below holds numbers. Without a header, columns are numbered from 1 and data.text /
data.label address them by position. Only \n and \r\n end a row: a lone \r, U+2028, U+0085
or a form feed inside a field stays in it. TSV is read without quote processing (a message
may start with an unbalanced "), CSV with it, unless data.quotes says otherwise. A UTF-8 BOM
is dropped; invalid UTF-8 is replaced with U+FFFD and counted. Every line is accounted for:
blank lines, lines with more fields than the header and rows that span several lines
(quoted line breaks) are counted in the notes.

`csv` reads one table with a text column and a label column (guessed when not named):
string labels become class names in sorted order, numeric labels keep their order.
`per-class` reads one table per class (data.files, class name -> file) and keeps one text
column of each; class ids follow the order of data.files in the experiment file.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import warnings
from collections import Counter
from collections.abc import Hashable
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.raw import Raw, check_exists, encode_labels
from engine.data.table_format import DELIMITERS, SEPARATOR_NAMES, TableFormat, TableRead, csv_args, describe_separated, record
from engine.errors import DataError
from engine.experiment import Experiment
from engine.progress import OnPhase, silent

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
SNIFF_BYTES = 1 << 16
SNIFF_ROWS = 2000
MAX_COLUMNS = 1000  # more means a wrong delimiter or not a text table
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


def _fail(path: Path, kind: str, exc: BaseException) -> DataError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataError(f"{path.name} could not be read as {kind.upper()}: {first}", f"Check that the file is valid {kind.upper()}, or set data.format to what it holds.")


def _binary(path: Path, head: bytes) -> None:
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


def _undecodable(data: bytes) -> int:
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


def _head_text(data: bytes, size: int) -> str:
    """The first `size` bytes as text (a character cut at the end becomes U+FFFD)."""
    return data[:size].decode("utf-8", errors="replace")


def _sniff_delimiter(sample: str, cut: bool) -> str:
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


# pandas's note for a line with more fields than the header, and for a first data row with
# more fields than the header, which it would otherwise take for an index column.
_SKIPPED = re.compile(r"Skipping line (\d+): expected \d+ fields, saw (\d+)")
_WIDE_FIRST_ROW = "Length of header or names does not match length of data"
MAX_WIDE_FIRST_ROWS = 100


def _parse(data: bytes, sep: str, quotes: bool, header: bool, nrows: int | None = None) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    """Every field as a string (so texts keep their exact form); and the lines with more
    fields than the header, as (line number, fields) (pandas drops those with a warning).
    Parsed from the bytes: a decoded copy in a StringIO took 4 bytes a character (a 31 MB CSV
    peaked 240 MB higher).

    A first data row wider than the header is dropped like any other wide line (pandas would
    take its first column for the index and shift every row one column left: texts read as
    labels), by reading again without it."""
    wide_first: list[tuple[int, int]] = []
    while True:
        frame, caught = _read_csv(data, sep, quotes, header, nrows, skip=len(wide_first))
        if not (header and any(_WIDE_FIRST_ROW in str(w.message) for w in caught)) or len(wide_first) >= MAX_WIDE_FIRST_ROWS:
            break
        wide_first.append((len(wide_first) + 2, _fields(data, sep, quotes, len(wide_first) + 1)))
    skipped = [(int(m.group(1)), int(m.group(2))) for w in caught if issubclass(w.category, pd.errors.ParserWarning) for m in _SKIPPED.finditer(str(w.message))]
    return frame, wide_first + skipped


def _read_csv(data: bytes, sep: str, quotes: bool, header: bool, nrows: int | None, skip: int = 0) -> tuple[pd.DataFrame, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # each read's warnings, even one seen before
        frame = pd.read_csv(
            io.BytesIO(data),
            **csv_args(sep, quotes, header),
            skiprows=list(range(1, skip + 1)) or None,  # wide first data rows, found before
            on_bad_lines="warn",
            nrows=nrows,
            low_memory=False,
        )
    return frame, list(caught)


def _fields(data: bytes, sep: str, quotes: bool, line: int) -> int:
    """How many fields line `line` (0-based) of the file has."""
    start = 0
    for _ in range(line):
        start = data.index(b"\n", start) + 1
    end = data.find(b"\n", start)
    text = data[start : end if end >= 0 else len(data)].decode("utf-8", errors="replace")
    return len(next(csv.reader([text], delimiter=sep, quoting=csv.QUOTE_MINIMAL if quotes else csv.QUOTE_NONE), []))


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every field is missing or whitespace (blank lines, lines of delimiters)."""
    blank = np.ones(len(frame), dtype=bool)
    for c in frame.columns:
        col = frame[c]
        blank &= (col.isna() | _isspace(col)).to_numpy()
    return blank


def _isspace(col: pd.Series) -> pd.Series:
    if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
        return pd.Series(False, index=col.index)
    return col.str.isspace().fillna(False).astype(bool)


def _sniff_header(sample: pd.DataFrame, text_spec: str | int, label_spec: str | int) -> tuple[bool, str]:
    """Whether the first row of `sample` (read without a header) names the columns, and why
    not when it does not."""
    sample = sample[~_blank_rows(sample)]
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


def _sample(content: bytes, sep: str, quotes: bool) -> pd.DataFrame:
    """The first rows read without a header, for sniffing; from the first MB when that
    parses (a quoted field cut at the end of it does not), else from the whole file."""
    head = content[: content.rfind(b"\n", 0, 1 << 20) + 1] or content
    try:
        return _parse(head, sep, quotes, header=False, nrows=SNIFF_ROWS)[0]
    except (ValueError, pd.errors.ParserError):
        return _parse(content, sep, quotes, header=False, nrows=SNIFF_ROWS)[0]


def _not_too_wide(path: Path, frame: pd.DataFrame, sep: str, quotes: bool) -> None:
    if frame.shape[1] > MAX_COLUMNS:
        raise DataError(
            f"{path.name} read as {describe_separated(sep, quotes)} has {frame.shape[1]:,} columns: that is not a table of texts and labels.",
            "Set data.format (csv or tsv) and data.quotes to what the file holds.",
        )


def read_table(path: Path, fmt: str = "", header: bool | None = None, quotes: bool | None = None, text: str | int = "", label: str | int = "") -> tuple[pd.DataFrame, list[str]]:
    """Read a table file; returns the frame and notes (what was sniffed, replaced, dropped).

    fmt, header and quotes are data.format, data.header and data.quotes ("" / None: by the
    extension, else sniffed). text and label (data.text, data.label) help sniff the header.
    A frame read without a header has the integer columns 1, 2, ..."""
    frame, notes, _how = read_table_format(path, fmt, header, quotes, text, label)
    return frame, notes


def read_table_format(path: Path, fmt: str = "", header: bool | None = None, quotes: bool | None = None, text: str | int = "", label: str | int = "") -> tuple[pd.DataFrame, list[str], TableFormat]:
    """`read_table`, plus how the file was read (what export writes into a script)."""
    check_exists(path, "file")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a table file.", 'For one folder of .txt files per class, use source = "folder"; else point data.path at the file.')
    try:
        if path.stat().st_size == 0:
            raise DataError(f"{path} is empty.", "Point data.path at a file with data rows.")
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise DataError(f"{path} could not be read: {exc.strerror or exc}.", "Check the file's permissions.") from None
    if not fmt and path.suffix.lower() in NOT_TABLES:
        raise DataError(
            f"{path.name}: kerminal does not read {path.suffix} files.",
            f"Save it as UTF-8 CSV, TSV or JSON lines ({', '.join(sorted(FORMATS))}), or set data.format if it is one of those.",
        )
    kind = fmt or FORMATS.get(path.suffix.lower()) or ("parquet" if head.startswith(b"PAR1") else "")
    sniffed_format = not fmt and not FORMATS.get(path.suffix.lower())
    if kind == "parquet":
        try:
            frame = pd.read_parquet(path)
        except (ValueError, OSError, ImportError) as exc:
            raise _fail(path, kind, exc) from None
        return _checked(path, frame), [], TableFormat("parquet")
    _binary(path, head)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path} could not be read: {exc.strerror or exc}.", "Check the file's permissions.") from None
    content = raw.removeprefix(codecs.BOM_UTF8)
    del raw
    replaced = _undecodable(content)
    notes = [f"{path.name}: replaced {replaced} bytes that are not UTF-8 with U+FFFD (save the file as UTF-8 to keep them)"] if replaced else []
    if not content.strip():
        raise DataError(f"{path} has only blank lines.", "Point data.path at a file with data rows.")
    if not kind and content.lstrip()[:1] in (b"{", b"["):
        kind = "jsonl"
    if kind == "jsonl":
        how = TableFormat("jsonl", lines=not content.lstrip().startswith(b"["))  # [: one array of records
        try:
            frame = pd.read_json(io.BytesIO(content), **how.pandas_args())
        except ValueError as exc:
            raise _fail(path, kind, exc) from None
        return _checked(path, frame), notes, how
    if b"\r\n" in content:  # \r\n ends a row as \n does; a lone \r stays text
        content = content.replace(b"\r\n", b"\n")
    sep = {"csv": ",", "tsv": "\t"}.get(kind) or _sniff_delimiter(_head_text(content, SNIFF_BYTES + 4), len(content) > SNIFF_BYTES)
    quoting = quotes if quotes is not None else sep != "\t"
    why = ""
    try:
        if header is None:
            sample = _sample(content, sep, quoting)
            _not_too_wide(path, sample, sep, quoting)
            header, why = _sniff_header(sample, text, label)
        frame, bad = _parse(content, sep, quoting, header=header)
        _not_too_wide(path, frame, sep, quoting)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty.", "Point data.path at a file with data rows.") from None
    except (ValueError, pd.errors.ParserError) as exc:
        if quoting and "EOF inside string" in str(exc):
            raise DataError(
                f"{path.name}: a quoted field never closes ({str(exc).split('EOF inside string', 1)[1].strip()}): a \" opens a quote that runs to the end of the file.",
                "If quotes are part of the texts (as in the UCI SMS file), set data.quotes = false.",
            ) from None
        raise _fail(path, kind or describe_separated(sep, quoting), exc) from None
    blank = _blank_rows(frame)
    notes += _accounting(path, content, frame, bad, header, quoting, int(blank.sum()), sep)
    frame = frame[~blank].reset_index(drop=True)
    if not header:
        frame.columns = list(range(1, frame.shape[1] + 1))
    if sniffed_format or why:
        lines = content.count(b"\n") + (0 if content.endswith(b"\n") else 1)
        said = [f"read {len(frame):,} rows from {lines:,} lines as {describe_separated(sep, quoting)}" + (" (sniffed; data.format sets it)" if sniffed_format else "")]
        if why:
            said.append(f"no header row ({why}), so its columns are numbered 1 to {frame.shape[1]}; set data.header = true if the first row names them")
        notes.insert(0, f"{path.name}: " + "; ".join(said))
    return _checked(path, frame), notes, TableFormat("delimited", sep, bool(header), quoting)


def _accounting(path: Path, content: bytes, frame: pd.DataFrame, bad: list[tuple[int, int]], header: bool, quoting: bool, blank: int, sep: str) -> list[str]:
    """Notes that account for every line: blank, too many fields, merged by quoted line breaks."""
    notes = []
    lines = content.count(b"\n") + (0 if content.endswith(b"\n") else 1)
    if bad:
        what = "the header" if header else "the first line"
        named = ", ".join(f"line {line} has {fields}" for line, fields in bad[:5]) + (", ..." if len(bad) > 5 else "")
        notes.append(
            f"{path.name}: dropped {len(bad)} line{'s' * (len(bad) != 1)} with more fields than {what} ({frame.shape[1]}): {named}; "
            f"check the delimiter (data.format) and quoting (data.quotes), or put quotes around fields that hold a {SEPARATOR_NAMES.get(sep, repr(sep))}"
        )
    if blank:
        notes.append(f"{path.name}: skipped {blank} blank line{'s' * (blank != 1)}")
    merged_lines = lines - int(header) - len(frame) - len(bad)
    if merged_lines > 0 and quoting:
        spanning = int(frame.apply(lambda col: col.astype(str).str.contains("\n", regex=False)).any(axis=1).sum()) if len(frame) else 0
        notes.append(
            f"{path.name}: {spanning} row{'s' * (spanning != 1)} span several lines ({lines} lines made {len(frame) - blank} rows): "
            "line breaks inside quoted fields; if quotes are part of the texts, set data.quotes = false"
        )
    return notes


def _checked(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        raise DataError(f"{path} has no data rows.", "Point data.path at a file with data rows below the header.")
    if not all(isinstance(c, int) for c in frame.columns):
        frame.columns = [str(c) for c in frame.columns]
    return frame


def column_name(col: Hashable) -> str:
    """How notes and messages name a column: `column 2` by position, `column 'review'`."""
    return f"column {col}" if isinstance(col, int) else f"column {col!r}"


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


def _values(col: pd.Series) -> pd.Series:
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
        name, values = column_name(col), _values(frame[col])
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
    held = ", ".join(f"{column_name(c)} ({n:,} distinct value{'s' * (n != 1)})" for c in frame.columns if c != text_col for n in [int(_values(frame[c]).nunique())])
    return DataError(f"{path.name}: no column looks like a label (2 to {MAX_LABEL_VALUES} distinct values). Besides the text ({column_name(text_col)}) its columns hold: {held or 'nothing'}.", fix)


def unknown_labels(exp: Experiment, class_names: list[str]) -> DataError | None:
    """For a file evaluated against a run: a DataError naming the labels of its label column
    (data.label, else the guessed or the meant one) that are not among `class_names`, or None
    when there are none (or the column cannot be told)."""
    d = exp.data
    path = exp.resolve(d.path)
    try:
        frame, _notes, _how = _read(exp, path, d.label)
        label_col = column(path, frame, d.label, "data.label") if d.label else None
        text_col, _picked = _text_column(path, frame, d.text, [], exclude=(label_col,) if label_col is not None else ())
    except DataError:
        return None
    if label_col is None:
        label_col = guess_label_column(frame, exclude=(text_col,))[0] or label_candidate(frame, text_col)
    if label_col is None:
        return None
    known = {str(c) for c in class_names}
    foreign = sorted(set(_values(frame[label_col])) - known)
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


def _text_column(path: Path, frame: pd.DataFrame, spec: str | int, notes: list[str], exclude: tuple[Hashable, ...] = ()) -> tuple[Hashable, str]:
    """The text column named by data.text, else guessed (and what was picked, for the note)."""
    if spec:
        return column(path, frame, spec, "data.text"), ""
    col = guess_text_column(frame, exclude=exclude)
    if col is None:
        raise DataError(f"{path.name} has no column of text. Its columns are: {columns_listing(frame)}.", "Set data.text to the column that holds the texts (a name, or a 1-based position).")
    return col, f"{column_name(col)} as text (longest average string)"


def load_csv(exp: Experiment, on_phase: OnPhase = silent) -> Raw:
    d = exp.data
    if not d.path:
        raise DataError('data.path is empty: the csv source needs a table file.', 'Set data.path = "reviews.csv" (CSV, TSV, JSON lines or Parquet).')
    path = exp.resolve(d.path)
    on_phase(f"parsing {path.name}")  # one pandas call: its rows are counted once it returns
    frame, notes, how = _read(exp, path, d.label)
    on_phase(f"parsed {len(frame):,} rows of {path.name}")
    label_col = column(path, frame, d.label, "data.label") if d.label else None
    text_col, picked_text = _text_column(path, frame, d.text, notes, exclude=(label_col,) if label_col is not None else ())
    picked = [picked_text] if picked_text else []
    if label_col is None:
        label_col, n = guess_label_column(frame, exclude=(text_col,))
        if label_col is None:
            raise no_label_column(path, frame, text_col)
        picked.append(f"{column_name(label_col)} as label ({n} distinct values)")
    if picked:
        notes.append(f"{path.name}: picked {' and '.join(picked)}; set data.text / data.label to choose others")
    if text_col == label_col:
        raise DataError(f"data.text and data.label both name {column_name(text_col)}.", "Use two different columns.")
    labels = frame[label_col]
    missing = (labels.isna() | _isspace(labels)).to_numpy()
    texts = frame[text_col]
    if missing.all():
        raise DataError(
            f"{path.name}: {column_name(label_col)} (data.label) is empty: none of its {len(labels)} rows has a label.",
            "Point data.label at the column that holds the classes.",
        )
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
        col, picked = _text_column(path, frame, d.text, notes)
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
