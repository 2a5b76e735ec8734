"""engine.runs.compare and `kerminal compare`: the settings that differ, best metrics, the
layer diff, where two runs disagree (counts, examples, the per-run cache), and bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.errors import KerminalError, RunError
from engine.experiment import load, save
from engine.layers.presets import get_preset
from engine.runs import compare, read_info, saving
from engine.runs import folder as F
from engine.training import disagree
from tests.engine.hand_made_runs import hand_made_run


def _history(path: Path, loss: list[float], acc: list[float]) -> None:
    saving.write_history(path, {"loss": loss, "val_accuracy": acc}, len(loss))
    meta = json.loads((path / F.METRICS).read_text(encoding="utf-8"))
    meta["epochs"] = len(loss)
    (path / F.METRICS).write_text(json.dumps(meta), encoding="utf-8")


def _edit(path: Path, change) -> None:
    exp = load(path / F.EXPERIMENT)
    change(exp)
    save(exp, path / F.EXPERIMENT)


@pytest.fixture
def two(tmp_path):
    a = hand_made_run(tmp_path, "20240101-000000-a", "a")
    b = hand_made_run(tmp_path, "20240101-000001-b", "b")
    _history(a, [0.6, 0.5, 0.55], [0.7, 0.8, 0.8])
    _history(b, [0.7, 0.4, float("nan")], [0.7, 0.75, 0.9])

    def lr_and_units(exp):
        exp.compile.learning_rate = 3e-4
        exp.layers[0].params["units"] = 64

    _edit(b, lr_and_units)
    return a, b


PRESET_UNITS = get_preset("imdb-ngram").layers[0].params["units"]  # run a's, before b's edit to 64


def test_only_the_settings_that_differ(two):
    a, b = two
    result = compare([a, b])
    assert {s.path: s.values for s in result.settings} == {"compile.learning_rate": [0.001, 0.0003], "layers.1.units": [PRESET_UNITS, 64]}
    assert result.notes == []


def test_best_is_max_for_accuracy_min_for_loss_earliest_epoch_on_ties(two):
    a, b = two
    ra, rb = compare([a, b]).runs
    assert (ra.best["loss"].value, ra.best["loss"].epoch) == (0.5, 2)
    assert (ra.best["val_accuracy"].value, ra.best["val_accuracy"].epoch) == (0.8, 2)
    assert (rb.best["loss"].value, rb.best["val_accuracy"].epoch) == (0.4, 3)  # the NaN epoch is left out


def test_layer_diff_added_removed_changed_with_counts(two):
    a, b = two
    _edit(b, lambda exp: exp.layers.pop(1))  # no Dropout
    changes = compare([a, b]).layers
    kinds = [(c.kind, (c.before or c.after).split(" ")[2].split("(")[0]) for c in changes]
    assert kinds == [("changed", "Dense"), ("removed", "Dropout")]  # the head's settings are the same
    changed = [c for c in changes if c.kind == "changed"]
    assert changed[0].params_before == 400 * PRESET_UNITS + PRESET_UNITS and changed[0].params_after == 400 * 64 + 64


def test_layers_by_position_show_a_new_layer_type(two):
    a, b = two
    from engine.config import LayerSpec

    _edit(b, lambda exp: exp.layers.insert(1, LayerSpec("Dense", {"units": 8})))
    result = compare([a, b])
    paths = {s.path for s in result.settings}
    assert "layers.2.type" in paths and "layers.4.type" in paths  # a 3rd layer moved to 4th, a 4th that A lacks
    assert [(c.kind, c.after) for c in result.layers] == [("changed", "layer 1 Dense(units=64, relu)"), ("added", "layer 2 Dense(units=8, linear)")]


def test_bad_input(two, tmp_path):
    a, b = two
    with pytest.raises(RunError, match="two runs or more"):
        compare([a])
    with pytest.raises(RunError, match="given twice"):
        compare([a, a])
    with pytest.raises(RunError, match="No run"):
        compare([a, tmp_path / "gone"])
    (b / F.EXPERIMENT).write_text("version = 1\n[data]\nsource = 3\n", encoding="utf-8")
    result = compare([a, b])
    assert result.settings == [] and b.name in result.notes[0] and "cannot be read" in result.notes[0]
    c = hand_made_run(tmp_path, "20240101-000002-c", "c")
    meta = json.loads((c / F.METRICS).read_text(encoding="utf-8"))
    meta["epochs"] = 0
    (c / F.METRICS).write_text(json.dumps(meta), encoding="utf-8")
    result = compare([a, c])
    assert result.runs[1].best == {} and any("no finished epochs" in n for n in result.notes)


def test_different_data_says_why_and_the_rest_works(two):
    a, b = two

    def other_data(exp):
        exp.data.split.seed = 7

    _edit(b, other_data)
    d = disagree.disagreement(*compare([a, b]).runs)
    assert "different data" in d.reason and "data.split.seed" in d.reason
    assert d.total == 0


def test_other_classes_say_why(tmp_path):
    a = hand_made_run(tmp_path, "a", "a")
    b = hand_made_run(tmp_path, "b", "b", class_names=("ham", "spam"))
    for p in (a, b):
        _history(p, [0.5], [0.8])
    assert "classes differ" in disagree.disagreement(*compare([a, b]).runs).reason


def test_disagreement_counts_and_most_confident_first(two, monkeypatch):
    a, b = two
    from engine.data import load_dataset

    exp = load(a / F.EXPERIMENT)
    y = np.asarray(load_dataset(exp).validation.labels)
    n = len(y)
    pa = np.eye(2, dtype="float32")[y] * 0.9 + 0.05  # a: always right
    pb = pa.copy()
    pb[0] = pb[0][::-1]  # b wrong on 0 (sure: 0.95) and on 1 (barely: 0.6)
    pb[1] = np.array([0.4, 0.6] if y[1] == 0 else [0.6, 0.4], "float32")
    pa[2] = pa[2][::-1]  # a wrong on 2, b right there
    fake = {a.name: pa, b.name: pb}
    monkeypatch.setattr(disagree, "predictions", lambda r, texts, on_phase=None: fake[r.id])
    ra, rb = compare([a, b]).runs
    d = disagree.disagreement(ra, rb, examples=10)
    assert (d.total, d.a_only, d.b_only, d.split, d.reason) == (n, 2, 1, "validation", "")
    assert [e.right for e in d.examples] == ["a", "b", "a"]  # by the wrong run's confidence: 0.95, 0.95, 0.6
    assert d.examples[-1].b_prob == pytest.approx(0.6)


def test_prediction_cache_is_keyed_on_the_model_file_and_the_texts(two):
    a, _ = two
    key = disagree.cache_key(a / F.BEST, ["x", "y"])
    probs = np.array([[0.2, 0.8], [0.6, 0.4]], "float32")
    disagree.write_cache(a, key, probs)
    assert np.array_equal(disagree.read_cache(a, key, 2, 2), probs)
    assert disagree.read_cache(a, disagree.cache_key(a / F.BEST, ["x", "z"]), 2, 2) is None
    (a / F.BEST).write_bytes(b"another model")
    assert disagree.read_cache(a, disagree.cache_key(a / F.BEST, ["x", "y"]), 2, 2) is None
    (a / disagree.CACHE_NPY).write_bytes(b"junk")
    assert disagree.read_cache(a, key, 2, 2) is None


def test_cli_text_json_csv(two, capsys):
    a, b = two
    root = str(a.parent)
    assert main(["compare", a.name, b.name, "--runs-dir", root, "--no-disagree"]) == 0
    text = capsys.readouterr().out
    assert "compile.learning_rate" in text and "3e-4" in text and "0.4000 (2)" in text
    assert main(["compare", a.name, b.name, "--runs-dir", root, "--no-disagree", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [s["path"] for s in d["settings"]] == ["compile.learning_rate", "layers.1.units"]
    assert d["runs"][1]["best"]["loss"] == {"value": 0.4, "epoch": 2}
    assert main(["compare", a.name, b.name, "--runs-dir", root, "--no-disagree", "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["section", "key", a.name, b.name]
    assert ["setting", "compile.learning_rate", "1e-3", "3e-4"] in rows
    assert ["best_epoch", "val_accuracy", "2", "3"] in rows


def test_cli_disagreement_reason_without_models(two, capsys):
    a, b = two  # hand-made runs: best.keras is empty, so the models cannot load
    assert main(["compare", str(a), str(b), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)["disagreements"][0]
    assert "truncated" in d["reason"] or "damaged" in d["reason"]


def test_cli_bad_input(two, tmp_path, capsys):
    a, _ = two
    assert main(["compare", str(a)]) == 1
    assert "two runs or more" in capsys.readouterr().err
    half = tmp_path / "half"
    half.mkdir()
    (half / F.EXPERIMENT).write_text("version = 1\n", encoding="utf-8")
    assert main(["compare", str(a), str(half), "--no-disagree"]) == 1
    err = capsys.readouterr().err
    assert "half" in err and "kerminal runs" in err
    assert main(["compare", str(a), str(a.parent / "nope"), "--no-disagree", "--examples", "-1"]) == 2


def test_plot_svg(two, tmp_path):
    a, b = two
    out = tmp_path / "curves.svg"
    assert main(["compare", str(a), str(b), "--no-disagree", "--plot", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and svg.count("<polyline") == 4  # 2 runs x 2 metrics
    assert read_info(a).name in svg
    with pytest.raises(KerminalError, match="svg"):
        from engine.cli.compare_plot import Picture, write_plot

        write_plot(str(tmp_path / "x.gif"), Picture([]))


def test_plot_legend_names_too_long_keep_what_differs(two, tmp_path):
    from engine.runs import rename_run

    a, b = two
    tail = " · ".join(["imdb-dev-10k-with-a-long-folder-name", "Bidirectional(LSTM(64))", "batch 32 · seed 7 · val 0.2"])
    rename_run(a, f"{tail} · lr 1e-3")
    rename_run(b, f"{tail} · lr 3e-3")
    out = tmp_path / "curves.svg"
    assert main(["compare", str(a), str(b), "--no-disagree", "--plot", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert "lr 1e-3</text>" in svg and "lr 3e-3</text>" in svg


@pytest.mark.slow
def test_two_trained_runs_disagree_and_cache(tmp_path):
    from tests.engine.test_export import small, train

    runs = []
    for lr in (1e-3, 3e-2):
        exp = small("imdb-ngram")
        exp.fit.epochs = 1
        exp.compile.learning_rate = lr
        runs.append(train(exp, tmp_path).run_dir)
    seen: list[str] = []
    result = disagree.add_disagreements(compare(runs), on_phase=seen.append)
    d = result.disagreements[0]
    assert d.reason == "" and d.total > 0 and d.split == "validation"
    assert [s.path for s in result.settings] == ["compile.learning_rate"]
    assert read_info(runs[0]).preset == "imdb-ngram"  # recorded by the run: its layers are the preset's
    assert any("predicting" in s for s in seen)
    assert all((Path(r) / disagree.CACHE_NPY).is_file() for r in runs)
    seen.clear()
    again = disagree.add_disagreements(compare(runs), on_phase=seen.append).disagreements[0]
    assert (again.a_only, again.b_only) == (d.a_only, d.b_only)
    from engine.training import probe_table  # the probes: each run's model, its own cache beside the predictions'

    sides = compare(runs).runs
    table = probe_table(sides, ["a wonderful, moving film", "dull and awful"])
    assert table.problems == {} and all(len(table.answers[r.id]) == 2 for r in sides)
    assert all((Path(r) / "probes.npy").is_file() and (Path(r) / disagree.CACHE_NPY).is_file() for r in runs)
    assert probe_table(sides, table.sentences).answers == table.answers  # from the cache
    assert not any("predicting" in s for s in seen)  # from the cache
