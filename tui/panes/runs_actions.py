"""The Runs pane's actions on one run: follow it, predict with it, train it more epochs and
open its experiment (each a message to the app or a pane), and those that ask first: export
it (a training script or a SavedModel, written in a worker) and delete it (a live run is
stopped first). A mixin of RunsPane, which gives it `selected()` and `action_refresh()`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.widget import Widget

from engine.runs import EXPERIMENT, LIVE
from tui.dialogs import ConfirmDialog, TextPrompt
from tui.messages import FollowRun, MoreEpochs, PredictWithRun
from tui.notices import TOAST_TEXT
from tui.shorten import with_path

if TYPE_CHECKING:  # pragma: no cover
    from engine.runs import RunInfo
    from tui.host import PaneHost


class RunActions(Widget):
    if TYPE_CHECKING:  # what the pane it is mixed into gives it (Pane, RunsPane)

        @property
        def host(self) -> PaneHost: ...

        def selected(self) -> RunInfo | None: ...

        def chosen(self) -> RunInfo | None: ...

        def action_refresh(self) -> None: ...

    def action_attach(self) -> None:
        """Follow the selected run in the Train pane and show that pane."""
        run = self.chosen()
        if run is None:
            return
        self.app.post_message(FollowRun(run.path))

    def action_more(self) -> None:
        """Ask how many more epochs the selected run trains (the Train pane asks and follows it)."""
        run = self.chosen()
        if run is None:
            return
        self.app.post_message(MoreEpochs(run.path))

    def action_predict(self) -> None:
        run = self.chosen()
        if run is None:
            return
        self.app.post_message(PredictWithRun(run.id))

    def action_open_experiment(self) -> None:
        run = self.chosen()
        if run is None:
            return
        # No pane switch here: when a dialog asked first, Textual gives focus back to this
        # table as the dialog closes, which would switch back.
        self.host.keep_work(
            lambda: self.host.open_experiment(run.path / EXPERIMENT, as_file=False, what=f"run {run.id}'s experiment"),
            f"opening run {run.id}'s experiment",
        )

    def action_export(self) -> None:
        """Ask what to export and where, then write it in a worker (a SavedModel loads
        TensorFlow and the model)."""
        run = self.chosen()
        if run is None:
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

    def action_delete(self) -> None:
        run = self.chosen()
        if run is None:
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
