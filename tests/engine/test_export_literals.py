"""Issue 18, finding 1: nothing from a run (its name, folder, labels, columns, data path)
becomes code in an exported script.

The run folders here are written by hand (an experiment, a metrics.json and an empty
best.keras): export_script reads no model, so no training is needed.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.data.table_format import TableFormat
from engine.errors import RunError
from engine.export import export_script, script_text
from engine.export_data import TableSource
from engine.terminal_text import printable
from tests.engine.hand_made_runs import hand_made_run
from tests.engine.test_export import small

INJECTED = '"""\nimport os; os.system("touch MARKER")\n"""'


def stops_at_first_import(tmp_path: Path) -> dict:
    """An environment in which `import numpy` ends the script at once (exit 0): what an
    exported script runs before its imports is all that runs, in well under a second."""
    stubs = tmp_path / "stubs"
    stubs.mkdir(exist_ok=True)
    (stubs / "numpy.py").write_text("raise SystemExit(0)\n")
    return {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(stubs)}


@pytest.mark.parametrize("where", ["name", "folder"])
def test_a_name_or_folder_with_triple_quotes_and_code_runs_nothing(where, tmp_path):
    name = f"x{INJECTED}" if where == "name" else "plain"
    folder = f"20260101-000000-x{INJECTED}" if where == "folder" else "20260101-000000-plain"
    run = hand_made_run(tmp_path / "runs", folder, name)
    script = tmp_path / "s.py"
    assert main(["export", str(run), "--script", str(script)]) == 0
    ast.parse(script.read_bytes())
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run([sys.executable, str(script)], cwd=work, env=stops_at_first_import(tmp_path), capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert not (work / "MARKER").exists()


def test_a_name_with_backslash_escapes_exports_a_script_that_parses(tmp_path):
    run = hand_made_run(tmp_path / "runs", "20260101-000000-win", "C:\\Names\\x01\\N\x01\u202e\r\u2028")
    script = export_script(run, tmp_path / "s.py")
    ast.parse(script.read_bytes())
    text = script.read_text(encoding="utf-8")
    assert "\\Names" in text  # the name is still there, for a reader


def test_the_first_two_lines_never_hold_a_name(tmp_path):
    """Python reads an encoding declaration (`# coding: utf-7`) from the first two lines."""
    plain = export_script(hand_made_run(tmp_path / "runs", "20260101-000000-a", "a"), tmp_path / "a.py").read_text(encoding="utf-8")
    sly = export_script(hand_made_run(tmp_path / "runs", "20260101-000000-b", "# -*- coding: utf-7 -*-"), tmp_path / "b.py").read_text(encoding="utf-8")
    assert plain.splitlines()[:2] == sly.splitlines()[:2]


def test_export_never_writes_a_script_that_does_not_parse(tmp_path, capsys):
    run = hand_made_run(tmp_path / "runs", "20260101-000000-a", "a")
    out = tmp_path / "s.py"
    with mock.patch("engine.export.script_text", return_value="def broken(:\n"):
        with pytest.raises(RunError) as info:
            export_script(run, out)
        assert "not valid Python" in info.value.problem and info.value.fix
        assert not out.exists()
        assert main(["export", str(run), "--script", str(out)]) == 1
    assert "not valid Python" in capsys.readouterr().err and not out.exists()


# ---- the property: any strings, the same program -------------------------------------------


def shape(source: str) -> str:
    """The script's AST with every string constant replaced: its program, without its data."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = "S"
    return ast.dump(tree)


def csv_script(name: str, labels: list[str], text_col: str, label_col: str, data_path: str, run: str) -> str:
    exp = small("imdb-ngram")
    exp.name = name
    exp.data.source = "csv"
    table = TableSource(path=Path(data_path), how=TableFormat("delimited"), text=text_col, label=label_col, numbered=False)
    with mock.patch("engine.export_data._table_source", return_value=table):
        return script_text(exp, labels, source_run=Path(run))


PLAIN = shape(csv_script("plain", ["a", "b"], "text", "label", "data.csv", "runs/r"))
# Every code point (lone surrogates included), and often the ones that break out of a literal.
SHARP = st.sampled_from(list("\"'\\\n\r\x00\x01\x1b\x85\u2028\u2029\u202e\u2066{}#N"))
ANY_TEXT = st.text(st.one_of(st.characters(exclude_categories=()), SHARP), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=ANY_TEXT, labels=st.lists(ANY_TEXT, min_size=2, max_size=2), text_col=ANY_TEXT, label_col=ANY_TEXT, data_path=ANY_TEXT, run=ANY_TEXT)
def test_any_strings_give_the_same_program(name, labels, text_col, label_col, data_path, run):
    text = csv_script(name, labels, text_col, label_col, data_path, run)
    text.encode("utf-8")  # writable as UTF-8 (no lone surrogate left raw)
    assert shape(text) == PLAIN
    for line in text.split("\n"):
        assert printable(line) == line, line  # no control, line-separator or bidi character anywhere
