"""The run folder's saved models against the model in memory: before a run is reported
finished its saved models load back (safe mode) and last.keras predicts what the model in
memory predicts; after a stop mid-epoch the model is rewound to last.keras."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import KerminalError, TrainingError
from engine.runs import folder as runs
from engine.runs.store import load_model_file
from engine.training.failures import first_line
from engine.training.prepare import encode_inputs

if TYPE_CHECKING:  # pragma: no cover
    import keras


def verify_saved(folder: Path, model: keras.Model, texts: list[str], compare_last: bool) -> None:
    """Load best.keras and last.keras from `folder` and predict `texts` with each; raise
    TrainingError when one does not load or predict, or (`compare_last`: the model in memory
    holds last.keras's weights) when last.keras predicts differently from `model`."""
    for name in (runs.LAST, runs.BEST):
        path = folder / name
        if not path.is_file():
            continue
        try:
            loaded = load_model_file(path)
            got = np.asarray(loaded(encode_inputs(texts), training=False))
        except KerminalError as exc:
            raise TrainingError(f"The saved model does not load back: {exc.problem}", "Report this with the run folder; the data may hold text Keras cannot save. The epochs are recorded in history.csv.") from None
        except Exception as exc:
            raise TrainingError(f"The saved model {path} does not predict after loading: {first_line(exc)}", "Report this with the run folder; the epochs are recorded in history.csv.") from None
        if compare_last and name == runs.LAST:
            want = np.asarray(model(encode_inputs(texts), training=False))
            if not np.allclose(got, want, rtol=1e-4, atol=1e-5):
                raise TrainingError(f"{path} loads but predicts differently from the trained model ({got.ravel()[:2]} vs {want.ravel()[:2]}).", "Report this with the run folder; train again meanwhile.")


def rewind(folder: Path, model: keras.Model) -> bool:
    """Load last.keras's weights into `model`; True if it did (False: no last.keras, or its
    weights would not load, and the partial weights stay; the folder is still right)."""
    last = folder / runs.LAST
    if not last.is_file():
        return False
    try:
        model.load_weights(last)
        return True
    except Exception:
        return False
