"""What a pane needs from the app that holds it, as a Protocol: the panes are typed against
`PaneHost`, never against the app class, so no pane imports tui.app.

Reading: the experiment being edited, the loaded data, the TensorFlow state, where runs live,
the layout. Changing: the experiment only through `set_experiment` (so undo sees every
change), `keep_work` and `open_experiment` for what replaces it, `reload_data`. Textual's own
App API (push_screen, call_from_thread, batch_update, size, post_message) a pane reaches as
`self.app`, typed by Textual as a plain App. A pane tells another pane something with a
message posted to the app (tui.messages), which hands it down.

KerminalApp implements this (tui/app.py checks it for mypy; tests/tui/test_seams.py too).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from engine import Dataset, Experiment
    from engine.data import DatasetStats
    from engine.layers import Report


class PaneHost(Protocol):
    # ---- the experiment being edited ---------------------------------------------------
    @property
    def experiment(self) -> Experiment: ...

    def set_experiment(self, exp: Experiment, reason: str, *, undoable: bool = True, path: Path | None | bool = True, dirty: bool = True) -> None: ...

    def keep_work(self, then: Callable[[], Any], doing: str, discard: str = "Discard changes") -> None: ...

    def open_experiment(self, path: Path, *, as_file: bool = True, what: str = "") -> bool: ...

    def validate(self) -> tuple[Report | None, str]: ...

    # ---- its file (a sweep reads the file: the Sweep dialog saves it first) -------------
    @property
    def experiment_path(self) -> Path | None: ...

    @property
    def dirty(self) -> bool: ...

    def save_to(self, path: Path) -> bool: ...

    def action_save_as(self, then: Callable[[], Any] | None = None) -> None: ...

    # ---- the data of the experiment (loaded in a worker; `data_generation` counts reloads)
    @property
    def dataset(self) -> Dataset | None: ...

    @property
    def stats(self) -> DatasetStats | None: ...

    @property
    def data_error(self) -> str: ...

    @property
    def data_loading(self) -> bool: ...

    @property
    def data_generation(self) -> int: ...

    def reload_data(self) -> None: ...

    # ---- TensorFlow, imported in the background: not loaded | loading | ready | failed
    @property
    def tf_state(self) -> str: ...

    # ---- where runs are saved and listed -------------------------------------------------
    @property
    def runs_dir(self) -> Path: ...

    # ---- layout: the two panes shown side by side (None: one pane) ----------------------
    @property
    def pair(self) -> tuple[str, str] | None: ...
