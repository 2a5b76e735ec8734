"""Issue 20, keys that ask when they cost: `m` asks how many epochs (the run's own count
first; Esc sends nothing), in Train and in Runs; `x` in Train stops at once while the partial
epoch is young, asks when it ran over STOP_ASK_S (or its age is not known), and `x` `x`
stops without the question; one key means one thing in a pane and the README says where a
key differs across panes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from textual.widgets import Input, TabbedContent

import engine.runs
from engine.runs import Progress, Started
from engine.runs.events import BatchEnd
from tests.engine.test_runs_damaged import make_run
from tests.tui.conftest import settle, wait_until
from tui.commands import all_commands
from tui.dialogs import AgainDialog, NumberPrompt
from tui.help import key_table
from tui.panes.train import STOP_ASK_S


class FakeWatcher:
    """A followed run that is live mid-epoch, without a process: its Progress as events made it."""

    def __init__(self, path: Path, epochs: int = 4) -> None:
        self.path, self.behind = path, False
        self.progress = Progress()
        self.progress.fold(Started(str(path), epochs=epochs, steps_per_epoch=10, samples=80))
        self.progress.fold(BatchEnd(epoch=1, step=5, steps=10))

    @property
    def id(self) -> str:
        return self.path.name

    def poll(self) -> list:
        return []


@pytest.fixture
def sent(monkeypatch):
    """The steering commands and continuations the app sends (none reach a process)."""
    out: list[tuple] = []
    monkeypatch.setattr(engine.runs, "post_command", lambda path, command, value=None: out.append((command, value)))
    monkeypatch.setattr(engine.runs, "resume_run", lambda path, epochs=None: out.append(("resume", epochs)))
    return out


async def follow_fake(app, pilot, runs_dir: Path, began: float | None) -> FakeWatcher:
    await settle(app, pilot)
    await pilot.press("3")
    train = app.pane("train")
    watcher = FakeWatcher(runs_dir / "20260101-000000-live")
    train.watcher, train._epoch_began, train._seen_live = watcher, began, True
    train.refresh_bindings()
    await pilot.pause()
    return watcher


async def test_x_stops_a_young_epoch_at_once_and_asks_for_an_old_one(app_factory, runs_dir, sent):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await follow_fake(app, pilot, runs_dir, time.monotonic())
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, AgainDialog) and sent == [("stop", None)]
        sent.clear()
        app.pane("train")._epoch_began = time.monotonic() - STOP_ASK_S - 30
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, AgainDialog) and "is lost" in str(app.screen.question)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AgainDialog) and sent == []  # Esc: nothing sent
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")  # the first button: Stop
        await pilot.pause()
        assert sent == [("stop", None)]


async def test_x_x_stops_without_the_question_and_an_unknown_age_asks(app_factory, runs_dir, sent):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await follow_fake(app, pilot, runs_dir, None)  # followed mid-epoch: its age is not known
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, AgainDialog) and sent == []
        await pilot.press("x")  # again, within AGAIN_S
        await pilot.pause()
        assert not isinstance(app.screen, AgainDialog) and sent == [("stop", None)]


async def test_m_in_train_asks_with_the_runs_own_count_and_esc_sends_nothing(app_factory, runs_dir, sent):
    app = app_factory()  # the open experiment trains 1 epoch; the run's own count is 4
    async with app.run_test(size=(80, 24)) as pilot:
        await follow_fake(app, pilot, runs_dir, time.monotonic())
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, NumberPrompt) and app.screen.query_one(Input).value == "4"
        await pilot.press("escape")
        await pilot.pause()
        assert sent == []
        await pilot.press("m")
        await pilot.pause()
        app.screen.query_one(Input).value = "0"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NumberPrompt) and sent == []  # out of range: said, not sent
        app.screen.query_one(Input).value = "2"
        await pilot.press("enter")
        await pilot.pause()
        assert sent == [("more", 2)]


async def test_m_in_runs_asks_then_continues_the_run_and_follows_it(app_factory, runs_dir, sent):
    path = make_run(runs_dir, "20260101-000000-ended")
    started = {"event": "Started", "run_dir": str(path), "epochs": 7, "steps_per_epoch": 3, "samples": 24}
    (path / "events.jsonl").write_text(json.dumps(started) + "\n" + json.dumps({"event": "Finished", "run_dir": str(path), "epochs": 7}) + "\n")
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        # The Runs pane lists its runs in a worker: `m` before the run is listed has no run
        # to continue (a loaded CI machine pressed it first once).
        await wait_until(pilot, lambda: any(s.id == path.name for s in app.pane("runs").shown), 60, "the run listed in Runs")
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, NumberPrompt), 60, "the epochs prompt")
        assert app.query_one(TabbedContent).active == "train" and app.pane("train").watcher.path == path
        assert app.screen.query_one(Input).value == "7"
        await pilot.press("escape")
        await pilot.pause()
        assert sent == []
        await pilot.press("m", "enter")
        await wait_until(pilot, lambda: sent == [("resume", 7)], 60, "the continuation sent")


def test_a_key_means_one_thing_in_a_pane_and_the_readme_has_the_table():
    seen: dict[tuple[str, str], str] = {}
    for c in all_commands():
        for key in c.key.split(","):
            assert (c.pane, key) not in seen, f"{key} is bound twice in {c.pane or 'the app'}"
            seen[(c.pane, key)] = c.action
    # a pane's key never shadows an app key (the app's would never be reached)
    app_keys = {key for (pane, key) in seen if not pane}
    assert not [(pane, key) for (pane, key) in seen if pane and key in app_keys]
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert key_table() in readme, 'the README\'s key table is out of date: python -c "from tui.help import key_table; print(key_table())"'
    assert "| `x` ≠ |" in key_table()  # x stops in Train and exports in Runs: marked


async def test_after_m_the_header_shows_the_epochs_the_run_trains_to(app_factory, runs_dir):
    from engine.runs import events as ev
    from engine.runs.writer import RunWriter
    from tests.tui.conftest import text_of, wait_until

    path = make_run(runs_dir, "20260101-000000-more")
    RunWriter(path).record_target(4)  # as the run's first start recorded it
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        app.pane("train").follow(path)
        header = app.query_one("#train-settings")
        await wait_until(pilot, lambda: "epochs 4 " in text_of(header), 5, "the run's own epochs")
        # the run answers `more 3`: its writer recorded the new target, then the answer
        RunWriter(path).record_target(7)
        with open(path / "events.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(ev.to_dict(ev.Steered("c1", "more", 3, True, "training to epoch 7 (was 4)."))) + "\n")
        await wait_until(pilot, lambda: "epochs 7 " in text_of(header), 5, "the new target in the header")
