"""`kerminal watch RUN [--json]`: follow a live or finished run from its folder.

One line per epoch (with its probes), the answers to steering commands, and on a terminal a
progress line that is rewritten in place; plain lines when the output is a file or a pipe.
It ends when the run does: exit 0 when it finished or was stopped, 1 when it failed, was
interrupted (its process is gone) or its folder was deleted. Ctrl+C stops watching, not the
run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from engine.runs.folder import runs_dir_default
from engine.runs.status import Status
from engine.terminal_text import printable

POLL_S = 0.25


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="a run folder, or its id under --runs-dir")
    parser.add_argument("--runs-dir", metavar="D", default=runs_dir_default(), help="where to look up a run id (default: ./runs, or $KERMINAL_RUNS_DIR)")
    parser.add_argument("--json", action="store_true", help="one JSON object per event instead of text")


def probe_lines(probes: list) -> list[str]:
    out = []
    for sentence, probabilities in probes:
        best = max(probabilities, key=probabilities.get) if probabilities else "-"
        out.append(printable(f"  probe {sentence[:60]!r}: {best} {probabilities.get(best, 0.0):.2f}" if probabilities else f"  probe {sentence[:60]!r}: -"))
    return out


def progress_line(p) -> str:
    from engine.runs.eta import format_eta

    if p.status == Status.PAUSED:
        return f"paused at epoch {p.epoch} step {p.step}/{p.steps} (kerminal resume RUN)"
    if p.status == Status.NOT_RESPONDING:
        return f"not responding at epoch {p.epoch} step {p.step}/{p.steps} (no heartbeat; kerminal stop RUN --kill ends it)"
    if not p.epoch:
        return f"starting ({printable(p.phase) or 'loading data, building the model'})…"
    return f"epoch {p.epoch}/{p.target} step {p.step}/{p.steps} · {format_eta(p.eta_s)}"


def run(args: argparse.Namespace) -> int:
    from engine.errors import RunError
    from engine.runs import RunStore
    from engine.runs import events as ev
    from engine.runs.watcher import RunWatcher

    path = RunStore(args.runs_dir).path_of(args.run)
    watcher = RunWatcher(path)
    tty = not args.json and sys.stderr.isatty()
    shown = ""

    def say(line: str) -> None:
        nonlocal shown
        if shown:
            sys.stderr.write("\r" + " " * len(shown) + "\r")
            shown = ""
        print(line, flush=True)

    try:
        while True:
            for event in watcher.poll():
                if isinstance(event, ev.BatchEnd):
                    continue
                if args.json:
                    say(json.dumps(ev.to_dict(event)))
                    continue
                say(ev.describe(event))
                if isinstance(event, ev.EpochEnd) and event.probes:
                    for line in probe_lines(event.probes):
                        say(line)
            p = watcher.progress
            if not p.live and not watcher.behind:  # an ended run's log is still read to its end
                break
            if tty:
                line = progress_line(p)[:120]
                if line != shown:
                    sys.stderr.write("\r" + line.ljust(len(shown)))
                    sys.stderr.flush()
                    shown = line
            if not watcher.behind:  # a long log is read chunk after chunk without waiting
                time.sleep(POLL_S)
    except KeyboardInterrupt:
        name = printable(path.name)
        say(f"stopped watching; run {name} goes on (`kerminal stop {name}` stops it).")
        return 130
    p = watcher.progress
    if p.status in (Status.FINISHED, Status.STOPPED):
        return 0
    if p.status == Status.FAILED:
        return 1
    name = printable(path.name)
    raise RunError(f"Run {name} is {p.status}: {printable(p.message)}", f"Continue it with `kerminal train --resume {name}`." if p.status == Status.INTERRUPTED else "`kerminal runs` lists the runs.")
