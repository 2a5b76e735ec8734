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

# A stack `train` accepts on every source here, so inspect exits 0.
STACK = '[[layers]]\ntype = "Embedding"\noutput_dim = 8\n[[layers]]\ntype = "GlobalAveragePooling1D"\n[[layers]]\ntype = "Dense"\nunits = 1\nactivation = "sigmoid"\n'


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
    path = write(tmp_path, sources[source], STACK)
    text = inspect(capsys, path)
    assert text.startswith("Dataset: ") and "total" in text and "p50" in text
    out = json.loads(inspect(capsys, path, "--json"))
    data = out["data"]
    assert out["experiment"] == "t" and data["rows"]["train"]["total"] > 0
    assert {"length_p50", "length_p90", "length_p99", "vocab_size", "oov_rate", "samples"} <= set(data)


def test_inspect_csv_human_table(tmp_path, capsys, sources):
    text = inspect(capsys, write(tmp_path, sources["csv"], STACK))
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

    assert main(["inspect", str(write(tmp_path, 'source = "reber"\nsize = 60', STACK)), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["data"]["unit"] == "chars"
    assert main(["inspect", str(write(tmp_path, 'source = "folder"\npath = "missing"'))]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kerminal inspect: No folder at") and "data.path" in err


# ---- issue 10, finding 9: inspect exits 1 on what `kerminal train` would refuse -----------------



def refused(capsys, path: Path) -> tuple[str, str, list[dict]]:
    """Run `kerminal inspect` twice (text, --json); both exit 1. The report is still printed."""
    from engine.cli import main

    assert main(["inspect", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("Dataset: ") and err.startswith("kerminal inspect: `kerminal train` would refuse ")
    assert main(["inspect", str(path), "--json"]) == 1
    objs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    report, error = objs
    assert report["ok"] is False and report["problems"] and error["error"] == "TrainingError"
    return out, err, report["problems"]


def test_inspect_exits_1_when_the_monitor_is_not_logged(tmp_path, capsys):
    path = write(tmp_path, 'source = "sample"\n[vectorize]\nmax_tokens = 1000\nlength = 20', STACK + '[fit]\nmonitor = "val_f1"\n')
    _, err, problems = refused(capsys, path)
    assert "fit.monitor: 'val_f1'" in err and "val_accuracy" in err
    assert problems[0]["error"] == "TrainingError" and "val_f1" in problems[0]["problem"]


def test_inspect_exits_1_on_a_layer_stack_error(tmp_path, capsys):
    bad = '[[layers]]\ntype = "Dense"\nunits = 1\n[[layers]]\ntype = "LSTM"\nunits = 4\n'
    out, err, problems = refused(capsys, write(tmp_path, 'source = "sample"', bad))
    assert "Layers (t):" in out  # the table with the error is still shown
    assert "LSTM" in err and problems[0]["error"] == "LayerError" and "Fix:" not in problems[0]["problem"]


def test_inspect_exits_1_on_an_empty_stack(tmp_path, capsys):
    _, err, _ = refused(capsys, write(tmp_path, 'source = "sample"'))
    assert "layer stack is empty" in err


def two_classes_one_in_train(tmp_path: Path) -> str:
    """Two classes, but data.limit leaves the training split with only one."""
    pd.DataFrame({"text": [f"good film {i}" for i in range(10)] + ["bad film"], "label": ["pos"] * 10 + ["neg"]}).to_csv(tmp_path / "two.csv", index=False)
    return 'source = "csv"\npath = "two.csv"\ntext = "text"\nlabel = "label"\nlimit = 3'


def test_inspect_exits_1_when_the_training_split_holds_one_class(tmp_path, capsys):
    _, err, problems = refused(capsys, write(tmp_path, two_classes_one_in_train(tmp_path), STACK))
    assert "only one class ('pos')" in err and len(problems) == 1


def test_inspect_exits_1_on_a_one_class_file(tmp_path, capsys):
    from engine.cli import main

    pd.DataFrame({"text": [f"good film {i}" for i in range(8)], "label": ["pos"] * 8}).to_csv(tmp_path / "one.csv", index=False)
    assert main(["inspect", str(write(tmp_path, 'source = "csv"\npath = "one.csv"\nlabel = "label"', STACK))]) == 1
    assert "only one class ('pos')" in capsys.readouterr().err


def test_inspect_lists_every_problem(tmp_path, capsys):
    _, err, problems = refused(capsys, write(tmp_path, two_classes_one_in_train(tmp_path), '[fit]\nmonitor = "val_f1"\n'))
    assert len(problems) == 3 and "3 problems" in err  # one class in train, empty stack, monitor
    assert [p["error"] for p in problems] == ["TrainingError", "LayerError", "TrainingError"]


def test_inspect_exits_0_when_train_would_accept(tmp_path, capsys):
    from engine.cli import main

    path = write(tmp_path, 'source = "sample"\n[vectorize]\nmax_tokens = 1000\nlength = 20', STACK + '[fit]\nmonitor = "val_accuracy"\n')
    assert main(["inspect", str(path), "--json"]) == 0
    (report,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert report["ok"] is True and report["problems"] == []


def test_inspect_says_how_many_texts_length_cuts_only_for_a_vectorizer_with_a_length(tmp_path, capsys):
    layers = '[[layers]]\ntype = "Dense"\nunits = 1\nactivation = "sigmoid"\n'
    words = inspect(capsys, write(tmp_path, 'source = "sample"\n[vectorize]\nlength = 20', STACK))
    assert "vectorize.length = 20:" in words and "are cut" in words
    ngrams = inspect(capsys, write(tmp_path, 'source = "sample"\n[vectorize]\nkind = "ngrams"\nmax_tokens = 1000', layers))
    assert "vectorize.length" not in ngrams and "are cut" not in ngrams  # n-grams have no length


def test_inspect_shows_the_samples_control_characters_escaped(tmp_path, capsys):
    """A review holding an escape sequence (colours, or a screen clear) or a record separator
    is shown escaped, not written to the terminal as it is."""
    (tmp_path / "r.tsv").write_text("a \x1b[31mred\x1b[0m film\tpos\nworst\x1cfilm\tneg\nok good\tpos\nbad\tneg\n", encoding="utf-8")
    out = inspect(capsys, write(tmp_path, 'source = "csv"\npath = "r.tsv"\nformat = "tsv"', STACK))
    assert "\x1b" not in out and "\x1c" not in out
    assert "a \\x1b[31mred\\x1b[0m film" in out and "worst\\x1cfilm" in out
