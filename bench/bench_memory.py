"""Peak memory of a training run: kerminal against the plain script, each in its own process.

Both train the seed 003 model (Embedding(10000, 32) -> SimpleRNN(32) -> Dense(1, sigmoid),
10,000 words padded to 100 at the front, rmsprop, batch 32) on the same synthetic
IMDB-like CSV (reviews of ~230 words), 80/20 split, for the same epochs:

- kerminal: `load_dataset` + `Trainer(...).run()` (string-input model with the vectorizer
  inside, events, checkpoints, history, run folder);
- plain: pandas `read_csv`, `TextVectorization.adapt`, `keras.utils.pad_sequences`, a
  `keras.Sequential` of the same layers, `model.fit` (the tutorials' script).

Each runs in a fresh Python process; its peak resident set size is the kernel's ru_maxrss
for that child (os.wait4), so imports, data and training are all counted.

    python -m bench.bench_memory [--quick]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import common

GOAL = "ratio <= 1.2"
PRESET = "seed003-simplernn"


def write_corpus(path: Path, n: int, seed: int = 0, mean_words: int = 230) -> Path:
    """A CSV of n IMDB-like reviews (review, sentiment), ~mean_words words each."""
    import pandas as pd

    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(20000)]
    good, bad = vocab[:200], vocab[200:400]
    rows = []
    for i in range(n):
        positive = i % 2 == 0
        k = max(5, int(rng.gauss(mean_words, mean_words / 3)))
        words = rng.choices(vocab, k=k)
        for _ in range(k // 20 + 1):
            words[rng.randrange(k)] = rng.choice(good if positive else bad)
        rows.append((" ".join(words), "positive" if positive else "negative"))
    pd.DataFrame(rows, columns=["review", "sentiment"]).to_csv(path, index=False)
    return path


def experiment_file(folder: Path, csv: Path, epochs: int) -> Path:
    from engine.experiment import DataConfig, SplitConfig, save
    from engine.layers.presets import get_preset

    exp = get_preset(PRESET)
    exp.data = DataConfig(source="csv", path=str(csv), text="review", label="sentiment", split=SplitConfig(0.2, 0.0, 42))
    exp.fit.epochs = epochs
    exp.probes = []
    return save(exp, folder / "memory.toml")


# ---------------------------------------------------------------------------------------
# The two children


def child_kerminal(exp_path: Path, runs_dir: Path) -> None:
    from engine.data import load_dataset
    from engine.experiment import load
    from engine.training import Trainer

    exp = load(exp_path)
    ds = load_dataset(exp)
    Trainer(exp, ds, runs_dir).run(exp.fit.epochs)


def plain_layer(spec: Any, max_tokens: int) -> Any:
    import keras

    params = dict(spec.params)
    if spec.type == "Embedding":
        params.setdefault("input_dim", max_tokens)
    if spec.type == "Bidirectional":
        inner = dict(params.pop("layer"))
        kind = inner.pop("type")
        params["layer"] = getattr(keras.layers, kind)(**inner)
    return getattr(keras.layers, spec.type)(**params)


def child_plain(exp_path: Path) -> None:
    """What the tutorials' scripts do, with nothing of kerminal's but reading the settings."""
    import keras
    import numpy as np
    import pandas as pd

    from engine.experiment import load

    exp = load(exp_path)
    v = exp.vectorize
    df = pd.read_csv(exp.resolve(exp.data.path))
    texts = df["review"].astype(str).to_numpy()
    labels = (df["sentiment"] == "positive").to_numpy().astype("float32")
    order = np.random.RandomState(exp.data.split.seed).permutation(len(texts))
    cut = int(len(texts) * (1 - exp.data.split.validation))
    tr, va = order[:cut], order[cut:]
    tv = keras.layers.TextVectorization(max_tokens=v.max_tokens)
    tv.adapt(texts[tr], batch_size=1024)

    def ids(rows: np.ndarray) -> np.ndarray:
        seqs = [row[row != 0] for row in tv(rows).numpy()]
        return keras.utils.pad_sequences(seqs, maxlen=v.length, padding=v.padding, truncating=v.truncation)

    x_tr, x_va = ids(texts[tr]), ids(texts[va])
    keras.utils.set_random_seed(exp.fit.seed)
    model = keras.Sequential([keras.Input(shape=(v.length,), dtype="int32"), *(plain_layer(s, v.max_tokens) for s in exp.layers)])
    model.compile(optimizer=exp.compile.optimizer, loss=exp.compile.loss, metrics=list(exp.compile.metrics))
    model.fit(x_tr, labels[tr], batch_size=exp.fit.batch_size, epochs=exp.fit.epochs, validation_data=(x_va, labels[va]), verbose=0)


def peak_rss_mb(kind: str, exp_path: Path, runs_dir: Path, timeout: float) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of one child process."""
    cmd = [sys.executable, "-m", "bench.bench_memory", "--child", kind, "--exp", str(exp_path), "--runs-dir", str(runs_dir)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=common.ROOT, env=common.python_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = t0 + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            raise TimeoutError(f"the {kind} training run took longer than {timeout:.0f} s")
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        tail = " | ".join(err.strip().splitlines()[-3:])
        raise RuntimeError(f"the {kind} training run failed (exit {proc.returncode}): {tail}")
    return usage.ru_maxrss / 1024.0, time.perf_counter() - t0  # Linux: kilobytes


def run(quick: bool) -> list[dict[str, Any]]:
    n, epochs, repeat = (4000, 1, 1) if quick else (25000, 2, 3)
    with tempfile.TemporaryDirectory(prefix="kerminal-bench-memory-") as tmp:
        folder = Path(tmp)
        csv = write_corpus(folder / "reviews.csv", n)
        exp_path = experiment_file(folder, csv, epochs)
        mem: dict[str, list[float]] = {"kerminal": [], "plain": []}
        secs: dict[str, list[float]] = {"kerminal": [], "plain": []}
        for i in range(repeat):
            order = ("kerminal", "plain") if i % 2 == 0 else ("plain", "kerminal")
            for kind in order:
                mb, s = peak_rss_mb(kind, exp_path, folder / "runs", timeout=120 if quick else 1200)
                mem[kind].append(mb)
                secs[kind].append(s)
    k, b = common.median(mem["kerminal"]), common.median(mem["plain"])
    note = (f"{PRESET} on {n:,} synthetic reviews (~230 words), {epochs} epoch(s), {repeat} run(s) each in a fresh process; "
            f"wall {common.median(secs['kerminal']):.0f} s vs {common.median(secs['plain']):.0f} s")
    return [common.row("peak memory, training run", "MB", k, b, GOAL, note)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bench_memory")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", choices=("kerminal", "plain"), help=argparse.SUPPRESS)
    ap.add_argument("--exp", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--runs-dir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child == "kerminal":
        child_kerminal(args.exp, args.runs_dir)
        return 0
    if args.child == "plain":
        child_plain(args.exp)
        return 0
    common.print_rows(run(args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
