"""Issue 20 in the Runs pane, continued: `g` groups the runs by a setting (heading rows that
no run key acts on; Space on one marks its runs), the filter line completes paths and
values, and `n`, `t`, `N` rename, tag and note the selected run."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable, Input, Static

from engine.cli import main
from tests.tui.conftest import quiet, settle, text_of, tiny_experiment, wait_until
from tests.tui.test_runs_many import four_runs, marks, opened, shown
from tui.app import make_app
from tui.dialogs import TextPrompt
from tui.panes.runs_columns import MARK_SIGN


def cells(table: DataTable, row: int) -> dict[str, str]:
    return {c.key.value: str(v) for c, v in zip(table.ordered_columns, table.get_row_at(row), strict=True)}


async def answer(pilot, text: str) -> None:
    """Type `text` into the prompt that is open (replacing what it holds) and press Enter."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, TextPrompt), 10, "the prompt")
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_g_groups_heading_rows_do_nothing_harmful_and_space_marks_a_group(runs_dir):
    four_runs(runs_dir)
    app, size = await opened(runs_dir, (120, 30))
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        pane, table = app.pane("runs"), app.query_one("#runs-table", DataTable)
        await wait_until(pilot, lambda: pane._differing[1], 10, "the differing columns")
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPrompt), 10, "the prompt")
        assert app.screen.query_one(Input).value in pane._differing[1]  # a setting that differs, offered
        await answer(pilot, "compile.learning_rate")
        assert pane.group_by == "compile.learning_rate"
        assert shown(pane) == ["000004", "000001", "000002", "000003"]  # 3e-4, 1e-3, 1e-2; newest first inside each
        assert table.row_count == 7  # three headings
        heading = cells(table, 0)
        assert "0.0003" in heading["name"] and heading["status"] == "2 runs" and heading["best"] == "0.5000"  # the best val_loss of the group
        assert "compile.learning_rate" not in [c.key.value for c in table.ordered_columns]  # the headings say it
        assert pane.selected().id == "20260101-000004-r"  # the cursor on a run, not a heading
        assert "3 group(s) by compile.learning_rate" in text_of(app.query_one("#runs-summary", Static))
        table.move_cursor(row=0)
        await pilot.pause()
        assert pane.selected() is None and "Space marks them all" in text_of(app.query_one("#runs-which", Static))
        for key in ("enter", "x", "d", "e", "p", "n"):  # nothing to act on: no dialog, no pane switch
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is app.screen_stack[0] and app.query_one("TabbedContent").active == "runs", key
        await pilot.press("space")  # the group's two runs
        assert pane.marked == ["20260101-000004-r", "20260101-000001-r"]
        table.move_cursor(row=5)  # the 0.01 group's only run
        await pilot.press("space")
        assert marks(table) == ["", MARK_SIGN, MARK_SIGN, "", "", "", MARK_SIGN]  # marks across groups
        table.move_cursor(row=0)
        await pilot.press("space")  # all of the group marked: Space unmarks them
        assert pane.marked == ["20260101-000003-r"]
        await pilot.press("g")  # ungroups, marks kept
        assert pane.group_by == "" and table.row_count == 4 and marks(table) == ["", MARK_SIGN, "", ""]
        await pilot.press("g")
        await answer(pilot, "best.val_accuracy")  # a metric: said, not grouped
        assert pane.group_by == "" and table.row_count == 4
        await pilot.press("g")
        await answer(pilot, "status")
        assert pane.group_by == "status" and table.row_count == 5
        await pilot.press("g")
        assert pane.group_by == "" and table.row_count == 4


async def test_the_filter_line_completes_paths_and_values(runs_dir):
    four_runs(runs_dir)
    app, size = await opened(runs_dir)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        pane = app.pane("runs")
        await wait_until(pilot, lambda: all(s.experiment_read for s in pane.summaries), 10, "the experiments read")
        line = app.query_one("#runs-filter", Input)
        await pilot.press("slash", *"compile.le")
        await wait_until(pilot, lambda: line._suggestion == "compile.learning_rate", 10, "the path suggested")
        await pilot.press("tab")  # takes it
        assert line.value == "compile.learning_rate" and line.has_focus
        line.value = ""
        await pilot.press(*"vectorize.kind=")
        hint = app.query_one("#runs-filter-error", Static)
        await wait_until(pilot, lambda: hint.display and "words · chars · ngrams" in text_of(hint), 10, "the choices under the line")
        await pilot.press("n")
        await wait_until(pilot, lambda: line._suggestion == "vectorize.kind=ngrams", 10, "the value suggested")
        await pilot.press("right", "enter")  # Right takes it too
        assert line.value == "vectorize.kind=ngrams" and shown(pane) == ["000004", "000003", "000001"]
        assert not hint.display


async def test_n_t_and_shift_n_rename_tag_and_note_the_selected_run(runs_dir, capsys):
    four_runs(runs_dir)
    app, size = await opened(runs_dir)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        pane, table = app.pane("runs"), app.query_one("#runs-table", DataTable)
        table.move_cursor(row=1)  # run 3
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPrompt), 10, "the prompt")
        assert app.screen.query_one(Input).value == "sample · 2-grams tf_idf · Dense(1) · lr 0.01"  # the current (derived) name
        await answer(pilot, "  big lr  ")
        assert str(table.get_cell("20260101-000003-r", "name")) == "big lr" and pane.selected().id == "20260101-000003-r"
        await pilot.press("t")
        await answer(pilot, "fast  too-fast")
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPrompt), 10, "the prompt")
        assert app.screen.query_one(Input).value == "fast too-fast"  # the current tags
        await answer(pilot, "fast")
        await pilot.press("N")
        await answer(pilot, "diverged after epoch 2")
        assert "run 20260101-000003-r · #fast · diverged after epoch 2" in text_of(app.query_one("#runs-which", Static))
        await pilot.press("n")
        await answer(pilot, "x" * 200)  # too long: said, the name kept
        assert str(table.get_cell("20260101-000003-r", "name")) == "big lr"
        await pilot.press("slash", *"tags=fast", "enter")
        assert shown(pane) == ["000003"]
    capsys.readouterr()
    assert main(["runs", "--runs-dir", str(runs_dir), "--filter", "tags=fast", "--json"]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (row["name"], row["tags"], row["note"]) == ("big lr", ["fast"], "diverged after epoch 2")


@pytest.mark.slow
@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_runs_named_tagged_and_grouped_snapshot(snap_compare, runs_dir, size):
    """The name first, the settings that differ, group headings, the line under the table."""
    from engine.runs import rename_run, set_tags

    four_runs(runs_dir)
    rename_run(runs_dir / "20260101-000001-r", "ngrams baseline")
    set_tags(runs_dir / "20260101-000001-r", ["baseline", "good"])
    app = make_app(tiny_experiment(), runs_dir=runs_dir, load_tensorflow=False, pane="runs")

    async def ready(pilot) -> None:
        await quiet(pilot)
        pane = pilot.app.pane("runs")
        await wait_until(pilot, lambda: pane._differing[1], 10, "the differing columns")
        pane.group("compile.learning_rate")
        pane.table.move_cursor(row=2)  # the baseline run
        await quiet(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=size)
