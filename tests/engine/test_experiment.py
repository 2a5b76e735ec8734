"""The experiment file: strict reading, canonical writing, exact round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import experiment as E
from engine.config import SETTINGS
from engine.errors import ExperimentError


def full_experiment() -> E.Experiment:
    exp = E.Experiment(name="seed001-lstm", description="IMDB, LSTM(32)", preset="seed001-lstm", probes=["a fine film"])
    exp.data = E.DataConfig(source="per-class", files={"fake": "Fake.csv", "true": "True.csv"}, text="title", clean=["html", "lower"], limit=100)
    exp.vectorize = E.VectorizeConfig(max_tokens=4000, length=400, padding="pre", truncation="post")
    exp.layers = [
        E.LayerSpec("Embedding", {"output_dim": 32, "mask_zero": True}),
        E.LayerSpec("Bidirectional", {"layer": {"type": "LSTM", "units": 16, "dropout": 0.5}, "merge_mode": "concat"}),
        E.LayerSpec("Dense", {"units": 1, "activation": "sigmoid"}),
    ]
    exp.compile = E.CompileConfig(optimizer="adam", learning_rate=1e-4, loss="auto", metrics=["accuracy"])
    exp.fit = E.FitConfig(epochs=3, batch_size=128, seed=7, early_stopping=E.EarlyStoppingConfig(patience=2))
    return exp


def test_round_trip_is_exact(tmp_path):
    exp = full_experiment()
    path = E.save(exp, tmp_path / "exp.toml")
    text = path.read_text()
    again = E.load(path)
    assert again == exp
    assert again.to_toml() == text
    assert "[[layers]]" in text and 'type = "Bidirectional"' in text


def test_defaults_only_file_loads(tmp_path):
    exp = E.loads('version = 1\nname = "x"\n')
    assert exp.data.source == "sample" and exp.fit.epochs == 10 and exp.layers == []


def test_relative_paths_resolve_against_the_file(tmp_path):
    (tmp_path / "sub").mkdir()
    p = tmp_path / "sub" / "e.toml"
    p.write_text('[data]\nsource = "csv"\npath = "data.csv"\n')
    assert E.load(p).resolve("data.csv") == tmp_path / "sub" / "data.csv"


@pytest.mark.parametrize(
    "text, names",
    [
        ('[data]\nsorce = "csv"', ["data.sorce", "source"]),
        ('[fit]\nepochs = "3"', ["fit.epochs", "integer"]),
        ("[fit]\nepochs = true", ["fit.epochs", "integer"]),
        ("[data.split]\nvalidation = 1.5", ["data.split.validation", "range"]),
        ('[data]\nsource = "csvv"', ["data.source", "'csv'"]),
        ("version = 9", ["version"]),
        ('[compile]\nmetrics = "accuracy"', ["compile.metrics", "list"]),
        ("[[layers]]\nunits = 3", ["layers[1]", "type"]),
        ("[data\n", ["not valid TOML"]),
        ('[vectorize]\npadding = "middle"', ["vectorize.padding", "pre"]),
    ],
)
def test_bad_files_name_the_key(text, names):
    with pytest.raises(ExperimentError) as err:
        E.loads(text)
    for name in names:
        assert name in str(err.value)


def test_missing_file_names_path(tmp_path):
    with pytest.raises(ExperimentError, match="No experiment file"):
        E.load(tmp_path / "nope.toml")


def test_save_is_atomic_and_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = E.save(full_experiment(), tmp_path / "e.toml")
    before = path.read_text()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(E.os, "replace", boom)
    with pytest.raises(OSError):
        E.save(E.Experiment(name="other"), path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["e.toml"]


def test_saved_file_has_normal_permissions(tmp_path):
    path = E.save(full_experiment(), tmp_path / "e.toml")
    mask = E._umask()
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_validation_from_test_and_merge_test_exclude_each_other_and_limits_round_trip():
    import pytest as _pytest

    from engine.errors import ExperimentError
    from engine.experiment import loads

    text = 'version = 1\nname = "x"\n[data]\nsource = "keras"\nname = "imdb"\nlimit = 4000\nvalidation_limit = 1000\n[data.split]\nvalidation_from_test = true\n'
    exp = loads(text)
    assert exp.data.split.validation_from_test and exp.data.validation_limit == 1000 and exp.data.test_limit == 0
    again = loads(exp.to_toml())
    assert again.data.validation_limit == 1000 and again.data.split.validation_from_test
    assert "test_limit" not in exp.to_toml()  # zero: left out of the file
    with _pytest.raises(ExperimentError, match="validation_from_test"):
        loads(text + "merge_test = true\n")
    with _pytest.raises(ExperimentError, match="data.validation_limit"):
        loads(text.replace("validation_limit = 1000", "validation_limit = -1"))


@pytest.mark.parametrize(
    "text, key",
    [
        ("[data.split]\nvalidation = nan", "data.split.validation"),
        ("[data.split]\nvalidation = -nan", "data.split.validation"),
        ("[data.split]\ntest = inf", "data.split.test"),
        ("[compile]\nlearning_rate = nan", "compile.learning_rate"),
        ("[compile]\nlearning_rate = -inf", "compile.learning_rate"),
    ],
)
def test_nan_and_inf_settings_are_refused(text, key):
    with pytest.raises(ExperimentError) as err:
        E.loads(text)
    assert key in err.value.problem and "finite" in err.value.fix


def test_nan_set_in_code_is_caught_by_check():
    exp = E.Experiment()
    exp.data.split.validation = float("nan")
    with pytest.raises(ExperimentError, match="data.split.validation"):
        E.check(exp)


def test_table_keys_round_trip_and_stay_out_when_default(tmp_path):
    text = '[data]\nsource = "csv"\npath = "SMSSpamCollection"\ntext = 2\nlabel = 1\nformat = "tsv"\nheader = false\nquotes = true\n'
    exp = E.loads(text)
    assert (exp.data.text, exp.data.label, exp.data.format, exp.data.header, exp.data.quotes) == (2, 1, "tsv", False, True)
    again = E.loads(exp.to_toml())
    assert again == exp
    plain = E.loads('[data]\nsource = "csv"\npath = "r.csv"\n').to_toml()
    assert "format" not in plain and "header" not in plain and "quotes" not in plain
    with pytest.raises(ExperimentError, match="data.quotes"):
        E.loads('[data]\nquotes = "yes"\n')


# ---- one save-as rule (Experiment.rebased), per-class files relative to data.path -------------


def _per_class(base: Path, path: str, files: dict[str, str]) -> E.Experiment:
    return E.loads(
        "[data]\nsource = \"per-class\"\n" + (f"path = \"{path}\"\n" if path else "")
        + "files = { " + ", ".join(f'{k} = "{v}"' for k, v in files.items()) + " }\n",
        base,
    )


def test_per_class_files_follow_data_path_and_survive_save_as(tmp_path):
    data = tmp_path / "news"
    data.mkdir()
    for name in ("Fake.csv", "True.csv"):
        (data / name).write_text("title\nx\n")
    exp = _per_class(tmp_path, "news", {"fake": "Fake.csv", "true": "True.csv"})
    assert exp.data_file("Fake.csv") == data / "Fake.csv"  # relative to data.path, not the file
    moved = exp.rebased(tmp_path / "elsewhere" / "deeper")
    assert Path(moved.data.path).is_absolute() and Path(moved.data.path) == data
    assert moved.data.files == {"fake": "Fake.csv", "true": "True.csv"}  # still under data.path
    saved = E.save(moved, tmp_path / "elsewhere" / "deeper" / "exp.toml")
    again = E.load(saved)
    assert again.data_file(again.data.files["true"]) == data / "True.csv"


def test_per_class_files_without_data_path_are_rebased_themselves(tmp_path):
    (tmp_path / "Fake.csv").write_text("title\nx\n")
    exp = _per_class(tmp_path, "", {"fake": "Fake.csv", "true": "/abs/True.csv"})
    moved = exp.rebased(tmp_path / "sub")
    assert moved.data.files == {"fake": str(tmp_path / "Fake.csv"), "true": "/abs/True.csv"}
    assert exp.rebased(tmp_path).data.files == exp.data.files  # same folder: nothing changes


def test_rebased_keeps_symlinks_as_written(tmp_path):
    (tmp_path / "SMSSpamCollection").write_text("ham\thi\n")
    (tmp_path / "sms.tsv").symlink_to("SMSSpamCollection")
    exp = E.loads('[data]\nsource = "csv"\npath = "sms.tsv"\n', tmp_path)
    trained = exp.rebased(None)  # what a run folder stores
    assert trained.data.path == str(tmp_path / "sms.tsv")  # not the link's target


# ---- what the writer leaves out: each setting's declaration says (engine.config `written`) ----

COMBOS = [(source, kind) for source in E.SOURCES for kind in E.VECTORIZE_KINDS]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.path)
def test_a_setting_at_its_default_is_written_as_its_declaration_says(setting):
    for source, kind in COMBOS:
        exp = E.Experiment()
        exp.data.source, exp.vectorize.kind = source, kind
        section = E._dump(exp)
        *parents, name = setting.path.split(".")
        for part in parents:
            section = section.get(part, {})
        want = setting.written == "always" or (setting.written == "used" and setting.applies(source, kind))
        assert (name in section) == (want and setting.default is not None), (setting.path, source, kind)


# Values of every declared setting, the usual and the odd (set where they do not apply).
VALUES = {
    "data.path": ["", "a.csv"], "data.format": ["", "tsv"], "data.header": [None, True, False], "data.quotes": [None, False],
    "data.text": ["", 2, "t"], "data.label": ["", 1], "data.files": [{}, {"a": "a.csv", "b": "b.csv"}], "data.name": ["", "imdb"],
    "data.size": [0, 300], "data.clean": [[], ["lower"]], "data.split.merge_test": [False, True], "data.split.validation_from_test": [False, True],
    "data.limit": [0, 5], "data.validation_limit": [0, 3], "data.test_limit": [0, 4], "data.stream": [None, True, False], "vectorize.max_tokens": [10000, 50],
    "vectorize.length": [200, 12], "vectorize.padding": ["pre", "post"], "vectorize.alphabet": ["", "AB"], "vectorize.ngrams": [2, 3],
    "vectorize.output_mode": ["tf_idf", "count"], "compile.learning_rate": [None, 0.01], "fit.xla": ["auto", "off"], "fit.devices": ["one", "all"], "probes": [[], ["hi"]],
    "compile.metrics": [["accuracy"], ["accuracy", "auc"]], "fit.epochs": [10, 3], "fit.early_stopping.patience": [0, 2],
}


@settings(max_examples=300, deadline=None)
@given(source=st.sampled_from(E.SOURCES), kind=st.sampled_from(E.VECTORIZE_KINDS), values=st.fixed_dictionaries({}, optional={k: st.sampled_from(v) for k, v in VALUES.items()}))
def test_every_experiment_round_trips_and_nothing_set_is_lost(source, kind, values):
    """A value set where it does not apply (n-grams of a words vectorizer, a path of the
    sample) is still written: switching back finds it. Files kerminal wrote before (the
    presets) keep their exact text: test_presets."""
    from engine import spec

    exp = E.Experiment()
    exp.data.source, exp.vectorize.kind = source, kind
    for path, value in values.items():
        spec.set(exp, path, value, rules=False)
    if exp.data.split.merge_test and exp.data.split.validation_from_test:
        exp.data.split.validation_from_test = False
    text = exp.to_toml()
    again = E.loads(text)
    assert again == exp and again.to_toml() == text
