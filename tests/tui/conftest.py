"""Shared pieces of the app tests: a tiny experiment, an app factory, waiting helpers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path

import pytest

from engine.experiment import Experiment, LayerSpec
from tests.conftest import kill_runs
from tui.app import KerminalApp, make_app


def tiny_experiment() -> Experiment:
    """The shipped sample data with a small, fast model (TF-free to validate)."""
    exp = Experiment(name="tiny")
    exp.vectorize.max_tokens = 1000
    exp.vectorize.length = 24
    exp.fit.epochs = 1
    exp.fit.batch_size = 32
    exp.layers = [
        LayerSpec("Embedding", {"output_dim": 8}),
        LayerSpec("GlobalAveragePooling1D", {}),
        LayerSpec("Dense", {"units": 1, "activation": "sigmoid"}),
    ]
    return exp


@pytest.fixture
def runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A relative runs folder in a temporary working directory (so screens do not show
    a temporary path). Training processes a test leaves running are killed at its end."""
    monkeypatch.chdir(tmp_path)
    yield Path("runs")
    kill_runs(tmp_path / "runs")


def run_meta(path: Path) -> dict:
    return json.loads((Path(path) / "metrics.json").read_text(encoding="utf-8"))


@pytest.fixture
def app_factory(runs_dir: Path):
    def factory(experiment: Experiment | None = None, load_tensorflow: bool = False) -> KerminalApp:
        return make_app(experiment or tiny_experiment(), runs_dir=runs_dir, load_tensorflow=load_tensorflow)

    return factory


async def workers_done(app: KerminalApp, timeout: float = 120.0) -> None:
    """Wait for every worker to end. A worker cancelled meanwhile (an exclusive one that a
    newer one replaced: a form's preview after each change) makes Textual's wait raise
    WorkerCancelled; the newer one is waited for instead."""
    from textual.worker import WorkerCancelled

    deadline = time.monotonic() + timeout
    while True:
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            if time.monotonic() > deadline:
                raise


async def settle(app: KerminalApp, pilot) -> None:
    """Wait for the workers started so far (data loading, ...) and the screen updates."""
    await workers_done(app)
    await pilot.pause()


async def quiet(pilot, timeout: float = 30.0) -> None:
    """Wait until the screen stops changing: no worker running and two renders in a row the
    same. A widget finishes some work when it next idles (a DataTable sizes its columns to
    rows just added), which one pause does not wait for on a busy machine."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    last = None
    while True:
        await workers_done(app)
        await pilot.pause()
        now = app.export_screenshot()
        if now == last and not any(w.is_running for w in app.workers):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the screen was still changing after {timeout:.0f} s")
        last = now


async def wait_until(pilot, condition, timeout: float = 60.0, what: str = "condition") -> None:
    t0 = time.monotonic()
    while not condition():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out waiting for {what}\n{app_state(pilot.app)}")
        await pilot.pause(0.1)
        await asyncio.sleep(0)


def app_state(app) -> str:
    """What a failed wait needs to be understood afterwards (CI's logs are all there is):
    the screens, the focus, the keys held back, the workers and the messages shown."""
    lines = [f"screens: {[type(s).__name__ for s in app.screen_stack]}", f"focused: {app.focused!r}"]
    with contextlib.suppress(Exception):
        lines.append(f"pane: {app.query_one('TabbedContent').active}")
    lines.append(f"held keys: {[k.key for k in getattr(app, '_held_keys', [])]}")
    lines.append(f"workers: {[(w.name, w.state.name) for w in app.workers]}")
    with contextlib.suppress(Exception):
        lines.append(f"messages: {[(n.title, n.message[:200]) for n in app.notices.notices]}")
    return "\n".join(lines)


def text_of(widget) -> str:
    """The plain text a Static shows (markup strings, Rich Text and Rich tables alike)."""
    import io

    from rich.console import Console
    from rich.text import Text

    content = widget.content
    if isinstance(content, str):
        content = Text.from_markup(content)
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()


async def open_export_dialog(app: KerminalApp, pilot) -> None:
    """Start the app's pilot session in the Runs pane and press `x` on the selected run."""
    await settle(app, pilot)
    await pilot.press("5")
    await pilot.pause()
    await pilot.press("x")
    await pilot.pause()


async def answer_prompt(pilot, value: str) -> None:
    """A TextPrompt is on top: type `value` into it and press Enter."""
    from textual.widgets import Input

    from tui.dialogs import TextPrompt

    await pilot.pause()
    assert isinstance(pilot.app.screen, TextPrompt)
    pilot.app.screen.query_one(Input).value = value
    await pilot.press("enter")
    await pilot.pause()


async def answer_number(pilot, value: int) -> None:
    """A NumberPrompt is on top (`m`: how many more epochs): type `value`, press Enter."""
    from textual.widgets import Input

    from tui.dialogs import NumberPrompt

    await pilot.pause()
    assert isinstance(pilot.app.screen, NumberPrompt)
    pilot.app.screen.query_one(Input).value = str(value)
    await pilot.press("enter")
    await pilot.pause()


@contextlib.asynccontextmanager
async def training(app_factory, epochs: int = 500, size: tuple[int, int] = (100, 30)):
    """The app on a tiny experiment of `epochs` epochs (batch 8), `3` `t` pressed and the
    first epoch in: yields (app, pilot, the Train pane, the run folder)."""
    exp = tiny_experiment()
    exp.fit.epochs = epochs
    exp.fit.batch_size = 8
    app = app_factory(exp)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "t")
        train = app.pane("train")
        await wait_until(pilot, lambda: train.epoch_lines >= 1, 90, "the first epoch")
        yield app, pilot, train, train.watcher.path


def type_fast(app: KerminalApp, *keys: str) -> None:
    """Queue `keys` (pilot.press names) as one burst, the way a terminal delivers what was
    typed fast: every key is on its way before the app handles the first (pilot.press
    lets the app idle after each key). The key events are made as pilot.press makes them."""
    import unicodedata

    from textual import events
    from textual.app import _character_to_key
    from textual.keys import REPLACED_KEYS, _get_unicode_name_from_key

    for key in keys:
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        try:
            char: str | None = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)
