"""`kerminal runs [--runs-dir D] [--json] [--delete ID]`: list (or delete) saved runs."""

from __future__ import annotations

import argparse
import json

from engine.runs.folder import runs_dir_default
from engine.runs.status import Status
from engine.terminal_text import printable


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs-dir", metavar="D", default=runs_dir_default(), help="the runs folder (default: ./runs)")
    parser.add_argument("--json", action="store_true", help="one JSON object per run")
    parser.add_argument("--delete", metavar="ID", help="delete this run folder (a live run only with --stop)")
    parser.add_argument("--stop", action="store_true", help="with --delete: stop a live run first, then delete it")
    parser.add_argument("--force", action="store_true", help="as root, delete a run that belongs to another user")


def format_table(infos) -> str:
    rows: list[tuple[str, ...]] = [("run", "name", "date", "status", "epochs", "best", "preset")]
    for r in infos:
        best = f"{r.monitor} {r.best_value:.4f} (epoch {r.best_epoch})" if r.best_value is not None else "-"
        date = r.created.replace("T", " ")[:16] or "-"
        # Every cell from the folder goes through printable: a folder name with a newline or
        # an ESC sequence must not add rows or reach the terminal.
        status = f"{r.status} ({r.phase})" if r.phase else r.status  # a starting run: what it is doing
        rows.append(tuple(printable(c) for c in (r.id, r.name[:48] or "-", date, status, str(r.epochs), best, r.preset or "-")))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def damaged_notes(infos) -> str:
    """One line per damaged run: its id and why it could not be read (control characters
    shown escaped, as the folder name may hold any)."""
    lines = [f"{r.id}: {r.message}" for r in infos if r.status == Status.DAMAGED]
    return "\n".join("".join(c if c.isprintable() else repr(c)[1:-1] for c in line) for line in lines)


def run(args: argparse.Namespace) -> int:
    from engine.runs import RunStore

    store = RunStore(args.runs_dir)
    if args.delete:
        path = store.delete(args.delete, stop=args.stop, force=args.force)
        print(json.dumps({"deleted": str(path)}) if args.json else f"deleted {path}")
        return 0
    infos = store.list()
    if args.json:
        for info in infos:
            print(json.dumps(info.to_dict()))
    elif not infos:
        print(f"no runs in {store.root} (train one with `kerminal train EXPERIMENT.toml`)")
    else:
        print(format_table(infos))
        notes = damaged_notes(infos)
        if notes:
            print("\ndamaged (not readable; `kerminal runs --delete ID` removes one):\n" + notes)
    return 0
