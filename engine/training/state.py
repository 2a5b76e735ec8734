"""RunState: what the Trainer and its Keras callbacks share about one run (TF-free).

The callbacks each do one job (guard the batch, checkpoint the epoch, score the probes,
report progress) and talk to each other and to the Trainer only through this object, and
write the run folder only through its RunWriter.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from engine.runs import events as ev
from engine.runs import folder as F
from engine.runs import saving
from engine.runs.status import Status
from engine.runs.writer import RunWriter
from engine.training.control import TrainControl


@dataclass
class RunState:
    writer: RunWriter
    control: TrainControl
    emit: Callable[[ev.Event], None]
    info: dict[str, Any] = field(default_factory=dict)  # name, preset, created, class names ... (fixed for the run)
    monitor: str = "val_loss"
    history: dict[str, list[float]] = field(default_factory=dict)
    epochs_done: int = 0
    last_good_epoch: int = 0
    best_value: float | None = None
    best_epoch: int = 0
    target: int = 0  # the epoch this run trains to (grows with `more`)
    status: str = "new"
    restores_best: bool = False
    # where the loop is (for acknowledgements), and what the epoch-end callbacks hand on
    epoch: int = 0
    step: int = 0
    steps: int = 0
    steps_done: int = 0  # training steps run in the current fit call
    nan_at: tuple[int, int] | None = None
    stopped_by_control: bool = False
    probes: list = field(default_factory=list)
    learning_rate: float | None = None
    closing: bool = False  # the run is ending: `more` is refused from here on
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def last_metrics(self) -> dict[str, float]:
        return {k: v[-1] for k, v in self.history.items() if v}

    def record(self, message: str = "", pending: dict[str, str] | None = None) -> None:
        """metrics.json as the state says now (OSError on a full disk)."""
        self.writer.metrics({
            "kerminal_run": F.FORMAT,
            **self.info,
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S"),
            # an epoch that ends while the run is paused must not write "running" over "paused"
            "status": Status.PAUSED if self.status == Status.RUNNING and self.control.paused else self.status,
            "message": message,
            "epochs": self.epochs_done,
            "target": self.target,
            "last_good_epoch": self.last_good_epoch,
            "best": {"monitor": self.monitor, "value": self.best_value, "epoch": self.best_epoch},
            "metrics": self.last_metrics(),
            "learning_rate": self.learning_rate,
            "pending": pending or {},  # checkpoints committed by this file, renamed just after
        })

    def record_epoch(self, epoch: int, logs: dict[str, float], pending: dict[str, str]) -> None:
        """history.csv, then metrics.json (the commit); on a full disk the state is rolled
        back and the error names the file."""
        before = ({k: list(v) for k, v in self.history.items()}, self.epochs_done)
        saving.set_epoch(self.history, epoch, logs)
        self.epochs_done = epoch
        try:
            self.writer.history(self.history, epoch)
            saving.crash_point("history_written")
            self.record(pending=pending)
        except OSError as exc:
            self.history, self.epochs_done = before
            raise saving.disk_error(exc, self.writer.path / F.METRICS, epoch) from None

    def extend(self, n: int) -> int | None:
        """`more` (from the steering thread): train n epochs beyond the current target;
        the new target, or None when the run is already ending."""
        with self._lock:
            if self.closing:
                return None
            self.target += int(n)
            self.control.add_epochs(n)
            return self.target

    def continue_for_more(self) -> bool:
        """When fit returns (the training thread): True if `more` asked for epochs, else the
        run is closing and later `more` commands are refused."""
        with self._lock:
            if self.control.take_more() > 0 and self.target > self.epochs_done:
                return True
            self.closing = True
            return False

    def is_finite(self, logs: dict[str, float]) -> bool:
        return self.nan_at is None and all(math.isfinite(v) for v in logs.values())
