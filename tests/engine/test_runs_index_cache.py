"""Issue 20: the runs folder's summary cache (engine.runs.index_cache) — a new process lists
ended runs from it, never over a changed file, a damaged or foreign cache, or a link."""

from __future__ import annotations

import json
import os
import time

import pytest

from engine.runs import RunIndex, index_cache, labels, store
from engine.runs import folder as F
from tests.engine.many_runs import many_run


@pytest.fixture
def runs(tmp_path):
    root = tmp_path / "runs"
    for i in range(1, 5):
        many_run(root, i, val_accuracy=0.8 + i / 100)
    return root


@pytest.fixture
def reads(monkeypatch):
    """The run folders read from their files (not from a cache)."""
    read: list[str] = []
    real = store.listed_info_meta
    monkeypatch.setattr(store, "listed_info_meta", lambda child: read.append(child.name) or real(child))
    return read


def as_rows(listed):
    return [(s.info, s.best, s.best_epoch, s.seconds) for s in listed]


def bump(path):
    """A later mtime, as an edit seconds later would leave."""
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))


def test_a_new_index_lists_ended_runs_from_the_cache_as_read(runs, reads):
    first = RunIndex(runs).list()
    assert (runs / index_cache.INDEX).is_file() and len(reads) == 4
    again = RunIndex(runs).list()
    assert len(reads) == 4  # nothing read again
    assert as_rows(again) == as_rows(first)
    assert store.RunStore(runs).list() == [s.info for s in first]  # the cache file is not a run


@pytest.mark.parametrize("changed", [F.METRICS, F.HISTORY, F.EXPERIMENT, labels.LABEL])
def test_a_changed_file_reads_its_run_again(runs, reads, changed):
    RunIndex(runs).list()
    run = runs / "20260101-000002-r"
    if changed == labels.LABEL:
        labels.rename(run, "the renamed one")
    else:
        bump(run / changed)
    listed = RunIndex(runs).list()
    assert reads[4:] == [run.name]
    if changed == labels.LABEL:
        assert [s.info.name for s in listed if s.id == run.name] == ["the renamed one"]


def test_a_deleted_run_leaves_the_cache(runs):
    RunIndex(runs).list()
    (runs / "20260101-000003-r" / F.METRICS).unlink()
    assert len(RunIndex(runs).list()) == 3
    assert "20260101-000003-r" not in json.loads((runs / index_cache.INDEX).read_text())["runs"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: "{not json",
        lambda raw: json.dumps({**raw, "kerminal_index": ["0"]}),  # another format
        lambda raw: json.dumps({**raw, "runs": []}),
        lambda raw: json.dumps({**raw, "runs": {k: {**v, "info": {**v["info"], "epochs": "3"}} for k, v in raw["runs"].items()}}),
        lambda raw: json.dumps({**raw, "runs": {k: {**v, "best": {"val_accuracy": True}} for k, v in raw["runs"].items()}}),
        lambda raw: json.dumps({**raw, "runs": {k: {**v, "stamp": 7} for k, v in raw["runs"].items()}}),
        lambda raw: json.dumps({**raw, "runs": {k: {"info": None} for k in raw["runs"]}}),
    ],
)
def test_a_damaged_or_foreign_cache_is_ignored_and_written_again(runs, reads, damage):
    first = RunIndex(runs).list()
    path = runs / index_cache.INDEX
    path.write_text(damage(json.loads(path.read_text())))
    assert as_rows(RunIndex(runs).list()) == as_rows(first) and len(reads) == 8
    assert as_rows(RunIndex(runs).list()) == as_rows(first) and len(reads) == 8  # the file is whole again


def test_a_cache_that_lies_is_not_trusted_over_a_changed_file(runs):
    RunIndex(runs).list()
    path = runs / index_cache.INDEX
    raw = json.loads(path.read_text())
    raw["runs"]["20260101-000001-r"]["info"]["name"] = "forged"
    path.write_text(json.dumps(raw))
    bump(runs / "20260101-000001-r" / F.METRICS)
    assert "forged" not in [s.info.name for s in RunIndex(runs).list()]


def test_a_link_or_another_users_cache_is_not_read(runs, reads, tmp_path, monkeypatch):
    RunIndex(runs).list()
    path = runs / index_cache.INDEX
    elsewhere = tmp_path / "elsewhere.json"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    RunIndex(runs).list()
    assert len(reads) == 8 and not path.is_symlink()  # replaced, not written through
    assert json.loads(elsewhere.read_text())["runs"]  # the link's target is as it was
    real = os.geteuid()
    monkeypatch.setattr(index_cache.os, "geteuid", lambda: real + 1)
    RunIndex(runs).list()
    assert len(reads) == 12


def test_a_live_run_is_read_every_time_never_from_the_cache(runs, reads):
    many_run(runs, 9, status="running")  # no lock file, no pid: the file is believed, each time
    listed = RunIndex(runs).list()
    assert [s.info.status for s in listed if s.id.endswith("000009-r")] == ["running"]
    assert "20260101-000009-r" not in json.loads((runs / index_cache.INDEX).read_text())["runs"]
    RunIndex(runs).list()
    assert reads.count("20260101-000009-r") == 2


def test_a_listing_that_cannot_write_the_cache_still_lists(runs, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("engine.experiment.atomic_write_text", refuse)
    assert len(RunIndex(runs).list()) == 4 and not (runs / index_cache.INDEX).exists()


def test_a_run_whose_lock_says_it_is_gone_is_not_persisted(runs, reads):
    """Its file says running, its free lock says interrupted: a status of the moment."""
    run = many_run(runs, 9, status="running")
    (run / "lock").write_bytes(b"")
    assert [s.info.status for s in RunIndex(runs).list() if s.id == run.name] == ["interrupted"]
    assert run.name not in json.loads((runs / index_cache.INDEX).read_text())["runs"]


@pytest.mark.parametrize("changed", [F.METRICS, F.EXPERIMENT])
def test_a_run_read_again_keeps_its_experiment_while_experiment_toml_is_unchanged(runs, changed, monkeypatch):
    """An epoch ended (metrics.json changed): the run's summary is new, its experiment is the
    one already read; `more` changed experiment.toml: it is read again (on first use)."""
    from engine.runs import query

    index = RunIndex(runs)
    for s in index.list():
        assert s.experiment is not None
    parsed: list[str] = []
    real = query._read_experiment
    monkeypatch.setattr(query, "_read_experiment", lambda info: parsed.append(info.id) or real(info))
    run = runs / "20260101-000002-r"
    bump(run / changed)
    listed = {s.id: s for s in index.list()}
    assert listed[run.name].experiment_read is (changed == F.METRICS)
    assert listed[run.name].experiment is not None and parsed == ([] if changed == F.METRICS else [run.name])
