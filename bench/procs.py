"""Every process a benchmark starts, found and ended, however it was started.

A benchmark module starts programs that leave its process tree on purpose: bench_app runs
`kerminal` in a pty of its own session, and the app launches each training run detached
(`start_new_session`, reparented to init once the app is gone), so neither killing the
module's process nor its process group reaches them. What every one of them does keep is
its environment: bench.run gives each module's process a `KERMINAL_BENCH_TOKEN` of its own,
and every program started from there (the app, `kerminal train`, a detached run, a plain
`model.fit` child) inherits it, since each is started with a copy of its parent's
environment. `carrying(token)` finds them in /proc, and `end(token)` ends them: SIGTERM,
then SIGKILL for whatever is still there after a grace period, over again until none is
left or the deadline passes (a process may start another while it is being ended).

Linux only (/proc); elsewhere `carrying` finds nothing and `end` does nothing.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

TOKEN_VAR = "KERMINAL_BENCH_TOKEN"
PROC = Path("/proc")


def new_token() -> str:
    """A token no other process on the machine carries."""
    return f"{os.getpid()}-{uuid.uuid4().hex}"


def carrying(token: str) -> list[int]:
    """The pids of the live processes (zombies left out) whose environment holds
    KERMINAL_BENCH_TOKEN=token, this process excepted."""
    needle = f"{TOKEN_VAR}={token}".encode()
    me = os.getpid()
    found = []
    try:
        entries = list(os.scandir(PROC))
    except OSError:
        return []
    for entry in entries:
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            env = (PROC / entry.name / "environ").read_bytes()  # empty for a zombie
        except OSError:
            continue  # gone, or not ours to read
        if needle in env.split(b"\0"):
            found.append(int(entry.name))
    return found


def _signal(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def end(token: str, grace: float = 5.0, deadline: float = 30.0) -> list[int]:
    """End every process carrying `token`: SIGTERM, then SIGKILL after `grace` seconds.
    Returns the pids it found (empty when none was left)."""
    seen: list[int] = []
    stop_at = time.monotonic() + deadline
    while True:
        pids = carrying(token)
        if not pids:
            return seen
        seen += [p for p in pids if p not in seen]
        if time.monotonic() > stop_at:
            return seen
        _signal(pids, signal.SIGTERM)
        kill_at = time.monotonic() + grace
        while pids and time.monotonic() < kill_at:
            time.sleep(0.05)  # polling /proc for the processes to go, up to the grace period
            pids = carrying(token)
        _signal(pids, signal.SIGKILL)
        settle = time.monotonic() + 5.0
        while carrying(token) and time.monotonic() < settle:
            time.sleep(0.05)
