"""Training, saved runs, evaluation and fast prediction (TensorFlow loads only when used).

- events: Started, BatchEnd, EpochEnd, Finished, Stopped, Failed (frozen dataclasses)
- TrainControl: stop / pause / resume from any thread
- Trainer(exp, dataset, runs_dir, listener, control, batch_interval).run(epochs) -> RunResult
- RunStore(root): list(), load(id_or_path), delete(id); the run folder layout is in runs.py
- Predictor(model, class_names, exp) / Predictor.from_run(path): predict(text), predict_many
- evaluate(model_or_run, split_or_dataset) -> Evaluation
- disagreement(a, b) / add_disagreements(comparison): the validation examples two runs disagree on
- probe_table(runs, sentences): the probe sentences scored by every compared run, side by side
"""

from engine.runs import Run, RunInfo, RunStore
from engine.runs.events import BatchEnd, EpochEnd, Event, Failed, Finished, Started, Steered, Stopped, describe, format_duration
from engine.training.control import TrainControl
from engine.training.disagree import Disagreement, add_disagreements, disagreement
from engine.training.evaluate import Evaluation, Misclassified, evaluate
from engine.training.predictor import Prediction, Predictor
from engine.training.probe_answers import ProbeAnswer, ProbeTable, probe_sentences, probe_table
from engine.training.trainer import RunResult, Trainer

__all__ = [
    "BatchEnd",
    "Disagreement",
    "EpochEnd",
    "Evaluation",
    "Event",
    "Failed",
    "Finished",
    "Misclassified",
    "Prediction",
    "Predictor",
    "ProbeAnswer",
    "ProbeTable",
    "Run",
    "RunInfo",
    "RunResult",
    "RunStore",
    "Started",
    "Steered",
    "Stopped",
    "TrainControl",
    "Trainer",
    "add_disagreements",
    "describe",
    "disagreement",
    "format_duration",
    "evaluate",
    "probe_sentences",
    "probe_table",
]
