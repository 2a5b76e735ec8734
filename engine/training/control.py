"""TrainControl: how another thread stops, pauses and resumes a training run. TF-free.

The Trainer's callback calls `checkpoint()` at the end of every training batch: it returns
at once unless the run is paused (then it blocks on a threading.Event until `resume()` or
`stop()`), and it says whether a stop was asked for, so the run stops at the end of the
batch it is in. All methods are safe to call from any thread, and from a signal handler.
"""

from __future__ import annotations

import threading
import time


class TrainControl:
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()  # set = not paused
        self._running.set()
        self._paused_s = 0.0
        self.reason = ""
        self._lr: tuple[str, float] | None = None  # (command id, value) for the next batch
        self._lr_lock = threading.Lock()  # set by the steering thread, taken by the training loop
        self._more = 0  # epochs added while the run trains

    # ---- asked from any thread -----------------------------------------------------------
    def stop(self, reason: str = "stopped on request.") -> None:
        """Stop at the end of the current batch (a pause is released too)."""
        self.reason = reason
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        """Block the training loop between batches until `resume()` (or `stop()`)."""
        if not self._stop.is_set():
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def set_learning_rate(self, value: float, command_id: str = "") -> tuple[str, float] | None:
        """Change the learning rate at the start of the next batch (the loop acknowledges).
        Returns the request this one replaces, if no batch applied it yet (its sender is
        owed an answer)."""
        with self._lr_lock:
            replaced, self._lr = self._lr, (command_id, float(value))
        return replaced

    def add_epochs(self, n: int) -> None:
        """Train `n` epochs more than planned (the Trainer picks them up when fit ends)."""
        self._more += int(n)

    def reset(self) -> None:
        """Forget a stop and a pause (the Trainer does this when a run starts or continues)."""
        self._stop.clear()
        self._running.set()
        self._paused_s = 0.0
        self.reason = ""
        self._lr = None
        self._more = 0

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    # ---- called by the training loop -----------------------------------------------------
    def checkpoint(self) -> bool:
        """Between batches: wait while paused; True if the run must stop now. O(1) when running."""
        if not self._running.is_set():
            t0 = time.perf_counter()
            self._running.wait()
            self._paused_s += time.perf_counter() - t0
        return self._stop.is_set()

    def take_learning_rate(self) -> tuple[str, float] | None:
        with self._lr_lock:
            request, self._lr = self._lr, None
        return request

    def take_more(self) -> int:
        n, self._more = self._more, 0
        return n

    def take_paused_seconds(self) -> float:
        """Seconds spent paused since the last call (epoch timings leave them out)."""
        s, self._paused_s = self._paused_s, 0.0
        return s
