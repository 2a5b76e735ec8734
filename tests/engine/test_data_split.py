"""Cleaning, stratified seeded splits, a source's own test split, and the row limit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data import load_dataset
from engine.data.clean import clean_texts, standardize
from engine.data.split import stratified_split
from engine.experiment import DataConfig, Experiment, SplitConfig


def test_cleaners():
    s = pd.Series(["Great<br />movie, REALLY!", "It's <i>bad</i>."])
    assert clean_texts(s, ["html"]).tolist() == ["Great movie, REALLY!", "It's  bad ."]
    assert clean_texts(s, ["lower"]).tolist() == ["great<br />movie, really!", "it's <i>bad</i>."]
    assert clean_texts(s, ["punctuation"]).tolist() == ["Greatbr movie REALLY", "Its ibadi"]
    assert clean_texts(s, ["html", "lower", "punctuation"]).tolist() == ["great movie really", "its  bad "]
    assert standardize(pd.Series(["Don't STOP, now."])).tolist() == ["dont stop now"]


def test_stratified_split_keeps_class_proportions_and_is_seeded():
    labels = np.array([0] * 80 + [1] * 20)
    train, val, test = stratified_split(labels, 0.2, 0.1, seed=4)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(100))
    assert np.bincount(labels[val]).tolist() == [16, 4]
    assert np.bincount(labels[test]).tolist() == [8, 2]
    again = stratified_split(labels, 0.2, 0.1, seed=4)
    assert all((a == b).all() for a, b in zip((train, val, test), again, strict=True))
    assert not (stratified_split(labels, 0.2, 0.1, seed=5)[0] == train).all()


def test_tiny_class_keeps_a_training_row():
    labels = np.array([0] * 10 + [1])
    train, val, test = stratified_split(labels, 0.5, 0.4, seed=0)
    assert 1 in labels[train]


def test_limit_rows_per_split_and_splits_are_shuffled(tmp_path):
    pd.DataFrame({"text": [f"row {i}" for i in range(100)], "label": ["a"] * 50 + ["b"] * 50}).to_csv(tmp_path / "t.csv", index=False)
    exp = Experiment(data=DataConfig(source="csv", path="t.csv", split=SplitConfig(0.2, 0.2, 1), limit=10), base_dir=tmp_path)
    ds = load_dataset(exp)
    assert [len(s) for s in ds.splits().values()] == [10, 10, 10]
    assert set(ds.train.labels.tolist()) == {0, 1}
    assert any("kept 30 of 100 rows" in n for n in ds.notes)


def test_own_test_split_is_kept_and_validation_comes_from_train(tmp_path):
    for split, n in (("train", 10), ("test", 4)):
        for cls in ("neg", "pos"):
            d = tmp_path / "imdb" / split / cls
            d.mkdir(parents=True)
            for i in range(n):
                (d / f"{i}.txt").write_text(f"{split} {cls} {i}")
    exp = Experiment(data=DataConfig(source="folder", path="imdb", split=SplitConfig(0.2, 0.0, 1)), base_dir=tmp_path)
    ds = load_dataset(exp)
    assert len(ds.test) == 8 and len(ds.validation) == 4 and len(ds.train) == 16
    assert all(t.startswith("test") for t in ds.test.texts)
    assert not any("own test split" in n for n in ds.notes)  # split.test is 0: nothing ignored


def _imdb_folder(root, train_n, test_n):
    for split, n in (("train", train_n), ("test", test_n)):
        for cls in ("neg", "pos"):
            d = root / "imdb" / split / cls
            d.mkdir(parents=True)
            for i in range(n):
                (d / f"{i}.txt").write_text(f"{split} {cls} {i}")


def test_validation_from_the_own_test_split_with_per_split_limits(tmp_path):
    # seed 002: 4,000 training reviews, validated on 1,000 test reviews (here 20 and 5)
    _imdb_folder(tmp_path, 30, 10)
    split = SplitConfig(0.2, 0.0, 1, validation_from_test=True)
    exp = Experiment(data=DataConfig(source="folder", path="imdb", split=split, limit=20, validation_limit=5), base_dir=tmp_path)
    ds = load_dataset(exp)
    assert (len(ds.train), len(ds.validation), len(ds.test)) == (20, 5, 15)
    assert all(t.startswith("train") for t in ds.train.texts)
    assert all(t.startswith("test") for t in ds.validation.texts) and all(t.startswith("test") for t in ds.test.texts)
    assert not set(ds.validation.texts) & set(ds.test.texts)
    assert any("validating on 5 rows of its own test split" in n for n in ds.notes)
    assert any("20 train, 5 validation, 15 test" in n for n in ds.notes)
    # a test limit of its own
    exp.data.test_limit = 3
    assert len(load_dataset(exp).test) == 3


def test_validation_from_test_without_a_test_split_says_so(tmp_path):
    pd.DataFrame({"text": [f"row {i}" for i in range(40)], "label": ["a", "b"] * 20}).to_csv(tmp_path / "t.csv", index=False)
    split = SplitConfig(0.25, 0.0, 1, validation_from_test=True)
    ds = load_dataset(Experiment(data=DataConfig(source="csv", path="t.csv", split=split), base_dir=tmp_path))
    assert len(ds.validation) == 10  # the fraction applies as usual
    assert any("no test split of its own" in n for n in ds.notes)
