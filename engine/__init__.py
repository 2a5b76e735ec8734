"""kerminal's engine: data, layer stacks, training, runs and prediction, with no UI.

Nothing here imports textual, rich or plotext, and TensorFlow is imported only by the
functions that need it, so `import engine` is fast and works before TensorFlow has loaded.
"""

from engine.dataset import Dataset, Split
from engine.errors import DataError, ExperimentError, KerminalError, LayerError, RunError, TrainingError
from engine.experiment import Experiment, LayerSpec

__all__ = [
    "DataError",
    "Dataset",
    "Experiment",
    "ExperimentError",
    "KerminalError",
    "LayerError",
    "LayerSpec",
    "RunError",
    "Split",
    "TrainingError",
]
