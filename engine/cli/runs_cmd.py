"""`kerminal runs [--runs-dir D] [--sort FIELD [--desc]] [--filter EXPR] [--group PATH]
[--json | --csv] [--delete ID]`: list (or delete) saved runs; the filter and the sort are
engine.runs.query's, the grouping engine.runs.grouping's (as the Runs pane's `g`)."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from engine.runs.folder import runs_dir_default
from engine.runs.grouping import Group, check_group, group_runs
from engine.runs.query import Filter, QueryError, RunIndex, Summary, check_field, differing_paths, format_value, parse_filter, sort_runs
from engine.runs.status import Status
from engine.terminal_text import printable


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs-dir", metavar="D", default=runs_dir_default(), help="the runs folder (default: ./runs)")
    parser.add_argument("--sort", metavar="FIELD", help="order by best.METRIC, epochs, time, date, name, status or a setting's path (lowest first)")
    parser.add_argument("--desc", action="store_true", help="with --sort: highest first")
    parser.add_argument("--filter", metavar="EXPR", default="", help="only the runs where every term holds: e.g. 'compile.learning_rate<0.01 vectorize.kind=ngrams best.val_accuracy>0.85 status=finished' (= != < <= > >= ~)")
    parser.add_argument("--group", metavar="PATH", help="group the runs by a setting's path, layers.N.PARAM, status, tags, name, experiment, data or preset (a heading per value; --json and --csv give each run its group)")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON object per run")
    out.add_argument("--csv", action="store_true", help="CSV: one row per run, each metric's best and the settings that differ among the runs")
    parser.add_argument("--delete", metavar="ID", help="delete this run folder (a live run only with --stop)")
    parser.add_argument("--stop", action="store_true", help="with --delete: stop a live run first, then delete it")
    parser.add_argument("--force", action="store_true", help="as root, delete a run that belongs to another user")


def format_table(infos, extra: dict[str, list[str]] | None = None, headings: dict[int, str] | None = None) -> str:
    """The listing; `extra`: more columns, {header: one cell per run} (the sort's field,
    the filter's settings); `headings`: {row: a line before that run's row} (the groups)."""
    extra = extra or {}
    rows: list[tuple[str, ...]] = [("run", "name", "date", "status", "epochs", "best", "preset", *extra)]
    for n, r in enumerate(infos):
        best = f"{r.monitor} {r.best_value:.4f} (epoch {r.best_epoch})" if r.best_value is not None else "-"
        date = r.created.replace("T", " ")[:16] or "-"
        # Every cell from the folder goes through printable: a folder name with a newline or
        # an ESC sequence must not add rows or reach the terminal.
        status = f"{r.status} ({r.phase})" if r.phase else r.status  # a starting run: what it is doing
        rows.append(tuple(printable(c) for c in (r.id, r.name[:48] or "-", date, status, str(r.epochs), best, r.preset or "-", *(cells[n] for cells in extra.values()))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    for n in sorted(headings or {}, reverse=True):  # from the end, so each row number still holds
        lines[n + 1 : n + 1] = [*([""] if n else []), printable((headings or {})[n])]
    return "\n".join(lines)


def damaged_notes(infos) -> str:
    """One line per damaged run: its id and why it could not be read (control characters
    shown escaped, as the folder name may hold any)."""
    lines = [f"{r.id}: {r.message}" for r in infos if r.status == Status.DAMAGED]
    return "\n".join("".join(c if c.isprintable() else repr(c)[1:-1] for c in line) for line in lines)


def shown_fields(runs: list[Summary], sort: str | None, wanted: Filter | None) -> dict[str, list[str]]:
    """The columns the table adds: the sort's field and the filter's fields, where the table
    does not show them already."""
    names = [*([sort] if sort else []), *(t.name for t in (wanted.terms if wanted else ()))]
    shown = ("id", "date", "status", "epochs", "preset")
    names = [n for n in dict.fromkeys(names) if n not in shown]
    return {n: [format_value(r.value(n)) for r in runs] for n in names}


def as_dict(r: Summary) -> dict:
    """A run as `--json` prints it: RunInfo's fields, each metric's best (value and epoch)
    and the training time in seconds."""
    from math import isfinite

    best = {m: {"value": v if isfinite(v) else None, "epoch": r.best_epoch.get(m)} for m, v in r.best.items()}
    return {**r.info.to_dict(), "best_metrics": best, "seconds": r.seconds}


def write_csv(runs: list[Summary], out, groups: dict[str, str] | None = None) -> None:
    """One row per run: its fields, each metric's best value, then the settings that differ
    among the runs (a run whose experiment cannot be read: those cells empty); `groups`:
    {run id: its group's value}, a first column "group"."""
    metrics = sorted({m for r in runs for m in r.best})
    settings = differing_paths(runs)
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*(["group"] if groups is not None else []), "run", "name", "date", "status", "epochs", "seconds", *(f"best.{m}" for m in metrics), *settings])
    for r in runs:
        i = r.info
        cells = [*([groups.get(i.id, "")] if groups is not None else []), i.id, i.name, i.created, i.status, i.epochs, "" if r.seconds is None else f"{r.seconds:g}"]
        cells += [f"{r.best[m]:.6g}" if m in r.best else "" for m in metrics]
        cells += ["" if r.experiment is None else format_value(r.value(p)) for p in settings]
        w.writerow([printable(str(c)) for c in cells])  # a folder name may hold anything


def _bad_filter(exc: QueryError, as_json: bool, flag: str = "--filter") -> int:
    from engine.cli import EXIT_BAD_INPUT, error_object

    lines = [f"kerminal runs: {flag}: {exc.problem}", *exc.pointer().splitlines(), exc.fix]
    print("\n".join(printable(line) for line in lines), file=sys.stderr)
    if as_json:
        print(json.dumps({**error_object(exc), "column": exc.column}))
    return EXIT_BAD_INPUT


def _headings(groups: list[Group], path: str | None, sort: str | None) -> dict[int, str]:
    """{row: the group's heading} before each group's first run: the best of the sort's
    metric, or of the monitor the runs share."""
    if not path:
        return {}
    monitors = {r.info.monitor for g in groups for r in g.runs if r.info.monitor}
    metric = sort[5:] if sort and sort.startswith("best.") else monitors.pop() if len(monitors) == 1 else ""
    out, row = {}, 0
    for g in groups:
        out[row] = g.heading(path, metric)
        row += len(g.runs)
    return out


def _json_value(value):
    """A group's value as JSON holds it (a layer parameter may be anything)."""
    return value if value is None or isinstance(value, (bool, int, float, str)) else format_value(value)


def run(args: argparse.Namespace) -> int:
    from engine.runs import RunStore

    store = RunStore(args.runs_dir)
    if args.delete:
        path = store.delete(args.delete, stop=args.stop, force=args.force)
        print(json.dumps({"deleted": str(path)}) if args.json else f"deleted {path}")
        return 0
    runs = RunIndex(store.root).list()
    wanted = None
    if args.filter.strip():
        try:
            wanted = parse_filter(args.filter, metrics={m for r in runs for m in r.best})
        except QueryError as exc:
            return _bad_filter(exc, args.json)
        runs = wanted.apply(runs)
    if args.sort:
        try:
            check_field(args.sort, metrics={m for r in runs for m in r.best})
        except QueryError as exc:
            return _bad_filter(exc, args.json, "--sort")
        runs = sort_runs(runs, args.sort, desc=args.desc)
    groups: list[Group] = []
    if args.group:
        try:
            check_group(args.group, metrics={m for r in runs for m in r.best})
        except QueryError as exc:
            return _bad_filter(exc, args.json, "--group")
        groups = group_runs(runs, args.group)
        runs = [r for g in groups for r in g.runs]
    group_of = {r.id: g for g in groups for r in g.runs}
    infos = [r.info for r in runs]
    if args.json:
        for r in runs:
            group = {"group": {"by": args.group, "value": _json_value(group_of[r.id].value)}} if args.group else {}
            print(json.dumps({**as_dict(r), **group}))
    elif args.csv:
        write_csv(runs, sys.stdout, {r.id: group_of[r.id].text for r in runs} if args.group else None)
    elif not infos and args.filter.strip():
        print(f"no runs in {store.root} match {args.filter!r}")
    elif not infos:
        print(f"no runs in {store.root} (train one with `kerminal train EXPERIMENT.toml`)")
    else:
        print(format_table(infos, shown_fields(runs, args.sort, wanted), _headings(groups, args.group, args.sort)))
        notes = damaged_notes(infos)
        if notes:
            print("\ndamaged (not readable; `kerminal runs --delete ID` removes one):\n" + notes)
    return 0
