"""`kerminal train EXPERIMENT.toml [--epochs N] [--runs-dir D] [--json] [--detach] [--no-cache]`: train headless.
`kerminal train --resume RUN [--epochs N] [--detach]`: continue a saved run (N more epochs,
default the experiment's fit.epochs), in its own folder, from its last.keras.

With --detach the training runs as its own process in a new session (it survives the
terminal and SIGHUP): the run id is printed and the command returns at once; follow it with
`kerminal watch RUN`, steer it with `kerminal stop|pause|resume|lr|more RUN`.

The loaded data, the adapted vectorizer and the vectorized ids come from the prepared-data
cache when an earlier run on the same data and settings left them there (engine.prepared,
`kerminal cache`); --no-cache prepares them afresh and keeps nothing.

Prints a line per epoch (metrics, duration, ETA) and the run folder; with --json, one JSON
object per event instead. On a terminal, what the run does before its first batch
("starting: reading files 12,000/25,000") and the batch progress are shown on standard error. Ctrl+C stops at the end of the current batch, keeps what is saved
and exits 130 (a second Ctrl+C aborts at once). Exit 1 on bad input, with the message.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import sys
import threading
import time
from typing import Callable

from engine.progress import complete, step_of
from engine.runs.folder import runs_dir_default
from engine.runs.status import Status


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", metavar="EXPERIMENT.toml", nargs="?", help="the experiment file to train")
    parser.add_argument("--resume", metavar="RUN", help="continue this run (a folder, or an id under --runs-dir) instead of starting one")
    parser.add_argument("--epochs", type=int, metavar="N", help="epochs to train (default: the file's fit.epochs); with --resume, epochs to add (default: those left to the run's target)")
    parser.add_argument("--runs-dir", metavar="D", default=runs_dir_default(), help="where run folders go (default: ./runs, or $KERMINAL_RUNS_DIR)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per event (per line) instead of text")
    parser.add_argument("--detach", action="store_true", help="train in a background process that outlives the terminal; print the run id and return")
    parser.add_argument("--no-cache", action="store_true", help="prepare the data afresh: neither read nor write the prepared-data cache (`kerminal cache`)")
    parser.add_argument("--force", action="store_true", help="as root, continue a run folder that belongs to another user (never one that another process trains)")
    # how a detached process is started (engine.runs.launch): not for people
    parser.add_argument("--into", metavar="RUN_DIR", help=argparse.SUPPRESS)
    parser.add_argument("--handed-over", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--lock-fd", type=int, help=argparse.SUPPRESS)  # the run's lock, taken by the launcher
    parser.add_argument("--spare", type=int, metavar="FD", help=argparse.SUPPRESS)  # a warm spare waiting on FD for its run (engine.runs.spare)


def run(args: argparse.Namespace) -> int:
    from engine.errors import KerminalError, TrainingError
    from engine.experiment import load
    from engine.runs import events as ev
    from engine.training.control import TrainControl
    from engine.training.trainer import Trainer

    facts: dict = {}
    if args.spare is not None:
        from engine.cli import command_parser
        from engine.runs.spare import serve

        trial = serve(args.spare)
        if trial is None:  # no trial will come (the sweep ended, its driver is gone)
            return 0
        args, facts = command_parser("train").parse_intermixed_args(trial.argv), {"warm": trial.facts}
    if args.epochs is not None and args.epochs < 1:
        raise TrainingError(f"--epochs {args.epochs}: train at least 1 epoch.", "Pass --epochs 1 or more.")
    if args.into:
        return _train_into(args, facts)
    if bool(args.experiment) == bool(args.resume):
        raise TrainingError(
            "kerminal train needs either an experiment file or --resume RUN." if not args.experiment else "Pass an experiment file or --resume RUN, not both.",
            "Start a run with `kerminal train EXPERIMENT.toml`, or continue one with `kerminal train --resume RUN [--epochs N]`.",
        )
    if args.detach:
        return _detach(args)
    control = TrainControl()
    progress = not args.json and sys.stderr.isatty()
    state = {"progress_shown": False, "closed": False}

    def out(line: str) -> None:
        # Standard output closed early (`kerminal train x.toml | head -3`): stop at the end
        # of the batch like Ctrl+C, keeping every finished epoch, instead of failing the run.
        if state["closed"]:
            return
        try:
            print(line, flush=True)
        except (BrokenPipeError, ValueError):
            state["closed"] = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # later writes and the exit flush go nowhere
            os.close(devnull)
            control.stop("standard output was closed; stopped at the end of a batch.")

    def listener(event: ev.Event) -> None:
        if isinstance(event, ev.BatchEnd):
            if progress and not args.json:
                sys.stderr.write("\r" + ev.describe(event)[:120].ljust(120))
                sys.stderr.flush()
                state["progress_shown"] = True
            return
        if state["progress_shown"]:
            sys.stderr.write("\r" + " " * 120 + "\r")
            state["progress_shown"] = False
        if args.json:
            out(json.dumps(ev.to_dict(event)))
        elif not isinstance(event, ev.Failed):  # the error itself is printed by engine.cli
            out(ev.describe(event))

    phases = PhaseThrottle()

    def on_phase(doing: str) -> None:
        # What the run does before its first batch, on a terminal only (as the batch
        # progress): rewritten in place, then replaced by the first event's line.
        if progress and phases.due(doing):
            sys.stderr.write("\r" + f"starting: {doing}"[:120].ljust(120))
            sys.stderr.flush()
            state["progress_shown"] = True

    # Progress events at most twice a second, on a terminal or not: they also go to
    # events.jsonl, where watchers of this run read them.
    interval = 0.5
    if args.resume:
        from engine.runs import RunStore, launch
        from engine.runs.writer import RunWriter

        path = RunStore(args.runs_dir).path_of(args.resume)
        writer = RunWriter.inherit(path, args.lock_fd) if args.lock_fd is not None else None
        try:
            epochs = launch.left_to_train(path, args.epochs)  # before the data and model load
            trainer = Trainer.from_run(path, None, listener, control, interval, handed_over=args.handed_over, writer=writer, force=args.force, on_phase=on_phase, prepared=not args.no_cache)
            trainer.extra_callbacks[:0] = _sweep_callbacks(control, trainer.exp.fit.epochs)
        except KerminalError as exc:
            if args.handed_over and writer is not None:
                _give_back(writer, exc)
            raise
    else:
        from engine.prepared import PreparedCache

        exp = load(args.experiment)
        cache = PreparedCache(exp, enabled=not args.no_cache)
        trainer = Trainer(exp, cache.load_dataset(on_phase), args.runs_dir, listener, control, batch_interval=interval, on_phase=on_phase, prepared=cache)
        epochs = args.epochs
    result = _run_with_signals(trainer, epochs, control)
    if state["closed"]:
        return 141  # 128 + SIGPIPE, as engine.cli answers a closed pipe
    if result.status == Status.STOPPED:
        print(f"kerminal train: {result.message} {result.epochs} epochs kept in {result.run_dir}", file=sys.stderr)
        return 130
    if not args.json:
        out(f"run: {result.run_dir}")
    return 141 if state["closed"] else 0


class PhaseThrottle:
    """Which phases an attached `kerminal train` prints: every new step at once ("adapting
    the vectorizer"), a step's counts ("reading files 12,000/25,000") at most once a second."""

    def __init__(self, every_s: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.every_s, self.clock = every_s, clock
        self._last, self._at = "", -math.inf

    def due(self, doing: str) -> bool:
        now = self.clock()
        if doing == self._last or (step_of(doing) == step_of(self._last) and now - self._at < self.every_s and not complete(doing)):
            return False
        self._last, self._at = doing, now
        return True


def _run_with_signals(trainer, epochs, control):
    """trainer.run with Ctrl+C (first: stop at the batch end; second: abort) and SIGTERM
    (`kill`: stop at the batch end, keeping the finished epochs) turned into stops."""

    def on_sigint(signum, frame):
        control.stop("interrupted by Ctrl+C; stopped at the end of a batch.")
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def on_sigterm(signum, frame):
        control.stop("terminated (SIGTERM); stopped at the end of a batch.")

    if threading.current_thread() is not threading.main_thread():
        return trainer.run(epochs)
    previous = signal.signal(signal.SIGINT, on_sigint), signal.signal(signal.SIGTERM, on_sigterm)
    try:
        return trainer.run(epochs)
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])


def _detach(args: argparse.Namespace) -> int:
    """Start the training in its own process and print the run id at once."""
    from engine.experiment import load
    from engine.runs import RunStore, launch

    if args.resume:
        path = launch.resume(RunStore(args.runs_dir).path_of(args.resume), args.epochs, force=args.force, cache=not args.no_cache)
    else:
        exp = load(args.experiment)  # a bad file is said here, not in a background log
        path = launch.start(exp, args.runs_dir, args.epochs, cache=not args.no_cache)
    if args.json:
        print(json.dumps({"run": path.name, "path": str(path), "detached": True}), flush=True)
    else:
        print(path.name, flush=True)
        print(f"training in the background in {path}; follow it with `kerminal watch {path.name}`, stop it with `kerminal stop {path.name}`.", file=sys.stderr)
    return 0


def _sweep_callbacks(control, epochs: int) -> list:
    """A sweep's trial reports each epoch to its study (engine.sweeps.pruning), when the
    sweep's driver started this run; nothing otherwise (and optuna is not imported)."""
    if not os.environ.get("KERMINAL_SWEEP_TRIAL"):
        return []
    from engine.sweeps.pruning import callbacks

    return callbacks(control, epochs)


def _give_back(writer, exc) -> None:
    """A detached continuation that could not start: the run goes back to how it was, with
    the reason in its log (written while this process still holds the run's lock)."""
    from engine.runs import reader
    from engine.runs.events import Failed

    path = writer.path
    meta = reader.read_meta(path) or {}
    before = meta.get("before") or {}
    writer.event(Failed(str(path), int(meta.get("epochs", 0) or 0), f"could not continue: {exc}"))
    with contextlib.suppress(OSError):  # a full disk: the Failed event above still says why
        writer.metrics({**meta, "status": before.get("status", Status.STOPPED), "message": f"could not continue: {exc}"})
    writer.close()


def _train_into(args: argparse.Namespace, facts: dict) -> int:
    """The detached process of a new run: train the experiment a launcher put in RUN_DIR.
    A failure before training starts is recorded in the folder (no one sees this
    process's terminal). `facts`: added to the run's metrics.json (a warm spare's "warm")."""
    from pathlib import Path

    from engine.errors import KerminalError
    from engine.experiment import load
    from engine.prepared import PreparedCache
    from engine.runs import folder as F
    from engine.runs import reader
    from engine.runs.events import Failed
    from engine.runs.writer import RunWriter
    from engine.training.control import TrainControl
    from engine.training.trainer import Trainer

    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # belt and braces: a new session has no terminal
    path = Path(args.into)
    control = TrainControl()
    writer = RunWriter.inherit(path, args.lock_fd) if args.lock_fd is not None else RunWriter.take(path)
    try:
        writer.phase("reading the experiment")
        exp = load(path / F.EXPERIMENT)
        cache = PreparedCache(exp, enabled=not args.no_cache)
        trainer = Trainer(exp, cache.load_dataset(writer.phase), path.parent, None, control, batch_interval=0.5, run_dir=path, writer=writer, prepared=cache, callbacks=_sweep_callbacks(control, exp.fit.epochs))
        trainer.facts.update(facts)
        result = _run_with_signals(trainer, args.epochs, control)
    except KerminalError as exc:
        if not (path / F.EVENTS).is_file() or (reader.read_meta(path) or {}).get("status") == Status.STARTING:
            with contextlib.suppress(KerminalError):  # taken meanwhile: that process writes
                writer.hold()
            writer.event(Failed(str(path), 0, str(exc)))
            meta = reader.read_meta(path) or {"kerminal_run": F.FORMAT}
            with contextlib.suppress(OSError):  # a full disk: the Failed event says why
                writer.metrics({**meta, "status": Status.FAILED, "message": str(exc)})
        raise
    finally:
        writer.close()
    return 130 if result.status == Status.STOPPED else 0
