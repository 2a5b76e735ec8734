"""`kerminal presets [--json] [--save NAME FILE|DIR [--force]]`: the built-in presets, or one
written as an experiment file (into DIR as DIR/NAME.toml; an existing file only with --force)."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object per preset (JSON Lines) instead of a table")
    parser.add_argument("--save", nargs=2, metavar=("NAME", "FILE"), help="write preset NAME as the experiment file FILE (a folder: FILE/NAME.toml)")
    parser.add_argument("--force", action="store_true", help="with --save: overwrite an existing file")


def run(args: argparse.Namespace) -> int:
    from engine.layers.presets import list_presets, save_preset

    if args.save:
        name, path = args.save
        written = save_preset(name, path, overwrite=args.force)
        print(json.dumps({"preset": name, "path": str(written)}) if args.json else f"Wrote preset {name} to {written}")
        return 0
    infos = list_presets()
    if args.json:
        for i in infos:
            print(json.dumps(i.to_dict()))
        return 0
    width = max(len(i.name) for i in infos)
    pw = max(len(f"{i.params:,}") for i in infos)
    print(f"{'preset'.ljust(width)}  {'params'.rjust(pw)}  description")
    for i in infos:
        print(f"{i.name.ljust(width)}  {f'{i.params:,}'.rjust(pw)}  {i.description}")
    return 0
