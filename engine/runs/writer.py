"""RunWriter: the one writer of a run folder.

Only the process that trains a run writes its folder (the launcher of a detached run creates
it first and hands it over). Every write goes through this class, under one lock, because two
threads of the training process write: the training loop (events, epochs, checkpoints) and
the steering thread (acknowledgements and the heartbeat in metrics.json).

The order of an epoch's commit is in folder.py's docstring; this class only performs it.
"""

from __future__ import annotations

import contextlib

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from engine.experiment import Experiment, atomic_write_text
from engine.runs import events as ev
from engine.runs import folder as F


class RunWriter:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._meta: dict[str, Any] = {}
        self.unlogged = ""  # why events.jsonl/log.txt missed events (a full disk), if they did

    @classmethod
    def create(cls, root: str | os.PathLike[str], exp: Experiment, now: float | None = None) -> RunWriter:
        """A fresh run folder under root holding the experiment as trained (paths absolute).
        An OSError (a full disk) is a TrainingError naming the file."""
        path = F.new_run_dir(Path(root), exp.name, now)
        writer = cls(path)
        try:
            atomic_write_text(path / F.EXPERIMENT, F.experiment_as_trained(exp).to_toml())
        except OSError as exc:
            raise F.disk_error(exc, path / F.EXPERIMENT) from None
        writer.open_channel()
        return writer

    def open_channel(self) -> Path:
        """The steering channel (commands/), readable and writable by the run's owner only."""
        path = self.path / F.COMMANDS
        path.mkdir(mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)
        return path

    # ---- append-only logs -------------------------------------------------------------------
    def event(self, event: ev.Event) -> None:
        """Append an event to events.jsonl (and, unless a batch, a line to log.txt). A failed
        write (a full disk) is kept in `unlogged` and said in the run's end message: the
        listener still hears the event and metrics.json stays the truth."""
        line = json.dumps(ev.to_dict(event)) + "\n"
        with self._lock:
            try:
                with open(self.path / F.EVENTS, "a", encoding="utf-8") as fh:
                    fh.write(line)
                if not isinstance(event, ev.BatchEnd):
                    with open(self.path / F.LOG, "a", encoding="utf-8") as fh:
                        fh.write(time.strftime("%H:%M:%S ") + ev.describe(event) + "\n")
            except OSError as exc:
                self.unlogged = self.unlogged or f"{F.EVENTS}/{F.LOG} could not be written ({exc.strerror or exc})"

    # ---- metrics.json: status, pid, heartbeat ------------------------------------------------
    def metrics(self, data: dict[str, Any], pid: int | None = None) -> None:
        """Write metrics.json atomically (OSError on a full disk), stamped with the pid of the
        process that owns the run and a heartbeat."""
        with self._lock:
            self._meta = {**data, "pid": pid if pid is not None else os.getpid(), "heartbeat": time.time()}
            F.write_json_atomic(self.path / F.METRICS, self._meta)

    def beat(self, status: str | None = None) -> None:
        """Refresh the heartbeat (and a live status: running <-> paused). Never raises: a
        missed heartbeat only makes a reader wait for the next one."""
        with self._lock:
            if not self._meta or self._meta.get("status") not in F.LIVE:
                return
            if status is not None:
                self._meta["status"] = status
            self._meta["heartbeat"] = time.time()
            with contextlib.suppress(OSError):  # see the docstring: the next beat tries again
                F.write_json_atomic(self.path / F.METRICS, self._meta)

    # ---- an epoch's commit -------------------------------------------------------------------
    def checkpoint(self, model: Any, name: str, epoch: int) -> str:
        """Save `model` under the temporary name of `name` (best.keras/last.keras) for
        `epoch`; return that name, for metrics.json's `pending`."""
        tmp = self.path / F.temp_name(name, epoch)
        F.save_model(model, tmp, epoch)
        return tmp.name

    def history(self, history: dict[str, list[float]], epochs: int) -> None:
        with self._lock:
            F.write_history(self.path, history, epochs)

    def commit(self, pending: dict[str, str]) -> None:
        F.commit(self.path, pending)
