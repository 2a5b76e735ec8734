"""The Runs pane: saved and live runs (name, status, epochs, best validation metric, a column
for each setting that differs among the runs shown, data source, preset, date, id; the id,
tags and note of the selected run on the line under the table); Enter
follows one in the Train pane (its whole history; a live run is steered there), p predicts
with one, c compares the marked runs (two or more; tui.compare) or shows the selected one's
curves, e evaluates it (confusion matrix, per-class precision/recall,
the most confidently misclassified examples), o opens its experiment, d deletes it after
confirmation. Many at once: Space marks a run (A all shown, Esc clears; `marked` holds their
ids), s sorts (or Enter on a header), / filters (engine.runs.query's expressions; a bad one
is explained under the line; Tab completes), g groups, n/t/N rename, tag and note. A new
run gets the cursor. While a listed run is live, its
status and epochs are re-read every LIVE_S seconds (its metrics.json only).

A little over 400 lines: the listing, the marks and the sort all act on the one table's rows
(which hold the group headings too); the filter line is in runs_filter, the grouping in
runs_grouping, the labels' keys in runs_labels, the actions on one run in runs_actions, the
evaluation view in runs_evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static

from engine import KerminalError
from engine.runs import LIVE, Filter, Group, RunIndex, RunInfo, Status, Summary, differing_paths, higher_is_better, sort_runs
from tui.messages import CompareRuns, EvaluationReady
from tui.panes.base import Pane
from tui.panes.runs_actions import RunActions
from tui.panes.runs_columns import MARK_SIGN, column_widths, cut, epochs_cell, setting_columns, table_cells
from tui.panes.runs_evaluation import evaluation_renderable
from tui.panes.runs_filter import RunFilter
from tui.panes.runs_grouping import GROUP_ROW, SWEEP_S, RunGrouping
from tui.panes.runs_labels import RunLabels
from tui.plain import plain
from tui.widgets.curves import CurvePlot, split_metrics

if TYPE_CHECKING:  # pragma: no cover
    from engine.training import Evaluation

LIVE_S = 2.0  # live runs' rows are refreshed this often
# The columns a header selection sorts by, and the field each sorts (given the one monitor).
SORTABLE = {"best": lambda one: f"best.{one}" if one else "", "name": lambda one: "name", "epochs": lambda one: "epochs", "date": lambda one: "date", "id": lambda one: "id", "status": lambda one: "status"}


class RunsPane(Pane, RunActions, RunFilter, RunGrouping, RunLabels):
    DEFAULT_FOCUS = "#runs-table"
    BINDINGS = [
        Binding("enter", "attach", "Follow", tooltip="Follow the selected run in the Train pane: its whole history, and its keys steer a live run."),
        Binding("p", "predict", "Predict with", tooltip="Use the selected run in the Predict pane."),
        Binding("e", "evaluate", "Evaluate", tooltip="Evaluate the selected run on its test (or validation) split."),
        Binding("c", "compare", "Compare/Curves", tooltip="Compare the marked runs (two or more marked); with fewer, show the selected run's training curves."),
        Binding("o", "open_experiment", "Open", tooltip="Edit the selected run's experiment (asks about unsaved changes first)."),
        Binding("x", "export", "Export…", tooltip="Export the selected run: a plain Keras training script, or a SavedModel for serving."),
        Binding("d", "delete", "Delete", tooltip="Delete the selected run (asks first)."),
        Binding("m", "more", "More epochs…", tooltip="Train the selected run more epochs: asks how many (its own count first), then follows it in the Train pane."),
        Binding("r", "refresh", "Refresh", tooltip="List the runs again."),
        Binding("space", "mark", "Mark", show=False, tooltip="Mark or unmark the selected run (marked runs are compared together)."),
        Binding("A", "mark_all", "Mark all", show=False, tooltip="Mark every run shown."),
        Binding("escape", "escape", "Clear marks", show=False, tooltip="Clear the marks (in the filter line: close it)."),
        Binding("s", "sort", "Sort", show=False, tooltip="Sort by the next field: date, each metric's best value, epochs, training time (Enter on a header sorts by that column)."),
        Binding("slash", "filter", "Filter", key_display="/", show=False, tooltip="Filter the runs: e.g. compile.learning_rate<0.01 vectorize.kind=ngrams best.val_accuracy>0.85 status=finished (Tab completes paths and values)"),
        Binding("g", "group", "Group…", show=False, tooltip="Group the runs by a setting's path, status, tags, ...: a heading row per value with its best (g again ungroups)."),
        Binding("n", "rename", "Rename…", show=False, tooltip="Rename the selected run (empty: the name derived from its experiment)."),
        Binding("t", "tags", "Tags…", show=False, tooltip="Edit the selected run's tags (space-separated words)."),
        Binding("N", "note", "Note…", show=False, tooltip="Edit the selected run's note."),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runs: list[RunInfo] = []  # the rows, in order
        self.evaluation: Evaluation | None = None
        self._widths_for = 0  # the table width the columns were last fitted to
        self.index: RunIndex | None = None
        self.summaries: list[Summary] = []  # every run listed
        self.shown: list[Summary] = []  # those the filter lets through, sorted
        self.marked: list[str] = []  # marked run ids, in the order they were marked
        self.run_filter = Filter()
        self.sort_field, self.sort_desc = "date", True
        self.group_by = ""  # the path the runs are grouped by ("": not grouped)
        self.groups: list[Group] = []
        self._row_ids: list[str] = []  # each table row's run id (a group heading: GROUP_ROW + its number)
        self._by_id: dict[str, RunInfo] = {}
        self.monitor = ""  # the one monitor of every run shown ("" when they differ)
        self._columns: dict[str, str] = {}  # column key -> the field it sorts by
        self._newest = ""
        self._differing: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # (run ids shown, the settings that differ)
        self._cells: dict[str, dict[str, str]] = {}  # run id -> its row's cells as last shown

    def compose(self) -> ComposeResult:
        yield Static("", id="runs-summary", classes="summary")
        yield self.filter_line()
        error = Static("", id="runs-filter-error")
        error.display = False
        yield error
        with Horizontal(id="runs-body", classes="pane-body"):
            yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="runs-detail"):
                which = Static("", id="runs-which")  # the selected run's id, tags and note (one line)
                which.display = False
                yield which
                with Horizontal(id="runs-curves"):
                    yield CurvePlot("loss", id="runs-loss")
                    yield CurvePlot("accuracy", id="runs-acc")
                box = Static("", id="runs-eval")
                box.display = False  # empty: the plots have its row
                yield box

    def on_mount(self) -> None:
        self.action_refresh()
        self.set_interval(LIVE_S, self._refresh_live)
        self.set_interval(SWEEP_S, self.sweep_tick)

    @property
    def table(self) -> DataTable:
        return self.query_one("#runs-table", DataTable)

    def selected(self) -> RunInfo | None:
        """The run at the cursor (None on a group's heading row)."""
        if not self._row_ids:
            return None
        return self._by_id.get(self._row_ids[min(max(self.table.cursor_row, 0), len(self._row_ids) - 1)])

    def chosen(self) -> RunInfo | None:
        """The run a key acts on; with none selected, says so (the key does nothing)."""
        run = self.selected()
        if run is None:
            self.notify("No run selected.", title="Runs")
        return run

    # ---- listing -------------------------------------------------------------------------
    def action_refresh(self) -> None:
        """Read the runs folder again (each run from the cache unless its metrics.json
        changed) and show it with the sort, the filter and the marks kept."""
        root = self.host.runs_dir
        if self.index is None or self.index.root != Path(root):
            self.index = RunIndex(root)
        try:
            self.summaries = self.index.list()
        except Exception as exc:
            self.summaries = []
            self.notify(str(exc), title="Runs", severity="error")
        listed = {s.id for s in self.summaries}
        self.marked = [m for m in self.marked if m in listed]  # a deleted run is no longer marked
        newest = max(listed, default="")
        follow = newest if self._newest and newest > self._newest else ""  # a new run: the cursor goes to it
        self._newest = newest
        self._show(follow)

    def _show(self, cursor_to: str = "") -> None:
        """Fill the table with the runs the filter lets through, in the sort's order; the
        settings that differ among them get columns of their own (as many as fit)."""
        shown = self.run_filter.apply(self.summaries) if self.run_filter else list(self.summaries)
        self.shown = sort_runs(shown, self.sort_field, self.sort_desc)
        self.groups = self.grouped(self.shown)
        if self.groups:  # each group keeps the sort's order
            self.shown = [s for g in self.groups for s in g.runs]
        self.runs = [s.info for s in self.shown]
        self._by_id = {r.id: r for r in self.runs}
        ids_shown = tuple(sorted(s.id for s in self.shown))  # a new order keeps the columns
        extra: tuple[str, ...] = ()
        if any(not s.experiment_read for s in self.shown):
            # Read by the worker, never here (the UI thread): the columns and cells shown
            # meanwhile are the last ones (table_cells), the worker shows the rest.
            self._read_experiments(list(self.shown))
            extra = self._differing[1] if self._differing[0] == ids_shown else ()
        elif self._differing[0] == ids_shown:
            extra = self._differing[1]
        else:
            extra = setting_columns(differing_paths(self.shown))
            self._differing = (ids_shown, extra)
        extra = tuple(p for p in extra if p != self.group_by)  # the group's heading says it
        table = self.table
        was = self.selected() if table.row_count else None
        keep = was.id if was is not None else ""
        # One monitor for all runs goes in the header, so each cell stays short.
        monitors = {r.monitor for r in self.runs if r.best_value is not None}
        one = self.monitor = monitors.pop() if len(monitors) == 1 else ""
        headers, rows = table_cells(self.shown, extra, set(self.marked), one, self._cells)
        self._cells = {r.id: row for r, row in zip(self.runs, rows, strict=True)}
        self.star_best(rows)
        for key, field in SORTABLE.items():
            if self.sort_field == field(one) and key in headers:
                headers[key] += " ↓" if self.sort_desc else " ↑"
        self._widths_for = self._table_width()
        widths = column_widths(headers, rows + self.heading_widths(rows), self._widths_for, extra)
        self._columns = {key: self._sort_field_of(key, one) for key in widths}
        table.clear(columns=True)
        for key, width in widths.items():
            table.add_column(headers[key], key=key, width=width)
        starts = self._group_starts()
        metric = self.sort_field[5:] if self.sort_field.startswith("best.") else one
        self._row_ids = []
        for r, row in zip(self.runs, rows, strict=True):
            if r.id in starts:  # a group's heading row first
                n = starts[r.id]
                cells = self.heading_cells(n, widths, metric, one)
                table.add_row(*[Text(cells[key], style="bold") for key in widths], key=f"{GROUP_ROW}{n}")
                self._row_ids.append(f"{GROUP_ROW}{n}")
            # Text cells: a DataTable reads a str cell as markup (a run named [/] would crash it).
            table.add_row(*[Text(cut(row[key], widths[key])) for key in widths], key=r.id)
            self._row_ids.append(r.id)
        if self.runs:
            target = cursor_to if cursor_to in self._by_id else keep if keep in self._by_id else self.runs[0].id
            table.move_cursor(row=self._row_ids.index(target))
        self._summary()
        if not self.runs:
            self._clear_detail()
            self._which("")

    def _summary(self) -> None:
        root = self.host.runs_dir
        count = f"{len(self.summaries)} run(s)" if self.summaries else "no runs yet: train one in the Train pane (3)"
        damaged = sum(s.info.status == Status.DAMAGED for s in self.summaries)
        if damaged:
            count += f", {damaged} damaged (highlight one to see why)"
        unknown = sum(s.experiment_read and bool(s.why) and s.info.status != Status.DAMAGED for s in self.summaries)
        if unknown:
            count += f", {unknown} with an unreadable experiment"
        parts = [f"Runs in {root}: {count}"]
        if self.run_filter:
            parts.append(f"{len(self.shown)} match {self.run_filter.expr}")
        if self.sort_field != "date" or not self.sort_desc:
            parts.append(f"by {self.sort_field} {'↓' if self.sort_desc else '↑'}")
        if self.group_by:
            parts.append(f"{len(self.groups)} group(s) by {self.group_by} (g ungroups)")
        if self.marked:
            parts.append(f"{len(self.marked)} marked")
        elif len(self.summaries) > 1 and not self.run_filter and not self.group_by:
            parts.append("Space marks · / filters · s sorts")
        self.query_one("#runs-summary", Static).update(plain(" · ".join(parts)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs-experiments", description="read the runs' experiments")
    def _read_experiments(self, summaries: list[Summary]) -> None:
        """Read each run's experiment.toml (a few ms each: hundreds take a second), then show
        the settings that differ."""
        for summary in summaries:
            _ = summary.experiment
        differ = setting_columns(differing_paths(summaries))  # 500 runs: a fifth of a second, off the UI thread
        self.app.call_from_thread(self._differ_ready, tuple(sorted(s.id for s in summaries)), differ)

    def _differ_ready(self, key: tuple[str, ...], paths: tuple[str, ...]) -> None:
        self._differing = (key, paths)
        self._show()

    # ---- many at once: marks, sort, filter ------------------------------------------------
    def action_mark(self) -> None:
        """Mark or unmark the selected run (on a group's heading: every run of the group,
        or none when all are marked already), then go to the next row."""
        run, group = self.selected(), self.selected_group()
        ids = [run.id] if run is not None else [s.id for s in group.runs] if group is not None else []
        if not ids:
            return
        unmark = all(i in self.marked for i in ids)
        for i in ids:
            if unmark:
                self.marked.remove(i)
            elif i not in self.marked:
                self.marked.append(i)
            self.table.update_cell(i, "mark", Text("" if unmark else MARK_SIGN))
        self.table.action_cursor_down()
        self._summary()

    def action_mark_all(self) -> None:
        self.marked += [r.id for r in self.runs if r.id not in self.marked]
        for r in self.runs:
            self.table.update_cell(r.id, "mark", Text(MARK_SIGN))
        self._summary()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "escape":  # otherwise Esc keeps the meaning it has around the pane
            return bool(self.marked) or self._filter_line().has_focus
        return True

    def action_escape(self) -> None:
        line = self._filter_line()
        if line.has_focus:  # close the line; the filter applied stays
            line.value = self.run_filter.expr
            line.display = bool(self.run_filter)
            self.query_one("#runs-filter-error").display = False
            self.table.focus()
            return
        self.marked.clear()
        for r in self.runs:
            self.table.update_cell(r.id, "mark", Text(""))
        self._summary()

    def sort_fields(self) -> list[str]:
        """What `s` cycles through: the date, each metric's best (the monitor first), epochs,
        training time."""
        metrics = sorted({m for s in self.summaries for m in s.best}, key=lambda m: (m != self.monitor, not m.startswith("val_"), m))
        return ["date", *(f"best.{m}" for m in metrics), "epochs", "time"]

    def action_sort(self) -> None:
        fields = self.sort_fields()
        following = fields[(fields.index(self.sort_field) + 1) % len(fields)] if self.sort_field in fields else fields[0]
        self.sort_by(following)

    def sort_by(self, field: str, desc: bool | None = None) -> None:
        """Sort the rows by `field` (the best run first for a metric, the newest, longest,
        most epochs first otherwise, unless `desc` says)."""
        self.sort_field = field
        if desc is None:
            desc = higher_is_better(field[5:]) if field.startswith("best.") else field in ("date", "epochs", "time")
        self.sort_desc = desc
        self._show()

    def _sort_field_of(self, key: str, one: str) -> str:
        if key in SORTABLE:
            return SORTABLE[key](one)
        return "" if key in ("mark", "data", "preset") else key  # a differing setting: its path

    @on(DataTable.HeaderSelected, "#runs-table")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        field = self._columns.get(str(event.column_key.value), "")
        if field:
            self.sort_by(field, not self.sort_desc if field == self.sort_field else None)

    def _table_width(self) -> int:
        """Columns the table has (before its first layout: the pane's share of the terminal)."""
        width = self.table.size.width
        if width <= 0:
            width = self.app.size.width if self.host.pair is None else self.app.size.width // 2
        return width

    def on_resize(self) -> None:
        if self.runs and self._widths_for != self._table_width():
            self.action_refresh()

    def _refresh_live(self) -> None:
        """Re-read the live runs' metrics.json (only theirs) and update their status and
        epochs cells in place (the cursor and the detail stay)."""
        from engine.runs import read_info

        for i, r in enumerate(self.runs):
            if r.status not in LIVE:
                continue
            try:
                new = read_info(r.path)
            except (KerminalError, OSError):  # deleted meanwhile: the next full refresh drops it
                continue
            if (new.status, new.epochs, new.target) != (r.status, r.epochs, r.target):
                self.runs[i] = self._by_id[r.id] = new
                self.table.update_cell(r.id, "status", plain(new.status))  # always shown, wide enough for any status
                self.table.update_cell(r.id, "epochs", plain(epochs_cell(new)))

    def _show_eval(self, content: Any) -> None:
        """The evaluation box's content; an empty box takes no row (the plots have it)."""
        box = self.query_one("#runs-eval", Static)
        box.update(content)
        box.display = bool(content)

    def _clear_detail(self) -> None:
        self.query_one("#runs-loss", CurvePlot).clear()
        self.query_one("#runs-acc", CurvePlot).clear()
        self._show_eval("")

    @on(DataTable.RowHighlighted, "#runs-table")
    def _highlighted(self) -> None:
        self.evaluation = None
        self._show_eval("")
        run, group = self.selected(), self.selected_group()
        if run is not None:  # the id the table may have no room for, and the user's labels
            tags = " ".join(f"#{t}" for t in run.tags)
            self._which(" · ".join(p for p in (f"run {run.id}", tags, run.note) if p))
        elif group is not None:
            metric = self.sort_field[5:] if self.sort_field.startswith("best.") else self.monitor
            self._which(f"{self.group_heading(group, metric)} · Space marks them all")
        if group is not None:
            self._clear_detail()
            return
        self.action_curves()

    def _which(self, text: str) -> None:
        """The line under the table: one line, cut with an ellipsis; none when empty."""
        line = plain(text)
        line.no_wrap, line.overflow = True, "ellipsis"
        which = self.query_one("#runs-which", Static)
        which.update(line)
        which.display = bool(text)

    @on(DataTable.RowSelected, "#runs-table")
    def _selected(self) -> None:
        self.action_attach()

    # ---- actions -------------------------------------------------------------------------
    def action_compare(self) -> None:
        """Two or more marked: the compare view (the app opens it); fewer: the curves."""
        if len(self.marked) >= 2:
            self.app.post_message(CompareRuns(list(self.marked)))
        else:
            self.action_curves()

    def action_curves(self) -> None:
        run = self.selected()
        if run is None:
            return
        if run.status == Status.DAMAGED:  # nothing of it can be read: the detail says why
            self._clear_detail()
            self._show_eval(Text(f"Run {run.id} is damaged: {run.message}", style="red"))
            return
        from engine.runs import read_history

        self.query_one("#runs-curves").display = True
        try:
            history = read_history(run.path)
        except (OSError, ValueError) as exc:
            self._show_eval(plain(f"Could not read the run's history: {exc}", style="red"))
            return
        loss_keys, metric_keys = split_metrics(list(history))
        for plot_id, keys in (("#runs-loss", loss_keys), ("#runs-acc", metric_keys)):
            plot = self.query_one(plot_id, CurvePlot)
            plot.set_series({("validation" if k.startswith("val_") else "train"): history[k] for k in keys})
            plot.set_trace([], [])
            if keys and plot_id == "#runs-acc":
                plot.title = keys[0]
            plot.replot()
        summary = next((s for s in self.shown if s.id == run.id), None)
        if summary is not None and summary.experiment_read and summary.why:  # its settings cells show "?"
            self._show_eval(plain(f"Run {run.id}'s settings are not known: {summary.why}", style="yellow"))

    def action_evaluate(self) -> None:
        run = self.chosen()
        if run is None:
            return
        self._show_eval(plain(f"Evaluating {run.id}… (loads TensorFlow, the model and the data)"))
        self.evaluating = run.id  # for a failure's message (worker_failed)
        self._evaluate(str(self.host.runs_dir), run.id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="evaluate", description="evaluate a run")
    def _evaluate(self, runs_dir: str, run_id: str) -> None:
        from engine.data import load_dataset
        from engine.training import RunStore, evaluate

        run = RunStore(runs_dir).load(run_id)  # an error goes to worker_failed
        dataset = load_dataset(run.experiment)
        evaluation = evaluate(run, dataset)
        self.post_message(EvaluationReady(run_id, evaluation))

    def worker_failed(self, worker: Any, message: str) -> bool:
        if worker.group == "delete":
            self.notify(message, title="Delete failed", severity="error", timeout=10)
            return True
        if worker.group == "export":
            self.notify(message, title="Export failed", severity="error", timeout=10)
            return True
        if worker.group != "evaluate":
            return False
        self.post_message(EvaluationReady(getattr(self, "evaluating", "the run"), error=message))
        return True

    def on_evaluation_ready(self, message: EvaluationReady) -> None:
        if message.error:
            self._show_eval(plain(f"Could not evaluate {message.run_id}: {message.error}", style="red"))
            self.notify(message.error, title="Evaluate", severity="error", timeout=8)
            return
        evaluation = self.evaluation = message.evaluation
        assert evaluation is not None  # no error: an evaluation
        self.query_one("#runs-curves").display = False  # the evaluation takes the room (c shows the curves again)
        self._show_eval(evaluation_renderable(evaluation))
