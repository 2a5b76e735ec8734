"""A sweep's per-trial overhead: process start to the first batch of a trial whose data and
vectorizer come from the prepared-data cache, on IMDB-sized data.

Every trial of a sweep is an ordinary run: launch.start runs `python -m engine.cli train
--into RUN` for it. Here each trial is that same process (`kerminal train EXP` with the
trial's values, the cache in $KERMINAL_CACHE_DIR), started on a terminal of its own (a
pty: it shows each preparing step as it starts), and stopped once its first `epoch 1 step`
line appears. The data is bench/imdb_like.py's 50,000-review stand-in as one CSV
(bench_stream.corpus); the experiment is the `imdb-ngram` preset on it. A first process
fills the cache (not counted); then `trials` processes, each with another learning rate (a
value a sweep searches that leaves the data and vectorizer settings, and so the cache entry,
the same). Printed: the median and the spread (min..max) of the trials' time to the first
batch, the goal under 3 s, and where the time goes: the median time each preparing step was
first shown, and a bare `python -c "import tensorflow, keras"` beside them.

    python -m bench.bench_sweep [--quick] [--trials N] [--data DIR] [--preset NAME]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import common

PRESET = "imdb-ngram"
GOAL_S = 3.0
TRIALS = 5
QUICK_TRIALS = 3
LEARNING_RATES = (1e-3, 2e-3, 5e-4, 3e-3, 7e-4, 1.5e-3, 4e-3, 8e-4)
QUICK_LIMIT_S = 600
FULL_LIMIT_S = 1200


def experiment(folder: Path, csv: Path, preset: str, lr: float) -> Path:
    from engine.experiment import save
    from engine.layers.presets import get_preset

    exp = get_preset(preset)
    exp.name = f"sweep-{preset}-lr{lr:g}"
    exp.data.source, exp.data.path, exp.data.text, exp.data.label = "csv", str(csv), "review", "sentiment"
    exp.compile.learning_rate = lr
    exp.fit.epochs = 1
    exp.probes = []
    return save(exp, folder / f"{exp.name}.toml")


def first_batch(exp_path: Path, runs_dir: Path, cache: Path, timeout: float) -> dict[str, Any]:
    """One trial's process on its own pty until its first batch: seconds to it, and when each
    preparing step was first shown. The process is stopped there (its run says stopped)."""
    from bench.bench_app import PtyProgram

    runs_dir.mkdir(parents=True, exist_ok=True)
    env = common.python_env()
    env["KERMINAL_CACHE_DIR"] = str(cache)
    prog = PtyProgram([sys.executable, "-m", "engine.cli", "train", str(exp_path), "--runs-dir", str(runs_dir)], cwd=common.ROOT, cols=200, rows=50, env=env)
    deadline = prog.started + timeout
    steps: dict[str, float] = {}
    seen, consumed, text, found = 0, 0, "", None
    try:
        while found is None:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{exp_path.stem}: no first batch within {timeout:.0f} s")
            with prog.cond:
                chunks = prog.chunks[seen:]
                seen = len(prog.chunks)
                closed = prog.closed
            for t, n in chunks:
                piece, found = common.progress_lines(bytes(prog.buf[consumed:n]), t - prog.started, steps, found)
                consumed = n
                text += piece
            if found is None and closed and not chunks:
                tail = text.strip().splitlines()[-3:]
                raise RuntimeError(f"{exp_path.stem} ended before its first batch: {' | '.join(tail)}")
            time.sleep(0.02)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(prog.proc.pid, signal.SIGKILL)
        prog.proc.wait(30)
    return {"first_batch_s": found, "steps": steps, "text": text}


def import_time(repeat: int = 3) -> float:
    """A bare interpreter importing TensorFlow and Keras (the floor under every trial)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import tensorflow, keras"], env=common.python_env(), check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return common.median(times)


def run(quick: bool, trials: int | None = None, data: Path | None = None, preset: str = PRESET) -> list[dict[str, Any]]:
    from bench.bench_stream import corpus

    n = trials or (QUICK_TRIALS if quick else TRIALS)
    with tempfile.TemporaryDirectory(prefix="kerminal-bench-sweep-") as tmp:
        folder = Path(tmp)
        data = data or folder
        data.mkdir(parents=True, exist_ok=True)
        csv = corpus(data, 1)
        cache = folder / "prepared"
        warm = first_batch(experiment(folder, csv, preset, LEARNING_RATES[-1]), folder / "runs", cache, timeout=900)
        results = [first_batch(experiment(folder, csv, preset, LEARNING_RATES[i % len(LEARNING_RATES)]), folder / "runs", cache, timeout=300) for i in range(n)]
        bare = import_time()
    times = [r["first_batch_s"] for r in results]
    cached = all("from the cache" in r["text"] for r in results)
    steps: dict[str, list[float]] = {}
    for r in results:
        for k, v in r["steps"].items():
            steps.setdefault(k, []).append(v)
    where = "; ".join(f"{k} at {common.median(v):.1f}s" for k, v in sorted(steps.items(), key=lambda kv: common.median(kv[1])))
    spread = f"{min(times):.2f}..{max(times):.2f} s over {n} trials"
    note = f"{preset} on 50,000 stand-in reviews, data and vectorizer from the prepared-data cache{'' if cached else ' (NOT all from the cache)'}; spread {spread}; steps first shown: {where}"
    return [
        common.row("sweep trial: process start to its first batch, data from the cache", "s", common.median(times), warm["first_batch_s"], f"kerminal < {GOAL_S:g} s", note + "; baseline: the first process, which fills the cache"),
        common.row("a bare `import tensorflow, keras` process", "s", bare, None, "", "the floor under every trial's start"),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bench_sweep")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--trials", type=int, help=f"trials measured after the one that fills the cache (default {TRIALS}; quick {QUICK_TRIALS})")
    ap.add_argument("--data", type=Path, help="keep the generated corpus in this folder")
    ap.add_argument("--preset", default=PRESET, help=f"the experiment each trial trains (default {PRESET})")
    args = ap.parse_args(argv)
    rows = run(args.quick, args.trials, args.data, args.preset)
    common.print_rows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
