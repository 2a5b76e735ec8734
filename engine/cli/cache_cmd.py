"""`kerminal cache [--json]`: the prepared-data cache's entries (what data, which settings,
size, last used) and its total against the cap. `kerminal cache --clear [KEY_PREFIX]`: remove
every entry, or those whose key starts with KEY_PREFIX (engine.prepared)."""

from __future__ import annotations

import argparse
import json
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clear", nargs="?", const="", metavar="KEY_PREFIX", help="remove every entry (or those whose key starts with KEY_PREFIX)")
    parser.add_argument("--json", action="store_true", help="one JSON object per entry, then one for the total")


def _ago(seconds: float) -> str:
    s = max(0, int(time.time() - seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s // size} {unit} ago"
    return f"{s} s ago"


def run(args: argparse.Namespace) -> int:
    from engine.memory import format_bytes
    from engine.prepared import Store, max_bytes

    store = Store()
    if args.clear is not None:
        removed = store.clear(args.clear) if store.root.is_dir() and not store.root.is_symlink() else []
        if args.json:
            print(json.dumps({"removed": removed, "folder": str(store.root)}), flush=True)
        else:
            what = f"{len(removed)} entr{'y' if len(removed) == 1 else 'ies'}"
            print(f"removed {what} from {store.root}" + (f" (keys starting {args.clear!r})" if args.clear else ""), flush=True)
        return 0
    entries = store.entries() if store.root.is_dir() and not store.root.is_symlink() else []
    cap = max_bytes()
    total = sum(e.bytes for e in entries)
    newest_first = sorted(entries, key=lambda e: -e.used)
    if args.json:
        for e in newest_first:
            print(json.dumps({"key": e.name, "kind": e.kind, "data": e.meta.get("data", ""), "settings": e.meta.get("summary", ""), "bytes": e.bytes, "last_used": e.used}), flush=True)
        print(json.dumps({"folder": str(store.root), "entries": len(entries), "bytes": total, "cap": cap}), flush=True)
        return 0
    for e in newest_first:
        data = str(e.meta.get("data", "?"))[:40]
        print(f"{e.name[:14]}  {e.kind:<10}  {data:<40}  {format_bytes(e.bytes):>9}  {_ago(e.used):>10}  {e.meta.get('summary', '(unreadable)')}", flush=True)
    print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, {format_bytes(total)} of {format_bytes(cap)} (cap: $KERMINAL_CACHE_MAX) in {store.root}", flush=True)
    return 0
