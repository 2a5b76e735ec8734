"""Finding 8 of issue 18: long texts are cut to a character cap before they are vectorized,
the same way in training and prediction, without changing what the model sees."""

from __future__ import annotations

import numpy as np
import pytest

from engine import text_cap
from engine.dataset import Dataset, Split
from engine.experiment import CompileConfig, Experiment, FitConfig, LayerSpec, VectorizeConfig

WORDS = "the a film movie good bad great awful plot acting story boring wonderful long short".split()


def _long_text(chars: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    words = rng.choice(WORDS, size=chars // 4 + 10)
    return " ".join(words)[:chars]


def _ids(config: VectorizeConfig, texts: list[str]) -> np.ndarray:
    """The vectorizer's output for each text, one text at a time (a batch of one)."""
    import keras
    import tensorflow as tf

    from engine.vectorize import make_vectorizer

    layers = make_vectorizer(config, WORDS * 3)
    model = keras.Sequential([keras.Input(shape=(1,), dtype="string"), *layers])
    return np.concatenate([np.asarray(model(tf.constant([[t]]))) for t in texts])


@pytest.mark.slow
@pytest.mark.parametrize("kind, truncation", [("words", "post"), ("words", "pre"), ("chars", "post"), ("chars", "pre")])
def test_the_ids_of_a_10_mb_text_are_those_of_its_capped_characters(kind, truncation):
    config = VectorizeConfig(kind=kind, max_tokens=50, length=30, padding="post", truncation=truncation, alphabet="abcdefghijklmnopqrstuvwxyz " if kind == "chars" else "")
    text = _long_text(10_000_000)
    cap = text_cap.text_cap(config)
    capped = text_cap.cap_text(text, config)
    assert len(capped) == cap
    assert capped == (text[-cap:] if truncation == "pre" else text[:cap])
    whole, cut = _ids(config, [text, capped])
    np.testing.assert_array_equal(whole, cut)  # the cap did not change what the model sees


def test_normal_texts_are_never_cut():
    config = VectorizeConfig(kind="words", length=24)
    review = _long_text(14_000)  # longer than the longest IMDB review
    assert text_cap.text_cap(config) == text_cap.MIN_WORDS_CHARS
    assert text_cap.cap_text(review, config) is review
    assert text_cap.cap_texts([review, "short"], config) == ([review, "short"], 0)
    ds = Dataset("d", ["a", "b"], Split([review], np.zeros(1, dtype=np.int64)))
    assert text_cap.cap_dataset(ds, config) == (ds, 0)


def test_caps_by_kind():
    assert text_cap.text_cap(VectorizeConfig(kind="words", length=10_000)) == 500_000  # 50 characters a token
    assert text_cap.text_cap(VectorizeConfig(kind="chars", length=100)) == 200
    ngrams = VectorizeConfig(kind="ngrams", truncation="pre")
    text = "x " * 600_000
    assert text_cap.cap_text(text, ngrams) == text[: text_cap.NGRAMS_CHARS]  # a bag has no end to keep


def _experiment() -> Experiment:
    return Experiment(
        name="long",
        vectorize=VectorizeConfig(kind="words", max_tokens=50, length=12, padding="post", truncation="pre"),
        layers=[LayerSpec("Embedding", {"output_dim": 4}), LayerSpec("GRU", {"units": 4}), LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})],
        compile=CompileConfig(optimizer="adam", learning_rate=0.01, loss="binary_crossentropy", metrics=["accuracy"]),
        fit=FitConfig(epochs=1, batch_size=16, seed=3),
    )


@pytest.mark.slow
def test_a_tiny_train_with_one_very_long_review_finishes_and_says_it_was_cut(tmp_path):
    from engine.runs import events
    from engine.training import Predictor, Trainer

    long = _long_text(8_000_000)
    texts = [("a wonderful good film" if i % 2 else "a boring awful film") for i in range(40)]
    texts[3] = long
    labels = np.asarray([i % 2 for i in range(40)], dtype=np.int64)
    ds = Dataset("long", ["neg", "pos"], Split(texts[:32], labels[:32]), Split(texts[32:], labels[32:]))
    started = []
    trainer = Trainer(_experiment(), ds, tmp_path, listener=lambda e: started.append(e) if isinstance(e, events.Started) else None)
    result = trainer.run()
    assert result.status == "finished"
    assert "1 text longer than 100,000 characters cut to their last 100,000" in started[0].pipeline
    # The predictor cuts the same way: the long text predicts as its kept end does.
    predictor = Predictor(trainer.model, ds.class_names, trainer.exp)
    end = long[-text_cap.MIN_WORDS_CHARS :]
    np.testing.assert_allclose(predictor.probabilities([long]), predictor.probabilities([end]), rtol=1e-6)
    assert predictor.predict(long).probabilities == predictor.predict(end).probabilities
