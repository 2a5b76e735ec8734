"""The kerminal app: one App, five panes (Data, Layers, Train, Predict, Runs).

The app is built in layers, one module each: `tui.keys` (bound keys act in the order typed),
`tui.files` (the experiment's Workspace: open, save, undo), and this module: the panes and
the UI's own state (the loaded dataset, the TensorFlow state, the status line). Panes see
the app as `tui.host.PaneHost` and call it to change the experiment; what one pane has for
another is a message (tui.messages) the app hands down (messages go up, method calls go
down). Slow work (importing TensorFlow, loading data, training, predicting, evaluating)
runs in thread workers that post messages; widgets change only in message handlers, on the
UI thread. About 450 lines: the toasts' bookkeeping (notify, _trim_toasts) stays here
because it overrides App.notify (what a toast may say is tui/notices.py), and the start's
"coming back" (the experiment reopened, the live run followed) because it is the app's own.

`make_app(experiment, runs_dir, load_tensorflow, pane, reopen_last, remember)` builds the
app for `run(argv)`, the tests and the benchmarks alike (only `run` remembers the open
experiment and, without a file named, reopens the last one: engine.workspace.recent). What a benchmark can read or drive:
- `app.first_screen_s`: seconds from constructing the app to its first drawn screen;
- `app.tf_state` / `app.tf_seconds`: the background TensorFlow import and its duration;
- `app.pane("train").action_train()` (or the key `t` on the Train pane) starts a run (its
  own process) and follows it; `app.samples_per_second` is the run's figure for its last
  finished epoch; `app.pane("train").watcher` is the followed run's RunWatcher;
- `app.pane("train").epoch_lines`, `.training`: progress as the screen shows it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from engine import Experiment, KerminalError, printable, redirect_native_stderr, restore_native_stderr
from engine.workspace import Workspace
from tui.bindings import APP_BINDINGS
from tui.commands import KerminalCommands
from tui.dialogs import ConfirmDialog
from tui.errors import error_text
from tui.host import PaneHost
from tui.layout import Panes
from tui.loading import LoadingApp
from tui.messages import CompareRuns, FollowRun, LiveRunsFound, MoreEpochs, PredictWithRun, RunsChanged, RunTrained
from tui.notices import TOAST_TEXT, NoticeLog, Toast, ToastsShown, toast_text
from tui.panes.base import Pane
from tui.panes.predict import PredictPane
from tui.panes.runs import RunsPane
from tui.panes.tabs import PANES
from tui.panes.train import TrainPane
from tui.shorten import with_path
from tui.widgets.footer import KerminalFooter


class KerminalApp(LoadingApp):
    """kerminal: build, train and use Keras text classifiers from the keyboard."""

    CSS_PATH = "app.tcss"
    TITLE = "kerminal"
    COMMANDS = App.COMMANDS | {KerminalCommands}

    BINDINGS = APP_BINDINGS

    def __init__(
        self,
        experiment: Experiment | None = None,
        *,
        experiment_path: str | Path | None = None,
        runs_dir: str | Path | None = None,
        load_tensorflow: bool = True,
        pane: str = "data",
        dirty: bool = False,
        remember: bool = False,
        start_notice: tuple[str, bool] = ("", False),
    ) -> None:
        if experiment is None:
            from engine.layers import default_experiment

            experiment = default_experiment()
        super().__init__(experiment, experiment_path)
        self.workspace.dirty = dirty  # unsaved changes reopened from the recovery copy
        self.remember_state = remember
        self.start_notice = start_notice  # (what reopening said, whether it failed)
        self.initial_pane = pane
        self.started_at = time.perf_counter()
        self.first_screen_s: float | None = None  # benchmark hook: seconds to the first screen
        if runs_dir is None:
            from engine.runs import runs_dir_default  # the CLI's rule: $KERMINAL_RUNS_DIR, else ./runs

            runs_dir = runs_dir_default()
        self.runs_dir = Path(runs_dir)
        self.load_tensorflow = load_tensorflow
        self.last_screenshot: Path | None = None
        self._toasts: dict[tuple[str, str], float] = {}  # (title, message) -> shown until (monotonic)
        self.notices = NoticeLog()  # every message, whole (the Messages screen, F7)
        self._shown = ToastsShown()  # the toasts on screen (at most notices.SHOWN)
        self._trimming = False  # a _trim_toasts is on its way

    # ---- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Panes(id="panes", initial=self.initial_pane):
            for i, (pane_id, title, cls) in enumerate(PANES, 1):
                with TabPane(f"{i} {title}", id=pane_id):
                    yield cls(id=f"{pane_id}-pane")
        with Horizontal(id="statusbar"):
            yield Static("", id="status-experiment")
            yield Static("", id="status-data")
            yield Static("", id="status-tf")
        yield KerminalFooter()

    def on_mount(self) -> None:
        self.update_status()
        self.call_after_refresh(self._first_screen)
        self.reload_data()
        if self.load_tensorflow:
            self.start_tensorflow()
        self.focus_pane(self.initial_pane)
        self.arrange_panes()
        notice, failed = self.start_notice
        if notice:
            self.notify(notice, title="Reopened" if not failed else "Could not reopen", severity="warning" if failed else "information", timeout=8)
        self.remember()
        self.find_live_runs(self.runs_dir)

    def _first_screen(self) -> None:
        self.first_screen_s = time.perf_counter() - self.started_at

    def panes(self) -> list[Pane]:
        return list(self.query(Pane))

    def pane(self, pane_id: str) -> Pane:
        return self.query_one(f"#{pane_id}-pane", Pane)

    def action_show_pane(self, pane_id: str) -> None:
        self.query_one(TabbedContent).active = pane_id
        self.pane(pane_id).focus_default()  # at once, so keys typed right after reach the pane
        self.focus_pane(pane_id)

    def focus_pane(self, pane_id: str) -> None:
        pane = self.pane(pane_id)

        def focus() -> None:
            # Not when another pane was shown since (2 then 3 typed at once): the stale
            # callback took the focus back to the hidden pane, and its keys with it.
            tabs = self.screen_stack[0].query(Panes)
            if tabs and tabs.first().active != pane_id:
                return
            if self.focused is None or pane not in self.focused.ancestors:
                pane.focus_default()

        self.call_after_refresh(focus)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.arrange_panes()
        if event.pane.id:
            self.focus_pane(event.pane.id)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Focus moving into the other pane of a pair (a click, Tab) makes it the active one,
        so the tabs, the footer's keys and the number keys agree with where the keys go."""
        # The tabs found through the focused widget's own ancestors, not queried: a focus
        # that lands as the app closes (its panes already removed) found none and raised.
        pane = next((n for n in event.widget.ancestors_with_self if isinstance(n, TabPane)), None)
        tabs = next((n for n in event.widget.ancestors if isinstance(n, Panes)), None)
        if event.widget is not event.widget.screen.focused:
            return  # a stale message: the focus moved on since (keys typed fast)
        if pane is not None and tabs is not None and pane.id and pane.id != tabs.active and tabs.pair and pane.id in tabs.pair:
            tabs.active = pane.id

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        # Textual blurs a widget when it is told it was hidden, and that news can come after
        # its pane was shown again (3 5 3 typed at once): the focus then went to nothing, or
        # to a widget of a hidden pane, and the keys typed next with it.
        self.call_after_refresh(self._focus_into_shown_pane)

    def _focus_into_shown_pane(self) -> None:
        main = self.screen_stack[0]
        tabs = main.query(Panes)
        if self.screen is not main or not tabs or not tabs.first().active:
            return
        focused = main.focused
        if focused is not None:
            pane = next((n for n in focused.ancestors_with_self if isinstance(n, TabPane)), None)
            if pane is None or pane.display:
                return  # in a shown pane, or outside the panes (the tabs)
        self.pane(tabs.first().active).focus_default()

    def arrange_panes(self) -> None:
        self.screen_stack[0].query_one(Panes).show_panes()  # also while a dialog is on top

    @property
    def pair(self) -> tuple[str, str] | None:
        """The two panes shown side by side now (None: one pane)."""
        tabs = self.screen_stack[0].query(Panes) if self.screen_stack else None
        return tabs.first().pair if tabs else None

    def action_toggle_side_by_side(self) -> None:
        self.screen_stack[0].query_one(Panes).toggle_side_by_side()

    @property
    def active_pane(self) -> Pane:
        return self.pane(self.query_one(TabbedContent).active)

    # ---- status line ---------------------------------------------------------------------
    def update_status(self) -> None:
        exp = self.experiment
        where = self.experiment_path.name if self.experiment_path else "not saved"
        star = " *" if self.dirty else ""
        self.query_one("#status-experiment", Static).update(f"{exp.name}{star} ({where})")
        if self.data_loading:
            data = f"loading {exp.data.source}…"
        elif self.data_error:
            data = "data error (see 1 Data)"
        elif self.dataset is not None:
            ds = self.dataset
            data = f"{len(ds.train):,} train · {ds.num_classes} classes · {ds.name}"  # the numbers first: a long name is what gets cut
        else:
            data = "no data"
        self.query_one("#status-data", Static).update(data)
        if self.tf_state == "ready" and self.tf_seconds is not None:
            tf = f"TF ready ({self.tf_seconds:.1f}s)"
        elif self.tf_state == "loading":
            tf = "TF loading…"
        elif self.tf_state == "failed":
            tf = "TF failed"
        else:
            tf = "TF on demand"
        self.query_one("#status-tf", Static).update(tf)

    # ---- workers that fail -------------------------------------------------------------
    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place a worker's exception becomes something the user sees: the pane
        that started it shows it where it belongs (Pane.worker_failed), else a notification.
        Workers are started with exit_on_error=False, so a failure never ends the app, and
        the traceback goes only to Textual's log (textual console)."""
        worker = event.worker
        if event.state != WorkerState.ERROR or worker.error is None:
            return
        message = error_text(worker.error)
        self.log.error(f"worker {worker.name!r} ({worker.description}) failed: {message}")
        node = worker.node
        if isinstance(node, Pane) and node.worker_failed(worker, message):
            return
        what = worker.description if worker.description and "(" not in worker.description else worker.name.strip("_")
        self.notify(message, title=f"Could not {what}", severity="error", timeout=10)

    # ---- hooks of the layers below: the panes are told ---------------------------------
    def dataset_changed(self) -> None:
        for pane in self.panes():
            pane.dataset_changed()

    def tensorflow_changed(self) -> None:
        for pane in self.panes():
            pane.tensorflow_ready()

    def experiment_replaced(self, old: Experiment) -> None:
        super().experiment_replaced(old)  # the data reloaded, or its statistics
        for pane in self.panes():
            pane.experiment_changed()
        self.update_status()

    # ---- what one pane has for another (tui.messages): handed down -----------------------
    @on(FollowRun)
    def _follow_run(self, message: FollowRun) -> None:
        self.query_one(TrainPane).follow(message.path)
        self.action_show_pane("train")

    @on(LiveRunsFound)
    def _live_runs_found(self, message: LiveRunsFound) -> None:
        """At start: the newest live run that answers is followed in Train, and said."""
        from tui.following import live_at_start

        train = self.query_one(TrainPane)
        found = live_at_start(message.runs)
        if found.follow is not None and train.watcher is None:  # not when a run was followed meanwhile
            train.follow(found.follow)
        if found.notice:
            self.notify(found.notice, title="Live runs", severity="warning" if found.warning else "information", timeout=10)

    @on(MoreEpochs)
    def _more_epochs(self, message: MoreEpochs) -> None:
        train = self.query_one(TrainPane)
        if train.watcher is None or train.watcher.path.resolve() != message.path.resolve():
            train.follow(message.path)
        self.action_show_pane("train")
        train.action_more()

    @on(CompareRuns)
    def _compare_runs(self, message: CompareRuns) -> None:
        """The compare view of the marked runs (a run deleted meanwhile: said, nothing opens)."""
        from engine import runs  # the package: grimp reads `from engine.runs import compare` as its module
        from tui.compare import CompareScreen
        from tui.heap import freeze_once

        freeze_once()  # a full collection of the app's objects no longer falls in the view's first frame
        try:
            comparison = runs.compare(message.run_ids, self.runs_dir)
        except (KerminalError, OSError) as exc:
            self.notify(error_text(exc), title="Compare", severity="error")
            return
        self.push_screen(CompareScreen(comparison, probes=self.experiment.probes))

    @on(PredictWithRun)
    def _predict_with_run(self, message: PredictWithRun) -> None:
        self.query_one(PredictPane).use_run(message.run_id, message.which)
        if message.show:
            self.action_show_pane("predict")

    @on(RunTrained)
    def _run_trained(self, message: RunTrained) -> None:
        """A run the Train pane followed finished (or stopped): predict with its last model."""
        path = message.path
        run = path.name if path.parent.resolve() == self.runs_dir.resolve() else str(path)
        self.query_one(PredictPane).use_run(run, "last")

    @on(RunsChanged)
    def _runs_changed(self) -> None:
        self.query_one(RunsPane).action_refresh()

    @property
    def samples_per_second(self) -> float:
        """Benchmark hook: the followed run's figure for its last finished epoch."""
        return self.query_one(TrainPane).samples_per_second

    # ---- screenshots -------------------------------------------------------------------
    def screenshot_dir(self) -> Path:
        """Where screenshots go: $KERMINAL_SCREENSHOTS, else the current folder."""
        return Path(os.environ.get("KERMINAL_SCREENSHOTS") or Path.cwd()).expanduser()

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None, time_format: str | None = None) -> str | None:
        """An SVG of the screen, saved at once where screenshot_dir() says (Textual's own
        delivery aims at a Downloads folder that a server often lacks: "Failed to save
        screenshot"). The palette's "Screenshot" and Ctrl+T come here; the message names the file."""
        folder = Path(path).expanduser() if path else self.screenshot_dir()
        name = filename or f"kerminal-{self.query_one(TabbedContent).active}-{time.strftime('%Y%m%d-%H%M%S')}.svg"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            saved = self.save_screenshot(name, str(folder))
        except OSError as exc:
            why = exc.strerror or exc
            self.notify(with_path(f"Could not save a screenshot in {{path}}: {why}. Set KERMINAL_SCREENSHOTS to a writable folder.", folder, TOAST_TEXT), title="Screenshot", severity="error", timeout=10)
            return None
        self.last_screenshot = Path(saved)
        self.notify(with_path("Saved {path}", saved, TOAST_TEXT), title="Screenshot")
        return saved

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        self.deliver_screenshot(filename, path)

    # ---- notifications -------------------------------------------------------------------
    def notify(self, message: str, *, title: str = "", severity: Any = "information", timeout: float | None = None, markup: bool = True) -> None:
        """One toast per event: a message already on screen (same title and text) is not
        shown a second time. Toasts carry run ids, paths and error messages, so they are
        always text, never markup (`markup` is ignored: a widget's notify passes True), with
        control characters escaped. Every message goes to the log (F7) whole; one longer
        than a toast shows (tui.notices) is toasted as its first line and a pointer there."""
        message = "\n".join(printable(line) for line in str(message).splitlines())  # its lines kept: the log shows them
        title = printable(str(title))
        key, now = (title, message), time.monotonic()
        if self._toasts.get(key, 0.0) > now:
            return
        self._toasts = {k: until for k, until in self._toasts.items() if until > now}
        until = self._toasts[key] = now + (self.NOTIFICATION_TIMEOUT if timeout is None else timeout)
        self.notices.add(title, message, severity)
        shown, _long = toast_text(message)
        super().notify(shown, title=title, severity=severity, timeout=timeout, markup=False)
        if self._shown.add(Toast(title, shown, severity, until), now) and not self._trimming:
            self._trimming = True  # more toasts than fit: the oldest go (they are in the log)
            self.call_after_refresh(self._trim_toasts, self._shown.added)

    def _trim_toasts(self, added: int) -> None:
        """Clear the toasts and show the newest notices.SHOWN again, once every toast sent
        before is on screen (Textual adds a toast when its message is handled: a clear any
        sooner would leave the ones still on their way)."""
        if added != self._shown.added:  # more were sent since: after them
            self.call_after_refresh(self._trim_toasts, self._shown.added)
            return
        self._trimming = False
        now = time.monotonic()
        self.clear_notifications()
        for toast in self._shown.trim(now):
            super().notify(toast.text, title=toast.title, severity=toast.severity, timeout=max(toast.until - now, 0.1), markup=False)  # type: ignore[arg-type]

    def action_messages(self) -> None:
        """The log of messages: every notification, whole, newest last."""
        from tui.notices import MessagesScreen

        if not isinstance(self.screen, MessagesScreen):
            self.push_screen(MessagesScreen(self.notices))

    # ---- help and quit -------------------------------------------------------------------
    def action_help(self) -> None:
        from tui.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            # Installed once and kept: its table is laid out and rendered the first time only,
            # so `?` answers at once while a model trains.
            if not self.is_screen_installed("help"):
                self.install_screen(HelpScreen(), "help")
            self.push_screen("help")

    async def action_quit(self) -> None:
        """Quit; unsaved changes are asked about first, then runs this app follows or started
        that still train: leave them running (they are processes of their own) or stop them."""

        def leave() -> None:
            live = self.query_one(TrainPane).live_runs()
            if not live:
                self.exit(0)
                return

            def chosen(choice: str | None) -> None:
                if choice == "stop":
                    from engine.runs import post_command

                    for path in live:
                        with contextlib.suppress(KerminalError, OSError):  # it ended meanwhile
                            post_command(path, "stop")
                if choice in ("leave", "stop"):
                    self.exit(0)

            names = ", ".join(p.name for p in live)
            question = f"Run {names} is still training. Leave it running (it goes on without the app; Enter in Runs follows it again) or stop it?"
            self.push_screen(ConfirmDialog(question, [("leave", "Leave it running"), ("stop", "Stop it"), ("cancel", "Cancel")]), chosen)

        self.keep_work(leave, "quitting", discard="Quit without saving")


def make_app(
    experiment: Experiment | str | Path | None = None,
    runs_dir: str | Path | None = None,
    load_tensorflow: bool = True,
    pane: str = "data",
    reopen_last: bool = False,
    remember: bool = False,
) -> KerminalApp:
    """The app on an experiment (an Experiment, a file, or None for the default experiment),
    saving runs in `runs_dir`, importing TensorFlow in the background at once when
    `load_tensorflow` (else when first needed), showing `pane` first. `reopen_last` with no
    experiment: the one open last (engine.workspace.reopen), unsaved changes included;
    `remember`: every change of the open experiment is written for the next start to reopen."""
    path, dirty, notice = None, False, ("", False)
    if isinstance(experiment, (str, Path)):
        path = Path(experiment)
        experiment = Workspace.open_file(path).experiment
    elif experiment is None and reopen_last:
        from engine.workspace import reopen

        last = reopen(runs_dir=runs_dir)  # None: the app's default runs folder, as KerminalApp takes it
        experiment, path, dirty, notice = last.experiment, last.path, last.dirty, (last.notice, last.failed)
    return KerminalApp(experiment, experiment_path=path, runs_dir=runs_dir, load_tensorflow=load_tensorflow, pane=pane, dirty=dirty, remember=remember, start_notice=notice)


if TYPE_CHECKING:  # pragma: no cover
    _HOST: type[PaneHost] = KerminalApp  # the app is what the panes expect of it: mypy checks


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kerminal", description="The kerminal app. Headless commands: kerminal --help.")
    parser.add_argument("experiment", nargs="?", help="an experiment file (.toml); default: the one open last (its unsaved changes too), else the sample data and default model")
    parser.add_argument("--runs-dir", default=None, help="where runs are saved and listed (default: $KERMINAL_RUNS_DIR, else ./runs)")
    args = parser.parse_args(argv)
    try:
        app = make_app(args.experiment, runs_dir=args.runs_dir, reopen_last=True, remember=True)
    except KerminalError as exc:
        print(f"kerminal: {exc}")
        return 1
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # TensorFlow's C++ logs go straight to descriptor 2, where Textual draws the screen.
    saved = redirect_native_stderr(only_tty=True)
    try:
        app.run()
    finally:
        restore_native_stderr(saved)
    return app.return_code or 0
