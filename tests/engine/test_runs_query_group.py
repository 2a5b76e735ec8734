"""Grouping runs by a setting (`kerminal runs --group`, `g` in the Runs pane) and completing
a filter expression from the declarations (the Runs pane's `/` line)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from engine.cli import main
from engine.runs import RunIndex, check_group, complete, group_fields, group_runs, labels, term_start
from engine.runs.query import QueryError
from tests.engine.many_runs import four_runs, short_ids


@pytest.fixture
def runs(tmp_path):
    return four_runs(tmp_path / "runs")


ids = short_ids


def test_groups_come_in_numeric_order_and_keep_the_runs_order(runs):
    listed = RunIndex(runs).list()  # newest first
    groups = group_runs(listed, "compile.learning_rate")
    assert [g.value for g in groups] == [3e-4, 1e-3, 1e-2]  # numerically, not as text ("0.0003" < "0.001" < "0.01" by luck; 1e-2 would not be)
    assert [ids(g.runs) for g in groups] == [["000004", "000001"], ["000002"], ["000003"]]
    assert groups[0].best("val_accuracy") == (0.9, "20260101-000001-r") and groups[0].best("val_loss") == (0.5, "20260101-000004-r")
    assert groups[0].heading("compile.learning_rate", "val_accuracy") == "compile.learning_rate = 0.0003 · 2 runs · best val_accuracy 0.9000"
    assert groups[1].heading("compile.learning_rate") == "compile.learning_rate = 0.001 · 1 run"
    assert [g.text for g in group_runs(listed, "vectorize.kind")] == ["ngrams", "words"]
    assert [g.text for g in group_runs(listed, "status")] == ["failed", "finished"]


def test_runs_without_the_value_come_last_and_tags_group_as_given(runs):
    listed = RunIndex(runs).list()
    [run2] = [s for s in listed if s.id.endswith("000002-r")]
    labels.tag(run2.info.path, ["baseline"])
    listed = RunIndex(runs).list()
    assert [(g.text, ids(g.runs)) for g in group_runs(listed, "tags")] == [("baseline", ["000002"]), ("(none)", ["000004", "000003", "000001"])]
    groups = group_runs(listed, "layers.1.output_dim")  # only the words run has an Embedding first
    assert [(g.text, ids(g.runs)) for g in groups] == [("8", ["000002"]), ("(none)", ["000004", "000003", "000001"])]


def test_a_metric_or_a_field_every_run_has_its_own_is_no_grouping():
    for path, says in (("best.val_accuracy", "is a metric"), ("date", "is the date"), ("id", "is the id")):
        with pytest.raises(QueryError, match=says) as caught:
            check_group(path)
        assert "Sort by it instead" in caught.value.fix
    with pytest.raises(QueryError, match="not a setting"):
        check_group("compile.learning")
    check_group("compile.learning_rate")
    check_group("layers.2.units")
    fields = group_fields([])
    assert fields[:3] == ["name", "experiment", "tags"] and "compile.learning_rate" in fields
    assert not [f for f in fields if f.startswith("best.") or f in ("id", "date", "time")]


def test_completion_offers_paths_then_the_declared_or_held_values(runs):
    listed = RunIndex(runs).list()
    assert complete("compile.le", listed) == ["compile.learning_rate"]
    assert complete("vectorize.kind=", listed) == ["vectorize.kind=words", "vectorize.kind=chars", "vectorize.kind=ngrams"]  # declared, not only those held
    assert complete("status=finished vectorize.kind=n", listed) == ["status=finished vectorize.kind=ngrams"]
    assert complete("compile.learning_rate<", listed) == [f"compile.learning_rate<{v}" for v in ("0.0003", "0.001", "0.01")]  # held, numerically
    assert complete("b", listed)[:2] == ["best.val_accuracy", "best.val_loss"]  # the metrics the runs have, validation first
    assert complete("vectorize.kind", listed) == ["vectorize.kind=words"]  # a whole field: its first value
    assert complete("data.split.merge_test=", listed) == ["data.split.merge_test=true", "data.split.merge_test=false"]
    assert "layers.1.output_dim" in complete("layers.1.", listed)  # the runs' own layers, from the registry
    assert complete("", listed) == complete("x=1 ", listed) == complete("nothing.here=", listed) == complete("best.val_loss<", listed) == []
    assert term_start("status=finished vectorize.k") == 16 and term_start("status=finished vectorize.kind=w") == 31


def test_completion_quotes_values_with_spaces_and_lazy_reads_nothing(runs):
    listed = RunIndex(runs).list()
    [run2] = [s for s in listed if s.id.endswith("000002-r")]
    labels.rename(run2.info.path, "words baseline")
    listed = RunIndex(runs).list()
    assert complete("name=words", listed) == ['name="words baseline"']
    fresh = RunIndex(runs).list()
    assert complete("compile.learning_rate=", fresh, lazy=True) == []  # no experiment read yet: no file is read for a keystroke
    assert not any(s.experiment_read for s in fresh)


def test_cli_group_in_text_json_and_csv(runs, capsys):
    assert main(["runs", "--runs-dir", str(runs), "--group", "compile.learning_rate", "--sort", "best.val_accuracy", "--desc"]) == 0
    out = capsys.readouterr().out.splitlines()
    headings = [line for line in out if line.startswith("compile.learning_rate = ")]
    assert headings == ["compile.learning_rate = 0.0003 · 2 runs · best val_accuracy 0.9000", "compile.learning_rate = 0.001 · 1 run · best val_accuracy 0.8000", "compile.learning_rate = 0.01 · 1 run · best val_accuracy 0.8600"]
    assert out.index(headings[0]) == 1 and out[out.index(headings[0]) + 1].startswith("20260101-000001-r")  # the sort holds inside a group
    assert main(["runs", "--runs-dir", str(runs), "--group", "vectorize.kind", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["group"]["value"], r["id"][-8:-2]) for r in rows] == [("ngrams", "000004"), ("ngrams", "000003"), ("ngrams", "000001"), ("words", "000002")]
    assert rows[0]["group"]["by"] == "vectorize.kind"
    assert main(["runs", "--runs-dir", str(runs), "--group", "status", "--csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["group"], r["run"][-8:-2]) for r in table] == [("failed", "000004"), ("finished", "000003"), ("finished", "000002"), ("finished", "000001")]


def test_cli_group_by_a_metric_says_sort_instead(runs, capsys):
    assert main(["runs", "--runs-dir", str(runs), "--group", "best.val_accuracy"]) == 1
    err = capsys.readouterr().err
    assert "--group: best.val_accuracy is a metric" in err and "--sort best.val_accuracy" in err
