"""Whether a process still owns a run: metrics.json's status checked against the run's lock
and its heartbeat (`live_status`), and whether a run trains on another machine (`elsewhere`).
TF-free."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from engine.runs.status import RECORDED_LIVE, Status

# metrics.json's status while a process owns the run. A reader derives from it, the run's
# lock and its heartbeat (live_status): "interrupted" when no process holds the lock, "not
# responding" while one holds it but has not beaten for HEARTBEAT_STALE_S (stopped,
# swapped out, a paused machine): still live, never resumed by another process.
NOT_RESPONDING = Status.NOT_RESPONDING
HEARTBEAT_S = 2.0
HEARTBEAT_STALE_S = 15.0
HOST = socket.gethostname()  # metrics.json names the machine a run trains on


def live_status(raw: dict[str, Any], path: str | os.PathLike[str] | None = None, now: float | None = None) -> str:
    """metrics.json's status, checked against the run's lock and heartbeat when it says a
    process owns the run (see LIVE):

    - the lock is held: the recorded status, or "not responding" when the heartbeat is stale;
    - the lock is free: "interrupted", unless the run trains on another machine and beats
      (the filesystem's locks may not reach across machines: trust the heartbeat there);
    - no lock file (a run by an older kerminal): the pid, on this machine, and the heartbeat.

    A run that never got past "starting" and whose process is gone reads "failed"."""
    from engine.runs.lock import held

    status = str(raw.get("status", ""))
    if status not in RECORDED_LIVE:
        return status
    beat = raw.get("heartbeat")
    stale = isinstance(beat, (int, float)) and (now if now is not None else time.time()) - beat > HEARTBEAT_STALE_S
    here = raw.get("host") in (None, HOST)
    locked = held(path) if path is not None else None
    if locked:
        return NOT_RESPONDING if stale else status
    if locked is None and here and not _alive(raw.get("pid")):
        gone = True
    elif locked is False and here:
        gone = True
    else:
        gone = stale
    if not gone:
        return status
    return Status.FAILED if status == Status.STARTING and not raw.get("epochs") else Status.INTERRUPTED


def elsewhere(raw: dict[str, Any], now: float | None = None) -> bool:
    """metrics.json says a process on another machine owns the run and beat lately: a
    process here must not take the run over even though its lock looks free (the runs
    folder's filesystem may not share locks between machines)."""
    beat = raw.get("heartbeat")
    fresh = isinstance(beat, (int, float)) and (now if now is not None else time.time()) - beat <= HEARTBEAT_STALE_S
    return str(raw.get("status", "")) in RECORDED_LIVE and raw.get("host") not in (None, HOST) and fresh


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid < 2**31:
        return True  # unknown (or nonsense): trust the file
    return process_alive(pid)


def process_alive(pid: int) -> bool:
    """Whether process `pid` of this machine runs (a zombie, dead but not yet reaped by a
    parent that does not reap, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process: it exists
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:  # no /proc (macOS): kill's answer stands
        return True
    return True
