"""Start a training as its own process: a detached run that outlives the terminal.

`start(exp, runs_dir)` creates the run folder here (so its id is known at once), takes its
lock, writes its first record ("starting", through the same RunWriter), and runs `python -m
engine.cli train --into RUN` in a new session: no controlling terminal, so closing the
terminal (SIGHUP) or the app does not reach it. The lock's descriptor is handed to that
process (`--lock-fd`, RunWriter.hand_over) and closed here, so the new process owns the
folder from its first second and is its one writer: the launcher (the app, say) writes
nothing after the process starts, and holds nothing once it returns. Only a process that
could not be started is recorded here (failed, or a resumed run as it was). `resume(run_dir, epochs)` does the same for `train --resume`; a second resume of
the same run finds the lock taken and is refused. The process's standard error
(TensorFlow's native logs, a crash) goes to RUN/process.txt.

The process runs RUN_NICE steps below the launcher's priority (its own nice value and its
session's: see lower_priority): on a busy machine the
scheduler then gives the CPU to the app (keys, redraws) whenever it wants it, and to the run
the rest of the time, so an idle machine trains as fast as ever (issue 20: `?` took 1.15 s at
p95 while a run trained beside other work). TensorFlow keeps its thread counts: fewer threads
would slow every run, where the priority costs a run only what the app actually uses.
$KERMINAL_RUN_NICE changes the step (0: the launcher's own priority).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import RunError
from engine.experiment import Experiment
from engine.runs import folder as F
from engine.runs import liveness, reader, safe, saving
from engine.runs.status import Status
from engine.runs.writer import RunWriter

if TYPE_CHECKING:  # pragma: no cover
    from engine.runs.spare import Spare

RUN_NICE = 10  # a run's process, below the app that started it (see the module's doc)


def child_env(extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """A run's process environment: this one's, `extra_env` added."""
    env = {**os.environ, **(extra_env or {})}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # The child must import this same engine even when it runs from a checkout.
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _spawn(args: list[str], run_dir: Path, lock_fd: int, extra_env: dict[str, str] | None = None) -> int:
    try:
        with safe.open_append(run_dir / F.PROCESS_LOG, binary=True) as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "engine.cli", "train", *args, "--lock-fd", str(lock_fd)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                start_new_session=True, close_fds=True, pass_fds=(lock_fd,), env=child_env(extra_env), cwd=os.getcwd(),
            )
    except OSError as exc:
        raise RunError(f"Could not start the training process: {exc.strerror or exc}.", "Check that Python can run here (disk space, process limits) and try again.") from None
    lower_priority(proc.pid, run_nice())
    return proc.pid


def _spawn_or_hand(args: list[str], run_dir: Path, lock_fd: int, extra_env: dict[str, str] | None, spare: Spare | None) -> int:
    """The run's process: `spare` handed the run when it takes it, else a new one (_spawn)."""
    if spare is not None:
        pid = spare.hand(args, lock_fd, dict(extra_env or {}))
        if pid is not None:
            return pid
    return _spawn(args, run_dir, lock_fd, extra_env)


def run_nice() -> int:
    """How many steps below the launcher a run's process runs: $KERMINAL_RUN_NICE, else
    RUN_NICE (a value that is not a whole number from 0 to 19 reads as RUN_NICE)."""
    raw = os.environ.get("KERMINAL_RUN_NICE", "")
    return int(raw) if raw.isdigit() and int(raw) <= 19 else RUN_NICE


def lower_priority(pid: int, steps: int) -> None:
    """Run `pid` `steps` nice levels below this process (at most 19). Called as soon as the
    process exists, before its Python starts a thread: the threads TensorFlow starts later
    inherit it. A refusal leaves it at the launcher's priority (it trains all the same).

    The process leads a session of its own, and Linux's autogroup scheduling (on by default;
    `kernel.sched_autogroup_enabled`) shares the CPU between sessions first: a process's own
    nice value then ranks it only against the processes of its session, not against the app.
    So its session's nice value (/proc/PID/autogroup) is lowered by as many steps below the
    launcher's session; a launcher in no session group of its own (the kernel's default group,
    whose processes each count as one: a container's init, some CI) is one process at its own
    nice value, and the run's session is ranked below that. Without autogroup the value is
    kept but unused."""
    if steps <= 0:
        return
    own_nice = os.getpriority(os.PRIO_PROCESS, 0)
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, min(own_nice + steps, 19))
    if autogroup_nice(pid) is None:
        return  # no autogroups here (or the process is gone)
    own = autogroup_nice("self")
    base = own_nice if own is None else own
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(min(base + steps, 19)))


def autogroup_nice(pid: int | str) -> int | None:
    """The nice value of `pid`'s autogroup (its session's share of the CPU), None where the
    kernel has no autogroups or `pid` is in the default group (its file is empty then). The
    file reads "/autogroup-5431 nice 0"."""
    try:
        return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def start(exp: Experiment, runs_dir: str | os.PathLike[str], epochs: int | None = None, cache: bool = True, env: dict[str, str] | None = None, spare: Spare | None = None) -> Path:
    """A new detached run of `exp`; returns its folder at once. `cache` False: it prepares its
    data afresh (`kerminal train --no-cache`). `env`: variables added to the process's
    environment (a sweep's trial: engine.sweeps.pruning). `spare`: a warm process to run it
    (engine.runs.spare; a sweep's driver); one that does not take it (`spare.why_not`) is
    replaced by a new process as without one."""
    writer = RunWriter.create(runs_dir, exp)
    created = time.strftime("%Y-%m-%dT%H:%M:%S")
    meta = {"kerminal_run": F.FORMAT, "name": exp.name, "preset": exp.preset, "created": created, "status": Status.STARTING, "message": "", "epochs": 0, "target": int(epochs or exp.fit.epochs)}
    args = ["--into", str(writer.path), *(["--epochs", str(epochs)] if epochs else []), *([] if cache else ["--no-cache"])]
    try:
        writer.metrics(meta, pid=0)  # the started process writes its own pid
        writer.hand_over(lambda fd: _spawn_or_hand(args, writer.path, fd, env, spare))
    except (OSError, RunError) as exc:  # nothing was started: this writer still owns the run
        err = exc if isinstance(exc, RunError) else saving.disk_error(exc, writer.path / F.METRICS)
        with contextlib.suppress(OSError):  # a full disk: the error itself says why
            writer.metrics({**meta, "status": Status.FAILED, "message": str(err)})
        writer.close()
        raise err from None
    return writer.path


def epochs_to_resume(name: str, target: int, done: int, given: int | None) -> int:
    """The epochs `train --resume` trains: those given, else the ones left to the run's
    target (its experiment.toml's fit.epochs, which `more` raises). A run that reached its
    target is not given as many again unasked: that was a guess, and a long one."""
    if given is not None:
        return given
    if done >= target:
        raise RunError(f"Run {name} has trained all {target} epochs it was asked for.", f"Add more with `kerminal train --resume {name} --epochs N` (or `m` in the app).")
    return target - done


def left_to_train(path: Path, given: int | None) -> int | None:
    """epochs_to_resume for the run folder `path`, from its experiment.toml and metrics.
    None when the folder cannot say (not a run, live, no readable experiment): the caller's
    own checks then refuse it with their message."""
    from engine.errors import KerminalError
    from engine.runs.store import read_experiment

    if given is not None:
        return given
    meta = reader.read_meta(path)
    if meta is None or liveness.live_status(meta, path) in F.LIVE:
        return None
    try:
        target = read_experiment(path / F.EXPERIMENT).fit.epochs
    except KerminalError:
        return None
    return epochs_to_resume(path.name, target, int(meta.get("epochs", 0) or 0), None)


def resume(run_dir: str | os.PathLike[str], epochs: int | None = None, force: bool = False, cache: bool = True, env: dict[str, str] | None = None) -> Path:
    """Continue a saved run in a detached process; returns its folder at once. RunError when
    the run is live (another process trains it, or holds its lock) or not the caller's."""
    path = Path(run_dir)
    meta = reader.read_meta(path)
    if meta is None:
        raise RunError(f"{path} is not a kerminal run (no readable {F.METRICS}).", "Pass a run folder or id that `kerminal runs` lists.")
    status = liveness.live_status(meta, path)
    if status in F.LIVE:
        raise RunError(f"Run {path.name} is {status} right now.", f"Add epochs to it with `kerminal more {path.name} N`, or wait for it to end.")
    done = int(meta.get("epochs", 0) or 0)
    epochs = left_to_train(path, epochs)
    writer = RunWriter.take(path, force=force)
    before = {"status": status, "message": meta.get("message", "")}
    args = ["--resume", str(path), "--handed-over", *(["--epochs", str(epochs)] if epochs else []), *([] if cache else ["--no-cache"])]
    try:
        writer.metrics({**meta, "status": Status.STARTING, "before": before, "target": done + (epochs or 0)}, pid=0)
        writer.hand_over(lambda fd: _spawn(args, path, fd, env))
    except (OSError, RunError) as exc:  # nothing was started: put the run back as it was
        with contextlib.suppress(OSError):
            writer.metrics({**meta, **before})
        writer.close()
        raise exc if isinstance(exc, RunError) else saving.disk_error(exc, path / F.METRICS) from None
    return path

