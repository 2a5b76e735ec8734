"""Training throughput: kerminal's Trainer against the tutorial's plain `model.fit`, one process.

The baseline is what a user writes without kerminal (bench/plain_script.py, in process):
TextVectorization adapted once, texts turned into ids once and padded with
`keras.utils.pad_sequences`, a Sequential Embedding(10000, 32) -> recurrent(32) ->
Dense(1, sigmoid) compiled with Keras's defaults, `model.fit` on the integer arrays. Against
it runs kerminal's Trainer on the same reviews (bench.imdb_like), split, vocabulary, length,
batch and epochs, with everything it does per batch and per epoch (progress events, the
stop/pause check, checkpoints, history, metrics.json).

Both continue training over interleaved rounds (which goes first alternates); the same
epoch timer measures both, from epoch begin to epoch end (validation included). The first
round of each is left out (graph tracing, XLA compilation). Each row's ratio is the median
of per-round paired ratios (kerminal samples/s over plain); the note prints min / median /
max beside it. A last row times one checkpoint save of a model with a 20,000-token
vocabulary, against the epoch it follows.

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

# bench.run's limits for this module (seconds), with room over what its runs take here.
QUICK_LIMIT_S = 240
FULL_LIMIT_S = 2400

from bench import common, imdb_like  # noqa: E402

GOAL = "ratio >= 1.2"
# Short random sentences, for bench_predict (prediction latency, not training).
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


MODELS = [
    ("SimpleRNN(32)", {"type": "SimpleRNN", "units": 32}),
    ("LSTM(32)", {"type": "LSTM", "units": 32}),
    ("Bidirectional(LSTM(32))", {"type": "Bidirectional", "layer": {"type": "LSTM", "units": 32}}),
]


def make_dataset(n: int):
    import numpy as np

    from engine.dataset import Dataset, Split

    texts, labels = imdb_like.reviews(n, seed=0)
    y = np.asarray([1 if s == "positive" else 0 for s in labels], dtype=np.int64)
    cut = int(n * 0.8)
    return Dataset("imdb-like", ["negative", "positive"], Split(texts[:cut], y[:cut]), Split(texts[cut:], y[cut:]))


def make_experiment(recurrent: dict[str, Any], name: str, tokens: int = 10000, xla: str = "auto"):
    from engine.experiment import CompileConfig, Experiment, FitConfig, LayerSpec, VectorizeConfig

    return Experiment(
        name=name,
        vectorize=VectorizeConfig(kind="words", max_tokens=tokens, length=100, padding="pre", truncation="pre"),
        layers=[LayerSpec("Embedding", {"output_dim": 32}), LayerSpec(recurrent["type"], {k: v for k, v in recurrent.items() if k != "type"}), LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})],
        compile=CompileConfig(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"]),
        fit=FitConfig(epochs=1, batch_size=32, seed=42, xla=xla),
    )


def plain_model(recurrent: dict[str, Any], tokens: int, length: int):
    import keras

    def layer(spec: dict[str, Any]):
        if spec["type"] == "Bidirectional":
            return keras.layers.Bidirectional(layer(spec["layer"]))
        return getattr(keras.layers, spec["type"])(spec["units"])

    model = keras.Sequential([keras.Input((length,), dtype="int32"), keras.layers.Embedding(tokens, 32), layer(recurrent), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def plain_arrays(ds, tokens: int, length: int):
    """The tutorial's vectorize-once: adapt, ids, pad_sequences (front)."""
    import keras
    import numpy as np

    vectorizer = keras.layers.TextVectorization(max_tokens=tokens)
    vectorizer.adapt(np.asarray(ds.train.texts, dtype=object), batch_size=1024)

    def ids(texts):
        rows = []
        for i in range(0, len(texts), 2048):
            batch = vectorizer(np.asarray(texts[i : i + 2048], dtype=object)).numpy()
            rows += [r[r != 0] for r in batch]
        return keras.utils.pad_sequences(rows, maxlen=length, padding="pre", truncating="pre")

    y = ds.train.labels.astype("float32").reshape(-1, 1)
    yv = ds.validation.labels.astype("float32").reshape(-1, 1)
    return ids(ds.train.texts), y, (ids(ds.validation.texts), yv)


def measure(label: str, recurrent: dict[str, Any], ds, epochs: int, rounds: int, runs_dir: str, xla: str = "auto") -> dict[str, Any]:
    from engine.training import Trainer
    from engine.training.callbacks import EpochTimer

    exp = make_experiment(recurrent, label, xla=xla)
    k_timer, b_timer = EpochTimer(), EpochTimer()
    trainer = Trainer(exp, ds, runs_dir, listener=lambda e: None, callbacks=[k_timer])
    x, y, val = plain_arrays(ds, exp.vectorize.max_tokens, exp.vectorize.length)
    model = plain_model(recurrent, exp.vectorize.max_tokens, exp.vectorize.length)
    k_rounds: list[list[float]] = []
    b_rounds: list[list[float]] = []

    def kerminal() -> None:
        before = len(k_timer.durations)
        trainer.run(epochs=epochs)
        k_rounds.append(k_timer.durations[before:])

    def plain() -> None:
        before = len(b_timer.durations)
        model.fit(x, y, batch_size=exp.fit.batch_size, epochs=epochs, validation_data=val, callbacks=[b_timer], verbose=0, shuffle=True)
        b_rounds.append(b_timer.durations[before:])

    for r in range(rounds + 1):  # round 0 warms both up (tracing, XLA) and is left out
        first, second = (kerminal, plain) if r % 2 else (plain, kerminal)
        first()
        second()
    n = len(ds.train)
    k_s = [sum(d) for d in k_rounds[1:]]
    b_s = [sum(d) for d in b_rounds[1:]]
    paired = [b / k for k, b in zip(k_s, b_s, strict=True)]
    k_sps = statistics.median(n * epochs / s for s in k_s)
    b_sps = statistics.median(n * epochs / s for s in b_s)
    spread = f"{min(paired):.2f} / {statistics.median(paired):.2f} / {max(paired):.2f}"
    note = (
        f"{n} train / {len(ds.validation)} validation reviews (bench.imdb_like), length 100, batch 32, "
        f"{rounds} interleaved rounds of {epochs} epoch{'s' if epochs != 1 else ''} after a warm-up round (XLA {xla}); a round takes "
        f"kerminal {statistics.median(k_s):.1f} s, plain {statistics.median(b_s):.1f} s; "
        f"paired ratio min / median / max {spread}"
    )
    return common.row(f"train {label}", "samples/s", k_sps, b_sps, GOAL, note, ratio=statistics.median(paired))


def save_time(ds, runs_dir: str) -> dict[str, Any]:
    """One checkpoint save (and its load-back check) of a model with a 20,000-token vocabulary."""
    from pathlib import Path

    from engine import layers
    from engine.runs import saving
    from engine.runs.store import load_model_file

    exp = make_experiment({"type": "LSTM", "units": 32}, "save", tokens=20000)
    model = layers.build(exp, ds)
    path = Path(runs_dir) / "save-bench.keras"
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        saving.save_model_atomic(model, path)
        times.append(time.perf_counter() - t0)
    load = common.time_calls(lambda: load_model_file(path), repeat=3)
    return common.row(
        "checkpoint save, 20k vocabulary",
        "s",
        statistics.median(times),
        None,
        "kerminal < 1 s",
        f"model.save to a temporary name + rename, median of 5; loading it back (the finished-run check) {statistics.median(load):.2f} s; {path.stat().st_size / 1e6:.1f} MB",
    )


def run(quick: bool) -> list[dict[str, Any]]:
    # Quick measures the SimpleRNN alone, on 12,000 training reviews, in 3 rounds of one
    # epoch (after a one-epoch warm-up) rather than one round of 3: three paired ratios give
    # a median and its spread (one round gave a single sample) in about 15 s less. An epoch
    # call trains too few token steps (12,000 x 100) for kerminal's default to turn XLA on,
    # as it does on the full run's calls (20,000 x 100 x 2), so quick turns it on by name:
    # both measure the same setting.
    n = 15000 if quick else 25000
    rounds = 3
    epochs = 1 if quick else 2
    models = MODELS[:1] if quick else MODELS
    xla = "on" if quick else "auto"
    ds = make_dataset(n)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kerminal-bench-train-") as runs_dir:
        for label, recurrent in models:
            rows.append(measure(label, recurrent, ds, epochs, rounds, runs_dir, xla))
        rows.append(save_time(ds, runs_dir))
    return rows


if __name__ == "__main__":
    raise SystemExit(common.main_for(run))
