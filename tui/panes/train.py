"""The Train pane: fit settings, start/stop/pause, live progress, curves, log and probes.

Training runs in a thread worker (`@work(thread=True, exclusive=True, exit_on_error=False)`).
The Trainer's listener runs in that thread and only posts `TrainingEvent` messages; the
handlers here update the widgets. Batch events are already throttled by the Trainer and
collapse in the message queue (`can_replace`); a timer redraws the progress line twice a
second at most and the curves once a second, and the curves are drawn at once when an
epoch ends unless they were drawn under CURVES_S ago (then the timer draws them: short epochs do not
flood the terminal; epoch ends are never dropped, and the end of a run draws at once).
"""

from __future__ import annotations

import gc
import math
import threading
import time
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import ProgressBar, RichLog, Static

from engine import Experiment
from tui.dialogs import Field, FormDialog
from tui.messages import TrainingCrashed, TrainingEvent
from tui.panes.base import Pane
from tui.widgets.curves import CurvePlot
from tui.widgets.probbars import bars

REDRAW_S = 0.5  # the progress line is redrawn at most this often during an epoch
# ... and the curves at most this often: epochs of under a second (vectorize once and XLA
# made them that short) would otherwise redraw both plots each epoch, 20 KB/s at 120x40.
CURVES_S = 1.0
MAX_PROBES = 5


def fit_fields(exp: Experiment) -> list[Field]:
    f = exp.fit
    return [
        Field("epochs", "int", f.epochs, 10, min=1, max=100000, help="epochs to train", optional=False),
        Field("batch_size", "int", f.batch_size, 32, min=1, max=1_000_000, help="examples per training step", optional=False, label="batch size"),
        Field("validation", "float", exp.data.split.validation, 0.2, min=0.0, max=0.95, help="fraction of the data held out for validation (reloads the data)", optional=False, label="validation fraction"),
        Field("seed", "int", f.seed, 42, help="seed of the weights and the shuffle: the same seed gives the same first epoch", optional=False),
        Field("monitor", "choice", f.monitor, "val_loss", tuple(dict.fromkeys(("val_loss", "val_accuracy", "loss", "accuracy", f.monitor))), help="the metric that picks the best epoch (and early stopping)", optional=False),
        Field("patience", "int", f.early_stopping.patience, 0, min=0, max=100000, help="early stopping: epochs without improvement before stopping (0 = off)", optional=False, label="early stopping patience"),
        Field("restore_best", "bool", f.early_stopping.restore_best, True, help="early stopping: restore the best epoch's weights", label="restore best weights"),
    ]


def split_metrics(names: list[str]) -> tuple[list[str], list[str]]:
    """(loss keys, other-metric keys), training before validation: ['loss','val_loss'], ['accuracy','val_accuracy']."""
    loss = [n for n in names if n in ("loss", "val_loss")]
    other = [n for n in names if n not in loss and not n.startswith("val_")]
    first = other[:1]
    return loss, [*first, *(f"val_{m}" for m in first if f"val_{m}" in names)]


class TrainPane(Pane):
    DEFAULT_FOCUS = "#train-log"
    BINDINGS = [
        Binding("t", "train", "Train", tooltip="Train a new run with the current experiment."),
        Binding("m", "more", "More epochs", tooltip="Continue the last run for the configured number of epochs."),
        Binding("x", "stop", "Stop", tooltip="Stop at the end of the current batch (the run is saved)."),
        Binding("space", "pause", "Pause/Resume", tooltip="Pause or resume training between batches."),
        Binding("f", "fit_settings", "Settings…", tooltip="Epochs, batch size, validation fraction, seed, early stopping."),
        Binding("b", "probes", "Probes…", tooltip="Sentences re-scored after every epoch."),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.trainer: Any = None  # the last Trainer (continuable)
        self.training = False
        self.paused = False
        self.history: dict[str, list[float]] = {}
        self.trace: dict[str, tuple[list[float], list[float]]] = {}
        self._dirty = False
        self._last_replot = 0.0  # time.monotonic() of the last curves redraw
        self._started: Any = None
        self._epoch_t0 = 0.0
        self._last_epoch: Any = None
        self.epoch_lines = 0  # lines written to the log for finished epochs (tests read it)
        self.last_result: Any = None
        self._probe_predictor: Any = None
        self._pending_start: bool | None = None  # t pressed while the data was loading
        self._last_batch: Any = None  # the newest batch event, drawn by the timer
        self._probe_builder: threading.Thread | None = None
        self._probe_error = ""
        self._probe_texts: list[str] = []
        self._class_names: list[str] = []
        self._status_text = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="train-settings", classes="summary")
        with Horizontal(id="train-progress-row"):
            yield ProgressBar(total=1, id="train-progress", show_eta=False, show_percentage=True)
            yield Static("idle", id="train-status")
        with Horizontal(id="train-curves"):
            yield CurvePlot("loss", live=True, id="loss-plot")
            yield CurvePlot("accuracy", live=True, id="acc-plot")
        with Horizontal(id="train-bottom"):
            yield RichLog(id="train-log", max_lines=1000, wrap=True, markup=False, auto_scroll=True, min_width=20)  # wrap to the pane, not to 78 columns
            yield Static("", id="train-probes")

    @property
    def control(self) -> Any:
        return self.kapp.train_control

    def on_mount(self) -> None:
        self.set_interval(REDRAW_S, self._flush)
        self.experiment_changed()
        self.query_one("#train-log", RichLog).write("Press t to train, f for settings, b to pin probe sentences.")

    # ---- bindings enabled by state -------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("train", "more", "fit_settings"):
            return None if self.training else True
        if action in ("stop", "pause"):
            return True if self.training else None
        return True

    # ---- hooks ---------------------------------------------------------------------------
    def experiment_changed(self) -> None:
        exp = self.kapp.experiment
        f = exp.fit
        es = f"early stop {f.early_stopping.patience}" + (" (restore best)" if f.early_stopping.restore_best else "") if f.early_stopping.patience else "no early stop"
        text = f"epochs {f.epochs} · batch {f.batch_size} · val {exp.data.split.validation:g} · seed {f.seed} · {f.monitor} · {es}"
        if exp.probes:
            text += f" · {len(exp.probes)} probe(s)"
        self.query_one("#train-settings", Static).update(text)
        self._show_probes(None)

    def dataset_changed(self) -> None:
        if self._pending_start is not None and not self.kapp.data_loading:
            continue_run, self._pending_start = self._pending_start, None
            if self.kapp.dataset is None:
                self._status("idle: the data did not load (see the Data pane)")
            else:
                self._start(continue_run)

    # ---- actions -------------------------------------------------------------------------
    def action_train(self) -> None:
        self._start(continue_run=False)

    def action_more(self) -> None:
        if self.trainer is None or self.trainer.run_dir is None:
            self.notify("No run to continue yet: press t to train one.", title="Train")
            return
        self._start(continue_run=True)

    def _start(self, continue_run: bool) -> None:
        app = self.kapp
        if self.training:
            self.notify("Training is already running.", title="Train")
            return
        if app.data_loading:
            self._pending_start = continue_run
            self._status("waiting for the data to load…")
            self.notify("Training starts when the data has loaded.", title="Train")
            return
        if app.dataset is None:
            self.notify(app.data_error or "No data loaded.", title="Train", severity="error")
            return
        report, error = app.validate()
        if error or (report is not None and not report.ok):
            message = error or "; ".join(report.errors[:3])
            self.notify(f"The layer stack does not validate: {message}", title="Train", severity="error", timeout=8)
            return
        exp = app.experiment.copy()
        if not continue_run:
            from engine.training import Trainer

            self.trainer = Trainer(exp, app.dataset, app.runs_dir, self._listener, self.control, batch_interval=0.25)
            self.history, self.trace = {}, {}
            self.query_one("#loss-plot", CurvePlot).clear()
            self.query_one("#acc-plot", CurvePlot).clear()
            self._probe_predictor = None
        self._probe_texts = list(exp.probes)
        self._class_names = list(app.dataset.class_names)
        self.training, self.paused = True, False
        self.refresh_bindings()
        if app.tf_state != "ready":
            app.start_tensorflow()
            self._status("waiting for TensorFlow…")
        else:
            self._status("building the model…")
        epochs = exp.fit.epochs
        self._run(self.trainer, epochs)

    @work(thread=True, exclusive=True, exit_on_error=False, group="train", description="train")
    def _run(self, trainer: Any, epochs: int) -> None:
        from engine import KerminalError

        try:
            trainer.run(epochs)
        except KerminalError:
            return  # the Trainer has already sent a Failed event with the message
        # anything else goes to worker_failed

    def worker_failed(self, worker: Any, message: str) -> bool:
        if worker.group != "train":
            return False
        self.post_message(TrainingCrashed(message))
        return True

    def _listener(self, event: Any) -> None:
        """Runs in the training thread: post the event; at an epoch end, score the probes.

        The probes' Predictor (a traced function) is built in a side thread while the first
        epoch trains, so training does not wait for it; scoring a few sentences is ~ms."""
        from engine.training import EpochEnd, Started

        probes = None
        if isinstance(event, Started) and self._probe_texts and self._probe_predictor is None:
            self._probe_builder = threading.Thread(target=self._build_probe_predictor, name="kerminal-probes", daemon=True)
            self._probe_builder.start()
        if isinstance(event, EpochEnd) and self._probe_texts:
            probes = self._score_probes()
        self.post_message(TrainingEvent(event, probes))

    def _build_probe_predictor(self) -> None:
        from engine.training import Predictor

        try:
            self._probe_predictor = Predictor(self.trainer.model, self._class_names, self.trainer.exp)
        except Exception as exc:  # probes are a view: never stop training for them
            self._probe_error = str(exc)

    def _score_probes(self) -> list[tuple[str, dict[str, float]]] | None:
        if self._probe_builder is not None:
            self._probe_builder.join()
            self._probe_builder = None
        if self._probe_predictor is None:
            return [("(probes failed)", {self._probe_error[:60] or "no predictor": 0.0})]
        try:
            return [(p.text, p.probabilities) for p in self._probe_predictor.predict_many(self._probe_texts)]
        except Exception as exc:
            return [("(probes failed)", {str(exc)[:60]: 0.0})]

    def action_stop(self) -> None:
        if self.training:
            self.control.stop("stopped from the app.")
            self._status("stopping at the end of this batch…")

    def action_pause(self) -> None:
        if not self.training:
            return
        if self.paused:
            self.control.resume()
            self.paused = False
            self._status("resumed")
        else:
            self.control.pause()
            self.paused = True
            self._status("paused (space resumes)")

    def action_fit_settings(self) -> None:
        exp = self.kapp.experiment

        def done(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            new = exp.copy()
            new.fit.epochs = values["epochs"]
            new.fit.batch_size = values["batch_size"]
            new.data.split.validation = values["validation"]
            new.fit.seed = values["seed"]
            new.fit.monitor = values["monitor"]
            new.fit.early_stopping.patience = values["patience"]
            new.fit.early_stopping.restore_best = values["restore_best"]
            if new != exp:
                self.kapp.set_experiment(new, "fit settings")

        def check(values: dict[str, Any]) -> str:
            if values["validation"] + exp.data.split.test >= 1:
                return "validation + test must leave rows for training."
            return ""

        self.app.push_screen(FormDialog("Training settings", fit_fields(exp), check=check), done)

    def action_probes(self) -> None:
        exp = self.kapp.experiment
        probes = list(exp.probes) + [""] * (MAX_PROBES - len(exp.probes))
        fields = [Field(f"probe{i + 1}", "str", p, "", help="a sentence (or grammar string) to re-score after each epoch", label=f"probe {i + 1}") for i, p in enumerate(probes[:MAX_PROBES])]

        def done(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            new = exp.copy()
            new.probes = [v for v in (values[f.name] for f in fields) if v]
            if new.probes != exp.probes:
                self.kapp.set_experiment(new, "probe sentences")

        self.app.push_screen(FormDialog("Probe sentences", fields, note="Pinned sentences are scored after every epoch, so you see the model learn."), done)

    # ---- events from the training thread -------------------------------------------------
    def on_training_event(self, message: TrainingEvent) -> None:
        from engine.training import BatchEnd, EpochEnd, Failed, Finished, Started, Stopped, describe

        event = message.event
        log = self.query_one("#train-log", RichLog)
        bar = self.query_one("#train-progress", ProgressBar)
        if isinstance(event, Started):
            gc.freeze()  # the model just built: keep its objects out of full collections
            self._started = event
            self._epoch_t0 = time.monotonic()
            bar.update(total=(event.epochs - event.initial_epoch) * event.steps_per_epoch, progress=0)
            for plot in self.query(CurvePlot):
                plot.epochs = event.epochs
            log.write(describe(event))
            self._status(f"epoch {event.initial_epoch + 1}/{event.epochs} · starting")
        elif isinstance(event, BatchEnd):
            self._on_batch(event, bar)
        elif isinstance(event, EpochEnd):
            self._on_epoch(event, bar, log, message.probes)
        elif isinstance(event, (Finished, Stopped, Failed)):
            self._on_end(event, log)

    def _on_batch(self, event: Any, bar: ProgressBar) -> None:
        """Keep the batch's figures; the timer draws them (coalesced)."""
        if self._started is None:
            return
        x = event.epoch - 1 + event.step / max(event.steps, 1)
        for name, value in event.metrics.items():
            if isinstance(value, (int, float)) and math.isfinite(value):
                xs, ys = self.trace.setdefault(name, ([], []))
                xs.append(x)
                ys.append(float(value))
        self._last_batch = event
        self._dirty = True

    def _draw_batch(self, event: Any) -> None:
        s = self._started
        bar = self.query_one("#train-progress", ProgressBar)
        done = (event.epoch - 1 - s.initial_epoch) * event.steps + event.step
        if bar.total and round(100 * done / bar.total) != round(100 * bar.progress / bar.total):
            bar.update(progress=done)  # only when the drawn percentage moves
        elapsed = time.monotonic() - self._epoch_t0
        rate = event.step * s.batch_size / elapsed if elapsed > 0 else 0.0
        left_steps = (s.epochs - event.epoch) * event.steps + (event.steps - event.step)
        eta = left_steps * (elapsed / event.step) if event.step else 0.0
        self._status(f"epoch {event.epoch}/{s.epochs} · step {event.step}/{event.steps} · ETA {_duration(eta)} · {rate:,.0f} samples/s")

    def _on_epoch(self, event: Any, bar: ProgressBar, log: RichLog, probes: Any) -> None:
        from engine.training import describe

        s = self._started
        for name, value in event.metrics.items():
            column = self.history.setdefault(name, [])
            column.extend([math.nan] * max(0, event.epoch - 1 - len(column)))
            column.append(float(value))
        self.trace = {}
        self._last_batch = None
        self._last_epoch = event
        self.kapp.samples_per_second = float(event.samples_per_s)
        self._epoch_t0 = time.monotonic()
        if s is not None:
            bar.update(progress=(event.epoch - s.initial_epoch) * s.steps_per_epoch)
        log.write(describe(event))
        self.epoch_lines += 1
        eta = f" · ETA {_duration(event.eta_s)}" if event.epoch < event.epochs else ""
        self._status(f"epoch {event.epoch}/{event.epochs} done · {event.samples_per_s:,.0f} samples/s{eta}")
        if time.monotonic() - self._last_replot >= CURVES_S:
            self._replot()
        else:  # epochs shorter than CURVES_S: the timer draws this one within CURVES_S
            self._dirty = True
        if probes is not None:
            self._show_probes(probes, event.epoch)

    def _on_end(self, event: Any, log: RichLog) -> None:
        from engine.training import Failed, describe

        self.training, self.paused = False, False
        self.refresh_bindings()
        self.trace = {}
        self._replot()
        if isinstance(event, Failed):
            log.write(Text(describe(event), style="bold red"))
            self._status("failed: see the log")
            self.notify(event.message, title="Training failed", severity="error", timeout=10)
        else:
            if type(event).__name__ == "Finished":  # early stopping ends before the last epoch
                bar = self.query_one("#train-progress", ProgressBar)
                bar.update(total=max(bar.progress, 1), progress=max(bar.progress, 1))
            log.write(Text(describe(event), style="bold green"))
            self._status(f"{'finished' if type(event).__name__ == 'Finished' else 'stopped'} after {event.epochs} epoch(s)")
            if event.epochs and self.trainer is not None and self.trainer.model is not None:
                self.kapp.model_trained(self.trainer.model, list(self._class_names), self.trainer.exp, event.run_dir)
        self.kapp.runs_changed()

    def on_training_crashed(self, message: TrainingCrashed) -> None:
        self.training, self.paused = False, False
        self.refresh_bindings()
        self.query_one("#train-log", RichLog).write(Text(f"failed: {message.error}", style="bold red"))
        self._status("failed: see the log")
        self.notify(message.error, title="Training failed", severity="error", timeout=10)

    # ---- drawing -------------------------------------------------------------------------
    def _status(self, text: str) -> None:
        if text != self._status_text:  # an unchanged line is not redrawn
            self._status_text = text
            self.query_one("#train-status", Static).update(text, layout=False)  # its row is 1 line: no layout

    def _flush(self) -> None:
        if self._dirty:
            if self._last_batch is not None and self._started is not None:
                self._draw_batch(self._last_batch)
            if time.monotonic() - self._last_replot >= CURVES_S:
                self._replot()

    def _replot(self) -> None:
        self._dirty = False
        self._last_replot = time.monotonic()
        names = list(self.history) or list(self.trace)
        loss_keys, metric_keys = split_metrics(names)
        loss_plot = self.query_one("#loss-plot", CurvePlot)
        acc_plot = self.query_one("#acc-plot", CurvePlot)
        with self.app.batch_update():
            for plot, keys, trace_key in ((loss_plot, loss_keys, "loss"), (acc_plot, metric_keys, metric_keys[0] if metric_keys else "")):
                plot.set_series({("train" if not k.startswith("val_") else "validation"): self.history.get(k, []) for k in keys})
                xs, ys = self.trace.get(trace_key, ([], []))
                plot.set_trace(xs, ys)
                if metric_keys and plot is acc_plot:
                    plot.title = metric_keys[0]
                plot.replot()

    def _show_probes(self, probes: list[tuple[str, dict[str, float]]] | None, epoch: int | None = None) -> None:
        box = self.query_one("#train-probes", Static)
        exp = self.kapp.experiment
        if probes is None:
            if exp.probes:
                box.update(Text("Probes (scored after each epoch):\n" + "\n".join(f"· {p}" for p in exp.probes), style="dim"))
            else:
                box.update(Text("No probe sentences: press b to pin some.", style="dim"))
            return
        text = Text(f"Probes after epoch {epoch}:\n", style="bold")
        for sentence, probabilities in probes:
            best = max(probabilities, key=probabilities.get) if probabilities else None
            text.append(f"{sentence[:60]}\n")
            text.append(bars(probabilities, 16, best))
            text.append("\n")
        box.update(text)


def _duration(seconds: float) -> str:
    from engine.training import format_duration

    return format_duration(seconds)
