"""vectorize.output_mode = "nb" (issue 22): a multi-hot bag of n-grams, each column scaled by
its naive-Bayes log-count ratio r = log((p/|p|1) / (q/|q|1)) (Wang & Manning 2012), fitted on
the training split; binary tasks only."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.dataset import Dataset, Split
from engine.errors import DataError
from engine.experiment import VectorizeConfig

NB = VectorizeConfig(kind="ngrams", max_tokens=64, ngrams=2, output_mode="nb")
TEXTS = ["a good film, great acting", "great fun and good", "bad bad movie", "dull and bad, not good", "great film", "awful"]
LABELS = np.array([1, 1, 0, 0, 1, 0])


# ---- bad input first ------------------------------------------------------------------------
def test_more_than_two_classes_are_refused_with_the_classes_and_the_fix():
    from engine.vectorize import make_vectorizer

    with pytest.raises(DataError) as info:
        make_vectorizer(NB, TEXTS, labels=np.array([0, 1, 2, 0, 1, 2]), classes=["neg", "neutral", "pos"])
    assert "exactly two classes" in info.value.problem and "3 classes (neg, neutral, pos)" in info.value.problem
    assert 'output_mode = "multi_hot"' in info.value.fix


def test_the_refusal_comes_before_training_and_in_inspect_without_tensorflow():
    from engine.cli.inspect_cmd import train_problems
    from engine.experiment import Experiment, LayerSpec

    exp = Experiment(vectorize=dataclasses.replace(NB), layers=[LayerSpec("Dense", {"units": 3, "activation": "softmax"})])
    ds = Dataset("three", ["neg", "neutral", "pos"], Split(TEXTS, np.array([0, 1, 2, 0, 1, 2])))
    problems = train_problems(exp, ds)
    assert [p for p in problems if isinstance(p, DataError) and "exactly two classes" in p.problem]
    assert sum("exactly two classes" in p.problem for p in problems) == 1  # said once, not again as a stack error
    exp.vectorize.output_mode = "multi_hot"  # the fix it names is accepted
    assert not [p for p in train_problems(exp, ds) if isinstance(p, DataError)]


def test_the_layers_pane_report_says_it_before_t_is_pressed():
    from engine.experiment import Experiment, LayerSpec
    from engine.layers import validate_experiment

    exp = Experiment(vectorize=dataclasses.replace(NB), layers=[LayerSpec("Dense", {"units": 3, "activation": "softmax"})])
    ds = Dataset("three", ["neg", "neutral", "pos"], Split(TEXTS, np.array([0, 1, 2, 0, 1, 2])))
    errors = validate_experiment(exp, ds).errors
    assert [e for e in errors if "exactly two classes" in e and 'Fix: Use vectorize.output_mode = "multi_hot"' in e]
    two = Dataset("two", ["neg", "pos"], Split(TEXTS, LABELS))
    assert not [e for e in validate_experiment(exp, two).errors if "exactly two classes" in e]


def test_a_training_split_of_one_class_is_refused_naming_the_class():
    from engine.vectorize import make_vectorizer

    with pytest.raises(DataError) as info:
        make_vectorizer(NB, TEXTS, labels=np.zeros(len(TEXTS), dtype=np.int64), classes=["neg", "pos"])
    assert "only 'neg'" in info.value.problem and "'pos'" in info.value.problem


def test_a_one_class_training_split_stops_the_run_before_the_model_is_built(tmp_path):
    from engine.errors import TrainingError
    from engine.experiment import Experiment, LayerSpec
    from engine.training.checks import check_dataset, check_vectorizer

    ds = Dataset("one", ["neg", "pos"], Split(TEXTS, np.zeros(len(TEXTS), dtype=np.int64)))
    with pytest.raises(TrainingError, match="only one class"):
        check_dataset(ds)
    exp = Experiment(vectorize=dataclasses.replace(NB), layers=[LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})])
    with pytest.raises(DataError, match="only 'neg'"):
        check_vectorizer(exp, ds)


def test_labels_are_needed():
    from engine.vectorize import make_vectorizer

    with pytest.raises(DataError, match="training labels"):
        make_vectorizer(NB, TEXTS)


def test_other_modes_and_kinds_are_not_checked_for_classes():
    from engine.vectorize import check_classes

    for config in (VectorizeConfig(kind="ngrams", output_mode="multi_hot"), VectorizeConfig(kind="words", output_mode="nb")):
        check_classes(config, ["a", "b", "c"], np.array([0, 0, 0]))


# ---- what it computes -----------------------------------------------------------------------
def _vectors(layers, texts):
    import tensorflow as tf

    x = tf.constant(np.asarray(texts, dtype=object).reshape(-1, 1))
    for layer in layers:
        x = layer(x)
    return np.asarray(x)


def test_the_weights_are_the_nb_log_count_ratio_of_the_multi_hot_bag_and_pads_get_zero():
    from engine.vectorize import make_vectorizer, vectorizer_state

    nb = make_vectorizer(NB, TEXTS, labels=LABELS, classes=["neg", "pos"])
    hot = make_vectorizer(VectorizeConfig(kind="ngrams", max_tokens=64, ngrams=2, output_mode="multi_hot"), TEXTS)
    presence = _vectors(hot, TEXTS)
    vocab = [str(t) for t in nb[0].get_vocabulary()]
    real = sum(1 for t in vocab if not t.startswith("[unused"))
    assert len(vocab) == 64 and real < 64  # padded to max_tokens, as the other modes
    p = 1 + presence[LABELS == 1, :real].sum(0)
    q = 1 + presence[LABELS == 0, :real].sum(0)
    r = np.zeros(64, np.float32)
    r[:real] = np.log((p / p.sum()) / (q / q.sum()))
    state = vectorizer_state(NB, nb)
    np.testing.assert_allclose(state.nb, r, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_vectors(nb, TEXTS + ["unseen words"]), _vectors(hot, TEXTS + ["unseen words"]) * r, rtol=1e-5, atol=1e-6)
    great, bad = vocab.index("great"), vocab.index("bad")
    assert state.nb[great] > 0 > state.nb[bad]  # label 1 (the second class) is the positive one


def test_made_from_its_state_without_adapting_it_gives_the_same_vectors(monkeypatch):
    import keras

    from engine.vectorize import make_vectorizer, vectorizer_state

    adapted = make_vectorizer(NB, TEXTS, labels=LABELS, classes=["neg", "pos"])
    state = vectorizer_state(NB, adapted)

    def refuse(*_a, **_k):
        raise AssertionError("adapted again")

    monkeypatch.setattr(keras.layers.TextVectorization, "adapt", refuse)
    again = make_vectorizer(NB, TEXTS, state)  # no labels needed: r comes with the state
    np.testing.assert_allclose(_vectors(again, TEXTS), _vectors(adapted, TEXTS), rtol=1e-6)
    np.testing.assert_array_equal(vectorizer_state(NB, again).nb, state.nb)


def test_the_prepared_cache_keeps_the_weights_and_keys_nb_apart_from_multi_hot(tmp_path):
    from engine.experiment import DataConfig, Experiment
    from engine.prepared import PreparedCache
    from engine.prepared.key import data_key, vectorizer_key
    from engine.vectorize import VectorizerState

    exp = Experiment(data=DataConfig(source="sample"), vectorize=dataclasses.replace(NB))
    other = exp.copy()
    other.vectorize.output_mode = "multi_hot"
    assert vectorizer_key(data_key(exp), exp) != vectorizer_key(data_key(other), other)
    cache = PreparedCache(exp, root=tmp_path)
    cache.load_dataset()
    assert cache.vectorizer() is None
    vocab = ["[UNK]", *(f"w{i}" for i in range(63))]
    r = np.linspace(-2, 2, 64).astype(np.float32)
    cache.keep_vectorizer(lambda: VectorizerState(vocab, nb=r))
    again = PreparedCache(exp, root=tmp_path)
    again.load_dataset()
    state = again.vectorizer()
    assert state is not None and state.vocabulary == vocab and state.idf is None
    np.testing.assert_array_equal(state.nb, r)


@pytest.mark.slow
def test_a_second_run_takes_the_weights_from_the_cache_and_predicts_the_same(tmp_path):
    import tensorflow as tf

    from engine.experiment import CompileConfig, DataConfig, Experiment, FitConfig, LayerSpec
    from engine.prepared import PreparedCache
    from engine.runs import events as ev
    from engine.training.trainer import Trainer

    exp = Experiment(
        name="nb", data=DataConfig(source="sample", limit=300), vectorize=VectorizeConfig(kind="ngrams", max_tokens=300, ngrams=2, output_mode="nb"),
        layers=[LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})],
        compile=CompileConfig(optimizer="adam", learning_rate=0.01), fit=FitConfig(epochs=1, batch_size=32, seed=3, xla="off"), base_dir=tmp_path,
    )
    models, said = [], []
    for _ in range(2):
        cache = PreparedCache(exp, root=tmp_path / "cache")
        trainer = Trainer(exp, cache.load_dataset(), tmp_path / "runs", steer=False, prepared=cache)
        result = trainer.run()
        assert result.status == "finished"
        said.append(next(e for e in result.events if isinstance(e, ev.Started)).pipeline)
        models.append(trainer.model)
    assert "vectorizer from the cache" in said[1] and "vectorizer from the cache" not in said[0]
    np.testing.assert_array_equal(models[0].get_layer("nb_scale").ratio, models[1].get_layer("nb_scale").ratio)
    x = tf.constant(np.asarray(["a wonderful film", "dull and bad"], dtype=object).reshape(-1, 1))
    np.testing.assert_allclose(np.asarray(models[1](x)), np.asarray(models[0](x)), rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_an_nb_run_trains_reloads_and_exports_a_plain_keras_script_that_trains_the_same(tmp_path):
    from engine import experiment
    from engine.data import load_dataset
    from engine.export import export_script
    from engine.layers.presets import get_preset
    from engine.training import Predictor, RunStore, Trainer
    from tests.engine.test_export import run_script

    exp = get_preset("imdb-ngram")
    exp.data = experiment.DataConfig(source="sample")
    exp.vectorize.max_tokens, exp.vectorize.output_mode = 400, "nb"
    exp.fit.epochs, exp.fit.batch_size, exp.fit.early_stopping.patience = 3, 32, 0
    result = Trainer(exp, load_dataset(exp), tmp_path / "runs").run()
    assert result.status == "finished"
    model = RunStore(result.run_dir.parent).load(result.run_dir).model
    assert model.get_layer("nb_scale").ratio.any()  # the ratios came back with the model
    probs = Predictor.from_run(result.run_dir).probabilities(["a wonderful, moving film", "a dull waste of two hours"])
    assert probs[0, 1] > probs[1, 1]
    import tensorflow as tf

    from engine.export import export_saved_model

    served = tf.saved_model.load(str(export_saved_model(result.run_dir, tmp_path / "served")))  # the ratios baked into the serving graph
    np.testing.assert_allclose(np.asarray(served.serve(tf.constant([["a wonderful, moving film"]])))[0, 0], probs[0, 1], rtol=1e-5, atol=1e-6)
    script = export_script(result.run_dir, tmp_path / "train.py")
    text = script.read_text()
    assert 'output_mode="multi_hot"' in text and "ratio[:n] = np.log((p / p.sum()) / (q / q.sum()))" in text
    got = run_script(script, tmp_path)
    assert got["params"] == model.count_params()  # the ratios are no weights, as IDF's are not
    ours = result.history["val_accuracy"][-1]
    assert got["epochs"] == result.epochs and abs(got["val_accuracy"] - ours) <= 0.15, (got, ours)
