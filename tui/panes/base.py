"""What every pane shares: hooks the app calls when its state changes, and `host`, the app
as a pane may use it (tui.host.PaneHost)."""

from __future__ import annotations

from typing import cast

from textual import on
from textual.containers import Vertical
from textual.worker import Worker, WorkerState

from tui.host import PaneHost


class Pane(Vertical):
    """A pane of the app. The app calls the hooks below (method calls go down); a pane
    changes the experiment only through `host.set_experiment` (so undo sees every change),
    and tells other panes things with messages posted to the app (tui.messages)."""

    DEFAULT_FOCUS = ""  # a selector for the widget that takes focus when the pane is shown
    IS_PANE = True  # how widgets that panes import (the footer) tell a pane, without importing this

    @property
    def host(self) -> PaneHost:
        """The app, as what a pane needs of it (typed by the Protocol, not the app's class)."""
        return cast(PaneHost, self.app)

    def focus_default(self) -> None:
        """Focus the pane's first widget (DEFAULT_FOCUS first) at once, not later as
        `Widget.focus` does: keys typed right after a pane switch must find it there."""
        chosen = next((w for w in self.query(self.DEFAULT_FOCUS) if w.can_focus and not w.disabled), None) if self.DEFAULT_FOCUS else None
        chosen = chosen or next((w for w in self.query("*") if w.can_focus and not w.disabled), None)
        if chosen is not None:
            self.screen.set_focus(chosen)

    def experiment_changed(self) -> None:
        """The experiment was edited, undone, opened or replaced by a preset."""

    def dataset_changed(self) -> None:
        """The dataset started loading, finished loading or failed (see host.dataset)."""

    def tensorflow_ready(self) -> None:
        """TensorFlow finished importing (or failed: host.tf_state)."""

    def worker_failed(self, worker: Worker, message: str) -> bool:
        """A worker this pane started raised; `message` says the error for the user (see
        tui.errors). Return True when the pane has shown it; else the app notifies."""
        return False

    @on(Worker.StateChanged)
    def _forward_worker_failure(self, event: Worker.StateChanged) -> None:
        # Worker.StateChanged goes to the node that started the worker and does not bubble:
        # hand a failure to the app's one handler, which calls `worker_failed` above.
        if event.state == WorkerState.ERROR:
            self.app.post_message(Worker.StateChanged(event.worker, event.state))
