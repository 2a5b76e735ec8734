"""Runs you can tell apart: label.json (name, note, tags), the derived name, the true preset,
and `kerminal rename|tag|note`."""

from __future__ import annotations

import json
import os

import pytest

from engine.cli import main
from engine.errors import RunError
from engine.experiment import load, save
from engine.runs import folder as F
from engine.runs import labels, read_info
from tests.engine.hand_made_runs import hand_made_run


@pytest.fixture
def run_dir(tmp_path):
    return hand_made_run(tmp_path, "20240101-000000-x", "x")


def test_name_is_derived_from_the_experiment(run_dir):
    info = read_info(run_dir)
    assert info.name == "sample · 2-grams nb · Dense(16) · lr 1e-3"
    assert info.experiment_name == "x"


def test_derived_name_names_the_main_layer_and_data():
    raw = {"data": {"source": "csv", "path": "/d/SMSSpamCollection"}, "layers": [{"type": "Embedding", "output_dim": 16}, {"type": "LSTM", "units": 32}, {"type": "Dense", "units": 1}], "compile": {"learning_rate": 0.001}}
    assert labels.derived_name(raw) == "SMSSpamCollection · LSTM(32) · lr 1e-3"
    raw["layers"][1] = {"type": "Bidirectional", "layer": {"type": "GRU", "units": 8}}
    raw["compile"] = {"optimizer": "adam"}
    assert labels.derived_name(raw) == "SMSSpamCollection · Bidirectional(GRU(8)) · adam"
    assert labels.derived_name({"data": {"source": "keras", "name": "imdb"}, "layers": "junk"}) == "imdb"
    layers = [{"type": "Dense", "units": 16}, {"type": "Dropout"}, {"type": "Dense", "units": 1}]
    bag = {"data": {"source": "keras", "name": "imdb"}, "vectorize": {"kind": "ngrams", "ngrams": 2, "output_mode": "nb"}, "layers": layers, "compile": {"learning_rate": 0.001}}
    assert labels.derived_name(bag) == "imdb · 2-grams nb · Dense(16) · lr 1e-3"
    bag["vectorize"]["output_mode"] = "multi_hot"  # runs that differ only in the bag differ in name
    assert labels.derived_name(bag) == "imdb · 2-grams multi_hot · Dense(16) · lr 1e-3"
    bag["vectorize"] = {"kind": "ngrams", "ngrams": True, "output_mode": 3}
    assert labels.derived_name(bag) == "imdb · n-grams · Dense(16) · lr 1e-3"
    assert labels.short_float(3e-4) == "3e-4" and labels.short_float(2.5e-4) == "2.5e-4" and labels.short_float(0.05) == "0.05"


def test_rename_note_and_tags_go_to_label_json_not_metrics(run_dir):
    before = (run_dir / F.METRICS).read_bytes()
    labels.rename(run_dir, "baseline  ")
    labels.set_note(run_dir, "the one to beat")
    labels.tag(run_dir, ["good", "two words", "good"])
    info = read_info(run_dir)
    assert (info.name, info.note, info.tags) == ("baseline", "the one to beat", ["good", "two-words"])
    assert (run_dir / F.METRICS).read_bytes() == before
    labels.tag(run_dir, ["good"], remove=True)
    labels.rename(run_dir, "")
    info = read_info(run_dir)
    assert info.tags == ["two-words"] and info.name == "sample · 2-grams nb · Dense(16) · lr 1e-3"
    assert json.loads(json.dumps(info.to_dict()))["tags"] == ["two-words"]


def test_a_damaged_or_linked_label_reads_as_none(run_dir, tmp_path):
    (run_dir / labels.LABEL).write_text("{not json", encoding="utf-8")
    assert read_info(run_dir).name == "sample · 2-grams nb · Dense(16) · lr 1e-3"
    (run_dir / labels.LABEL).unlink()
    elsewhere = tmp_path / "other.json"
    elsewhere.write_text(json.dumps({"name": "planted"}), encoding="utf-8")
    os.symlink(elsewhere, run_dir / labels.LABEL)
    assert read_info(run_dir).name != "planted"
    (run_dir / labels.LABEL).unlink()
    (run_dir / labels.LABEL).write_text(json.dumps({"name": "n" * 10_000, "tags": ["a"] * 500 + [3]}), encoding="utf-8")
    got = labels.read_label(run_dir)
    assert len(got.name) == labels.NAME_MAX and len(got.tags) == labels.TAGS_MAX


def test_writing_refuses_a_link_to_a_run_and_a_folder_that_is_not_one(run_dir, tmp_path, capsys):
    link = tmp_path / "link"
    os.symlink(run_dir, link)
    with pytest.raises(RunError, match="symbolic link"):
        labels.rename(link, "x")
    plain = tmp_path / "plain"
    plain.mkdir()
    assert main(["rename", str(plain), "x"]) == 1
    assert not (plain / labels.LABEL).exists()
    with pytest.raises(RunError, match="No tag"):
        labels.tag(run_dir, ["  "])


def test_preset_is_shown_only_while_the_layers_are_the_presets(run_dir):
    assert read_info(run_dir).preset == ""  # none recorded
    meta = json.loads((run_dir / F.METRICS).read_text(encoding="utf-8"))
    (run_dir / F.METRICS).write_text(json.dumps({**meta, "preset": "imdb-ngram"}), encoding="utf-8")
    assert read_info(run_dir).preset == "imdb-ngram"
    exp = load(run_dir / F.EXPERIMENT)
    exp.layers[0].params["units"] = 33
    save(exp, run_dir / F.EXPERIMENT)
    assert read_info(run_dir).preset == ""
    exp.layers[0].params["units"] = 16  # the preset's width again
    exp.layers[1].params.pop("rate")  # 0.5, its default: still the preset's layer
    save(exp, run_dir / F.EXPERIMENT)
    assert read_info(run_dir).preset == "imdb-ngram"
    exp.preset = "no-such-preset"
    assert labels.true_preset(exp.to_dict()) == ""


def test_cli_rename_tag_note(run_dir, capsys):
    root = run_dir.parent
    assert main(["rename", run_dir.name, "lr search 1", "--runs-dir", str(root)]) == 0
    assert main(["tag", run_dir.name, "good", "baseline", "--runs-dir", str(root), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(out) == {"run": run_dir.name, "name": "lr search 1", "note": "", "tags": ["good", "baseline"]}
    assert main(["note", str(run_dir), "kept\nfor the report"]) == 0
    assert "note: kept\\nfor the report" in capsys.readouterr().out
    assert main(["runs", "--runs-dir", str(root)]) == 0
    assert "lr search 1" in capsys.readouterr().out
    assert main(["rename", "nope", "x", "--runs-dir", str(root)]) == 1
    assert "No run 'nope'" in capsys.readouterr().err
