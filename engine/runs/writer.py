"""RunWriter: the one writer of a run folder.

Only the process that holds the run's lock (lock.py) writes its folder: a launcher creates
the folder, takes the lock, writes the first record and hands the lock to the process it
starts (`hand_over`), which then owns the folder until it exits; the launcher's writer
refuses every write after that. No other module writes metrics.json
(tests/engine/test_one_writer.py holds the code to this). Every write goes through this class, under one thread lock, because
three threads of the training process write: the training loop (events, epochs,
checkpoints), the steering thread (acknowledgements) and the heartbeat thread.

A writer writes only into a real folder its user owns (safe.check_own_dir), appends with
O_NOFOLLOW, replaces files by rename (never through a link) and never creates the folder
again: a run whose folder was deleted stops writing and is told (`on_gone`) so that it stops.

The order of an epoch's commit is in saving.py's docstring; this class only performs it.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from engine.experiment import Experiment, atomic_write_text
from engine.progress import complete, step_of
from engine.runs import events as ev
from engine.runs import folder as F
from engine.runs import liveness, reader, safe, saving
from engine.runs.lock import RunLock

if TYPE_CHECKING:  # pragma: no cover
    import keras

EXPERIMENT_CAP = 1 << 20  # a run's experiment.toml is never near this
PHASE_S = 0.5  # a starting run's progress ("reading files n/total") reaches metrics.json at most this often


class RunWriter:
    clock = staticmethod(time.monotonic)  # when phases were written (a test gives its own)

    def __init__(self, path: str | os.PathLike[str], lock: RunLock | None = None) -> None:
        self.path = Path(path)
        self.lock = lock
        self._lock = threading.RLock()
        self._meta: dict[str, Any] = {}
        self.unlogged = ""  # why events.jsonl/log.txt missed events (a full disk), if they did
        self.gone = False  # the folder was deleted under the run: nothing is written any more
        self.on_gone: Callable[[], None] | None = None
        self._pulse: threading.Thread | None = None
        self._quiet = threading.Event()
        self._phase_written = 0.0  # the clock when a phase was last written at once
        self.handed_over = False  # a launcher started the run's process: it writes, not this one

    @classmethod
    def create(cls, root: str | os.PathLike[str], exp: Experiment, now: float | None = None) -> RunWriter:
        """A fresh run folder under root, locked, holding the experiment as trained (paths
        absolute). An OSError (a full disk) is a TrainingError naming the file."""
        path = F.new_run_dir(Path(root), exp.name, now)
        writer = cls(path, RunLock.acquire(path))
        try:
            atomic_write_text(path / F.EXPERIMENT, F.experiment_as_trained(exp).to_toml(), make_parents=False)
        except OSError as exc:
            writer.close()
            raise saving.disk_error(exc, path / F.EXPERIMENT) from None
        writer.open_channel()
        return writer

    @classmethod
    def take(cls, path: str | os.PathLike[str], force: bool = False) -> RunWriter:
        """Take over an existing run folder to continue it: RunError unless it is a real
        folder of the caller's (root: `force`) and no process holds its lock."""
        from engine.runs.lock import RunBusy

        safe.check_own_dir(path, force=force)
        meta = reader.read_meta(path) or {}
        # A held lock is refused by acquire() below; this also catches a run that trains on
        # another machine (its heartbeat) and one by an older kerminal, without a lock file.
        status = liveness.live_status(meta, path)
        if status in F.LIVE:
            where = f" on {meta.get('host')}" if liveness.elsewhere(meta) else ""
            raise RunBusy(f"Run {Path(path).name} is being trained right now by another process{where} ({status}).", f"Wait for it to end, or stop it with `kerminal stop {Path(path).name}`.")
        writer = cls(path, RunLock.acquire(path, force=force))
        writer._meta = meta
        return writer

    @classmethod
    def inherit(cls, path: str | os.PathLike[str], fd: int) -> RunWriter:
        """The writer of a process a launcher started with the run's lock as `fd`: it owns
        the folder from its first second (the heartbeat starts now, data loading included)."""
        writer = cls(path, RunLock.inherit(path, fd))
        meta = reader.read_meta(path) or {}
        if meta:
            writer.metrics(meta)  # this process's pid, and a first heartbeat
        writer.start_heartbeat()
        return writer

    def hand_over(self, start: Callable[[int], object]) -> None:
        """Give the run to the process that `start` starts with the lock's descriptor (see
        launch.py): from then on that process is the folder's one writer and this writer
        refuses to write. If `start` raises, nothing was started and this writer still owns
        the run (to say why it failed)."""
        if self.lock is None or not self.lock.held:
            raise RuntimeError("only the holder of a run's lock can hand the run over")
        start(self.lock.fd)
        self.handed_over = True
        with contextlib.suppress(OSError):  # the descriptor is the started process's now
            self.close()

    def _check_owner(self) -> None:
        if self.handed_over:
            raise RuntimeError(f"run {self.path.name} was handed to the process a launcher started: only that process writes it")

    def open_channel(self) -> Path:
        """The steering channel (commands/), readable and writable by the run's owner only;
        a link or another user's folder in its place is refused."""
        path = self.path / F.COMMANDS
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            safe.check_own_dir(path, "command folder", force=True)
        os.chmod(path, 0o700, follow_symlinks=False)
        return path

    # ---- the lock and the heartbeat ----------------------------------------------------------
    def start_heartbeat(self) -> None:
        """Beat metrics.json every HEARTBEAT_S from a thread of its own (so a run that loads
        data or compiles still reads as alive), and watch for the folder's deletion."""
        if self._pulse is not None:
            return
        self._quiet.clear()
        self._pulse = threading.Thread(target=self._beat_loop, name="kerminal-heartbeat", daemon=True)
        self._pulse.start()

    def _beat_loop(self) -> None:
        while not self._quiet.wait(liveness.HEARTBEAT_S):
            if self.lock is not None and self.lock.gone and not self.gone:
                self.gone = True
                if self.on_gone is not None:
                    self.on_gone()
            self.beat()

    def close(self) -> None:
        """Stop the heartbeat and let the lock go (the run is no longer trained here)."""
        self._quiet.set()
        if self._pulse is not None and self._pulse is not threading.current_thread():
            self._pulse.join(timeout=5)
        self._pulse = None
        if self.lock is not None:
            self.lock.release()

    def hold(self) -> None:
        """Take the lock again (a Trainer continuing the same run in a later `run()`)."""
        if self.lock is None or not self.lock.held:
            self.lock = RunLock.acquire(self.path)
        self.gone = False

    # ---- append-only logs -------------------------------------------------------------------
    def event(self, event: ev.Event) -> None:
        """Append an event to events.jsonl (and, unless a batch, a line to log.txt). A failed
        write (a full disk) is kept in `unlogged` and said in the run's end message: the
        listener still hears the event and metrics.json stays the truth."""
        self._check_owner()
        line = json.dumps(ev.to_dict(event)) + "\n"
        with self._lock:
            if self.gone:
                return
            try:
                with safe.open_append(self.path / F.EVENTS) as fh:
                    fh.write(line)
                if not isinstance(event, ev.BatchEnd):
                    with safe.open_append(self.path / F.LOG) as fh:
                        fh.write(time.strftime("%H:%M:%S ") + ev.describe(event) + "\n")
            except OSError as exc:
                self.unlogged = self.unlogged or f"{F.EVENTS}/{F.LOG} could not be written ({exc.strerror or exc})"

    # ---- metrics.json: status, pid, heartbeat ------------------------------------------------
    def metrics(self, data: dict[str, Any], pid: int | None = None) -> None:
        """Write metrics.json atomically (OSError on a full disk), stamped with the pid of the
        process that owns the run and a heartbeat."""
        self._check_owner()
        with self._lock:
            self._meta = {**data, "pid": pid if pid is not None else os.getpid(), "host": liveness.HOST, "heartbeat": time.time()}
            if not self.gone:
                saving.write_json_atomic(self.path / F.METRICS, self._meta, make_parents=False)

    def beat(self, status: str | None = None) -> None:
        """Refresh the heartbeat (and a live status: running <-> paused). Never raises: a
        missed heartbeat only makes a reader wait for the next one."""
        with self._lock:
            if self.gone or self.handed_over or not self._meta or self._meta.get("status") not in F.LIVE:
                return
            if status is not None:
                self._meta["status"] = status
            self._meta["heartbeat"] = time.time()
            with contextlib.suppress(OSError):  # see the docstring: the next beat tries again
                saving.write_json_atomic(self.path / F.METRICS, self._meta, make_parents=False)

    def phase(self, doing: str) -> None:
        """Say in metrics.json what a starting run is doing ("reading files 12,000/25,000",
        "adapting the vectorizer"), so a watcher shows progress, not silence. A new step is
        written at once, its counts at most every PHASE_S (else the next heartbeat does)."""
        now = self.clock()
        with self._lock:
            if not self._meta:
                return
            new_step = step_of(str(self._meta.get("phase", ""))) != step_of(doing) or complete(doing)
            self._meta["phase"] = doing
            if not new_step and now - self._phase_written < PHASE_S:
                return
            self._phase_written = now
        self.beat()

    # ---- the run's experiment ---------------------------------------------------------------
    def record_target(self, epochs: int) -> None:
        """Record the epoch the run now trains to (`more`, a continuation) as fit.epochs in its
        experiment.toml, atomically, so the header and `kerminal runs` say it. Never raises:
        an experiment this version cannot read, or one the new count would make unreadable
        (over fit.epochs' bound), is left as it is; metrics.json's target stays the truth."""
        from engine.errors import KerminalError
        from engine.experiment import from_dict

        self._check_owner()
        with self._lock:
            if self.gone:
                return
            path = self.path / F.EXPERIMENT
            try:
                raw = tomllib.loads(safe.read_text(path, EXPERIMENT_CAP))
                fit = raw.setdefault("fit", {})
                if not isinstance(fit, dict) or fit.get("epochs") == epochs:
                    return
                fit["epochs"] = int(epochs)
                atomic_write_text(path, from_dict(raw, self.path).to_toml(), make_parents=False)
            except (OSError, ValueError, KerminalError):  # TOMLDecodeError is a ValueError
                return

    # ---- how the data was read -----------------------------------------------------------
    def data_format(self, read_as: dict[str, Any]) -> None:
        """Keep how the loader read the data's tables (a JSON record) in data_format.json,
        once: a continued run keeps the first training's record. Nothing for a source
        without tables ({}). Never raises: without the record (a full disk) an export
        resolves the format from the file again, as for a run by an older kerminal."""
        with self._lock:
            path = self.path / F.DATA_FORMAT
            if self.gone or not read_as or os.path.lexists(path):
                return
            with contextlib.suppress(OSError):
                saving.write_json_atomic(path, read_as, make_parents=False)

    # ---- an epoch's commit -------------------------------------------------------------------
    def checkpoint(self, model: keras.Model, name: str, epoch: int) -> str:
        """Save `model` under the temporary name of `name` (best.keras/last.keras) for
        `epoch`; return that name, for metrics.json's `pending`."""
        tmp = self.path / F.temp_name(name, epoch)
        saving.save_model(model, tmp, epoch)
        return tmp.name

    def history(self, history: dict[str, list[float]], epochs: int) -> None:
        self._check_owner()
        with self._lock:
            if not self.gone:
                saving.write_history(self.path, history, epochs)

    def commit(self, pending: dict[str, str]) -> None:
        saving.commit(self.path, pending)
