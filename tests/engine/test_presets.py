"""Presets: every tutorial model (counts as printed by the tutorials), ours, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine import experiment
from engine.cli import main
from engine.dataset import Dataset, Split
from engine.errors import ExperimentError
from engine.experiment import LayerSpec
from engine.layers import build, validate_experiment
from engine.layers.presets import default_experiment, get_preset, list_presets, preset_names, preset_text

SEEDS = [
    "seed000-simplernn", "seed000-lstm", "seed001-simplernn", "seed001-lstm", "seed001-stacked-simplernn",
    "seed002-reber", "seed002-bilstm", "seed003-simplernn", "seed004-lstm",
]


def rows(name):
    return [r.params for r in validate_experiment(get_preset(name)).rows]


def test_every_seed_model_is_a_preset_and_ours_follow():
    names = preset_names()
    assert names[: len(SEEDS)] == SEEDS and len(names) > len(SEEDS)
    assert any("mask_zero" in preset_text(n) and "Bidirectional" in preset_text(n) and "GlobalAveragePooling1D" in preset_text(n) for n in names)


@pytest.mark.parametrize("name", preset_names())
def test_preset_files_round_trip_and_validate_clean(name):
    text = preset_text(name)
    exp = experiment.loads(text)
    assert exp.to_toml() == text
    assert exp.name == exp.preset == name and exp.description and "\n" not in exp.description
    report = validate_experiment(exp)
    # seed004 reproduces the tutorial's back padding without a mask: it must say so (issue 10, finding 10)
    expected = ["padding steps"] if name == "seed004-lstm" else []
    assert report.ok and [w for w in report.warnings if not any(e in w for e in expected)] == [], report.errors + report.warnings
    assert len(report.warnings) == len(expected)


def test_tutorial_parameter_counts():
    assert rows("seed001-simplernn") == [320_000, 2_080, 33]
    assert rows("seed001-lstm") == [320_000, 8_320, 33]
    assert rows("seed001-stacked-simplernn") == [320_000, 6_208, 3_104, 2_080, 33]
    assert sum(rows("seed003-simplernn")) == 322_113
    assert rows("seed002-reber") == [48, 5]
    assert rows("seed004-lstm")[0] == 1001 * 128
    assert rows("seed000-simplernn")[:2] == [4000 * 20, (20 + 10 + 1) * 10]


def test_seed000_lstm_preset_is_the_smallest_fix_of_the_printed_model():
    exp = get_preset("seed000-lstm")
    assert "Dense(2)" in exp.description
    printed = exp.copy()
    printed.layers = [layer for layer in exp.layers if layer != LayerSpec("Dense", {"units": 2})]
    assert len(printed.layers) == len(exp.layers) - 1
    report = validate_experiment(printed)
    assert not report.ok and report.errors[0].startswith("layer 3 (Dense): outputs 16 units")


def test_presets_carry_their_tutorials_data_and_settings():
    s0, s1, s2, s2b, s3, s4 = (get_preset(n) for n in ("seed000-simplernn", "seed001-lstm", "seed002-reber", "seed002-bilstm", "seed003-simplernn", "seed004-lstm"))
    assert (s0.data.source, s0.data.text, sorted(s0.data.files.values()), s0.data.split.validation) == ("per-class", "title", ["Fake.csv", "True.csv"], 0.25)
    assert (s0.vectorize.max_tokens, s0.vectorize.length, s0.vectorize.padding, s0.compile.loss) == (4000, 400, "pre", "categorical_crossentropy")
    assert (s1.data.source, s1.data.name, s1.vectorize.length, s1.fit.batch_size, s1.compile.optimizer) == ("keras", "imdb", 500, 128, "rmsprop")
    assert (s2.data.source, s2.vectorize.kind, s2.vectorize.length, s2.vectorize.alphabet) == ("embedded-reber", "chars", 12, "BTSXPVE")
    assert (s2.vectorize.padding, s2.vectorize.truncation, s2.fit.epochs) == ("pre", "pre", 100)
    assert (s2b.compile.optimizer, s2b.compile.learning_rate, s2b.fit.epochs, s2b.vectorize.max_tokens) == ("adam", 1e-4, 25, 1000)
    assert validate_experiment(s2b).loss.from_logits
    assert (s3.vectorize.max_tokens, s3.vectorize.length) == (10000, 100)
    assert (s3.data.split.merge_test, s3.data.split.test, s3.data.split.validation, s3.data.split.seed) == (True, 0.2, 0.16, 42)
    assert (s4.data.source, s4.data.path, s4.data.clean, s4.compile.optimizer, s4.vectorize.padding) == ("folder", "aclImdb", ["html"], "adam", "post")


def test_default_experiment_is_small_and_on_the_sample_data():
    exp = default_experiment()
    assert exp.data.source == "sample" and validate_experiment(exp).ok
    assert validate_experiment(exp).total < 100_000


def test_unknown_preset_names_close_ones():
    with pytest.raises(ExperimentError, match="Did you mean 'seed001-lstm'"):
        get_preset("seed001-lstn")


def _dataset_for(exp):
    if exp.vectorize.kind == "chars":
        texts = ["BTSXSE", "BPVVE", "BTXXTVPSE", "BPTVPXVPSE"]
        return Dataset("reber", ["invalid", "valid"], Split(texts, np.array([0, 1, 1, 0])), symbols=True)
    texts = ["a good film", "a bad film", "great acting and story", "awful plot and bad acting"]
    return Dataset("tiny", ["neg", "pos"], Split(texts, np.array([0, 1, 1, 0])))


@pytest.mark.slow
def test_every_preset_builds_with_the_validated_count():
    for name in preset_names():
        exp = get_preset(name)
        model = build(exp, _dataset_for(exp))
        assert model.count_params() == validate_experiment(exp).total, name


def test_cli_presets_json_table_and_save(tmp_path, capsys):
    assert main(["presets", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]  # JSON Lines
    assert [p["name"] for p in listed] == preset_names()
    assert {p["name"]: p["params"] for p in listed}["seed003-simplernn"] == 322_113
    assert main(["presets"]) == 0
    table = capsys.readouterr().out
    assert "seed003-simplernn" in table and "322,113" in table
    target = tmp_path / "mine.toml"
    assert main(["presets", "--save", "seed002-reber", str(target)]) == 0
    assert experiment.load(target).to_toml() == preset_text("seed002-reber")
    assert main(["presets", "--save", "nope", str(tmp_path / "x.toml")]) == 1
    assert "No preset named 'nope'" in capsys.readouterr().err
    assert [i.name for i in list_presets()] == preset_names()


def test_cli_inspect_prints_the_layer_table_on_reber_data(tmp_path, capsys):
    exp = get_preset("seed002-reber")
    exp.data.size = 200
    path = experiment.save(exp, tmp_path / "reber.toml")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "SimpleRNN(units=4)" in out and "(None, 12, 7)" in out and "Total params: 53" in out


@pytest.mark.parametrize("name", preset_names())
def test_cli_inspect_prints_each_presets_table_on_sample_or_reber_data(name, tmp_path, capsys):
    exp = get_preset(name)
    exp.data = experiment.DataConfig(source="embedded-reber", size=200) if exp.vectorize.kind == "chars" else experiment.DataConfig(source="sample")
    path = experiment.save(exp, tmp_path / f"{name}.toml")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"Total params: {validate_experiment(exp).total:,}" in out and "error:" not in out
