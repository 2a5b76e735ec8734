"""The Predict pane: type a sentence (or a grammar string), press Enter, see the label, a
bar per class probability and the latency; a scrollable history. Uses the model just
trained, or a saved run (Ctrl+R)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static

from tui.dialogs import ChoiceDialog
from tui.messages import PredictionReady, PredictorReady
from tui.panes.base import Pane
from tui.widgets.probbars import ProbabilityBars


class PredictPane(Pane):
    DEFAULT_FOCUS = "#predict-input"
    BINDINGS = [
        Binding("ctrl+r", "choose_run", "Use run…", tooltip="Predict with a saved run."),
        Binding("ctrl+l", "clear_history", "Clear history", tooltip="Clear the prediction history."),
        Binding("escape", "focus_history", "History", show=False, tooltip="Move focus to the history (number keys switch panes again)."),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.predictor: Any = None
        self.source = ""
        self.loading = False
        self.predictions: list[Any] = []
        self.show_latency = True  # the snapshot tests turn this off (latency varies)

    def compose(self) -> ComposeResult:
        yield Static("Model: none yet. Train one in the Train pane (3), or pick a saved run with Ctrl+R.", id="predict-model", classes="summary")
        yield Input(placeholder="Type a sentence (or a grammar string) and press Enter · Esc leaves the prompt", id="predict-input")
        with Horizontal(id="predict-result"):
            yield Static("", id="predict-label")
            yield ProbabilityBars(id="predict-bars")
        yield DataTable(id="predict-history", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#predict-history", DataTable)
        table.add_column("text", key="text")
        table.add_column("label", key="label")
        table.add_column("p", key="p")
        table.add_column("ms", key="ms")

    # ---- the model -----------------------------------------------------------------------
    def use_model(self, model: Any, class_names: list[str], exp: Any, source: str) -> None:
        self.loading = True
        self._model_line(f"Model: loading {source}…")
        self._make_predictor(model, class_names, exp, source)

    @work(thread=True, exclusive=True, exit_on_error=False, group="predictor", description="prepare the predictor")
    def _make_predictor(self, model: Any, class_names: list[str], exp: Any, source: str) -> None:
        from engine.training import Predictor

        try:
            predictor = Predictor(model, class_names, exp)
        except Exception as exc:
            from tui.app import error_text

            self.post_message(PredictorReady(error=error_text(exc), source=source))
            return
        self.post_message(PredictorReady(predictor, source))

    def use_run(self, run_id: str) -> None:
        self.loading = True
        self._model_line(f"Model: loading run {run_id}…")
        self._load_run(str(self.kapp.runs_dir), run_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="predictor", description="load a run")
    def _load_run(self, runs_dir: str, run_id: str) -> None:
        from engine.training import Predictor

        try:
            predictor = Predictor.from_run(run_id, runs_dir=runs_dir)
        except Exception as exc:
            from tui.app import error_text

            self.post_message(PredictorReady(error=error_text(exc), source=f"run {run_id}"))
            return
        self.post_message(PredictorReady(predictor, f"run {run_id}"))

    def on_predictor_ready(self, message: PredictorReady) -> None:
        self.loading = False
        if message.error:
            self._model_line(Text(f"Model: {message.source} could not be loaded: {message.error}", style="red"))
            self.notify(message.error, title="Predict", severity="error", timeout=8)
            return
        self.predictor, self.source = message.predictor, message.source
        names = ", ".join(self.predictor.class_names)
        self._model_line(f"Model: {message.source} · classes {names} · Ctrl+R another run")

    def _model_line(self, text: str | Text) -> None:
        self.query_one("#predict-model", Static).update(text)

    # ---- predicting ----------------------------------------------------------------------
    @on(Input.Submitted, "#predict-input")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if self.predictor is None:
            why = "The model is still loading." if self.loading else "No model yet: train one (3) or pick a saved run (Ctrl+R)."
            self.notify(why, title="Predict", severity="warning")
            return
        self._predict(self.predictor, text)

    @work(thread=True, exclusive=False, exit_on_error=False, group="predict", description="predict")
    def _predict(self, predictor: Any, text: str) -> None:
        try:
            prediction = predictor.predict(text)
        except Exception as exc:
            from tui.app import error_text

            self.post_message(PredictionReady(text, error=error_text(exc)))
            return
        self.post_message(PredictionReady(text, prediction))

    def on_prediction_ready(self, message: PredictionReady) -> None:
        if message.error:
            self.query_one("#predict-label", Static).update(Text(message.error, style="red"))
            return
        p = message.prediction
        self.predictions.append(p)
        confidence = p.probabilities.get(p.label, 0.0)
        latency = f"\n{p.latency_ms:.1f} ms" if self.show_latency else ""
        self.query_one("#predict-label", Static).update(Text.assemble(("→ ", "dim"), (p.label, "bold green"), f"  {confidence:.3f}{latency}"))
        self.query_one("#predict-bars", ProbabilityBars).show(p.probabilities, p.label)
        table = self.query_one("#predict-history", DataTable)
        table.add_row(p.text[:80], p.label, f"{confidence:.3f}", f"{p.latency_ms:.1f}" if self.show_latency else "-")
        table.move_cursor(row=table.row_count - 1)

    @on(DataTable.RowSelected, "#predict-history")
    def _reuse(self, event: DataTable.RowSelected) -> None:
        i = event.cursor_row
        if 0 <= i < len(self.predictions):
            box = self.query_one("#predict-input", Input)
            box.value = self.predictions[i].text
            box.focus()

    # ---- actions -------------------------------------------------------------------------
    def action_choose_run(self) -> None:
        from engine.training import RunStore

        try:
            runs = RunStore(self.kapp.runs_dir).list()
        except Exception as exc:
            self.notify(str(exc), title="Runs", severity="error")
            return
        if not runs:
            self.notify(f"No saved runs in {self.kapp.runs_dir}.", title="Predict")
            return
        options = [(r.id, f"{r.id}  {r.preset or r.name}  {r.epochs} epochs  {r.status}") for r in runs]

        def chosen(run_id: str | None) -> None:
            if run_id:
                self.use_run(run_id)

        self.app.push_screen(ChoiceDialog("Predict with which run?", options), chosen)

    def action_clear_history(self) -> None:
        self.predictions.clear()
        self.query_one("#predict-history", DataTable).clear()

    def action_focus_history(self) -> None:
        self.query_one("#predict-history", DataTable).focus()
