"""`kerminal train EXPERIMENT.toml [--epochs N] [--runs-dir D] [--json]`: train headless.
`kerminal train --resume RUN [--epochs N]`: continue a saved run (N more epochs, default the
experiment's fit.epochs), in its own folder, from its last.keras.

Prints a line per epoch (metrics, duration, ETA) and the run folder; with --json, one JSON
object per event instead. Ctrl+C stops at the end of the current batch, keeps what is saved
and exits 130 (a second Ctrl+C aborts at once). Exit 1 on bad input, with the message.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from engine.runs.folder import runs_dir_default


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", metavar="EXPERIMENT.toml", nargs="?", help="the experiment file to train")
    parser.add_argument("--resume", metavar="RUN", help="continue this run (a folder, or an id under --runs-dir) instead of starting one")
    parser.add_argument("--epochs", type=int, metavar="N", help="epochs to train (default: the file's fit.epochs); with --resume, epochs to add")
    parser.add_argument("--runs-dir", metavar="D", default=runs_dir_default(), help="where run folders go (default: ./runs, or $KERMINAL_RUNS_DIR)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per event (per line) instead of text")


def run(args: argparse.Namespace) -> int:
    from engine.data import load_dataset
    from engine.errors import TrainingError
    from engine.experiment import load
    from engine.runs import events as ev
    from engine.training.control import TrainControl
    from engine.training.trainer import Trainer

    if args.epochs is not None and args.epochs < 1:
        raise TrainingError(f"--epochs {args.epochs}: train at least 1 epoch.", "Pass --epochs 1 or more.")
    if bool(args.experiment) == bool(args.resume):
        raise TrainingError(
            "kerminal train needs either an experiment file or --resume RUN." if not args.experiment else "Pass an experiment file or --resume RUN, not both.",
            "Start a run with `kerminal train EXPERIMENT.toml`, or continue one with `kerminal train --resume RUN [--epochs N]`.",
        )
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
            if progress:
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

    def on_sigint(signum, frame):  # first Ctrl+C: stop at the batch end; second: abort
        control.stop("interrupted by Ctrl+C; stopped at the end of a batch.")
        signal.signal(signal.SIGINT, signal.default_int_handler)

    interval = 0.5 if progress else -1.0
    if args.resume:
        from engine.runs import RunStore

        trainer = Trainer.from_run(RunStore(args.runs_dir).path_of(args.resume), None, listener, control, interval)
    else:
        exp = load(args.experiment)
        trainer = Trainer(exp, load_dataset(exp), args.runs_dir, listener, control, batch_interval=interval)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_sigint) if main_thread else None
    try:
        result = trainer.run(args.epochs)
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)
    if state["closed"]:
        return 141  # 128 + SIGPIPE, as engine.cli answers a closed pipe
    if result.status == "stopped":
        print(f"kerminal train: {result.message} {result.epochs} epochs kept in {result.run_dir}", file=sys.stderr)
        return 130
    if not args.json:
        out(f"run: {result.run_dir}")
    return 141 if state["closed"] else 0
