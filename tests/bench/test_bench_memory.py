"""bench_memory: the corpus it writes and the plain Keras layers it builds from layer specs."""

from __future__ import annotations

import pandas as pd

from bench import bench_memory
from engine.experiment import LayerSpec


def test_corpus_is_imdb_like(tmp_path):
    df = pd.read_csv(bench_memory.write_corpus(tmp_path / "r.csv", 40, mean_words=50))
    assert list(df.columns) == ["review", "sentiment"] and len(df) == 40
    assert set(df["sentiment"]) == {"positive", "negative"}
    assert 25 < df["review"].str.split().str.len().mean() < 75


def test_plain_layers_follow_the_specs():
    emb = bench_memory.plain_layer(LayerSpec("Embedding", {"output_dim": 8}), 500)
    assert (emb.input_dim, emb.output_dim) == (500, 8)
    bi = bench_memory.plain_layer(LayerSpec("Bidirectional", {"layer": {"type": "LSTM", "units": 4}, "merge_mode": "concat"}), 500)
    assert type(bi).__name__ == "Bidirectional" and bi.forward_layer.units == 4
