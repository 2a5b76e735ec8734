"""Issue 20, coming back after an SSH drop: `kerminal` reopens the experiment open last
(its unsaved changes too; a file gone or a corrupt state falls back to the default with a
notice), says at start which run is live and follows it in Train (one not responding is
named, not followed), and a followed run's header shows that run's own settings."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

import pytest
from textual.widgets import Static

import engine.runs
from engine.experiment import Experiment, load, save
from engine.runs import folder as F
from engine.runs.lock import RunLock
from engine.runs.writer import RunWriter
from engine.workspace import state_dir, state_file
from tests.tui.conftest import settle, text_of, tiny_experiment, wait_until
from tui.app import make_app


def named(name: str, patience: int = 3, probes: int = 2) -> Experiment:
    exp = tiny_experiment()
    exp.name = name
    exp.fit.early_stopping.patience = patience
    exp.probes = [f"probe {i}" for i in range(probes)]
    return exp


def notices(app) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in app.notices.notices)


def start(runs_dir: Path, experiment=None):
    """The app as `kerminal` starts it: remembering, and with no file named, reopening."""
    return make_app(experiment, runs_dir=runs_dir, load_tensorflow=False, reopen_last=experiment is None, remember=True)


# ---- reopening the experiment open last ----------------------------------------------------


async def test_start_open_another_quit_start_again_and_it_is_open(runs_dir):
    save(named("a"), Path("a.toml"))
    save(named("b"), Path("b.toml"))
    app = start(runs_dir, "a.toml")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.open_experiment(Path("b.toml"))
        await settle(app, pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0
    again = start(runs_dir)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(again, pilot)
        assert again.experiment.name == "b" and again.experiment_path == Path("b.toml").absolute() and not again.dirty
        assert "(b.toml)" in text_of(again.query_one("#status-experiment", Static))
        assert "Reopened b.toml" in notices(again)


async def test_unsaved_changes_come_back_after_the_terminal_went_away(runs_dir):
    save(named("a"), Path("a.toml"))
    app = start(runs_dir, "a.toml")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "c")  # duplicate a layer: unsaved
        await settle(app, pilot)
        assert app.dirty and len(app.experiment.layers) == 4
    # the app ended without a quit (the SSH connection dropped): nothing was asked or saved
    assert len(load("a.toml").layers) == 3
    again = start(runs_dir)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(again, pilot)
        assert again.dirty and len(again.experiment.layers) == 4 and again.experiment_path == Path("a.toml").absolute()
        assert "a * (a.toml)" in text_of(again.query_one("#status-experiment", Static))
        assert "unsaved changes" in notices(again)
        await pilot.press("ctrl+s")
        await settle(again, pilot)
        assert len(load("a.toml").layers) == 4 and not again.dirty


async def test_a_file_gone_since_falls_back_to_the_default_and_says_which(runs_dir):
    save(named("b"), Path("b.toml"))
    app = start(runs_dir, "b.toml")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
    Path("b.toml").unlink()
    again = start(runs_dir)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(again, pilot)
        assert again.experiment_path is None and again.experiment.name != "b"
        said = notices(again)
        assert "Could not reopen" in said and str(Path("b.toml").absolute()) in said


async def test_a_corrupt_state_file_is_a_notice_not_a_crash(runs_dir):
    state_dir().mkdir(parents=True, exist_ok=True)
    state_file(runs_dir).write_text("{half a json", encoding="utf-8")
    app = start(runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.is_running and app.experiment_path is None
        assert f"Ignored {state_file(runs_dir)}" in notices(app)
    assert json.loads(state_file(runs_dir).read_text(encoding="utf-8"))["experiment"] is None  # written again, whole


async def test_an_explicit_file_wins_over_the_state(runs_dir):
    save(named("a"), Path("a.toml"))
    save(named("b"), Path("b.toml"))
    app = start(runs_dir, "a.toml")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
    app = start(runs_dir, "b.toml")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.experiment.name == "b" and "Reopened" not in notices(app)


async def test_tests_and_benchmarks_neither_read_nor_write_the_state(runs_dir):
    save(named("a"), Path("a.toml"))
    app = make_app("a.toml", runs_dir=runs_dir, load_tensorflow=False)  # what app_factory and bench build
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
    assert not state_file(runs_dir).exists() and not list(state_dir().glob("*"))


# ---- a live run at start ------------------------------------------------------------------


@contextlib.contextmanager
def live_run(runs_dir: Path, run_id: str, exp: Experiment, epochs: int = 2, target: int = 10, stale: bool = False):
    """A run folder that reads live: its lock held by this test (as a training process holds
    it) and a fresh heartbeat; `stale`: a heartbeat too old (the run is "not responding")."""
    path = runs_dir / run_id
    path.mkdir(parents=True)
    save(exp, path / F.EXPERIMENT)
    lock = RunLock.acquire(path)
    writer = RunWriter(path, lock)
    writer.open_channel()
    writer.metrics({"kerminal_run": F.FORMAT, "name": exp.name, "status": "running", "epochs": epochs, "target": target, "created": "2026-01-01T00:00:00"})
    if stale:
        meta = json.loads((path / F.METRICS).read_text(encoding="utf-8"))
        meta["heartbeat"] = time.time() - 600
        (path / F.METRICS).write_text(json.dumps(meta), encoding="utf-8")
    try:
        yield path
    finally:
        lock.release()


async def test_a_live_run_is_said_at_start_and_train_follows_it(app_factory, runs_dir):
    with live_run(runs_dir, "20260101-000000-live", named("run", patience=7, probes=3), epochs=2, target=10) as path:
        app = app_factory(named("open", patience=3, probes=2))
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            train = app.pane("train")
            await wait_until(pilot, lambda: train.watcher is not None, 10, "the live run followed")
            assert train.watcher.path == path
            said = notices(app)
            assert f"Run {path.name} is training (epoch 3/10)" in said and "following it in Train" in said
            header = text_of(app.query_one("#train-settings", Static))
            assert f"run {path.name}" in header and "early stop 7" in header and "3 probe(s)" in header
            assert "early stop 3" not in header and "2 probe(s)" not in header


async def test_of_several_live_runs_the_newest_answering_is_followed_and_a_silent_one_named(app_factory, runs_dir):
    with (
        live_run(runs_dir, "20260101-000000-older", named("older")) as older,
        live_run(runs_dir, "20260102-000000-newer", named("newer")) as newer,
        live_run(runs_dir, "20260103-000000-silent", named("silent"), stale=True) as silent,
    ):
        app = app_factory()
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            train = app.pane("train")
            await wait_until(pilot, lambda: train.watcher is not None, 10, "a live run followed")
            assert train.watcher.path == newer and older != newer
            said = notices(app)
            assert f"{silent.name} is not responding" in said and "3 runs are live: Runs (5) lists them" in said


async def test_a_run_not_responding_alone_is_named_not_followed(app_factory, runs_dir):
    with live_run(runs_dir, "20260103-000000-silent", named("silent"), stale=True) as silent:
        app = app_factory()
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            await wait_until(pilot, lambda: "not responding" in notices(app), 10, "the notice")
            assert app.pane("train").watcher is None and f"Run {silent.name} is not responding" in notices(app)


async def test_no_live_run_says_nothing(app_factory, runs_dir):
    from tests.engine.many_runs import many_run

    many_run(runs_dir, 1)  # finished
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.pane("train").watcher is None and "Live runs" not in notices(app)


# ---- the followed run's header ---------------------------------------------------------


async def test_a_followed_runs_header_shows_its_settings_then_a_new_run_the_open_ones(app_factory, runs_dir, monkeypatch):
    from tests.engine.hand_made_runs import hand_made_run

    path = hand_made_run(runs_dir, "20260101-000000-done", "done")
    run_exp = load(path / F.EXPERIMENT)
    run_exp.fit.early_stopping.patience, run_exp.probes = 7, ["one", "two", "three"]
    save(run_exp, path / F.EXPERIMENT)
    started: list[Path] = []

    def fake_start(exp, root):  # a new run of the open experiment, without a process
        new = Path(root) / "20260102-000000-new"
        new.mkdir(parents=True)
        save(exp, new / F.EXPERIMENT)
        (new / F.METRICS).write_text(json.dumps({"kerminal_run": F.FORMAT, "name": exp.name, "status": "finished", "epochs": 1, "target": 1}), encoding="utf-8")
        started.append(new)
        return new

    monkeypatch.setattr(engine.runs, "start_run", fake_start)
    app = app_factory(named("open", patience=3, probes=2))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("5", "enter")  # follow the run in Train
        await settle(app, pilot)
        train = app.pane("train")
        assert train.watcher is not None and train.watcher.path == path
        header = text_of(app.query_one("#train-settings", Static))
        assert f"run {path.name}" in header and "early stop 7" in header and "3 probe(s)" in header and "2 probe(s)" not in header
        assert "· three" in text_of(app.query_one("#train-probes", Static))  # the run's pinned probes, not the open one's
        await pilot.press("t")  # a new run of the open experiment: its settings again
        await settle(app, pilot)
        assert started and train.watcher.path == started[0]
        header = text_of(app.query_one("#train-settings", Static))
        assert "early stop 3" in header and "2 probe(s)" in header and "early stop 7" not in header


@pytest.mark.parametrize("content", ["[fit\nbroken", None])
async def test_a_followed_run_whose_experiment_cannot_be_read_says_so(app_factory, runs_dir, content):
    from tests.engine.hand_made_runs import hand_made_run

    path = hand_made_run(runs_dir, "20260101-000000-done", "done")
    if content is None:
        os.unlink(path / F.EXPERIMENT)
    else:
        (path / F.EXPERIMENT).write_text(content, encoding="utf-8")
    app = app_factory(named("open", patience=3, probes=2))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.pane("train").follow(path)
        await settle(app, pilot)
        header = text_of(app.query_one("#train-settings", Static))
        assert "settings cannot be read" in header and "early stop 3" not in header
