"""The Trainer's side of its run folder: taking over a saved run to continue it (its lock
first, then its model and data), what a continued run starts from (history, epochs and best
from metrics.json), opening the folder for a run() and the run's fixed facts."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from engine.dataset import Dataset
from engine.experiment import Experiment
from engine.prepared import PreparedCache
from engine.progress import OnPhase, silent
from engine.runs import reader, saving
from engine.runs.labels import true_preset
from engine.runs.status import Status
from engine.runs.store import Run, RunStore
from engine.runs.writer import RunWriter
from engine.training.state import RunState


def load_saved_run(
    run_path: str | os.PathLike[str], dataset: Dataset | None, writer: RunWriter | None, force: bool, on_phase: OnPhase | None, prepared: bool = False
) -> tuple[Run, Dataset, RunWriter, PreparedCache | None]:
    """The saved run (last.keras), its data (`dataset`, else loaded: from the prepared-data
    cache with `prepared`), the writer that holds its lock (`writer`, else the lock taken
    here, and let go again when loading fails) and the cache the run goes on using."""
    store = RunStore(Path(run_path).parent)
    path = store.path_of(run_path)
    taken = writer is None
    if writer is None:
        writer = RunWriter.take(path, force=force)
    held = writer

    def say(doing: str) -> None:  # the folder says it only while "starting" (writer.beat)
        held.phase(doing)
        (on_phase or silent)(doing)

    try:
        say("loading the saved model")
        run = store.load(path, which="last", locked=True)
        cache = None
        if dataset is None and prepared:
            cache = PreparedCache(run.experiment)
            dataset = cache.load_dataset(say)
        elif dataset is None:
            from engine.data import load_dataset

            dataset = load_dataset(run.experiment, say)
    except BaseException:
        if taken:
            writer.close()
        raise
    return run, dataset, writer, cache


def restore_state(state: RunState, path: Path) -> str:
    """Put a saved run's history, epochs, best and status into `state`; when it was created."""
    meta = reader.read_meta(path) or {}
    state.history = reader.read_history(path)
    state.epochs_done = int(meta.get("epochs", 0))
    state.last_good_epoch = int(meta.get("last_good_epoch", state.epochs_done))
    best = meta.get("best") or {}
    state.best_value = best.get("value")
    state.best_epoch = int(best.get("epoch") or 0)
    state.status = str(meta.get("status", Status.STOPPED))
    return str(meta.get("created", ""))


def open_run_folder(runs_dir: Path, run_dir: Path | None, writer: RunWriter | None, exp: Experiment, created: str) -> tuple[RunWriter, str]:
    """Create a run folder under `runs_dir` (`run_dir` None) or take over `run_dir`; the
    writer that holds it, and when the run was created."""
    if run_dir is None:
        return RunWriter.create(runs_dir, exp), time.strftime("%Y-%m-%dT%H:%M:%S")
    if writer is None:
        writer = RunWriter.take(run_dir)
    writer.hold()  # a later run() of this Trainer takes the lock again
    saving.recover(run_dir, locked=True)  # a continued run: finish or undo a save cut short by a kill
    writer.open_channel()
    return writer, created or str((reader.read_meta(run_dir) or {}).get("created", "")) or time.strftime("%Y-%m-%dT%H:%M:%S")


def run_facts(exp: Experiment, ds: Dataset, created: str) -> dict[str, Any]:
    """What metrics.json says of the run whatever its progress (RunState.info)."""
    return {
        "name": exp.name,
        "preset": true_preset(exp.to_dict()),  # only while the layers are still the preset's
        "created": created,
        "class_names": list(ds.class_names),
        "task": ds.task,
        "samples": {"train": len(ds.train), "validation": len(ds.validation), "test": len(ds.test)},
        "batch_size": exp.fit.batch_size,
        "seed": exp.fit.seed,
    }
