"""Training throughput: kerminal's Trainer against a plain `model.fit`, same process.

For a SimpleRNN, an LSTM and a bidirectional LSTM (Embedding(32) -> recurrent(32) ->
Dense(1, sigmoid), words, 100 tokens, batch 32) the same model object, data and batch size
are trained one epoch at a time, alternating Trainer.run(epochs=1) (listener, control,
TerminateOnNaN, ModelCheckpoint, CSVLogger, events) and model.fit(epochs=1) (nothing
added), and which goes first alternates too. The same epoch-level timer callback measures
both, from epoch begin to epoch end (validation included, so both pay it); samples/s is
training samples over that time. The first round is left out (tracing). The ratio is the
median of per-round paired ratios (the two epochs of a round run back to back, which cancels
most of the load other processes put on a shared machine); the note adds the ratio of CPU
seconds (this process's threads only). The end-to-end
figure in the note also counts what the Trainer does between epochs (saving best.keras,
last.keras and metrics.json).

    python -m bench.bench_train [--quick]
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench import common  # noqa: E402

GOAL = "ratio >= 0.97"
WORDS = [f"w{i}" for i in range(800)]
GOOD = set(WORDS[:40])


def synthetic_texts(n: int, seed: int = 0) -> tuple[list[str], list[int]]:
    """Sentences of 30-100 random words; label 1 when 'good' words outnumber 'bad' ones."""
    rng = random.Random(seed)
    bad = set(WORDS[40:80])
    texts, labels = [], []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(30, 100))]
        texts.append(" ".join(words))
        labels.append(int(sum(w in GOOD for w in words) >= sum(w in bad for w in words)))
    return texts, labels


def make_dataset(n: int):
    import numpy as np

    from engine.dataset import Dataset, Split

    texts, labels = synthetic_texts(n + n // 10)
    y = np.asarray(labels, dtype=np.int64)
    return Dataset("synthetic", ["neg", "pos"], Split(texts[:n], y[:n]), Split(texts[n:], y[n:]))


def make_experiment(recurrent: dict[str, Any], name: str):
    from engine.experiment import CompileConfig, Experiment, FitConfig, LayerSpec, VectorizeConfig

    return Experiment(
        name=name,
        vectorize=VectorizeConfig(kind="words", max_tokens=1000, length=100),
        layers=[LayerSpec("Embedding", {"output_dim": 32}), LayerSpec(recurrent["type"], {k: v for k, v in recurrent.items() if k != "type"}), LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})],
        compile=CompileConfig(optimizer="rmsprop", metrics=["accuracy"]),
        fit=FitConfig(epochs=1, batch_size=32, seed=1),
    )


MODELS = [
    ("SimpleRNN(32)", {"type": "SimpleRNN", "units": 32}),
    ("LSTM(32)", {"type": "LSTM", "units": 32}),
    ("Bidirectional(LSTM(32))", {"type": "Bidirectional", "layer": {"type": "LSTM", "units": 32}}),
]


def measure(label: str, recurrent: dict[str, Any], n: int, rounds: int, runs_dir: str) -> dict[str, Any]:
    from engine.training import Trainer
    from engine.training.callbacks import EpochTimer

    ds = make_dataset(n)
    exp = make_experiment(recurrent, label)
    k_timer, b_timer = EpochTimer(), EpochTimer()
    trainer = Trainer(exp, ds, runs_dir, listener=lambda e: None, callbacks=[k_timer])
    k_wall, b_wall = [], []

    def kerminal() -> None:
        t0 = time.perf_counter()
        trainer.run(epochs=1)
        k_wall.append(time.perf_counter() - t0)

    def baseline() -> None:
        x, y, val = trainer._data  # the very arrays the Trainer feeds to fit
        t0 = time.perf_counter()
        trainer.model.fit(x, y, batch_size=exp.fit.batch_size, epochs=1, validation_data=val, callbacks=[b_timer], verbose=0, shuffle=True)
        b_wall.append(time.perf_counter() - t0)

    kerminal()  # builds the model and encodes the data; the first round is left out below
    baseline()
    for r in range(rounds):
        first, second = (kerminal, baseline) if r % 2 else (baseline, kerminal)
        first()
        second()
    k_d, b_d = k_timer.durations[1:], b_timer.durations[1:]
    k, b = statistics.median(n / d for d in k_d), statistics.median(n / d for d in b_d)
    # Each round's two epochs ran back to back, so a paired ratio cancels most of the load
    # that other processes put on a shared machine; its median is the row's ratio.
    paired = statistics.median(bd / kd for kd, bd in zip(k_d, b_d))
    cpu = statistics.median(bc / kc for kc, bc in zip(k_timer.cpu[1:], b_timer.cpu[1:]))
    e2e = statistics.median(bw / kw for kw, bw in zip(k_wall[1:], b_wall[1:]))
    fastest = min(b_d) / min(k_d)  # best epoch against best epoch: least disturbed by other load
    note = (
        f"{n} samples, batch 32, {rounds} interleaved epochs each after a warm-up one; samples/s "
        f"from epoch begin to end (validation included), medians; ratio = median of the paired "
        f"per-round ratios; fastest epochs {fastest:.3f}; by CPU time {cpu:.3f}; end to end "
        f"incl. the Trainer's per-epoch saves {e2e:.3f}"
    )
    return common.row(f"train {label}", "samples/s", k, b, GOAL, note, ratio=paired)


def run(quick: bool) -> list[dict[str, Any]]:
    n = 800 if quick else 2000
    rounds = 6 if quick else 12
    rows = []
    with tempfile.TemporaryDirectory(prefix="kerminal-bench-train-") as runs_dir:
        for label, recurrent in MODELS:
            rows.append(measure(label, recurrent, n, rounds, runs_dir))
    return rows


if __name__ == "__main__":
    raise SystemExit(common.main_for(run))
