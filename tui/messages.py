"""The app's messages, with typed payloads.

Workers run in threads and never touch widgets; they post a result message
(``post_message`` is thread-safe) and its handler updates the widgets. A pane that has
something for another pane posts a request to the app (``self.app.post_message``, straight
to the app's queue, so it is handled before keys typed after it), and the app hands it down
to the pane it is for: no pane calls or queries another.

The engine types are imported for the type checker only (importing engine.training would
cost the app's start-up nothing it needs then).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # pragma: no cover
    from engine import Dataset
    from engine.data import DatasetStats
    from engine.runs import RunInfo
    from engine.training import Evaluation, Prediction, Predictor

# ---- results of workers ----------------------------------------------------------------


@dataclass
class TensorFlowReady(Message):
    """TensorFlow (and Keras) finished importing in the background, or failed to."""

    seconds: float
    error: str = ""


@dataclass
class DatasetReady(Message):
    """The experiment's dataset loaded (or failed: `error` names the problem)."""

    generation: int
    dataset: Dataset | None = None
    stats: DatasetStats | None = None
    error: str = ""


@dataclass
class LiveRunsFound(Message):
    """The runs folder's runs as the app found them at start (newest first), for the live
    ones among them (tui.following.live_at_start)."""

    runs: list[RunInfo] = field(default_factory=list)


@dataclass
class VectorizerView(Message):
    """How the vectorizer sees one example: tokens, ids, padded ids."""

    generation: int
    lines: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class PredictionReady(Message):
    text: str
    prediction: Prediction | None = None
    error: str = ""


@dataclass
class PredictorReady(Message):
    """A Predictor is ready (from the model just trained or a saved run)."""

    predictor: Predictor | None = None
    source: str = ""
    error: str = ""


@dataclass
class EvaluationReady(Message):
    run_id: str
    evaluation: Evaluation | None = None
    error: str = ""


# ---- from one pane, for another (the app hands them down) -------------------------------


@dataclass
class FollowRun(Message):
    """Follow the run in `path` in the Train pane, and show that pane (Runs: Enter)."""

    path: Path


@dataclass
class MoreEpochs(Message):
    """Ask how many more epochs the run in `path` trains, following it in the Train pane
    (Runs: m); the Train pane asks and sends."""

    path: Path


@dataclass
class CompareRuns(Message):
    """Open the compare view of the runs `run_ids` (two or more, in the order marked; Runs: c)."""

    run_ids: list[str]


@dataclass
class PredictWithRun(Message):
    """Predict with a saved run's `which` model ("best" or "last") in the Predict pane;
    `show` shows that pane too (Runs: p)."""

    run_id: str
    which: str = "best"
    show: bool = True


@dataclass
class RunTrained(Message):
    """The run the Train pane followed ended having trained (finished or stopped): the
    Predict pane predicts with its last model."""

    path: Path


@dataclass
class RunsChanged(Message):
    """A run was started, continued or ended: the Runs pane lists the runs again."""
