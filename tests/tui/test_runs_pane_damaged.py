"""Issue 18, finding 4 in the app: a damaged run (`"epochs": "x"`), an experiment.toml that is
a FIFO and junk event lines neither empty the Runs pane nor hang or crash the app; a damaged
run is listed with its reason."""

from __future__ import annotations

import json
import os

import pytest
from textual.widgets import DataTable, Static

from engine.runs import folder as F
from tests.engine.test_runs_damaged import GOOD, make_run
from tests.tui.conftest import settle, text_of, wait_until


@pytest.mark.slow
async def test_the_runs_pane_lists_damaged_runs_with_their_reason_and_never_empties(app_factory, runs_dir):
    make_run(runs_dir, "20260101-000000-good")
    bad = make_run(runs_dir, "20260102-000000-bad", text=json.dumps({**GOOD, "epochs": "x"}))
    fifo = make_run(runs_dir, "20260103-000000-fifo")
    (fifo / F.EXPERIMENT).unlink()
    os.mkfifo(fifo / F.EXPERIMENT)
    with open(fifo / F.EVENTS, "w") as fh:
        fh.write('[1, 2]\n{"event": "EpochEnd", "epoch": "3"}\n{"event": "EpochEnd", "epoch": 1, "epochs": 2, "metrics": {"loss": 0.5}, "duration_s": 1, "samples_per_s": 1}\n')
    app = app_factory()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await pilot.pause()
        assert "3 run(s), 1 damaged" in text_of(app.query_one("#runs-summary", Static))
        table = app.query_one("#runs-table", DataTable)
        assert "damaged" in [str(c) for c in table.get_row(bad.name)]
        assert str(table.get_cell("20260103-000000-fifo", "status")) == "finished"  # its experiment.toml a FIFO: listed, not hung
        table.move_cursor(row=1)  # newest first: fifo, bad, good
        await pilot.pause()
        assert "is damaged" in text_of(app.query_one("#runs-eval", Static)) and "epochs" in text_of(app.query_one("#runs-eval", Static))
        table.move_cursor(row=0)
        await pilot.press("enter")  # follow the run whose events hold junk lines
        await wait_until(pilot, lambda: app.query_one("TabbedContent").active == "train", what="Enter on the run to show the Train pane")
        await wait_until(pilot, lambda: app.pane("train").history == {"loss": [0.5]}, 20, "the good epoch, past the junk lines")
        await pilot.press("5", "r")
        await pilot.pause()
        assert "3 run(s)" in text_of(app.query_one("#runs-summary", Static))
