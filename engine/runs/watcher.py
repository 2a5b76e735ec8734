"""RunWatcher: follow a run from its folder and fold its events into `Progress`.

Used by the app's Train pane and by `kerminal watch` alike. `poll()` reads only the bytes
appended to events.jsonl since the last call, at most one chunk of them (a half-written
last line waits for the next poll; `behind` says more is there already), fills epochs whose
event a kill lost from history.csv, and looks at metrics.json at most once a second (only
when its mtime changed) to tell a live run from one whose process is gone ("interrupted",
from the pid or the heartbeat).
A folder deleted under the watcher ends it with status "missing"; nothing raises.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import RunError
from engine.runs import events as ev
from engine.runs import folder as F
from engine.runs import liveness, reader, saving
from engine.runs.damage import check_meta
from engine.runs.eta import Eta
from engine.runs.status import ENDED, GONE, Status

TERMINAL_STATUS = {ev.Finished: Status.FINISHED, ev.Stopped: Status.STOPPED, ev.Failed: Status.FAILED}


@dataclass
class Progress:
    """Everything a view shows about a run, folded from its events."""

    status: str = Status.STARTING  # a Status (engine/runs/status.py)
    started: ev.Started | None = None
    target: int = 0  # the epoch the run trains to
    epochs: int = 0  # whole epochs done
    epoch: int = 0  # the epoch in progress (1-based; 0 before the first batch)
    step: int = 0
    steps: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)  # per epoch (1-based rows)
    trace: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)  # batch means in the epoch: (x, y)
    last_epoch: ev.EpochEnd | None = None
    probes: list = field(default_factory=list)
    probes_epoch: int = 0
    learning_rates: list[tuple[float, float]] = field(default_factory=list)  # (x in epochs, new lr) from `lr`
    end: ev.Event | None = None  # Finished, Stopped or Failed
    phase: str = ""  # what a starting run is doing (metrics.json's "phase"), before its first batch
    message: str = ""
    samples_per_s: float = 0.0
    eta_s: float | None = None  # None: not meaningful yet ("estimating…"); see eta.py
    _eta: Eta = field(default_factory=Eta, repr=False)

    @property
    def live(self) -> bool:
        return self.status in F.LIVE

    @property
    def x(self) -> float:
        """Where the run is, in epochs (2.5 = half-way through epoch 3)."""
        return self.epoch - 1 + self.step / self.steps if self.epoch and self.steps else float(self.epochs)

    def fold(self, event: ev.Event, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if isinstance(event, ev.Started):
            self.started, self.target, self.epochs = event, event.epochs, event.initial_epoch
            self.status, self.end, self.message = Status.RUNNING, None, ""
            self.steps, self.epoch, self.step, self.trace = event.steps_per_epoch, 0, 0, {}
            self.eta_s, self._eta = None, Eta()
            self._eta.start_epoch(now)
        elif isinstance(event, ev.BatchEnd):
            if self.epoch != event.epoch:
                self.trace = {}
            self.epoch, self.step, self.steps = event.epoch, event.step, event.steps
            x = self.x
            for name, value in event.metrics.items():
                if isinstance(value, (int, float)) and math.isfinite(value):
                    xs, ys = self.trace.setdefault(name, ([], []))
                    xs.append(x)
                    ys.append(float(value))
            self.eta_s = self._eta.seconds_left(now, self.epoch, self.step, self.steps, self.target)
        elif isinstance(event, ev.EpochEnd):
            saving.set_epoch(self.history, event.epoch, event.metrics)
            self.last_epoch, self.epochs, self.target = event, event.epoch, event.epochs
            self.epoch, self.step, self.trace = event.epoch, self.steps, {}
            self.samples_per_s = event.samples_per_s
            left = self._eta.epoch_ended(event.duration_s, event.epochs - event.epoch, now)
            self.eta_s = left if event.epoch < event.epochs else 0.0
            if event.probes:
                self.probes, self.probes_epoch = event.probes, event.epoch
        elif isinstance(event, ev.Steered):
            if event.ok and event.command == "pause":
                self.status = Status.PAUSED
            elif event.ok and event.command == "resume" and self.status == Status.PAUSED:
                self.status = Status.RUNNING
            elif event.ok and event.command == "lr" and event.value is not None:
                self.learning_rates.append((max(event.epoch - 1, 0) + (event.step / self.steps if self.steps else 0.0), float(event.value)))
            elif event.ok and event.command == "more" and event.value:
                self.target += int(event.value)
        elif isinstance(event, ev.TERMINAL):
            self.end, self.status, self.epochs = event, TERMINAL_STATUS[type(event)], event.epochs
            self.message, self.trace, self.eta_s = event.message if hasattr(event, "message") else "", {}, 0.0


class RunWatcher:
    """Follow one run folder. `poll()` returns the new events (already folded into
    `progress`); call it on a timer."""

    def __init__(self, run_dir: str | os.PathLike[str], liveness_s: float = 1.0) -> None:
        self.path = Path(run_dir)
        self.progress = Progress()
        self.offset = 0
        self.liveness_s = liveness_s
        self._next_check = 0.0
        self._meta_mtime: float | None = None
        self.meta: dict[str, Any] = {}
        self.behind = False  # the last poll left whole chunks of events.jsonl unread

    @property
    def id(self) -> str:
        return self.path.name

    def poll(self, now: float | None = None) -> list[ev.Event]:
        now = time.monotonic() if now is None else now
        if self.progress.status == Status.MISSING:
            return []
        start = self.offset
        try:
            read, self.offset = reader.read_events(self.path, self.offset)
            # more already written than one read takes (a long log): poll again at once
            self.behind = self.offset > start and (self.path / F.EVENTS).stat().st_size > self.offset
        except OSError:
            read, self.behind = [], False
        found: list[ev.Event] = []
        for event in read:
            for each in [*self._lost_epochs(event), event] if isinstance(event, ev.EpochEnd) else [event]:
                self.progress.fold(each, now)
                found.append(each)
        if now >= self._next_check or (found and isinstance(found[-1], ev.TERMINAL)):
            self._next_check = now + self.liveness_s
            self._check_alive()
        return found

    def _lost_epochs(self, event: ev.EpochEnd) -> list[ev.Event]:
        """The epochs before `event` that have no row in the progress's history (their
        EpochEnd was lost to a kill between the epoch's commit and its event), rebuilt from
        history.csv; none when history.csv lacks them too."""
        have = max((len(column) for column in self.progress.history.values()), default=0)
        if event.epoch <= have + 1:
            return []
        try:
            history = reader.read_history(self.path)
        except OSError:
            return []
        lost: list[ev.Event] = []
        for epoch in range(have + 1, event.epoch):
            metrics = {k: column[epoch - 1] for k, column in history.items() if epoch <= len(column)}
            if metrics:
                lost.append(ev.EpochFromHistory(epoch, event.epochs, metrics, 0.0, 0.0))
        return lost

    def _check_alive(self) -> None:
        p = self.progress
        if not self.path.is_dir():
            p.status, p.message = Status.MISSING, f"the run folder {self.path} was deleted."
            return
        try:
            mtime = (self.path / F.METRICS).stat().st_mtime
        except OSError:
            return  # not written yet (a run starting)
        if mtime != self._meta_mtime:
            meta = reader.read_meta(self.path)
            if meta is None:
                return
            try:
                meta = check_meta(meta, self.path / F.METRICS)
            except RunError:
                meta = {}  # damaged: the events alone tell how the run goes
            self._meta_mtime, self.meta = mtime, meta
        if not self.meta:
            return
        status = liveness.live_status(self.meta, self.path)
        p.target = max(p.target, int(self.meta.get("target", 0) or 0))
        p.phase = str(self.meta.get("phase", "") or "")[:80]
        if status == liveness.NOT_RESPONDING and p.end is None:
            if p.status != liveness.NOT_RESPONDING:
                p.message = f"the training process is not responding (no heartbeat for over {liveness.HEARTBEAT_STALE_S:.0f} s: stopped, swapped out, or its machine paused); it still holds the run, which goes on when it wakes."
            p.status = liveness.NOT_RESPONDING
        elif status == Status.INTERRUPTED and p.end is None:
            if p.status != Status.INTERRUPTED:
                p.message = "the training process is gone (killed, or its machine went down); the finished epochs are kept."
            p.status = Status.INTERRUPTED
        elif status in (Status.RUNNING, Status.PAUSED) and p.end is None and p.status in F.LIVE:
            p.status = status
        elif status in ENDED and p.end is None:
            p.status, p.message = status, str(self.meta.get("message", "") or "")

    def wait(self, interval: float = 0.25, timeout: float | None = None) -> Progress:
        """Poll until the run is no longer live (tests and scripts)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.poll()
            if not self.behind and not self.progress.live and (self.progress.end is not None or self.progress.status in GONE):
                return self.progress
            if deadline is not None and time.monotonic() > deadline:
                return self.progress
            if not self.behind:
                time.sleep(interval)
