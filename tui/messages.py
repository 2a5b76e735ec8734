"""Messages the app's workers post to the screen.

Workers run in threads and never touch widgets; they post one of these (``post_message`` is
thread-safe) and the handlers update the widgets. High-rate messages (batch progress) define
``can_replace`` so that queued ones collapse to the newest; epoch ends never do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message


@dataclass
class TensorFlowReady(Message):
    """TensorFlow (and Keras) finished importing in the background, or failed to."""

    seconds: float
    error: str = ""


@dataclass
class DatasetReady(Message):
    """The experiment's dataset loaded (or failed: `error` names the problem)."""

    generation: int
    dataset: Any = None
    stats: Any = None
    error: str = ""


@dataclass
class VectorizerView(Message):
    """How the vectorizer sees one example: tokens, ids, padded ids."""

    generation: int
    lines: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class TrainingEvent(Message):
    """One event of engine.training's Trainer, handed over from the training thread."""

    event: Any
    probes: list[tuple[str, dict[str, float]]] | None = None

    def can_replace(self, message: Message) -> bool:
        # Batch progress collapses to the newest; every other event is a data point.
        return (
            isinstance(message, TrainingEvent)
            and type(self.event).__name__ == "BatchEnd"
            and type(message.event).__name__ == "BatchEnd"
        )


@dataclass
class TrainingCrashed(Message):
    """The training worker raised outside the Trainer (the Trainer reports its own failures)."""

    error: str


@dataclass
class PredictionReady(Message):
    text: str
    prediction: Any = None
    error: str = ""


@dataclass
class PredictorReady(Message):
    """A Predictor is ready (from the model just trained or a saved run)."""

    predictor: Any = None
    source: str = ""
    error: str = ""


@dataclass
class RunsListed(Message):
    runs: list[Any] = field(default_factory=list)
    error: str = ""


@dataclass
class EvaluationReady(Message):
    run_id: str
    evaluation: Any = None
    error: str = ""


@dataclass
class RunHistory(Message):
    run_id: str
    history: dict[str, list[float]] = field(default_factory=dict)
    error: str = ""
