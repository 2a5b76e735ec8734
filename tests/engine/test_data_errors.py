"""Bad input: one test per case, each a typed error naming the problem and the fix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.data import keras_datasets, load_dataset
from engine.errors import DataError, ExperimentError
from engine.experiment import DataConfig, Experiment, SplitConfig, loads


def exp_for(tmp_path: Path, **data) -> Experiment:
    return Experiment(data=DataConfig(split=SplitConfig(0.25, 0.0, 1), **data), base_dir=tmp_path)


def test_missing_path(tmp_path):
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="nope.csv"))
    assert "nope.csv" in str(err.value) and "data.path" in err.value.fix


def test_empty_file(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="empty.csv"))
    assert "empty" in err.value.problem and err.value.fix


def test_header_without_rows(tmp_path):
    (tmp_path / "head.csv").write_text("text,label\n")
    with pytest.raises(DataError, match="no data rows"):
        load_dataset(exp_for(tmp_path, source="csv", path="head.csv"))


def test_missing_column_lists_the_columns(tmp_path):
    pd.DataFrame({"review": ["a", "b"], "sentiment": ["x", "y"]}).to_csv(tmp_path / "r.csv", index=False)
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="r.csv", text="reveiw", label="sentiment"))
    assert "'reveiw'" in err.value.problem and "'review'" in err.value.problem and "'sentiment'" in err.value.problem
    assert "Did you mean 'review'" in err.value.fix


def test_label_column_with_one_class(tmp_path):
    pd.DataFrame({"text": ["good", "fine", "nice"], "label": ["pos", "pos", "pos"]}).to_csv(tmp_path / "one.csv", index=False)
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="one.csv", text="text", label="label"))
    assert "only one class ('pos')" in err.value.problem and "data.label" in err.value.fix


def test_empty_and_missing_text_rows_are_dropped_and_counted(tmp_path):
    (tmp_path / "gaps.csv").write_text('text,label\ngood one,pos\n,neg\n"   ",pos\nbad one,neg\n<br />,neg\nfine,pos\nawful,neg\n')
    ds = load_dataset(exp_for(tmp_path, source="csv", path="gaps.csv", text="text", label="label", clean=["html"]))
    assert sorted(ds.train.texts + ds.validation.texts) == ["awful", "bad one", "fine", "good one"]
    assert any("dropped 1 rows with missing text and 2 with empty text" in n for n in ds.notes)


def test_bytes_that_are_not_utf8_are_replaced_and_counted(tmp_path):
    (tmp_path / "latin.csv").write_bytes("text,label\ncaf\xe9 cr\xe8me,pos\nplain,neg\nok,pos\nno,neg\n".encode("latin-1"))
    ds = load_dataset(exp_for(tmp_path, source="csv", path="latin.csv", text="text", label="label"))
    assert "caf\ufffd cr\ufffdme" in ds.train.texts + ds.validation.texts
    assert any("replaced 2 bytes that are not UTF-8" in n for n in ds.notes)


def test_folder_bytes_that_are_not_utf8_are_replaced_and_counted(tmp_path):
    for cls, text in (("pos", b"good \xff film"), ("neg", b"bad film")):
        (tmp_path / "d" / cls).mkdir(parents=True)
        for i in range(2):
            (tmp_path / "d" / cls / f"{i}.txt").write_bytes(text)
    ds = load_dataset(exp_for(tmp_path, source="folder", path="d"))
    assert any("replaced 2 bytes" in n for n in ds.notes)


def test_folder_without_class_subfolders(tmp_path):
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.txt").write_text("some text")
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="folder", path="flat"))
    assert "no class subfolders" in err.value.problem and "subfolder" in err.value.fix


def test_unknown_source_name(tmp_path):
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="cvs"))
    assert "'cvs'" in err.value.problem and "Did you mean 'csv'" in err.value.fix


def test_unknown_source_in_the_experiment_file():
    with pytest.raises(ExperimentError) as err:
        loads('[data]\nsource = "cvs"\n')
    assert "data.source" in err.value.problem


def test_typod_data_key_in_the_experiment_file():
    with pytest.raises(ExperimentError) as err:
        loads('[data]\nsource = "csv"\nlabl = "sentiment"\n')
    assert "data.labl" in err.value.problem and "'label'" in err.value.fix


def test_per_class_needs_two_files(tmp_path):
    pd.DataFrame({"title": ["a", "b"]}).to_csv(tmp_path / "Fake.csv", index=False)
    with pytest.raises(DataError, match="at least 2 classes"):
        load_dataset(exp_for(tmp_path, source="per-class", files={"fake": "Fake.csv"}, text="title"))


def test_unknown_table_extension(tmp_path):
    (tmp_path / "data.xlsx").write_bytes(b"PK")
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="data.xlsx"))
    assert ".csv" in err.value.fix and ".parquet" in err.value.fix


def test_keras_file_missing_offline_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    monkeypatch.setenv("KERMINAL_OFFLINE", "1")
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="keras", name="imdb"))
    assert "imdb.npz" in err.value.problem and str(tmp_path / "kh" / "datasets") in err.value.problem
    assert "keras.datasets.imdb.load_data()" in err.value.fix and "imdb_word_index.json" in err.value.fix


@pytest.mark.slow
@pytest.mark.timeout(60)  # the probe gives up after PROBE_TIMEOUT_S; a hang would be the bug
def test_keras_file_missing_and_host_silent_fails_fast(tmp_path, monkeypatch):
    import socket

    # A host that takes the connection and never answers: a socket on this machine that
    # listens and never accepts (tests send nothing beyond the loopback).
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    monkeypatch.delenv("KERMINAL_OFFLINE", raising=False)
    monkeypatch.setattr(keras_datasets, "ORIGIN", f"http://127.0.0.1:{silent.getsockname()[1]}/")
    monkeypatch.setattr(keras_datasets, "PROBE_TIMEOUT_S", 1.0)
    try:
        with pytest.raises(DataError) as err:
            load_dataset(exp_for(tmp_path, source="keras", name="reuters"))
    finally:
        silent.close()
    assert "reuters.npz" in err.value.problem and "did not answer" in err.value.problem


def test_keras_unknown_name(tmp_path):
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="keras", name="mnist"))
    assert "'mnist'" in err.value.problem and "imdb" in err.value.fix


def test_label_column_that_is_really_text(tmp_path):
    pd.DataFrame({"text": [f"t {i}" for i in range(120)], "label": [f"id-{i}" for i in range(120)]}).to_csv(tmp_path / "ids.csv", index=False)
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="ids.csv", text="text", label="label"))
    assert "120 distinct values" in err.value.problem and "data.label" in err.value.fix


# --- issue 10, finding 8: folders with files that cannot be read ---------------------------------


def folder_with_classes(root: Path) -> None:
    for cls, text in (("pos", "good film"), ("neg", "bad film")):
        (root / cls).mkdir(parents=True)
        for i in range(3):
            (root / cls / f"{i}.txt").write_text(f"{text} {i}")


def test_folder_symlink_loop_is_skipped_and_named(tmp_path):
    folder_with_classes(tmp_path / "d")
    (tmp_path / "d" / "pos" / "loop.txt").symlink_to("loop.txt")
    (tmp_path / "d" / "neg" / "dangling.txt").symlink_to("nowhere.txt")
    ds = load_dataset(exp_for(tmp_path, source="folder", path="d"))
    assert len(ds.train) + len(ds.validation) == 6
    note = next(n for n in ds.notes if "could not be read" in n)
    assert "skipped 2 .txt files" in note and "pos/loop.txt" in note and "neg/dangling.txt" in note


def test_folder_unreadable_file_is_skipped_and_named(tmp_path, monkeypatch):
    import builtins

    folder_with_classes(tmp_path / "d")
    (tmp_path / "d" / "pos" / "x.txt").mkdir()  # a folder named like a text file: not a file, ignored
    secret = tmp_path / "d" / "neg" / "secret.txt"
    secret.write_text("locked")
    real_open = builtins.open

    def guarded(file, *args, **kwargs):  # tests run as root: chmod 000 would not stop the read
        if str(file) == str(secret):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    ds = load_dataset(exp_for(tmp_path, source="folder", path="d"))
    assert sorted(ds.train.texts + ds.validation.texts) == sorted([f"good film {i}" for i in range(3)] + [f"bad film {i}" for i in range(3)])
    note = next(n for n in ds.notes if "could not be read" in n)
    assert "skipped 1 .txt file" in note and "neg/secret.txt" in note and "Permission denied" in note


def test_folder_whose_every_file_is_unreadable(tmp_path):
    for cls in ("pos", "neg"):
        (tmp_path / "d" / cls).mkdir(parents=True)
        (tmp_path / "d" / cls / "loop.txt").symlink_to("loop.txt")
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="folder", path="d"))
    assert "could not be read" in err.value.problem and "loop.txt" in err.value.problem and err.value.fix


def test_all_empty_label_column_is_not_one_class(tmp_path):
    (tmp_path / "e.csv").write_text("text,label\na,\nb,\nc,\n")
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="e.csv", text="text", label="label"))
    assert "is empty" in err.value.problem and "only one class" not in err.value.problem


# --- issue 18, finding 9: a guessed label column says what is wrong with it ----------------------


def test_guessed_label_column_with_one_class_says_so(tmp_path):
    (tmp_path / "one.csv").write_text("text,label\na good long film,spam\nanother long text,spam\na third long text,spam\n")
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="one.csv"))
    assert "one.csv: column 'label' has only one class, 'spam': a classifier needs two or more" in err.value.problem
    assert "no column looks like a label" not in err.value.problem
    assert "another class" in err.value.fix and "data.label" in err.value.fix


def test_guessed_label_column_that_is_all_empty_says_so(tmp_path):
    (tmp_path / "e.csv").write_text("text,label\na good long film,\nanother long text,\na third long text,\n")
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="e.csv"))
    assert "e.csv: column 'label' is empty: none of its 3 rows has a label" in err.value.problem
    assert "no column looks like a label" not in err.value.problem and "data.label" in err.value.fix


def test_no_label_column_lists_what_each_column_holds(tmp_path):
    pd.DataFrame({"text": [f"text number {i}" for i in range(80)], "id": [str(i) for i in range(80)], "kind": ["x"] * 80}).to_csv(tmp_path / "n.csv", index=False)
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="n.csv"))
    assert "no column looks like a label" in err.value.problem
    assert "column 'id' (80 distinct values)" in err.value.problem and "column 'kind' (1 distinct value)" in err.value.problem


@pytest.mark.parametrize("labels, named", [(["maybe"] * 3, ""), (["maybe"] * 3, "label"), (["yes", "no", "yes"], "")])
def test_eval_file_with_labels_the_run_does_not_know_says_so(tmp_path, labels, named):
    from types import SimpleNamespace

    from engine.cli.eval_cmd import file_split

    rows = "".join(f"a long text number {i},{y}\n" for i, y in enumerate(labels))
    (tmp_path / "f.csv").write_text("text,label\n" + rows)
    run = SimpleNamespace(experiment=Experiment(), class_names=["neg", "pos"])
    with pytest.raises(DataError) as err:
        file_split(run, str(tmp_path / "f.csv"), label=named or None)
    assert "are not classes of this run (neg, pos)" in err.value.problem, err.value.problem
    assert repr(labels[0]) in err.value.problem and "run's classes" in err.value.fix
