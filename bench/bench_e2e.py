"""kerminal against the tutorial's own script, end to end, on an IMDB-sized corpus.

What a user would otherwise write is `bench/plain_script.py`: pandas reads the reviews,
TextVectorization is adapted once, every text becomes integer ids once, `model.fit` trains
on the arrays. Against it runs the whole `kerminal train EXP.toml` command on the same CSV
(the same split sizes, vocabulary, length, model, batch and epochs). Both are separate
processes, timed from launch to exit, so interpreter start, imports, loading, vectorizing,
building, training and (for kerminal) the run folder's saves all count.

Per model (SimpleRNN, LSTM, BiLSTM over Embedding(10000, 32), length 100, batch 32) the two
programs alternate over several rounds, and which goes first alternates too. Each row's
ratio is the median over rounds of (plain seconds / kerminal seconds), i.e. kerminal's
samples/s over the plain script's: above 1 kerminal is faster. The note prints min / median
/ max of the per-round ratios, the same for the epochs alone, and each program's peak RSS.

The corpus is `bench.imdb_like` (25,000 reviews of ~230 words; the real reviews cannot be
downloaded here), written once per run into a temporary folder.

    python -m bench.bench_e2e [--quick]
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# bench.run's limits for this module (seconds), with room over what its runs take here.
QUICK_LIMIT_S = 240
FULL_LIMIT_S = 3000

from bench import common, imdb_like  # noqa: E402

GOAL = "ratio >= 1.2"
MEMORY_GOAL = "ratio <= 1.1"
MODELS = {
    "simplernn": ("SimpleRNN(32)", {"type": "SimpleRNN", "units": 32}),
    "lstm": ("LSTM(32)", {"type": "LSTM", "units": 32}),
    "bilstm": ("Bidirectional(LSTM(32))", {"type": "Bidirectional", "layer": {"type": "LSTM", "units": 32}}),
}


def experiment_toml(csv_path: Path, model: str, epochs: int, tokens: int = 10000, length: int = 100) -> str:
    """The kerminal experiment that does what plain_script.py does."""
    from engine.experiment import CompileConfig, DataConfig, Experiment, FitConfig, LayerSpec, SplitConfig, VectorizeConfig

    _, recurrent = MODELS[model]
    exp = Experiment(
        name=f"bench-{model}",
        data=DataConfig(source="csv", path=str(csv_path), text="review", label="sentiment", split=SplitConfig(validation=0.2, test=0.0, seed=42)),
        vectorize=VectorizeConfig(kind="words", max_tokens=tokens, length=length, padding="pre", truncation="pre"),
        layers=[
            LayerSpec("Embedding", {"output_dim": 32}),
            LayerSpec(recurrent["type"], {k: v for k, v in recurrent.items() if k != "type"}),
            LayerSpec("Dense", {"units": 1, "activation": "sigmoid"}),
        ],
        compile=CompileConfig(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"]),
        fit=FitConfig(epochs=epochs, batch_size=32, seed=42),
    )
    return exp.to_toml()


def _run_with_rss(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run `cmd`, return (wall seconds, peak RSS in MB, stdout); the peak comes from wait4."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env={**common.python_env(), **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Read both pipes while waiting; wait4 then reaps the child and reports its own rusage.
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []

    def drain(stream: Any, sink: list[bytes]) -> None:
        for chunk in iter(lambda: stream.read(65536), b""):
            sink.append(chunk)

    threads = [threading.Thread(target=drain, args=(proc.stdout, out_chunks)), threading.Thread(target=drain, args=(proc.stderr, err_chunks))]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    for t in threads:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = b"".join(out_chunks).decode("utf-8", "replace")
    if proc.returncode != 0:
        err = b"".join(err_chunks).decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"{' '.join(cmd[:5])} ... exited {proc.returncode}: {' | '.join(err[-3:]) or out[-300:]}")
    return wall, usage.ru_maxrss / 1024.0, out


def run_plain(csv_path: Path, model: str, epochs: int, work: Path) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.plain_script", str(csv_path), "--model", model, "--epochs", str(epochs)]
    wall, rss, out = _run_with_rss(cmd, common.ROOT)
    result = json.loads(out.strip().splitlines()[-1])
    return {"wall": wall, "rss_mb": rss, "epochs": result["epoch_s"], "val_accuracy": result["val_accuracy"][-1] if result["val_accuracy"] else None}


def run_kerminal(exp_path: Path, runs_dir: Path, work: Path) -> dict[str, Any]:
    # A new, empty prepared-data cache each round: every round is a first run, which prepares
    # its data as the plain script beside it does and pays for keeping it (engine.prepared).
    cmd = [sys.executable, "-m", "tui.entry", "train", str(exp_path), "--runs-dir", str(runs_dir), "--json"]
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work))
    wall, rss, out = _run_with_rss(cmd, work, {"KERMINAL_CACHE_DIR": str(cache)})
    shutil.rmtree(cache, ignore_errors=True)
    epochs, val_acc = [], None
    for line in out.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "EpochEnd":
            epochs.append(float(event["duration_s"]))
            val_acc = event.get("metrics", {}).get("val_accuracy", val_acc)
    return {"wall": wall, "rss_mb": rss, "epochs": epochs, "val_accuracy": val_acc}


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def measure(model: str, csv_path: Path, rows: int, epochs: int, rounds: int, work: Path) -> list[dict[str, Any]]:
    label, _ = MODELS[model]
    exp_path = work / f"{model}.toml"
    exp_path.write_text(experiment_toml(csv_path, model, epochs), encoding="utf-8")
    runs_dir = work / "runs"
    k_runs, p_runs = [], []
    for r in range(rounds):
        order = [("k", lambda: run_kerminal(exp_path, runs_dir, work)), ("p", lambda: run_plain(csv_path, model, epochs, work))]
        if r % 2:
            order.reverse()
        for who, fn in order:
            (k_runs if who == "k" else p_runs).append(fn())
    e2e = [p["wall"] / k["wall"] for k, p in zip(k_runs, p_runs, strict=True)]
    # Epochs after the first (which traces the graph) in each process, paired per round.
    ep = [statistics.median(p["epochs"][1:] or p["epochs"]) / statistics.median(k["epochs"][1:] or k["epochs"]) for k, p in zip(k_runs, p_runs, strict=True)]
    k_rss = statistics.median(k["rss_mb"] for k in k_runs)
    p_rss = statistics.median(p["rss_mb"] for p in p_runs)
    train = int(rows * 0.8)
    k_sps = statistics.median(train * epochs / k["wall"] for k in k_runs)
    p_sps = statistics.median(train * epochs / p["wall"] for p in p_runs)
    acc = f"val accuracy kerminal {statistics.median(k['val_accuracy'] or 0 for k in k_runs):.3f}, plain {statistics.median(p['val_accuracy'] or 0 for p in p_runs):.3f}"
    epoch_s = f"epoch s kerminal {statistics.median(statistics.median(k['epochs']) for k in k_runs):.1f}, plain {statistics.median(statistics.median(p['epochs']) for p in p_runs):.1f}"
    note = (
        f"{rows} reviews (bench.imdb_like), {train} train / {rows - train} validation, {epochs} epochs, "
        f"{rounds} interleaved rounds; whole processes, launch to exit; per-round ratio min/median/max "
        f"{spread(e2e)}; epochs alone {spread(ep)}; {epoch_s}; {acc}"
    )
    return [
        common.row(f"e2e train {label}", "samples/s", k_sps, p_sps, GOAL, note, ratio=statistics.median(e2e)),
        common.row(f"peak RSS train {label}", "MB", k_rss, p_rss, MEMORY_GOAL, "peak resident memory of each whole process (wait4 ru_maxrss), medians over the rounds"),
    ]


def run(quick: bool) -> list[dict[str, Any]]:
    # Quick: 12,000 training reviews x 100 x 3 epochs, still enough token steps for kerminal's
    # default to turn XLA on, as it does on the full corpus.
    rows = 15000 if quick else 25000
    epochs = 3  # as the issue's own measurement (`kerminal train --epochs 3`); seed 003 trains 10
    rounds = 3  # one round swung 1.15-1.34 between quick runs here: the median of three
    # Quick keeps these sizes: with 8,000 training reviews (and XLA on by name) the run was no
    # quicker on 2 busy cores (216 s against 193 s, load 4-6 against 3) and start-up and the
    # XLA compile outweighed training, ratio 0.74 (0.69-1.00): it no longer measured training.
    models = ["simplernn"] if quick else list(MODELS)
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="kerminal-bench-e2e-") as tmp:
        work = Path(tmp)
        csv_path = imdb_like.write_csv(work / "IMDB Dataset.csv", rows)
        for model in models:
            out += measure(model, csv_path, rows, epochs, rounds, work)
    return out


if __name__ == "__main__":
    raise SystemExit(common.main_for(run))
