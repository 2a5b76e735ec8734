"""The Workspace: the experiment being edited, its file, undo/redo, dirty flag, save-as."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ExperimentError
from engine.experiment import Experiment, load, save
from engine.workspace import Workspace


def named(name: str) -> Experiment:
    return Experiment(name=name)


def test_a_new_workspace_is_clean_and_has_nothing_to_undo():
    ws = Workspace(named("a"), "a.toml")
    assert ws.path == Path("a.toml") and not ws.dirty
    assert not ws.can_undo and not ws.can_redo
    assert ws.undo() is None and ws.redo() is None
    assert ws.experiment.name == "a"


def test_edit_undo_redo_restore_the_experiment_and_mark_dirty():
    ws = Workspace(named("a"), "a.toml")
    old = ws.edit(named("b"), "rename")
    assert old.name == "a" and ws.experiment.name == "b" and ws.dirty
    step = ws.undo()
    assert step is not None and step.reason == "rename"
    assert ws.experiment.name == "a" and ws.dirty and ws.can_redo
    step = ws.redo()
    assert step is not None and step.reason == "rename" and ws.experiment.name == "b"
    assert not ws.can_redo and ws.can_undo


def test_undo_and_redo_restore_the_file_too(tmp_path):
    save(named("b"), tmp_path / "b.toml")
    ws = Workspace(named("a"), tmp_path / "a.toml")
    ws.open(tmp_path / "b.toml")
    assert ws.experiment.name == "b" and ws.path == tmp_path / "b.toml" and not ws.dirty
    ws.undo()
    assert ws.experiment.name == "a" and ws.path == tmp_path / "a.toml" and ws.dirty
    ws.redo()
    assert ws.experiment.name == "b" and ws.path == tmp_path / "b.toml"


def test_an_edit_can_leave_the_file_or_keep_it_and_be_clean():
    ws = Workspace(named("a"), "a.toml")
    ws.edit(named("preset"), "preset", path=None, dirty=False)
    assert ws.path is None and not ws.dirty
    ws.edit(named("c"), "edit")
    assert ws.path is None and ws.dirty  # KEEP: the file stays as it is
    ws.undo()
    ws.undo()
    assert ws.path == Path("a.toml") and ws.experiment.name == "a"


def test_a_new_edit_clears_redo():
    ws = Workspace(named("a"))
    ws.edit(named("b"), "one")
    ws.undo()
    assert ws.can_redo
    ws.edit(named("c"), "two")
    assert not ws.can_redo and ws.redo() is None
    assert ws.experiment.name == "c"


def test_an_edit_that_is_not_undoable_leaves_the_lists_alone():
    ws = Workspace(named("a"))
    ws.edit(named("b"), "one")
    ws.undo()
    ws.edit(named("c"), "silent", undoable=False)
    assert ws.can_redo and not ws.can_undo


def test_undo_keeps_at_most_the_limit():
    ws = Workspace(named("0"), undo_limit=3)
    for i in range(1, 6):
        ws.edit(named(str(i)), f"edit {i}")
    reasons = []
    while (step := ws.undo()) is not None:
        reasons.append(step.reason)
    assert reasons == ["edit 5", "edit 4", "edit 3"]
    assert ws.experiment.name == "2"  # the oldest kept state


def test_save_clears_dirty_and_needs_a_path(tmp_path):
    ws = Workspace(named("a"))
    ws.edit(named("b"), "edit")
    with pytest.raises(ValueError):
        ws.save()
    assert ws.dirty
    path = ws.save(tmp_path / "b.toml")
    assert path == tmp_path / "b.toml" and ws.path == path and not ws.dirty
    assert load(path).name == "b"
    ws.edit(named("c"), "edit")
    ws.save()
    assert load(path).name == "c" and not ws.dirty


def test_save_as_rebases_relative_data_paths(tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    (here / "data.csv").write_text("text,label\na,x\nb,y\n")
    exp = named("a")
    exp.data.source = "csv"
    exp.data.path = "data.csv"
    exp.base_dir = here
    ws = Workspace(exp, here / "a.toml")
    ws.save(there / "a.toml")
    assert ws.experiment.data.path == str(here / "data.csv")
    assert ws.experiment.base_dir == there
    assert load(there / "a.toml").data.path == str(here / "data.csv")
    ws.save(there / "b.toml")  # the same folder: nothing to rebase, the path stays as written
    assert load(there / "b.toml").data.path == str(here / "data.csv")


def test_save_in_the_same_folder_keeps_relative_paths(tmp_path):
    exp = named("a")
    exp.data.source = "csv"
    exp.data.path = "data.csv"
    exp.base_dir = tmp_path
    ws = Workspace(exp)
    ws.save(tmp_path / "a.toml")
    assert load(tmp_path / "a.toml").data.path == "data.csv"


def test_a_failed_open_or_save_changes_nothing(tmp_path):
    ws = Workspace(named("a"), "a.toml")
    ws.edit(named("b"), "edit")
    with pytest.raises(ExperimentError):
        ws.open(tmp_path / "missing.toml")
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):
        ws.save(tmp_path / "file" / "b.toml")  # a file where a folder should be
    assert ws.experiment.name == "b" and ws.path == Path("a.toml") and ws.dirty
    assert ws.undo().reason == "edit"


def test_open_as_a_copy_belongs_to_no_file(tmp_path):
    save(named("run"), tmp_path / "experiment.toml")
    ws = Workspace(named("a"), "a.toml")
    ws.open(tmp_path / "experiment.toml", as_file=False, reason="open run x's experiment")
    assert ws.path is None and not ws.dirty and ws.experiment.name == "run"
    assert ws.undo().reason == "open run x's experiment" and ws.path == Path("a.toml")
