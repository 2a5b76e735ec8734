"""The runs folder's summary cache, RUNS/.kerminal-index.json: what a listing read from each
ended run, so that the app opened on 500 runs stats 2,000 files instead of reading and
parsing them (issue 20: the Runs pane's first frame under half a second).

An entry stands for its run only while each file it was read from (metrics.json,
history.csv, experiment.toml, label.json) has the same mtime, size and inode, or is still
missing, and only for a run no process owns (a live run's status comes from its lock, read
every time). The file is a convenience, never a source: written atomically (a temporary
file, then a rename) and only into a runs folder the caller owns; read only as a plain file
of the caller's (no link, FIFO or another user's file) under a cap; ignored whole when it is
damaged or of another format, and entry by entry when an entry does not hold what RunInfo
holds. TF-free.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from engine.errors import KerminalError
from engine.runs import safe
from engine.runs.folder import EXPERIMENT, HISTORY, METRICS
from engine.runs.labels import LABEL
from engine.runs.reader import RunInfo

INDEX = ".kerminal-index.json"
FORMAT = 1  # bump when what a summary holds, or how it is read, changes
INDEX_CAP = safe.HISTORY_CAP
STAMPED = (METRICS, HISTORY, EXPERIMENT, LABEL)  # what a summary is read from

Stamp = tuple[tuple[int, int, int] | None, ...]


def stamp(run: Path) -> Stamp | None:
    """The (mtime, size, inode) of each file a summary is read from (None: missing); None
    when the run has no metrics.json."""
    out: list[tuple[int, int, int] | None] = []
    for name in STAMPED:
        try:
            st = os.lstat(run / name)
        except FileNotFoundError:
            if name == METRICS:
                return None
            out.append(None)
            continue
        except OSError:
            return None
        out.append((st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(out)


def _version() -> list[str]:
    """The format and RunInfo's fields: a cache written by another kerminal is not read."""
    return [str(FORMAT), *(f.name for f in fields(RunInfo))]


def load(root: Path) -> dict[str, dict[str, Any]]:
    """The entries of root's cache by run id ({} when there is none, or none to trust)."""
    try:
        fd = safe.open_regular(root / INDEX)
    except OSError:
        return {}
    try:
        if os.fstat(fd).st_uid != os.geteuid():  # another user's file says nothing about runs
            return {}
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            data = fh.read(INDEX_CAP + 1)
    except OSError:
        return {}
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > INDEX_CAP:
        return {}
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(raw, dict) or raw.get("kerminal_index") != _version() or not isinstance(raw.get("runs"), dict):
        return {}
    return {k: v for k, v in raw["runs"].items() if isinstance(v, dict)}


def save(root: Path, entries: dict[str, dict[str, Any]]) -> None:
    """Write root's cache (atomically), when root is a real folder of the caller's; a failure
    (a full disk, a read-only folder) leaves the listing as it was, only slower next time."""
    from engine.experiment import atomic_write_text

    try:
        safe.check_own_dir(root, "runs folder")
        atomic_write_text(root / INDEX, json.dumps({"kerminal_index": _version(), "runs": entries}, separators=(",", ":")), make_parents=False)
    except (OSError, KerminalError):
        return


def entry(st: Stamp, info: RunInfo, best: dict[str, float], best_epoch: dict[str, int], seconds: float | None) -> dict[str, Any]:
    info_d = {f.name: getattr(info, f.name) for f in fields(RunInfo) if f.name not in ("id", "path")}  # asdict deep-copies: 5x slower
    return {"stamp": [list(s) if s else None for s in st], "info": info_d, "best": best, "best_epoch": best_epoch, "seconds": seconds}


def read_entry(run: Path, st: Stamp, raw: dict[str, Any]) -> tuple[RunInfo, dict[str, float], dict[str, int], float | None] | None:
    """The summary an entry holds for the run folder `run`, if its stamp is `st` and every
    value has its field's type; None otherwise."""
    with contextlib.suppress(TypeError, ValueError, KeyError, AttributeError):
        if tuple(tuple(s) if s is not None else None for s in raw["stamp"]) != st:
            return None
        info_d, best, best_epoch, seconds = raw["info"], raw["best"], raw["best_epoch"], raw["seconds"]
        if not (_ok("dict[str, float]", best) and _ok("dict[str, int]", best_epoch) and _ok("float | None", seconds)):
            return None
        values = {}
        for f in fields(RunInfo):
            if f.name in ("id", "path"):
                continue
            if not _ok(str(f.type), info_d[f.name]):
                return None
            values[f.name] = info_d[f.name]
        return RunInfo(id=run.name, path=run, **values), best, best_epoch, seconds
    return None


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_CHECKS = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float | None": lambda v: v is None or _number(v),
    "list[str]": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "dict[str, float]": lambda v: isinstance(v, dict) and all(_number(x) for x in v.values()),
    "dict[str, int]": lambda v: isinstance(v, dict) and all(isinstance(x, int) and not isinstance(x, bool) for x in v.values()),
}


def _ok(kind: str, value: Any) -> bool:
    """Whether `value` has the declared type `kind` (an annotation this module does not
    know fails: a new RunInfo field of a new kind is read from the run, never trusted)."""
    check = _CHECKS.get(kind)
    return check is not None and bool(check(value))
