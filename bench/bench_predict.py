"""Single-text prediction latency: kerminal's Predictor against `model.predict`.

The model is seed 004's, the seed-sized LSTM: string input -> TextVectorization(1,000 tokens,
length 100) -> Embedding(128) -> LSTM(64) -> Dense(64, relu) -> Dense(1, sigmoid), built by
engine.layers from an experiment (weights untrained: latency does not depend on them). The
Predictor makes one call of a tf.function traced once; model.predict builds its data
pipeline on each call. Both see the same sentences, one at a time, after warm-up calls.

    python -m bench.bench_predict [--quick]
"""

from __future__ import annotations

import os
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench import common  # noqa: E402
from bench.bench_train import synthetic_texts  # noqa: E402


def seed_lstm(train_texts: list[str]):
    import numpy as np

    from engine import layers
    from engine.dataset import Dataset, Split
    from engine.experiment import CompileConfig, Experiment, LayerSpec, VectorizeConfig

    exp = Experiment(
        name="seed004-lstm",
        vectorize=VectorizeConfig(kind="words", max_tokens=1000, length=100),
        layers=[
            LayerSpec("Embedding", {"output_dim": 128}),
            LayerSpec("LSTM", {"units": 64}),
            LayerSpec("Dense", {"units": 64, "activation": "relu"}),
            LayerSpec("Dense", {"units": 1, "activation": "sigmoid"}),
        ],
        compile=CompileConfig(optimizer="adam"),
    )
    labels = np.arange(len(train_texts), dtype=np.int64) % 2
    ds = Dataset("synthetic", ["neg", "pos"], Split(train_texts, labels))
    return exp, ds, layers.build(exp, ds)


def run(quick: bool) -> list[dict[str, Any]]:
    import numpy as np
    import tensorflow as tf

    from engine.training import Predictor

    texts, _ = synthetic_texts(400, seed=3)
    exp, ds, model = seed_lstm(texts[:300])
    queries = texts[300:]
    n_k = 100 if quick else 400
    n_b = 30 if quick else 100

    predictor = Predictor(model, ds.class_names, exp)
    for q in queries[:5]:
        predictor.predict(q)
    k_ms = []
    for i in range(n_k):
        t0 = time.perf_counter()
        predictor.predict(queries[i % len(queries)])
        k_ms.append((time.perf_counter() - t0) * 1000)

    def keras_predict(text: str) -> Any:
        return model.predict(tf.constant(np.asarray([[text]], dtype=object)), verbose=0)

    for q in queries[:3]:
        keras_predict(q)
    b_ms = []
    for i in range(n_b):
        t0 = time.perf_counter()
        keras_predict(queries[i % len(queries)])
        b_ms.append((time.perf_counter() - t0) * 1000)

    same = np.allclose(predictor.probabilities(queries[:8])[:, 1], model.predict(tf.constant(np.asarray(queries[:8], dtype=object).reshape(-1, 1)), verbose=0)[:, 0], atol=1e-5)
    note = f"seed-sized LSTM (string in), {n_k} Predictor.predict vs {n_b} model.predict calls on one text; traced {predictor.tracing_count}x; same probabilities: {same}"
    rows = []
    for q, goal in ((50, "kerminal < 10 ms"), (95, "")):
        k, b = common.percentile(k_ms, q), common.percentile(b_ms, q)
        rows.append(common.row(f"predict one text p{q}", "ms", k, b, goal, f"{note}; {b / k:.0f}x faster than model.predict"))
    return rows


if __name__ == "__main__":
    raise SystemExit(common.main_for(run))
