"""One declaration per setting (engine.config) and settings by path (engine.spec)."""

from __future__ import annotations

import dataclasses
import json
import typing

import pytest

from engine import experiment as E
from engine import spec
from engine.cli import main
from engine.config import ExperimentSettings
from engine.errors import ExperimentError

METADATA = {"name", "description", "preset", "version", "layers", "base_dir"}  # not settings


def leaf_paths(cls: type = ExperimentSettings, where: str = "") -> list[str]:
    out = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if not where and f.name in METADATA:
            continue
        path = f"{where}{f.name}"
        out += leaf_paths(hints[f.name], f"{path}.") if dataclasses.is_dataclass(hints[f.name]) else [path]
    return out


def test_every_field_of_the_dataclasses_is_declared_once():
    assert sorted(spec.paths()) == sorted(leaf_paths())
    assert len(set(spec.paths())) == len(spec.paths())


def test_defaults_and_types_come_from_the_dataclasses():
    s = spec.setting("vectorize.ngrams")
    assert s.default == E.VectorizeConfig().ngrams and s.type is int
    assert typing.get_args(spec.setting("vectorize.output_mode").type) == E.NGRAM_MODES
    assert spec.setting("fit.xla").default == "auto" and spec.setting("compile.learning_rate").default is None


def test_get_and_set_by_path_layers_included():
    exp = E.Experiment(layers=[E.LayerSpec("Embedding", {"output_dim": 8}), E.LayerSpec("Dense", {"units": 1})])
    spec.set(exp, "vectorize.ngrams", 3)
    spec.set(exp, "data.split.test", 0)  # an integer where a number goes, as TOML reads it
    spec.set(exp, "layers.2.units", 4)
    assert spec.get(exp, "vectorize.ngrams") == 3 and exp.data.split.test == 0.0 and isinstance(exp.data.split.test, float)
    assert spec.get(exp, "layers.2.units") == 4 and spec.get(exp, "layers.2.activation") == "linear"
    assert spec.get(exp, "layers.1.type") == "Embedding"
    spec.set(exp, "data.header", False)
    spec.set(exp, "data.header", None)  # unset again: sniffed (a file leaves it out)
    assert exp.data.header is None


def test_an_unknown_path_lists_the_valid_ones_with_the_closest_first():
    with pytest.raises(ExperimentError) as err:
        spec.get(E.Experiment(), "vectorize.ngram")
    assert "Did you mean 'vectorize.ngrams'?" in err.value.fix and "fit.xla" in err.value.fix
    with pytest.raises(ExperimentError, match="no layer 3"):
        spec.set(E.Experiment(layers=[E.LayerSpec("Dense", {"units": 1})]), "layers.3.units", 2)
    with pytest.raises(ExperimentError, match="Did you mean 'units'"):
        spec.set(E.Experiment(layers=[E.LayerSpec("Dense", {"units": 1})]), "layers.1.unit", 2)


@pytest.mark.parametrize(
    ("path", "value", "toml"),
    [
        ("vectorize.ngrams", 4, "[vectorize]\nngrams = 4"),
        ("vectorize.output_mode", "tfidf", '[vectorize]\noutput_mode = "tfidf"'),
        ("fit.xla", "yes", '[fit]\nxla = "yes"'),
        ("fit.epochs", "3", '[fit]\nepochs = "3"'),
        ("data.clean", ["lowr"], '[data]\nclean = ["lowr"]'),
        ("data.text", 0, "[data]\ntext = 0"),
        ("data.split.test", 0.9, "[data.split]\ntest = 0.9"),
    ],
)
def test_a_bad_value_gets_the_message_the_file_gets(path, value, toml):
    with pytest.raises(ExperimentError) as from_file:
        E.loads(toml)
    exp = E.Experiment()
    before = exp.copy()
    with pytest.raises(ExperimentError) as from_set:
        spec.set(exp, path, value)
    assert (from_set.value.problem, from_set.value.fix) == (from_file.value.problem, from_file.value.fix)
    assert exp == before  # nothing changed


def test_applies_follows_the_source_and_the_vectorizer_kind():
    exp = E.Experiment()
    assert spec.applies(exp, "vectorize.length") and not spec.applies(exp, "vectorize.ngrams")
    exp.vectorize.kind = "ngrams"
    assert spec.applies(exp, "vectorize.ngrams") and not spec.applies(exp, "vectorize.length")
    assert not spec.applies(exp, "data.path")
    exp.data.source = "csv"
    assert spec.applies(exp, "data.path")


def test_settings_command_lists_every_setting(capsys):
    assert main(["settings", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_path = {r["path"]: r for r in rows}
    assert list(by_path) == spec.paths()
    assert by_path["vectorize.ngrams"]["range"] == [1, 3] and by_path["vectorize.ngrams"]["applies_when"] == {"vectorize.kind": ["ngrams"]}
    assert by_path["vectorize.output_mode"]["choices"] == ["tf_idf", "multi_hot", "count", "nb"]
    assert by_path["fit.xla"]["default"] == "auto" and by_path["compile.learning_rate"]["range"] == [1e-12, 10.0]
    assert all(r["help"] and "type" in r and "default" in r for r in rows)
    assert main(["settings"]) == 0
    assert "vectorize.ngrams  (int · default 2 · 1..3)" in capsys.readouterr().out
