"""Data larger than memory: `kerminal train` on 1x, 10x and 40x an IMDB-sized corpus, streamed.

Each size is the stand-in corpus of bench/imdb_like.py (50,000 reviews, IMDB's size: median
174 words, `<br />`, U+0085) written once and repeated N times in one CSV (the rows repeat;
reading, splitting, adapting, vectorizing and training cost the same as distinct rows would,
only the vocabulary stays IMDB's). Every run is seed 003's SimpleRNN (10,000 words padded to
100, batch 32), 3 epochs, in a fresh `kerminal train --no-cache` process (the prepared-data
cache would serve every run after the first), measured from outside:

- peak RSS: the kernel's ru_maxrss of the child (os.wait4), imports, data and training;
- time to the first batch: process start to its first `epoch 1 step` progress line (each run
  has a pty of its own, where it also shows each preparing step: their times are in the note);
- samples/s: the training samples over the training part of epochs 2..3 (the run's own
  EpochEnd records, as every training bench here reads them);
- the streamed ids on disk: the size of the run folder's streamed-ids files (with --no-cache).

`data.stream = true` at every size; the in-memory path (`stream = false`) beside it at 1x
and 10x (the goal: streamed samples/s within 10 % of it at 1x; its memory grows with rows).

    python -m bench.bench_stream [--quick] [--sizes 1,10,40] [--data DIR]
    python -m bench.bench_stream --cache-only [--data DIR]   (the prepared-data cache's rows)

--data keeps the generated corpora in DIR between runs (they take 16 s per 50,000 reviews to
write); --quick runs 10,000 reviews (a fifth of 1x), both paths, 2 epochs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import common

PRESET = "seed003-simplernn"
BASE_ROWS = 50_000  # 1x: IMDB's 25,000 + 25,000 reviews
RSS_GOAL_MB = 2000  # at 40x, streamed
QUICK_LIMIT_S = 240
FULL_LIMIT_S = 3600


def corpus(folder: Path, times: float) -> Path:
    """The stand-in corpus `times` x 50,000 reviews as one CSV in `folder` (kept there)."""
    from bench import imdb_like

    if times < 1:
        path = folder / f"imdb-{int(BASE_ROWS * times)}.csv"
        return path if path.is_file() else imdb_like.write_csv(path, int(BASE_ROWS * times))
    base = folder / "imdb-1x.csv"
    if not base.is_file():
        imdb_like.write_csv(base, BASE_ROWS)
    if times == 1:
        return base
    path = folder / f"imdb-{int(times)}x.csv"
    if not path.is_file():
        body = base.read_bytes().split(b"\n", 1)[1]
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            fh.write(b"review,sentiment\n")
            for _ in range(int(times)):
                fh.write(body)
        tmp.replace(path)
    return path


def experiment(folder: Path, csv: Path, stream: bool, epochs: int) -> Path:
    from engine.experiment import save
    from engine.layers.presets import get_preset

    exp = get_preset(PRESET)
    exp.name = f"stream-{csv.stem}-{'stream' if stream else 'memory'}"
    exp.data.source, exp.data.path, exp.data.text, exp.data.label = "csv", str(csv), "review", "sentiment"
    exp.data.stream = stream
    exp.fit.epochs = epochs
    exp.probes = []
    return save(exp, folder / f"{exp.name}.toml")


def train(exp_path: Path, runs_dir: Path, timeout: float, cache: Path | None = None) -> dict[str, Any]:
    """One `kerminal train` process on a terminal of its own (a pty: it prints what it does
    while preparing, with counts): peak RSS, time to the first batch, the steps before it
    (seconds after start each was first shown), the run's epoch records. `cache`: the
    prepared-data cache folder to use (default: none, --no-cache)."""
    from bench.bench_app import PtyProgram

    runs_dir.mkdir(parents=True, exist_ok=True)
    before = set(runs_dir.iterdir())
    cmd = [sys.executable, "-m", "engine.cli", "train", str(exp_path), "--runs-dir", str(runs_dir), *([] if cache else ["--no-cache"])]
    env = common.python_env()
    if cache:
        env["KERMINAL_CACHE_DIR"] = str(cache)
    prog = PtyProgram(cmd, cwd=common.ROOT, cols=200, rows=50, env=env)
    deadline = time.perf_counter() + timeout
    while True:
        pid, status, usage = os.wait4(prog.proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            prog.proc.kill()
            os.wait4(prog.proc.pid, 0)
            raise TimeoutError(f"{exp_path.stem} took longer than {timeout:.0f} s")
        time.sleep(0.05)
    wall = time.perf_counter() - prog.started
    prog.reader.join(timeout=5)
    steps: dict[str, float] = {}
    first_batch = None
    last = 0
    for t, n in prog.chunks:
        _, first_batch = common.progress_lines(bytes(prog.buf[last:n]), t - prog.started, steps, first_batch)
        last = n
    if os.waitstatus_to_exitcode(status) != 0:
        tail = common.ANSI.sub("", bytes(prog.buf[-3000:]).decode(errors="replace")).strip().splitlines()[-3:]
        raise RuntimeError(f"{exp_path.stem} failed: {' | '.join(tail)}")
    runs = [p for p in runs_dir.iterdir() if p.is_dir() and p not in before and not p.name.startswith(".") and (p / "events.jsonl").is_file()]
    run = max(runs, key=lambda p: p.stat().st_mtime)
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines() if '"EpochEnd"' in line]
    ids = sum(f.stat().st_size for f in run.rglob("*") if f.is_file() and "stream" in str(f.relative_to(run)))
    if cache:
        ids = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())
    rates = [e["samples_per_s"] for e in events][1:] or [e["samples_per_s"] for e in events]
    return {"rss_mb": usage.ru_maxrss / 1024.0, "first_batch_s": first_batch, "rate": common.median(rates) if rates else None, "wall_s": wall,
            "ids_mb": ids / 1e6, "steps": steps, "epoch_s": [e["duration_s"] for e in events]}


def cache_rows(folder: Path, data: Path) -> list[dict[str, Any]]:
    """`imdb-ngram` on an aclImdb-shaped folder (bench/imdb_folder.py: 25,000 + 25,000 reviews
    in files, 50,000 unlabelled ones beside) twice with one fresh prepared-data cache: the
    first run prepares and keeps, the second reads. Goal: the second run's first batch < 5 s."""
    from bench import imdb_folder
    from engine.experiment import save
    from engine.layers.presets import get_preset

    root = data / "aclImdb"
    if not (root / "test").is_dir():
        imdb_folder.write_folder(root)
    exp = get_preset("imdb-ngram")
    exp.data.source, exp.data.path = "folder", str(root)
    exp.fit.epochs, exp.probes = 1, []
    path = save(exp, folder / "imdb-ngram-folder.toml")
    cache = folder / "prepared"
    first = train(path, folder / "runs-cache", timeout=1200, cache=cache)
    second = train(path, folder / "runs-cache", timeout=1200, cache=cache)
    size = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file()) / 1e6
    note = f"imdb-ngram, aclImdb-shaped folder (50,000 review files); wall {first['wall_s']:.0f} s then {second['wall_s']:.0f} s"
    return [
        common.row("prepared-data cache: second run's first batch vs the first run's", "s", second["first_batch_s"], first["first_batch_s"], "kerminal < 5 s", note),
        common.row("prepared-data cache on disk after them", "MB", size, None, "", "data, vectorizer (and ids where the model splits)"),
    ]


def run(quick: bool, sizes: tuple[float, ...] | None = None, data: Path | None = None, memory_up_to: float = 10) -> list[dict[str, Any]]:
    sizes = sizes or ((0.2,) if quick else (1, 10, 40))
    epochs = 2 if quick else 3
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="kerminal-bench-stream-") as tmp:
        folder = Path(tmp)
        data = data or folder
        data.mkdir(parents=True, exist_ok=True)
        memory_at_1x: dict[str, Any] | None = None
        for times in sizes:
            csv = corpus(data, times)
            n = int(BASE_ROWS * times)
            label = f"{times:g}x ({n:,} reviews, {csv.stat().st_size / 1e9:.2f} GB)"
            s = train(experiment(folder, csv, True, epochs), folder / "runs", timeout=3000)
            m = train(experiment(folder, csv, False, epochs), folder / "runs", timeout=3000) if times <= memory_up_to else None
            if times <= 1:
                memory_at_1x = m
            how = f"seed003 SimpleRNN, {epochs} epochs, wall {s['wall_s']:.0f} s streamed" + (f" / {m['wall_s']:.0f} s in memory" if m else "")
            goal = f"kerminal < {RSS_GOAL_MB} MB" if times >= 40 else ""
            rows.append(common.row(f"peak RSS, streamed vs in memory, {label}", "MB", s["rss_mb"], m["rss_mb"] if m else None, goal, how))
            timeline = "; ".join(f"{k} {v:.0f}s" for k, v in s["steps"].items())
            rows.append(common.row(f"time to the first batch, streamed vs in memory, {label}", "s", s["first_batch_s"], m["first_batch_s"] if m else None, "",
                                   f"process start to `epoch 1 step 1` on its terminal; streamed, each step first shown at: {timeline}; epochs {', '.join(f'{x:.0f}' for x in s['epoch_s'])} s"))
            rows.append(common.row(f"training samples/s, streamed vs in memory, {label}", "samples/s", s["rate"], m["rate"] if m else None,
                                   "ratio >= 0.9" if times <= 1 and m else "", "median of epochs 2.. (the runs' EpochEnd records)"))
            rows.append(common.row(f"streamed ids on disk, {label}", "MB", s["ids_mb"], None, "", "the run folder's streamed-ids files"))
        del memory_at_1x
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bench_stream")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", help="comma list of multiples of 50,000 reviews (default 1,10,40; quick 0.2)")
    ap.add_argument("--data", type=Path, help="keep the generated corpora in this folder")
    ap.add_argument("--memory-up-to", type=float, default=10, help="run the in-memory path beside the streamed one up to this size (default 10)")
    ap.add_argument("--cache-only", action="store_true", help="only the prepared-data cache rows (imdb-ngram on an aclImdb-shaped folder)")
    args = ap.parse_args(argv)
    sizes = tuple(float(x) for x in args.sizes.split(",")) if args.sizes else None
    if args.cache_only:
        with tempfile.TemporaryDirectory(prefix="kerminal-bench-cache-") as tmp:
            common.print_rows(cache_rows(Path(tmp), args.data or Path(tmp)))
        return 0
    common.print_rows(run(args.quick, sizes, args.data, args.memory_up_to))
    return 0


if __name__ == "__main__":
    sys.exit(main())
