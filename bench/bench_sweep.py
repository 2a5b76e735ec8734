"""A sweep's per-trial overhead: to the first batch of a trial whose data and vectorizer come
from the prepared-data cache, on IMDB-sized data.

Every trial of a sweep is an ordinary run: launch.start runs `python -m engine.cli train
--into RUN` for it. Here each trial is that same process (`kerminal train EXP` with the
trial's values, the cache in $KERMINAL_CACHE_DIR), started on a terminal of its own (a
pty: it shows each preparing step as it starts), and stopped once its first `epoch 1 step`
line appears. The data is bench/imdb_like.py's 50,000-review stand-in as one CSV
(bench_stream.corpus); the experiment is the `imdb-ngram` preset on it. A first process
fills the cache (not counted); then `trials` processes, each with another learning rate (a
value a sweep searches that leaves the data and vectorizer settings, and so the cache entry,
the same). Printed: the median and the spread (min..max) of the trials' time to the first
batch, and where the time goes: the median time each preparing step was first shown, and a
bare `python -c "import tensorflow, keras"` beside them.

Then the trials as a sweep's driver starts them (engine.runs.launch.start, the run detached,
its first batch read from its events.jsonl), `trials` each way: the ordinary way (a new
process per trial, `kerminal sweep --no-warm`), and handed to a warm spare
(engine.runs.spare) that imported TensorFlow before its trial came, the next spare started
right after each hand-over as the driver does (it imports beside the trial's start). For
each: "trial asked -> first batch" (from the launch.start call: what a sweep waits per
trial, and what the 3 s goal reads; study.ask and tagging, milliseconds, are left out) and
"process start -> first batch" (from the trial process's own start, /proc; a spare's
includes the time it waited for its trial).

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
QUICK_TRIALS = 2
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


def launched(exp_paths: list[Path], runs_dir: Path, warm: bool, timeout: float = 300) -> list[dict[str, float]]:
    """Each experiment started as a sweep's driver starts a trial (warm: handed to a ready
    spare), stopped at its first batch: seconds from the ask and from its process's start."""
    from engine.experiment import load
    from engine.runs import launch
    from engine.runs import spare as S

    runs_dir.mkdir(parents=True, exist_ok=True)
    out = []
    spare = S.start(runs_dir / "spare-0.txt", launch.child_env(), launch.run_nice()) if warm else None
    for i, exp_path in enumerate(exp_paths):
        exp = load(exp_path)
        if spare is not None:
            _until(spare.ready, timeout, "the spare's imports")
        asked = time.time()
        path = launch.start(exp, runs_dir, spare=spare)
        if spare is not None:
            if spare.why_not:
                raise RuntimeError(f"the spare did not take trial {i}: {spare.why_not}")
            spare = S.start(runs_dir / f"spare-{i + 1}.txt", launch.child_env(), launch.run_nice()) if i + 1 < len(exp_paths) else None
        out.append(_to_first_batch(path, asked, warm, timeout))
    return out


def _to_first_batch(path: Path, asked: float, warm: bool, timeout: float) -> dict[str, float]:
    """Wait for the launched run's first batch, then kill it: seconds from `asked` and from
    its process's start."""
    from engine.runs import reader
    from engine.runs import spare as S
    from engine.runs.liveness import process_alive

    pid = int(_until(lambda: (reader.read_meta(path) or {}).get("pid"), timeout, "the trial's pid"))
    started = S.process_start(pid)
    _until(lambda: b'"event": "BatchEnd"' in _read(path / "events.jsonl"), timeout, f"{path.name}'s first batch")
    first = time.time()
    meta = reader.read_meta(path) or {}
    if warm and "warm" not in meta:
        raise RuntimeError(f"{path.name} does not say it ran in a warm process")
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    _until(lambda: not process_alive(pid), 30, "the trial to end")
    return {"asked_s": first - asked, "process_s": first - float((meta.get("warm") or {}).get("spawned", started))}


def _until(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.01)
    raise TimeoutError(f"no {what} within {timeout:.0f} s")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


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
        # --quick leaves out the attached `kerminal train` rows (the earlier way of measuring):
        # the goal reads the launched trials below.
        results = [] if quick else [first_batch(experiment(folder, csv, preset, LEARNING_RATES[i % len(LEARNING_RATES)]), folder / "runs", cache, timeout=300) for i in range(n)]
        exps = [experiment(folder, csv, preset, LEARNING_RATES[i % len(LEARNING_RATES)]) for i in range(n)]
        os.environ["KERMINAL_CACHE_DIR"] = str(cache)  # the launched trials' cache
        ordinary = launched(exps, folder / "runs-ordinary", warm=False)
        warmed = launched(exps, folder / "runs-warm", warm=True)
        bare = import_time()
    times = [r["first_batch_s"] for r in results] or [float("nan")]
    cached = all("from the cache" in r["text"] for r in results)
    steps: dict[str, list[float]] = {}
    for r in results:
        for k, v in r["steps"].items():
            steps.setdefault(k, []).append(v)
    where = "; ".join(f"{k} at {common.median(v):.1f}s" for k, v in sorted(steps.items(), key=lambda kv: common.median(kv[1])))
    spread = f"{min(times):.2f}..{max(times):.2f} s over {n} trials"
    note = f"{preset} on 50,000 stand-in reviews, data and vectorizer from the prepared-data cache{'' if cached else ' (NOT all from the cache)'}; spread {spread}; steps first shown: {where}"
    def col(rows: list[dict[str, float]], key: str) -> tuple[float, str]:
        vals = [r[key] for r in rows]
        return common.median(vals), f"{min(vals):.2f}..{max(vals):.2f} s over {len(vals)} trials"

    cold_asked, cold_asked_spread = col(ordinary, "asked_s")
    cold_proc, cold_proc_spread = col(ordinary, "process_s")
    warm_asked, warm_asked_spread = col(warmed, "asked_s")
    warm_proc, warm_proc_spread = col(warmed, "process_s")
    what = "sweep trial, attached `kerminal train` on a pty: process start -> first batch"
    attached = [common.row(what, "s", common.median(times), warm["first_batch_s"], "", note + "; baseline: the first process, which fills the cache")] if results else []
    return [
        *attached,
        common.row("sweep trial, a new process (--no-warm): trial asked -> first batch", "s", cold_asked, None, "", f"launch.start as the driver calls it; spread {cold_asked_spread}"),
        common.row("sweep trial, a new process (--no-warm): process start -> first batch", "s", cold_proc, None, "", f"spread {cold_proc_spread}"),
        common.row("sweep trial, a warm spare: trial asked -> first batch", "s", warm_asked, cold_asked, f"kerminal < {GOAL_S:g} s", f"the goal's reading: what a sweep waits per trial; baseline: a new process; spread {warm_asked_spread}"),
        common.row("sweep trial, a warm spare: its process start -> first batch", "s", warm_proc, cold_proc, "", f"includes the time the spare waited ready for its trial; spread {warm_proc_spread}"),
        common.row("a bare `import tensorflow, keras` process", "s", bare, None, "", "the floor under every new process's start"),
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
