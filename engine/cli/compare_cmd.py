"""`kerminal compare RUN RUN... [--json | --csv] [--examples N] [--probes] [--plot FILE.svg|.png
[--x time] [--smooth W] [--log-y]]`: the settings that differ among runs, each run's best
metrics and training time, the layers that changed, how often the first run and each other
one disagree on the validation examples (engine.runs.compare, engine.training.disagree;
`--no-disagree` skips loading the models), and with --probes the probe sentences scored by
every run side by side (engine.training.probe_answers). The plot's options are the compare
view's (engine.runs.curves).

Runs are named A, B, C ... in the order given; the first is the one the others are set
against (layers, disagreements). --json prints one JSON object; --csv one row per setting,
metric and count (section, key, then one column per run).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from engine.runs.curves import X_KINDS
from engine.runs.folder import runs_dir_default


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", metavar="RUN", nargs="+", help="two or more run folders, or run ids under --runs-dir")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    out.add_argument("--csv", action="store_true", help="print it as CSV: section, key, one column per run")
    parser.add_argument("--examples", type=int, default=0, metavar="N", help="print up to N examples the runs disagree on, most confident first")
    parser.add_argument("--no-disagree", action="store_true", help="do not load the models to compare their answers (no TensorFlow: instant)")
    parser.add_argument("--plot", metavar="FILE", help="write the runs' curves, one line per run and one panel per metric, to FILE.svg (or .png with matplotlib)")
    parser.add_argument("--x", choices=X_KINDS, default="epoch", help="the plot's x axis: epoch, or time (each epoch's training time, added up; runs with no times fall back to epochs)")
    parser.add_argument("--smooth", type=float, default=0.0, metavar="W", help="smooth the plotted lines with an exponential moving average of weight W (0 <= W < 1, e.g. 0.6; the best values stay raw)")
    parser.add_argument("--log-y", action="store_true", help="plot y on a log scale (refused when a value is 0 or below)")
    parser.add_argument("--probes", action="store_true", help="score the runs' probe sentences (and each --probe) with every run's best model, side by side")
    parser.add_argument("--probe", action="append", default=[], metavar="TEXT", help="a sentence to score with every run (implies --probes; may be given again)")
    parser.add_argument("--runs-dir", metavar="D", default=runs_dir_default(), help="where to look up a run id (default: ./runs, or $KERMINAL_RUNS_DIR)")


def letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"R{i + 1}"


def run(args: argparse.Namespace) -> int:
    from engine.runs.compare import compare

    if args.examples < 0:
        from engine.cli import UsageError

        raise UsageError(f"--examples {args.examples}: the number of examples must be 0 or more.", "Give a number such as --examples 10.")
    if not 0.0 <= args.smooth < 1.0:
        from engine.cli import UsageError

        raise UsageError(f"--smooth {args.smooth:g}: the weight must be 0 or more and below 1.", "Give a weight such as --smooth 0.6 (0: no smoothing).")
    quiet = args.json or args.csv

    def phase(doing: str) -> None:
        if not quiet and sys.stderr.isatty():
            print(f"\r\x1b[K{doing}", end="", file=sys.stderr, flush=True)

    result = compare(args.runs, args.runs_dir)
    if not args.no_disagree:
        from engine.training.disagree import add_disagreements

        add_disagreements(result, examples=args.examples, on_phase=phase)
    table = None
    if args.probes or args.probe:
        from engine.training.probe_answers import probe_sentences, probe_table

        table = probe_table(result.runs, probe_sentences(result.runs, args.probe), on_phase=phase)
    if not quiet and sys.stderr.isatty():
        print("\r\x1b[K", end="", file=sys.stderr, flush=True)
    note = ""
    if args.plot:
        from engine.cli.compare_plot import LABEL_MAX, picture, write_plot
        from engine.runs.curves import CurveOptions
        from engine.runs.short_names import tell_apart
        from engine.terminal_text import printable

        names = tell_apart([printable(r.name or r.id) for r in result.runs], LABEL_MAX)
        pic, axis = picture([f"{letter(i)} {name}" for i, name in enumerate(names)], result.runs, CurveOptions(args.x, args.smooth, args.log_y))
        write_plot(args.plot, pic)
        note = axis.note
    if args.json:
        out = result.to_dict()
        if table is not None:
            out["probes"] = table.to_dict()
        print(json.dumps(out))
    elif args.csv:
        csv.writer(sys.stdout, lineterminator="\n").writerows(csv_rows(result) + (probe_rows(table, result) if table is not None else []))
    else:
        print(format_text(result, args.examples))
        if table is not None:
            print("\n" + format_probes(table, result))
    if args.plot and not args.json:
        print(f"wrote {args.plot}" + (f" ({note})" if note else ""), file=sys.stderr if args.csv else sys.stdout)
    return 0


def _answer(table, run_id: str, i: int) -> str:
    answers = table.answers.get(run_id)
    return f"{answers[i].label} {answers[i].prob:.2f}" if answers else "-"


def probe_rows(table, result) -> list[list[str]]:
    """CSV: one row per sentence (section probe), each run's answer and its probability."""
    return [["probe", s, *(_answer(table, r.id, i) for r in result.runs)] for i, s in enumerate(table.sentences)]


def format_probes(table, result) -> str:
    from engine.terminal_text import printable

    names = {r.id: letter(i) for i, r in enumerate(result.runs)}
    if not table.sentences:
        return "probes: none (the runs' experiments have no probe sentences; --probe TEXT scores one)"
    out = ["probes (each run's answer and its probability):"]
    if table.classes_note:
        out.append(f"  {printable(table.classes_note)}")
    out.append(_table([["probe", *names.values()]] + [[s[:60], *(_answer(table, r.id, i) for r in result.runs)] for i, s in enumerate(table.sentences)]))
    out += [f"  {names[i]} cannot answer: {printable(why)}" for i, why in table.problems.items()]
    return "\n".join(out)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        from engine.runs.labels import short_float

        return short_float(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def csv_rows(result) -> list[list[str]]:
    rows = [["section", "key", *(r.id for r in result.runs)]]
    rows.append(["run", "name", *(r.name for r in result.runs)])
    rows.append(["run", "epochs", *(str(r.epochs) for r in result.runs)])
    rows.append(["run", "time_s", *("" if r.time_s is None else f"{r.time_s:.1f}" for r in result.runs)])
    for s in result.settings:
        rows.append(["setting", s.path, *("" if v is None else _cell(v) for v in s.values)])
    for m in result.metrics():
        rows.append(["best", m, *(f"{r.best[m].value:.6g}" if m in r.best else "" for r in result.runs)])
        rows.append(["best_epoch", m, *(str(r.best[m].epoch) if m in r.best else "" for r in result.runs)])
    ids = [r.id for r in result.runs]
    for d in result.disagreements:
        # each run's column: the examples it got right and the other run wrong
        pair = f"{d.a} vs {d.b}"
        if d.reason:
            rows.append(["disagree_reason", pair, *(d.reason if i in (d.a, d.b) else "" for i in ids)])
            continue
        rows.append(["disagree_total", pair, *(str(d.total) if i in (d.a, d.b) else "" for i in ids)])
        rows.append(["disagree_right_only", pair, *({d.a: str(d.a_only), d.b: str(d.b_only)}.get(i, "") for i in ids)])
    return rows


def _table(rows: list[list[str]], indent: str = "  ") -> str:
    from engine.terminal_text import printable

    rows = [[printable(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def format_text(result, examples: int = 0) -> str:
    from engine.runs.eta import format_duration
    from engine.terminal_text import printable

    names = {r.id: letter(i) for i, r in enumerate(result.runs)}
    heads = [names[r.id] for r in result.runs]
    out = ["runs:", _table([[names[r.id], r.id, r.name or "-", r.status, f"{r.epochs} epochs", format_duration(r.time_s) if r.time_s is not None else "-"] for r in result.runs])]
    out.append("")
    if result.settings:
        out.append("settings that differ:")
        out.append(_table([["setting", *heads]] + [[s.path, *(_cell(v) for v in s.values)] for s in result.settings]))
    else:
        out.append("settings that differ: none")
    metrics = result.metrics()
    out.append("")
    if metrics:
        out.append("best (epoch):")
        out.append(_table([["metric", *heads]] + [[m, *(f"{r.best[m].value:.4f} ({r.best[m].epoch})" if m in r.best else "-" for r in result.runs)] for m in metrics]))
    else:
        out.append("best: no run has a finished epoch")
    if len(result.runs) > 1:
        out.append("")
        if result.layers:
            out.append(f"layers against {heads[0]}:")
            for c in result.layers:
                what = {"added": f"+ {c.after} ({_params(c.params_after)})", "removed": f"- {c.before} ({_params(c.params_before)})"}.get(c.kind, f"~ {c.before} ({_params(c.params_before)}) -> {c.after} ({_params(c.params_after)})")
                out.append(f"  {names[c.run]}: {printable(what)}")
        else:
            out.append("layers: the same in every run")
    for d in result.disagreements:
        out.append("")
        a, b = names[d.a], names[d.b]
        if d.reason:
            out.append(f"disagreement {a} vs {b}: not compared: {printable(d.reason)}")
            continue
        out.append(f"disagreement {a} vs {b} on {d.total:,} {d.split} examples: {a} right and {b} wrong {d.a_only:,}, {b} right and {a} wrong {d.b_only:,}")
        for e in d.examples[:examples]:
            out.append(f"  [{printable(e.label)}] {a}: {printable(e.a_label)} {e.a_prob:.2f}  {b}: {printable(e.b_label)} {e.b_prob:.2f}  {printable(e.text[:160])}")
    if result.notes:
        out.append("")
        out += [f"note: {printable(n)}" for n in result.notes]
    return "\n".join(out)


def _params(n: int | None) -> str:
    return "? params" if n is None else f"{n:,} params"
