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

And the compare view (issue 20: under 200 ms): in the app at 160x48 on the Runs pane with
`--compare` runs, all marked (`A`), the time from `c` to the compare view's first frame
painted (the comparison read, the view made, laid out and drawn), in a fresh app each time
(a first open: no cache warm), wall clock and the app thread's CPU time, and the load average
of the machine beside it.

    python -m bench.bench_runs [--runs 500] [--repeat 5] [--no-pane] [--compare 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import common


def measure(count: int, pane: bool = True, one_run: bool = True) -> dict[str, float]:
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
        if pane and one_run:  # the app's own start, for scale
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
        painted: list[tuple[float, int]] = []  # (when, rows then) of each frame written
        display = app._display

        def spy(screen, renderable) -> None:
            if renderable is not None:
                rows = app.query_one("#runs-table", DataTable).row_count if app.screen.is_mounted else 0
                painted.append((time.perf_counter(), rows))
            display(screen, renderable)

        app._display = spy  # type: ignore[method-assign]
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.query_one("#runs-table", DataTable)
            deadline = time.monotonic() + 60
            # The first frame written with every row in the table: what the user sees.
            while not any(rows >= count for _, rows in painted) and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            out["pane: app start to rows drawn"] = next(when for when, rows in painted if rows >= count) - t
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


def compare_first_frame(count: int, size: tuple[int, int] = (160, 48)) -> tuple[float, float]:
    """(wall s, app thread CPU s) from `c` to the compare view's first painted frame."""
    return asyncio.run(_compare_first_frame(count, size))


async def _compare_first_frame(count: int, size: tuple[int, int]) -> tuple[float, float]:
    from engine.experiment import Experiment
    from tests.engine.many_runs import many_runs
    from tui.app import make_app
    from tui.compare import CompareScreen

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        many_runs(root, count)
        app = make_app(Experiment(name="bench"), runs_dir=root, load_tensorflow=False, pane="runs")
        painted: list[tuple[float, float]] = []
        display = app._display  # the frame written to the terminal: the one moment a user sees

        def spy(screen, renderable) -> None:
            if isinstance(screen, CompareScreen) and renderable is not None and not painted:
                painted.append((time.perf_counter(), time.thread_time()))
            display(screen, renderable)

        app._display = spy  # type: ignore[method-assign]
        async with app.run_test(size=size) as pilot:
            deadline = time.monotonic() + 60
            while len(app.pane("runs").runs) < count or any(w.is_running for w in app.workers):  # type: ignore[attr-defined]
                if time.monotonic() > deadline:
                    raise RuntimeError("the Runs pane did not list the runs in 60 s")
                await pilot.pause(0.05)
            await pilot.press("A")
            await pilot.pause()
            t0, c0 = time.perf_counter(), time.thread_time()
            await pilot.press("c")
            while not painted:
                if time.perf_counter() - t0 > 30:
                    raise RuntimeError("the compare view drew nothing in 30 s")
                await asyncio.sleep(0.001)
            return painted[0][0] - t0, painted[0][1] - c0


# The goals (issue 20): what a user waits for, not the parts.
GOALS = {"first listing (cache file)": 0.5, "pane: app start to rows drawn": 0.5, "listing again (in memory)": 0.5}


def run(quick: bool) -> list[dict[str, Any]]:
    """The rows `python -m bench` prints: 500 runs listed and shown, and the compare view of
    10 (medians of 3 rounds, 5 in the full run)."""
    repeat = 2 if quick else 5  # quick: the whole of `python -m bench --quick` stays under 8 minutes
    rounds = [measure(500, one_run=not quick) for _ in range(repeat)]
    rows = []
    for key in rounds[0]:
        ms = statistics.median(r[key] for r in rounds) * 1000
        goal = GOALS.get(key)
        spread = f"{min(r[key] for r in rounds) * 1000:.0f}-{max(r[key] for r in rounds) * 1000:.0f} ms"
        rows.append(common.row(f"500 runs: {key}", "ms", ms, None, f"kerminal < {goal * 1000:.0f} ms" if goal else "", f"median of {repeat}, {spread}"))
    load = os.getloadavg()[0]
    frames = [compare_first_frame(10) for _ in range(repeat)]
    wall = [w * 1000 for w, _ in frames]
    rows.append(common.row("compare view of 10 runs, first frame", "ms", statistics.median(wall), None, "kerminal < 200 ms",
                           f"c -> first frame painted, 160x48, fresh app each, median of {repeat}, {min(wall):.0f}-{max(wall):.0f} ms; load {load:.1f} before"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-pane", action="store_true", help="only the listing, not the Runs pane under the pilot")
    parser.add_argument("--compare", type=int, default=10, metavar="N", help="runs marked for the compare view's first frame (0: skip)")
    args = parser.parse_args(argv)
    rounds = [measure(args.runs, not args.no_pane) for _ in range(args.repeat)]
    print(f"{args.runs} runs, median of {args.repeat}:")
    for key in rounds[0]:
        print(f"  {key:32} {statistics.median(r[key] for r in rounds) * 1000:8.1f} ms")
    if args.compare:
        load = os.getloadavg()[0]
        frames = [compare_first_frame(args.compare) for _ in range(args.repeat)]
        print(f"compare view, {args.compare} runs, first frame (160x48, median of {args.repeat}; load average {load:.1f} on {os.cpu_count()} cores before):")
        print(f"  {'wall':32} {statistics.median(w for w, _ in frames) * 1000:8.1f} ms (best {min(w for w, _ in frames) * 1000:.1f})")
        print(f"  {'app thread CPU':32} {statistics.median(c for _, c in frames) * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
