"""Listing a runs folder of 500 runs (issue 20): `kerminal runs` and the Runs pane read it
through engine.runs.RunIndex, which keeps each run's summary until a file it was read from
changes, in memory and in the folder's cache file (engine.runs.index_cache).

Times, in one process, on hand-made runs (tests/engine/many_runs.py: a 3-epoch history, an
experiment.toml, no model): the first listing ever (every file read and parsed; the cache
file written), a first listing in a new process (from the cache file: what opening the app
or `kerminal runs` pays), a listing again (from memory: what the pane pays on `r`, a new run,
a resize), reading every experiment.toml once (the pane does it in a worker, for the
differing-settings columns), the settings that differ once read, and a filter. Then the
Runs pane itself under Textual's pilot at 120x40 (no TensorFlow): its own listing and fill
on mount (over the cache file), from the app's start until the table holds every run and a
frame is drawn (Textual's start, the pane's share, and the experiments worker that competes
for the interpreter meanwhile), `r`, and a page-down in the 500-row table until it is drawn
(the cost is the highlighted run's detail, the same for 40 rows). Medians of `--repeat`.

    python -m bench.bench_runs [--runs 500] [--repeat 5] [--no-pane]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path


def measure(count: int, pane: bool = True) -> dict[str, float]:
    from engine.runs import RunIndex, differing_paths, parse_filter
    from tests.engine.many_runs import many_runs

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        many_runs(root, count)
        out = {}
        t = time.perf_counter()
        RunIndex(root).list()
        out["first listing ever (no cache)"] = time.perf_counter() - t
        index = RunIndex(root)
        t = time.perf_counter()
        listed = index.list()
        out["first listing (cache file)"] = time.perf_counter() - t
        t = time.perf_counter()
        listed = index.list()
        out["listing again (in memory)"] = time.perf_counter() - t
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
        if pane:
            out.update(asyncio.run(pane_times(root, count)))
            one = Path(tmp) / "one"
            many_runs(one, 1)
            out["pane: app start to rows drawn, 1 run"] = asyncio.run(pane_times(one, 1))["pane: app start to rows drawn"]
        return out


async def pane_times(root: Path, count: int) -> dict[str, float]:
    """The Runs pane on `root` under the pilot: its listing and fill on mount (the cache
    file read), the app's start until the table holds `count` rows and a frame was drawn,
    `r` (the listing again, from memory, and the fill), a page-down drawn."""
    from textual.widgets import DataTable

    from tests.tui.conftest import tiny_experiment, workers_done
    from tui.app import make_app
    from tui.panes.runs import RunsPane

    out: dict[str, float] = {}
    real = RunsPane.action_refresh

    def timed(pane: RunsPane) -> None:
        t = time.perf_counter()
        real(pane)
        out.setdefault("pane: listing + fill on mount", time.perf_counter() - t)

    RunsPane.action_refresh = timed  # type: ignore[method-assign,assignment]
    try:
        t = time.perf_counter()
        app = make_app(tiny_experiment(), runs_dir=root, load_tensorflow=False, pane="runs")
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.query_one("#runs-table", DataTable)
            while table.row_count < count:
                await pilot.pause(0.005)
            await pilot.pause()  # the frame with the rows
            out["pane: app start to rows drawn"] = time.perf_counter() - t
            await workers_done(app)  # the experiments read: the keys below are timed alone
            await pilot.pause()
            t = time.perf_counter()
            await pilot.press("r")
            out["pane: r (listing + fill)"] = time.perf_counter() - t
            table.focus()
            await pilot.pause()
            t = time.perf_counter()
            await pilot.press("pagedown")
            await pilot.pause()
            out["pane: page-down drawn"] = time.perf_counter() - t
    finally:
        RunsPane.action_refresh = real  # type: ignore[method-assign]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-pane", action="store_true", help="only the listing, not the Runs pane under the pilot")
    args = parser.parse_args(argv)
    rounds = [measure(args.runs, not args.no_pane) for _ in range(args.repeat)]
    print(f"{args.runs} runs, median of {args.repeat}:")
    for key in rounds[0]:
        print(f"  {key:32} {statistics.median(r[key] for r in rounds) * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
