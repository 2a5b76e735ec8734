"""`kerminal sweep EXP.toml --param PATH=SPEC ...`: search settings with Optuna, every trial
an ordinary run tagged `sweep:NAME` and `trial:N` (watch, stop, lr and compare work on it).

    kerminal sweep EXP.toml --param PATH=SPEC [--param ...] [--trials N] [--parallel K]
                   [--sampler tpe|random|grid] [--prune median|hyperband|none]
                   [--storage URL] [--name NAME] [--runs-dir D] [--detach] [--yes] [--keep-all] [--no-warm]
    kerminal sweep --status SWEEP [--json]       trial 7/20, the trials, the best, importances, size on disk
    kerminal sweep --resume SWEEP                continue a stopped or interrupted sweep
    kerminal sweep --join SWEEP --storage URL    pull trials of the same study from here
    kerminal stop SWEEP                          stop it (running trials finish their batch)

SPEC: a list `16,32,64` or `adam,rmsprop`, or a range `1e-4..1e-2:log` / `16..128:step=16`.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from engine.runs.folder import runs_dir_default


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", metavar="EXP.toml", nargs="?", help="the experiment to sweep")
    parser.add_argument("--param", action="append", default=[], metavar="PATH=SPEC", help="a setting to search: PATH=a,b,c or PATH=LOW..HIGH[:log|:step=X] (`kerminal settings` lists the paths; layers.N.PARAM too)")
    parser.add_argument("--trials", type=int, metavar="N", help="trials to run (default 20; a grid: all its points)")
    parser.add_argument("--parallel", type=int, metavar="K", help="trials at once on this machine (default 1; with --join or --resume: the sweep's)")
    parser.add_argument("--sampler", default="tpe", metavar="tpe|random|grid", help="how values are picked (default tpe)")
    parser.add_argument("--prune", default="median", metavar="median|hyperband|none", help="stop hopeless trials early (default median)")
    parser.add_argument("--storage", default="", metavar="URL", help="the study's storage: postgresql://... or a journal file on a shared filesystem (default: a journal in the sweep's folder)")
    parser.add_argument("--name", default="", metavar="NAME", help="the sweep's name (default: the experiment's name and the time)")
    parser.add_argument("--runs-dir", metavar="D", default=runs_dir_default(), help="where run folders go; the sweep's is D/sweeps/NAME (default: ./runs, or $KERMINAL_RUNS_DIR)")
    parser.add_argument("--detach", action="store_true", help="drive the sweep in a background process; print its name and return")
    parser.add_argument("--yes", action="store_true", help=f"run a grid over {10_000:,} trials")
    parser.add_argument("--keep-all", action="store_true", help="an ended trial keeps last.keras too (default: best.keras only, to bound the sweep's disk use)")
    parser.add_argument("--no-warm", action="store_true", help="start each trial's process when its trial comes (default: one warm process waits, TensorFlow imported, for the next trial)")
    parser.add_argument("--status", metavar="SWEEP", help="show a sweep's progress, trials and best")
    parser.add_argument("--resume", metavar="SWEEP", help="continue a stopped or interrupted sweep")
    parser.add_argument("--join", metavar="SWEEP", help="run trials of a sweep started elsewhere (with --storage)")
    parser.add_argument("--json", action="store_true", help="--status: print the status as one JSON object")


def run(args: argparse.Namespace) -> int:
    import engine.sweeps as sw

    warnings.filterwarnings("ignore", module="optuna")
    warnings.filterwarnings("ignore", message=".*[Hh]eartbeat.*")
    warnings.filterwarnings("ignore", message=".*experimental.*")
    modes = [m for m in ("status", "resume", "join") if getattr(args, m)]
    if len(modes) + bool(args.experiment) != 1:
        raise sw.SweepError("kerminal sweep needs one of: an experiment file, --status SWEEP, --resume SWEEP, --join SWEEP.", "Start one with `kerminal sweep EXP.toml --param PATH=SPEC`.")
    if args.status:
        return _status(sw.Sweep.open(args.status, args.runs_dir), args.json)
    if args.join:
        if not args.storage:
            raise sw.SweepError("--join needs the study's --storage.", "Pass the URL the sweep was started with, e.g. --storage postgresql://user@host/db.")
        sweep = sw.Sweep.join(args.join, args.storage, args.runs_dir)
        _parallel(sweep, args.parallel, args.keep_all, args.no_warm)
        print(f"joined sweep {sweep.name} ({sweep.status(importances=False).progress()}); running trials here until it is done.", flush=True)
        return _end(sw.drive(sweep, _say, main=False), sweep)
    if args.resume:
        sweep = sw.Sweep.open(args.resume, args.runs_dir)
        _parallel(sweep, args.parallel, args.keep_all, args.no_warm)
        if sweep.driver_state() == "running":
            raise sw.SweepError(f"Sweep {sweep.name} is being driven right now by another process.", f"Follow it with `kerminal sweep --status {sweep.name}`, or stop it with `kerminal stop {sweep.name}`.")
        (sweep.folder / "stop").unlink(missing_ok=True)
        if args.detach:
            return _detach(sweep)
        print(f"resuming sweep {sweep.name} ({sweep.status(importances=False).progress()}).", flush=True)
        return _end(sw.drive(sweep, _say), sweep)
    sweep = sw.Sweep.create(args.experiment, args.param, args.runs_dir, args.trials, args.parallel or 1, args.sampler, args.prune, args.storage, args.name, args.yes, args.keep_all, not args.no_warm)
    if args.detach:
        return _detach(sweep)
    print(f"sweep {sweep.name}: {sweep.config['trials']} trials, {sweep.config['parallel']} at once, {sweep.config['sampler']} sampler, {sweep.config['pruner']} pruner; folder {sweep.folder}", flush=True)
    return _end(sw.drive(sweep, _say), sweep)


def _parallel(sweep, parallel: int | None, keep_all: bool = False, no_warm: bool = False) -> None:
    """--parallel K (this machine's share), --keep-all and --no-warm with --join or --resume,
    for this process only."""
    import engine.sweeps as sw

    if keep_all:
        sweep.config["keep_all"] = True
    if no_warm:
        sweep.config["warm"] = False
    if parallel is not None:
        if parallel < 1:
            raise sw.SweepError("--parallel must be at least 1.", "Pass e.g. --parallel 2.")
        sweep.config["parallel"] = parallel


def _say(line: str) -> None:
    print(line, flush=True)


def _end(state: str, sweep) -> int:
    status = sweep.status()
    best = status.best
    print(f"sweep {sweep.name} {state}: {status.progress()}" + (f"; best trial {best.number}: {status.monitor} {best.value:.4g} ({_values(best.values)}), run {best.run}" if best and best.value is not None else ""), flush=True)
    if state == "stopped":
        print(f"continue it with `kerminal sweep --resume {sweep.name}`.", file=sys.stderr)
        return 130
    return 0


def _values(values: dict) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())


def _status(sweep, as_json: bool) -> int:
    status = sweep.status()
    if as_json:
        print(json.dumps(status.to_dict(), default=str))
        return 0
    print(f"sweep {status.name}: {status.progress()}, driver {status.driver}, storage {status.storage}, {_size(status.disk_bytes)} on disk" + (" (trials keep all their checkpoints: --keep-all)" if sweep.config.get("keep_all") else ""))
    paths = [p.path for p in sweep.space.params]
    header = ["trial", *paths, status.monitor, "epochs", "status", "time", "run"]
    rows = [[str(r.number), *(_cell(r.values.get(p)) for p in paths), _cell(r.value), str(r.epochs), r.state, f"{r.seconds:.0f}s" if r.seconds is not None else "", r.run] for r in status.rows]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if status.best is not None and status.best.value is not None:
        print(f"best so far: trial {status.best.number}, {status.monitor} {status.best.value:.4g} ({_values(status.best.values)}), run {status.best.run}")
    if status.importances:
        print("importances: " + ", ".join(f"{k} {v:.2f}" for k, v in status.importances.items()))
    return 0


def _size(n: int) -> str:
    from engine.memory import format_bytes

    return format_bytes(n)


def _cell(value) -> str:
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _detach(sweep) -> int:
    """Drive the sweep in its own process (a new session, like `train --detach`)."""
    from engine.sweeps import start_detached

    start_detached(sweep)
    print(sweep.name, flush=True)
    print(f"sweeping in the background ({sweep.folder}); follow it with `kerminal sweep --status {sweep.name}`, stop it with `kerminal stop {sweep.name}`.", file=sys.stderr)
    return 0
