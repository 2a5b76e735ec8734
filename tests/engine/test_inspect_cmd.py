"""`kerminal inspect EXPERIMENT.toml [--json]` on each source."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.cli import inspect_cmd
from engine.errors import DataError, ExperimentError
from engine.experiment import loads


def inspect(capsys, path: Path, *flags: str) -> str:
    parser = argparse.ArgumentParser()
    inspect_cmd.add_arguments(parser)
    assert inspect_cmd.run(parser.parse_args([str(path), *flags])) == 0
    return capsys.readouterr().out


def write(tmp_path: Path, data: str, extra: str = "") -> Path:
    path = tmp_path / "exp.toml"
    path.write_text(f'version = 1\nname = "t"\n[data]\n{data}\n{extra}')
    return path


def make_sources(tmp_path: Path) -> dict[str, str]:
    pd.DataFrame({"review": [f"good film {i}" for i in range(6)] + [f"bad film {i}" for i in range(6)], "y": ["pos"] * 6 + ["neg"] * 6}).to_csv(tmp_path / "r.csv", index=False)
    pd.DataFrame({"title": [f"fake {i}" for i in range(4)]}).to_csv(tmp_path / "Fake.csv", index=False)
    pd.DataFrame({"title": [f"true {i}" for i in range(4)]}).to_csv(tmp_path / "True.csv", index=False)
    for split in ("train", "test"):
        for cls in ("neg", "pos"):
            d = tmp_path / "acl" / split / cls
            d.mkdir(parents=True)
            for i in range(3):
                (d / f"{i}.txt").write_text(f"{cls} review {i}<br />more")
    kh = tmp_path / "kh" / "datasets"
    kh.mkdir(parents=True)
    seqs = np.empty(4, dtype=object)
    seqs[:] = [[1, 2], [2, 3], [1, 3], [3, 3]]
    np.savez(kh / "imdb.npz", x_train=seqs, y_train=np.array([1, 0, 1, 0]), x_test=seqs, y_test=np.array([1, 0, 1, 0]))
    (kh / "imdb_word_index.json").write_text(json.dumps({"fine": 1, "film": 2, "dull": 3}))
    return {
        "sample": 'source = "sample"',
        "reber": 'source = "reber"\nsize = 100',
        "embedded-reber": 'source = "embedded-reber"\nsize = 100',
        "csv": 'source = "csv"\npath = "r.csv"',
        "per-class": 'source = "per-class"\ntext = "title"\nfiles = { fake = "Fake.csv", true = "True.csv" }',
        "folder": 'source = "folder"\npath = "acl"\nclean = ["html"]',
        "keras": 'source = "keras"\nname = "imdb"',
    }


@pytest.fixture
def sources(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    monkeypatch.setenv("KERMINAL_OFFLINE", "1")
    return make_sources(tmp_path)


@pytest.mark.parametrize("source", ["sample", "reber", "embedded-reber", "csv", "per-class", "folder", "keras"])
def test_inspect_every_source(tmp_path, capsys, sources, source):
    path = write(tmp_path, sources[source])
    text = inspect(capsys, path)
    assert text.startswith("Dataset: ") and "total" in text and "p50" in text
    out = json.loads(inspect(capsys, path, "--json"))
    data = out["data"]
    assert out["experiment"] == "t" and data["rows"]["train"]["total"] > 0
    assert {"length_p50", "length_p90", "length_p99", "vocab_size", "oov_rate", "samples"} <= set(data)


def test_inspect_csv_human_table(tmp_path, capsys, sources):
    text = inspect(capsys, write(tmp_path, sources["csv"]))
    assert "Dataset: r.csv (binary, 2 classes)" in text
    assert "picked column 'review' as text" in text
    assert "out-of-vocabulary" in text


def test_inspect_prints_the_layer_table(tmp_path, capsys):
    layers = '[[layers]]\ntype = "Embedding"\noutput_dim = 8\n[[layers]]\ntype = "GlobalAveragePooling1D"\n[[layers]]\ntype = "Dense"\nunits = 1\nactivation = "sigmoid"\n'
    path = write(tmp_path, 'source = "sample"\n[vectorize]\nmax_tokens = 1000\nlength = 20', layers)
    exp = loads(path.read_text(), tmp_path)
    from engine.data import load_dataset

    section = inspect_cmd.layer_section(exp, load_dataset(exp))
    assert section is not None, "engine.layers provides validate_experiment and format_table"
    text = inspect(capsys, path)
    assert "Layers (t):" in text and "Embedding" in text and "8,009" in text  # 1000*8 + 8 + 1
    out = json.loads(inspect(capsys, path, "--json"))
    assert "layers" in out


def test_inspect_bad_experiment_file(tmp_path, capsys):
    with pytest.raises(ExperimentError, match="data.sorce"):
        inspect(capsys, write(tmp_path, 'sorce = "csv"'))


def test_inspect_missing_data(tmp_path, capsys):
    with pytest.raises(DataError, match="nope.csv"):
        inspect(capsys, write(tmp_path, 'source = "csv"\npath = "nope.csv"'))


def test_kerminal_inspect_through_the_command_line(tmp_path, capsys):
    from engine.cli import main

    assert main(["inspect", str(write(tmp_path, 'source = "reber"\nsize = 60')), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["data"]["unit"] == "chars"
    assert main(["inspect", str(write(tmp_path, 'source = "folder"\npath = "missing"'))]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kerminal inspect: No folder at") and "data.path" in err
