"""Reading a run folder: metrics.json (`read_meta`, `read_info` -> RunInfo), history.csv
(`read_history`), events.jsonl (`read_events`, followed by offset) and the data source in a
few words (`data_summary`). A run folder is hostile input: every file is read through safe.py
(no links, FIFOs or oversized files). TF-free.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import RunError
from engine.runs.folder import EVENTS, EXPERIMENT, FORMAT, HISTORY, METRICS, PROCESS_LOG, finite
from engine.runs.labels import derived_name, read_label, true_preset
from engine.runs.liveness import live_status
from engine.runs.status import Status

if TYPE_CHECKING:  # pragma: no cover
    from engine.runs.events import Event


def read_meta(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """metrics.json as a dict, or None when it is missing or not readable (yet), or not a
    plain file of a sane size (its values are not checked: see damage.check_meta)."""
    from engine.runs import safe

    try:
        raw = json.loads(safe.read_text(Path(path) / METRICS))
    except (OSError, ValueError, RecursionError):
        return None
    return raw if isinstance(raw, dict) else None


def read_events(path: str | os.PathLike[str], start: int = 0) -> tuple[list[Event], int]:
    """The events in a run folder's events.jsonl from byte offset `start`, and the offset to
    pass next time (a watcher polls with it). A partly written last line is left for later.
    At most safe.EVENTS_CHUNK bytes are read per call (a 200 MB log is followed in steps, in
    bounded memory); a line that is not a kerminal event (junk, a JSON list, an epoch that is
    text) or longer than safe.LINE_CAP is skipped. Raises only OSError (UnsafeFile when
    events.jsonl is a link, a FIFO or a device)."""
    from engine.runs import safe
    from engine.runs.events import from_dict

    try:
        fd = safe.open_regular(Path(path) / EVENTS)
    except FileNotFoundError:
        return [], start
    try:
        data = os.pread(fd, safe.EVENTS_CHUNK, max(start, 0))
    finally:
        os.close(fd)
    end = data.rfind(b"\n") + 1
    if not end:  # no whole line yet: wait, unless the line is already past the cap
        return [], start + (len(data) if len(data) > safe.LINE_CAP else 0)
    out = []
    for line in data[:end].split(b"\n"):
        if not line.strip() or len(line) > safe.LINE_CAP:
            continue
        try:
            out.append(from_dict(json.loads(line)))
        except (ValueError, TypeError, RecursionError):
            continue
    return out, start + end


def read_history(path: str | os.PathLike[str], meta: dict[str, Any] | None = None) -> dict[str, list[float]]:
    """Per-epoch metrics of a run folder (from history.csv), as many epochs as metrics.json
    says are done (rows beyond them, left by a kill, are ignored). Cells that are not numbers
    read as NaN; rows after a malformed one are left out. Raises only OSError (UnsafeFile
    when history.csv is not a plain file or is over safe.HISTORY_CAP). `meta`: metrics.json
    as the caller read it already (a listing reads each file once)."""
    import csv
    import io
    import itertools

    from engine.runs import safe

    try:
        text = safe.read_bytes(Path(path) / HISTORY, safe.HISTORY_CAP).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return {}
    epochs = (meta if meta is not None else read_meta(path) or {}).get("epochs")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        epochs = None
    out: dict[str, list[float]] = {}
    with contextlib.suppress(csv.Error):  # a malformed row (a NUL, an overlong field): the rows before it stand
        for row in itertools.islice(csv.DictReader(io.StringIO(text, newline="")), epochs):
            for k, v in row.items():
                if k != "epoch" and k is not None:
                    try:
                        out.setdefault(k, []).append(float(v))
                    except (TypeError, ValueError):
                        out.setdefault(k, []).append(math.nan)
    return out


@dataclass
class RunInfo:
    """One line of `kerminal runs`: read from metrics.json, no TensorFlow."""

    id: str
    path: Path
    name: str = ""
    preset: str = ""
    created: str = ""  # ISO local time
    status: str = ""  # starting | running | paused | finished | stopped | failed | interrupted (killed mid-run)
    epochs: int = 0  # whole epochs done
    target: int = 0  # the epoch a live run trains to (0: not known)
    message: str = ""  # why it ended (a failure, a stop, early stopping)
    phase: str = ""  # what a starting run is doing ("reading files 12,000/25,000")
    monitor: str = ""
    best_value: float | None = None
    best_epoch: int = 0
    metrics: dict[str, float] = field(default_factory=dict)  # the last epoch's
    class_names: list[str] = field(default_factory=list)
    data: str = ""  # the data source in a few words ("csv SMSSpamCollection"), from experiment.toml
    # `name` is what the user called it (label.json), else a name derived from its experiment
    # ("SMSSpamCollection · LSTM(32) · lr 1e-3"), else the experiment's own name.
    note: str = ""
    tags: list[str] = field(default_factory=list)
    experiment_name: str = ""  # the experiment file's `name`, as recorded

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path)
        return finite(d)


def read_info(path: Path) -> RunInfo:
    """RunInfo from a run folder's metrics.json; RunError if it is not a kerminal run, and
    DamagedRun (a RunError naming the file and the problem) if it is one that cannot be
    read: metrics.json a link, a FIFO, over its cap, not JSON, or a value of the wrong kind."""
    return read_info_meta(path)[0]


def read_info_meta(path: Path) -> tuple[RunInfo, dict[str, Any]]:
    """read_info, and metrics.json as checked (a listing reads the file once)."""
    from engine.runs import safe
    from engine.runs.damage import check_meta, damaged

    mpath = path / METRICS
    try:
        text = safe.read_text(mpath)
    except FileNotFoundError:
        raise RunError(f"{path} is not a kerminal run: it has no {METRICS}.", "Pass a folder that `kerminal runs` lists.") from None
    except safe.UnsafeFile as exc:
        raise damaged(mpath, f"cannot be read: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise damaged(mpath, f"is not readable ({exc})") from None
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise damaged(mpath, f"is not readable JSON ({str(exc)[:200]})") from None
    if isinstance(raw, dict) and raw.get("kerminal_run") != FORMAT:
        raise RunError(f"{path} is not a kerminal run: {METRICS} was not written by kerminal.", "Pass a folder that `kerminal runs` lists.")
    raw = check_meta(raw, mpath)
    best = raw.get("best") or {}
    status = live_status(raw, path)
    exp_raw = _experiment_raw(path / EXPERIMENT)
    label = read_label(path)
    info = RunInfo(
        id=path.name,
        path=path,
        name=label.name or derived_name(exp_raw) or str(raw.get("name", "")),
        preset=true_preset({**exp_raw, "preset": raw.get("preset")}),  # the recorded one, while the layers are its
        created=str(raw.get("created", "")),
        status=status,
        epochs=int(raw.get("epochs", 0)),
        target=int(raw.get("target", 0) or 0),
        message=str(raw.get("message", "") or "") or _never_started(raw, status),
        phase=str(raw["phase"])[:80] if status == Status.STARTING and isinstance(raw.get("phase"), str) else "",
        monitor=str(best.get("monitor", "")),
        best_value=best.get("value"),
        best_epoch=int(best.get("epoch") or 0),
        metrics={k: (math.nan if v is None else float(v)) for k, v in (raw.get("metrics") or {}).items()},
        class_names=[str(c) for c in raw.get("class_names", [])],
        data=_data_summary(exp_raw),
        note=label.note,
        tags=label.tags,
        experiment_name=str(raw.get("name", "")),
    )
    return info, raw


def _never_started(raw: dict[str, Any], status: str) -> str:
    """Why a run reads "failed" though its file says "starting": its process is gone."""
    if status == Status.FAILED and raw.get("status") == Status.STARTING:
        return f"its training process ended before training started; {PROCESS_LOG} in the run folder says why."
    return ""


def data_summary(path: Path) -> str:
    """A run's data source in a few words ("csv SMSSpamCollection", "sample", "keras imdb"),
    read leniently from its experiment.toml: "" when it cannot be read (a listing never fails;
    a link, a FIFO or an oversized file is not read at all)."""
    return _data_summary(_experiment_raw(path))


def _experiment_raw(path: Path) -> dict[str, Any]:
    """experiment.toml as parsed TOML, leniently: {} when it cannot be read."""
    import tomllib

    from engine.runs import safe

    try:
        return tomllib.loads(safe.read_text(path))
    except (OSError, ValueError, RecursionError):  # UnicodeDecodeError, TOMLDecodeError are ValueErrors
        return {}


def _data_summary(raw: dict[str, Any]) -> str:
    if not raw:  # unreadable: the source is unknown, not the default
        return ""
    data = raw.get("data") or {}
    if not isinstance(data, dict):
        return ""
    source = str(data.get("source", "sample"))[:40]
    where = Path(str(data.get("path") or "")).name or str(data.get("name") or "")
    files = data.get("files")
    if not where and isinstance(files, dict) and files:
        where = f"{len(files)} files"
    return f"{source} {where[:80]}".strip()
