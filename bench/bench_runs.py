"""Listing a runs folder of 500 runs (issue 20): `kerminal runs` and the Runs pane read it
through engine.runs.RunIndex, which keeps each run's summary until its metrics.json changes.

Times, in one process, on hand-made runs (tests/engine/many_runs.py: a 3-epoch history, an
experiment.toml, no model): the first listing (every metrics.json and history.csv read), a
listing again (from the cache: what the pane pays on `r`, a new run, a resize), reading
every experiment.toml once (the pane does it in a worker, for the differing-settings
columns), the settings that differ once read, and a filter. Medians of `--repeat` runs.

    python -m bench.bench_runs [--runs 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def measure(count: int) -> dict[str, float]:
    from engine.runs import RunIndex, differing_paths, parse_filter
    from tests.engine.many_runs import many_runs

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        many_runs(root, count)
        index = RunIndex(root)
        out = {}
        t = time.perf_counter()
        listed = index.list()
        out["first listing"] = time.perf_counter() - t
        t = time.perf_counter()
        listed = index.list()
        out["listing again (cached)"] = time.perf_counter() - t
        t = time.perf_counter()
        for s in listed:
            _ = s.experiment
        out["experiments read (worker)"] = time.perf_counter() - t
        t = time.perf_counter()
        differing_paths(listed)
        out["differing settings"] = time.perf_counter() - t
        t = time.perf_counter()
        parse_filter("compile.learning_rate<0.005 vectorize.kind=ngrams best.val_accuracy>0.6").apply(listed)
        out["filter (3 terms)"] = time.perf_counter() - t
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    rounds = [measure(args.runs) for _ in range(args.repeat)]
    print(f"{args.runs} runs, median of {args.repeat}:")
    for key in rounds[0]:
        print(f"  {key:28} {statistics.median(r[key] for r in rounds) * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
