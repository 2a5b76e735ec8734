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
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from engine import memory, text_cap
from engine.dataset import Dataset
from engine.errors import KerminalError, TrainingError
from engine.experiment import Experiment
from engine.progress import Counter, OnPhase, silent
from engine.runs import events as ev
from engine.runs import folder as runs
from engine.runs.labels import true_preset
from engine.runs.status import Status
from engine.runs.store import RunStore, load_model_file
from engine.runs.writer import RunWriter
from engine.training import numeric
from engine.training.checks import check_dataset, check_memory, resolve_monitor  # noqa: F401  (check_dataset: public here too)
from engine.training.control import TrainControl
from engine.training.state import RunState
from engine.training.stops import StopAtBatch


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
    events: list[Any] = field(default_factory=list, repr=False)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line[:300]


def keras_failure(exc: BaseException, epoch: int, run_dir: Path | None) -> TrainingError:
    """An error raised inside Keras/TensorFlow as a TrainingError whose fix fits the cause."""
    first = _first_line(exc)
    name = type(exc).__name__
    kept = "finished epochs are kept in the run folder."
    if isinstance(exc, OSError) and exc.errno is not None:
        where = Path(exc.filename) if getattr(exc, "filename", None) else (run_dir or Path("."))
        return runs.disk_error(exc, where, epoch)
    if memory.is_out_of_memory(exc):
        return TrainingError(memory.out_of_memory_problem(exc, f"in epoch {epoch}"), f"Lower fit.batch_size (or vectorize.length, vectorize.max_tokens, the layers' units or output_dim); {kept}")
    if name in ("InvalidArgumentError", "ValueError") and ("shape" in first.lower() or "incompatible" in first.lower() or "dimension" in first.lower()):
        return TrainingError(f"The layer stack does not fit the data in epoch {epoch}: {first}", f"Check the layer stack (Layers pane, or `kerminal inspect`); {kept}")
    if name == "InvalidArgumentError" and ("indices" in first or "out of range" in first):
        return TrainingError(f"A layer got an id it cannot take in epoch {epoch}: {first}", f"Set the Embedding's input_dim to 0 (follow the vectorizer) or above vectorize.max_tokens; {kept}")
    return TrainingError(f"Keras stopped in epoch {epoch} with {name}: {first}", f"If it repeats, report it with the experiment file; {kept}")


def vectorize_failure(exc: BaseException) -> TrainingError:
    """An error while the texts are vectorized (before the first epoch) as a TrainingError."""
    if memory.is_out_of_memory(exc):
        return TrainingError(memory.out_of_memory_problem(exc, "while vectorizing the texts"), "Lower vectorize.length (or vectorize.max_tokens); no epoch was trained.")
    return TrainingError(f"The texts could not be vectorized: {_first_line(exc)}", "Check vectorize in the experiment file; report it with the file if it repeats.")


def encode_inputs(texts: Sequence[str]) -> Any:
    """Texts as the string model's input: a (n, 1) string tensor (Keras 3's numpy adapter
    rejects object and str arrays, so the object array goes through tf.constant)."""
    import tensorflow as tf

    return tf.constant(np.asarray(list(texts), dtype=object).reshape(-1, 1), dtype=tf.string)


def encode_labels(labels: np.ndarray, kind: str, num_classes: int) -> np.ndarray:
    """Integer labels as the loss needs them: 'binary' floats (n, 1), 'sparse' ints (n,),
    'onehot' floats (n, num_classes)."""
    labels = np.asarray(labels, dtype=np.int64)
    if kind == "binary":
        return labels.astype("float32").reshape(-1, 1)
    if kind == "sparse":
        return labels
    if kind == "onehot":
        return np.eye(num_classes, dtype="float32")[labels]
    raise TrainingError(f"Unknown label encoding {kind!r}.", "Use 'binary', 'sparse' or 'onehot'.")


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
        model: Any = None,
        callbacks: Sequence[Any] = (),
        run_dir: str | os.PathLike[str] | None = None,
        steer: bool = True,
        writer: RunWriter | None = None,
        on_phase: OnPhase | None = None,
    ) -> None:
        """`model`: an already built (and compiled) string-input model to train instead of
        building one from the experiment; `callbacks`: extra Keras callbacks, put first;
        `run_dir`: an existing run folder to continue (see `from_run`), or one a launcher
        prepared; `steer`: read the folder's command channel and beat the heartbeat while
        training (see steering.py); `writer`: the run folder's writer when this process
        already holds the run's lock (a continuation, a launched process); `on_phase`: told what
        the run does before its first batch ("vectorizing texts 5,000/25,000")."""
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
        self.state = RunState(writer=None, control=self.control, emit=self._emit, monitor=self.exp.fit.monitor)  # type: ignore[arg-type]  # the writer comes with the folder (_open_folder), before anything is recorded
        self.events: list[Any] = []
        self._created = ""
        self._data: tuple[Any, Any, tuple[Any, Any] | None] | None = None  # x, y, validation: Keras inputs
        # What model.fit trains: the numeric stack sharing the string model's weights (texts
        # vectorized once, see numeric.py), or the string model itself when it cannot split.
        self._fit_model: Any = None
        self._xla: bool | str | None = None  # the jit_compile the fit model was compiled with
        self._plan: Any = None
        self.pipeline = ""

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
    ) -> Trainer:
        """A Trainer that continues a saved run (from last.keras, history kept) on `run()`.
        It takes the run's lock first (RunError when another process trains the run, or the
        folder is not the caller's; root acts on another user's run only with `force`);
        `writer`: the lock is already this process's (a launcher handed it over, see
        launch.py). `handed_over`: the folder says "starting" for this very process. The
        data is loaded here when `dataset` is None (once: the Trainer keeps it)."""
        store = RunStore(Path(run_path).parent)
        path = store.path_of(run_path)
        taken = writer is None
        if writer is None:
            writer = RunWriter.take(path, force=force)
        def say(doing: str) -> None:  # the folder says it only while "starting" (writer.beat)
            writer.phase(doing)
            (on_phase or silent)(doing)

        try:
            say("loading the saved model")
            run = store.load(path, which="last", locked=True)
            if dataset is None:
                from engine.data import load_dataset

                dataset = load_dataset(run.experiment, say)
        except BaseException:
            if taken:
                writer.close()
            raise
        t = cls(run.experiment, dataset, run.path.parent, listener, control, batch_interval, model=run.model, run_dir=run.path, writer=writer, on_phase=on_phase)
        meta = runs.read_meta(run.path) or {}
        t._created = str(meta.get("created", ""))
        t.history = runs.read_history(run.path)
        t.epochs_done = int(meta.get("epochs", 0))
        t.last_good_epoch = int(meta.get("last_good_epoch", t.epochs_done))
        best = meta.get("best") or {}
        t.best_value = best.get("value")
        t.best_epoch = int(best.get("epoch") or 0)
        t.status = str(meta.get("status", Status.STOPPED))
        return t

    # ---- events -----------------------------------------------------------------------------
    def _emit(self, event: Any, log: bool = True) -> None:
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

    def _last_metrics(self) -> dict[str, float]:
        return self.state.last_metrics()

    @property
    def _folder(self) -> Path:
        """The run folder, once _open_folder has made or taken it."""
        if self.run_dir is None:
            raise RuntimeError("the run folder is used before it is open")
        return self.run_dir

    def _rewind(self) -> bool:
        """After a stop mid-epoch: put the weights of the last kept epoch back, so that
        continuing this Trainer starts from what the run folder holds. True if it did."""
        last = self._folder / runs.LAST
        if self.last_good_epoch and last.is_file():
            try:
                self.model.load_weights(last)
                return True
            except Exception:  # the partial weights stay; the folder is still right
                return False
        return False

    def _verify_saved(self, compare_last: bool = True) -> None:
        """Prove the saved models load (safe mode) and that last.keras predicts what the
        model in memory predicts, before the run is reported finished."""
        texts = list(self.dataset.train.texts[:2]) or ["a"]
        for name in (runs.LAST, runs.BEST):
            path = self._folder / name
            if not path.is_file():
                continue
            try:
                loaded = load_model_file(path)
                got = np.asarray(loaded(encode_inputs(texts), training=False))
            except KerminalError as exc:
                raise TrainingError(f"The saved model does not load back: {exc.problem}", "Report this with the run folder; the data may hold text Keras cannot save. The epochs are recorded in history.csv.") from None
            except Exception as exc:
                raise TrainingError(f"The saved model {path} does not predict after loading: {_first_line(exc)}", "Report this with the run folder; the epochs are recorded in history.csv.") from None
            if compare_last and name == runs.LAST and self.last_good_epoch == self.epochs_done and not self.restores_best:
                want = np.asarray(self.model(encode_inputs(texts), training=False))
                if not np.allclose(got, want, rtol=1e-4, atol=1e-5):
                    raise TrainingError(f"{path} loads but predicts differently from the trained model ({got.ravel()[:2]} vs {want.ravel()[:2]}).", "Report this with the run folder; train again meanwhile.")

    # ---- the run ----------------------------------------------------------------------------
    def _prepare(self) -> tuple[Any, Any, tuple[Any, Any] | None]:
        """Check the data, build the model (seeded), encode the arrays. Raises KerminalError."""
        import keras

        from engine import layers
        from engine.layers.validate import raise_invalid, validate_experiment

        check_dataset(self.dataset)
        exp = self.exp
        # Every text cut to the vectorizer's character cap before it is adapted or vectorized
        # (engine/text_cap.py): one 50 MB review would otherwise ask for tens of GB.
        self.dataset, cut = text_cap.cap_dataset(self.dataset, exp.vectorize)
        ds = self.dataset
        self._phase("checking the layer stack")
        # The run's one validation of its stack: the memory check, the build and the loss read it.
        report = validate_experiment(exp, ds)
        if not report.ok or report.loss is None:
            raise_invalid(report)
        if self.model is None:
            check_memory(exp, ds, params=report.total)  # before TensorFlow allocates weights that cannot fit
            keras.utils.set_random_seed(exp.fit.seed)
            try:
                self.model = layers.build(exp, ds, validated=report, on_phase=self._phase)
            except KerminalError:
                raise
            except Exception as exc:
                raise TrainingError(f"The model could not be built: {_first_line(exc)}", "Check the layer stack in the Layers pane or with `kerminal inspect`.") from None
        plan = self._plan = report.loss
        y = encode_labels(ds.train.labels, plan.labels, ds.num_classes)
        yv = encode_labels(ds.validation.labels, plan.labels, ds.num_classes) if len(ds.validation) else None
        parts = numeric.split_model(self.model)
        rows = len(ds.train) + len(ds.validation)
        if parts is not None and not numeric.fits_in_memory(rows, parts.length):
            need, free = numeric.cache_bytes(rows, parts.length), numeric.free_memory_bytes() or 0
            self.pipeline = f"texts tokenized in every batch (their ids would take {numeric.format_bytes(need)} of {numeric.format_bytes(free)} free memory)"
            parts = None
        if parts is not None:
            tick = Counter(self._phase, "vectorizing texts", rows)
            try:
                x = numeric.vectorize(parts, ds.train.texts, tick=tick)
                val = (numeric.vectorize(parts, ds.validation.texts, tick=tick, start=len(ds.train)), yv) if yv is not None else None
            except Exception as exc:
                raise vectorize_failure(exc) from None
            self._fit_model = parts.stack
            self.pipeline = f"texts vectorized once ({numeric.format_bytes(numeric.cache_bytes(rows, parts.length))} of ids)"
        else:
            x = encode_inputs(ds.train.texts)
            val = (encode_inputs(ds.validation.texts), yv) if yv is not None else None
            self._fit_model = self.model
            if not self.pipeline and exp.vectorize.kind == "ngrams":
                # A bag of n-grams is max_tokens floats per text: cached for 25,000 reviews and
                # 20,000 n-grams that would be 2 GB, so TextVectorization runs in every batch.
                self.pipeline = f"texts turned into bags of {exp.vectorize.max_tokens:,} n-grams in every batch (cached, they would take {numeric.format_bytes(4 * rows * exp.vectorize.max_tokens)})"
            self.pipeline = self.pipeline or "texts tokenized in every batch (the model does not start with kerminal's vectorizer)"
        if cut:
            self.pipeline += "; " + text_cap.cut_note(cut, exp.vectorize)
        self._data = (x, y, val)
        self.monitor = resolve_monitor(exp, has_validation=val is not None)
        return self._data

    def _phase(self, doing: str) -> None:
        """What this run is doing before its first batch: for its watchers (a launched run
        already holds its folder; an in-process one has none yet) and its `on_phase`."""
        if self.writer is not None and self.writer.lock is not None and self.writer.lock.held:
            self.writer.phase(doing)
        if self.on_phase is not None:
            self.on_phase(doing)

    def _compile_fit_model(self, epochs: int, xla: bool | str | None = None) -> None:
        """Compile the numeric stack (once, again only when the XLA choice changes) with the
        string model's own optimizer object, so both hold one optimizer state and last.keras
        saves it. The string model itself keeps its compile (TextVectorization cannot be
        XLA-compiled)."""
        from engine.layers.build import make_loss, make_metrics, make_optimizer

        if self._fit_model is self.model:
            return
        if xla is None:
            if self._data is None:
                raise RuntimeError("the fit model is compiled before the data is prepared")
            xla = numeric.use_xla(self.exp.fit.xla, len(self.dataset.train), int(self._data[0].shape[1]), epochs)
        if self._xla == xla:
            return
        plan = self._plan
        optimizer = getattr(self.model, "optimizer", None) or make_optimizer(self.exp.compile)
        loss = getattr(self.model, "loss", None) or make_loss(plan)
        if getattr(self.model, "optimizer", None) is not optimizer:
            self.model.compile(optimizer=optimizer, loss=loss, metrics=make_metrics(self.exp.compile.metrics, plan))
        self._fit_model.compile(optimizer=optimizer, loss=loss, metrics=make_metrics(self.exp.compile.metrics, plan), jit_compile=xla)
        self._xla = xla

    def _open_folder(self) -> Path:
        """Create the run folder (or take over the one given), fill in the run's facts; the folder."""
        if self.run_dir is None:
            self.writer = RunWriter.create(self.runs_dir, self.exp)
            self.run_dir = self.writer.path
            self._created = time.strftime("%Y-%m-%dT%H:%M:%S")
        else:
            if self.writer is None:
                self.writer = RunWriter.take(self.run_dir)
            self.writer.hold()  # a later run() of this Trainer takes the lock again
            runs.recover(self.run_dir, locked=True)  # a continued run: finish or undo a save cut short by a kill
            self.writer.open_channel()
            self._created = self._created or str((runs.read_meta(self.run_dir) or {}).get("created", "")) or time.strftime("%Y-%m-%dT%H:%M:%S")
        # A deleted folder (`kerminal runs --delete --stop`, rm -rf) stops the run at its next batch.
        self.writer.on_gone = lambda: self.control.stop("the run folder was deleted; stopped at the end of a batch, nothing more is saved.")
        self.writer.start_heartbeat()
        ds = self.dataset
        self.writer.data_format(ds.read_as)  # how the data was read, for an export
        self.state.writer = self.writer
        self.state.info = {
            "name": self.exp.name,
            "preset": true_preset(self.exp.to_dict()),  # only while the layers are still the preset's
            "created": self._created,
            "class_names": list(ds.class_names),
            "task": ds.task,
            "samples": {"train": len(ds.train), "validation": len(ds.validation), "test": len(ds.test)},
            "batch_size": self.exp.fit.batch_size,
            "seed": self.exp.fit.seed,
        }
        return self.run_dir

    def _fit(self, x: Any, y: Any, val: Any, callbacks: list[Any], initial: int) -> None:
        """model.fit up to the state's target; XLA cannot compile every op a stack may hold,
        so a failure before the first step of this call falls back to plain graphs, once."""
        bs = self.exp.fit.batch_size
        try:
            self._fit_model.fit(x, y, batch_size=bs, epochs=self.state.target, initial_epoch=initial, validation_data=val, callbacks=callbacks, verbose=0, shuffle=True)
        except (StopAtBatch, KerminalError, KeyboardInterrupt):
            raise
        except Exception:
            if self._xla is not True or self.state.steps_done or self.epochs_done != initial:
                raise
            self._compile_fit_model(self.state.target - initial, xla=False)
            self._fit_model.fit(x, y, batch_size=bs, epochs=self.state.target, initial_epoch=initial, validation_data=val, callbacks=callbacks, verbose=0, shuffle=True)

    def run(self, epochs: int | None = None) -> RunResult:
        """Train `epochs` more epochs (default exp.fit.epochs) and return the result. A second
        call continues the same run and folder. The control is reset at the start; `more`
        (TrainControl.add_epochs) extends the run while it trains. The run's lock is held
        from the folder's opening to the return (see engine.runs.lock)."""
        try:
            return self._run(epochs)
        finally:
            if self.writer is not None:
                self.writer.close()

    def _run(self, epochs: int | None) -> RunResult:
        import keras

        from engine.training.callbacks import BatchGuard, Checkpointer, ProbeScorer, ProgressReporter

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
            raise self._fail(runs.disk_error(exc, run_dir / runs.METRICS), record=False) from None

        bs = self.exp.fit.batch_size
        steps = max(1, math.ceil(len(x) / bs))
        es_cfg = self.exp.fit.early_stopping
        self.restores_best = bool(es_cfg.patience and es_cfg.restore_best)
        early = None
        callbacks = [*self.extra_callbacks]
        if es_cfg.patience:
            early = keras.callbacks.EarlyStopping(monitor=self.monitor, patience=es_cfg.patience, restore_best_weights=es_cfg.restore_best)
            callbacks.append(early)
        callbacks += [
            BatchGuard(state, steps),
            Checkpointer(state, self.model),
            ProbeScorer(state, self.model, list(self.dataset.class_names), self.exp),
            ProgressReporter(state, self.batch_interval, steps, len(x), bs),
        ]

        self._compile_fit_model(n)
        pipeline = self.pipeline + ("; XLA on" if self._xla is True else "")
        self._emit(ev.Started(str(self.run_dir), state.target, steps, len(x), initial, len(val[0]) if val else 0, bs, self.monitor, time.time(), pipeline))
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
                self._emit(ev.Stopped(str(self.run_dir), self.epochs_done, self._last_metrics(), "interrupted (KeyboardInterrupt)."))
                raise
            except Exception as exc:
                raise self._fail(keras_failure(exc, self.epochs_done + 1, self.run_dir)) from None
            finally:
                # Temporary files of an epoch that did not commit; on a full disk recover()
                # runs again when the run is continued or loaded.
                with contextlib.suppress(OSError):
                    runs.recover(run_dir, locked=True)
                if interactive:
                    keras.config.enable_interactive_logging()
            return self._finish(partial, early_stopped, steps, es_cfg.patience, initial)
        finally:
            if steering is not None:
                steering.close(self.status)

    def _finish(self, partial: StopAtBatch | None, early_stopped: bool, steps: int, patience: int, initial: int = 0) -> RunResult:
        state = self.state
        metrics = self._last_metrics()
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
