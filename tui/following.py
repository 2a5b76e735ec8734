"""The run processes this app started (`t`, and `m` on an ended run): their process ids,
collected when they exit, and which runs, of those and the followed one, still train (what
quitting asks about); and, when the app starts, which live run it follows and what it says
of the live ones (`live_at_start`: coming back after an SSH drop).

A run is a detached process of its own (engine.runs.start_run); the app follows it through
its folder (engine.runs.RunWatcher), never through the process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine import KerminalError
from engine.runs import LIVE, NOT_RESPONDING, RunInfo, Status, read_info, read_meta


def run_pid(path: Path) -> int:
    """The process id the run in `path` wrote to its metadata (0: none, or unreadable)."""
    try:
        return int((read_meta(path) or {}).get("pid") or 0)
    except (TypeError, ValueError):
        return 0


def is_live(path: Path) -> bool:
    """Whether the run in `path` says it is starting, running or paused (an unreadable or
    deleted run is not)."""
    try:
        return read_info(path).status in LIVE
    except (KerminalError, OSError):
        return False


class StartedRuns:
    """The runs this app started: folder -> process id (0 once collected)."""

    def __init__(self) -> None:
        self.pids: dict[Path, int] = {}

    def add(self, path: Path) -> None:
        self.pids[path] = run_pid(path)

    def __iter__(self) -> Iterator[Path]:
        return iter(self.pids)

    def reap(self) -> None:
        """Collect the runs that have exited (else they stay zombies, which look alive to a
        liveness check by pid)."""
        for path, pid in list(self.pids.items()):
            if pid <= 0:
                continue
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.pids[path] = 0


@dataclass(frozen=True)
class LiveAtStart:
    """What the app does at start about the live runs of its runs folder: the one the Train
    pane follows (None: none) and the one-line notice ("" when none is live)."""

    follow: Path | None = None
    notice: str = ""
    warning: bool = False  # a live run is not responding


def _where(info: RunInfo) -> str:
    """What a live run is doing, in a few words ("training (epoch 3/10)")."""
    target = f"/{info.target}" if info.target else ""
    if info.status == Status.PAUSED:
        return f"paused (after epoch {info.epochs}{target})"
    if info.status == Status.STARTING:
        return "starting"
    epoch = min(info.epochs + 1, info.target) if info.target else info.epochs + 1
    return f"training (epoch {epoch}{target})"


def live_at_start(infos: list[RunInfo]) -> LiveAtStart:
    """`infos` newest first (RunStore.list): the newest live run that answers is followed; one
    "not responding" (its process holds the run but has not beaten lately: stopped, or its
    machine paused) is named as such, never followed on its own."""
    live = [info for info in infos if info.status in LIVE]
    if not live:
        return LiveAtStart()
    answering = [info for info in live if info.status != NOT_RESPONDING]
    silent = [info for info in live if info.status == NOT_RESPONDING]
    parts = []
    if answering:
        newest = answering[0]
        parts.append(f"Run {newest.id} is {_where(newest)} · following it in Train (3)")
    if silent:
        names = ", ".join(info.id for info in silent[:2]) + (f" +{len(silent) - 2}" if len(silent) > 2 else "")
        parts.append(f"run{'s' if len(silent) > 1 else ''} {names} {'are' if len(silent) > 1 else 'is'} not responding (no heartbeat: stopped, or its machine paused)")
    if len(live) > 1:
        parts.append(f"{len(live)} runs are live: Runs (5) lists them")
    notice = " · ".join(parts)
    return LiveAtStart(answering[0].path if answering else None, notice[0].upper() + notice[1:] + ".", bool(silent))
