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
import pwd
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import RunError
from engine.runs import events as ev
from engine.runs import folder as F

NAMES = ("stop", "pause", "resume", "lr", "more")


@dataclass(frozen=True)
class Command:
    id: str
    command: str
    value: float | None = None
    problem: str = ""  # set when the file could not be read as a command


def check(command: str, value: Any = None) -> float | None:
    """The command's value, checked; RunError naming the fix otherwise."""
    if command not in NAMES:
        raise RunError(f"Unknown steering command {command!r}.", f"Use one of: {', '.join(NAMES)}.")
    if command == "lr":
        try:
            lr = float(value)
        except (TypeError, ValueError):
            raise RunError(f"Learning rate {value!r} is not a number.", "Pass a positive number, e.g. `kerminal lr RUN 3e-4`.") from None
        if not math.isfinite(lr) or lr <= 0:
            raise RunError(f"Learning rate {value!r} must be a positive, finite number.", "Pass e.g. 1e-3 or 3e-4.")
        return lr
    if command == "more":
        try:
            n = int(value)
        except (TypeError, ValueError):
            raise RunError(f"Epoch count {value!r} is not a whole number.", "Pass how many epochs to add, e.g. `kerminal more RUN 5`.") from None
        if n < 1 or n > 1_000_000:
            raise RunError(f"Epoch count {n} is out of range.", "Add between 1 and 1,000,000 epochs.")
        return float(n)
    return None


def _owner(path: Path) -> str:
    uid = path.stat().st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def post(run_dir: str | os.PathLike[str], command: str, value: Any = None) -> str:
    """Put a command in a live run's channel and return its id (without waiting for the
    answer). RunError when the run is not live, or not the caller's."""
    path = Path(run_dir)
    number = check(command, value)
    meta = F.read_meta(path)
    if meta is None:
        raise RunError(f"{path} is not a kerminal run (no readable {F.METRICS}).", "Pass a run folder or id that `kerminal runs` lists.")
    status = F.live_status(meta, path)
    if status not in F.LIVE:
        epochs = int(meta.get("epochs", 0) or 0)
        fix = f"Continue it with `kerminal train --resume {path.name} --epochs N`." if status != "failed" else "Fix the cause in its message and train again."
        raise RunError(f"Run {path.name} is {status} ({epochs} epoch{'s' if epochs != 1 else ''} done): there is no live run to steer.", fix)
    channel = path / F.COMMANDS
    if os.geteuid() != 0 and path.stat().st_uid != os.geteuid():
        raise RunError(f"Run {path.name} belongs to {_owner(path)}: only its owner can steer it.", "Ask its owner, or train your own run.")
    cid = f"{time.time_ns()}-{os.getpid()}"
    tmp = channel / f".{cid}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"id": cid, "command": command, "value": number}, fh)
        os.replace(tmp, channel / f"{cid}.json")
    except PermissionError:
        raise RunError(f"Run {path.name}'s command folder is not writable by you (it belongs to {_owner(path)}).", "Only the run's owner can steer it.") from None
    except FileNotFoundError:
        raise RunError(f"Run {path.name} has no command folder ({channel}); it was not started by a kerminal that can be steered, or it was deleted.", "Stop it with Ctrl+C in its terminal, or kill its process.") from None
    except OSError as exc:
        raise RunError(f"Could not write the command to {channel}: {exc.strerror or exc}.", "Free some disk space and try again.") from None
    return cid


def send(run_dir: str | os.PathLike[str], command: str, value: Any = None, wait: float = 10.0) -> ev.Steered | None:
    """Post a command and wait up to `wait` seconds for the run's answer (a Steered event);
    None when it has not answered yet (it will act at its next batch). RunError when the run
    is not live, not the caller's, or ends without reading the command."""
    path = Path(run_dir)
    offset = (path / F.EVENTS).stat().st_size if (path / F.EVENTS).is_file() else 0
    cid = post(path, command, value)
    deadline = time.monotonic() + wait
    next_check = time.monotonic() + 1.0
    while True:
        found, offset = F.read_events(path, offset)
        for event in found:
            if isinstance(event, ev.Steered) and event.id == cid:
                return event
        now = time.monotonic()
        if now >= next_check:
            next_check = now + 1.0
            meta = F.read_meta(path)
            status = F.live_status(meta, path) if meta else "missing"
            if status not in F.LIVE:
                with contextlib.suppress(OSError):  # taken meanwhile, or the folder is gone
                    (path / F.COMMANDS / f"{cid}.json").unlink()
                found, offset = F.read_events(path, offset)  # its last sweep may have answered
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
