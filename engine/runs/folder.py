"""Run folders: what a training writes, and RunStore to list, load and delete them.

One folder per training under the runs folder (default `./runs`), named sortably
`YYYYmmdd-HHMMSS-<experiment name>`:

    experiment.toml   the experiment as trained (data paths made absolute, symlinks kept)
    history.csv       one row per finished epoch (1-based), written after the checkpoints
    best.keras        the best model so far on the monitored metric (vectorizer inside)
    last.keras        the model after the last good epoch (never one with a NaN loss)
    metrics.json      status, epochs, best metric, last metrics, class names, counts
    events.jsonl      every event, one JSON object per line, append-only (for watchers)
    log.txt           the same, as human lines
    data_format.json  how the loader read the data's tables (format, delimiter, header,
                      quoting, columns), written once: what an export reads them with

Crash consistency: metrics.json is the truth. At each epoch end the models are written in
full to temporary names (`.last.<epoch>.tmp.keras`, `.best.<epoch>.tmp.keras`), history.csv
is rewritten, metrics.json (epochs = that epoch, `pending` = those temporary names) is
written atomically, and only then are the temporary files renamed into place. A run killed
anywhere is set right by `recover()` (the continuing Trainer and RunStore.load call it): a
pending file named by metrics.json is complete and is moved into place, every other
temporary file is deleted, and history rows beyond metrics.json's epochs are dropped
(`read_history` ignores them too). Events are only appended. A partial epoch (a stop
mid-epoch) is never written. This module is TF-free until a model is loaded.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import RunError
from engine.experiment import Experiment, atomic_write_text
from engine.runs import safe
from engine.runs.labels import derived_name, read_label, true_preset
from engine.runs.status import LIVE as LIVE  # re-exported: folder.LIVE is what readers import
from engine.runs.status import RECORDED_LIVE, Status

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from engine.errors import TrainingError

EXPERIMENT = "experiment.toml"
HISTORY = "history.csv"
BEST = "best.keras"
LAST = "last.keras"
METRICS = "metrics.json"
EVENTS = "events.jsonl"
LOG = "log.txt"
COMMANDS = "commands"  # the steering channel: one JSON file per command (see commands.py)
PROCESS_LOG = "process.txt"  # a detached run's standard error (TensorFlow's logs, a crash)
DATA_FORMAT = "data_format.json"  # engine.data.table_format.record, written by RunWriter.data_format
FORMAT = 1  # metrics.json "kerminal_run" value
DEFAULT_RUNS_DIR = "runs"
# metrics.json's status while a process owns the run. A reader derives from it, the run's
# lock and its heartbeat (live_status): "interrupted" when no process holds the lock, "not
# responding" while one holds it but has not beaten for HEARTBEAT_STALE_S (stopped,
# swapped out, a paused machine): still live, never resumed by another process.
NOT_RESPONDING = Status.NOT_RESPONDING
HEARTBEAT_S = 2.0
HEARTBEAT_STALE_S = 15.0
HOST = socket.gethostname()  # metrics.json names the machine a run trains on
FOLDER_MODE = 0o755  # others may read (watch) a run, only its owner writes (steers) it


def runs_dir_default() -> str:
    """Where runs go unless told: $KERMINAL_RUNS_DIR, else ./runs (the CLI and the app alike)."""
    return os.environ.get("KERMINAL_RUNS_DIR", DEFAULT_RUNS_DIR)


def new_run_dir(root: Path, name: str, now: float | None = None) -> Path:
    """Create and return a fresh, sortably named run folder under root."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now if now is not None else time.time()))
    slug = run_slug(name)
    root.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        path = root / (f"{stamp}-{slug}" if n == 1 else f"{stamp}-{slug}-{n}")
        try:
            path.mkdir(mode=FOLDER_MODE)
            os.chmod(path, FOLDER_MODE)  # whatever the umask: never writable by others
            return path
        except FileExistsError:
            continue
    raise RunError(f"Could not create a new run folder in {root}.", "Delete old runs or pick another --runs-dir.")


def run_slug(name: str) -> str:
    """A readable folder name: Unicode letters and digits kept, anything else that is not
    `_ . -` (spaces, slashes, emoji, control characters) becomes "-"."""
    return re.sub(r"[^\w.-]+", "-", name).strip("-.") or "run"


def write_json_atomic(path: Path, data: Any, make_parents: bool = True) -> None:
    atomic_write_text(path, json.dumps(_finite(data), indent=2, sort_keys=False) + "\n", make_parents)


_passes: dict[str, int] = {}


def crash_point(name: str, epoch: int | None = None) -> None:
    """Test hook: KERMINAL_TEST_KILL_AT=<name>@<n> makes the process SIGKILL itself when it
    gets here in epoch n (or, where no epoch is given, the n-th time it gets here), so the
    crash-consistency tests can kill a run inside a save."""
    want = os.environ.get("KERMINAL_TEST_KILL_AT")
    if want and want.split("@")[0] == name:
        _passes[name] = _passes.get(name, 0) + 1
        if str(_passes[name] if epoch is None else epoch) == (want.split("@") + ["1"])[1]:
            import signal

            os.kill(os.getpid(), signal.SIGKILL)


def save_model(model: keras.Model, path: Path, epoch: int | None = None) -> None:
    """model.save(path); a full disk is a TrainingError naming `epoch` and the path, and a
    half-written file is removed."""
    try:
        model.save(path)
        crash_point("model_saved", epoch)
    except OSError as exc:
        Path(path).unlink(missing_ok=True)
        raise disk_error(exc, path, epoch) from None


def save_model_atomic(model: keras.Model, path: Path, epoch: int | None = None) -> None:
    """model.save to a temporary .keras name in the same folder, then os.replace."""
    tmp = path.with_name(f".{path.stem}.tmp.keras")
    save_model(model, tmp, epoch)
    os.replace(tmp, path)


def disk_error(exc: OSError, path: Path, epoch: int | None = None) -> TrainingError:
    """An OSError met while writing a run folder, as a TrainingError that names it."""
    from engine.errors import TrainingError

    what = f"epoch {epoch}" if epoch else "the run"
    if exc.errno == errno.ENOSPC:
        return TrainingError(f"No space left on device while saving {what} to {path}.", "Free some space, or train with --runs-dir on another disk; the finished epochs are kept in the run folder.")
    if exc.errno == errno.EDQUOT:
        return TrainingError(f"Disk quota exceeded while saving {what} to {path}.", "Free some space, or train with --runs-dir elsewhere; the finished epochs are kept in the run folder.")
    return TrainingError(f"Could not save {what} to {path}: {exc.strerror or exc}.", "Check that the runs folder is writable, or train with --runs-dir elsewhere; the finished epochs are kept.")


TEMP_GLOB = ".*.tmp*"  # .last.3.tmp.keras, .best.3.tmp.keras, .last.tmp.keras, .metrics.json.tmp ...


def temp_name(name: str, epoch: int) -> str:
    """The temporary name a checkpoint of `epoch` is written to before it is committed."""
    stem = name.split(".")[0]
    return f".{stem}.{epoch}.tmp.keras"


def write_history(path: Path, history: dict[str, list[float]], epochs: int) -> None:
    """history.csv (atomically): a header, then one row per epoch 1..epochs."""
    import csv
    import io

    keys = list(history)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["epoch", *keys])
    for i in range(epochs):
        w.writerow([i + 1, *(_cell(history[k], i) for k in keys)])
    atomic_write_text(path / HISTORY, buf.getvalue(), make_parents=False)


def set_epoch(history: dict[str, list[float]], epoch: int, metrics: dict[str, float]) -> None:
    """Put one epoch's metrics (1-based) into a per-metric history, in place: a metric
    missing from earlier epochs is NaN there, and an epoch seen again (a run continued after
    a kill) replaces the old row. The one place a history grows (run and watchers alike)."""
    for key, value in metrics.items():
        column = history.setdefault(key, [])
        if len(column) < epoch:
            column.extend([math.nan] * (epoch - len(column)))
        column[epoch - 1] = float(value) if value is not None else math.nan
    for column in history.values():
        del column[epoch:]


def _cell(column: list[float], i: int) -> str:
    v = column[i] if i < len(column) else math.nan
    return repr(float(v))


def commit(path: Path, pending: dict[str, str]) -> None:
    """Move each committed temporary file (named by metrics.json's `pending`) into place."""
    for final, tmp in pending.items():
        if final in (BEST, LAST) and (path / tmp).is_file() and not (path / tmp).is_symlink():
            os.replace(path / tmp, path / final)


def recover(path: str | os.PathLike[str], locked: bool = False) -> None:
    """Set a run folder right after a kill (see the module docstring). Never on a folder
    that a process is training: unless the caller holds the run's lock (`locked`), this
    takes it for the time of the repair, and leaves a folder whose lock is held untouched
    (a run that is only slow or stalled is not repaired under its feet)."""
    from engine.runs.lock import RunLock

    path = Path(path)
    lock = None
    if not locked:
        try:
            if os.lstat(path).st_uid != os.geteuid():
                return  # someone else's run: not ours to repair (its owner's next load does)
            lock = RunLock.acquire(path)
        except (OSError, RunError):
            return
    try:
        _repair(path)
    finally:
        if lock is not None:
            lock.release()


def _repair(path: Path) -> None:
    meta = read_meta(path)
    if meta is None:
        return
    pending = meta.get("pending") or {}
    if isinstance(pending, dict):
        commit(path, {str(k): str(v) for k, v in pending.items() if "/" not in str(v)})
    for stale in path.glob(TEMP_GLOB):
        if stale.is_file() and not stale.is_symlink():
            stale.unlink(missing_ok=True)
    try:
        epochs = int(meta.get("epochs", 0) or 0)
    except (TypeError, ValueError, OverflowError):
        return
    file = path / HISTORY
    try:
        text = safe.read_text(file, safe.HISTORY_CAP)
    except (OSError, ValueError):
        return
    lines = text.splitlines(keepends=True)
    if len(lines) > 1 + epochs:
        atomic_write_text(file, "".join(lines[: 1 + max(epochs, 0)]), make_parents=False)


def experiment_as_trained(exp: Experiment) -> Experiment:
    """A copy whose data paths are absolute (as the user wrote them, symlinks kept), so the
    run folder finds its data from anywhere."""
    return exp.rebased(None)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------
# Reading


def read_events(path: str | os.PathLike[str], start: int = 0) -> tuple[list[Any], int]:
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


def read_history(path: str | os.PathLike[str]) -> dict[str, list[float]]:
    """Per-epoch metrics of a run folder (from history.csv), as many epochs as metrics.json
    says are done (rows beyond them, left by a kill, are ignored). Cells that are not numbers
    read as NaN; rows after a malformed one are left out. Raises only OSError (UnsafeFile
    when history.csv is not a plain file or is over safe.HISTORY_CAP)."""
    import csv
    import io
    import itertools

    from engine.runs import safe

    try:
        text = safe.read_bytes(Path(path) / HISTORY, safe.HISTORY_CAP).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return {}
    epochs = (read_meta(path) or {}).get("epochs")
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
    # What the user called it (label.json), else a name derived from its experiment
    # ("SMSSpamCollection · LSTM(32) · lr 1e-3"), else the experiment's own name.
    note: str = ""
    tags: list[str] = field(default_factory=list)
    experiment_name: str = ""  # the experiment file's `name`, as recorded

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path)
        return _finite(d)


def missing_files(path: Path) -> list[str]:
    """What a complete run folder lacks (empty when it is complete); a link, a FIFO or a
    device in a file's place does not count as the file."""
    from engine.runs.damage import regular

    missing = [n for n in (EXPERIMENT, METRICS) if not regular(path / n)]
    if not regular(path / BEST) and not regular(path / LAST):
        missing.append(f"{BEST} or {LAST}")
    return missing


def read_info(path: Path) -> RunInfo:
    """RunInfo from a run folder's metrics.json; RunError if it is not a kerminal run, and
    DamagedRun (a RunError naming the file and the problem) if it is one that cannot be
    read: metrics.json a link, a FIFO, over its cap, not JSON, or a value of the wrong kind."""
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
    return RunInfo(
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
    if not raw:
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


def read_meta(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """metrics.json as a dict, or None when it is missing or not readable (yet), or not a
    plain file of a sane size (its values are not checked: see damage.check_meta)."""
    from engine.runs import safe

    try:
        raw = json.loads(safe.read_text(Path(path) / METRICS))
    except (OSError, ValueError, RecursionError):
        return None
    return raw if isinstance(raw, dict) else None


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid < 2**31:
        return True  # unknown (or nonsense): trust the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


