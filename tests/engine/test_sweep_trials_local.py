"""A sweep driver's own choices about its trials: one GPU per trial (a fake device list),
the trial's environment, the disk a trial keeps, a full disk stopping the sweep, and which
trials it takes over. The trials are hand-made run folders from a fake launcher: fast, no TensorFlow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import TrainingError
from engine.runs import folder as F
from engine.sweeps import Sweep
from engine.sweeps import driver as D
from engine.sweeps.gpus import VAR, Placement, visible_gpus
from tests.conftest import rm_rf
from tests.engine.test_sweeps import write

# ---- finding the GPUs ---------------------------------------------------------------------


def test_the_variable_names_the_gpus_when_set(tmp_path):
    assert visible_gpus({VAR: "2,3"}, tmp_path) == ["2", "3"]
    assert visible_gpus({VAR: ""}, tmp_path) == []
    assert visible_gpus({VAR: "-1"}, tmp_path) == []


def test_proc_driver_nvidia_counts_them(tmp_path):
    for bus in ("0000:01:00.0", "0000:02:00.0"):
        (tmp_path / bus).mkdir()
    assert visible_gpus({}, tmp_path) == ["0", "1"]


def test_no_gpu_anywhere_is_an_empty_list(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi
    assert visible_gpus({}, tmp_path / "absent") == []


def test_nvidia_smi_lists_them(tmp_path, monkeypatch):
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H100 (UUID: GPU-a)'\necho 'GPU 1: NVIDIA H100 (UUID: GPU-b)'\n")
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert visible_gpus({}, tmp_path / "absent") == ["0", "1"]


# ---- placing trials -----------------------------------------------------------------------


def test_round_robin_over_the_free_gpus_then_sharing():
    p = Placement(["0", "1", "2"])
    assert [p.take(), p.take()] == ["0", "1"]
    p.release("0")
    assert p.take() == "2"  # the next free one in turn, not the one just freed
    assert p.take() == "0"
    assert p.take() in {"0", "1", "2"}  # all busy: shared
    assert sorted(p.held.values()) == [1, 1, 2]


def test_without_gpus_nothing_changes():
    p = Placement([])
    assert p.take() is None and p.env(None) == {}
    assert "no GPU" in p.said(2)


def test_more_trials_than_gpus_is_said():
    assert "share" in Placement(["0", "1"]).said(4)
    assert "one GPU per trial" in Placement(["0", "1"]).said(2)


# ---- the driver with a fake launcher ------------------------------------------------------


class FakeLauncher:
    """launch.start's stand-in: a run folder that has already ended as `meta` says."""

    def __init__(self, runs: Path, meta: dict, files: tuple[str, ...] = (F.BEST, F.LAST)) -> None:
        self.runs, self.meta, self.files = runs, meta, files
        self.envs: list[dict[str, str]] = []

    def __call__(self, exp, runs_dir, epochs=None, cache=True, env=None, spare=None) -> Path:
        self.envs.append(dict(env or {}))
        path = self.runs / f"run-{len(self.envs)}"
        path.mkdir(parents=True)
        (path / F.METRICS).write_text(json.dumps({"kerminal_run": F.FORMAT, "name": exp.name, "epochs": 1, **self.meta}))
        (path / F.EXPERIMENT).write_text(exp.to_toml())
        for name in self.files:
            (path / name).write_bytes(b"x" * 1000)
        (path / ".last.2.tmp.keras").write_bytes(b"x")
        return path


def sweep_of(tmp_path: Path, trials: int, parallel: int = 1, keep_all: bool = False) -> Sweep:
    # no warm spare: the fake launcher starts no process, so a spare would only cost a TensorFlow import
    return Sweep.create(write(tmp_path), ["layers.1.output_dim=4..64"], tmp_path / "runs", trials=trials, parallel=parallel, sampler="random", pruner="none", name="s", keep_all=keep_all, warm=False)


FINISHED = {"status": "finished", "best": {"value": 0.5, "epoch": 1}}


def test_each_trial_gets_its_own_gpu_in_its_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(VAR, "4,7")
    fake = FakeLauncher(tmp_path / "runs", {"status": "running"})
    monkeypatch.setattr(D.launch, "start", fake)
    lines: list[str] = []
    driver = D.Driver(sweep_of(tmp_path, trials=3, parallel=3), lines.append)
    study = driver.sweep.study()
    for _ in range(3):
        driver._start_one(study)
    assert [e.get(VAR) for e in fake.envs] == ["4", "7", "4"]  # the third shares: two GPUs
    assert all(D.ENV in e for e in fake.envs)
    assert sorted(live.gpu for live in driver.live.values()) == ["4", "4", "7"]
    assert any("on GPU 7" in line for line in lines)


def test_no_gpu_leaves_the_trial_environment_alone_and_says_so_once(tmp_path, monkeypatch):
    monkeypatch.delenv(VAR, raising=False)
    monkeypatch.setattr(D, "visible_gpus", lambda: [])
    fake = FakeLauncher(tmp_path / "runs", FINISHED)
    monkeypatch.setattr(D.launch, "start", fake)
    monkeypatch.setattr(D, "POLL_S", 0.01)
    lines: list[str] = []
    assert D.Driver(sweep_of(tmp_path, trials=2), lines.append).run() == "ended"
    assert all(VAR not in e for e in fake.envs) and len(fake.envs) == 2
    assert sum("no GPU" in line for line in lines) == 1


def test_an_ended_trial_keeps_best_keras_only(tmp_path, monkeypatch):
    fake = FakeLauncher(tmp_path / "runs", FINISHED)
    monkeypatch.setattr(D.launch, "start", fake)
    monkeypatch.setattr(D, "POLL_S", 0.01)
    sweep = sweep_of(tmp_path, trials=2)
    assert D.Driver(sweep, lambda line: None).run() == "ended"
    for run in (tmp_path / "runs").glob("run-*"):
        assert sorted(p.name for p in run.iterdir() if p.suffix == ".keras") == [F.BEST]
    assert sweep.status().disk_bytes > 0


def test_keep_all_keeps_last_keras(tmp_path, monkeypatch):
    fake = FakeLauncher(tmp_path / "runs", FINISHED)
    monkeypatch.setattr(D.launch, "start", fake)
    monkeypatch.setattr(D, "POLL_S", 0.01)
    assert D.Driver(sweep_of(tmp_path, trials=1, keep_all=True), lambda line: None).run() == "ended"
    (run,) = (tmp_path / "runs").glob("run-*")
    assert (run / F.LAST).is_file() and (run / F.BEST).is_file()


def test_a_trial_without_best_keras_keeps_last_keras(tmp_path, monkeypatch):
    fake = FakeLauncher(tmp_path / "runs", {"status": "failed", "message": "a bad combination"}, files=(F.LAST,))
    monkeypatch.setattr(D.launch, "start", fake)
    monkeypatch.setattr(D, "POLL_S", 0.01)
    D.Driver(sweep_of(tmp_path, trials=1), lambda line: None).run()
    (run,) = (tmp_path / "runs").glob("run-*")
    assert (run / F.LAST).is_file() and not list(run.glob(F.TEMP_GLOB))


def test_a_trial_stopped_with_the_sweep_keeps_last_keras_for_resume(tmp_path, monkeypatch):
    fake = FakeLauncher(tmp_path / "runs", {"status": "stopped", "best": {"value": 0.5, "epoch": 1}})
    monkeypatch.setattr(D.launch, "start", fake)
    sweep = sweep_of(tmp_path, trials=1)
    driver = D.Driver(sweep, lambda line: None)
    study = sweep.study()
    driver._start_one(study)
    (sweep.folder / "stop").write_text("now")
    driver._reap(study)
    (run,) = (tmp_path / "runs").glob("run-*")
    assert (run / F.LAST).is_file()


@pytest.mark.parametrize("where", ["in the trial", "at its start"])
def test_a_full_disk_stops_the_sweep_from_starting_trials(tmp_path, monkeypatch, where):
    # ENOSPC simulated at the write boundary: the words engine.runs.saving.disk_error gives
    # a run that could not save (the trial's own metrics.json), or launch.start's refusal
    full = "No space left on device while saving epoch 1 to /full/run/last.keras."
    if where == "in the trial":
        fake = FakeLauncher(tmp_path / "runs", {"status": "failed", "message": full})
    else:
        def fake(*args, **kwargs):
            fake.calls += 1  # type: ignore[attr-defined]
            raise TrainingError(full, "Free some space.")

        fake.calls = 0  # type: ignore[attr-defined]
    monkeypatch.setattr(D.launch, "start", fake)
    monkeypatch.setattr(D, "POLL_S", 0.01)
    lines: list[str] = []
    sweep = sweep_of(tmp_path, trials=20)
    assert D.Driver(sweep, lines.append).run() == "stopped"
    started = len(fake.envs) if isinstance(fake, FakeLauncher) else fake.calls  # type: ignore[attr-defined]
    assert started == 1
    (row,) = sweep.status().rows
    assert row.state == "failed" and "No space left on device" in row.note
    assert any("lack of disk space" in line and "no more trials start" in line for line in lines)


def test_a_full_disk_under_the_study_is_said_not_a_traceback(tmp_path, monkeypatch):
    import errno

    from engine.sweeps import SweepError

    fake = FakeLauncher(tmp_path / "runs", FINISHED)
    monkeypatch.setattr(D.launch, "start", fake)
    driver = D.Driver(sweep_of(tmp_path, trials=1), lambda line: None)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(driver.sweep.folder / "journal.log"))

    monkeypatch.setattr(driver, "_adopt", full)
    with pytest.raises(SweepError, match="No space left on device") as caught:
        driver.run()
    assert "--resume" in caught.value.fix


def test_a_trial_another_worker_just_asked_is_not_taken_over(tmp_path, monkeypatch):
    # between a worker's ask and its tag, a second worker starting up must not read the
    # trial as one whose worker died (the race the PostgreSQL join test met)
    fake = FakeLauncher(tmp_path / "runs", FINISHED)
    monkeypatch.setattr(D.launch, "start", fake)
    sweep = sweep_of(tmp_path, trials=2)
    study = sweep.study()
    asked = study.ask()
    lines: list[str] = []
    D.Driver(sweep, lines.append)._adopt(study)
    assert study._storage.get_trial(asked._trial_id).state.name == "RUNNING" and not lines


# ---- folders removed under a running sweep ------------------------------------------------


def test_a_trial_whose_run_folder_is_removed_is_failed_and_the_sweep_goes_on(tmp_path, monkeypatch):
    import os
    import shutil

    from optuna.trial import TrialState

    fake = FakeLauncher(tmp_path / "runs", {"status": "running", "pid": os.getpid()})  # live: this process
    monkeypatch.setattr(D.launch, "start", fake)
    lines: list[str] = []
    driver = D.Driver(sweep_of(tmp_path, trials=2), lines.append)
    study = driver.sweep.study()
    driver._start_one(study)
    driver._reap(study)
    assert len(driver.live) == 1  # still training
    shutil.rmtree(tmp_path / "runs" / "run-1")
    driver._reap(study)  # before: read as "starting" for ever, and the sweep never ended
    assert driver.live == {}
    trial = study.get_trials(deepcopy=False)[0]
    assert trial.state == TrialState.FAIL and "was removed" in trial.user_attrs["note"]
    assert driver._may_ask(study)  # the sweep goes on with its next trial


def test_a_sweep_whose_folder_is_removed_stops_its_trials_and_ends(tmp_path, monkeypatch):
    import os
    import threading
    import time

    fake = FakeLauncher(tmp_path / "runs", {"status": "running", "pid": os.getpid()})
    real_call = fake.__call__

    def start(*args, **kwargs):
        path = real_call(*args, **kwargs)
        (path / F.COMMANDS).mkdir()
        return path

    monkeypatch.setattr(D.launch, "start", start)
    monkeypatch.setattr(D, "POLL_S", 0.01)
    lines: list[str] = []
    driver = D.Driver(sweep_of(tmp_path, trials=3), lines.append)
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(driver.run()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not fake.envs and time.monotonic() < deadline:  # the first trial started
        thread.join(0.05)
    assert fake.envs, "the driver started no trial within 60 s"
    rm_rf(driver.sweep.folder)  # the driver writes into it meanwhile
    thread.join(60)
    assert result == ["stopped"]  # before: it polled its trial for ever
    assert any("was removed" in line for line in lines)
    assert list((tmp_path / "runs" / "run-1" / F.COMMANDS).iterdir()), "the running trial was not asked to stop"
