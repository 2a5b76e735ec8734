"""The experiment being edited: its file, undo and redo, the dirty flag, open and save.

A UI holds one Workspace and only its own state beside it; every change to the experiment
goes through `edit` (so undo sees it), and the rules live here once:
- an undo entry keeps the experiment AND the file it belonged to, so undoing an open gives
  back the earlier file too and Ctrl+S never writes one experiment into another's file;
- a new edit clears the redo list; at most `undo_limit` entries are kept;
- undo and redo mark the workspace dirty (what is on screen no longer matches the file);
- save and save-as write `experiment.rebased(folder of the file)`, so relative data paths
  still find the same data from the new folder (the one copy of that rule, shared with the
  run folder's experiment.toml through `Experiment.rebased`).

The experiment open last, reopened by `kerminal` with no arguments, is recent.py's.

TF-free and UI-free: errors are raised (OSError, KerminalError), never shown.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine.experiment import Experiment, load, save
from engine.workspace.recent import Recent, Reopened, read_recent, remember, reopen, state_dir, state_file

__all__ = ["KEEP", "UNDO_LIMIT", "Recent", "Reopened", "Step", "Workspace", "read_recent", "remember", "reopen", "state_dir", "state_file"]

UNDO_LIMIT = 100

# `edit(..., path=KEEP)`: the experiment stays with the file it has.
KEEP: object = object()


@dataclass(frozen=True)
class Step:
    """One entry of the undo or redo list: the experiment, the file it belonged to, and
    what the change was (shown as "Undid: …")."""

    experiment: Experiment
    path: Path | None
    reason: str


class Workspace:
    """An experiment being edited, with its file (None: not saved yet), undo/redo and the
    dirty flag (changes not written to the file)."""

    def __init__(self, experiment: Experiment, path: str | os.PathLike[str] | None = None, *, undo_limit: int = UNDO_LIMIT) -> None:
        self.experiment = experiment
        self.path: Path | None = Path(path) if path is not None else None
        self.dirty = False
        self.undo_limit = undo_limit
        self._undo: list[Step] = []
        self._redo: list[Step] = []

    @classmethod
    def open_file(cls, path: str | os.PathLike[str], *, undo_limit: int = UNDO_LIMIT) -> Workspace:
        """A workspace on an experiment file. Raises ExperimentError (no file, bad TOML)."""
        return cls(load(path), path, undo_limit=undo_limit)

    # ---- editing -------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def edit(self, experiment: Experiment, reason: str, *, undoable: bool = True, path: Path | str | None | object = KEEP, dirty: bool = True) -> Experiment:
        """Replace the experiment (a copy the caller edited); returns the one it replaced.
        `path`: the file it belongs to from now on (None: no file yet; KEEP: the same one).
        `dirty=False`: nothing of the user's is unsaved (a file just opened, a new preset)."""
        old = self.experiment
        if undoable:
            self._undo.append(Step(old, self.path, reason))
            del self._undo[: -self.undo_limit]
            self._redo.clear()
        if path is not KEEP:
            self.path = Path(path) if path is not None else None  # type: ignore[arg-type]
        self.experiment = experiment
        self.dirty = dirty
        return old

    def undo(self) -> Step | None:
        """Go back one change (experiment and file); the step undone, or None if none."""
        return self._step(self._undo, self._redo)

    def redo(self) -> Step | None:
        """Redo the change just undone; the step redone, or None if none."""
        return self._step(self._redo, self._undo)

    def _step(self, source: list[Step], target: list[Step]) -> Step | None:
        if not source:
            return None
        step = source.pop()
        target.append(Step(self.experiment, self.path, step.reason))
        self.experiment, self.path = step.experiment, step.path
        self.dirty = True
        return step

    # ---- files ---------------------------------------------------------------------------
    def open(self, path: str | os.PathLike[str], *, as_file: bool = True, reason: str = "") -> Experiment:
        """Load an experiment file in place of the current one (undoable: undo gives back
        the earlier experiment and its file); returns the experiment it replaced.
        `as_file=False`: a copy that belongs to no file (a run's experiment: saving it then
        asks where, so the run folder is never written to). Raises ExperimentError, OSError;
        nothing changes then."""
        p = Path(path)
        if as_file:
            exp = load(p)
        else:  # a run's experiment.toml: read only as a plain file of a sane size (run folders may be shared)
            from engine.runs.store import read_experiment

            exp = read_experiment(p)
        return self.edit(exp, reason or f"open {p.name}", path=p if as_file else None, dirty=False)

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the experiment to `path` (default: its own file) and make that its file.
        Relative data paths are rebased so they find the same data from the new folder.
        Raises ValueError when there is no path at all, OSError or KerminalError when the
        file cannot be written (then nothing changes)."""
        if path is None:
            if self.path is None:
                raise ValueError("The experiment has no file yet: save it under a path.")
            path = self.path
        p = Path(path)
        exp = self.experiment.rebased(p.expanduser().absolute().parent)
        save(exp, p)
        self.experiment, self.path, self.dirty = exp, p, False
        return p
