"""`kerminal presets [--json] [--save NAME FILE]`: the built-in presets, or one written to a file."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON list instead of a table")
    parser.add_argument("--save", nargs=2, metavar=("NAME", "FILE"), help="write preset NAME as the experiment file FILE")


def run(args: argparse.Namespace) -> int:
    from engine.layers.presets import list_presets, save_preset

    if args.save:
        name, path = args.save
        written = save_preset(name, path)
        print(f"Wrote preset {name} to {written}")
        return 0
    infos = list_presets()
    if args.json:
        print(json.dumps([i.to_dict() for i in infos]))
        return 0
    width = max(len(i.name) for i in infos)
    pw = max(len(f"{i.params:,}") for i in infos)
    print(f"{'preset'.ljust(width)}  {'params'.rjust(pw)}  description")
    for i in infos:
        print(f"{i.name.ljust(width)}  {f'{i.params:,}'.rjust(pw)}  {i.description}")
    return 0
