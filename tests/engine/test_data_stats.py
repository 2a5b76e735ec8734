"""dataset_stats: rows per class, lengths, vocabulary and out-of-vocabulary rate, samples."""

from __future__ import annotations

import json

import numpy as np

from engine.data import dataset_stats, load_dataset
from engine.dataset import Dataset, Split
from engine.experiment import DataConfig, Experiment, VectorizeConfig


def small() -> Dataset:
    train = Split(["The cat sat.", "the DOG sat", "a cat, a dog, a bird!", "cat"], np.array([0, 1, 1, 0]))
    val = Split(["the fish sat", "zebra"], np.array([0, 1]))
    return Dataset("tiny", ["a", "b"], train, val)


def test_counts_lengths_and_vocabulary():
    stats = dataset_stats(small(), VectorizeConfig(max_tokens=5, length=3))
    assert stats.rows["train"] == {"a": 2, "b": 2, "total": 4}
    assert stats.rows["validation"] == {"a": 1, "b": 1, "total": 2}
    assert stats.rows["test"]["total"] == 0
    # tokens: [the cat sat] [the dog sat] [a cat a dog a bird] [cat]
    assert stats.vocab_size == 6 and stats.unit == "words"
    assert stats.length_max == 6 and stats.length_p50 == 3
    assert stats.truncated_rate == 0.25
    # max_tokens 5 keeps 3 words (ids 0 and 1 are padding and [UNK]): cat 3, a 3, then one of the 2-count words
    assert abs(stats.oov_rate - (13 - 8) / 13) < 1e-6
    assert stats.oov_rate_validation is not None and 0.0 < stats.oov_rate_validation <= 1.0
    assert {s["label"] for s in stats.samples} == {"a", "b"}
    json.dumps(stats.to_dict())


def test_grammar_strings_count_characters(tmp_path):
    ds = load_dataset(Experiment(data=DataConfig(source="embedded-reber", size=200), base_dir=tmp_path))
    stats = dataset_stats(ds, VectorizeConfig(kind="chars", length=12))
    assert stats.unit == "chars" and stats.vocab_size == 7
    assert stats.length_max == max(len(t) for t in ds.train.texts)
    assert stats.oov_rate == 0.0 and 0 < stats.truncated_rate < 1


def test_sample_stats_with_defaults():
    stats = dataset_stats(load_dataset(Experiment()))
    d = stats.to_dict()
    assert d["rows"]["train"]["total"] + d["rows"]["validation"]["total"] == 362
    assert 5 <= d["length_p50"] <= 15 and d["oov_rate"] == 0.0
