"""Table files through pandas: CSV, TSV (or ; | separated), JSON lines (or one JSON array) and
Parquet, as found in the wild: `read_table` gives the frame and notes.

The format comes from data.format, else the extension, else the content; whether the first
row is a header from data.header, else it is sniffed (table_sniff.py). Without a header,
columns are numbered from 1 and data.text / data.label address them by position. Only \n
and \r\n end a row: a lone \r, U+2028, U+0085 or a form feed inside a field stays in it.
TSV is read without quote processing (a message may start with an unbalanced "), CSV with
it, unless data.quotes says otherwise. A UTF-8 BOM is dropped; invalid UTF-8 is replaced
with U+FFFD and counted. Every line is accounted for: blank lines, lines with more fields
than the header and rows that span several lines (quoted line breaks) are counted in the
notes.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from pathlib import Path

import pandas as pd

from engine.data.raw import check_exists
from engine.data.table_columns import blank_rows
from engine.data.table_format import SEPARATOR_NAMES, TableFormat, csv_args, describe_separated
from engine.data.table_sniff import FORMATS, NOT_TABLES, SNIFF_BYTES, head_text, refuse_binary, sniff_delimiter, sniff_header, undecodable_bytes
from engine.errors import DataError

SNIFF_ROWS = 2000
MAX_COLUMNS = 1000  # more means a wrong delimiter or not a text table


def _fail(path: Path, kind: str, exc: BaseException) -> DataError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataError(f"{path.name} could not be read as {kind.upper()}: {first}", f"Check that the file is valid {kind.upper()}, or set data.format to what it holds.")


# pandas's note for a line with more fields than the header, and for a first data row with
# more fields than the header, which it would otherwise take for an index column.
SKIPPED_LINE = re.compile(r"Skipping line (\d+): expected \d+ fields, saw (\d+)")
_WIDE_FIRST_ROW = "Length of header or names does not match length of data"
MAX_WIDE_FIRST_ROWS = 100


def parse_table(data: bytes, sep: str, quotes: bool, header: bool, nrows: int | None = None) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
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
    skipped = [(int(m.group(1)), int(m.group(2))) for w in caught if issubclass(w.category, pd.errors.ParserWarning) for m in SKIPPED_LINE.finditer(str(w.message))]
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


def sample_rows(content: bytes, sep: str, quotes: bool) -> pd.DataFrame:
    """The first rows read without a header, for sniffing; from the first MB when that
    parses (a quoted field cut at the end of it does not), else from the whole file."""
    head = content[: content.rfind(b"\n", 0, 1 << 20) + 1] or content
    try:
        return parse_table(head, sep, quotes, header=False, nrows=SNIFF_ROWS)[0]
    except (ValueError, pd.errors.ParserError):
        return parse_table(content, sep, quotes, header=False, nrows=SNIFF_ROWS)[0]


def refuse_too_wide(path: Path, frame: pd.DataFrame, sep: str, quotes: bool) -> None:
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
        return checked_frame(path, frame), [], TableFormat("parquet")
    refuse_binary(path, head)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path} could not be read: {exc.strerror or exc}.", "Check the file's permissions.") from None
    content = raw.removeprefix(codecs.BOM_UTF8)
    del raw
    replaced = undecodable_bytes(content)
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
        return checked_frame(path, frame), notes, how
    if b"\r\n" in content:  # \r\n ends a row as \n does; a lone \r stays text
        content = content.replace(b"\r\n", b"\n")
    sep = {"csv": ",", "tsv": "\t"}.get(kind) or sniff_delimiter(head_text(content, SNIFF_BYTES + 4), len(content) > SNIFF_BYTES)
    quoting = quotes if quotes is not None else sep != "\t"
    why = ""
    try:
        if header is None:
            sample = sample_rows(content, sep, quoting)
            refuse_too_wide(path, sample, sep, quoting)
            header, why = sniff_header(sample, text, label)
        frame, bad = parse_table(content, sep, quoting, header=header)
        refuse_too_wide(path, frame, sep, quoting)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty.", "Point data.path at a file with data rows.") from None
    except (ValueError, pd.errors.ParserError) as exc:
        if quoting and "EOF inside string" in str(exc):
            raise DataError(
                f"{path.name}: a quoted field never closes ({str(exc).split('EOF inside string', 1)[1].strip()}): a \" opens a quote that runs to the end of the file.",
                "If quotes are part of the texts (as in the UCI SMS file), set data.quotes = false.",
            ) from None
        raise _fail(path, kind or describe_separated(sep, quoting), exc) from None
    blank = blank_rows(frame)
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
    return checked_frame(path, frame), notes, TableFormat("delimited", sep, bool(header), quoting)


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


def checked_frame(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        raise DataError(f"{path} has no data rows.", "Point data.path at a file with data rows below the header.")
    if not all(isinstance(c, int) for c in frame.columns):
        frame.columns = [str(c) for c in frame.columns]
    return frame
