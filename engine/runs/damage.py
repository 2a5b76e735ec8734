"""What makes a run folder damaged, checked before anything uses it.

A run folder may be shared, half-written by a kill, or edited by hand, so a reader never
trusts a value for its type: `check_meta` goes through metrics.json key by key (a string or
NaN where a count belongs, a list instead of an object, infinity, 1e400, 10**400, junk
nested in best/metrics/class_names) and `check_files` refuses a run file that is a link, a
FIFO, a device or a folder. Both raise DamagedRun, a RunError whose message names the file
and the problem, so `kerminal runs` and the app list the run as "damaged" with that reason
and `predict`, `eval` and `export` refuse it with it.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from typing import Any

from engine.errors import RunError
from engine.runs.status import Status

DAMAGED = Status.DAMAGED  # RunInfo.status of a run whose folder could not be read
MAX_EPOCHS = 1_000_000  # as many epochs as history.csv's cap holds; more is not a real run
MAX_PID = 2**22  # Linux's pid_max ceiling
FIX = "The run is damaged: delete it (`kerminal runs --delete ID`) or train it again."


class DamagedRun(RunError):
    """A kerminal run (its metrics.json says so) that cannot be read: a file that is not a
    plain file, unreadable JSON, or a value of the wrong kind."""


def damaged(file: Path, problem: str) -> DamagedRun:
    return DamagedRun(f"{file} {problem}.", FIX)


def check_meta(raw: Any, file: Path) -> dict[str, Any]:
    """metrics.json's dict when every value kerminal reads from it has the kind the writer
    gives it; DamagedRun naming the first one that does not."""
    if not isinstance(raw, dict):
        raise damaged(file, f"holds {_kind(raw)}, not a JSON object")
    for key in ("name", "preset", "created", "status"):
        _text(raw, key, file, nullable=False)
    _text(raw, "message", file)
    _count(raw, "epochs", file, MAX_EPOCHS, nullable=False)
    _count(raw, "target", file, MAX_EPOCHS)
    _count(raw, "pid", file, MAX_PID)
    _number(raw.get("heartbeat"), "heartbeat", file)
    best = raw.get("best")
    if best is not None:
        if not isinstance(best, dict):
            raise damaged(file, f"has 'best' that is {_kind(best)}, not an object")
        _text(best, "monitor", file, "best.monitor", nullable=False)
        _number(best.get("value"), "best.value", file)
        _count(best, "epoch", file, MAX_EPOCHS, "best.epoch")
    metrics = raw.get("metrics")
    if metrics is not None:
        if not isinstance(metrics, dict):
            raise damaged(file, f"has metrics that are {_kind(metrics)}, not an object")
        for name, value in metrics.items():
            _number(value, f"metrics.{name[:40]}", file)
    if "class_names" in raw:
        names = raw["class_names"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise damaged(file, f"has class_names that are {_kind(names)}, not a list of names")
    return raw


def check_files(path: Path, names: tuple[str, ...]) -> None:
    """DamagedRun for the first of `names` in the run folder that exists but is not a plain
    file (a link, a FIFO, a device, a folder): it is never opened."""
    for name in names:
        try:
            st = os.lstat(path / name)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise damaged(path / name, f"cannot be examined ({exc.strerror or exc})") from None
        if not stat.S_ISREG(st.st_mode):
            raise damaged(path / name, f"is {_file_kind(st.st_mode)}, not a plain file; kerminal does not open it")


def regular(file: Path) -> bool:
    """Whether `file` is a plain file (a link to one is not)."""
    try:
        return stat.S_ISREG(os.lstat(file).st_mode)
    except OSError:
        return False


def _text(raw: dict, key: str, file: Path, label: str = "", nullable: bool = True) -> None:
    """raw[key], if there, is text (or null, where the reader reads null as "")."""
    if key not in raw:
        return
    value = raw[key]
    if (value is not None or not nullable) and not isinstance(value, str):
        raise damaged(file, f"has {label or key!r} that is {_kind(value)}, not text")


def _count(raw: dict, key: str, file: Path, high: int, label: str = "", nullable: bool = True) -> None:
    """raw[key], if there, is a whole number from 0 to `high` (or null, where allowed)."""
    if key not in raw:
        return
    value = raw[key]
    if value is None and nullable:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise damaged(file, f"has {label or key!r} that is {_kind(value)}, not a whole number")
    if not 0 <= value <= high:
        raise damaged(file, f"has {label or key!r} out of range ({_short(value)}; 0 to {high:,} expected)")


def _number(value: Any, label: str, file: Path) -> None:
    """None (NaN as kerminal writes it), NaN (as another writer may: the metric was NaN,
    which export and the listing already say) or a finite number; never infinity or a
    number too large for a float (1e400, 10**400)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise damaged(file, f"has {label!r} that is {_kind(value)}, not a number")
    try:
        finite = math.isfinite(float(value))
    except OverflowError:
        finite = False
    if not finite and not (isinstance(value, float) and math.isnan(value)):
        raise damaged(file, f"has {label!r} that is not a finite number ({_short(value)})")


def _short(value: object) -> str:
    if isinstance(value, int) and abs(value) > 10**12:
        return f"a {len(str(abs(value)))}-digit number" if abs(value) < 10**4000 else "a huge number"
    return repr(value)[:40]


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"the text {value[:30]!r}"
    if isinstance(value, (int, float)):
        return f"the number {_short(value)}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a plain file"
