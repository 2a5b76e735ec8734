"""The one Keras callback kerminal adds to `model.fit` (imported only when training starts).

Per batch it does O(1) work: note the time, check the loss is finite, ask the TrainControl
whether to stop (blocking there only while paused), and, at most once per `batch_interval`
seconds, hand a BatchEnd to the Trainer's listener. The listener is called synchronously in
the training thread, so it must be cheap (a UI posts a message and returns); kerminal never
waits on it otherwise. Per epoch it commits the epoch as runs.py describes (checkpoints of the
string model to temporary names, best.keras when the monitored metric improved, history.csv,
metrics.json, then the renames) and emits EpochEnd.

A stop (TrainControl.stop) or a NaN loss mid-epoch raises StopAtBatch from the batch hook:
Keras's own `stop_training` would still run the validation pass and `on_epoch_end`, so the
partial epoch would be checkpointed, logged and counted like a whole one. The exception
leaves `model.fit` at once and the Trainer records the partial epoch as such.

`async_safe` is left False on purpose: pausing must block the training loop itself, which
an asynchronously dispatched batch hook could not do (and the TensorFlow backend dispatches
callbacks synchronously anyway).
"""

from __future__ import annotations

import math
import os
import time
from typing import TYPE_CHECKING

import keras

from engine.runs import events as ev
from engine.training.stops import StopAtBatch
from engine.runs import folder as runs

if TYPE_CHECKING:  # pragma: no cover
    from engine.training.trainer import Trainer


# Metrics where larger is better (as Keras's ModelCheckpoint mode="auto" reads them).
MAXIMIZED = ("accuracy", "acc", "auc", "precision", "recall")


def improved(monitor: str, value: float | None, best: float | None) -> bool:
    """Whether `value` of `monitor` beats `best` (None: nothing to beat yet)."""
    if value is None or not math.isfinite(value):
        return False
    if best is None or not math.isfinite(best):
        return True
    base = monitor[4:] if monitor.startswith("val_") else monitor
    return value > best if base in MAXIMIZED else value < best


class KerminalCallback(keras.callbacks.Callback):
    async_safe = False

    def __init__(self, trainer: Trainer, steps: int, samples: int, batch_size: int, target_epochs: int, best_tmp: os.PathLike[str] | None) -> None:
        super().__init__()
        self.trainer = trainer
        self.control = trainer.control
        self.interval = float(trainer.batch_interval)
        self.steps = steps
        self.samples = samples
        self.batch_size = batch_size
        self.target_epochs = target_epochs
        self.best_tmp = best_tmp
        self.nan_at: tuple[int, int] | None = None  # (epoch, step), 1-based
        self.stopped_by_control = False
        self._epoch = 0
        self._t0 = 0.0
        self._t_last = 0.0
        self._step = 0
        self._next_emit = 0.0
        self._durations: list[float] = []
        self.steps_done = 0  # training steps run in this call of fit

    # ---- per batch: O(1) ------------------------------------------------------------------
    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        self._t_last = now
        self._step = batch + 1
        self.steps_done += 1
        loss = logs.get("loss") if logs else None
        if loss is not None and self.nan_at is None and not math.isfinite(loss):
            self.nan_at = (self._epoch + 1, batch + 1)
            raise StopAtBatch(self._epoch + 1, batch + 1, self.steps, nan=True)
        if self.control.checkpoint():
            self.stopped_by_control = True
            raise StopAtBatch(self._epoch + 1, batch + 1, self.steps)
        if now >= self._next_emit and self.interval >= 0:
            self._next_emit = now + self.interval
            self.trainer._emit(ev.BatchEnd(self._epoch + 1, batch + 1, self.steps, dict(logs or {})))

    # ---- per epoch --------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._step = 0
        self.control.take_paused_seconds()
        self._t0 = self._t_last = time.perf_counter()
        self._next_emit = self._t0 + self.interval

    def on_epoch_end(self, epoch, logs=None):
        end = time.perf_counter()
        paused = self.control.take_paused_seconds()
        logs = {k: float(v) for k, v in (logs or {}).items()}
        trainer = self.trainer
        duration = max(end - self._t0 - paused, 1e-9)
        train_time = max(self._t_last - self._t0 - paused, 1e-9)
        seen = min(self._step * self.batch_size, self.samples)
        n = epoch + 1
        run_dir = trainer.run_dir
        finite = self.nan_at is None and all(math.isfinite(v) for v in logs.values())
        pending: dict[str, str] = {}
        best = False
        if finite and improved(trainer.monitor, logs.get(trainer.monitor), trainer.best_value):
            # A NaN/inf epoch never becomes best. The string model is saved (fit trains the
            # numeric stack, which shares its weights), so best.keras takes raw text.
            best_tmp = run_dir / runs.temp_name(runs.BEST, n)
            runs.save_model(trainer.model, best_tmp, n)
            pending[runs.BEST] = best_tmp.name
            best = True
            trainer.best_value = logs.get(trainer.monitor)
            trainer.best_epoch = n
        if finite:
            last_tmp = run_dir / runs.temp_name(runs.LAST, n)
            runs.save_model(trainer.model, last_tmp, n)
            pending[runs.LAST] = last_tmp.name
            trainer.last_good_epoch = n
        trainer._record_epoch(n, logs, pending)  # history.csv, then metrics.json: the commit
        runs.crash_point("committed")
        runs.commit(run_dir, pending)
        self._durations.append(duration)
        recent = self._durations[-3:] if len(self._durations) < 2 else self._durations[1:][-3:]  # the first epoch traces
        eta = sum(recent) / len(recent) * max(self.target_epochs - (epoch + 1), 0)
        trainer._emit(ev.EpochEnd(epoch + 1, self.target_epochs, logs, duration, seen / train_time, self._step, best, eta))
        if self.control.stop_requested:  # asked during validation: do not start another epoch
            self.stopped_by_control = True
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        # EarlyStopping (placed before this callback) may have restored the best weights.
        trainer = self.trainer
        if trainer.restores_best and self.nan_at is None and trainer.last_good_epoch:
            runs.save_model_atomic(trainer.model, trainer.run_dir / runs.LAST, trainer.epochs_done)


class EpochTimer(keras.callbacks.Callback):
    """Wall time of each epoch (epoch begin to epoch end); the benchmark puts the same one in
    kerminal's Trainer and in a plain model.fit. Epoch-level only, so async-safe."""

    async_safe = True

    def __init__(self) -> None:
        super().__init__()
        self.durations: list[float] = []  # wall seconds
        self.cpu: list[float] = []  # this process's CPU seconds (all threads)
        self._t0 = self._c0 = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._t0, self._c0 = time.perf_counter(), time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.durations.append(time.perf_counter() - self._t0)
        self.cpu.append(time.process_time() - self._c0)
