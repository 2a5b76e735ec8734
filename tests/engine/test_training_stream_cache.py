"""Streamed data and the prepared-data cache (issue 21): the adapted vectorizer and the
memory-mapped ids of a streamed run are cache entries, so a second run on the same file
neither adapts nor vectorizes; the run says so, and says how far it got while preparing;
`--no-cache`, a full disk or a file that changed fall back or rebuild."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest

from engine.prepared import PreparedCache
from engine.runs import events as ev
from engine.training import Trainer
from tests.engine.test_training_stream import experiment, write_reviews

pytestmark = pytest.mark.slow


def _run(exp, runs: Path, cache: PreparedCache | None):
    from engine.data import load_dataset

    phases: list[str] = []
    ds = cache.load_dataset(phases.append) if cache is not None else load_dataset(exp, phases.append)
    trainer = Trainer(exp, ds, runs, steer=False, on_phase=phases.append, prepared=cache)
    result = trainer.run()
    (started,) = [e for e in result.events if isinstance(e, ev.Started)]
    return trainer, result, started.pipeline, phases


def _steps(phases: list[str]) -> list[str]:
    from engine.progress import step_of

    return list(dict.fromkeys(step_of(p) for p in phases))


@pytest.mark.parametrize("kind", ["words", "chars"])
def test_a_second_streamed_run_neither_adapts_nor_vectorizes(tmp_path, kind, capsys):
    exp = experiment(write_reviews(tmp_path / "r.csv", 200), kind)
    exp.fit.epochs = 1
    first, result, said, phases = _run(exp, tmp_path / "runs", PreparedCache(exp))
    assert result.status == "finished"
    assert "data not cached (streamed" in said and "vectorizer not cached yet, cached" in said and "ids not cached yet, cached" in said, said
    # what it did and how far, in order: rows read, the adapt pass, the ids written n/total
    steps = _steps(phases)
    adapt = "making the vectorizer" if kind == "chars" else "adapting the vectorizer to texts"
    assert steps.index("reading r.csv rows") < steps.index(adapt) < steps.index("writing ids")
    rows = len(first.dataset.train) + len(first.dataset.validation)
    assert phases[[p.startswith("writing ids") for p in phases].index(True)].startswith("writing ids ")
    assert f"writing ids {rows:,}/{rows:,}" in phases
    assert not (result.run_dir / "stream-ids").exists()  # the ids are the cache's entry

    second, result2, said2, phases2 = _run(exp, tmp_path / "runs", PreparedCache(exp))
    assert result2.status == "finished"
    assert "vectorizer from the cache" in said2 and "ids from the cache" in said2 and "read from the prepared-data cache" in said2, said2
    assert not any(p.startswith(("adapting", "making the vectorizer", "writing ids")) for p in phases2), phases2
    assert any(p.startswith("using the prepared vectorizer") for p in phases2) and any(p.startswith("using the vectorized texts from the cache") for p in phases2)
    assert second._data[0].element_spec[0].shape[-1] == (20 if kind == "chars" else 8)
    assert second.model.get_layer("vectorize").get_vocabulary() == first.model.get_layer("vectorize").get_vocabulary()

    from engine.cli import main

    assert main(["cache", "--json"]) == 0
    kinds = sorted(json.loads(line).get("kind", "") for line in capsys.readouterr().out.splitlines())
    assert kinds.count("vectorizer") == 1 and kinds.count("ids") == 1


def test_no_cache_writes_the_ids_into_the_run_folder(tmp_path):
    exp = experiment(write_reviews(tmp_path / "r.csv", 120), "words")
    exp.fit.epochs = 1
    cache = PreparedCache(exp, enabled=False)
    trainer, result, said, phases = _run(exp, tmp_path / "runs", cache)
    assert result.status == "finished" and "prepared-data cache off (--no-cache)" in said
    ids = np.load(result.run_dir / "stream-ids" / "train.npy", mmap_mode="r")
    assert ids.shape == (len(trainer.dataset.train), 8)
    assert not list(Path(cache.store.root).glob("?-*"))


def test_a_full_disk_while_writing_streamed_ids_to_the_cache_trains_without_it(tmp_path, monkeypatch):
    from engine.training import streamed

    exp = experiment(write_reviews(tmp_path / "r.csv", 120), "words")
    exp.fit.epochs = 2
    cache = PreparedCache(exp)
    root = Path(cache.store.root)
    real = streamed.write_ids

    def full(parts, texts, path, tick, start=0, batch=512):
        if root in path.parents:
            real(parts, texts, path, tick, start, batch)  # part of it written, then the disk fills
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(parts, texts, path, tick, start, batch)

    monkeypatch.setattr(streamed, "write_ids", full)
    trainer, result, said, _ = _run(exp, tmp_path / "runs", cache)
    assert result.status == "finished" and result.epochs == 2
    assert "is full; the run goes on without caching" in said and "kerminal cache --clear" in said, said
    assert not list(root.glob("i-*")) and not list(root.glob(".tmp-*"))
    assert list(root.glob("v-*"))  # written before the disk filled
    assert np.load(result.run_dir / "stream-ids" / "train.npy", mmap_mode="r").shape == (len(trainer.dataset.train), 8)
    assert (result.run_dir / "last.keras").is_file()


def test_a_streamed_file_touched_since_it_was_cached_is_prepared_again(tmp_path):
    path = write_reviews(tmp_path / "r.csv", 120)
    exp = experiment(path, "words")
    exp.fit.epochs = 1
    _run(exp, tmp_path / "runs", PreparedCache(exp))
    root = Path(PreparedCache(exp).store.root)
    before = {p.name for p in root.glob("?-*")}
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5 * 10**9))
    _, result, said, phases = _run(exp, tmp_path / "runs", PreparedCache(exp))
    assert result.status == "finished"
    assert "vectorizer rebuilt (the data's files changed" in said and "ids not cached yet, cached" in said, said
    assert any(p.startswith("writing ids") for p in phases)
    after = {p.name for p in root.glob("?-*")}
    assert len(after) == 2 and not (after & before)  # the older file's entries are gone


def test_kerminal_train_shows_a_streamed_run_preparing_and_then_not(tmp_path, monkeypatch):
    """On a terminal, `kerminal train` says each step of a streamed run's preparing with its
    counts; the second run on the same file says it uses the cache instead of adapting and
    writing ids (the same phases reach metrics.json and the app through the run's writer)."""
    import sys

    from engine.cli import main
    from engine.experiment import save
    from tests.engine.test_run_once import Terminal, shown_steps

    exp = experiment(write_reviews(tmp_path / "r.csv", 150), "words")
    exp.fit.epochs = 1
    path = save(exp, tmp_path / "s.toml")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["train", str(path), "--runs-dir", str(tmp_path / "runs")]) == 0
    steps = shown_steps(terminal)
    first = [s for s in steps if s.startswith(("starting: reading r.csv", "starting: adapting", "starting: writing ids"))]
    assert first[0].startswith("starting: reading r.csv") and first[-1].startswith("starting: writing ids")
    assert any(s.startswith("starting: adapting the vectorizer") for s in first)
    done = first[-1].split()[-1].split("/")
    assert done[0] == done[1]  # the last count is the whole
    assert main(["train", str(path), "--runs-dir", str(tmp_path / "runs")]) == 0
    steps = shown_steps(terminal)
    assert any(s.startswith("starting: using the prepared vectorizer from the cache") for s in steps)
    assert any(s.startswith("starting: using the vectorized texts from the cache") for s in steps)
    assert not any(s.startswith(("starting: adapting", "starting: writing ids")) for s in steps), steps
