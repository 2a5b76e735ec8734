"""Sweeps end to end: trials as real run processes on tiny data (the shipped sample, a tiny
model, a few epochs), pruning, a real PostgreSQL server with a driver and two --join
workers, and kill -9 of workers and drivers followed by --resume. Bad input first (fast).
Every wait is for an event, with a deadline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cli import main
from engine.runs import commands, reader
from engine.runs.labels import read_label
from engine.sweeps import Sweep, SweepError, drive
from engine.sweeps import storage as St
from tests.conftest import kill_runs

KERMINAL = [sys.executable, "-m", "engine.cli"]
EPOCHS_TO_CATCH = 6  # a trial the tests pause after its first epoch: room to catch it live on a busy machine

EXPERIMENT = """\
name = "tiny"

[data]
source = "sample"

[vectorize]
max_tokens = 1000
length = 24

[[layers]]
type = "Embedding"
output_dim = 8

[[layers]]
type = "GlobalAveragePooling1D"

[[layers]]
type = "Dense"
units = 1
activation = "sigmoid"

[fit]
epochs = {epochs}
batch_size = {batch}
"""


def write(tmp_path: Path, epochs: int = 1, batch: int = 32) -> Path:
    path = tmp_path / "exp.toml"
    path.write_text(EXPERIMENT.format(epochs=epochs, batch=batch))
    return path


def wait_for(predicate, timeout: float = 120.0, what: str = ""):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def runs(tmp_path):
    yield tmp_path / "runs"
    kill_runs(tmp_path / "runs")


def study_trials(sweep: Sweep):
    from engine.sweeps.sweep import counted

    return counted(sweep.study().get_trials(deepcopy=False))


# ---- bad input (fast) ---------------------------------------------------------------------


def test_an_unknown_path_is_refused_before_anything_starts(tmp_path, capsys):
    exp = write(tmp_path)
    assert main(["sweep", str(exp), "--param", "layers.2.units=8,16", "--runs-dir", str(tmp_path / "runs")]) == 1
    err = capsys.readouterr().err
    assert "layers.2.units" in err and "Sweepable here" in err
    assert not (tmp_path / "runs").exists()


def test_two_sweeps_with_one_name_are_refused(tmp_path):
    exp = write(tmp_path)
    Sweep.create(exp, ["layers.1.output_dim=4,8"], tmp_path / "runs", trials=2, name="same")
    with pytest.raises(SweepError, match="already exists"):
        Sweep.create(exp, ["layers.1.output_dim=4,8"], tmp_path / "runs", trials=2, name="same")


def test_a_storage_that_does_not_answer_is_said_within_10_s(tmp_path):
    t0 = time.monotonic()
    with pytest.raises(SweepError, match="Could not open the storage"):
        St.open_storage("postgresql://nobody@127.0.0.1:1/none")
    assert time.monotonic() - t0 < 10


def test_postgresql_without_its_driver_says_what_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "psycopg2" else real(name, *a))
    with pytest.raises(SweepError) as caught:
        St.open_storage("postgresql://nobody@127.0.0.1:1/none")
    assert "pip install psycopg2-binary" in caught.value.fix


def test_a_trial_the_study_ends_while_its_worker_starts_it_is_left_to_its_retry(tmp_path, monkeypatch):
    """Another worker took this one for dead (its start outlasted the grace period on a
    loaded machine) and failed its trial: the worker stops the run it started and goes on."""
    from optuna.trial import TrialState

    from engine.sweeps import driver as D

    sweep = Sweep.create(write(tmp_path), ["layers.1.output_dim=4,8"], tmp_path / "runs", trials=1, sampler="grid", name="late")
    started = tmp_path / "runs" / "a-run"
    stops: list[Path] = []

    def slow_start(exp, runs_dir, env=None, spare=None):  # meanwhile, another worker fails the trial
        study = sweep.study()
        running = next(t for t in study.get_trials(deepcopy=False) if t.state == TrialState.RUNNING)
        study.tell(running.number, state=TrialState.FAIL)
        started.mkdir(parents=True)
        return started

    monkeypatch.setattr(D.launch, "start", slow_start)
    monkeypatch.setattr(D.commands, "post", lambda path, command: stops.append(path))
    said: list[str] = []
    driver = D.Driver(sweep, said.append)
    driver._start_one(sweep.study())
    assert stops == [started] and not driver.live and driver.starting is None
    assert any("ended by the study while it started" in line for line in said)


def test_a_grid_sweep_enqueues_its_points(tmp_path):
    sweep = Sweep.create(write(tmp_path), ["layers.1.output_dim=4,8", "fit.batch_size=16,32"], tmp_path / "runs", sampler="grid", name="g")
    assert sweep.config["trials"] == 4
    status = sweep.status()
    assert status.progress() == "trial 0/4" and {r.state for r in status.rows} == {"waiting"}


def test_status_shows_progress_the_best_and_importances_after_4_trials(tmp_path):
    sweep = Sweep.create(write(tmp_path), ["layers.1.output_dim=4..64", "compile.learning_rate=1e-4..1e-2:log"], tmp_path / "runs", sampler="random", trials=6, name="imp")
    study = sweep.study()
    for i in range(5):  # told by hand: the table and the best come from the study alone
        trial = study.ask()
        width = trial.suggest_int("layers.1.output_dim", 4, 64)
        trial.suggest_float("compile.learning_rate", 1e-4, 1e-2, log=True)
        study.tell(trial, 1.0 / width + i * 1e-6)
    status = sweep.status()
    assert status.progress() == "trial 5/6" and len(status.rows) == 5
    assert status.best is not None and status.best.value == min(r.value for r in status.rows)
    assert set(status.importances) == {"layers.1.output_dim", "compile.learning_rate"}


# ---- local sweeps (processes) -------------------------------------------------------------


@pytest.mark.slow
def test_a_grid_sweep_runs_every_point_as_a_tagged_run(tmp_path, runs):
    sweep = Sweep.create(write(tmp_path), ["layers.1.output_dim=4,8"], runs, sampler="grid", parallel=2, pruner="none", name="grid")
    assert drive(sweep, out=lambda line: None) == "ended"
    rows = sweep.status().rows
    assert sorted(r.values["layers.1.output_dim"] for r in rows) == [4, 8]
    assert all(r.state == "complete" and r.value is not None and r.epochs == 1 for r in rows)
    for r in rows:
        assert set(read_label(runs / r.run).tags) == {"sweep:grid", f"trial:{r.number}"}
    assert len({r.run for r in rows}) == 2


@pytest.mark.slow
def test_a_tpe_sweep_from_the_command_line_and_its_status(tmp_path, runs, capsys):
    exp = write(tmp_path)
    assert main(["sweep", str(exp), "--param", "compile.learning_rate=1e-3..1e-2:log", "--trials", "2", "--parallel", "2", "--name", "t", "--runs-dir", str(runs)]) == 0
    assert "sweep t ended: trial 2/2; best trial" in capsys.readouterr().out
    assert main(["sweep", "--status", "t", "--json", "--runs-dir", str(runs)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["progress"] == "trial 2/2" and status["best"]["value"] is not None
    assert [r["state"] for r in status["rows"]] == ["complete", "complete"]


@pytest.mark.slow
def test_a_pruned_trial_stops_at_that_epoch_and_says_so(tmp_path, runs):
    sweep = Sweep.create(write(tmp_path, epochs=3), ["layers.1.output_dim=4"], runs, trials=1, pruner="always", name="p")
    drive(sweep, out=lambda line: None)
    (row,) = sweep.status().rows
    assert row.state == "pruned" and row.epochs == 1
    meta = reader.read_meta(runs / row.run) or {}
    assert meta["status"] == "stopped" and meta["message"] == "pruned at epoch 1 by the always pruner."


@pytest.mark.slow
def test_a_trial_with_a_bad_combination_fails_and_the_sweep_goes_on(tmp_path, runs):
    # chars feed one-hot vectors, which an Embedding cannot take: that trial fails, the other runs
    sweep = Sweep.create(write(tmp_path), ["vectorize.kind=words,chars"], runs, sampler="grid", pruner="none", name="bad")
    said: list[str] = []
    assert drive(sweep, out=said.append) == "ended"
    states = {r.values["vectorize.kind"]: r for r in sweep.status().rows}
    assert states["words"].state == "complete"
    assert states["chars"].state == "failed" and "Embedding" in states["chars"].note, (states["chars"].note, said)


# ---- kill -9 and --resume: journal file ---------------------------------------------------


def _start(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([*KERMINAL, *args], stdout=out, stderr=out, start_new_session=True)


def _live_trial_run(sweep: Sweep, worker_pid: int | None = None) -> Path | None:
    for t in sweep.study().get_trials(deepcopy=False):
        worker = str(t.user_attrs.get("worker", ""))
        run = t.user_attrs.get("run")
        if t.state.name == "RUNNING" and run and (worker_pid is None or worker.endswith(f":{worker_pid}")):
            path = sweep.runs_dir / run
            if int((reader.read_meta(path) or {}).get("epochs", 0) or 0) >= 1:
                return path
    return None


def _pause(run: Path) -> None:
    """Pause the trial's run between batches, so that it is mid-trial for sure."""
    answer = commands.send(run, "pause", wait=60)
    assert answer is not None and answer.ok


def _kill(run: Path) -> None:
    pid = int((reader.read_meta(run) or {})["pid"])
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: reader.read_meta(run) is not None and not _alive(pid), 30, "the run's process to die")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead: reap it if it is ours
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


@pytest.mark.slow
def test_kill_9_of_the_driver_and_its_trial_then_resume_completes_journal(tmp_path, runs):
    exp = write(tmp_path, epochs=EPOCHS_TO_CATCH, batch=4)
    driver = _start(["sweep", str(exp), "--param", "layers.1.output_dim=4,8", "--sampler", "grid", "--prune", "none", "--name", "j", "--runs-dir", str(runs)], tmp_path / "driver.txt")
    wait_for(lambda: (runs / "sweeps" / "j" / "sweep.json").is_file(), 60, "the sweep's folder")
    sweep = Sweep.open("j", runs)
    run = wait_for(lambda: _live_trial_run(sweep), 120, "a trial with an epoch done")
    _pause(run)
    driver.kill()  # first, or the driver would see its trial's run die and fail the trial
    driver.wait(30)
    _kill(run)
    out = subprocess.run([*KERMINAL, "sweep", "--resume", "j", "--runs-dir", str(runs)], capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    assert "continued from epoch" in out.stdout and "sweep j ended: trial 2/2" in out.stdout
    rows = sweep.status().rows
    assert [r.state for r in rows] == ["complete", "complete"] and len({r.run for r in rows}) == 2
    assert "continued from epoch" in read_label(run).note


# ---- several workers on one PostgreSQL ----------------------------------------------------


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    from tests.engine.pg_server import server

    with server(tmp_path_factory.mktemp("pg")) as url:
        yield url


@pytest.mark.slow
def test_a_driver_and_two_join_workers_complete_6_trials_none_twice(tmp_path, runs, postgres):
    exp = write(tmp_path)
    args = ["--runs-dir", str(runs)]
    driver = _start(["sweep", str(exp), "--param", "layers.1.output_dim=2..64", "--sampler", "random", "--trials", "6", "--prune", "none", "--storage", postgres, "--name", "pg6", *args], tmp_path / "d.txt")
    wait_for(lambda: (runs / "sweeps" / "pg6" / "sweep.json").is_file(), 60, "the sweep's folder")
    joins = [_start(["sweep", "--join", "pg6", "--storage", postgres, *args], tmp_path / f"j{i}.txt") for i in range(2)]
    for p, log in ((driver, "d.txt"), *((j, f"j{i}.txt") for i, j in enumerate(joins))):
        assert p.wait(300) == 0, f"{log}:\n" + (tmp_path / log).read_text()
    sweep = Sweep.join("pg6", postgres, runs)
    rows = sweep.status().rows
    assert len(rows) == 6 and all(r.state == "complete" for r in rows)
    assert len({r.run for r in rows}) == 6  # one run per trial
    tagged = [read_label(p).tags for p in runs.iterdir() if p.name != "sweeps"]
    assert len(tagged) == 6 and sorted(t for tags in tagged for t in tags if t.startswith("trial:")) == sorted(f"trial:{r.number}" for r in rows)
    workers = {str(t.user_attrs["worker"]).split(":")[1] for t in study_trials(sweep)}
    assert len(workers) >= 2  # the trials were shared out


@pytest.mark.slow
def test_kill_9_of_a_worker_and_of_the_driver_then_resume_completes_postgres(tmp_path, runs, postgres, monkeypatch):
    monkeypatch.setenv("KERMINAL_SWEEP_HEARTBEAT_S", "1")
    monkeypatch.setenv("KERMINAL_SWEEP_GRACE_S", "4")
    exp = write(tmp_path, epochs=EPOCHS_TO_CATCH, batch=4)
    args = ["--storage", postgres, "--runs-dir", str(runs)]
    driver = _start(["sweep", str(exp), "--param", "layers.1.output_dim=2..64", "--sampler", "random", "--trials", "3", "--prune", "none", "--name", "pgk", *args], tmp_path / "d.txt")
    wait_for(lambda: (runs / "sweeps" / "pgk" / "sweep.json").is_file(), 60, "the sweep's folder")
    join = _start(["sweep", "--join", "pgk", *args], tmp_path / "j.txt")
    sweep = Sweep.join("pgk", postgres, runs)
    run = wait_for(lambda: _live_trial_run(sweep, join.pid), 180, "the worker's trial with an epoch done")
    _pause(run)
    join.kill()
    join.wait(30)
    _kill(run)
    # the driver's heartbeat check fails the dead worker's trial and retries it
    wait_for(lambda: any(t.system_attrs.get("failed_trial") is not None for t in sweep.study().get_trials(deepcopy=False)), 60, "the retry")
    driver.kill()
    driver.wait(30)
    out = subprocess.run([*KERMINAL, "sweep", "--resume", "pgk", *args[2:]], capture_output=True, text=True, timeout=300, env={**os.environ})
    assert out.returncode == 0, out.stdout + out.stderr
    rows = sweep.status().rows
    assert len(rows) == 3 and all(r.state == "complete" for r in rows), rows


@pytest.mark.slow
def test_a_detached_sweep_stops_with_kerminal_stop_and_resumes(tmp_path, runs):
    exp = write(tmp_path, epochs=EPOCHS_TO_CATCH, batch=4)
    out = subprocess.run([*KERMINAL, "sweep", str(exp), "--param", "layers.1.output_dim=4,8", "--sampler", "grid", "--prune", "none", "--name", "d", "--detach", "--runs-dir", str(runs)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "d", out.stderr
    sweep = Sweep.open("d", runs)
    run = wait_for(lambda: _live_trial_run(sweep), 120, "a trial with an epoch done")
    _pause(run)  # mid-trial for sure when the stop comes (a stop releases a pause)
    stop = subprocess.run([*KERMINAL, "stop", "d", "--runs-dir", str(runs)], capture_output=True, text=True, timeout=60)
    assert stop.returncode == 0 and "sweep d: stopping" in stop.stdout, stop.stderr
    wait_for(lambda: sweep.driver_state() == "stopped", 120, "the driver to stop")
    assert (reader.read_meta(run) or {})["status"] == "stopped"
    again = subprocess.run([*KERMINAL, "sweep", "--resume", "d", "--runs-dir", str(runs)], capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr
    assert "continued from epoch" in again.stdout and "sweep d ended: trial 2/2" in again.stdout
    rows = sweep.status().rows
    assert [r.state for r in rows] == ["complete", "complete"] and all(r.epochs == EPOCHS_TO_CATCH for r in rows)
