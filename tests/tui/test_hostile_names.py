"""Issue 18, finding 4's last part in the app: run folders named with an ESC sequence, a
newline or Rich markup are listed in the Runs pane as they are: no crash, no markup read,
no raw control character on the screen."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from engine.runs import labels
from tests.engine.hand_made_runs import hand_made_run
from tests.tui.conftest import settle, text_of

HOSTILE = "20260101-000000-\x1b]0;owned\x07\nfake"
MARKUP = "20260101-000001-[bold]x[red]"  # a folder name cannot hold the / of [/]: the run's name does


@pytest.mark.slow
async def test_hostile_run_names_show_literally_in_the_runs_pane(app_factory, runs_dir):
    # A run's name is the user's (label.json) or derived from its experiment: the hostile
    # one is given as a user's name.
    labels.rename(hand_made_run(runs_dir, HOSTILE, "x"), "[/]")
    labels.rename(hand_made_run(runs_dir, MARKUP, "x"), "[bold red]name")
    app = app_factory()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await pilot.pause()
        table = app.query_one("#runs-table", DataTable)
        assert table.row_count == 2
        shown = ["".join(str(getattr(c, "plain", c)) for c in table.get_row_at(i)) for i in range(2)]
        assert any("[bold]x[red]" in row for row in shown) and any("[/]" in row for row in shown), shown
        assert any("\\x1b]0;owned\\x07\\nfake" in row for row in shown), shown
        assert "2 run(s)" in text_of(app.query_one("#runs-summary", Static))
        screen = app.export_screenshot()
        assert "\x1b" not in screen and "\x07" not in screen
        # Deleting asks in a dialog that names the run: shown as it is, not as markup.
        table.move_cursor(row=next(i for i, row in enumerate(shown) if "[bold]x" in row))
        await pilot.press("d")
        await pilot.pause()
        assert "[bold]x[red]" in text_of(app.screen.query_one(".dialog-text", Static))
        await pilot.press("escape")
        await pilot.pause()
        # A toast with a run id in it is text, not markup.
        app.notify("Run [/] and \x1b]0;t\x07", title="[b]")
        await pilot.pause()
        assert "\x1b" not in app.export_screenshot()
