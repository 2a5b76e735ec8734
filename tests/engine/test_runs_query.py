"""Issue 20: many runs at once without a UI — the filter over settings and metrics (typed by
the declarations, errors that point at the column), the sort (runs without the value last),
the settings that differ, the cached listing, and `kerminal runs --sort/--filter/--json/--csv`."""

from __future__ import annotations

import csv
import io
import json
import os
import time

import pytest

from engine.cli import main
from engine.runs import RunIndex, differing_paths, parse_filter, sort_runs
from engine.runs import folder as F
from engine.runs.query import QueryError
from tests.engine.many_runs import four_runs, many_run, many_runs, short_ids


@pytest.fixture
def runs(tmp_path):
    return four_runs(tmp_path / "runs")


ids = short_ids


def test_terms_over_settings_metrics_and_run_fields_are_anded(runs):
    listed = RunIndex(runs).list()
    assert ids(listed) == ["000004", "000003", "000002", "000001"]  # newest first
    expr = "compile.learning_rate<0.01 vectorize.kind=ngrams best.val_accuracy>0.85 status=finished"
    assert ids(parse_filter(expr).apply(listed)) == ["000001"]
    assert ids(parse_filter("vectorize.kind!=ngrams").apply(listed)) == ["000002"]
    assert ids(parse_filter("experiment~RUN3").apply(listed)) == ["000003"]  # ~ contains, any case
    assert ids(parse_filter("layers.1.type=Embedding layers.1.output_dim>=8").apply(listed)) == ["000002"]
    assert ids(parse_filter("layers.3.units=1").apply(listed)) == ["000002"]  # no third layer: no match
    assert ids(parse_filter('status="failed"').apply(listed)) == ["000004"]
    assert len(parse_filter("").apply(listed)) == 4 and not parse_filter("  ")


def test_best_is_the_best_of_the_history_not_the_last_epoch(runs):
    (run1,) = [s for s in RunIndex(runs).list() if s.id.endswith("000001-r")]
    assert run1.best["val_accuracy"] == 0.9 and run1.best_epoch["val_accuracy"] == 2  # the highest
    assert run1.best["val_loss"] == 0.5 and run1.best_epoch["val_loss"] == 3  # the lowest
    assert run1.seconds == 60.0 and run1.value("time") == 60.0


@pytest.mark.parametrize(
    ("expr", "column", "says"),
    [
        ("status=finished compile.learnin_rate<1", 16, "Did you mean 'compile.learning_rate'?"),
        ("epoch>3", 0, "Did you mean 'epochs'?"),
        ("vectorize.kind=ngram", 15, "Did you mean 'ngrams'?"),
        ("best.val_acurracy>0.8", 0, "Did you mean 'best.val_accuracy'?"),
        ("compile.learning_rate<fast", 22, "is not a number"),
        ("vectorize.kind<3", 14, "= != or ~"),
        ("status=finished   oops", 18, "has no operator"),
        ("status=done", 7, "is not one of"),
        ("layers.x.units=3", 0, "layers.N.PARAM"),
    ],
)
def test_a_bad_term_points_at_its_column_and_lists_the_paths(runs, expr, column, says):
    with pytest.raises(QueryError) as caught:
        parse_filter(expr, metrics=["loss", "val_accuracy"])
    exc = caught.value
    assert exc.column == column
    assert says in f"{exc.problem} {exc.fix}"
    assert exc.pointer("").splitlines() == [expr, " " * column + "^"]


def test_an_unknown_path_lists_the_valid_ones_as_spec_does():
    with pytest.raises(QueryError) as caught:
        parse_filter("compile.momentum>0")
    assert "compile.learning_rate" in caught.value.fix and "best.METRIC" in caught.value.fix


def test_none_is_the_unset_learning_rate(runs):
    path = many_run(runs, 5, lr=1e-3)
    text = (path / F.EXPERIMENT).read_text()
    (path / F.EXPERIMENT).write_text("\n".join(line for line in text.splitlines() if not line.startswith("learning_rate")))
    listed = RunIndex(runs).list()
    assert ids(parse_filter("compile.learning_rate=none").apply(listed)) == ["000005"]
    assert "000005" not in ids(parse_filter("compile.learning_rate<1").apply(listed))


def test_sort_by_a_metric_epochs_time_date_puts_runs_without_the_value_last(runs):
    many_run(runs, 6, val_accuracy=0.99)
    (runs / "20260101-000006-r" / F.HISTORY).unlink()  # no history: no best value
    listed = RunIndex(runs).list()
    assert ids(sort_runs(listed, "best.val_accuracy", desc=True)) == ["000001", "000003", "000002", "000004", "000006"]
    assert ids(sort_runs(listed, "best.val_accuracy")) == ["000004", "000002", "000003", "000001", "000006"]
    assert ids(sort_runs(listed, "time", desc=True))[0] == "000006"  # updated at minute 6
    assert len(sort_runs(listed, "epochs")) == len(sort_runs(listed, "date")) == 5


def test_differing_paths_are_the_settings_that_differ_among_the_runs(runs):
    listed = RunIndex(runs).list()
    ngram_runs = [s for s in listed if s.value("vectorize.kind") == "ngrams"]
    assert differing_paths(ngram_runs) == ["compile.learning_rate"]
    both = differing_paths(listed)
    assert both[0] == "vectorize.kind" and "compile.learning_rate" in both and "layers.1.type" in both
    assert "name" not in both  # names tell runs apart; they are not settings
    assert differing_paths(listed[:1]) == []


def test_an_unreadable_experiment_matches_no_setting_and_says_why(runs):
    (runs / "20260101-000002-r" / F.EXPERIMENT).write_text("[vectorize]\nkind = 3\n")
    listed = RunIndex(runs).list()
    (bad,) = [s for s in listed if s.id.endswith("000002-r")]
    assert bad.experiment is None and bad.why.startswith("experiment.toml:")
    assert "000002" not in ids(parse_filter("vectorize.kind~").apply(listed))
    assert ids(parse_filter("best.val_accuracy<0.85").apply(listed)) == ["000004", "000002"]  # metrics still filter


def test_the_listing_reads_a_run_again_only_when_its_metrics_json_changed(runs, monkeypatch):
    from engine.runs import store

    index = RunIndex(runs)
    index.list()
    read = []
    real = store.listed_info_meta
    monkeypatch.setattr(store, "listed_info_meta", lambda child: read.append(child.name) or real(child))
    assert len(index.list()) == 4 and read == []
    meta = runs / "20260101-000003-r" / F.METRICS
    meta.write_text(meta.read_text().replace('"epochs": 3', '"epochs": 2'))
    os.utime(meta, ns=(time.time_ns(), time.time_ns() + 10**9))
    listed = index.list()
    assert read == ["20260101-000003-r"] and [s.info.epochs for s in listed if s.id.endswith("000003-r")] == [2]
    many_run(runs, 7)
    assert len(index.list()) == 5 and read[-1] == "20260101-000007-r"


def test_five_hundred_runs_list_quickly_once_read(tmp_path):
    """The Runs pane lists a 500-run folder again every few seconds: from the cache."""
    root = tmp_path / "runs"
    many_runs(root, 500)
    index = RunIndex(root)
    assert len(index.list()) == 500
    start = time.perf_counter()
    listed = index.list()
    assert time.perf_counter() - start < 0.5
    assert len(parse_filter("best.val_accuracy>0.7").apply(listed)) == 99


def test_cli_filter_sort_json_and_csv(runs, capsys):
    assert main(["runs", "--runs-dir", str(runs), "--filter", "vectorize.kind=ngrams status=finished", "--sort", "best.val_accuracy", "--desc", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"][-8:-2] for r in rows] == ["000001", "000003"]
    assert rows[0]["best_metrics"]["val_accuracy"] == {"value": 0.9, "epoch": 2} and rows[0]["seconds"] == 60.0
    assert main(["runs", "--runs-dir", str(runs), "--sort", "best.val_accuracy", "--csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["run"][-8:-2] for r in table] == ["000004", "000002", "000003", "000001"]
    assert table[0]["best.val_accuracy"] == "0.7" and table[0]["compile.learning_rate"] == "0.0003" and table[1]["vectorize.kind"] == "words"
    assert main(["runs", "--runs-dir", str(runs), "--filter", "compile.learning_rate<0.005", "--sort", "best.val_accuracy"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "best.val_accuracy" in out[0] and "compile.learning_rate" in out[0] and len(out) == 4


def test_cli_bad_filter_points_at_the_column(runs, capsys):
    assert main(["runs", "--runs-dir", str(runs), "--filter", "status=finished best.val_acc>0.8"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[1:3] == ["  status=finished best.val_acc>0.8", "  " + " " * 16 + "^"]
    assert "Did you mean 'best.val_accuracy'?" in err[3]
    assert main(["runs", "--runs-dir", str(runs), "--sort", "epoch", "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["column"] == 0 and "'epochs'" in captured.err
    assert main(["runs", "--runs-dir", str(runs), "--filter", "name=nothing"]) == 0
    assert "match" in capsys.readouterr().out


def test_names_tags_and_notes_the_user_gave_are_filterable(runs):
    from engine.runs import labels

    [run2] = [p for p in runs.iterdir() if "000002" in p.name]
    labels.rename(run2, "words baseline")
    labels.tag(run2, ["baseline", "good"])
    labels.set_note(run2, "the one to beat")
    listed = RunIndex(runs).list()
    assert ids(parse_filter("name~baseline").apply(listed)) == ["000002"]
    assert ids(parse_filter("tags~good").apply(listed)) == ["000002"]
    assert ids(parse_filter('note~"to beat"').apply(listed)) == ["000002"]
    assert ids(parse_filter("tags~good experiment=run3").apply(listed)) == []
