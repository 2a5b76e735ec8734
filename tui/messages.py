"""Messages the app's workers post to the screen.

Workers run in threads and never touch widgets; they post one of these (``post_message`` is
thread-safe) and the handlers update the widgets.
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
