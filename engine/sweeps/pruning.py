"""The trial's side of a sweep, inside its run's process: each epoch it reports the
monitored metric to the study and asks the pruner whether to go on. A pruned trial stops at
that epoch ("pruned at epoch N by the median pruner") and keeps what it saved.

The driver passes the trial through $KERMINAL_SWEEP_TRIAL (JSON: storage, study, trial id,
pruner, monitor), so the run is started and resumed exactly as any other run. A study that
cannot be reached never fails the training: the run goes on unpruned. A trial that the
study ended meanwhile (its worker died and the trial was failed and retried) stops the run.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import keras

from engine.sweeps.pruners import ENV, PRUNED_AT, make_pruner


def callbacks(control: Any, epochs: int) -> list[keras.callbacks.Callback]:
    """The run's sweep callback when $KERMINAL_SWEEP_TRIAL names a trial, else none."""
    raw = os.environ.get(ENV, "")
    if not raw:
        return []
    try:
        info = json.loads(raw)
    except ValueError:
        return []
    return [TrialReporter(info, control, epochs)] if isinstance(info, dict) else []


class TrialReporter(keras.callbacks.Callback):
    """Report each epoch's monitored metric to the trial; stop the run when pruned."""

    def __init__(self, info: dict[str, Any], control: Any, epochs: int) -> None:
        super().__init__()
        self.info, self.control, self.epochs = info, control, epochs
        self._trial: Any = None

    def _open(self) -> Any:
        if self._trial is None:
            import optuna

            from engine.sweeps.storage import open_storage

            optuna.logging.set_verbosity(optuna.logging.WARNING)
            storage = open_storage(str(self.info["storage"]))
            pruner = make_pruner(str(self.info.get("pruner", "none")), self.epochs)
            study = optuna.load_study(study_name=str(self.info["study"]), storage=storage, pruner=pruner)
            self._trial = optuna.Trial(study, int(self.info["trial"]))
        return self._trial

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(str(self.info.get("monitor", "val_loss")))
        if value is None or not math.isfinite(float(value)):
            return
        from optuna.exceptions import UpdateFinishedTrialError

        n = epoch + 1
        try:
            trial = self._open()
            trial.report(float(value), n)
            if trial.should_prune():
                trial.set_user_attr(PRUNED_AT, n)
                self.control.stop(f"pruned at epoch {n} by the {self.info.get('pruner', 'median')} pruner.")
        except UpdateFinishedTrialError:
            self.control.stop(f"its trial {self.info.get('number', '')} was ended by the study (its worker stopped beating, so it was failed and retried); stopped at epoch {n}.")
        except Exception:  # the study unreachable: train on, unpruned (a sweep is no reason to lose a run)
            return
