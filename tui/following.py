"""The run processes this app started (`t`, and `m` on an ended run): their process ids,
collected when they exit, and which runs, of those and the followed one, still train (what
quitting asks about).

A run is a detached process of its own (engine.runs.start_run); the app follows it through
its folder (engine.runs.RunWatcher), never through the process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from engine import KerminalError
from engine.runs import LIVE, read_info, read_meta


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
