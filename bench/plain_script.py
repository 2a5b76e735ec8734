"""The tutorials' own way, as a user would write it without kerminal: the baseline.

Read the reviews CSV with pandas, hold out a validation split, adapt a `TextVectorization`
once on the training texts, turn every text into integer ids once, pad them with
`keras.utils.pad_sequences` (front padding and truncation, as the tutorials' tokenizer did),
then `model.fit` on the integer arrays. Prints one JSON object: the wall time of the whole
program, of the load and vectorize steps, and of each epoch.

    python -m bench.plain_script REVIEWS.csv --model lstm [--epochs 2] [--tokens 10000] [--length 100]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

T_START = time.perf_counter()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


class EpochTimes(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.durations: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.durations.append(time.perf_counter() - self._t0)


def recurrent(kind: str) -> keras.layers.Layer:
    if kind == "simplernn":
        return keras.layers.SimpleRNN(32)
    if kind == "lstm":
        return keras.layers.LSTM(32)
    if kind == "bilstm":
        return keras.layers.Bidirectional(keras.layers.LSTM(32))
    raise SystemExit(f"unknown model {kind!r}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("--model", default="simplernn")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=10000)
    ap.add_argument("--length", type=int, default=100)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--validation", type=float, default=0.2)
    a = ap.parse_args(argv)

    t0 = time.perf_counter()
    frame = pd.read_csv(a.csv)
    texts = frame["review"].astype(str).to_numpy()
    labels = (frame["sentiment"] == "positive").astype("float32").to_numpy()
    rng = np.random.default_rng(42)
    order = rng.permutation(len(texts))
    n_val = int(len(texts) * a.validation)
    val_i, train_i = order[:n_val], order[n_val:]
    keras.utils.set_random_seed(42)
    vectorizer = keras.layers.TextVectorization(max_tokens=a.tokens)
    vectorizer.adapt(texts[train_i], batch_size=1024)
    t_load = time.perf_counter() - t0

    t0 = time.perf_counter()

    def ids(idx: np.ndarray) -> np.ndarray:
        rows = []
        for i in range(0, len(idx), 2048):
            batch = vectorizer(texts[idx[i : i + 2048]]).numpy()
            rows += [r[r != 0] for r in batch]
        return keras.utils.pad_sequences(rows, maxlen=a.length, padding="pre", truncating="pre")

    x_train, x_val = ids(train_i), ids(val_i)
    t_vec = time.perf_counter() - t0

    model = keras.Sequential([keras.Input((a.length,), dtype="int32"), keras.layers.Embedding(a.tokens, 32), recurrent(a.model), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    timer = EpochTimes()
    history = model.fit(x_train, labels[train_i], batch_size=a.batch, epochs=a.epochs, validation_data=(x_val, labels[val_i]), callbacks=[timer], verbose=0)
    out = {
        "program": "plain",
        "model": a.model,
        "train_samples": int(len(train_i)),
        "validation_samples": int(n_val),
        "load_s": t_load,
        "vectorize_s": t_vec,
        "epoch_s": timer.durations,
        "val_accuracy": [float(v) for v in history.history.get("val_accuracy", [])],
        "total_s": time.perf_counter() - T_START,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
