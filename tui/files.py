"""The experiment file as the app edits it: open, save, save as, undo and redo, and the
question asked before unsaved work is replaced (`keep_work`).

`ExperimentFileApp` holds the `Workspace` (engine.workspace: the experiment, its file, the
undo history, the dirty flag) and the file actions bound to Ctrl+O, Ctrl+S, Ctrl+N, Ctrl+Z
and Ctrl+Y. What a replaced experiment means for the rest of the app (data to reload, panes
to redraw) is the subclass's `experiment_replaced`.

With `remember_state` (the real program, not the tests or benchmarks) every change of the
experiment, its file or its unsaved state is written to engine.workspace.recent's state, so
`kerminal` with no arguments reopens it, unsaved changes included, after an SSH drop. The
write runs in a thread (it syncs the file to disk); a newer change supersedes a write
still waiting, so the last one written is the newest.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import work

from engine import Experiment, KerminalError
from engine.workspace import KEEP, Workspace
from tui.dialogs import ConfirmDialog, FilePicker, TextPrompt
from tui.errors import error_text
from tui.keys import KeysInOrderApp
from tui.notices import TOAST_TEXT
from tui.shorten import with_path

UNDO_LIMIT = 100  # changes Ctrl+Z can take back (the Workspace keeps them)


class ExperimentFileApp(KeysInOrderApp):
    """An App that edits one experiment, with its file and undo."""

    runs_dir: Path  # the app's runs folder (set by the app): what `kerminal` reopens is kept per runs folder

    def __init__(self, experiment: Experiment, experiment_path: str | Path | None = None) -> None:
        super().__init__()
        self.workspace = Workspace(experiment, experiment_path or None, undo_limit=UNDO_LIMIT)
        self.remember_state = False  # write the state `kerminal` reopens (set by the real program)
        self._remembered = 0  # changes to remember, counted: a write that is not the newest is skipped
        self._remember_lock = threading.Lock()
        self._remember_failed = False  # said once: a state folder that cannot be written stays so

    # ---- what `kerminal` reopens ------------------------------------------------------------
    def remember(self) -> None:
        """Write the state `kerminal` with no arguments reopens (when remember_state)."""
        if not self.remember_state:
            return
        self._remembered += 1
        ws = self.workspace
        self._write_state(self._remembered, ws.experiment, ws.path, ws.dirty)

    @work(thread=True, exit_on_error=False, group="state", description="remember the open experiment")
    def _write_state(self, generation: int, experiment: Experiment, path: Path | None, dirty: bool) -> None:
        from engine.workspace import remember, state_dir

        with self._remember_lock:
            if generation != self._remembered:
                return  # a newer change is on its way: it writes
            try:
                remember(experiment, path, dirty, runs_dir=self.runs_dir)
            except OSError as exc:
                if not self._remember_failed:
                    self._remember_failed = True
                    why = exc.strerror or str(exc)
                    message = with_path(f"Could not remember the open experiment in {{path}} ({why}): `kerminal` will not reopen it. Set KERMINAL_STATE_DIR to a writable folder.", state_dir(), TOAST_TEXT)
                    with contextlib.suppress(RuntimeError):  # the app closed meanwhile
                        self.call_from_thread(self.notify, message, title="State", severity="warning", timeout=10)

    # ---- hooks for the app ---------------------------------------------------------------
    def experiment_replaced(self, old: Experiment) -> None:
        """The experiment was edited, undone, redone or opened (`old`: the one before)."""

    def update_status(self) -> None:
        """The experiment's name, file or unsaved state changed: show it."""

    # ---- the workspace, as panes and tests read it ----------------------------------------
    @property
    def experiment(self) -> Experiment:
        return self.workspace.experiment

    @property
    def experiment_path(self) -> Path | None:
        return self.workspace.path

    @property
    def dirty(self) -> bool:
        return self.workspace.dirty

    # ---- the experiment, with undo -------------------------------------------------------
    def set_experiment(self, exp: Experiment, reason: str, *, undoable: bool = True, path: Path | None | bool = True, dirty: bool = True) -> None:
        """Replace the experiment (a copy edited by a pane); reload data if its data changed.
        `path`: the file it now belongs to (None: no file yet); True keeps the current one.
        `dirty=False`: nothing of the user's is unsaved in it (a whole preset)."""
        old = self.workspace.edit(exp, reason, undoable=undoable, path=KEEP if path is True else path, dirty=dirty)
        self.experiment_replaced(old)
        self.remember()

    def action_undo(self) -> None:
        old = self.experiment
        step = self.workspace.undo()
        if step is None:
            self.notify("Nothing to undo.")
            return
        self.experiment_replaced(old)
        self.remember()
        self.notify(f"Undid: {step.reason}")

    def action_redo(self) -> None:
        old = self.experiment
        step = self.workspace.redo()
        if step is None:
            self.notify("Nothing to redo.")
            return
        self.experiment_replaced(old)
        self.remember()
        self.notify(f"Redid: {step.reason}")

    # ---- files ---------------------------------------------------------------------------
    def save_to(self, path: Path) -> bool:
        try:
            self.workspace.save(path)
        except (OSError, KerminalError) as exc:
            self.notify(with_path(f"Could not save {{path}}: {error_text(exc)}", path, TOAST_TEXT), title="Save", severity="error")
            return False
        self.update_status()
        self.remember()
        self.notify(with_path("Saved {path}", path, TOAST_TEXT), title="Save")
        return True

    def action_save(self) -> None:
        if self.experiment_path is None:
            self.action_save_as()
        else:
            self.save_to(self.experiment_path)

    def action_save_as(self, then: Callable[[], Any] | None = None) -> None:
        """Ask for a path and save there; `then` runs once the file is written."""
        default = str(self.experiment_path or Path.cwd() / f"{self.experiment.name or 'experiment'}.toml")

        def chosen(value: str | None) -> None:
            if value and self.save_to(Path(value).expanduser()) and then is not None:
                then()

        self.push_screen(TextPrompt("Save the experiment as", default, "path/to/experiment.toml", "Enter saves · Esc cancels"), chosen)

    def keep_work(self, then: Callable[[], Any], doing: str, discard: str = "Discard changes") -> None:
        """Run `then` (which replaces or drops the experiment) at once when nothing is
        unsaved; else ask first: save (then go on), discard (go on), or cancel (nothing)."""
        if not self.dirty:
            then()
            return

        def chosen(choice: str | None) -> None:
            if choice == "save":
                if self.experiment_path is None:
                    self.action_save_as(then=then)
                elif self.save_to(self.experiment_path):
                    then()
            elif choice == "discard":
                then()

        self.push_screen(
            ConfirmDialog(
                f"The experiment has unsaved changes. Save it before {doing}?",
                [("save", "Save"), ("discard", discard), ("cancel", "Cancel")],
            ),
            chosen,
        )

    def action_open(self) -> None:
        def chosen(path: Path | None) -> None:
            if path is not None:
                self.open_experiment(path)

        def pick() -> None:
            start = self.experiment_path.parent if self.experiment_path else Path.cwd()
            self.push_screen(FilePicker("Open an experiment file", start, suffixes=(".toml",)), chosen)

        self.keep_work(pick, "opening another file")

    def open_experiment(self, path: Path, *, as_file: bool = True, what: str = "") -> bool:
        """Open an experiment file (undoable: Ctrl+Z gives back the experiment and its file).
        `as_file=False` opens a copy that belongs to no file yet (a run's experiment: Ctrl+S
        then asks where, so the run folder is never written to)."""
        what = what or path.name
        old = self.experiment
        try:
            self.workspace.open(path, as_file=as_file, reason=f"open {what}")
        except (OSError, KerminalError) as exc:
            self.notify(error_text(exc), title="Open", severity="error", timeout=10)
            return False
        self.experiment_replaced(old)
        self.remember()
        self.notify(f"Opened {what}" if what != path.name else with_path("Opened {path}", path, TOAST_TEXT), title="Open")
        return True
