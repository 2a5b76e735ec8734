"""A sweep's warm spare (engine.runs.spare): trials handed to a process that imported
TensorFlow ahead of need are still ordinary runs; a spare that died is replaced and its
trial started the ordinary way; a spare never outlives its driver; --no-warm starts every
trial the ordinary way. Real processes on tiny data; every wait is for an event, with a
deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.runs import commands, reader
from engine.runs import folder as F
from engine.runs import spare as warm
from engine.runs.liveness import process_alive
from engine.runs.status import Status
from engine.sweeps import Sweep
from engine.sweeps import driver as D
from tests.conftest import kill_runs
from tests.engine.test_sweeps import EPOCHS_TO_CATCH, KERMINAL, wait_for, write

pytestmark = pytest.mark.slow


@pytest.fixture
def runs(tmp_path):
    yield tmp_path / "runs"
    kill_runs(tmp_path / "runs")


def _ordinary(run: Path) -> dict:
    """The run's metrics, after checking it is an ordinary finished run of its own."""
    meta = reader.read_meta(run) or {}
    assert meta.get("status") == Status.FINISHED, meta
    assert (run / F.EVENTS).is_file() and (run / F.BEST).is_file() and (run / F.PROCESS_LOG).is_file()
    assert (run / F.EXPERIMENT).is_file() and (run / "lock").is_file()
    return meta


def test_trials_handed_to_a_warm_spare_are_ordinary_runs(tmp_path, runs):
    sweep = Sweep.create(write(tmp_path), ["layers.1.output_dim=4,8,16"], runs, sampler="grid", pruner="none", name="w")
    said: list[str] = []
    assert D.Driver(sweep, said.append).run() == "ended"
    rows = sweep.status().rows
    assert len(rows) == 3 and all(r.state == "complete" for r in rows) and len({r.run for r in rows}) == 3
    metas = {r.number: _ordinary(runs / r.run) for r in rows}
    # the first trial starts before any spare; each later one is handed the spare started meanwhile
    warm_trials = sorted(n for n, meta in metas.items() if "warm" in meta)
    assert warm_trials == [1, 2], said
    for n in warm_trials:
        facts = metas[n]["warm"]
        assert facts["pid"] == metas[n]["pid"] and facts["imports_s"] > 0
        assert any(line.startswith(f"trial {n}: run") and f"in warm process {facts['pid']}" in line for line in said), said
    assert not list(sweep.folder.glob("spare-*.txt"))  # each spare's output went to its run's process.txt


def test_a_spare_killed_before_its_trial_is_replaced_and_the_trial_still_runs(tmp_path, runs, monkeypatch):
    real = warm.start
    started: list[warm.Spare] = []

    def start_then_kill_the_first(*args, **kwargs):
        spare = real(*args, **kwargs)
        started.append(spare)
        if len(started) == 1:
            os.kill(spare.pid, signal.SIGKILL)
            spare.proc.wait(30)
        return spare

    monkeypatch.setattr(warm, "start", start_then_kill_the_first)
    sweep = Sweep.create(write(tmp_path), ["layers.1.output_dim=4,8,16"], runs, sampler="grid", pruner="none", name="k")
    said: list[str] = []
    assert D.Driver(sweep, said.append).run() == "ended"
    rows = sweep.status().rows
    assert len(rows) == 3 and all(r.state == "complete" for r in rows), said
    metas = {r.number: _ordinary(runs / r.run) for r in rows}
    assert any(f"the warm process {started[0].pid} had ended (killed by signal 9" in line for line in said), said
    assert len(started) == 3 and started[0].pid not in {meta.get("warm", {}).get("pid") for meta in metas.values()}


def test_a_dead_spare_handed_a_run_leaves_it_to_a_new_process(tmp_path, runs):
    from engine.experiment import load
    from engine.runs import launch

    spare = warm.start(tmp_path / "spare.txt", launch.child_env(), launch.run_nice())
    os.kill(spare.pid, signal.SIGKILL)
    spare.proc.wait(30)
    path = launch.start(load(write(tmp_path)), runs, spare=spare)
    assert "had ended (killed by signal 9" in spare.why_not
    wait_for(lambda: (reader.read_meta(path) or {}).get("status") == Status.FINISHED, 180, "the run to finish")
    assert "warm" not in _ordinary(path)


def _spare_of(driver_pid: int) -> int | None:
    """The pid of `driver_pid`'s spare (`train --spare FD`, its child), if it has one."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == driver_pid and warm.FLAG.encode() in cmd:
            return int(entry.name)
    return None


def test_kill_9_of_the_driver_leaves_no_spare_behind(tmp_path, runs):
    exp = write(tmp_path, epochs=EPOCHS_TO_CATCH, batch=4)
    with open(tmp_path / "driver.txt", "ab") as log:
        driver = subprocess.Popen([*KERMINAL, "sweep", str(exp), "--param", "layers.1.output_dim=4,8", "--sampler", "grid", "--prune", "none", "--name", "d", "--runs-dir", str(runs)], stdout=log, stderr=log, start_new_session=True)
    try:
        spare = wait_for(lambda: _spare_of(driver.pid), 120, "the driver's spare")
    finally:
        driver.kill()
        driver.wait(30)
    wait_for(lambda: not process_alive(spare), 120, "the spare to exit once its driver is gone")


def _warm_live_run(sweep: Sweep) -> Path | None:
    for t in sweep.study().get_trials(deepcopy=False):
        run = t.user_attrs.get("run")
        meta = reader.read_meta(sweep.runs_dir / run) if t.state.name == "RUNNING" and run else None
        if meta and "warm" in meta and int(meta.get("epochs", 0) or 0) >= 1:
            return sweep.runs_dir / run
    return None


def test_a_warm_trial_whose_driver_was_killed_is_watched_again_by_resume(tmp_path, runs):
    """Adoption reads the run folder and the trial's tags, which a warm start leaves as they are."""
    exp = write(tmp_path, epochs=EPOCHS_TO_CATCH, batch=4)
    with open(tmp_path / "driver.txt", "ab") as log:
        driver = subprocess.Popen([*KERMINAL, "sweep", str(exp), "--param", "layers.1.output_dim=4,8", "--sampler", "grid", "--prune", "none", "--name", "a", "--runs-dir", str(runs)], stdout=log, stderr=log, start_new_session=True)
    wait_for(lambda: (runs / "sweeps" / "a" / "sweep.json").is_file(), 60, "the sweep's folder")
    sweep = Sweep.open("a", runs)
    run = wait_for(lambda: _warm_live_run(sweep), 240, "a warm trial with an epoch done")
    answer = commands.send(run, "pause", wait=60)  # live for sure while its driver dies and another takes over
    assert answer is not None and answer.ok
    driver.kill()
    driver.wait(30)
    with open(tmp_path / "resume.txt", "ab") as log:
        resume = subprocess.Popen([*KERMINAL, "sweep", "--resume", "a", "--runs-dir", str(runs)], stdout=log, stderr=log, start_new_session=True)
    try:
        wait_for(lambda: "is still training; watching it again" in (tmp_path / "resume.txt").read_text(), 120, "the resumed driver to watch the warm trial")
        answer = commands.send(run, "resume", wait=60)
        assert answer is not None and answer.ok
        assert resume.wait(240) == 0, (tmp_path / "resume.txt").read_text()
    finally:
        if resume.poll() is None:
            resume.kill()
    rows = sweep.status().rows
    assert [r.state for r in rows] == ["complete", "complete"] and run.name in {r.run for r in rows}
    assert "sweep a ended: trial 2/2" in (tmp_path / "resume.txt").read_text()


def test_no_warm_starts_every_trial_the_ordinary_way(tmp_path, runs, capsys):
    exp = write(tmp_path)
    assert main(["sweep", str(exp), "--param", "layers.1.output_dim=4,8", "--sampler", "grid", "--prune", "none", "--name", "cold", "--no-warm", "--runs-dir", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "sweep cold ended: trial 2/2" in out and "warm process" not in out
    sweep = Sweep.open("cold", runs)
    assert sweep.config["warm"] is False
    assert all("warm" not in _ordinary(runs / r.run) for r in sweep.status().rows)


def test_the_spare_imports_touch_no_device():
    """CUDA reads CUDA_VISIBLE_DEVICES when TensorFlow first touches a device: a spare's
    imports must not, so the GPU a trial is given still applies."""
    code = (
        "import importlib; from engine.runs.spare import IMPORTS\nfor m in IMPORTS: importlib.import_module(m)\n"
        "from tensorflow.python.eager import context\nc = context.context()\nprint(c._context_handle is None and c._physical_devices is None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.stdout.strip() == "True", out.stderr[-2000:]
