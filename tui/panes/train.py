"""The Train pane: fit settings, start and steer a run, live progress, curves, log and probes.

Training is a separate process (`engine.runs.start_run`): the pane follows one run folder
with a `RunWatcher` polled by a timer every POLL_S seconds (each poll reads only the bytes
appended to events.jsonl) and draws from its `Progress`. The keys steer the followed run
through its command folder (`post_command`): the run answers with a Steered event that the
next polls show in the log. The Runs pane can point the pane at any run (Enter attaches): a
fresh watcher reads the run's whole events.jsonl, so the history, curves and probes are all
there. The progress line is redrawn only when its text changes and the curves at most once
every CURVES_S seconds (short epochs would otherwise flood the terminal); the end of a run
draws at once.

The header shows the followed run's own settings (its experiment.toml, read once per run),
never the open experiment's, which only `t` trains; with no run followed, the open one's.

Over 400 lines (about 510): the keys, the timer and the drawing all work on the followed
run's state (its watcher, what was last drawn, when its epoch began), so they stay one
class; what it writes is in train_text.py and the processes it started in tui/following.py.
The questions m and x ask (issue 20) would be the next thing to move out.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import ProgressBar, RichLog, Static

from engine import Experiment, KerminalError
from engine.runs import GONE, Status
from tui.dialogs import AgainDialog, Field, NumberPrompt, TextPrompt, push_form
from tui.following import StartedRuns, is_live
from tui.forms import apply_spec_form, form_problem, spec_fields
from tui.messages import RunsChanged, RunTrained
from tui.panes.base import Pane
from tui.panes.train_text import describe, probes_text, settings_text, status_line
from tui.plain import plain, printable
from tui.widgets.curves import CurvePlot, split_metrics

POLL_S = 0.25  # the followed run's events.jsonl is read this often (only its new bytes)
# The curves are redrawn at most this often: epochs of under a second (vectorize once and
# XLA made them that short) would otherwise redraw both plots each epoch; at 1 s the app
# wrote 15 KB/s to a 120x40 terminal while a run trained, at 2 s under 10 KB/s.
CURVES_S = 2.0
PROGRESS_S = 0.5  # the progress bar and status line, at most this often (the ETA moves every tick)
MAX_PROBES = 5
STOP_ASK_S = 5.0  # a stop asks first once the partial epoch it would lose ran this long
AGAIN_S = 2.0  # x pressed again within this long stops without reading the question


# The fit settings dialog's settings, in order (the validation fraction too: it is the one
# split setting people change between runs).
FIT_PATHS = ("fit.epochs", "fit.batch_size", "data.split.validation", "fit.seed", "fit.monitor", "fit.xla", "fit.devices", "fit.early_stopping.patience", "fit.early_stopping.restore_best")


def fit_fields(exp: Experiment) -> list[Field]:
    return spec_fields(exp, FIT_PATHS)


class TrainPane(Pane):
    DEFAULT_FOCUS = "#train-log"
    BINDINGS = [
        Binding("t", "train", "Train", tooltip="Train a new run (its own process) with the current experiment."),
        Binding("m", "more", "More epochs…", tooltip="Train the followed run more epochs: asks how many (its own count first); continues it when it has ended."),
        Binding("x", "stop", "Stop run", tooltip="Stop the followed run at the end of its batch (saved; a partial epoch is lost): asks first when that epoch ran over a few seconds, x x stops at once."),
        Binding("space", "pause", "Pause/Resume", tooltip="Pause or resume the followed run between batches."),
        Binding("l", "learning_rate", "Learning rate…", tooltip="Change the followed run's learning rate from its next batch."),
        Binding("f", "fit_settings", "Settings…", tooltip="Epochs, batch size, validation fraction, seed, XLA, early stopping."),
        Binding("b", "probes", "Probes…", tooltip="Sentences re-scored after every epoch."),
        Binding("w", "sweep", "Sweep…", tooltip="Search the experiment's settings with a sweep: each trial is a run (Runs: g, sweep, groups them)."),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.watcher: Any = None  # the RunWatcher of the followed run (None: none yet)
        self.started_here = StartedRuns()  # runs this app started (their processes)
        self.epoch_lines = 0  # lines written to the log for finished epochs (tests read it)
        self.samples_per_second = 0.0  # the followed run's figure for its last finished epoch
        self._seen_live = False  # the followed run was live while followed (its end loads its model)
        self._last_status = ""  # the followed run's status as last handled
        self._dirty = False  # new points for the curves
        self._last_replot = 0.0  # time.monotonic() of the last curves redraw
        self._last_progress = 0.0  # ... and of the progress line
        self._next_plot = 0  # which curve _replot draws next while a run trains
        self._pending_start = False  # t pressed while the data was loading
        self._status_text = ""
        self._log_width: int | None = None  # the log's width when last shown
        # time.monotonic() when the followed run's epoch in progress began, as this pane saw
        # it; None when not known (a run followed mid-epoch: a stop then asks)
        self._epoch_began: float | None = None
        # the followed run's own experiment, read once per run: (its folder, it or None, why not)
        self._run_experiment: tuple[Path, Experiment | None, str] | None = None

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

    def on_mount(self) -> None:
        self.set_interval(POLL_S, self._tick)
        self.experiment_changed()
        self._log("Press t to train, f for settings, b to pin probe sentences; Enter in Runs (5) follows a saved or live run.")

    # ---- the followed run ----------------------------------------------------------------
    @property
    def progress(self) -> Any:
        """The followed run's Progress (None when no run is followed)."""
        return self.watcher.progress if self.watcher is not None else None

    @property
    def training(self) -> bool:
        """The followed run is live (starting, running or paused)."""
        return self.watcher is not None and self.watcher.progress.live

    @property
    def paused(self) -> bool:
        return self.training and self.watcher.progress.status == Status.PAUSED

    @property
    def history(self) -> dict[str, list[float]]:
        return self.watcher.progress.history if self.watcher is not None else {}

    def live_runs(self) -> list[Path]:
        """The followed run and the runs this app started, those still live."""
        followed = self.watcher.path if self.watcher is not None else None
        paths = dict.fromkeys([*([followed] if followed is not None else []), *self.started_here])
        return [path for path in paths if (self.training if path == followed else is_live(path))]

    def follow(self, path: Path) -> None:
        """Show the run in `path` (live or not) and steer it with the keys: a fresh watcher
        reads its whole events.jsonl at the next tick."""
        from engine.runs import RunWatcher

        self.watcher = RunWatcher(path)
        self._run_experiment = None  # read again: a run continued since may differ
        self.epoch_lines, self._seen_live, self._last_status = 0, False, ""
        self._epoch_began = None
        self.query_one("#train-log", RichLog).clear()
        self._log(plain(f"following run {path.name} ({path})", style="bold"))
        for plot in self.query(CurvePlot):
            plot.epochs = None
            plot.marks = []
            plot.clear()
        self.query_one("#train-progress", ProgressBar).update(total=1, progress=0)
        self._show_probes(None)
        self._status("reading the run…")
        self._show_settings()
        self._tick()

    def followed_experiment(self) -> tuple[Experiment | None, str]:
        """The experiment the header shows: the followed run's own (its experiment.toml; None
        and why when it cannot be read), else the open one."""
        from engine.runs import EXPERIMENT, read_experiment

        w = self.watcher
        if w is None:
            return self.host.experiment, ""
        if self._run_experiment is None or self._run_experiment[0] != w.path:
            try:
                self._run_experiment = (w.path, read_experiment(w.path / EXPERIMENT), "")
            except (KerminalError, OSError) as exc:
                self._run_experiment = (w.path, None, str(exc))
        return self._run_experiment[1], self._run_experiment[2]

    # ---- bindings enabled by state -------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("stop", "pause", "learning_rate"):
            return True if self.training else None
        return True

    # ---- hooks ---------------------------------------------------------------------------
    def experiment_changed(self) -> None:
        self._show_settings()
        if self.progress is None or not self.progress.probes:
            self._show_probes(None)

    def _show_settings(self) -> None:
        exp, why = self.followed_experiment()
        text = settings_text(exp) if exp is not None else printable(f"its settings cannot be read: {why}")
        if self.watcher is not None:
            line = Text.assemble((printable(f"run {self.watcher.id} {self.progress.status}"), "bold"), " │ ", text)
        else:
            line = Text(text)
        self.query_one("#train-settings", Static).update(line)

    def dataset_changed(self) -> None:
        if self._pending_start and not self.host.data_loading:
            self._pending_start = False
            if self.host.dataset is None:
                self._status("idle: the data did not load (see the Data pane)")
            else:
                self.action_train()

    # ---- actions -------------------------------------------------------------------------
    def action_sweep(self) -> None:
        from tui.sweep_dialog import open_sweep_dialog

        open_sweep_dialog(self)

    def action_train(self) -> None:
        """Start a new run of the current experiment in its own process and follow it."""
        from engine.runs import start_run

        host = self.host
        if self.training:
            self.notify(f"Already training run {self.watcher.id}: x stops it, m adds epochs.", title="Train")
            return
        if host.data_loading:
            self._pending_start = True
            self._status("waiting for the data to load…")
            self.notify("Training starts when the data has loaded.", title="Train")
            return
        if host.dataset is None:
            self.notify(host.data_error or "No data loaded.", title="Train", severity="error")
            return
        report, error = host.validate()
        if report is None or not report.ok:  # no report: `error` says why
            message = error if report is None else "; ".join(report.errors[:3])
            self.notify(f"The layer stack does not validate: {message}", title="Train", severity="error", timeout=8)
            return
        try:
            path = start_run(host.experiment.copy(), host.runs_dir)
        except (KerminalError, OSError) as exc:
            self.notify(f"Could not start the run: {exc}", title="Train", severity="error", timeout=10)
            return
        self.started_here.add(path)
        self.follow(path)
        self.app.post_message(RunsChanged())

    def own_epochs(self) -> int:
        """The followed run's own epoch count: what its last start (or continuation) trained;
        the experiment's fit.epochs only when the run has not said (no Started yet)."""
        started = self.progress.started if self.progress is not None else None
        if started is not None and started.epochs > started.initial_epoch:
            return int(started.epochs - started.initial_epoch)
        exp = self.followed_experiment()[0] or self.host.experiment
        return int(exp.fit.epochs)

    def action_more(self) -> None:
        """Ask how many more epochs (the run's own count first), then the followed run
        trains them: a live run is told to (`more`), an ended one is continued in a new
        process (`resume_run`) and still followed. Esc sends nothing."""
        w = self.watcher
        if w is None:
            self.notify("No run to continue yet: press t to train one (or Enter on a run in Runs).", title="Train")
            return
        run_id = w.id

        def chosen(n: int | None) -> None:
            if n is not None:
                self.more(n, run_id)

        verb = "train" if w.progress.live else "continue"
        self.app.push_screen(NumberPrompt(f"How many more epochs should run {run_id} {verb}?", self.own_epochs(), help="Enter sends · Esc cancels (nothing is sent)"), chosen)

    def more(self, n: int, run_id: str) -> None:
        """The followed run (if it is still `run_id`) trains `n` more epochs."""
        from engine.runs import resume_run

        w = self.watcher
        if w is None or w.id != run_id:
            self.notify("The run this was meant for is no longer followed; nothing was sent.", title="Train")
            return
        if w.progress.live:
            self._post("more", n, f"{n} more epoch(s)", run_id)
            return
        try:
            resume_run(w.path, n)
        except (KerminalError, OSError) as exc:
            self.notify(str(exc), title="Train", severity="error", timeout=10)
            return
        p = w.progress
        p.status, p.end, p.message = Status.STARTING, None, ""
        self._seen_live, self._last_status = True, Status.STARTING
        self.started_here.add(w.path)
        self._log(plain(f"continuing run {w.id} for {n} more epoch(s)…", style="dim"))
        self.refresh_bindings()
        self._show_settings()
        self.app.post_message(RunsChanged())

    def partial_epoch_s(self) -> float | None:
        """Seconds the followed run's epoch in progress has run (what a stop loses); 0 between
        epochs, None when not known (followed mid-epoch)."""
        p = self.progress
        if p is None or not p.live or not (p.epoch > p.epochs and p.step > 0):
            return 0.0
        return None if self._epoch_began is None else time.monotonic() - self._epoch_began

    def action_stop(self) -> None:
        """Stop the followed run at the end of its batch; when that loses a partial epoch
        older than STOP_ASK_S (or of unknown age), ask first (x again within AGAIN_S: stop)."""
        age = self.partial_epoch_s()
        if age is not None and age <= STOP_ASK_S:
            self._stop()
            return
        run_id = self.watcher.id
        p = self.progress
        ran = f"{age:.0f} s" if age is not None else "an unknown time"
        question = f"Stop run {run_id}? Its epoch {p.epoch} has run {ran} ({p.step}/{p.steps} steps) and is lost; the {p.epochs} whole epoch(s) are kept. (x again: stop)"

        def chosen(choice: str | None) -> None:
            if choice == "stop":
                self._stop(run_id)

        self.app.push_screen(AgainDialog(question, [("stop", "Stop"), ("cancel", "Keep training")], "x", "stop", AGAIN_S), chosen)

    def _stop(self, run_id: str | None = None) -> None:
        if self._post("stop", None, "stop at the end of this batch", run_id):
            self._status("stopping at the end of this batch…")

    def action_pause(self) -> None:
        if self.paused:
            self._post("resume", None, "resume")
        else:
            self._post("pause", None, "pause")

    def action_learning_rate(self) -> None:
        if not self.training:
            return
        p = self.progress
        current = p.learning_rates[-1][1] if p.learning_rates else (p.last_epoch.learning_rate if p.last_epoch is not None and p.last_epoch.learning_rate else None)
        run_id = self.watcher.id

        def chosen(value: str | None) -> None:
            if value and value.strip():
                self._post("lr", value.strip(), f"set the learning rate to {value.strip()}", run_id)

        self.app.push_screen(TextPrompt(f"Learning rate of run {run_id} (from its next batch)", f"{current:g}" if current else "", "e.g. 3e-4", "Enter sends · Esc cancels"), chosen)

    def _post(self, command: str, value: Any, what: str, run_id: str | None = None) -> bool:
        """Send a steering command to the followed run; a notification when it cannot."""
        from engine.runs import post_command

        w = self.watcher
        if w is None or (run_id is not None and w.id != run_id):
            self.notify("The run this was meant for is no longer followed; nothing was sent.", title="Train")
            return False
        try:
            post_command(w.path, command, value)
        except (KerminalError, OSError) as exc:
            self.notify(str(exc), title="Train", severity="error", timeout=8)
            return False
        self._log(plain(f"asked run {w.id} to {what}…", style="dim"))
        return True

    def action_fit_settings(self) -> None:
        exp = self.host.experiment

        def done(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            new = apply_spec_form(exp, FIT_PATHS, values)
            if new != exp:
                self.host.set_experiment(new, "fit settings")
                self._changed_open_experiment()

        push_form(self.app, "fit-settings", "Training settings", fit_fields(exp), done, check=lambda values: form_problem(exp, FIT_PATHS, values))

    def action_probes(self) -> None:
        exp = self.host.experiment
        probes = list(exp.probes) + [""] * (MAX_PROBES - len(exp.probes))
        fields = [Field(f"probe{i + 1}", "str", p, "", help="a sentence (or grammar string) to re-score after each epoch", label=f"probe {i + 1}") for i, p in enumerate(probes[:MAX_PROBES])]

        def done(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            new = exp.copy()
            new.probes = [v for v in (values[f.name] for f in fields) if v]
            if new.probes != exp.probes:
                self.host.set_experiment(new, "probe sentences")
                self._changed_open_experiment()

        push_form(self.app, "probes", "Probe sentences", fields, done, note="Pinned sentences are scored after every epoch, so you see the model learn.")

    def _changed_open_experiment(self) -> None:
        """f and b change the open experiment (what t trains), never the followed run: the
        header, which shows the run's own settings, says nothing of it, so this does."""
        if self.watcher is not None:
            self.notify(f"Changed in the open experiment: t trains with it. The header shows run {self.watcher.id}'s own settings.", title="Train")

    # ---- following the run: the timer ---------------------------------------------------
    def _tick(self) -> None:
        """Poll the followed run (its new events only) and draw what changed."""
        from engine.runs import BatchEnd, EpochEnd, Failed, Started, Steered

        w = self.watcher
        if w is None:
            return
        self.started_here.reap()
        backlog = self._epoch_began is None and not self._seen_live  # the first read of a run's events
        found = w.poll()
        p = w.progress
        ended = False
        reread = False  # the run's experiment.toml has its new fit.epochs (a continuation, `more`)
        for event in found:
            if isinstance(event, (Started, EpochEnd)):
                self._epoch_began = time.monotonic()
            if isinstance(event, BatchEnd):
                self._dirty = True
                continue
            if isinstance(event, Started):
                reread = True
                for plot in self.query(CurvePlot):
                    plot.epochs = event.epochs
                self._log(describe(event))
            elif isinstance(event, EpochEnd):
                self._log(describe(event))
                self.epoch_lines += 1
                self.samples_per_second = float(event.samples_per_s)
                self._dirty = True
                if event.probes:
                    self._show_probes(event.probes, event.epoch)
            elif isinstance(event, Steered):
                self._log(Text(describe(event), style="cyan" if event.ok else "yellow"))
                reread = reread or (event.ok and event.command == "more")
            else:  # Finished, Stopped, Failed
                ended = True
                self._log(Text(describe(event), style="bold red" if isinstance(event, Failed) else "bold green"))
        if reread:
            self._run_experiment = None
            self._show_settings()
        if backlog and found and p.epoch > p.epochs and p.step > 0:
            self._epoch_began = None  # followed mid-epoch: when it began is not known
        if p.live:
            self._seen_live = True
        if p.status != self._last_status:
            was = self._last_status
            self._last_status = p.status
            if p.status in GONE and was:
                self._log(plain(f"run {w.id} is {p.status}: {p.message}", style="bold red"))
                self.notify(f"Run {w.id} is {p.status}: {p.message}", title="Train", severity="error", timeout=10)
            self.refresh_bindings()
            self._show_settings()
            self._last_progress = 0.0  # a new state (paused, ended) is said at once
            if not p.live:
                self._dirty = True
                self._last_replot = 0.0  # the end draws at once
        if ended and self._seen_live:
            self._run_ended(p)
        now = time.monotonic()
        if not p.live or now - self._last_progress >= PROGRESS_S:
            self._last_progress = now
            self._draw_progress(p)
        if self._next_plot or (self._dirty and now - self._last_replot >= CURVES_S):
            self._replot()

    def _run_ended(self, p: Any) -> None:
        from engine.runs import Failed

        end = p.end
        if isinstance(end, Failed):
            self.notify(end.message, title="Training failed", severity="error", timeout=10)
        elif end is not None and end.epochs:
            self.app.post_message(RunTrained(self.watcher.path))
        self.app.post_message(RunsChanged())

    # ---- drawing -------------------------------------------------------------------------
    def _log(self, content: str | Text) -> None:
        """Write a line to the log, wrapped to the log's width; while the pane is hidden (its
        width 0), to the width it had when last shown, not to RichLog's min_width."""
        log = self.query_one("#train-log", RichLog)
        width = log.scrollable_content_region.width
        if width > 0:
            self._log_width = width
        log.write(content, width=self._log_width)

    def _status(self, text: str) -> None:
        if text != self._status_text:  # an unchanged line is not redrawn
            self._status_text = text
            self.query_one("#train-status", Static).update(plain(text), layout=False)  # its row is 1 line: no layout

    def _draw_progress(self, p: Any) -> None:
        bar = self.query_one("#train-progress", ProgressBar)
        steps = max(p.steps, 1)
        total = max(p.target, 1) * steps
        done = total if p.status == Status.FINISHED else min(round(p.x * steps), total)
        if bar.total != total:
            bar.update(total=total, progress=done)
        elif round(100 * done / total) != round(100 * (bar.progress or 0) / total):
            bar.update(progress=done)  # only when the drawn percentage moves
        box = self.query_one("#train-status", Static)
        self._status(status_line(p, box.content_size.width or 1000))

    def _replot(self, both: bool = False) -> None:
        """Redraw the curves. While a run trains, one plot per call, alternating (each costs
        ~15 ms of the UI thread, and a key pressed meanwhile waits for it); the other is
        drawn at the next tick. A run's end draws both."""
        p = self.progress
        if p is None:
            self._dirty = False
            return
        names = list(p.history) or list(p.trace)
        loss_keys, metric_keys = split_metrics(names)
        marks = [x for x, _ in p.learning_rates]
        plots = [(self.query_one("#loss-plot", CurvePlot), loss_keys, "loss"), (self.query_one("#acc-plot", CurvePlot), metric_keys, metric_keys[0] if metric_keys else "")]
        if both or not p.live:
            todo, self._next_plot = plots, 0
        else:
            todo = [plots[self._next_plot]]
            self._next_plot = 1 - self._next_plot
        if self._next_plot == 0:  # both drawn: wait CURVES_S for the next round
            self._dirty = False
            self._last_replot = time.monotonic()
        with self.app.batch_update():
            for plot, keys, trace_key in todo:
                plot.set_series({("train" if not k.startswith("val_") else "validation"): p.history.get(k, []) for k in keys})
                xs, ys = p.trace.get(trace_key, ([], []))
                plot.set_trace(xs, ys)
                plot.marks = marks
                if metric_keys and trace_key and trace_key == metric_keys[0]:
                    plot.title = metric_keys[0]
                plot.replot()

    def _show_probes(self, probes: list[tuple[str, dict[str, float]]] | None, epoch: int | None = None) -> None:
        exp = self.followed_experiment()[0]
        self.query_one("#train-probes", Static).update(probes_text(probes, epoch, exp.probes if exp is not None else []))
