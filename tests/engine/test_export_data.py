"""The exported script reads the data as kerminal's loader did (the loader's own resolved
format, delimiter, header and quoting, not a copy of its rules): exec'ing just the script's
data part yields exactly kerminal's training and validation rows. And the exports a run
allows, with the reason for the others."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from engine.data import load_dataset
from engine.data.table_format import TableFormat
from engine.data.table_read import read_table_format
from engine.experiment import save
from engine.export import export_options, script_text
from engine.layers.presets import get_preset
from tests.engine.hand_made_runs import hand_made_run

HAM = ['He said "hi', "ok lar... joking wif u oni", 'see you at 5, "maybe', "call me when you're home", "what's for dinner?", 'i\'m "fine"']
SPAM = ['WINNER "free prize', "URGENT! call 09061701461 now", "txt WIN to 80086 for cash", 'claim your "reward today', "free entry, reply YES", "you won £900"]


def _rows(n: int = 60) -> list[tuple[str, str]]:
    return [("spam", f"{SPAM[i % len(SPAM)]} {i}") if i % 3 == 0 else ("ham", f"{HAM[i % len(HAM)]} {i}") for i in range(n)]


def _experiment(path: Path) -> Any:
    exp = get_preset("sms-ngram")
    exp.data.path = str(path)
    return exp


def _script_data(exp: Any, class_names: list[str], reads: Any = None) -> dict[str, Any]:
    """Run only the script's imports and data part; its variables."""
    text = script_text(exp, class_names, reads=reads)
    start, end = text.index("import io\n"), text.index("# ---- vectorize")
    namespace: dict[str, Any] = {}
    exec(compile(text[start:end], "<exported data>", "exec"), namespace)  # noqa: S102  (our own script)
    return namespace


def _same_rows(exp: Any) -> None:
    ds = load_dataset(exp)
    got = _script_data(exp, ds.class_names)
    assert got["train_texts"] == ds.train.texts
    assert got["y_train"].tolist() == ds.train.labels.tolist()
    assert got["val_texts"] == ds.validation.texts
    assert got["y_val"].tolist() == ds.validation.labels.tolist()


def test_a_uci_sms_file_without_extension_and_with_stray_quotes(tmp_path):
    path = tmp_path / "SMSSpamCollection"
    path.write_text("".join(f"{label}\t{text}\n" for label, text in _rows()), encoding="utf-8")
    _frame, _notes, how = read_table_format(path)
    assert how == TableFormat("delimited", "\t", header=False, quotes=False)
    exp = _experiment(path)
    text = script_text(exp, ["ham", "spam"])
    assert "'sep': '\\t'" in text and "'quoting': 3" in text and "'header': None" in text  # QUOTE_NONE, as the loader sniffed
    _same_rows(exp)


def test_a_tsv_with_a_header_bom_and_crlf(tmp_path):
    path = tmp_path / "messages.tsv"
    body = "label\tmessage\r\n" + "".join(f"{label}\t{text}\r\n" for label, text in _rows())
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    _same_rows(_experiment(path))


def test_a_csv_with_quoted_line_breaks(tmp_path):
    path = tmp_path / "messages.csv"
    pd.DataFrame([{"text": t.replace(" ", "\n", 1), "label": lab} for lab, t in _rows()]).to_csv(path, index=False)
    _same_rows(_experiment(path))


def test_json_lines(tmp_path):
    path = tmp_path / "messages.jsonl"
    path.write_text("".join(json.dumps({"text": t, "label": lab}) + "\n" for lab, t in _rows()), encoding="utf-8")
    _same_rows(_experiment(path))


def test_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "messages.parquet"
    pd.DataFrame([{"label": lab, "text": t} for lab, t in _rows()]).to_parquet(path)
    _same_rows(_experiment(path))


# ---- which exports a run allows ------------------------------------------------------------


def test_a_csv_run_allows_a_script_and_a_saved_model(tmp_path):
    run = hand_made_run(tmp_path, "r1", "ngram")
    options = {o.kind: o for o in export_options(run)}
    assert options["script"].allowed and options["saved_model"].allowed
    assert options["onnx"].allowed or "pip install" in options["onnx"].reason


def test_a_folder_run_allows_no_script_and_says_why(tmp_path):
    run = hand_made_run(tmp_path, "r1", "folders")
    exp = get_preset("sms-ngram")
    exp.data.source = "folder"
    exp.data.path = "reviews"
    save(exp, run / "experiment.toml")
    options = {o.kind: o for o in export_options(run)}
    assert not options["script"].allowed and "'folder'" in options["script"].reason and "saved_model" in options["script"].reason
    assert options["saved_model"].allowed


def test_a_failed_run_allows_nothing(tmp_path):
    run = hand_made_run(tmp_path, "r1", "failed")
    meta = json.loads((run / "metrics.json").read_text())
    (run / "metrics.json").write_text(json.dumps({**meta, "status": "failed"}))
    options = export_options(run)
    assert options and not any(o.allowed for o in options)
    assert all("failed" in o.reason for o in options)
