"""Run folders: the layout of what a training writes, and its names.

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

How it is written so that a kill never leaves it wrong is saving.py; how it is read,
reader.py; whether a process still owns it, liveness.py. JSON in a run folder holds no NaN
or infinity (`finite`). This module is TF-free.
"""

from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path
from typing import Any

from engine.errors import RunError
from engine.experiment import Experiment
from engine.runs.status import LIVE as LIVE  # re-exported: folder.LIVE is what readers import

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
FOLDER_MODE = 0o755  # others may read (watch) a run, only its owner writes (steers) it
TEMP_GLOB = ".*.tmp*"  # .last.3.tmp.keras, .best.3.tmp.keras, .last.tmp.keras, .metrics.json.tmp ...


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


def temp_name(name: str, epoch: int) -> str:
    """The temporary name a checkpoint of `epoch` is written to before it is committed."""
    stem = name.split(".")[0]
    return f".{stem}.{epoch}.tmp.keras"


def experiment_as_trained(exp: Experiment) -> Experiment:
    """A copy whose data paths are absolute (as the user wrote them, symlinks kept), so the
    run folder finds its data from anywhere."""
    return exp.rebased(None)


def finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def missing_files(path: Path) -> list[str]:
    """What a complete run folder lacks (empty when it is complete); a link, a FIFO or a
    device in a file's place does not count as the file."""
    from engine.runs.damage import regular

    missing = [n for n in (EXPERIMENT, METRICS) if not regular(path / n)]
    if not regular(path / BEST) and not regular(path / LAST):
        missing.append(f"{BEST} or {LAST}")
    return missing
