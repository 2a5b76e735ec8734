"""Steering a live run through its folder: `send` (any process) and `Inbox` (the run).

The channel is a folder of command files, `RUN/commands/<id>.json`, made by the run with
mode 0700: only the run's owner can write there (a shared GPU machine: other users may
watch a run, never steer it). A command file is written under a dot-name and renamed, so
the run never reads half a command. Files were chosen over a FIFO or a socket because they
need no reader to be listening: a command sent while the run is between epochs, paused, or
compiling waits in the folder, and one that arrives as the run ends is answered by the run's
last sweep. The run answers every command with a `Steered` event in events.jsonl, carrying
the command's id, which `send` waits for.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import RunError
from engine.runs import events as ev
from engine.runs import folder as F
from engine.runs import liveness, reader, safe
from engine.runs.status import Status

NAMES = ("stop", "pause", "resume", "lr", "more")


@dataclass(frozen=True)
class Command:
    id: str
    command: str
    value: float | None = None
    problem: str = ""  # set when the file could not be read as a command


def check(command: str, value: Any = None) -> float | None:
    """The command's value, checked against the bounds the experiment file has; RunError
    naming the fix otherwise (a boolean is never a number here: JSON `true` is refused)."""
    from engine.experiment import LEARNING_RATE_RANGE

    if command not in NAMES:
        raise RunError(f"Unknown steering command {command!r}.", f"Use one of: {', '.join(NAMES)}.")
    if isinstance(value, bool):
        raise RunError(f"{command}: {value!r} is not a number.", "Pass a number, e.g. `kerminal lr RUN 3e-4` or `kerminal more RUN 5`.")
    if command == "lr":
        low, high = LEARNING_RATE_RANGE
        try:
            lr = float(value)
        except (TypeError, ValueError, OverflowError):
            raise RunError(f"Learning rate {value!r} is not a number.", "Pass a positive number, e.g. `kerminal lr RUN 3e-4`.") from None
        if not math.isfinite(lr) or lr <= 0:
            raise RunError(f"Learning rate {value!r} must be a positive, finite number.", "Pass e.g. 1e-3 or 3e-4.")
        if not low <= lr <= high:
            raise RunError(f"Learning rate {lr:g} is out of range: it must be between {low:g} and {high:g}, as in the experiment file.", "Pass e.g. 1e-3 or 3e-4.")
        return lr
    if command == "more":
        if isinstance(value, float) and not value.is_integer():
            raise RunError(f"Epoch count {value!r} is not a whole number.", "Pass how many epochs to add, e.g. `kerminal more RUN 5`.")
        try:
            n = int(value)
        except (TypeError, ValueError, OverflowError):
            raise RunError(f"Epoch count {value!r} is not a whole number.", "Pass how many epochs to add, e.g. `kerminal more RUN 5`.") from None
        if n < 1 or n > 1_000_000:
            raise RunError(f"Epoch count {n} is out of range.", "Add between 1 and 1,000,000 epochs.")
        return float(n)
    return None


def _owner(path: Path) -> str:
    return safe.owner_name(path.lstat().st_uid)


def post(run_dir: str | os.PathLike[str], command: str, value: Any = None, force: bool = False) -> str:
    """Put a command in a live run's channel and return its id (without waiting for the
    answer). RunError when the run is not live, or not the caller's: its folder and its
    command folder must be real folders (no links) of the caller's; root steers another
    user's run only with `force`, and then hands the command file to the run's owner (the
    run reads only its owner's files)."""
    path = Path(run_dir)
    number = check(command, value)
    if not path.is_dir():
        raise RunError(f"{path} is not a kerminal run (no such folder).", "Pass a run folder or id that `kerminal runs` lists.")
    folder = safe.check_own_dir(path, force=force)
    meta = reader.read_meta(path)
    if meta is None:
        raise RunError(f"{path} is not a kerminal run (no readable {F.METRICS}).", "Pass a run folder or id that `kerminal runs` lists.")
    status = liveness.live_status(meta, path)
    if status not in F.LIVE:
        epochs = int(meta.get("epochs", 0) or 0) if isinstance(meta.get("epochs", 0), int) else 0
        fix = f"Continue it with `kerminal train --resume {path.name} --epochs N`." if status != Status.FAILED else "Fix the cause in its message and train again."
        raise RunError(f"Run {path.name} is {status} ({epochs} epoch{'s' if epochs != 1 else ''} done): there is no live run to steer.", fix)
    channel = path / F.COMMANDS
    cid = f"{time.time_ns()}-{os.getpid()}"
    try:
        dfd = os.open(channel, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise RunError(f"Run {path.name} has no command folder ({channel}); it was not started by a kerminal that can be steered, or it was deleted.", "Stop it with Ctrl+C in its terminal, or kill its process.") from None
    except OSError as exc:
        raise RunError(f"Run {path.name}'s command folder {channel} is not a real folder ({exc.strerror or exc}).", "The folder was tampered with; only its owner can steer the run.") from None
    try:
        st = os.fstat(dfd)
        if st.st_uid != folder.st_uid:
            raise RunError(f"Run {path.name}'s command folder belongs to {safe.owner_name(st.st_uid)}, not to the run's owner.", "The folder was tampered with; only its owner can steer the run.")
        tmp, final = f".{cid}.tmp", f"{cid}.json"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dfd)
            if folder.st_uid != os.geteuid():
                os.fchown(fd, folder.st_uid, folder.st_gid)  # root with force: the run reads its owner's files only
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"id": cid, "command": command, "value": number}, fh)
            os.replace(tmp, final, src_dir_fd=dfd, dst_dir_fd=dfd)
        except PermissionError:
            raise RunError(f"Run {path.name}'s command folder is not writable by you (it belongs to {_owner(path)}).", "Only the run's owner can steer it.") from None
        except OSError as exc:
            raise RunError(f"Could not write the command to {channel}: {exc.strerror or exc}.", "Free some disk space and try again.") from None
    finally:
        os.close(dfd)
    return cid


def kill(run_dir: str | os.PathLike[str], force: bool = False) -> int:
    """End a run's process at once (SIGKILL), for a run that does not answer: a stopped or
    stalled process never reads its commands. Only a process on this machine that holds the
    run's lock, of a run that is the caller's; its finished epochs stay (every epoch is
    committed whole), and the run reads "interrupted". Returns the pid."""
    from engine.runs.lock import held

    path = Path(run_dir)
    safe.check_own_dir(path, force=force)
    meta = reader.read_meta(path) or {}
    pid = meta.get("pid")
    if meta.get("host") not in (None, liveness.HOST):
        raise RunError(f"Run {path.name} trains on {meta.get('host')}, not on this machine.", f"Run `kerminal stop {path.name} --kill` there.")
    if not held(path) or not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        raise RunError(f"Run {path.name} has no live process to end.", "`kerminal runs` shows its status.")
    try:
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            os.kill(pid, signal.SIGKILL)
    except PermissionError:
        raise RunError(f"Process {pid} of run {path.name} is not yours to end.", "Ask its owner.") from None
    return pid


def send(run_dir: str | os.PathLike[str], command: str, value: Any = None, wait: float = 10.0, force: bool = False) -> ev.Steered | None:
    """Post a command and wait up to `wait` seconds for the run's answer (a Steered event);
    None when it has not answered yet (it will act at its next batch). RunError when the run
    is not live, not the caller's, or ends without reading the command."""
    path = Path(run_dir)
    offset = (path / F.EVENTS).stat().st_size if (path / F.EVENTS).is_file() else 0
    cid = post(path, command, value, force)
    deadline = time.monotonic() + wait
    next_check = time.monotonic() + 1.0
    while True:
        found, offset = reader.read_events(path, offset)
        for event in found:
            if isinstance(event, ev.Steered) and event.id == cid:
                return event
        now = time.monotonic()
        if now >= next_check:
            next_check = now + 1.0
            meta = reader.read_meta(path)
            status = liveness.live_status(meta, path) if meta else Status.MISSING
            if status not in F.LIVE:
                with contextlib.suppress(OSError):  # taken meanwhile, or the folder is gone
                    (path / F.COMMANDS / f"{cid}.json").unlink()
                found, offset = reader.read_events(path, offset)  # its last sweep may have answered
                for event in found:
                    if isinstance(event, ev.Steered) and event.id == cid:
                        return event
                raise RunError(f"Run {path.name} ended ({status}) before it read the {command} command.", "Nothing was changed; `kerminal runs` shows how it ended.")
        if now >= deadline:
            return None
        time.sleep(0.05)


class Inbox:
    """The run's side of the channel: `take()` returns the commands waiting, oldest first,
    and deletes their files. Files not owned by the run's user, links and dot-files (a
    command being written) are ignored."""

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        self.path = Path(run_dir) / F.COMMANDS
        self.path.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.path, 0o700)
        self._uid = os.geteuid()

    def take(self) -> list[Command]:
        try:
            entries = sorted((e for e in os.scandir(self.path) if not e.name.startswith(".") and e.name.endswith(".json")), key=lambda e: e.name)
        except OSError:
            return []
        out = []
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
                if not entry.is_file(follow_symlinks=False) or st.st_uid != self._uid or st.st_size > 4096:
                    os.unlink(entry.path)
                    continue
                raw = json.loads(Path(entry.path).read_text(encoding="utf-8"))
                os.unlink(entry.path)
            except FileNotFoundError:
                continue
            except (OSError, ValueError) as exc:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                out.append(Command(entry.name.removesuffix(".json"), "?", None, f"unreadable command file ({exc})"))
                continue
            cid = str(raw.get("id", entry.name.removesuffix(".json"))) if isinstance(raw, dict) else entry.name
            try:
                name = str(raw.get("command"))
                out.append(Command(cid, name, check(name, raw.get("value"))))
            except (RunError, AttributeError) as exc:
                out.append(Command(cid, str(raw.get("command", "?")) if isinstance(raw, dict) else "?", None, str(exc)))
        return out
