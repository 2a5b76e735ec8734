"""Issue 13: `kerminal export` — a run as a plain Keras script, or as a SavedModel."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.errors import KerminalError
from engine.export import export_saved_model, export_script, script_text

ROOT = Path(__file__).resolve().parents[2]


def small(name: str):
    from engine import experiment
    from engine.layers.presets import get_preset

    exp = get_preset(name)
    exp.data = experiment.DataConfig(source="sample")
    exp.vectorize.max_tokens = 400
    if exp.vectorize.kind == "words":
        exp.vectorize.length = 24
    exp.fit.epochs = 3
    exp.fit.batch_size = 32
    exp.fit.early_stopping.patience = 0
    return exp


def train(exp, runs_dir: Path):
    from engine.data import load_dataset
    from engine.training import Trainer

    return Trainer(exp, load_dataset(exp), runs_dir).run()


@pytest.fixture(scope="module")
def ngram_run(tmp_path_factory):
    return train(small("imdb-ngram"), tmp_path_factory.mktemp("runs"))


def copy_run(result, tmp_path: Path, **metrics) -> Path:
    path = tmp_path / "runs" / result.run_dir.name
    shutil.copytree(result.run_dir, path)
    meta = json.loads((path / "metrics.json").read_text())
    meta.update(metrics)
    (path / "metrics.json").write_text(json.dumps(meta))
    return path


def run_script(path: Path, cwd: Path) -> dict:
    proc = subprocess.run([sys.executable, str(path)], cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
                          env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def imported_modules(source: str) -> set[str]:
    """Every module a Python source imports (the data path may well name kerminal's
    installed sample file; the script must not import kerminal)."""
    import ast

    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


@pytest.mark.slow
def test_the_script_is_plain_keras_without_kerminal(ngram_run, tmp_path):
    out = export_script(ngram_run.run_dir, tmp_path / "train.py")
    text = out.read_text()
    assert not {m for m in imported_modules(text) if m.split(".")[0] in ("engine", "tui", "kerminal_assets")}
    compile(text, str(out), "exec")  # valid Python
    preset = small("imdb-ngram")  # the values the run was trained with, as the script must hold them
    units, mode = preset.layers[0].params["units"], preset.vectorize.output_mode
    expected = ("ngrams=NGRAMS", f"MAX_TOKENS, NGRAMS, OUTPUT_MODE = 400, 2, {mode!r}", f"layers.Dense(units={units}, activation='relu'")
    for setting in (*expected, "layers.Dropout(rate=0.5", "keras.optimizers.Adam(learning_rate=0.001)", "EPOCHS, BATCH_SIZE = 3, 32"):
        assert setting in text, setting


@pytest.mark.slow
@pytest.mark.parametrize("name", ["imdb-ngram", "imdb-transformer", "sample-gru"])
def test_the_exported_script_trains_the_same_model(name, ngram_run, tmp_path):
    result = ngram_run if name == "imdb-ngram" else train(small(name), tmp_path / "runs")
    script = export_script(result.run_dir, tmp_path / "train.py")
    got = run_script(script, tmp_path)
    from engine.training import RunStore

    model = RunStore(result.run_dir.parent).load(result.run_dir).model
    assert got["params"] == model.count_params()
    ours = result.history["val_accuracy"][-1]
    assert got["epochs"] == result.epochs and abs(got["val_accuracy"] - ours) <= 0.15, (got, ours)


def test_a_failed_run_is_refused(ngram_run, tmp_path):
    path = copy_run(ngram_run, tmp_path, status="failed", message="The loss became NaN")
    with pytest.raises(KerminalError) as info:
        export_script(path, tmp_path / "train.py")
    assert "failed" in info.value.problem and "train it again" in info.value.fix


def test_a_nan_run_is_refused(ngram_run, tmp_path):
    path = copy_run(ngram_run, tmp_path, metrics={"loss": float("nan"), "accuracy": 0.5})
    for call in (lambda: export_script(path, tmp_path / "train.py"), lambda: export_saved_model(path, tmp_path / "sm")):
        with pytest.raises(KerminalError) as info:
            call()
        assert "no finished epoch with finite metrics" in info.value.problem and "learning_rate" in info.value.fix


def test_a_script_path_in_a_missing_folder_is_refused(ngram_run, tmp_path):
    with pytest.raises(KerminalError) as info:
        export_script(ngram_run.run_dir, tmp_path / "nope" / "train.py")
    assert "does not exist" in info.value.problem and "mkdir -p" in info.value.fix
    with pytest.raises(KerminalError) as info:
        export_script(ngram_run.run_dir, tmp_path)
    assert "is a folder" in info.value.problem


def test_sources_without_a_script_loader_say_so():
    from engine.layers.presets import get_preset

    with pytest.raises(KerminalError) as info:
        script_text(get_preset("seed002-reber"), ["0", "1"])
    assert "data.source = 'embedded-reber'" in info.value.problem and "--format saved_model" in info.value.fix


def test_onnx_without_its_packages_names_them(ngram_run, tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in ("tf2onnx", "onnx") else real(name, *a))
    with pytest.raises(KerminalError) as info:
        export_saved_model(ngram_run.run_dir, tmp_path / "onnx", "onnx")
    assert "tf2onnx and onnx" in info.value.problem and "pip install tf2onnx onnx" in info.value.fix


@pytest.mark.slow
def test_saved_model_serves_raw_strings(ngram_run, tmp_path):
    import tensorflow as tf

    from engine.training import Predictor

    out = export_saved_model(ngram_run.run_dir, tmp_path / "served")
    served = tf.saved_model.load(str(out))
    got = np.asarray(served.serve(tf.constant([["a wonderful, moving film"]])))
    want = Predictor.from_run(ngram_run.run_dir).predict("a wonderful, moving film").probabilities
    assert got.shape == (1, 1) and abs(float(got[0, 0]) - want["positive"]) < 1e-5
    meta = json.loads((out / "kerminal_export.json").read_text())
    assert meta["class_names"] == ["negative", "positive"]
    with pytest.raises(KerminalError) as info:  # an existing folder with files is not overwritten
        export_saved_model(ngram_run.run_dir, out)
    assert "already exists" in info.value.problem


def test_cli_export_script_and_errors(ngram_run, tmp_path, capsys):
    assert main(["export", str(ngram_run.run_dir), "--script", str(tmp_path / "t.py"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["script"] == str(tmp_path / "t.py")
    assert main(["export", str(ngram_run.run_dir), "--script", str(tmp_path / "no" / "t.py")]) == 1
    assert "mkdir -p" in capsys.readouterr().err
    assert main(["export", str(ngram_run.run_dir)]) == 2
    assert "--script FILE or --format" in capsys.readouterr().err
