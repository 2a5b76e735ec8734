"""Issue 13: the ngrams vectorizer and the attention layers (validation, masking, saving),
and the two presets that use them training on small data.

The parameter counts of both attention layers and of an ngrams stack are proven equal to
Keras's in test_layers_counts.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import experiment
from engine.errors import ExperimentError
from engine.experiment import Experiment, LayerSpec, VectorizeConfig
from engine.layers import validate
from engine.vectorize import input_spec


def S(type, **params):
    return LayerSpec(type, params)


HEAD = S("Dense", units=1, activation="sigmoid")
NGRAMS = input_spec(VectorizeConfig(kind="ngrams", max_tokens=300))
WORDS = input_spec(VectorizeConfig(max_tokens=100, length=24))


def test_ngrams_settings_round_trip_and_only_ngrams_files_show_them():
    exp = Experiment()
    exp.vectorize = VectorizeConfig(kind="ngrams", max_tokens=500, ngrams=3, output_mode="count")
    text = exp.to_toml()
    assert "ngrams = 3" in text and 'output_mode = "count"' in text and "length" not in text and "padding" not in text
    assert experiment.loads(text).vectorize == VectorizeConfig(kind="ngrams", max_tokens=500, ngrams=3, output_mode="count")
    words = Experiment().to_toml()
    assert "ngrams" not in words and "output_mode" not in words and "length = 200" in words


@pytest.mark.parametrize(("key", "value", "says"), [("ngrams", 4, "out of range"), ("output_mode", "tfidf", "Did you mean 'tf_idf'")])
def test_bad_ngrams_settings_name_the_key_and_fix(key, value, says):
    text = Experiment().to_toml().replace('kind = "words"', f'kind = "ngrams"\n{key} = {value!r}'.replace("'", '"'))
    with pytest.raises(ExperimentError) as info:
        experiment.loads(text)
    assert f"vectorize.{key}" in str(info.value) and says in str(info.value)


def test_ngrams_input_is_a_vector_of_max_tokens_feeding_dense():
    report = validate([S("Dense", units=8, activation="relu"), S("Dropout", rate=0.5), HEAD], NGRAMS)
    assert report.ok and report.input_shape == (None, 300)
    assert [r.params for r in report.rows] == [300 * 8 + 8, 0, 9] and report.warnings == []


@pytest.mark.parametrize("layer", ["LSTM", "GRU", "SimpleRNN", "Conv1D", "TransformerEncoder", "GlobalAveragePooling1D"])
def test_a_sequence_layer_after_ngrams_is_an_error_naming_the_fix(layer):
    report = validate([S(layer), HEAD], NGRAMS)
    (first, *_) = report.errors
    assert first.startswith(f"layer 1 ({layer})") and "ngrams vectorizer gives one vector" in first
    assert 'Fix: use Dense and Dropout layers after vectorize.kind = "ngrams", or set vectorize.kind = "words"' in first


@pytest.mark.parametrize("layer", ["Embedding", "TokenAndPositionEmbedding"])
def test_an_embedding_after_ngrams_is_an_error_naming_the_fix(layer):
    report = validate([S(layer), S("GlobalAveragePooling1D"), HEAD], NGRAMS)
    assert "needs word ids but the ngrams vectorizer gives one vector" in report.errors[0]
    assert f"Fix: remove this {layer}" in report.errors[0]


def attention(**params):
    return [S("TokenAndPositionEmbedding", output_dim=12), S("TransformerEncoder", **params), S("GlobalAveragePooling1D"), HEAD]


def test_num_heads_that_do_not_divide_the_width_is_an_error_with_divisors():
    (error,) = validate(attention(num_heads=5), WORDS).errors
    assert "num_heads=5 does not divide the input width 12" in error and "(1, 2, 3, 4, 6, 12)" in error and "set key_dim" in error
    assert validate(attention(num_heads=5, key_dim=4), WORDS).ok  # an explicit key_dim needs no divisor


def test_a_key_dimension_of_zero_is_an_error():
    (error,) = validate(attention(num_heads=16), WORDS).errors
    assert "key dimension (width / num_heads) would be 0" in error and "lower num_heads to at most 12" in error
    report = validate(attention(key_dim=-1), WORDS)
    assert "TransformerEncoder.key_dim = -1 is out of range" in report.errors[0]


def test_a_sequence_of_one_step_is_an_error():
    (error,) = validate(attention(), input_spec(VectorizeConfig(length=1))).errors
    assert "self-attention needs a sequence of several steps" in error and "raise vectorize.length" in error
    reduced = validate([S("Embedding", output_dim=12), S("LSTM", units=12), S("TransformerEncoder"), HEAD], WORDS).errors
    assert "set return_sequences=true on layer 2" in reduced[0]


def test_attention_summary_and_mask_flow():
    report = validate(attention(num_heads=3, intermediate_dim=20), WORDS)
    assert report.ok and report.warnings == []
    assert report.rows[0].summary == "100x12 + 24 positions, mask_zero" and report.rows[1].summary.startswith("heads=3, ffn=20")


def test_encoder_ignores_masked_steps_and_passes_the_mask_on():
    import keras

    from engine.keras_layers import TransformerEncoder

    keras.utils.set_random_seed(0)
    layer = TransformerEncoder(2, 8, dropout=0.0)
    x = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
    mask = np.array([[True, True, True, False, False]] * 2)
    noisy = x.copy()
    noisy[:, 3:] = 100.0  # what sits on masked steps must not change the others
    a = np.asarray(layer(x, mask=mask))
    b = np.asarray(layer(noisy, mask=mask))
    np.testing.assert_allclose(a[:, :3], b[:, :3], rtol=1e-5, atol=1e-5)
    assert not np.allclose(np.asarray(layer(noisy))[:, :3], a[:, :3])  # without the mask they do
    assert layer.compute_mask(x, mask) is mask


@pytest.mark.parametrize("mode", ["tf_idf", "multi_hot", "count", "nb"])
def test_ngram_models_take_strings_and_load_back_in_safe_mode(tmp_path, mode):
    import keras
    import tensorflow as tf

    from engine.runs import store as R
    from engine.vectorize import make_vectorizer

    texts = ["a good film, great acting", "bad bad movie\u2028really", "not good at all"] * 4
    inputs = keras.Input((1,), dtype="string")
    x = inputs
    labels = np.arange(len(texts)) % 2  # nb's ratios count them; the other modes ignore them
    for layer in make_vectorizer(VectorizeConfig(kind="ngrams", max_tokens=64, ngrams=2, output_mode=mode), texts, labels=labels, classes=["neg", "pos"]):
        x = layer(x)
    assert tuple(x.shape) == (None, 64)  # padded to max_tokens although the texts hold fewer n-grams
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    data = tf.constant(np.asarray(texts, dtype=object).reshape(-1, 1))
    model.save(tmp_path / "m.keras")
    loaded = R.load_model_file(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(loaded(data)), np.asarray(model(data)), rtol=1e-6)
    assert model.count_params() == 65


def small(name: str) -> Experiment:
    """A preset pointed at the built-in sample reviews, small enough to train in seconds."""
    from engine.layers.presets import get_preset

    exp = get_preset(name)
    exp.data = experiment.DataConfig(source="sample")
    exp.vectorize.max_tokens = 400
    if exp.vectorize.kind == "words":
        exp.vectorize.length = 24
    exp.fit.epochs = 2
    exp.fit.batch_size = 32
    return exp


@pytest.mark.slow
@pytest.mark.parametrize("name", ["imdb-ngram", "imdb-transformer"])
def test_presets_train_on_small_data_and_save_string_in_models(tmp_path, name):
    from engine.data import load_dataset
    from engine.layers import validate_experiment
    from engine.training import Predictor, Trainer

    exp = small(name)
    ds = load_dataset(exp)
    result = Trainer(exp, ds, tmp_path).run()
    assert result.status == "finished" and result.epochs >= 1
    report = validate_experiment(exp, ds)
    predictor = Predictor.from_run(result.run_dir)
    assert predictor.model.count_params() == report.total
    assert predictor.model.inputs[0].shape == (None, 1) and "string" in str(predictor.model.inputs[0].dtype)
    assert abs(sum(predictor.predict("a wonderful, moving film").probabilities.values()) - 1.0) < 1e-5
