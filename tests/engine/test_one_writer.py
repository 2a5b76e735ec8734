"""One writer of metrics.json: only RunWriter writes it, and a launcher's writer hands the
run over explicitly when it starts the run's process, writing nothing after."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from engine.errors import RunError
from engine.experiment import loads
from engine.runs import events as ev
from engine.runs import folder as F
from engine.runs import launch, lock, reader
from engine.runs.status import Status
from engine.runs.writer import RunWriter

ROOT = Path(__file__).resolve().parents[2]
WRITES = {"write_json_atomic", "atomic_write_text", "write_text", "write_bytes", "open", "open_append", "replace", "rename"}


def metrics_writers() -> set[str]:
    """The modules of engine and tui with a call that writes (or moves) a file named by
    METRICS or "metrics.json"."""
    found = set()
    for path in [*ROOT.glob("engine/**/*.py"), *ROOT.glob("tui/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name not in WRITES:
                continue
            target = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""  # Path(...).write_text
            args = " ".join([target, *map(ast.unparse, node.args)])
            if "METRICS" in args or "metrics.json" in args:
                found.add(path.relative_to(ROOT).as_posix())
    return found


def test_only_the_run_writer_writes_metrics_json():
    assert metrics_writers() == {"engine/runs/writer.py"}


def experiment(tmp_path: Path):
    return loads('version = 1\nname = "handed"\n\n[data]\nsource = "reber"\n\n[[layers]]\ntype = "Dense"\nunits = 1\nactivation = "sigmoid"\n', tmp_path)


class FakeSpawn:
    """Stands for the started process: remembers metrics.json as the launcher left it."""

    def __init__(self, fail: bool = False) -> None:
        self.fail, self.seen, self.args = fail, b"", []

    def __call__(self, args, run_dir, lock_fd, extra_env=None):
        if self.fail:
            raise RunError("Could not start the training process: no more processes.", "Try again.")
        assert lock.held(run_dir)  # the lock travels with the process
        self.seen, self.args = (run_dir / F.METRICS).read_bytes(), args
        return 4242


def test_a_launcher_writes_the_first_record_then_nothing_after_the_process_starts(tmp_path, monkeypatch):
    spawn = FakeSpawn()
    monkeypatch.setattr(launch, "_spawn", spawn)
    path = launch.start(experiment(tmp_path), tmp_path / "runs", epochs=3)
    assert spawn.args[:2] == ["--into", str(path)]
    meta = json.loads(spawn.seen)
    assert meta["status"] == Status.STARTING and meta["pid"] == 0 and meta["target"] == 3
    assert (path / F.METRICS).read_bytes() == spawn.seen  # not one byte written after the start
    assert lock.held(path) is False  # and the launcher kept no hold on it


def test_a_resumed_run_is_handed_over_the_same_way(tmp_path, monkeypatch):
    monkeypatch.setattr(launch, "_spawn", FakeSpawn())
    path = launch.start(experiment(tmp_path), tmp_path / "runs")
    writer = RunWriter.take(path)  # as the started process would end it
    writer.metrics({**reader.read_meta(path), "status": Status.STOPPED, "epochs": 1})
    writer.close()
    spawn = FakeSpawn()
    monkeypatch.setattr(launch, "_spawn", spawn)
    launch.resume(path, epochs=2)
    meta = json.loads(spawn.seen)
    assert meta["status"] == Status.STARTING and meta["before"]["status"] == Status.STOPPED and meta["target"] == 3
    assert (path / F.METRICS).read_bytes() == spawn.seen and lock.held(path) is False


def test_a_process_that_could_not_start_is_recorded_by_the_launcher(tmp_path, monkeypatch):
    monkeypatch.setattr(launch, "_spawn", FakeSpawn(fail=True))
    with pytest.raises(RunError, match="no more processes"):
        launch.start(experiment(tmp_path), tmp_path / "runs")
    path = next((tmp_path / "runs").iterdir())
    meta = reader.read_meta(path)
    assert meta["status"] == Status.FAILED and "no more processes" in meta["message"]
    assert lock.held(path) is False


def test_a_writer_that_handed_the_run_over_refuses_to_write(tmp_path):
    writer = RunWriter.create(tmp_path / "runs", experiment(tmp_path))
    writer.metrics({"kerminal_run": F.FORMAT, "name": "handed", "status": Status.STARTING, "epochs": 0}, pid=0)
    fds: list[int] = []
    writer.hand_over(fds.append)
    assert fds and writer.handed_over and not writer.lock.held
    before = (writer.path / F.METRICS).read_bytes()
    for write in (lambda: writer.metrics({"status": Status.FAILED}), lambda: writer.event(ev.Failed(str(writer.path), 0, "no")), lambda: writer.history({}, 0)):
        with pytest.raises(RuntimeError, match="handed"):
            write()
    writer.beat()
    writer.phase("reading files 1/2")
    assert (writer.path / F.METRICS).read_bytes() == before
    with pytest.raises(RuntimeError, match="lock"):
        writer.hand_over(fds.append)  # nothing left to hand over
