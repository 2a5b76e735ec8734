"""How a table file was read, as a value: `TableFormat` (the format, delimiter, header and
quoting that engine.data.table_read resolved) and `TableRead` (that, plus the file and the
columns the loader used). A run records its tables' reads in its folder (`record`), so an
export reads the data as the run did, not as the file's sniffing says today.

A record comes back from a run folder, which is hostile input: `from_record` takes only the
fields it knows, each of its type and within its caps, and raises ValueError naming the field.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Any

DELIMITERS = "\t,;|"  # the loader's delimiters (sniffed among these, in this order on a tie)
SEPARATOR_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}
KINDS = ("delimited", "jsonl", "parquet")
RECORD_VERSION = 1  # the record's "kerminal_data_format" value
MAX_TABLES = 10_000  # per-class files in one record
MAX_STRING = 4096  # a path's or a column name's characters
MAX_COLUMN = 1_000_000  # a column position


@dataclass(frozen=True)
class TableFormat:
    """How a table file is read, as `read_table` resolved it from data.format, data.header,
    data.quotes, the extension and sniffing. `pandas_args` are the reader's keyword
    arguments, plain values only: kerminal reads with them and an exported script prints them."""

    kind: str  # "delimited", "jsonl" or "parquet"
    sep: str = ","
    header: bool = True
    quotes: bool = True
    lines: bool = True  # jsonl: one record a line; False: one JSON array

    def pandas_args(self) -> dict[str, Any]:
        """pd.read_csv's keywords (delimited; the bytes have no BOM and \n line ends),
        pd.read_json's (jsonl), none for parquet."""
        if self.kind == "delimited":
            return csv_args(self.sep, self.quotes, self.header)
        if self.kind == "jsonl":
            return {"lines": self.lines, "dtype": False, "encoding": "utf-8", "encoding_errors": "replace"}
        return {}

    def describe(self) -> str:
        if self.kind == "delimited":
            return describe_separated(self.sep, self.quotes) + ("" if self.header else ", no header row")
        return {"jsonl": "JSON lines" if self.lines else "a JSON array"}.get(self.kind, self.kind)

    @property
    def numbered(self) -> bool:
        """Read without a header row: the columns are numbered from 1."""
        return self.kind == "delimited" and not self.header


def describe_separated(sep: str, quotes: bool) -> str:
    name = SEPARATOR_NAMES.get(sep, repr(sep))
    return f"{name}-separated values {'with' if quotes else 'without'} quoted fields"


def csv_args(sep: str, quotes: bool, header: bool) -> dict[str, Any]:
    """The pd.read_csv keywords of a delimited table (literals only, for the exported script)."""
    return {
        "encoding": "utf-8",
        "encoding_errors": "replace",
        "sep": sep,
        "header": 0 if header else None,
        "index_col": False,  # never take a wide first row's first field for an index
        "quoting": csv.QUOTE_MINIMAL if quotes else csv.QUOTE_NONE,
        "lineterminator": "\n",  # else the C parser also ends rows at a lone \r
        "skip_blank_lines": False,  # blank lines become empty rows, counted below
        "keep_default_na": False,
        "na_values": [""],
        "dtype": "str",  # every field as it is written (ids such as 007 too)
    }


Column = str | int  # a column's name, or its 1-based position in a file without a header


@dataclass(frozen=True)
class TableRead:
    """One table file as a loader read it: the file (absolute), how, and the columns it used
    (csv: text and label; per-class: the text, and the class the file holds)."""

    file: str
    how: TableFormat
    text: Column
    label: Column | None = None
    class_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "format": self.how.kind, "sep": self.how.sep, "header": self.how.header, "quotes": self.how.quotes, "lines": self.how.lines, "text": self.text}
        if self.label is not None:
            out["label"] = self.label
        if self.class_name is not None:
            out["class"] = self.class_name
        return out


def record(source: str, reads: list[TableRead]) -> dict[str, Any]:
    """The JSON a run folder keeps of how its data source's tables were read."""
    return {"kerminal_data_format": RECORD_VERSION, "source": source, "tables": [r.to_dict() for r in reads]}


def from_record(raw: Any) -> tuple[str, list[TableRead]]:
    """The source and the reads of a record (parsed JSON); ValueError naming the bad field."""
    version = raw.get("kerminal_data_format") if isinstance(raw, dict) else None
    if type(version) is not int or version != RECORD_VERSION:  # true == 1 in Python, not here
        raise ValueError(f"it is not a kerminal data-format record of version {RECORD_VERSION}")
    source = _string(raw, "source")
    tables = raw.get("tables")
    if not isinstance(tables, list) or len(tables) > MAX_TABLES:
        raise ValueError(f"tables is not a list of at most {MAX_TABLES:,} tables")
    return source, [_read(t, f"tables[{i}]") for i, t in enumerate(tables, 1)]


def _read(raw: Any, where: str) -> TableRead:
    if not isinstance(raw, dict):
        raise ValueError(f"{where} is not an object")
    kind = _string(raw, "format", where)
    if kind not in KINDS:
        raise ValueError(f"{where}.format {kind[:40]!r} is not one of {', '.join(KINDS)}")
    sep = _string(raw, "sep", where)
    if sep not in DELIMITERS:
        raise ValueError(f"{where}.sep {sep[:40]!r} is not one of kerminal's delimiters")
    flags = {k: raw.get(k) for k in ("header", "quotes", "lines")}
    for k, v in flags.items():
        if not isinstance(v, bool):
            raise ValueError(f"{where}.{k} is not true or false")
    how = TableFormat(kind, sep, bool(flags["header"]), bool(flags["quotes"]), bool(flags["lines"]))
    label = _column(raw, "label", where) if "label" in raw else None
    class_name = _string(raw, "class", where) if "class" in raw else None
    return TableRead(_string(raw, "file", where), how, _column(raw, "text", where), label, class_name)


def _string(raw: dict[str, Any], key: str, where: str = "") -> str:
    value = raw.get(key)
    if not isinstance(value, str) or len(value) > MAX_STRING:
        raise ValueError(f"{where + '.' if where else ''}{key} is not a string of at most {MAX_STRING:,} characters")
    return value


def _column(raw: dict[str, Any], key: str, where: str) -> Column:
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_COLUMN:
        return value
    if isinstance(value, str) and len(value) <= MAX_STRING:
        return value
    raise ValueError(f"{where}.{key} is neither a column name nor a position from 1")
