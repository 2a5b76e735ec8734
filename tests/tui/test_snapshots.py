"""Each pane at 80x24 and 160x48 (pytest-textual-snapshot). Deterministic: no TensorFlow
(the status line says it loads on demand), a relative empty runs folder, no cursor blink."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.tui.conftest import tiny_experiment
from tui.app import make_app

PANES = ["data", "layers", "train", "predict", "runs"]
SIZES = [(80, 24), (160, 48)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("pane", PANES)
def test_pane_snapshot(snap_compare, runs_dir, pane, size):
    app = make_app(tiny_experiment(), runs_dir=runs_dir, load_tensorflow=False, pane=pane)

    async def ready(pilot) -> None:
        await pilot.app.workers.wait_for_complete()
        for box in pilot.app.query(Input):
            box.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, run_before=ready, terminal_size=size)
