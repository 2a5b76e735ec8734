"""The Runs pane: saved and live runs (status, date, preset, data source, epochs, best
validation metric); Enter follows one in the Train pane (its whole history; a live run is
steered there), p predicts with one, c shows its curves, e evaluates it (confusion matrix,
per-class precision/recall, the most confidently misclassified examples), o opens its
experiment, d deletes it after confirmation. While a listed run is live, its status and
epochs are re-read every LIVE_S seconds (its metrics.json only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static

from engine import KerminalError
from engine.runs import LIVE, RunInfo, Status
from tui.dialogs import ConfirmDialog, TextPrompt
from tui.messages import EvaluationReady, FollowRun, MoreEpochs, PredictWithRun
from tui.notices import TOAST_TEXT
from tui.panes.base import Pane
from tui.panes.runs_columns import column_widths, cut, damage_reason, epochs_cell
from tui.plain import plain, printable
from tui.shorten import with_path
from tui.widgets.curves import CurvePlot, split_metrics

if TYPE_CHECKING:  # pragma: no cover
    from engine.training import Evaluation

LIVE_S = 2.0  # live runs' rows are refreshed this often


def evaluation_renderable(evaluation: Evaluation) -> Table:
    """Confusion matrix, per-class table and the most confidently misclassified examples."""
    names = list(evaluation.class_names)
    grid = Table.grid(padding=(0, 0))
    grid.add_row(Text(f"{evaluation.split} split: {evaluation.samples} examples · loss {evaluation.loss:.4f} · accuracy {evaluation.accuracy:.4f} · macro F1 {evaluation.macro_f1:.4f} · c: curves", style="bold"))
    # Many or long class names: the columns are numbered (the rows say which number is
    # which class), so 20 classes fit 80 columns.
    numbered = len(names) > 4 or any(len(n) > 8 for n in names)
    width = max((len(str(v)) for row in evaluation.confusion for v in row), default=1)
    cm = Table(title="confusion (rows: true, columns: predicted" + (", by number)" if numbered else ")"), title_justify="left", box=None, padding=(0, 1) if width > 2 or not numbered else (0, 0, 0, 1))
    cm.add_column("true\\pred")  # a header of its own: a blank one lost its width on screen
    for i, n in enumerate(names, 1):
        cm.add_column(str(i) if numbered else plain(n[:12]), justify="right")
    for i, (n, row) in enumerate(zip(names, evaluation.confusion, strict=True), 1):
        cm.add_row(plain(f"{i:>2} {n[:9]}" if numbered else n[:12]), *[str(v) for v in row])
    parts = [cm]
    pc = Table(title="per class", title_justify="left", box=None, padding=(0, 1))
    for col in ("class", "precision", "recall", "f1", "support"):
        pc.add_column(col, justify="left" if col == "class" else "right")
    for i, (n, m) in enumerate(evaluation.per_class.items(), 1):
        pc.add_row(plain(f"{i:>2} {n[:24]}" if numbered else n[:16]), f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", f"{int(m['support'])}")
    parts.append(pc)
    if len(names) <= 4:  # both narrow: side by side, so the view fits 80x24
        pair = Table.grid(padding=(0, 2))
        pair.add_row(*parts)
        grid.add_row(pair)
    else:
        for part in parts:
            grid.add_row(part)
    wrong = Table(title="most confidently misclassified", title_justify="left", box=None, padding=(0, 1))
    for col in ("p", "true", "predicted", "text"):
        wrong.add_column(col)
    for w in evaluation.misclassified[:8]:
        wrong.add_row(f"{w.confidence:.3f}", plain(w.true[:12]), plain(w.predicted[:12]), plain(" ".join(w.text.split())[:70]))
    grid.add_row(wrong)
    return grid


class RunsPane(Pane):
    DEFAULT_FOCUS = "#runs-table"
    BINDINGS = [
        Binding("enter", "attach", "Follow", tooltip="Follow the selected run in the Train pane: its whole history, and its keys steer a live run."),
        Binding("p", "predict", "Predict with", tooltip="Use the selected run in the Predict pane."),
        Binding("e", "evaluate", "Evaluate", tooltip="Evaluate the selected run on its test (or validation) split."),
        Binding("c", "curves", "Curves", tooltip="Show the selected run's training curves."),
        Binding("o", "open_experiment", "Open", tooltip="Edit the selected run's experiment (asks about unsaved changes first)."),
        Binding("x", "export", "Export…", tooltip="Export the selected run: a plain Keras training script, or a SavedModel for serving."),
        Binding("d", "delete", "Delete", tooltip="Delete the selected run (asks first)."),
        Binding("m", "more", "More epochs…", tooltip="Train the selected run more epochs: asks how many (its own count first), then follows it in the Train pane."),
        Binding("r", "refresh", "Refresh", tooltip="List the runs again."),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runs: list[RunInfo] = []
        self.evaluation: Evaluation | None = None
        self._widths_for = 0  # the table width the columns were last fitted to

    def compose(self) -> ComposeResult:
        yield Static("", id="runs-summary", classes="summary")
        with Horizontal(id="runs-body", classes="pane-body"):
            yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="runs-detail"):
                with Horizontal(id="runs-curves"):
                    yield CurvePlot("loss", id="runs-loss")
                    yield CurvePlot("accuracy", id="runs-acc")
                box = Static("", id="runs-eval")
                box.display = False  # empty: the plots have its row
                yield box

    def on_mount(self) -> None:
        self.action_refresh()
        self.set_interval(LIVE_S, self._refresh_live)

    @property
    def table(self) -> DataTable:
        return self.query_one("#runs-table", DataTable)

    def selected(self) -> RunInfo | None:
        if not self.runs:
            return None
        return self.runs[min(max(self.table.cursor_row, 0), len(self.runs) - 1)]

    # ---- listing -------------------------------------------------------------------------
    def action_refresh(self) -> None:
        from engine.training import RunStore

        root = self.host.runs_dir
        try:
            self.runs = RunStore(root).list()
        except Exception as exc:
            self.runs = []
            self.notify(str(exc), title="Runs", severity="error")
        table = self.table
        keep = table.cursor_row
        # One monitor for all runs goes in the header, so each cell stays short.
        monitors = {r.monitor for r in self.runs if r.best_value is not None}
        one = monitors.pop() if len(monitors) == 1 else ""
        rows = []
        for r in self.runs:
            best = "" if r.best_value is None else f"{'' if one else r.monitor + ' '}{r.best_value:.4f} (ep {r.best_epoch})"
            data = damage_reason(r) if r.status == Status.DAMAGED else r.data  # a damaged run says why in the row
            cells = {"id": r.id, "status": r.status, "epochs": epochs_cell(r), "best": best, "data": data, "preset": r.preset or r.name, "date": r.created.replace("T", " ")[:16]}
            rows.append({key: printable(value) for key, value in cells.items()})  # widths of what is shown
        headers = {"id": "run", "status": "status", "epochs": "epochs", "best": f"best {one}".strip(), "data": "data", "preset": "preset", "date": "date"}
        self._widths_for = self._table_width()
        widths = column_widths(headers, rows, self._widths_for)
        table.clear(columns=True)
        for key, width in widths.items():
            table.add_column(headers[key], key=key, width=width)
        for r, row in zip(self.runs, rows, strict=True):
            # Text cells: a DataTable reads a str cell as markup (a run named [/] would crash it).
            table.add_row(*[Text(cut(row[key], widths[key])) for key in widths], key=r.id)
        if self.runs:
            table.move_cursor(row=min(max(keep, 0), len(self.runs) - 1))
        count = f"{len(self.runs)} run(s)" if self.runs else "no runs yet: train one in the Train pane (3)"
        damaged = sum(r.status == Status.DAMAGED for r in self.runs)
        if damaged:
            count += f", {damaged} damaged (highlight one to see why)"
        self.query_one("#runs-summary", Static).update(plain(f"Runs in {root}: {count}"))
        if not self.runs:
            self._clear_detail()

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
                self.runs[i] = new
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
        self.action_curves()

    @on(DataTable.RowSelected, "#runs-table")
    def _selected(self) -> None:
        self.action_attach()

    # ---- actions -------------------------------------------------------------------------
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

    def action_attach(self) -> None:
        """Follow the selected run in the Train pane and show that pane."""
        run = self.selected()
        if run is None:
            self.notify("No run selected.", title="Runs")
            return
        self.app.post_message(FollowRun(run.path))

    def action_more(self) -> None:
        """Ask how many more epochs the selected run trains (the Train pane asks and follows it)."""
        run = self.selected()
        if run is None:
            self.notify("No run selected.", title="Runs")
            return
        self.app.post_message(MoreEpochs(run.path))

    def action_predict(self) -> None:
        run = self.selected()
        if run is None:
            self.notify("No run selected.", title="Runs")
            return
        self.app.post_message(PredictWithRun(run.id))

    def action_open_experiment(self) -> None:
        run = self.selected()
        if run is None:
            self.notify("No run selected.", title="Runs")
            return
        from engine.runs import EXPERIMENT

        # No pane switch here: when a dialog asked first, Textual gives focus back to this
        # table as the dialog closes, which would switch back.
        self.host.keep_work(
            lambda: self.host.open_experiment(run.path / EXPERIMENT, as_file=False, what=f"run {run.id}'s experiment"),
            f"opening run {run.id}'s experiment",
        )

    def action_evaluate(self) -> None:
        run = self.selected()
        if run is None:
            self.notify("No run selected.", title="Runs")
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

    def action_export(self) -> None:
        """Ask what to export and where, then write it in a worker (a SavedModel loads
        TensorFlow and the model)."""
        run = self.selected()
        if run is None:
            self.notify("No run selected.", title="Runs")
            return
        from pathlib import Path

        from engine import export_options

        # Offer only what this run allows; say why the rest is left out.
        options = {o.kind: o for o in export_options(run.path) if o.kind in ("script", "saved_model")}
        allowed = [k for k, o in options.items() if o.allowed]
        if not allowed:
            self.notify(options["script"].reason, title="Export", severity="warning", timeout=10)
            return

        def where(kind: str | None) -> None:
            if kind not in ("script", "saved_model"):
                return
            default = str(Path.cwd() / (f"{run.id}.py" if kind == "script" else f"{run.id}-saved_model"))
            what = "a training script (.py)" if kind == "script" else "a SavedModel folder (new or empty)"

            def chosen(path: str | None) -> None:
                if path:
                    self.notify(f"Exporting run {run.id}…", title="Export")
                    self._export(run.path, kind, str(Path(path).expanduser()))

            self.app.push_screen(TextPrompt(f"Export run {run.id} as {what}", default, "path", "Enter writes it · Esc cancels"), chosen)

        offers = {"script": "a plain Keras training script (no kerminal needed to run it)", "saved_model": "a SavedModel for serving (string in, probabilities out)"}
        question = f"Export run {run.id} as {' or as '.join(offers[k] for k in allowed)}?"
        if not options["script"].allowed:
            question += f"\nNo script: {options['script'].reason}"
        buttons = [(k, {"script": "Script", "saved_model": "SavedModel"}[k]) for k in allowed]
        self.app.push_screen(ConfirmDialog(question, [*buttons, ("cancel", "Cancel")]), where)

    @work(thread=True, exclusive=False, exit_on_error=False, group="export", description="export a run")
    def _export(self, run_path: Any, kind: str, out: str) -> None:
        from engine import export_saved_model, export_script

        written = export_script(run_path, out) if kind == "script" else export_saved_model(run_path, out)
        self.app.call_from_thread(self.notify, with_path("Wrote {path}", written, TOAST_TEXT), title="Export")

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

    def action_delete(self) -> None:
        run = self.selected()
        if run is None:
            self.notify("No run selected.", title="Runs")
            return
        live = run.status in LIVE

        def chosen(choice: str | None) -> None:
            if choice in ("delete", "stop"):
                self.notify(f"Stopping run {run.id}, then deleting it…" if live else f"Deleting run {run.id}…", title="Runs")
                self._delete(run.id, live)

        if live:
            question = f"Run {run.id} is {run.status}: stop it at the end of its batch, then delete its folder ({run.path})? This cannot be undone."
            self.app.push_screen(ConfirmDialog(question, [("stop", "Stop and delete"), ("cancel", "Cancel")]), chosen)
        else:
            self.app.push_screen(ConfirmDialog(f"Delete run {run.id} ({run.path})? This cannot be undone.", [("delete", "Delete"), ("cancel", "Cancel")]), chosen)

    @work(thread=True, exclusive=False, exit_on_error=False, group="delete", description="delete a run")
    def _delete(self, run_id: str, stop: bool) -> None:
        from engine.training import RunStore

        RunStore(self.host.runs_dir).delete(run_id, stop=stop)
        self.app.call_from_thread(self.notify, f"Deleted run {run_id}.", title="Runs")
        self.app.call_from_thread(self.action_refresh)
