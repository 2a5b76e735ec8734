"""The prepared-data cache in training: a vectorizer made from its cached state is the adapted
one, a cached second run trains what an uncached one trains, a resume reads the cache, and
`kerminal cache` lists and clears it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.experiment import CompileConfig, DataConfig, Experiment, FitConfig, LayerSpec, VectorizeConfig
from engine.prepared import PreparedCache

TEXTS = ["the cat sat on the mat", "a dog! and the cat", "hello world hello", "ÿes, naïve café", "mat mat dog", "zebra"]


@pytest.mark.parametrize(
    "config",
    [
        VectorizeConfig(kind="words", max_tokens=50, length=6),
        VectorizeConfig(kind="words", max_tokens=5, length=4, padding="post", truncation="post"),
        VectorizeConfig(kind="ngrams", max_tokens=40, ngrams=2, output_mode="tf_idf"),
        VectorizeConfig(kind="ngrams", max_tokens=8, ngrams=2, output_mode="tf_idf"),
        VectorizeConfig(kind="ngrams", max_tokens=40, ngrams=1, output_mode="multi_hot"),
        VectorizeConfig(kind="ngrams", max_tokens=40, ngrams=2, output_mode="nb"),
        VectorizeConfig(kind="chars", length=10),
    ],
    ids=lambda c: f"{c.kind}-{c.max_tokens}-{c.output_mode if c.kind == 'ngrams' else c.length}",
)
def test_a_vectorizer_made_from_its_state_is_the_adapted_one_and_saves(tmp_path, config):
    import keras
    import tensorflow as tf

    from engine.vectorize import make_vectorizer, vectorizer_state

    adapted = make_vectorizer(config, TEXTS, labels=np.arange(len(TEXTS)) % 2, classes=["neg", "pos"])  # labels: nb's ratios
    state = vectorizer_state(config, adapted)
    again = make_vectorizer(config, TEXTS, state)
    x = tf.constant(np.asarray(TEXTS + ["unseen words here"], dtype=object).reshape(-1, 1))

    def model(layers):
        inputs = keras.Input(shape=(1,), dtype="string")
        out = inputs
        for layer in layers:
            out = layer(out)
        return keras.Model(inputs, out)

    want = np.asarray(model(adapted)(x))
    made = model(again)
    np.testing.assert_allclose(np.asarray(made(x)), want, rtol=1e-6)
    made.save(tmp_path / "m.keras")
    from engine import keras_layers  # noqa: F401  (registers kerminal's layers for loading)

    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(x)), want, rtol=1e-6)
    assert vectorizer_state(config, again).vocabulary == state.vocabulary


def _folder(root: Path) -> Path:
    good, bad = ["great", "fine", "loved"], ["awful", "dull", "hated"]
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for cls, words in (("pos", good), ("neg", bad)):
            (root / split / cls).mkdir(parents=True)
            for i in range(40):
                text = " ".join([*rng.choice(words, size=3), *(f"w{int(k)}" for k in rng.integers(0, 30, size=6))])
                (root / split / cls / f"{i}_{8 if cls == 'pos' else 1}.txt").write_text(text)
    return root


def _experiment(tmp_path: Path) -> Experiment:
    if not (tmp_path / "reviews").exists():
        _folder(tmp_path / "reviews")
    return Experiment(
        name="cached",
        data=DataConfig(source="folder", path="reviews"),
        vectorize=VectorizeConfig(kind="words", max_tokens=60, length=10),
        layers=[LayerSpec("Embedding", {"output_dim": 4}), LayerSpec("GlobalAveragePooling1D"), LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})],
        compile=CompileConfig(optimizer="adam", learning_rate=0.01, loss="binary_crossentropy", metrics=["accuracy"]),
        fit=FitConfig(epochs=1, batch_size=16, seed=5, xla="off"),
        base_dir=tmp_path,
    )


def _train(exp: Experiment, runs: Path, cache: PreparedCache | None):
    from engine.data import load_dataset
    from engine.runs import events as ev
    from engine.training.trainer import Trainer

    ds = cache.load_dataset() if cache is not None else load_dataset(exp)
    trainer = Trainer(exp, ds, runs, steer=False, prepared=cache)
    result = trainer.run()
    (started,) = [e for e in result.events if isinstance(e, ev.Started)]
    return trainer, started.pipeline


def test_a_cached_second_run_trains_what_an_uncached_run_trains(tmp_path):
    exp = _experiment(tmp_path)
    first, said = _train(exp, tmp_path / "runs", PreparedCache(exp))
    assert "prepared-data cache: data not cached yet" in said and "ids not cached yet, cached" in said
    second, said = _train(exp, tmp_path / "runs", PreparedCache(exp))
    assert "data from the cache, vectorizer from the cache, ids from the cache" in said
    plain, said = _train(exp, tmp_path / "runs", None)
    assert "cache" not in said
    probe = second.dataset.validation.texts[:8]
    import tensorflow as tf

    x = tf.constant(np.asarray(probe, dtype=object).reshape(-1, 1))
    np.testing.assert_allclose(np.asarray(second.model(x)), np.asarray(plain.model(x)), rtol=1e-5, atol=1e-6)
    assert second.model.get_layer("vectorize").get_vocabulary() == plain.model.get_layer("vectorize").get_vocabulary()
    np.testing.assert_array_equal(second._data[0], plain._data[0])


def test_a_resume_reads_the_data_and_ids_from_the_cache(tmp_path):
    from engine.runs import events as ev
    from engine.training.trainer import Trainer

    exp = _experiment(tmp_path)
    first, _ = _train(exp, tmp_path / "runs", PreparedCache(exp))
    resumed = Trainer.from_run(first.run_dir, prepared=True)
    resumed.steer = False
    result = resumed.run(epochs=1)
    (started,) = [e for e in result.events if isinstance(e, ev.Started)]
    assert "data from the cache" in started.pipeline and "ids from the cache" in started.pipeline
    assert result.epochs == 2


def test_kerminal_cache_lists_and_clears(tmp_path, capsys):
    from engine.cli import main

    exp = _experiment(tmp_path)
    cache = PreparedCache(exp)
    cache.load_dataset()
    assert main(["cache", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["kind"] == "data" and lines[0]["data"] == "reviews" and lines[0]["bytes"] > 0
    assert lines[-1]["entries"] == 1 and lines[-1]["cap"] > 0
    assert main(["cache"]) == 0
    assert "1 entry" in capsys.readouterr().out
    assert main(["cache", "--clear", lines[0]["key"][2:10]]) == 0
    assert "removed 1 entry" in capsys.readouterr().out
    assert main(["cache", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["entries"] == 0


@pytest.mark.parametrize("damage", ["ids out of range", "ids shape", "vocabulary repeated", "idf missing"])
def test_a_damaged_vectorizer_or_ids_entry_is_rebuilt_and_the_run_finishes(tmp_path, damage):
    exp = _experiment(tmp_path)
    root = Path(PreparedCache(exp).store.root)
    _train(exp, tmp_path / "runs", PreparedCache(exp))
    (ids,) = root.glob("i-*")
    (vec,) = root.glob("v-*")
    if damage == "ids out of range":
        a = np.load(ids / "train.npy")
        a[0, 0] = 10**6
        np.save(ids / "train.npy", a)
    elif damage == "ids shape":
        np.save(ids / "train.npy", np.zeros((3, 2), dtype=np.int32))
    elif damage == "vocabulary repeated":
        # every entry becomes a run of "a" as long as it was: entries of one length repeat
        (vec / "vocabulary.utf8").write_bytes(b"a" * len((vec / "vocabulary.utf8").read_bytes()))
    else:
        meta = json.loads((vec / "meta.json").read_text())
        meta["idf"] = True
        (vec / "meta.json").write_text(json.dumps(meta))
    trainer, said = _train(exp, tmp_path / "runs", PreparedCache(exp))
    kind = "ids" if damage.startswith("ids") else "vectorizer"
    assert f"{kind} rebuilt (the cached entry was unreadable" in said, said
    assert trainer.status == "finished"


def test_no_cache_reads_and_writes_nothing(tmp_path):
    from engine.cli import command_parser

    exp = _experiment(tmp_path)
    cache = PreparedCache(exp, enabled=False)
    ds = cache.load_dataset()
    assert len(ds.train) and cache.vectorizer() is None and cache.note() == "prepared-data cache off (--no-cache)"
    assert not list(Path(cache.store.root).glob("?-*"))
    assert command_parser("train").parse_intermixed_args(["x.toml", "--no-cache"]).no_cache


def test_a_full_disk_while_caching_the_ids_leaves_no_entry_and_the_run_finishes(tmp_path, monkeypatch):
    from engine.prepared import codec

    exp = _experiment(tmp_path)
    real = codec.write_array

    def full(path, array):
        if path.name == "train.npy":
            raise OSError(28, "No space left on device", str(path))
        real(path, array)

    monkeypatch.setattr(codec, "write_array", full)
    cache = PreparedCache(exp)
    trainer, said = _train(exp, tmp_path / "runs", cache)
    assert trainer.status == "finished"
    assert "is full; the run goes on without caching" in said and "kerminal cache --clear" in said
    root = Path(cache.store.root)
    assert not list(root.glob("i-*")) and not list(root.glob(".tmp-*"))
    assert list(root.glob("d-*")) and list(root.glob("v-*"))  # written before the disk filled


def test_a_vocabulary_keras_refuses_is_adapted_afresh(tmp_path):
    from engine.prepared import codec

    exp = _experiment(tmp_path)
    _train(exp, tmp_path / "runs", PreparedCache(exp))
    (vec,) = Path(PreparedCache(exp).store.root).glob("v-*")
    vocab = codec.read_texts(vec, "vocabulary", json.loads((vec / "meta.json").read_text())["vocabulary"])
    vocab[1], vocab[2] = vocab[2], vocab[1]  # the out-of-vocabulary token out of its place
    for name in ("vocabulary.utf8", "vocabulary.offsets.npy"):
        (vec / name).unlink()
    codec.write_texts(vec, "vocabulary", vocab)
    trainer, said = _train(exp, tmp_path / "runs", PreparedCache(exp))
    assert "vectorizer rebuilt (Keras refused the cached vocabulary)" in said, said
    assert trainer.status == "finished"
