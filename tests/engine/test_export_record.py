"""Issue 19: the run records how its loader read the data (format, delimiter, header,
quoting, columns) in data_format.json, once, and the exported script reads with that
record, not with what sniffing the file says at export time. A record from a hostile
folder is capped and validated; a damaged one is a clear error, a missing one (a run by an
older kerminal) falls back to resolving the file again, said in the script."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.data import load_dataset
from engine.data.table_format import TableFormat, TableRead, from_record, record
from engine.errors import KerminalError
from engine.experiment import save
from engine.export import export_options, export_script
from engine.layers.presets import get_preset
from engine.runs import folder as F
from engine.runs.writer import RunWriter
from tests.engine.hand_made_runs import hand_made_run
from tests.engine.test_export_data import _rows, _script_data

UCI = TableFormat("delimited", "\t", header=False, quotes=False)


def uci_file(tmp_path: Path) -> Path:
    path = tmp_path / "SMSSpamCollection"
    path.write_text("".join(f"{label}\t{text}\n" for label, text in _rows()), encoding="utf-8")
    return path


def csv_experiment(path: Path) -> Any:
    exp = get_preset("sms-ngram")
    exp.data.path = str(path)
    return exp


def run_of(tmp_path: Path, exp: Any, read_as: dict[str, Any] | None) -> Path:
    """A finished run folder of `exp` (no training), with `read_as` as its record."""
    run = hand_made_run(tmp_path / "runs", "r1", "sms", class_names=("ham", "spam"))
    save(exp, run / F.EXPERIMENT)
    if read_as is not None:
        (run / F.DATA_FORMAT).write_text(json.dumps(read_as), encoding="utf-8")
    return run


def test_the_loader_records_what_it_resolved(tmp_path):
    path = uci_file(tmp_path)
    ds = load_dataset(csv_experiment(path))
    assert ds.read_as == record("csv", [TableRead(str(path), UCI, text=2, label=1)])
    assert from_record(json.loads(json.dumps(ds.read_as))) == ("csv", [TableRead(str(path), UCI, 2, 1)])


def test_per_class_records_each_file_and_its_class(tmp_path):
    for name in ("fake", "true"):
        (tmp_path / f"{name}.csv").write_text("title,text\n" + "".join(f"t{i},{name} story {i} is long\n" for i in range(8)), encoding="utf-8")
    exp = csv_experiment(tmp_path / "x")
    exp.data.source, exp.data.path, exp.data.files = "per-class", "", {"fake": "fake.csv", "true": "true.csv"}
    exp.base_dir = tmp_path
    _source, reads = from_record(load_dataset(exp).read_as)
    assert [(r.class_name, Path(r.file).name, r.text, r.how) for r in reads] == [("fake", "fake.csv", "text", TableFormat("delimited")), ("true", "true.csv", "text", TableFormat("delimited"))]


def test_sources_without_tables_record_nothing():
    assert load_dataset(get_preset("sample-gru")).read_as == {}


def test_the_writer_keeps_the_first_record(tmp_path):
    exp = get_preset("sms-ngram")
    writer = RunWriter.create(tmp_path, exp)
    try:
        writer.data_format({})
        assert not (writer.path / F.DATA_FORMAT).exists()  # a source without tables: no file
        first = record("csv", [TableRead("/d/a.tsv", UCI, 2, 1)])
        writer.data_format(first)
        writer.data_format(record("csv", [TableRead("/d/a.tsv", TableFormat("delimited"), "text", "label")]))  # a continued run
        assert json.loads((writer.path / F.DATA_FORMAT).read_text()) == first
    finally:
        writer.close()


def test_the_script_reads_as_the_run_recorded_not_as_sniffing_says_now(tmp_path):
    path = uci_file(tmp_path)
    exp = csv_experiment(path)
    recorded = record("csv", [TableRead(str(path), TableFormat("delimited", "\t", header=False, quotes=True), 2, 1)])
    text = export_script(run_of(tmp_path, exp, recorded), tmp_path / "train.py").read_text()
    assert "'quoting': 0" in text and "older kerminal" not in text  # QUOTE_MINIMAL, as recorded; sniffing says QUOTE_NONE
    older = export_script(run_of(tmp_path / "old", exp, None), tmp_path / "old.py").read_text()
    assert "'quoting': 3" in older and "older kerminal" in older


def test_a_recorded_run_reproduces_the_loaders_rows(tmp_path):
    path = uci_file(tmp_path)
    exp = csv_experiment(path)
    ds = load_dataset(exp)
    _source, reads = from_record(ds.read_as)
    got = _script_data(exp, ds.class_names, reads)
    assert got["train_texts"] == ds.train.texts and got["y_train"].tolist() == ds.train.labels.tolist()
    assert got["val_texts"] == ds.validation.texts and got["y_val"].tolist() == ds.validation.labels.tolist()


# ---- a hostile record ------------------------------------------------------------------------

GOOD = record("csv", [TableRead("/data/sms.tsv", UCI, 2, 1)])


def spoiled(key: str, value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(GOOD))
    out["tables"][0][key] = value
    return out


@pytest.mark.parametrize("bad", [
    spoiled("sep", "x"), spoiled("sep", "\t\t"), spoiled("format", "exe"), spoiled("header", "yes"), spoiled("quotes", None),
    spoiled("text", -1), spoiled("text", True), spoiled("text", 0), spoiled("label", 2.5), spoiled("file", 7), spoiled("file", "x" * 5000),
    {**GOOD, "kerminal_data_format": 2}, {**GOOD, "kerminal_data_format": True}, {**GOOD, "tables": {"a": 1}}, {**GOOD, "tables": [1]}, [GOOD], "csv",
])
def test_a_malformed_record_is_refused_naming_the_field(bad):
    with pytest.raises(ValueError):
        from_record(bad)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10))
@settings(max_examples=200, deadline=None)
def test_any_json_is_a_record_or_a_value_error(raw):
    try:
        from_record(raw)
    except ValueError:
        return


@pytest.mark.parametrize("plant", ["junk", "link", "fifo", "huge", "shape"])
def test_a_damaged_record_is_a_clear_error_and_no_script_is_offered(tmp_path, plant):
    path = uci_file(tmp_path)
    run = run_of(tmp_path, csv_experiment(path), None)
    file = run / F.DATA_FORMAT
    if plant == "junk":
        file.write_bytes(b"\x00{not json")
    elif plant == "link":
        os.symlink(tmp_path / "elsewhere.json", file)
    elif plant == "fifo":
        os.mkfifo(file)
    elif plant == "huge":
        file.write_bytes(b" " * (4 * 1024 * 1024 + 1))
    else:
        file.write_text(json.dumps(spoiled("sep", "x")))
    with pytest.raises(KerminalError) as info:
        export_script(run, tmp_path / "train.py")
    assert "data_format.json" in info.value.problem and "Delete data_format.json" in info.value.fix
    assert not (tmp_path / "train.py").exists()
    options = {o.kind: o for o in export_options(run)}
    assert not options["script"].allowed and "data_format.json" in options["script"].reason
    assert options["saved_model"].allowed
