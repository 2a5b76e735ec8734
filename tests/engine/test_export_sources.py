"""Issue 19: every source kerminal loads, and what `export_options` offers for its run: a
script for the sources with a script loader (sample, csv, per-class), a SavedModel for all.
Every offered script reads exactly the loader's rows and labels; the slow test trains a
tiny run of each source and checks that every offered export is written and works."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from engine.config import SOURCES
from engine.data import load_dataset
from engine.experiment import DataConfig, Experiment, SplitConfig, save
from engine.export import export_options, export_saved_model, export_script
from engine.layers.presets import get_preset
from engine.runs import folder as F
from tests.engine.hand_made_runs import hand_made_run
from tests.engine.test_data_sources import WORDS, encode, object_array
from tests.engine.test_export import run_script
from tests.engine.test_export_data import _rows

SCRIPTED = {"sample", "csv", "per-class"}
SPLIT = SplitConfig(validation=0.25, test=0.0, seed=3)


@pytest.fixture
def keras_cache(tmp_path, monkeypatch) -> None:
    """A Keras cache with a tiny imdb.npz, and no network."""
    home = tmp_path / "keras_home"
    (home / "datasets").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setenv("KERMINAL_OFFLINE", "1")
    train = ["the movie was great", "the plot was awful", "great plot", "awful movie", "the movie was awful", "great great movie"] * 4
    np.savez(home / "datasets" / "imdb.npz", x_train=object_array([encode(t) for t in train]), y_train=np.array([1, 0, 1, 0, 0, 1] * 4),
             x_test=object_array([encode(t) for t in train[:6]]), y_test=np.array([1, 0, 1, 0, 0, 1]))
    (home / "datasets" / "imdb_word_index.json").write_text(json.dumps(WORDS))


def source_experiment(source: str, root: Path) -> Experiment:
    """A tiny experiment of `source`, its data written under root (each source's own layout:
    the UCI file without an extension, one file per class in two formats, class folders)."""
    if source in ("reber", "embedded-reber"):
        exp = get_preset("seed002-reber")
        exp.data = DataConfig(source=source, size=120, split=SPLIT)
    else:
        exp = get_preset("sms-ngram")
        exp.vectorize.max_tokens = 200
        exp.data = DataConfig(source=source, split=SPLIT)
    exp.fit.epochs, exp.fit.early_stopping.patience, exp.probes = 1, 0, []
    exp.base_dir = root
    rows = _rows(48)
    if source == "csv":
        (root / "SMSSpamCollection").write_text("".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")
        exp.data.path = "SMSSpamCollection"
    elif source == "per-class":
        (root / "ham.jsonl").write_text("".join(json.dumps({"id": i, "message": t}) + "\n" for i, (lab, t) in enumerate(rows) if lab == "ham"), encoding="utf-8")
        pd.DataFrame({"message": [t for lab, t in rows if lab == "spam"]}).to_csv(root / "spam.csv", index=False)
        exp.data.files = {"ham": "ham.jsonl", "spam": "spam.csv"}
    elif source == "folder":
        for i, (label, text) in enumerate(rows):
            (root / "msgs" / label).mkdir(parents=True, exist_ok=True)
            (root / "msgs" / label / f"{i}.txt").write_text(text, encoding="utf-8")
        exp.data.path = "msgs"
    elif source == "keras":
        exp.data.name = "imdb"
    return exp


def data_part(script: str) -> dict[str, Any]:
    """Run only the script's imports and data part; its variables."""
    start, end = script.index("import io\n"), script.index("# ---- vectorize")
    namespace: dict[str, Any] = {}
    exec(compile(script[start:end], "<exported data>", "exec"), namespace)  # noqa: S102  (our own script)
    return namespace


def offered(run: Path) -> set[str]:
    """What the app's export dialog offers for the run (it offers the script and the SavedModel)."""
    return {o.kind for o in export_options(run) if o.allowed and o.kind in ("script", "saved_model")}


@pytest.mark.parametrize("source", SOURCES)
def test_each_source_is_offered_what_works_and_its_script_reads_the_loaders_rows(source, tmp_path, keras_cache):
    exp = source_experiment(source, tmp_path)
    ds = load_dataset(exp)
    run = hand_made_run(tmp_path / "runs", "r1", source, class_names=tuple(ds.class_names))
    save(exp.rebased(None), run / F.EXPERIMENT)
    if ds.read_as:  # as the Trainer keeps it
        (run / F.DATA_FORMAT).write_text(json.dumps(ds.read_as), encoding="utf-8")
    assert bool(ds.read_as) == (source in ("csv", "per-class"))
    options = {o.kind: o for o in export_options(run)}
    assert offered(run) == ({"script", "saved_model"} if source in SCRIPTED else {"saved_model"})
    if source not in SCRIPTED:
        assert repr(source) in options["script"].reason and "saved_model" in options["script"].reason
        return
    got = data_part(export_script(run, tmp_path / "train.py").read_text(encoding="utf-8"))
    assert got["train_texts"] == ds.train.texts and got["y_train"].tolist() == ds.train.labels.tolist()
    assert got["val_texts"] == ds.validation.texts and got["y_val"].tolist() == ds.validation.labels.tolist()


@pytest.mark.parametrize("labels", [["1.0", "0.0"], ["01", "0"], [" yes", "no "]])
def test_the_scripts_class_names_follow_the_loaders(labels, tmp_path):
    path = tmp_path / "data.csv"
    pd.DataFrame({"text": [f"message number {i}" for i in range(20)], "label": [labels[i % 2] for i in range(20)]}).to_csv(path, index=False)
    exp = source_experiment("sample", tmp_path)
    exp.data.source, exp.data.path = "csv", str(path)
    ds = load_dataset(exp)
    run = hand_made_run(tmp_path / "runs", "r1", "csv", class_names=tuple(ds.class_names))
    save(exp, run / F.EXPERIMENT)
    got = data_part(export_script(run, tmp_path / "train.py").read_text(encoding="utf-8"))
    assert got["y_train"].tolist() == ds.train.labels.tolist() and got["train_texts"] == ds.train.texts


def test_parquet_float_labels(tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "data.parquet"
    pd.DataFrame({"text": [f"message number {i}" for i in range(20)], "label": [float(i % 2) for i in range(20)]}).to_parquet(path)
    exp = source_experiment("sample", tmp_path)
    exp.data.source, exp.data.path = "csv", str(path)
    ds = load_dataset(exp)
    run = hand_made_run(tmp_path / "runs", "r1", "csv", class_names=tuple(ds.class_names))
    save(exp, run / F.EXPERIMENT)
    got = data_part(export_script(run, tmp_path / "train.py").read_text(encoding="utf-8"))
    assert ds.class_names == ["0", "1"] and got["y_train"].tolist() == ds.train.labels.tolist()


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES)
def test_a_trained_run_of_each_source_exports_everything_it_offers(source, tmp_path, keras_cache):
    import tensorflow as tf

    from engine.training import Trainer

    exp = source_experiment(source, tmp_path)
    ds = load_dataset(exp)
    result = Trainer(exp, ds, tmp_path / "runs").run()
    run = result.run_dir
    assert (run / F.DATA_FORMAT).exists() == bool(ds.read_as)
    kinds = offered(run)
    assert "saved_model" in kinds
    served = tf.saved_model.load(str(export_saved_model(run, tmp_path / "served")))
    got = np.asarray(served.serve(tf.constant([[ds.train.texts[0]]])))
    assert got.shape[0] == 1 and np.all(np.isfinite(got))
    if "script" in kinds:
        out = run_script(export_script(run, tmp_path / "train.py"), tmp_path)
        assert out["epochs"] == 1 and out["params"] > 0
