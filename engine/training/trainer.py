"""Trainer: `model.fit` in the calling thread, with typed events, a control, and a run folder.

    trainer = Trainer(exp, dataset, runs_dir="runs", listener=print, control=TrainControl())
    result = trainer.run()            # exp.fit.epochs epochs
    result = trainer.run(epochs=3)    # continue the same run for 3 more epochs

The listener is called synchronously in the training thread (at most once per
`batch_interval` seconds for BatchEnd, none when it is negative; once per epoch for
EpochEnd), so it must be cheap: a UI should post a message and return. kerminal's own
per-batch work is O(1) and never waits on anything but a pause. TrainControl.stop() (from any thread) stops at the
end of the current batch with the history kept; pause()/resume() block between batches.

Bad input raises a KerminalError (after a Failed event): a dataset with one class or no
training rows, a stack that does not validate (LayerError with the validation message), a
NaN loss (TrainingError; last.keras keeps the last good epoch), or an error inside Keras
(TrainingError with its first line, never a traceback).

A little over 400 lines: what stays here is the run's one sequence (open the folder,
prepare, the fit loop that `more` extends, verify, close); its steps are in prepare.py,
streamed.py (streamed data), run_folder.py, verify.py and failures.py.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from engine import text_cap
from engine.dataset import Dataset
from engine.errors import KerminalError, TrainingError
from engine.experiment import Experiment
from engine.progress import OnPhase
from engine.runs import events as ev
from engine.runs import folder as runs
from engine.runs import saving
from engine.runs.status import Status
from engine.runs.writer import RunWriter
from engine.training import distribute, numeric
from engine.training.checks import check_dataset, check_vectorizer, resolve_monitor
from engine.training.control import TrainControl
from engine.training.distribute import Devices
from engine.training.failures import keras_failure
from engine.training.prepare import FitData, KerasInput, Validation, build_model, compile_fit_model, fit_inputs
from engine.training.run_folder import load_saved_run, open_run_folder, restore_state, run_facts
from engine.training.state import RunState
from engine.training.stops import StopAtBatch
from engine.training.verify import rewind, verify_saved

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from engine.layers.report import LossPlan
    from engine.prepared import PreparedCache


@dataclass
class RunResult:
    run_dir: Path
    status: str  # finished | stopped
    epochs: int  # epochs done in total (continuations included)
    history: dict[str, list[float]]
    metrics: dict[str, float]  # the last epoch's
    monitor: str
    best_value: float | None
    best_epoch: int
    message: str = ""
    early_stopped: bool = False
    events: list[ev.Event] = field(default_factory=list, repr=False)


def _shared(name: str) -> property:
    """A Trainer attribute that is the RunState's (the callbacks update it there)."""
    return property(lambda self: getattr(self.state, name), lambda self, value: setattr(self.state, name, value))


class Trainer:
    history = _shared("history")
    epochs_done = _shared("epochs_done")
    best_value = _shared("best_value")
    best_epoch = _shared("best_epoch")
    last_good_epoch = _shared("last_good_epoch")
    monitor = _shared("monitor")
    restores_best = _shared("restores_best")
    status = _shared("status")

    def __init__(
        self,
        exp: Experiment,
        dataset: Dataset,
        runs_dir: str | os.PathLike[str] = "runs",
        listener: ev.Listener | None = None,
        control: TrainControl | None = None,
        batch_interval: float = 0.25,
        *,
        model: keras.Model | None = None,
        callbacks: Sequence[keras.callbacks.Callback] = (),
        run_dir: str | os.PathLike[str] | None = None,
        steer: bool = True,
        writer: RunWriter | None = None,
        on_phase: OnPhase | None = None,
        prepared: PreparedCache | None = None,
    ) -> None:
        """`model`: an already built (and compiled) string-input model to train instead of
        building one from the experiment; `callbacks`: extra Keras callbacks, put first;
        `run_dir`: an existing run folder to continue (see `from_run`), or one a launcher
        prepared; `steer`: read the folder's command channel and beat the heartbeat while
        training (see steering.py); `writer`: the run folder's writer when this process
        already holds the run's lock (a continuation, a launched process); `on_phase`: told what
        the run does before its first batch ("vectorizing texts 5,000/25,000"); `prepared`: the
        prepared-data cache that holds or keeps its vectorizer and ids (engine.prepared)."""
        self.exp = exp.copy()
        self.dataset = dataset
        self.runs_dir = Path(runs_dir)
        self.listener = listener
        self.control = control or TrainControl()
        self.batch_interval = batch_interval
        self.model = model
        self.extra_callbacks = list(callbacks)
        self.run_dir: Path | None = Path(run_dir) if run_dir is not None else None
        self.steer = steer
        self.writer: RunWriter | None = writer
        self.on_phase = on_phase
        self.prepared = prepared
        self.state = RunState(writer=None, control=self.control, emit=self._emit, monitor=self.exp.fit.monitor)  # type: ignore[arg-type]  # the writer comes with the folder (_open_folder), before anything is recorded
        self.events: list[ev.Event] = []
        self.facts: dict[str, object] = {}  # more for metrics.json (a warm spare's record: engine.runs.spare)
        self._created = ""
        self._data: FitData | None = None
        # What model.fit trains: the numeric stack sharing the string model's weights (texts
        # vectorized once, see numeric.py), or the string model itself when it cannot split.
        self._fit_model: keras.Model = None
        self._xla: bool | str | None = None  # the jit_compile the fit model was compiled with
        self._plan: LossPlan | None = None
        self.pipeline = ""
        # Streamed data (engine.data.stream): where its ids are written when the prepared-data
        # cache does not keep them and not in the run folder (streamed.ids_folder); a temporary
        # folder moves into the run folder once open.
        self.stream_ids: Path | None = None
        self._ids_tmp: Path | None = None
        # fit.devices: the strategy the model is built, compiled and fitted under (picked on
        # the first run; from_run picks it before it loads the saved model)
        self.devices: Devices | None = None

    @property
    def unlogged(self) -> str:
        return self.writer.unlogged if self.writer is not None else ""

    # ---- continuing a saved run -------------------------------------------------------------
    @classmethod
    def from_run(
        cls,
        run_path: str | os.PathLike[str],
        dataset: Dataset | None = None,
        listener: ev.Listener | None = None,
        control: TrainControl | None = None,
        batch_interval: float = 0.25,
        handed_over: bool = False,
        writer: RunWriter | None = None,
        force: bool = False,
        on_phase: OnPhase | None = None,
        prepared: bool = False,
    ) -> Trainer:
        """A Trainer that continues a saved run (from last.keras, history kept) on `run()`.
        It takes the run's lock first (RunError when another process trains the run, or the
        folder is not the caller's; root acts on another user's run only with `force`);
        `writer`: the lock is already this process's (a launcher handed it over, see
        launch.py). `handed_over`: the folder says "starting" for this very process. The
        data is loaded here when `dataset` is None (once: the Trainer keeps it). `prepared`:
        the data and its ids come from the prepared-data cache (engine.prepared) when there."""
        devices = _devices_of(run_path)
        with devices.scope():  # a mirrored model's variables are made in its strategy's scope
            run, dataset, writer, cache = load_saved_run(run_path, dataset, writer, force, on_phase, prepared)
        t = cls(run.experiment, dataset, run.path.parent, listener, control, batch_interval, model=run.model, run_dir=run.path, writer=writer, on_phase=on_phase, prepared=cache)
        t._created = restore_state(t.state, run.path)
        t.devices = devices
        return t

    def _global_batch_exp(self) -> Experiment:
        """The experiment with fit.batch_size the global batch, for what counts in steps."""
        if self.batch == self.exp.fit.batch_size:
            return self.exp
        exp = self.exp.copy()
        exp.fit.batch_size = self.batch
        return exp

    @property
    def batch(self) -> int:
        """The global batch: fit.batch_size, times the replicas under fit.devices = all."""
        return self.devices.global_batch(self.exp.fit.batch_size) if self.devices is not None else self.exp.fit.batch_size

    # ---- events -----------------------------------------------------------------------------
    def _emit(self, event: ev.Event, log: bool = True) -> None:
        """Called from the training thread, and from the steering thread (Steered)."""
        if self.writer is not None and log:
            self.writer.event(event)
        if not isinstance(event, ev.BatchEnd):
            self.events.append(event)
        if self.listener is not None:
            self.listener(event)

    def _fail(self, exc: KerminalError, record: bool = True) -> KerminalError:
        """Emit Failed and return the error to raise. `record`: the run itself failed (its
        folder says so); False for a refusal before training starts, which leaves a saved
        run exactly as it was."""
        message = str(exc)
        if record:
            self.status = Status.FAILED
            if self.writer is not None:
                try:
                    self.state.record(message)
                except OSError as err:  # a full disk: metrics.json keeps the last finished epoch
                    message += f" ({runs.METRICS} still shows epoch {self.epochs_done}: {err.strerror or err})"
        if self.unlogged:
            message += f" ({self.unlogged})"
        event = ev.Failed(str(self.run_dir or ""), self.epochs_done, message, self.state.last_metrics())
        self._emit(event, log=record)
        return exc

    @property
    def _folder(self) -> Path:
        """The run folder, once _open_folder has made or taken it."""
        if self.run_dir is None:
            raise RuntimeError("the run folder is used before it is open")
        return self.run_dir

    def _rewind(self) -> bool:
        """After a stop mid-epoch: put the weights of the last kept epoch back, so that
        continuing this Trainer starts from what the run folder holds. True if it did."""
        return bool(self.last_good_epoch) and rewind(self._folder, self.model)

    def _verify_saved(self, compare_last: bool = True) -> None:
        """Prove the saved models load (safe mode) and that last.keras predicts what the
        model in memory predicts, before the run is reported finished."""
        same = compare_last and self.last_good_epoch == self.epochs_done and not self.restores_best
        verify_saved(self._folder, self.model, list(self.dataset.train.texts[:2]) or ["a"], same)

    # ---- the run ----------------------------------------------------------------------------
    def _prepare(self) -> FitData:
        """Check the data, build the model (seeded), encode the arrays. Raises KerminalError."""
        check_dataset(self.dataset)
        check_vectorizer(self.exp, self.dataset)
        if self.dataset.streamed:
            return self._prepare_streamed()
        # Every text cut to the vectorizer's character cap before it is adapted or vectorized
        # (engine/text_cap.py): one 50 MB review would otherwise ask for tens of GB.
        self.dataset, cut = text_cap.cap_dataset(self.dataset, self.exp.vectorize)
        self.model, self._plan = build_model(self.exp, self.dataset, self.model, self._phase, self.prepared)
        self._data, self._fit_model, self.pipeline = fit_inputs(self.exp, self.dataset, self.model, self._plan, cut, self._phase, self.prepared)
        if self.dataset.why:  # "in memory: r.csv is 65.0 MB on disk"
            self.pipeline += f"; {self.dataset.why}"
        self.monitor = resolve_monitor(self.exp, has_validation=self._data[2] is not None)
        return self._data

    def _prepare_streamed(self) -> FitData:
        """_prepare for streamed data: texts capped as they are read, fit on tf.data (streamed.py)."""
        from engine.training import streamed

        self.dataset = self.dataset.capped(self.exp.vectorize)  # type: ignore[attr-defined]  # a StreamedDataset
        self.model, self._plan = build_model(self.exp, self.dataset, self.model, self._phase, self.prepared)
        exp = self._global_batch_exp()  # the pipeline is batched by the global batch

        def ids_dir() -> Path:  # without the cache: made only when the ids are written there
            folder, self._ids_tmp = streamed.ids_dir(self.stream_ids, self.run_dir, self.runs_dir)
            return folder

        self._data, self._fit_model, self.pipeline = streamed.fit_inputs(exp, self.dataset, self.model, self._plan, self._phase, ids_dir, self.prepared)  # type: ignore[arg-type]
        self.monitor = resolve_monitor(self.exp, has_validation=self._data[2] is not None)
        return self._data

    def _phase(self, doing: str) -> None:
        """What this run is doing before its first batch: for its watchers (a launched run
        already holds its folder; an in-process one has none yet) and its `on_phase`."""
        if self.writer is not None and self.writer.lock is not None and self.writer.lock.held:
            self.writer.phase(doing)
        if self.on_phase is not None:
            self.on_phase(doing)

    def _compile_fit_model(self, epochs: int, xla: bool | str | None = None) -> None:
        """Compile the numeric stack (once, again only when the XLA choice changes); see
        prepare.compile_fit_model."""
        if self._fit_model is self.model:
            return
        if self._data is None or self._plan is None:
            raise RuntimeError("the fit model is compiled before the data is prepared")
        if xla is None:
            x = self._data[0]
            length = x.shape[1] if hasattr(x, "shape") else x.element_spec[0].shape[-1]  # an array, or a streamed tf.data pipeline
            xla = numeric.use_xla(self.exp.fit.xla, len(self.dataset.train), int(length), epochs)
        if self._xla == xla:
            return
        compile_fit_model(self.model, self._fit_model, self.exp, self._plan, xla)
        self._xla = xla


    def _open_folder(self) -> Path:
        """Create the run folder (or take over the one given), fill in the run's facts; the folder."""
        self.writer, self._created = open_run_folder(self.runs_dir, self.run_dir, self.writer, self.exp, self._created)
        if self.run_dir is None:
            self.run_dir = self.writer.path
        # A deleted folder (`kerminal runs --delete --stop`, rm -rf) stops the run at its next batch.
        self.writer.on_gone = lambda: self.control.stop("the run folder was deleted; stopped at the end of a batch, nothing more is saved.")
        self.writer.start_heartbeat()
        self.writer.data_format(self.dataset.read_as)  # how the data was read, for an export
        self.state.writer = self.writer
        self.state.info = {**run_facts(self.exp, self.dataset, self._created), **self.facts}
        if self._ids_tmp is not None:  # streamed ids written before the folder opened (open memory maps stay valid)
            from engine.training.streamed import ids_folder

            os.replace(self._ids_tmp, ids_folder(self.run_dir))
            self._ids_tmp = None
        return self.run_dir


    def _fit(self, x: KerasInput, y: np.ndarray, val: Validation, callbacks: list[keras.callbacks.Callback], initial: int) -> None:
        """model.fit up to the state's target; XLA cannot compile every op a stack may hold,
        so a failure before the first step of this call falls back to plain graphs, once."""
        bs = self.batch
        # streamed data (y is None): x is a batched tf.data pipeline of (x, y), val[0] one too
        args = {"validation_data": val[0] if val else None, "shuffle": False} if y is None else {"y": y, "batch_size": bs, "validation_data": val, "shuffle": True}
        optimizer = getattr(self._fit_model, "optimizer", None)
        if optimizer is not None and not optimizer.built:
            # Its slots made now: made inside the first traced step, they make TensorFlow
            # trace that step twice (0.4 s of a cached run's first batch).
            optimizer.build(self._fit_model.trainable_variables)
        try:
            self._fit_model.fit(x, epochs=self.state.target, initial_epoch=initial, callbacks=callbacks, verbose=0, **args)
        except (StopAtBatch, KerminalError, KeyboardInterrupt):
            raise
        except Exception:
            if self._xla is not True or self.state.steps_done or self.epochs_done != initial:
                raise
            self._compile_fit_model(self.state.target - initial, xla=False)
            self._fit_model.fit(x, epochs=self.state.target, initial_epoch=initial, callbacks=callbacks, verbose=0, **args)

    def run(self, epochs: int | None = None) -> RunResult:
        """Train `epochs` more epochs (default exp.fit.epochs) and return the result. A second
        call continues the same run and folder. The control is reset at the start; `more`
        (TrainControl.add_epochs) extends the run while it trains. The run's lock is held
        from the folder's opening to the return (see engine.runs.lock)."""
        try:
            if self.devices is None:
                self.devices = distribute.pick(self.exp.fit.devices)
            with self.devices.scope():
                return self._run(epochs)
        finally:
            if self.writer is not None:
                self.writer.close()
            if self._ids_tmp is not None:  # streamed ids of a run refused before its folder opened
                shutil.rmtree(self._ids_tmp, ignore_errors=True)
                self._ids_tmp = None

    def _run(self, epochs: int | None) -> RunResult:
        import keras

        from engine.training.callbacks import run_callbacks

        n = int(epochs if epochs is not None else self.exp.fit.epochs)
        if n < 1:
            raise self._fail(TrainingError(f"epochs: {n} is out of range.", "Train at least 1 epoch."), record=False)
        self.control.reset()
        data = self._data
        if data is None:
            try:
                data = self._prepare()
            except KerminalError as exc:
                raise self._fail(exc, record=False) from None
        x, y, val = data
        try:
            run_dir = self._open_folder()
        except KerminalError as exc:
            raise self._fail(exc, record=False) from None
        state = self.state
        state.nan_at, state.stopped_by_control, state.steps_done, state.closing = None, False, 0, False
        initial = self.epochs_done
        state.target = initial + n
        self.status = Status.RUNNING
        try:
            state.record()
        except OSError as exc:
            raise self._fail(saving.disk_error(exc, run_dir / runs.METRICS), record=False) from None
        state.writer.record_target(state.target)  # a continuation, or --epochs: the run's experiment.toml says it

        bs = self.batch
        rows = len(self.dataset.train)  # len(x), also when x is a streamed tf.data pipeline
        steps = max(1, math.ceil(rows / bs))
        es_cfg = self.exp.fit.early_stopping
        self.restores_best = bool(es_cfg.patience and es_cfg.restore_best)
        own, early = run_callbacks(state, self.model, self._global_batch_exp(), list(self.dataset.class_names), self.batch_interval, steps, rows)
        callbacks = [*self.extra_callbacks, *own]

        self._compile_fit_model(n)
        pipeline = self.pipeline + ("; XLA on" if self._xla is True else "") + (f"; {self.devices.note}" if self.devices is not None and self.devices.note else "")
        self._emit(ev.Started(str(self.run_dir), state.target, steps, rows, initial, len(self.dataset.validation) if val else 0, bs, self.monitor, time.time(), pipeline))
        steering = None
        if self.steer:
            from engine.training.steering import Steering

            steering = Steering(state).start()
        # Keras callbacks print to stdout, which would garble a --json stream or a full-screen
        # app; this setting is thread-local, so only this thread is quieted.
        interactive = keras.config.is_interactive_logging_enabled()
        keras.config.disable_interactive_logging()
        partial: StopAtBatch | None = None
        early_stopped = False
        try:
            try:
                start = initial
                while True:
                    self._fit(x, y, val, callbacks, start)
                    if early is not None and early.stopped_epoch > 0:
                        early_stopped = True
                        self._early_best = early.best_epoch + 1  # 1-based, among this call's epochs
                    if state.stopped_by_control or not state.continue_for_more():
                        break
                    start = self.epochs_done  # `more` arrived: on to the new target
                    state.target = max(state.target, start + 1)
            except StopAtBatch as stop:
                partial = stop
            except KerminalError as exc:
                raise self._fail(exc) from None
            except KeyboardInterrupt:  # no SIGINT handler (the CLI installs one): keep the record true
                self.status = Status.STOPPED
                state.record("interrupted (KeyboardInterrupt).")
                self._emit(ev.Stopped(str(self.run_dir), self.epochs_done, self.state.last_metrics(), "interrupted (KeyboardInterrupt)."))
                raise
            except Exception as exc:
                raise self._fail(keras_failure(exc, self.epochs_done + 1, self.run_dir)) from None
            finally:
                # Temporary files of an epoch that did not commit; on a full disk recover()
                # runs again when the run is continued or loaded.
                with contextlib.suppress(OSError):
                    saving.recover(run_dir, locked=True)
                if interactive:
                    keras.config.enable_interactive_logging()
            return self._finish(partial, early_stopped, steps, es_cfg.patience, initial)
        finally:
            if steering is not None:
                steering.close(self.status)

    def _finish(self, partial: StopAtBatch | None, early_stopped: bool, steps: int, patience: int, initial: int = 0) -> RunResult:
        state = self.state
        metrics = self.state.last_metrics()
        if state.nan_at is not None:
            self._rewind()  # the weights of the last good epoch, not NaN ones
            e, s = state.nan_at
            kept = f"last.keras keeps epoch {self.last_good_epoch}" if self.last_good_epoch else "no epoch finished cleanly, so no model was saved"
            raise self._fail(TrainingError(
                f"The loss became NaN (not a number) at epoch {e}, step {s}; training stopped and {kept}.",
                "Lower compile.learning_rate (or pick another optimizer) and train again.",
            )) from None
        same = partial is None or self._rewind()  # does the model in memory hold last.keras's weights?
        try:
            self._verify_saved(compare_last=same)
        except KerminalError as exc:
            raise self._fail(exc) from None
        if partial is not None or state.stopped_by_control:
            self.status = Status.STOPPED
            message = self.control.reason or "stopped on request."
            step = steps_of = part = 0
            if partial is not None:
                step, steps_of, part = partial.step, partial.steps, partial.epoch
                message = f"{message} Stopped at step {step} of {steps_of} in epoch {part}; that partial epoch is not kept (history and checkpoints end at epoch {self.epochs_done})."
            state.record(message)
            self._emit(ev.Stopped(str(self.run_dir), self.epochs_done, metrics, message, part, step, steps_of))
        else:
            self.status = Status.FINISHED
            message = ""
            if early_stopped:
                # Keras's EarlyStopping starts afresh in every fit call: say which epochs it
                # compared, so "best epoch 2" never explains a stop at epoch 7 of a continuation.
                best = getattr(self, "_early_best", self.best_epoch)
                span = f" of epochs {initial + 1}-{self.epochs_done}" if initial else ""
                message = f"early stopping: {self.monitor} did not improve for {patience} epoch{'s' if patience != 1 else ''} after epoch {best}, the best{span}"
                if initial and self.best_epoch != best:
                    message += f" (the run's best is epoch {self.best_epoch})"
            state.record(message)
            self._emit(ev.Finished(str(self.run_dir), self.epochs_done, metrics, message))
        return RunResult(self._folder, self.status, self.epochs_done, {k: list(v) for k, v in self.history.items()}, metrics, self.monitor, self.best_value, self.best_epoch, message, early_stopped, list(self.events))


def _devices_of(run_path: str | os.PathLike[str]) -> Devices:
    """The strategy of the saved run at `run_path` (its experiment's fit.devices); the
    default one when its experiment cannot be read (loading it then says why)."""
    from engine.runs.store import read_experiment

    try:
        setting = read_experiment(Path(run_path) / runs.EXPERIMENT).fit.devices
    except (KerminalError, OSError):
        setting = "one"
    return distribute.pick(setting)
