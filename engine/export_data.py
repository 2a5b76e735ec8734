"""The exported script's data part (engine.export): it reads the run's data as the run's
loader did and splits it with kerminal's own seeded stratified split.

Tables are read with what the loader resolved for the run (format, delimiter, header,
quoting, columns: the run folder's data_format.json, `engine.data.table_format`); a run
without that record (by an older kerminal) is resolved again from the file as it is now, and
the script says so in a comment. Class names follow kerminal's rule (`class_of`), so a label
1.0 is class 1 in the script as in the run. Every value from the run is a Python literal.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

from engine.data import sample_path
from engine.data import split as split_module
from engine.data.table_format import TableFormat, TableRead
from engine.experiment import Experiment


def data_code(exp: Experiment, class_names: list[str], reads: list[TableRead] | None) -> str:
    """The script's data part: load_rows() reads the source as the run's loader did (`reads`:
    the run's record of its tables, else resolved again), then the seeded stratified split."""
    d = exp.data
    if d.source == "sample":
        read = f"frame = pd.read_csv({str(sample_path())!r}, dtype=str, keep_default_na=False)\ntexts, labels = frame['text'], class_of(frame['label'])"
    elif d.source == "per-class":
        read = _per_class_read(exp, reads)
    else:
        read = _table_read(exp, reads)
    s = d.split
    # The split is kerminal's own function, copied into the script (it imports only numpy).
    split_source = inspect.getsource(split_module.stratified_split)
    return f'''# ---- data ------------------------------------------------------------------
CLASS_NAMES = {class_names!r}  # label -> index, as the run had them
CLEAN = {list(d.clean)!r}  # html: tags become spaces; lower; punctuation removed
VALIDATION, TEST, SPLIT_SEED = {s.validation!r}, {s.test!r}, {s.seed!r}
LIMIT, VALIDATION_LIMIT, TEST_LIMIT = {d.limit!r}, {d.validation_limit or d.limit!r}, {d.test_limit or d.limit!r}  # rows per split, 0 = all


def class_of(labels):
    """Each row's class name as kerminal names it: the text stripped; numbers as numbers
    (1.0 and 01 are class 1); true and false as 1 and 0."""
    if labels.dtype == bool:
        labels = labels.astype("int64")
    names = labels.astype(str).str.strip()
    given = names[names != ""]
    numbers = pd.to_numeric(given, errors="coerce")
    if len(given) and numbers.notna().all():
        whole = bool((numbers % 1 == 0).all())
        names[given.index] = (numbers.astype("int64") if whole else numbers).astype(str)
    return names


def load_rows():
    {read.replace(chr(10), chr(10) + "    ")}
    texts = texts.astype(str)
    if "html" in CLEAN:
        texts = texts.str.replace(r"<[^>]*>", " ", regex=True)
    if "lower" in CLEAN:
        texts = texts.str.lower()
    if "punctuation" in CLEAN:
        texts = texts.str.replace(r"""[!"#$%&()\\*\\+,\\-\\./:;<=>?@\\[\\\\\\]^_`{{|}}~']""", "", regex=True)
    keep = (texts.str.strip() != "") & labels.isin(CLASS_NAMES)
    texts, labels = texts[keep].reset_index(drop=True), labels[keep].reset_index(drop=True)
    return texts.tolist(), np.array([CLASS_NAMES.index(x) for x in labels], dtype=np.int64)


{split_source}


texts, labels = load_rows()
train_idx, val_idx, test_idx = stratified_split(labels, VALIDATION, TEST, SPLIT_SEED)
train_idx = train_idx[:LIMIT] if LIMIT else train_idx
val_idx = val_idx[:VALIDATION_LIMIT] if VALIDATION_LIMIT else val_idx
train_texts, y_train = [texts[i] for i in train_idx], labels[train_idx]
val_texts, y_val = [texts[i] for i in val_idx], labels[val_idx]
print(f"{{len(train_texts)}} training and {{len(val_texts)}} validation texts")'''


@dataclass(frozen=True)
class TableSource:
    """What the script's reader needs: the table's path, how kerminal's loader read it (the
    run's record of it, else the same resolution again, never a copy of its rules), and the
    columns it used."""

    path: Path
    how: TableFormat
    text: Hashable  # a column name, or a 1-based position when the table has no header row
    label: Hashable | None  # None for a per-class file
    numbered: bool  # no header row: columns are numbered from 1
    recorded: bool = True  # from the run's record (False: resolved at export time)


def _recorded_source(path: Path, reads: list[TableRead] | None) -> TableSource | None:
    """The run's record of how `path` was read; None when it has none for that file."""
    for r in reads or ():
        if os.path.abspath(r.file) == os.path.abspath(path):  # the run folder's copy has it absolute
            return TableSource(path=path, how=r.how, text=r.text, label=r.label, numbered=r.how.numbered)
    return None


def _table_source(exp: Experiment, reads: list[TableRead] | None = None) -> TableSource:
    """The run's table as its loader read it (the record), else read again as kerminal's
    loader reads it, and the columns it used."""
    from engine.data.table_columns import column, guess_label_column, guess_text_column
    from engine.data.table_read import read_table_format

    d = exp.data
    path = exp.resolve(d.path)
    recorded = _recorded_source(path, reads)
    if recorded is not None:
        return recorded
    frame, _notes, how = read_table_format(path, d.format, d.header, d.quotes, d.text, d.label)
    label = column(path, frame, d.label, "data.label") if d.label else None
    text = column(path, frame, d.text, "data.text") if d.text else guess_text_column(frame, exclude=(label,) if label is not None else ())
    if label is None:
        label = guess_label_column(frame, exclude=(text,))[0]
    numbered = all(isinstance(c, int) for c in frame.columns)
    return TableSource(path=path, how=how, text=text, label=label, numbered=numbered, recorded=False)


def _class_file_source(exp: Experiment, path: Path, reads: list[TableRead] | None) -> TableSource:
    """One per-class file as its loader read it (the record), else read again."""
    from engine.data.table_columns import column, guess_text_column
    from engine.data.table_read import read_table_format

    recorded = _recorded_source(path, reads)
    if recorded is not None:
        return recorded
    d = exp.data
    frame, _notes, how = read_table_format(path, d.format, d.header, d.quotes, d.text)
    text = column(path, frame, d.text, "data.text") if d.text else guess_text_column(frame)
    return TableSource(path=path, how=how, text=text, label=None, numbered=how.numbered, recorded=False)


# Said in the script when a table's format was resolved at export time, not recorded by the run.
_UNRECORDED = "# This run's folder has no record of how its data was read (a run by an older kerminal):\n# the format below was resolved from the file as it is now."


def _frame_read(t: TableSource) -> str:
    """pandas code that reads one table into `frame`, as kerminal did."""
    if t.how.kind == "parquet":
        read = f"frame = pd.read_parquet({str(t.path)!r})"
    else:
        read = "\n".join([
            f"READ_ARGS = {t.how.pandas_args()!r}  # as kerminal read it: {t.how.describe()}",
            f"data = open({str(t.path)!r}, 'rb').read().removeprefix(b'\\xef\\xbb\\xbf')  # a UTF-8 BOM is not text",
        ])
        if t.how.kind == "jsonl":
            read += "\nframe = pd.read_json(io.BytesIO(data), **READ_ARGS)"
        else:
            # kerminal ends rows at \n or \r\n only, and drops a line with too many fields
            read += "\nframe = pd.read_csv(io.BytesIO(data.replace(b'\\r\\n', b'\\n')), on_bad_lines='skip', **READ_ARGS)"
    if t.numbered:
        read += "\nframe.columns = range(1, frame.shape[1] + 1)  # no header row: columns by position"
    return read if t.recorded else f"{_UNRECORDED}\n{read}"


def _table_read(exp: Experiment, reads: list[TableRead] | None = None) -> str:
    """pandas code that reads the run's table as kerminal did, with the columns it used."""
    t = _table_source(exp, reads)
    return _frame_read(t) + f"\ntexts, labels = frame[{t.text!r}].fillna(''), class_of(frame[{t.label!r}].fillna(''))"


def _per_class_read(exp: Experiment, reads: list[TableRead] | None) -> str:
    """pandas code that reads each class's file as kerminal did; its rows are that class."""
    out = ["texts, labels = [], []"]
    for i, rel in enumerate(exp.data.files.values()):
        t = _class_file_source(exp, exp.data_file(rel), reads)
        out += [_frame_read(t), f"texts.append(frame[{t.text!r}].fillna(''))", f"labels.append(pd.Series([CLASS_NAMES[{i}]] * len(frame), dtype=object))"]
    out.append("texts, labels = pd.concat(texts, ignore_index=True), pd.concat(labels, ignore_index=True)")
    return "\n".join(out)
