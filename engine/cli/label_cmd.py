"""`kerminal rename RUN NAME`, `kerminal tag RUN TAG... [--remove]`, `kerminal note RUN TEXT`:
label a run so it can be told apart (engine.runs.labels; RUN/label.json, never metrics.json).

Only the run's owner labels it (root: with --force); a live run may be labelled too.
"""

from __future__ import annotations

import argparse
import json

from engine.runs.folder import runs_dir_default


def add_arguments(parser: argparse.ArgumentParser) -> None:
    name = parser.prog.split()[-1]
    parser.set_defaults(label=name)
    parser.add_argument("run", metavar="RUN", help="a run folder, or its id under --runs-dir")
    if name == "rename":
        parser.add_argument("name", metavar="NAME", help='the run\'s new name ("" goes back to the name derived from its experiment)')
    elif name == "tag":
        parser.add_argument("tags", metavar="TAG", nargs="+", help="one word each (spaces become -)")
        parser.add_argument("--remove", action="store_true", help="remove these tags instead of adding them")
    else:
        parser.add_argument("text", metavar="TEXT", help='the note ("" removes it)')
    parser.add_argument("--runs-dir", metavar="D", default=runs_dir_default(), help="where to look up a run id (default: ./runs, or $KERMINAL_RUNS_DIR)")
    parser.add_argument("--json", action="store_true", help="print the run's labels as one JSON object")
    parser.add_argument("--force", action="store_true", help="as root, label a run that belongs to another user")


def run(args: argparse.Namespace) -> int:
    from engine.runs import RunStore, labels
    from engine.terminal_text import printable

    store = RunStore(args.runs_dir)
    path = store.path_of(args.run)
    store.info(path)  # a kerminal run (RunError naming the folder otherwise)
    if args.label == "rename":
        label = labels.rename(path, args.name, force=args.force)
    elif args.label == "tag":
        label = labels.tag(path, args.tags, remove=args.remove, force=args.force)
    else:
        label = labels.set_note(path, args.text, force=args.force)
    info = store.info(path)
    if args.json:
        print(json.dumps({"run": info.id, "name": info.name, "note": label.note, "tags": label.tags}))
    else:
        tags = " ".join(f"#{t}" for t in label.tags)
        print(printable(f"{info.id}: {info.name}" + (f"  {tags}" if tags else "")))
        if label.note:
            print("  note: " + printable(label.note))
    return 0
