"""Every source loads into a Dataset, from files written the real way."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.data import load_dataset, reber, sample_path
from engine.experiment import DataConfig, Experiment, SplitConfig, loads


def exp_for(tmp_path: Path, **data) -> Experiment:
    split = data.pop("split", SplitConfig(validation=0.25, test=0.0, seed=1))
    return Experiment(data=DataConfig(split=split, **data), base_dir=tmp_path)


REVIEWS = {
    "positive": ["a great film", "wonderful acting and story", "I loved it", "superb fun", "charming and warm", "a delight"],
    "negative": ["a dull film", "awful acting and story", "I hated it", "boring mess", "cold and lifeless", "a chore"],
}


def review_frame() -> pd.DataFrame:
    rows = [(t, cls) for cls, texts in REVIEWS.items() for t in texts]
    return pd.DataFrame({"id": range(len(rows)), "review": [r[0] for r in rows], "sentiment": [r[1] for r in rows]})


def all_texts(ds) -> list[str]:
    return ds.train.texts + ds.validation.texts + ds.test.texts


# --- sample ------------------------------------------------------------------------------


def test_sample_is_balanced_unique_and_loads():
    frame = pd.read_csv(sample_path())
    assert list(frame.columns) == ["text", "label"]
    assert 300 <= len(frame) <= 400
    assert not frame["text"].duplicated().any()
    counts = frame["label"].value_counts()
    assert set(counts.index) == {"negative", "positive"} and counts.min() == counts.max()
    ds = load_dataset(Experiment())
    assert ds.class_names == ["negative", "positive"]
    assert len(all_texts(ds)) == len(frame)
    assert len(ds.validation) == round(0.2 * len(frame))


def test_sample_is_learnable_by_a_bag_of_words():
    """A naive Bayes over words, 5-fold cross-validated, gets most sentences right."""
    from collections import Counter

    from engine.data.clean import standardize

    frame = pd.read_csv(sample_path())
    tokens = standardize(frame["text"]).str.split().tolist()
    y = (frame["label"] == "positive").to_numpy()
    folds = np.array_split(np.random.default_rng(0).permutation(len(frame)), 5)
    right = 0
    for fold in folds:
        train = np.setdiff1d(np.arange(len(frame)), fold)
        counts = [Counter(), Counter()]
        for i in train:
            counts[int(y[i])].update(tokens[i])
        vocab = len(set(counts[0]) | set(counts[1]))
        totals = [sum(c.values()) + vocab for c in counts]
        for i in fold:
            score = sum(np.log((counts[1][w] + 1) / totals[1]) - np.log((counts[0][w] + 1) / totals[0]) for w in tokens[i])
            right += (score > 0) == y[i]
    assert right / len(frame) >= 0.85


# --- reber ------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["reber", "embedded-reber"])
def test_reber_sources_label_validity(tmp_path, source):
    ds = load_dataset(exp_for(tmp_path, source=source, size=400))
    assert ds.symbols and ds.class_names == ["corrupted", "valid"]
    texts, labels = all_texts(ds), np.concatenate([ds.train.labels, ds.validation.labels])
    assert len(texts) == 400 and labels.sum() == 200
    embedded = source == "embedded-reber"
    assert all(reber.is_valid(t, embedded) == bool(y) for t, y in zip(texts, labels, strict=True))


def test_reber_default_size(tmp_path):
    ds = load_dataset(exp_for(tmp_path, source="reber"))
    assert len(all_texts(ds)) == 2000


# --- csv and friends ----------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["csv", "tsv", "jsonl", "json", "parquet"])
def test_table_formats_by_extension(tmp_path, ext):
    frame = review_frame()
    path = tmp_path / f"reviews.{ext}"
    if ext == "csv":
        frame.to_csv(path, index=False)
    elif ext == "tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif ext == "jsonl":
        frame.to_json(path, orient="records", lines=True)
    elif ext == "json":  # one array of records
        frame.to_json(path, orient="records")
    else:
        frame.to_parquet(path)
    ds = load_dataset(exp_for(tmp_path, source="csv", path=path.name, text="review", label="sentiment"))
    assert ds.class_names == ["negative", "positive"]
    assert sorted(all_texts(ds)) == sorted(frame["review"])
    for split in ds.splits().values():
        for text, label in zip(split.texts, split.labels, strict=True):
            assert text in REVIEWS[ds.class_names[label]]


def test_csv_guesses_columns_and_says_so(tmp_path):
    review_frame().to_csv(tmp_path / "r.csv", index=False)
    ds = load_dataset(exp_for(tmp_path, source="csv", path="r.csv"))
    assert ds.class_names == ["negative", "positive"]
    assert any("'review' as text" in n and "'sentiment' as label" in n for n in ds.notes)


def test_csv_numeric_labels_are_kept(tmp_path):
    frame = review_frame()
    frame["sentiment"] = (frame["sentiment"] == "positive").astype(int)
    frame.to_csv(tmp_path / "r.csv", index=False)
    ds = load_dataset(exp_for(tmp_path, source="csv", path="r.csv", text="review", label="sentiment"))
    assert ds.class_names == ["0", "1"]
    for text, label in zip(ds.train.texts, ds.train.labels, strict=True):
        assert text in REVIEWS["positive" if label == 1 else "negative"]


def test_csv_multiclass_string_labels_sorted(tmp_path):
    pd.DataFrame({"t": [f"text {i}" for i in range(9)], "topic": ["sport", "art", "war"] * 3}).to_csv(tmp_path / "m.csv", index=False)
    ds = load_dataset(exp_for(tmp_path, source="csv", path="m.csv", text="t", label="topic", split=SplitConfig(0.0, 0.0, 1)))
    assert ds.class_names == ["art", "sport", "war"] and ds.task == "multiclass"
    assert np.bincount(ds.train.labels).tolist() == [3, 3, 3]


def test_per_class_files(tmp_path):
    # seed 000: Fake.csv and True.csv, one class each, the text in `title`
    pd.DataFrame({"title": [f"Shocking claim number {i}" for i in range(10)], "text": "body", "subject": "News"}).to_csv(tmp_path / "Fake.csv", index=False)
    pd.DataFrame({"title": [f"Senate passes bill {i}" for i in range(8)], "text": "body", "subject": "politics"}).to_csv(tmp_path / "True.csv", index=False)
    exp = loads(
        '[data]\nsource = "per-class"\ntext = "title"\nfiles = { fake = "Fake.csv", true = "True.csv" }\nsplit = { validation = 0.25, test = 0.0, seed = 3 }\n',
        base_dir=tmp_path,
    )
    ds = load_dataset(exp)
    assert ds.class_names == ["fake", "true"]
    labels = np.concatenate([ds.train.labels, ds.validation.labels])
    assert np.bincount(labels).tolist() == [10, 8]
    for split in (ds.train, ds.validation):
        for text, label in zip(split.texts, split.labels, strict=True):
            assert text.startswith("Shocking" if label == 0 else "Senate")


def write_folder(root: Path, split: str, cls: str, texts: list[str]) -> None:
    folder = root / split / cls if split else root / cls
    folder.mkdir(parents=True, exist_ok=True)
    for i, t in enumerate(texts):
        (folder / f"{i}_{len(t)}.txt").write_text(t, encoding="utf-8")


def test_folder_aclimdb_layout(tmp_path):
    root = tmp_path / "aclImdb"
    for split in ("train", "test"):
        write_folder(root, split, "pos", [f"{split} good movie {i}<br />really" for i in range(6)])
        write_folder(root, split, "neg", [f"{split} bad movie {i}" for i in range(5)])
    write_folder(root, "train", "unsup", ["no label here"] * 3)
    (root / "imdb.vocab").write_text("good\nbad\n")
    (root / "README").write_text("readme")
    (root / "train" / "labeledBow.feat").write_text("0 0:1")
    exp = exp_for(tmp_path, source="folder", path="aclImdb", clean=["html"], split=SplitConfig(0.2, 0.3, 5))
    ds = load_dataset(exp)
    assert ds.class_names == ["neg", "pos"]
    assert len(ds.test) == 11 and all(t.startswith("test") for t in ds.test.texts)
    assert len(ds.train) + len(ds.validation) == 11
    assert all(t.startswith("train") for t in ds.train.texts + ds.validation.texts)
    assert all("<br />" not in t for t in all_texts(ds))
    note = next(n for n in ds.notes if "ignored" in n)
    assert "ignored 1 folder that is not a class folder (unsup/)" in note and "3 files" in note
    assert any("own test split" in n for n in ds.notes)


def test_folder_without_splits(tmp_path):
    write_folder(tmp_path / "data", "", "cats", ["meow"] * 4)
    write_folder(tmp_path / "data", "", "dogs", ["woof"] * 4)
    ds = load_dataset(exp_for(tmp_path, source="folder", path="data", split=SplitConfig(0.25, 0.25, 1)))
    assert ds.class_names == ["cats", "dogs"]
    assert [len(s) for s in ds.splits().values()] == [4, 2, 2]


# --- keras ------------------------------------------------------------------------------


def object_array(seqs: list[list[int]]) -> np.ndarray:
    arr = np.empty(len(seqs), dtype=object)
    arr[:] = [list(s) for s in seqs]
    return arr


WORDS = {"the": 1, "movie": 2, "was": 3, "great": 4, "awful": 5, "plot": 6}


def encode(text: str) -> list[int]:
    return [WORDS[w] for w in text.split()]


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    (home / "datasets").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setenv("KERMINAL_OFFLINE", "1")
    return home / "datasets"


def test_keras_imdb_from_the_cache(tmp_path, keras_home):
    train = ["the movie was great", "the plot was awful", "great plot", "awful movie", "the movie was awful", "great great movie"]
    test = ["the plot was great", "awful awful plot"]
    np.savez(
        keras_home / "imdb.npz",
        x_train=object_array([encode(t) for t in train]),
        y_train=np.array([1, 0, 1, 0, 0, 1]),
        x_test=object_array([encode(t) for t in test]),
        y_test=np.array([1, 0]),
    )
    (keras_home / "imdb_word_index.json").write_text(json.dumps(WORDS))
    ds = load_dataset(exp_for(tmp_path, source="keras", name="imdb", split=SplitConfig(0.0, 0.0, 1)))
    assert ds.class_names == ["negative", "positive"]
    assert sorted(zip(ds.train.texts, ds.train.labels.tolist(), strict=True)) == sorted(zip(train, [1, 0, 1, 0, 0, 1], strict=True))
    assert sorted(zip(ds.test.texts, ds.test.labels.tolist(), strict=True)) == sorted(zip(test, [1, 0], strict=True))


def test_merge_test_pools_the_sources_own_test_split(tmp_path, keras_home):
    # Seed 003: IMDB's train and test merged, then split by the experiment's own fractions.
    train = ["the movie was great", "the plot was awful", "great plot", "awful movie", "the movie was awful", "great great movie"]
    test = ["the plot was great", "awful awful plot", "great movie", "awful plot"]
    np.savez(
        keras_home / "imdb.npz",
        x_train=object_array([encode(t) for t in train]),
        y_train=np.array([1, 0, 1, 0, 0, 1]),
        x_test=object_array([encode(t) for t in test]),
        y_test=np.array([1, 0, 1, 0]),
    )
    (keras_home / "imdb_word_index.json").write_text(json.dumps(WORDS))
    ds = load_dataset(exp_for(tmp_path, source="keras", name="imdb", split=SplitConfig(0.2, 0.2, 42, merge_test=True)))
    everything = sorted(ds.train.texts + ds.validation.texts + ds.test.texts)
    assert everything == sorted(train + test)
    assert (len(ds.train), len(ds.validation), len(ds.test)) == (6, 2, 2)
    assert any("pooled" in n for n in ds.notes)


def test_keras_imdb_matches_keras_index_from_convention(tmp_path, keras_home):
    """Decoding Keras's load_data output (index_from=3) gives the texts kerminal loads."""
    seqs = [encode("the movie was great"), encode("awful plot")]
    np.savez(keras_home / "imdb.npz", x_train=object_array(seqs), y_train=np.array([1, 0]), x_test=object_array(seqs), y_test=np.array([1, 0]))
    (keras_home / "imdb_word_index.json").write_text(json.dumps(WORDS))
    index_from, start_char = 3, 1
    as_keras = [[start_char] + [w + index_from for w in s] for s in seqs]  # what imdb.load_data returns
    inverted = {i + index_from: w for w, i in WORDS.items()}
    expected = [" ".join(inverted[i] for i in s[1:]) for s in as_keras]
    ds = load_dataset(exp_for(tmp_path, source="keras", name="imdb", split=SplitConfig(0.0, 0.0, 1)))
    assert sorted(ds.test.texts) == sorted(expected)


def test_keras_reuters_from_the_cache(tmp_path, keras_home):
    texts = ["the movie was great", "the plot", "awful plot", "great movie", "was awful", "the great plot", "movie movie", "plot was great", "awful", "the"]
    labels = np.array([0, 1, 2, 3, 0, 1, 2, 3, 0, 1])
    np.savez(keras_home / "reuters.npz", x=object_array([encode(t) for t in texts]), y=labels)
    (keras_home / "reuters_word_index.json").write_text(json.dumps(WORDS))
    ds = load_dataset(exp_for(tmp_path, source="keras", name="reuters", split=SplitConfig(0.0, 0.0, 1)))
    assert ds.class_names[:4] == ["cocoa", "grain", "veg-oil", "earn"] and ds.task == "multiclass"
    assert len(ds.train) == 8 and len(ds.test) == 2  # Keras's own 80/20 split
    assert sorted(all_texts(ds)) == sorted(texts)


def test_importing_engine_data_is_cheap():
    import subprocess
    import sys

    code = "import sys, engine.data; print('pandas' in sys.modules, 'tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_keras_downloads_when_the_host_answers(tmp_path, keras_home, monkeypatch):
    from engine.data import keras_datasets

    monkeypatch.delenv("KERMINAL_OFFLINE")
    calls = []

    def fake_download(name):  # stands in for keras.datasets.<name>.load_data() + get_word_index()
        calls.append(name)
        np.savez(keras_home / "imdb.npz", x_train=object_array([encode("great movie"), encode("awful plot")]), y_train=np.array([1, 0]), x_test=object_array([encode("the plot")]), y_test=np.array([0]))
        (keras_home / "imdb_word_index.json").write_text(json.dumps(WORDS))

    monkeypatch.setattr(keras_datasets, "_host_answers", lambda url, timeout=0: url.endswith("imdb.npz"))
    monkeypatch.setattr(keras_datasets, "_download", fake_download)
    ds = load_dataset(exp_for(tmp_path, source="keras", name="imdb", split=SplitConfig(0.0, 0.0, 1)))
    assert calls == ["imdb"] and sorted(ds.train.texts) == ["awful plot", "great movie"] and ds.test.texts == ["the plot"]
    load_dataset(exp_for(tmp_path, source="keras", name="imdb"))
    assert calls == ["imdb"]  # cached now: no second download
