"""The Predict pane: type a sentence (or a grammar string), press Enter, see the label, a
bar per class probability and the latency; a scrollable history (label, probability and
latency per text, 80 columns wide). Uses the model just trained (its live weights), or a
saved run's best or last model (Ctrl+R); the model line says which one answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static

from engine.runs import Status
from tui.dialogs import ChoiceDialog
from tui.messages import PredictionReady, PredictorReady
from tui.notices import TOAST_TEXT
from tui.panes.base import Pane
from tui.plain import plain, printable
from tui.shorten import with_path
from tui.widgets.probbars import ProbabilityBars

if TYPE_CHECKING:  # pragma: no cover
    from engine.training import Prediction, Predictor

# History cells are cut to these widths so that a row fits 80 columns (text, label, p, ms).
TEXT_WIDTH = 40
LABEL_WIDTH = 12


def clip(text: str, width: int) -> str:
    """One line of at most `width` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class PredictPane(Pane):
    DEFAULT_FOCUS = "#predict-input"
    BINDINGS = [
        Binding("ctrl+r", "choose_run", "Use run…", tooltip="Predict with a saved run."),
        Binding("ctrl+l", "clear_history", "Clear history", tooltip="Clear the prediction history."),
        Binding("escape", "focus_history", "History", show=False, tooltip="Move focus to the history (number keys switch panes again)."),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.predictor: Predictor | None = None
        self.source = ""
        self.loading = False
        self.loading_source = ""  # the model being loaded, for a failure's message
        self.predictions: list[Prediction] = []
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
        table.add_column("text", key="text", width=TEXT_WIDTH)
        table.add_column("label", key="label")
        table.add_column("p", key="p")
        table.add_column("ms", key="ms")

    # ---- the model -----------------------------------------------------------------------
    def use_model(self, model: Any, class_names: list[str], exp: Any, source: str) -> None:
        self.loading, self.loading_source = True, source
        self._model_line(f"Model: loading {source}…")
        self._make_predictor(model, class_names, exp, source)

    @work(thread=True, exclusive=True, exit_on_error=False, group="predictor", description="prepare the predictor")
    def _make_predictor(self, model: Any, class_names: list[str], exp: Any, source: str) -> None:
        from engine.training import Predictor

        predictor = Predictor(model, class_names, exp)  # an error goes to worker_failed
        self.post_message(PredictorReady(predictor, source))

    def use_run(self, run_id: str, which: str = "best") -> None:
        self.loading, self.loading_source = True, f"run {run_id} ({which})"
        self._model_line(f"Model: loading run {run_id} ({which})…")
        self._load_run(str(self.host.runs_dir), run_id, which)

    @work(thread=True, exclusive=True, exit_on_error=False, group="predictor", description="load a run")
    def _load_run(self, runs_dir: str, run_id: str, which: str) -> None:
        from engine.training import Predictor, RunStore

        run = RunStore(runs_dir).load(run_id, which=which)  # an error goes to worker_failed
        predictor = Predictor.from_run(run)
        # The file actually loaded (a missing best falls back to last and the other way round).
        epoch = run.info.best_epoch if run.which == "best" else run.info.epochs
        self.post_message(PredictorReady(predictor, f"run {run_id} · {run.which} (epoch {epoch})"))

    def on_predictor_ready(self, message: PredictorReady) -> None:
        self.loading = False
        if message.error:
            self._model_line(plain(f"Model: {message.source} could not be loaded: {message.error}", style="red"))
            self.notify(message.error, title="Predict", severity="error", timeout=8)
            return
        predictor = self.predictor = message.predictor
        assert predictor is not None  # no error: a predictor
        self.source = message.source
        classes = list(predictor.class_names)
        names = ", ".join(classes) if len(classes) <= 4 else f"{len(classes)}: {', '.join(classes[:3])}, …"
        self._model_line(Text.assemble("Model: ", (printable(message.source), "bold"), printable(f" · classes {names} · Ctrl+R another run")))

    def _model_line(self, text: str | Text) -> None:
        self.query_one("#predict-model", Static).update(plain(text))

    # ---- predicting ----------------------------------------------------------------------
    @on(Input.Submitted, "#predict-input")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            # An empty text has no meaningful probability (the model would only see padding).
            self._result_line(Text("Nothing to classify: type a text first.", style="yellow"))
            self.query_one("#predict-bars", ProbabilityBars).show({})  # no bars of an earlier text beside it
            self.notify("An empty text has nothing to classify: type a text first.", title="Predict", severity="warning")
            return
        if self.predictor is None:
            why = "The model is still loading." if self.loading else "No model yet: train one (3) or pick a saved run (Ctrl+R)."
            self.notify(why, title="Predict", severity="warning")
            return  # the text stays in the box for when a model is ready
        event.input.clear()  # the next sentence starts afresh (Enter on a history row brings one back)
        self._predict(self.predictor, text)

    def _result_line(self, text: str | Text) -> None:
        self.query_one("#predict-label", Static).update(text)

    @work(thread=True, exclusive=False, exit_on_error=False, group="predict", description="predict")
    def _predict(self, predictor: Predictor, text: str) -> None:
        self.post_message(PredictionReady(text, predictor.predict(text)))  # an error goes to worker_failed

    def worker_failed(self, worker: Any, message: str) -> bool:
        """A model that could not load, or a prediction that failed: said where it belongs."""
        if worker.group == "predictor":
            self.post_message(PredictorReady(error=message, source=self.loading_source))
        elif worker.group == "predict":
            self.post_message(PredictionReady("", error=message))
        else:
            return False
        return True

    def on_prediction_ready(self, message: PredictionReady) -> None:
        if message.error:
            self._result_line(Text(message.error, style="red"))
            self.query_one("#predict-bars", ProbabilityBars).show({})
            self.notify(message.error, title="Predict", severity="error", timeout=8)
            return
        p = message.prediction
        assert p is not None  # no error: a prediction
        self.predictions.append(p)
        confidence = p.probabilities.get(p.label, 0.0)
        latency = f"\n{p.latency_ms:.1f} ms" if self.show_latency else ""
        self._result_line(Text.assemble(("→ ", "dim"), (p.label, "bold green"), f"  {confidence:.3f}{latency}"))
        self.query_one("#predict-bars", ProbabilityBars).show(p.probabilities, p.label)
        table = self.query_one("#predict-history", DataTable)
        table.add_row(clip(p.text, TEXT_WIDTH), clip(p.label, LABEL_WIDTH), f"{confidence:.3f}", f"{p.latency_ms:.1f}" if self.show_latency else "-")
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
            runs = [r for r in RunStore(self.host.runs_dir).list() if r.status != Status.DAMAGED]  # nothing to predict with
        except Exception as exc:
            self.notify(str(exc), title="Runs", severity="error")
            return
        if not runs:
            self.notify(with_path("No saved runs in {path}.", self.host.runs_dir, TOAST_TEXT), title="Predict")
            return
        options = []
        for r in runs:
            about = f"{r.preset or r.name}  {r.data}  {r.status}"
            if r.best_epoch:
                options.append((f"best\t{r.id}", f"{r.id}  best (epoch {r.best_epoch})  {about}"))
            if not r.best_epoch or r.epochs != r.best_epoch:
                options.append((f"last\t{r.id}", f"{r.id}  last (epoch {r.epochs})  {about}"))

        def chosen(key: str | None) -> None:
            if key:
                which, run_id = key.split("\t", 1)
                self.use_run(run_id, which)

        self.app.push_screen(ChoiceDialog("Predict with which run?", options), chosen)

    def action_clear_history(self) -> None:
        self.predictions.clear()
        self.query_one("#predict-history", DataTable).clear()

    def action_focus_history(self) -> None:
        self.query_one("#predict-history", DataTable).focus()
