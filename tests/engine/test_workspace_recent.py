"""The experiment open last (engine.workspace.recent): remembered with its unsaved changes,
reopened by `kerminal` with no arguments; a missing, corrupt or unwritable state is a
notice, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.experiment import Experiment, save
from engine.layers import default_experiment
from engine.workspace import Recent, read_recent, remember, reopen, state_dir, state_file
from engine.workspace.recent import STATE_ENV


def an_experiment(name: str = "sms", epochs: int = 4) -> Experiment:
    exp = default_experiment()
    exp.name = name
    exp.fit.epochs = epochs
    return exp


def test_the_state_folder_is_the_env_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "own"))
    assert state_dir() == tmp_path / "own"
    monkeypatch.delenv(STATE_ENV)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_dir() == tmp_path / "xdg" / "kerminal"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/is/invalid")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state_dir() == tmp_path / "home" / ".local" / "state" / "kerminal"


def test_a_saved_file_round_trips(tmp_path):
    file = tmp_path / "sms.toml"
    save(an_experiment(), file)
    state = remember(an_experiment(), file, dirty=False, folder=tmp_path / "state", now=123.0)
    assert state.recovery is None  # saved: no copy kept
    assert read_recent(tmp_path / "state") == (state, "")
    back = reopen(tmp_path / "state")
    assert back.path == file and not back.dirty and not back.failed
    assert back.experiment is not None and back.experiment.name == "sms"
    assert "sms.toml" in back.notice


def test_unsaved_changes_come_back_from_the_recovery_copy(tmp_path, monkeypatch):
    file = tmp_path / "sms.toml"
    save(an_experiment(epochs=4), file)
    (tmp_path / "data").mkdir()
    edited = an_experiment(epochs=9)
    edited.base_dir = tmp_path  # a relative data path keeps finding the same file
    edited.data.source, edited.data.path = "csv", "data/x.csv"
    remember(edited, file, dirty=True, folder=tmp_path / "state")
    monkeypatch.chdir(tmp_path / "data")  # started from another folder after a reconnect
    back = reopen(tmp_path / "state")
    assert back.path == file and back.dirty and back.experiment is not None
    assert back.experiment.fit.epochs == 9 and back.experiment.resolve(back.experiment.data.path) == tmp_path / "data" / "x.csv"
    assert "unsaved changes" in back.notice


def test_an_experiment_with_no_file_comes_back_and_the_untouched_default_says_nothing(tmp_path):
    remember(an_experiment("mine"), None, dirty=True, folder=tmp_path)
    back = reopen(tmp_path)
    assert back.path is None and back.dirty and back.experiment is not None and back.experiment.name == "mine"
    remember(default_experiment(), None, dirty=False, folder=tmp_path)
    back = reopen(tmp_path)
    assert back.notice == "" and back.experiment == default_experiment() and not back.dirty


def test_a_missing_state_is_nothing_to_say(tmp_path):
    assert read_recent(tmp_path / "none") == (None, "")
    back = reopen(tmp_path / "none")
    assert back.experiment is None and back.notice == "" and not back.failed


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b"[1, 2]", json.dumps({"kerminal_state": 1, "experiment": 5}).encode(), b"{" * 100000])
def test_a_corrupt_state_is_ignored_with_a_notice(tmp_path, content):
    file = state_file(folder=tmp_path)
    file.write_bytes(content)
    state, notice = read_recent(tmp_path)
    assert state is None and str(file) in notice
    back = reopen(tmp_path)
    assert back.experiment is None and back.failed and file.name in back.notice


def test_a_missing_or_unreadable_experiment_file_falls_back_with_its_name(tmp_path):
    file = tmp_path / "gone.toml"
    save(an_experiment(), file)
    remember(an_experiment(), file, dirty=False, folder=tmp_path / "state")
    file.unlink()
    back = reopen(tmp_path / "state")
    assert back.experiment is None and back.failed and str(file) in back.notice and "gone" in back.notice
    file.write_text("[fit\nepochs = ", encoding="utf-8")
    back = reopen(tmp_path / "state")
    assert back.experiment is None and back.failed and str(file) in back.notice and "TOML" in back.notice


def test_a_broken_recovery_copy_falls_back_to_the_file_as_saved(tmp_path):
    file = tmp_path / "sms.toml"
    save(an_experiment(epochs=4), file)
    remember(an_experiment(epochs=9), file, dirty=True, folder=tmp_path / "state")
    file = state_file(folder=tmp_path / "state")
    file.write_text(json.dumps({**json.loads(file.read_text(encoding="utf-8")), "recovery": "not = [toml"}), encoding="utf-8")
    back = reopen(tmp_path / "state")
    assert back.experiment is not None and back.experiment.fit.epochs == 4 and not back.dirty
    assert back.failed and "as last saved" in back.notice


def test_an_unwritable_state_folder_raises_oserror_and_leaves_the_old_state(tmp_path):
    """A state folder that cannot be written (here a file stands where the folder would be
    made: unwritable even for root, as a read-only home is)."""
    folder = tmp_path / "state"
    file = tmp_path / "sms.toml"
    save(an_experiment(), file)
    old = remember(an_experiment(), file, dirty=False, folder=folder)
    with pytest.raises(OSError):
        remember(an_experiment(), None, dirty=True, folder=state_file(folder=folder) / "below-a-file")
    assert read_recent(folder) == (old, "")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(OSError):
        remember(an_experiment(), file, dirty=False, folder=blocked)


def test_recent_round_trips_through_its_dict():
    state = Recent(Path("/a/b.toml"), True, 'name = "x"\n', Path("/a"), 5.0, Path("/r/runs"))
    assert Recent.from_dict(json.loads(json.dumps(state.to_dict()))) == state


# ---- one state per runs folder; two apps at once ----------------------------------------------


def test_each_runs_folder_has_its_own_state_and_remembers_it(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    save(an_experiment("a"), a)
    save(an_experiment("b"), b)
    state = tmp_path / "state"
    remember(an_experiment("a"), a, dirty=False, folder=state, runs_dir=tmp_path / "one" / "runs")
    remember(an_experiment("b"), b, dirty=False, folder=state, runs_dir=tmp_path / "two" / "runs")  # a second app, elsewhere
    first, _ = read_recent(state, runs_dir=tmp_path / "one" / "runs")
    assert first is not None and first.path == a and first.runs_dir == tmp_path / "one" / "runs"
    assert reopen(state, runs_dir=tmp_path / "one" / "runs").path == a  # not clobbered by the second
    assert reopen(state, runs_dir=tmp_path / "two" / "runs").path == b
    # A runs folder with no state of its own (started from another folder after a
    # reconnect): the newest state, which says the runs folder it was for.
    back = reopen(state, runs_dir=tmp_path / "three" / "runs")
    assert back.path == b and str(tmp_path / "two" / "runs") in back.notice


def test_two_writers_of_one_runs_folder_never_leave_a_torn_state(tmp_path):
    """Two apps on the same runs folder, each writing its unsaved changes over and over:
    the last writer wins, and what is read is always one writer's whole state (its file
    and its own unsaved copy together), never a mix."""
    import threading

    files = {name: tmp_path / f"{name}.toml" for name in ("a", "b")}
    for name, file in files.items():
        save(an_experiment(name), file)
    state, runs = tmp_path / "state", tmp_path / "runs"
    go = threading.Barrier(2)

    def writer(name: str) -> None:
        go.wait()
        for epochs in range(1, 40):
            remember(an_experiment(name, epochs), files[name], dirty=True, folder=state, runs_dir=runs)

    threads = [threading.Thread(target=writer, args=(name,)) for name in files]
    for t in threads:
        t.start()
    seen = []
    while any(t.is_alive() for t in threads):
        back = reopen(state, runs_dir=runs)
        if back.experiment is not None:
            seen.append((back.path, back.experiment.name))
    for t in threads:
        t.join()
    back = reopen(state, runs_dir=runs)
    assert back.experiment is not None and back.experiment.fit.epochs == 39 and not back.failed
    assert all(path == files[name] for path, name in [*seen, (back.path, back.experiment.name)])
    assert [p.name for p in state.iterdir() if p.name.endswith(".tmp")] == []
