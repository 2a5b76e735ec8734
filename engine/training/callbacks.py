"""The Keras callbacks kerminal adds to `model.fit`, one job each (imported only when
training starts). They share a RunState and never touch the Trainer.

Put in this order after any EarlyStopping: BatchGuard, Checkpointer, ProbeScorer,
ProgressReporter (Keras calls them in list order, so an epoch is committed and its probes
scored before its EpochEnd is reported).

Per batch the work is O(1). A stop (TrainControl.stop) or a NaN loss mid-epoch raises
StopAtBatch from the batch hook: Keras's own `stop_training` would still run the validation
pass and `on_epoch_end`, so the partial epoch would be checkpointed, logged and counted like a
whole one. The exception leaves `model.fit` at once and the Trainer records the partial epoch
as such.

`async_safe` is left False on BatchGuard on purpose: pausing must block the training loop
itself, which an asynchronously dispatched batch hook could not do.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import keras

from engine.experiment import Experiment
from engine.runs import events as ev
from engine.runs import folder as F
from engine.runs import saving
from engine.runs.best import MAXIMIZED
from engine.runs.eta import Eta
from engine.training.state import RunState
from engine.training.stops import StopAtBatch

if TYPE_CHECKING:  # pragma: no cover
    from engine.training.predictor import Predictor


def run_callbacks(state: RunState, model: keras.Model, exp: Experiment, class_names: list[str], batch_interval: float, steps: int, rows: int) -> tuple[list[keras.callbacks.Callback], keras.callbacks.EarlyStopping | None]:
    """kerminal's callbacks for one run, in the order above: Keras's EarlyStopping first when
    fit.early_stopping.patience asks for it (returned too: the Trainer asks it whether it
    stopped), then the four of this module."""
    es = exp.fit.early_stopping
    early = keras.callbacks.EarlyStopping(monitor=state.monitor, patience=es.patience, restore_best_weights=es.restore_best) if es.patience else None
    ours = [BatchGuard(state, steps), Checkpointer(state, model), ProbeScorer(state, model, class_names, exp), ProgressReporter(state, batch_interval, steps, rows, exp.fit.batch_size)]
    return ([early] if early is not None else []) + ours, early


def improved(monitor: str, value: float | None, best: float | None) -> bool:
    """Whether `value` of `monitor` beats `best` (None: nothing to beat yet)."""
    if value is None or not math.isfinite(value):
        return False
    if best is None or not math.isfinite(best):
        return True
    base = monitor[4:] if monitor.startswith("val_") else monitor
    return value > best if base in MAXIMIZED else value < best


def current_learning_rate(optimizer: keras.optimizers.Optimizer) -> float | None:
    try:
        return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    except Exception:  # a schedule object, or no optimizer yet
        return None


class BatchGuard(keras.callbacks.Callback):
    """Each batch: keep the position, stop on a NaN loss or a stop request, wait while
    paused, and apply a learning-rate change asked for by `kerminal lr`."""

    async_safe = False

    def __init__(self, state: RunState, steps: int) -> None:
        super().__init__()
        self.state = state
        self.control = state.control
        self.steps = steps

    def on_epoch_begin(self, epoch, logs=None):
        self.state.epoch, self.state.step = epoch + 1, 0

    def on_train_batch_begin(self, batch, logs=None):
        request = self.control.take_learning_rate()
        if request is not None:
            self._set_learning_rate(*request, batch)

    def on_train_batch_end(self, batch, logs=None):
        state = self.state
        state.step = batch + 1
        state.steps_done += 1
        loss = logs.get("loss") if logs else None
        if loss is not None and state.nan_at is None and not math.isfinite(loss):
            state.nan_at = (state.epoch, batch + 1)
            raise StopAtBatch(state.epoch, batch + 1, self.steps, nan=True)
        if self.control.checkpoint():
            state.stopped_by_control = True
            raise StopAtBatch(state.epoch, batch + 1, self.steps)

    def on_epoch_end(self, epoch, logs=None):
        if self.control.stop_requested:  # asked during validation: do not start another epoch
            self.state.stopped_by_control = True
            self.model.stop_training = True

    def _set_learning_rate(self, command_id: str, value: float, batch: int) -> None:
        state = self.state
        optimizer = self.model.optimizer
        old = current_learning_rate(optimizer)
        try:
            optimizer.learning_rate.assign(value)
        except Exception:
            state.emit(ev.Steered(command_id, "lr", value, False, "this optimizer's learning rate is a schedule and cannot be set by hand.", state.epoch, batch))
            return
        state.learning_rate = value
        was = f" (was {old:.3g})" if old is not None else ""
        state.emit(ev.Steered(command_id, "lr", value, True, f"learning rate {value:.3g}{was} from epoch {state.epoch} step {batch + 1}.", state.epoch, batch))


class Checkpointer(keras.callbacks.Callback):
    """Each epoch: commit it as saving.py describes (checkpoints of the string model to
    temporary names, best.keras when the monitored metric improved, history.csv,
    metrics.json, then the renames). A NaN epoch never becomes best or last."""

    def __init__(self, state: RunState, string_model: keras.Model) -> None:
        super().__init__()
        self.state = state
        self.string_model = string_model  # fit trains the numeric stack, which shares its weights

    def on_epoch_end(self, epoch, logs=None):
        state = self.state
        logs = {k: float(v) for k, v in (logs or {}).items()}
        n = epoch + 1
        pending: dict[str, str] = {}
        finite = state.is_finite(logs)
        best = finite and improved(state.monitor, logs.get(state.monitor), state.best_value)
        # Best means saved: the state names this epoch best (or last good) only once both
        # checkpoints are written and metrics.json committed them; a failed save (a full
        # disk) leaves the run's record on the epochs it really holds.
        before = (state.best_value, state.best_epoch, state.last_good_epoch)
        try:
            if best:
                pending[F.BEST] = state.writer.checkpoint(self.string_model, F.BEST, n)
            if finite:
                pending[F.LAST] = state.writer.checkpoint(self.string_model, F.LAST, n)
            if best:
                state.best_value, state.best_epoch = logs.get(state.monitor), n
            if finite:
                state.last_good_epoch = n
            state.record_epoch(n, logs, pending)
        except BaseException:
            state.best_value, state.best_epoch, state.last_good_epoch = before
            raise
        saving.crash_point("committed")
        state.writer.commit(pending)

    def on_train_end(self, logs=None):
        # EarlyStopping (placed before this callback) may have restored the best weights.
        state = self.state
        if state.restores_best and state.nan_at is None and state.last_good_epoch:
            saving.save_model_atomic(self.string_model, state.writer.path / F.LAST, state.epochs_done)


class ProbeScorer(keras.callbacks.Callback):
    """Each epoch: score the experiment's probe sentences with the model as it is, so every
    watcher (the app, `kerminal watch`) sees the model learn.

    The predictor (a traced function of the same layers) is built in the training thread at
    the end of the first epoch, after fit has traced its steps. It was built in a side thread
    while the first epoch trained, and the two traces raced: an RNN cell caches its dropout
    mask on itself while it is traced (Keras's DropoutRNNCell), so one graph could take the
    other's mask, and a SimpleRNN with dropout failed in epoch 1 with "... is out of scope and
    cannot be used here" now and then on a busy machine."""

    def __init__(self, state: RunState, string_model: keras.Model, class_names: list[str], exp: Experiment) -> None:
        super().__init__()
        self.state = state
        self.texts = list(exp.probes)
        self._args = (string_model, list(class_names), exp)
        self._predictor: Predictor | None = None
        self._error = ""

    def _build(self) -> None:
        from engine.training.predictor import Predictor

        try:
            self._predictor = Predictor(*self._args)
        except Exception as exc:  # probes are a view: never stop training for them
            self._error = str(exc) or type(exc).__name__

    def on_epoch_end(self, epoch, logs=None):
        if not self.texts:
            self.state.probes = []
            return
        if self._predictor is None and not self._error:
            self._build()
        if self._predictor is None:
            self.state.probes = [["(probes failed)", {self._error[:60] or "no predictor": 0.0}]]
            return
        try:
            self.state.probes = [[p.text, p.probabilities] for p in self._predictor.predict_many(self.texts)]
        except Exception as exc:
            self.state.probes = [["(probes failed)", {str(exc)[:60]: 0.0}]]


class ProgressReporter(keras.callbacks.Callback):
    """BatchEnd at most once per `interval` seconds (none when negative), and EpochEnd with
    the epoch's time (pauses left out), samples/s and the ETA (engine/runs/eta.py)."""

    def __init__(self, state: RunState, interval: float, steps: int, samples: int, batch_size: int) -> None:
        super().__init__()
        self.state = state
        self.interval = float(interval)
        self.steps, self.samples, self.batch_size = steps, samples, batch_size
        self._t0 = self._t_last = self._next = 0.0
        self.eta = Eta()

    def on_epoch_begin(self, epoch, logs=None):
        self.state.control.take_paused_seconds()
        self._t0 = self._t_last = time.perf_counter()
        self._next = self._t0 + self.interval
        if self.state.learning_rate is None:
            self.state.learning_rate = current_learning_rate(self.model.optimizer)

    def on_train_batch_end(self, batch, logs=None):
        now = self._t_last = time.perf_counter()
        if now >= self._next and self.interval >= 0:
            self._next = now + self.interval
            self.state.emit(ev.BatchEnd(self.state.epoch, batch + 1, self.steps, dict(logs or {})))

    def on_epoch_end(self, epoch, logs=None):
        state = self.state
        end = time.perf_counter()
        paused = state.control.take_paused_seconds()
        duration = max(end - self._t0 - paused, 1e-9)
        train_time = max(self._t_last - self._t0 - paused, 1e-9)
        seen = min(state.step * self.batch_size, self.samples)
        eta = self.eta.epoch_ended(duration, state.target - (epoch + 1)) or 0.0
        metrics = {k: float(v) for k, v in (logs or {}).items()}
        state.emit(ev.EpochEnd(epoch + 1, state.target, metrics, duration, seen / train_time, state.step, state.best_epoch == epoch + 1, eta, list(state.probes), state.learning_rate))


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
