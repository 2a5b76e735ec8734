"""Writing a run folder so that a kill anywhere leaves it right.

Crash consistency: metrics.json is the truth. At each epoch end the models are written in
full to temporary names (`.last.<epoch>.tmp.keras`, `.best.<epoch>.tmp.keras`), history.csv
is rewritten, metrics.json (epochs = that epoch, `pending` = those temporary names) is
written atomically, and only then are the temporary files renamed into place. A run killed
anywhere is set right by `recover()` (the continuing Trainer and RunStore.load call it): a
pending file named by metrics.json is complete and is moved into place, every other
temporary file is deleted, and history rows beyond metrics.json's epochs are dropped
(`read_history` ignores them too). Events are only appended. A partial epoch (a stop
mid-epoch) is never written. This module is TF-free: it saves models it is handed.
"""

from __future__ import annotations

import errno
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import RunError
from engine.experiment import atomic_write_text
from engine.runs import safe
from engine.runs.folder import BEST, HISTORY, LAST, TEMP_GLOB, finite
from engine.runs.reader import read_meta

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from engine.errors import TrainingError


def write_json_atomic(path: Path, data: object, make_parents: bool = True) -> None:
    atomic_write_text(path, json.dumps(finite(data), indent=2, sort_keys=False) + "\n", make_parents)


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
