"""Start a training as its own process: a detached run that outlives the terminal.

`start(exp, runs_dir)` creates the run folder here (so its id is known at once), marks it
"starting" with the new process's pid, and runs `python -m engine.cli train --into RUN` in a
new session: no controlling terminal, so closing the terminal (SIGHUP) or the app does not
reach it. `resume(run_dir, epochs)` does the same for `train --resume`. The process's
standard error (TensorFlow's native logs, a crash) goes to RUN/process.txt.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from engine.errors import RunError
from engine.experiment import Experiment
from engine.runs import folder as F
from engine.runs.writer import RunWriter


def _spawn(args: list[str], run_dir: Path) -> int:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # The child must import this same engine even when it runs from a checkout.
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        with open(run_dir / F.PROCESS_LOG, "ab") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "engine.cli", "train", *args],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                start_new_session=True, close_fds=True, env=env, cwd=os.getcwd(),
            )
    except OSError as exc:
        raise RunError(f"Could not start the training process: {exc.strerror or exc}.", "Check that Python can run here (disk space, process limits) and try again.") from None
    return proc.pid


def start(exp: Experiment, runs_dir: str | os.PathLike[str], epochs: int | None = None) -> Path:
    """A new detached run of `exp`; returns its folder at once."""
    writer = RunWriter.create(runs_dir, exp)
    created = time.strftime("%Y-%m-%dT%H:%M:%S")
    meta = {"kerminal_run": F.FORMAT, "name": exp.name, "preset": exp.preset, "created": created, "status": "starting", "message": "", "epochs": 0, "target": int(epochs or exp.fit.epochs)}
    try:
        writer.metrics(meta, pid=0)
    except OSError as exc:
        raise F.disk_error(exc, writer.path / F.METRICS) from None
    pid = _spawn(["--into", str(writer.path), *(["--epochs", str(epochs)] if epochs else [])], writer.path)
    writer.metrics(meta, pid=pid)
    return writer.path


def resume(run_dir: str | os.PathLike[str], epochs: int | None = None) -> Path:
    """Continue a saved run in a detached process; returns its folder at once. RunError when
    the run is live (another process trains it)."""
    path = Path(run_dir)
    meta = F.read_meta(path)
    if meta is None:
        raise RunError(f"{path} is not a kerminal run (no readable {F.METRICS}).", "Pass a run folder or id that `kerminal runs` lists.")
    status = F.live_status(meta)
    if status in F.LIVE:
        raise RunError(f"Run {path.name} is {status} right now.", f"Add epochs to it with `kerminal more {path.name} N`, or wait for it to end.")
    writer = RunWriter(path)
    before = {"status": status, "message": meta.get("message", "")}
    pid = _spawn(["--resume", str(path), "--handed-over", *(["--epochs", str(epochs)] if epochs else [])], path)
    writer.metrics({**meta, "status": "starting", "before": before, "target": int(meta.get("epochs", 0) or 0) + int(epochs or 0)}, pid=pid)
    return path
