"""`kerminal settings [--json]`: every setting of the experiment file, with its type, default,
choices or range, help and when it applies; from the declarations in engine.config."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object per setting (JSON Lines) instead of a list")


def run(args: argparse.Namespace) -> int:
    from engine.spec import SETTINGS, describe

    rows = [describe(s) for s in SETTINGS]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    for row in rows:
        bits = [row["type"], f"default {json.dumps(row['default'])}"]
        if "choices" in row:
            bits.append("one of " + ", ".join(row["choices"]))
        if "examples" in row:
            bits.append("e.g. " + ", ".join(row["examples"]))
        if "range" in row:
            low, high = row["range"]
            bits.append(f">= {low:g}" if high is None else f"{low:g}..{high:g}")
        if "unit" in row:
            bits.append(row["unit"])
        print(f"{row['path']}  ({' · '.join(bits)})")
        print(f"    {row['help']}")
        for key, values in row["applies_when"].items():
            print(f"    only when {key} is {' or '.join(values)}")
    print("layers.N.PARAM  (a layer's parameter, N from 1: see the layer editor or `kerminal presets`)")
    return 0
