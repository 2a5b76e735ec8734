"""Training, saved runs, evaluation and fast prediction (TensorFlow loads only when used).

- events: Started, BatchEnd, EpochEnd, Finished, Stopped, Failed (frozen dataclasses)
- TrainControl: stop / pause / resume from any thread
- Trainer(exp, dataset, runs_dir, listener, control, batch_interval).run(epochs) -> RunResult
- RunStore(root): list(), load(id_or_path), delete(id); the run folder layout is in runs.py
"""

from engine.training.control import TrainControl
from engine.training.events import BatchEnd, EpochEnd, Event, Failed, Finished, Started, Stopped
from engine.training.runs import Run, RunInfo, RunStore
from engine.training.trainer import RunResult, Trainer

__all__ = [
    "BatchEnd",
    "EpochEnd",
    "Event",
    "Failed",
    "Finished",
    "Run",
    "RunInfo",
    "RunResult",
    "RunStore",
    "Started",
    "Stopped",
    "TrainControl",
    "Trainer",
]
