"""`kerminal stop|pause|resume RUN` (stop: a sweep's name too), `kerminal lr RUN VALUE`, `kerminal more RUN N`: steer
a live run through its folder (see engine.runs.commands), and print its answer.

Exit 0 when the run acted, 1 when it refused or is not live (the message says why and what
to do instead). Only the run's owner can steer it (root: with --force). A run that is "not
responding" (its process holds the run but has not beaten for a while: stopped, swapped
out, a paused machine) gets the command when it wakes; `kerminal stop RUN --kill` ends its
process at once instead, keeping every finished epoch.
"""

from __future__ import annotations

import argparse
import json

from engine.runs.folder import runs_dir_default

VALUES = {"lr": ("VALUE", "the new learning rate, e.g. 3e-4"), "more": ("N", "how many epochs to add")}
WAIT_S = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    name = parser.prog.split()[-1]
    parser.set_defaults(steer=name)
    parser.add_argument("run", metavar="RUN", help="a live run's folder, or its id under --runs-dir")
    if name in VALUES:
        metavar, help_text = VALUES[name]
        parser.add_argument("value", metavar=metavar, help=help_text)
    parser.add_argument("--runs-dir", metavar="D", default=runs_dir_default(), help="where to look up a run id (default: ./runs, or $KERMINAL_RUNS_DIR)")
    parser.add_argument("--json", action="store_true", help="print the run's answer as one JSON object")
    parser.add_argument("--force", action="store_true", help="as root, steer a run that belongs to another user")
    if name == "stop":
        parser.add_argument("--kill", action="store_true", help="end the run's process now (SIGKILL), for a run that does not answer; its finished epochs are kept")


def run(args: argparse.Namespace) -> int:
    from engine.errors import RunError
    from engine.runs import RunStore, commands, liveness, reader
    from engine.runs import events as ev

    if args.steer == "stop" and _is_sweep(args.run, args.runs_dir):
        return _stop_sweep(args)
    path = RunStore(args.runs_dir).path_of(args.run)
    if getattr(args, "kill", False):
        pid = commands.kill(path, force=args.force)
        line = f"run {path.name}: ended its process {pid}; its finished epochs are kept. Continue it with `kerminal train --resume {path.name}`."
        print(json.dumps({"run": path.name, "command": "kill", "pid": pid}) if args.json else line)
        return 0
    meta = reader.read_meta(path) or {}
    asleep = liveness.live_status(meta, path) == liveness.NOT_RESPONDING
    answer = commands.send(path, args.steer, getattr(args, "value", None), wait=2.0 if asleep else WAIT_S, force=args.force)
    if answer is None:
        if asleep:
            line = f"sent {args.steer} to run {path.name}, which is not responding (no heartbeat for over {liveness.HEARTBEAT_STALE_S:.0f} s: stopped, swapped out or its machine paused); it acts when the process wakes."
            fix = f" `kerminal stop {path.name} --kill` ends it now." if args.steer == "stop" else ""
            print(json.dumps({"run": path.name, "command": args.steer, "answered": False, "responding": False}) if args.json else line + fix)
            return 0
        line = f"sent {args.steer} to run {path.name}; it has not answered in {WAIT_S:.0f} s (it acts at its next batch)."
        print(json.dumps({"run": path.name, "command": args.steer, "answered": False}) if args.json else line)
        return 0
    if not answer.ok:
        raise RunError(f"Run {path.name} refused {args.steer}: {answer.message}", "`kerminal watch RUN` shows what the run is doing.")
    print(json.dumps({"run": path.name, **ev.to_dict(answer)}) if args.json else f"run {path.name}: {answer.message}")
    return 0


def _is_sweep(name: str, runs_dir: str) -> bool:
    from engine.sweeps.sweep import CONFIG, sweeps_dir

    return "/" not in name and (sweeps_dir(runs_dir) / name / CONFIG).is_file()


def _stop_sweep(args: argparse.Namespace) -> int:
    """`kerminal stop SWEEP`: its driver asks no more trials and ends once its running
    trials, told to stop here, have finished their batch."""
    from engine.sweeps import Sweep

    sweep = Sweep.open(args.run, args.runs_dir)
    told = sweep.request_stop()
    trials = f"told its {len(told)} running trial{'s' if len(told) != 1 else ''} to stop at the end of their batch" if told else "no trial was running"
    line = f"sweep {sweep.name}: stopping; {trials}. Continue it with `kerminal sweep --resume {sweep.name}`."
    print(json.dumps({"sweep": sweep.name, "command": "stop", "runs": told}) if args.json else line)
    return 0
