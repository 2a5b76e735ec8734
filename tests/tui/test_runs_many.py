"""Issue 20 in the Runs pane: many runs at once — Space marks (A all shown, Esc clears), s and
a header sort, / filters (a bad expression is explained in place), the settings that differ
get columns by themselves, and a new run gets the cursor."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from tests.engine.many_runs import many_run
from tests.tui.conftest import settle, text_of, wait_until
from tui.app import make_app
from tui.panes.runs_columns import MARK_SIGN


def four_runs(runs_dir):
    many_run(runs_dir, 1, val_accuracy=0.9, kind="ngrams", lr=3e-4)
    many_run(runs_dir, 2, val_accuracy=0.8, kind="words", lr=1e-3)
    many_run(runs_dir, 3, val_accuracy=0.86, kind="ngrams", lr=1e-2)
    many_run(runs_dir, 4, val_accuracy=0.7, kind="ngrams", lr=3e-4)


def shown(pane) -> list[str]:
    return [r.id[-8:-2] for r in pane.runs]


def marks(table: DataTable) -> list[str]:
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def opened(runs_dir, size=(80, 24)):
    from tests.tui.conftest import tiny_experiment

    app = make_app(tiny_experiment(), runs_dir=runs_dir, load_tensorflow=False, pane="runs")
    return app, size


async def test_space_marks_a_marks_all_shown_and_esc_clears(runs_dir):
    four_runs(runs_dir)
    app, size = await opened(runs_dir)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        pane, table = app.pane("runs"), app.query_one("#runs-table", DataTable)
        await pilot.press("space", "space")  # marks a row and moves down: two runs
        assert pane.marked == [pane.runs[0].id, pane.runs[1].id]
        assert marks(table) == [MARK_SIGN, MARK_SIGN, "", ""]
        assert "2 marked" in text_of(app.query_one("#runs-summary", Static))
        table.move_cursor(row=0)
        await pilot.press("space")  # unmarks
        assert pane.marked == [pane.runs[1].id] and marks(table)[:2] == ["", MARK_SIGN]
        await pilot.press("escape")
        assert pane.marked == [] and marks(table) == [""] * 4
        await pilot.press("escape")  # no marks: Esc is not the pane's (nothing happens here)
        await pilot.press("slash", *"vectorize.kind=ngrams", "enter")
        await pilot.press("A")  # all shown: the three n-gram runs
        assert sorted(r[-8:-2] for r in pane.marked) == ["000001", "000003", "000004"]
        await pilot.press("r")  # a refresh keeps the marks
        assert len(pane.marked) == 3 and marks(table) == [MARK_SIGN] * 3


async def test_s_cycles_the_sort_and_a_header_sorts_by_its_column(runs_dir):
    four_runs(runs_dir)
    app, size = await opened(runs_dir, (120, 30))
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        pane = app.pane("runs")
        assert shown(pane) == ["000004", "000003", "000002", "000001"]  # newest first
        assert pane.sort_fields()[:3] == ["date", "best.val_loss", "best.val_accuracy"]  # the monitor first
        await pilot.press("s", "s")
        assert pane.sort_field == "best.val_accuracy" and pane.sort_desc  # the best first
        assert shown(pane) == ["000001", "000003", "000002", "000004"]
        assert "by best.val_accuracy" in text_of(app.query_one("#runs-summary", Static))
        table = app.query_one("#runs-table", DataTable)

        def header(key: str) -> None:
            column = next(k for k in table.columns if k.value == key)
            table.post_message(DataTable.HeaderSelected(table, column, 0, table.columns[column].label))

        # The names derived from each run's experiment: "sample · 2-grams tf_idf · Dense(1) · lr 0.01" (run 3),
        # "... lr 3e-4" (runs 4 and 1: a tie keeps the listing's order), "sample · Embedding ..." (2).
        header("name")
        await pilot.pause()
        assert pane.sort_field == "name" and not pane.sort_desc and shown(pane) == ["000003", "000004", "000001", "000002"]
        assert "name ↑" in str(table.columns[next(k for k in table.columns if k.value == "name")].label)
        header("name")  # the field it sorts by already: the other way round
        await pilot.pause()
        assert pane.sort_desc and shown(pane) == ["000002", "000004", "000001", "000003"]
        await pilot.press("slash", *"vectorize.kind=ngrams", "enter")  # only the learning rate differs: its column fits
        header("compile.learning_rate")
        await pilot.pause()
        assert pane.sort_field == "compile.learning_rate" and shown(pane) == ["000004", "000001", "000003"]  # lowest first; a tie keeps the order before


async def test_slash_filters_and_a_bad_expression_is_explained_in_place(runs_dir):
    four_runs(runs_dir)
    app, size = await opened(runs_dir)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        pane = app.pane("runs")
        line = app.query_one("#runs-filter", Input)
        error = app.query_one("#runs-filter-error", Static)
        await pilot.press("slash")
        assert line.display and line.has_focus
        await pilot.press(*"best.val_acc>0.85", "enter")
        assert error.display and line.has_focus  # the line keeps the focus to be fixed
        said = text_of(error)
        assert said.startswith(" " * 0 + "^ no run has a metric 'val_acc'") and "best.val_accuracy" in said
        assert len(pane.runs) == 4  # nothing filtered yet
        line.value = "compile.learning_rate<0.005 best.val_accuracy>0.75"
        await pilot.press("enter")
        assert not error.display and app.query_one("#runs-table", DataTable).has_focus
        assert shown(pane) == ["000002", "000001"]
        assert "2 match" in text_of(app.query_one("#runs-summary", Static))
        await pilot.press("slash", "escape")  # Esc closes the line, the filter stays
        assert app.query_one("#runs-table", DataTable).has_focus and shown(pane) == ["000002", "000001"]
        await pilot.press("slash")
        line.value = ""
        await pilot.press("enter")  # empty: every run again
        assert len(pane.runs) == 4 and not line.display


async def test_the_settings_that_differ_get_columns_and_the_best_stays_whole_at_80(runs_dir):
    four_runs(runs_dir)
    app, size = await opened(runs_dir)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        table = app.query_one("#runs-table", DataTable)
        await wait_until(pilot, lambda: "vectorize.kind" in [c.key.value for c in table.ordered_columns], 10, "the differing columns")
        keys = [c.key.value for c in table.ordered_columns]
        assert keys[:5] == ["mark", "name", "status", "epochs", "best"]  # the name, not the id (issue 20)
        assert table.virtual_size.width <= table.scrollable_content_region.width + 2  # nothing past the edge
        await pilot.press("slash", *"vectorize.kind=ngrams", "enter")
        keys = [c.key.value for c in table.ordered_columns]
        assert "compile.learning_rate" in keys and "vectorize.kind" not in keys  # only what differs among those shown
        assert str(table.get_cell(app.pane("runs").runs[0].id, "compile.learning_rate")) == "0.0003"


async def test_an_unreadable_experiment_says_why_in_its_row(runs_dir):
    four_runs(runs_dir)
    (runs_dir / "20260101-000004-r" / "experiment.toml").write_text("[vectorize]\nkind = 3\n")
    app, size = await opened(runs_dir, (160, 30))
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        table = app.query_one("#runs-table", DataTable)
        await wait_until(pilot, lambda: "vectorize.kind" in [c.key.value for c in table.ordered_columns], 10, "the differing columns")
        assert str(table.get_cell("20260101-000004-r", "vectorize.kind")) == "?"
        assert "1 with an unreadable experiment" in text_of(app.query_one("#runs-summary", Static))
        table.move_cursor(row=0)  # the newest: run 4
        await pilot.pause()
        assert "settings are not known: experiment.toml:" in text_of(app.query_one("#runs-eval", Static))


async def test_a_new_run_gets_the_cursor(runs_dir):
    four_runs(runs_dir)
    app, size = await opened(runs_dir)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        pane, table = app.pane("runs"), app.query_one("#runs-table", DataTable)
        table.move_cursor(row=3)
        await pilot.press("s", "s")  # sorted by best val_accuracy: a new run need not be first
        many_run(runs_dir, 5, val_accuracy=0.85)
        await pilot.press("r")
        await pilot.pause()
        assert pane.selected().id == "20260101-000005-r" and table.cursor_row == 2


async def test_a_refresh_reads_no_experiment_on_the_ui_thread(runs_dir, monkeypatch):
    """A run whose files changed comes back from the index as a new summary, its experiment
    not read yet: the table keeps the columns and the row's cells it had, and the worker
    reads the experiment and fills them; the UI thread never opens experiment.toml."""
    import os
    import threading

    import engine.runs.query as query

    four_runs(runs_dir)
    read = query._read_experiment
    on_ui: list[str] = []

    def counted(info):
        if threading.current_thread() is threading.main_thread():
            on_ui.append(info.id)
        return read(info)

    monkeypatch.setattr(query, "_read_experiment", counted)
    app, size = await opened(runs_dir, (120, 30))
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        pane, table = app.pane("runs"), app.query_one("#runs-table", DataTable)
        assert "learning_rate" in [str(c.label) for c in table.columns.values()]
        before = [list(map(str, table.get_row_at(i))) for i in range(table.row_count)]
        for run in [p for p in runs_dir.iterdir() if p.is_dir()]:  # every run's files rewritten (`more`, say)
            for name in ("metrics.json", "experiment.toml"):
                stamp = (run / name).stat().st_mtime_ns + 10**9
                os.utime(run / name, ns=(stamp, stamp))
        await pilot.press("r")
        assert [list(map(str, table.get_row_at(i))) for i in range(table.row_count)] == before  # cells kept meanwhile
        await settle(app, pilot)
        assert all(s.experiment_read for s in pane.summaries)
        assert [list(map(str, table.get_row_at(i))) for i in range(table.row_count)] == before
    assert on_ui == []
