"""The app's background loads: the experiment's dataset (and its statistics), TensorFlow
and, at start, the runs folder's live runs, each in a thread worker that posts a message
(tui.messages), and the state the panes read of them (tui.host.PaneHost: dataset, stats,
data_error, data_loading, data_generation, tf_state).

`LoadingApp` reloads the data when the experiment's data settings change, recomputes only
the statistics when its vectorizer does, and clears probe sentences written for classes the
new data no longer has (undoably). What the app shows of it is the subclass's
`dataset_changed` and `tensorflow_changed`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work

from engine import Dataset, Experiment
from tui import heap
from tui.errors import error_text
from tui.files import ExperimentFileApp
from tui.messages import DatasetReady, LiveRunsFound, TensorFlowReady

if TYPE_CHECKING:  # pragma: no cover
    from engine.data import DatasetStats
    from engine.layers import Report


class LoadingApp(ExperimentFileApp):
    """An App that loads its experiment's dataset, and TensorFlow, in the background."""

    def __init__(self, experiment: Experiment, experiment_path: str | Path | None = None) -> None:
        super().__init__(experiment, experiment_path)
        # The dataset of the current data config; `data_generation` counts reloads so that a
        # late answer for an old config is ignored.
        self.dataset: Dataset | None = None
        self.stats: DatasetStats | None = None
        self.data_error = ""
        self.data_generation = 0
        self.data_loading = False
        self.tf_state = "not loaded"  # not loaded | loading | ready | failed
        self.tf_seconds: float | None = None
        self._probes_check: tuple[list[str], list[str]] | None = None  # (old classes, probes) to check

    # ---- hooks for the app ---------------------------------------------------------------
    def dataset_changed(self) -> None:
        """The dataset started loading, finished loading or failed."""

    def tensorflow_changed(self) -> None:
        """TensorFlow finished importing (or failed: tf_state)."""

    def experiment_replaced(self, old: Experiment) -> None:
        """New data settings reload the data; new vectorizer settings, its statistics."""
        exp = self.experiment
        if exp.data != old.data:
            if exp.probes and exp.probes == old.probes and self.dataset is not None:
                # Probes written for the old data: checked once the new data says its classes.
                self._probes_check = (list(self.dataset.class_names), list(exp.probes))
            self.reload_data()
        elif exp.vectorize != old.vectorize:
            self.refresh_stats()

    # ---- the live runs, at start ----------------------------------------------------------
    @work(thread=True, exit_on_error=False, group="runs", description="look for live runs")
    def find_live_runs(self, runs_dir: Path) -> None:
        """Every run of `runs_dir` read once (each metrics.json, and each live one's lock),
        off the UI thread: a folder of hundreds of runs takes a moment."""
        from engine.runs import LIVE, RunStore

        self.post_message(LiveRunsFound([info for info in RunStore(runs_dir).list() if info.status in LIVE]))

    # ---- TensorFlow in the background ----------------------------------------------------
    def start_tensorflow(self) -> None:
        if self.tf_state in ("loading", "ready"):
            return
        self.tf_state = "loading"
        self.update_status()
        self._import_tensorflow()

    @work(thread=True, exclusive=True, exit_on_error=False, group="tensorflow", description="import TensorFlow")
    def _import_tensorflow(self) -> None:
        t0 = time.perf_counter()
        try:
            from engine.layers import import_keras

            import_keras()
        except Exception as exc:  # an import failure must not take the app down
            self.post_message(TensorFlowReady(time.perf_counter() - t0, error_text(exc)))
            return
        # TensorFlow leaves millions of long-lived objects; a full garbage collection that
        # walks them all stalls the screen for a few hundred ms. Freeze them out of it.
        heap.freeze()
        self.post_message(TensorFlowReady(time.perf_counter() - t0))

    def on_tensor_flow_ready(self, message: TensorFlowReady) -> None:
        self.tf_seconds = message.seconds
        if message.error:
            self.tf_state = "failed"
            self.notify(f"TensorFlow could not load: {message.error}", severity="error", timeout=10)
        else:
            self.tf_state = "ready"
        self.update_status()
        self.tensorflow_changed()

    # ---- data ----------------------------------------------------------------------------
    def reload_data(self) -> None:
        self.data_generation += 1
        self.data_loading = True
        self.update_status()
        self._load_data(self.experiment.copy(), self.data_generation)
        self.dataset_changed()

    @work(thread=True, exclusive=True, exit_on_error=False, group="data", description="load the dataset")
    def _load_data(self, exp: Experiment, generation: int) -> None:
        from engine.data import dataset_stats
        from engine.prepared import PreparedCache

        try:
            # Through the prepared-data cache: the run started next on the same data reads
            # it from there instead of loading it again (52 s for aclImdb's 50,000 files).
            ds = PreparedCache(exp, lock_wait_s=0).load_dataset()  # a run preparing it: load here too
            stats = dataset_stats(ds, exp.vectorize)
        except Exception as exc:
            self.post_message(DatasetReady(generation, error=error_text(exc)))
            return
        self.post_message(DatasetReady(generation, ds, stats))

    def on_dataset_ready(self, message: DatasetReady) -> None:
        if message.generation != self.data_generation:
            return  # an answer for a data config that has changed since
        self.data_loading = False
        self.dataset, self.stats, self.data_error = message.dataset, message.stats, message.error
        if message.error:
            self.notify(message.error, title="Data", severity="error", timeout=8)
        self._check_probes()
        self.update_status()
        self.dataset_changed()

    def _check_probes(self) -> None:
        """Probe sentences kept through a change of data whose classes differ were written for
        other classes (a spam model probed with a news headline): clear them, undoably, and
        say so."""
        check, self._probes_check = self._probes_check, None
        if check is None or self.dataset is None:
            return
        old_classes, probes = check
        new_classes = list(self.dataset.class_names)
        if new_classes == old_classes or self.experiment.probes != probes:
            return

        def names(classes: list[str]) -> str:
            return ", ".join(classes[:4]) + (f" +{len(classes) - 4}" if len(classes) > 4 else "")

        new = self.experiment.copy()
        new.probes = []
        self.set_experiment(new, "clear the probes (the classes changed)")
        n = len(probes)
        some = f"the {n} probe sentence{'s' if n != 1 else ''} for the old ones {'were' if n != 1 else 'was'} cleared"
        self.notify(f"The classes changed ({names(old_classes)} → {names(new_classes)}): {some}. Ctrl+Z brings {'them' if n != 1 else 'it'} back.", title="Probes", timeout=10)

    def refresh_stats(self) -> None:
        """Vectorizer settings changed: recompute the stats (OOV rate) without reloading."""
        if self.data_loading or self.dataset is None:
            self.reload_data()
            return
        self.data_generation += 1
        self._compute_stats(self.dataset, self.experiment.copy(), self.data_generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="data", description="dataset statistics")
    def _compute_stats(self, ds: Dataset, exp: Experiment, generation: int) -> None:
        from engine.data import dataset_stats

        try:
            stats = dataset_stats(ds, exp.vectorize)
        except Exception as exc:
            self.post_message(DatasetReady(generation, error=error_text(exc)))
            return
        self.post_message(DatasetReady(generation, ds, stats))

    # ---- validation ----------------------------------------------------------------------
    def validate(self) -> tuple[Report | None, str]:
        """The stack's validation Report for the current experiment and data, or an error."""
        from engine.layers import validate_experiment

        try:
            return validate_experiment(self.experiment, self.dataset), ""
        except Exception as exc:
            return None, error_text(exc)
