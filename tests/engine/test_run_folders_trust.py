"""Run folders you can trust (issue 18): a run folder is its owner's, one process trains a
run, a stalled run is "not responding" (never "gone"), a live run is not deleted under its
process, best means saved, and every steering command is answered.

The fast tests hand-write run folders and hold locks from a helper process (no TensorFlow);
the slow ones train real runs as a user would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from engine.errors import RunError
from engine.runs import RunStore, commands, launch, liveness, read_info, reader, saving
from engine.runs import events as ev
from engine.runs import folder as F
from engine.runs.lock import RunBusy, RunLock, held
from engine.runs.writer import RunWriter
from tests.conftest import rm_rf
from tests.engine.test_runs_live import KERMINAL, detach, epochs_done, fake_run, run_as_nobody, wait_for

AS_ROOT = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as a second user (setuid to nobody) and to chown; the single-user checks still run")
NOBODY = 65534


# ---- helpers ------------------------------------------------------------------------------


class Holder:
    """A process that holds a run's lock until it is killed: a run whose process lives."""

    def __init__(self, run_dir: Path) -> None:
        # holds the lock until its standard input closes (or it is killed)
        code = "import sys\nfrom engine.runs.lock import RunLock\nRunLock.acquire(sys.argv[1])\nprint('locked', flush=True)\nsys.stdin.read()\n"
        self.proc = subprocess.Popen([sys.executable, "-c", code, str(run_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
        assert self.proc.stdout.readline().strip() == "locked"  # blocks until the lock is taken

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


@pytest.fixture
def holder():
    made: list[Holder] = []

    def make(run_dir: Path) -> Holder:
        made.append(Holder(run_dir))
        return made[-1]

    yield make
    for h in made:
        h.stop()


def live_run(tmp_path: Path, heartbeat_age: float = 0.0, **extra) -> RunWriter:
    """A hand-written run folder that says "running", with a lock file (as kerminal writes)."""
    w = fake_run(tmp_path, pid=os.getpid())
    meta = {**reader.read_meta(w.path), "heartbeat": time.time() - heartbeat_age, **extra}
    saving.write_json_atomic(w.path / F.METRICS, meta)
    (w.path / "lock").touch()
    return w


@pytest.fixture
def shared_runs():
    """A world-writable runs folder in /tmp (pytest's tmp is 0700: nobody could not enter)."""
    base = Path(tempfile.mkdtemp(prefix="kerminal-shared-", dir="/tmp"))
    os.chmod(base, 0o755)
    runs = base / "runs"
    runs.mkdir()
    os.chmod(runs, 0o1777)
    yield base, runs
    shutil.rmtree(base)


# ---- finding 2: another user's run folder ------------------------------------------------


@AS_ROOT
def test_resuming_a_hostile_folder_of_another_user_writes_nothing_through_its_links(shared_runs):
    base, runs = shared_runs
    secret = base / "secret"
    secret.write_text("root only\n")
    os.chmod(secret, 0o600)
    name = "20260101-000000-evil\nevil::0:0:::"

    def plant() -> str:
        run = runs / name
        run.mkdir()
        (run / F.METRICS).write_text(json.dumps({"kerminal_run": F.FORMAT, "name": "x", "status": "stopped", "epochs": 1}))
        (run / F.EXPERIMENT).write_text('name = "x"\n')
        for n in (F.LOG, F.EVENTS, F.PROCESS_LOG):
            os.symlink(secret, run / n)
        return "PLANTED"

    assert run_as_nobody(plant) == "PLANTED"
    run = runs / name
    with pytest.raises(RunError, match="belongs to nobody") as err:
        RunWriter.take(run)
    assert "--force" in err.value.fix
    with pytest.raises(RunError, match="belongs to nobody"):
        launch.resume(run, 1)  # the app's `m` and `train --resume --detach`
    out = subprocess.run([*KERMINAL, "train", "--resume", str(run), "--epochs", "1"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "belongs to nobody" in out.stderr
    assert secret.read_text() == "root only\n" and not (run / "lock").exists()


@AS_ROOT
def test_steering_another_users_run_is_refused_and_a_linked_command_folder_is_never_followed(shared_runs):
    base, runs = shared_runs
    private = base / "private"
    private.mkdir(mode=0o700)

    def plant() -> str:
        w = live_run(runs.parent / "x", pid=0)  # a hand-made folder owned by nobody
        (w.path / "lock").unlink()  # as an older kerminal's run: live by its (unknown) pid
        shutil.move(str(w.path), runs / "r")
        shutil.rmtree(runs / "r" / F.COMMANDS)
        os.symlink(private, runs / "r" / F.COMMANDS)
        return "PLANTED"

    (runs.parent / "x").mkdir()
    os.chmod(runs.parent / "x", 0o777)
    assert run_as_nobody(plant) == "PLANTED", "the second user could not write its folder"
    run = runs / "r"
    with pytest.raises(RunError, match="belongs to nobody"):
        commands.post(run, "stop")
    out = subprocess.run([*KERMINAL, "stop", str(run)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "belongs to nobody" in out.stderr and "--force" in out.stderr
    with pytest.raises(RunError, match="not a real folder"):
        commands.post(run, "stop", force=True)
    assert list(private.iterdir()) == []


@AS_ROOT
def test_root_with_force_hands_the_command_to_the_runs_owner(tmp_path, holder):
    w = live_run(tmp_path)
    holder(w.path)
    os.chown(w.path, NOBODY, NOBODY)
    os.chown(w.path / F.COMMANDS, NOBODY, NOBODY)
    with pytest.raises(RunError, match="belongs to nobody"):
        commands.post(w.path, "pause")
    cid = commands.post(w.path, "pause", force=True)
    file = w.path / F.COMMANDS / f"{cid}.json"
    assert file.stat().st_uid == NOBODY  # the run (as nobody) reads it, instead of dropping it unread


def test_the_writer_never_writes_through_a_link_in_its_own_folder(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep\n")
    w = fake_run(tmp_path, pid=os.getpid())
    os.symlink(target, w.path / F.LOG)
    os.link(target, w.path / F.EVENTS)  # a hard link is another name of the same file
    w.event(ev.Failed(str(w.path), 0, "boom"))
    assert target.read_text() == "keep\n" and "could not be written" in w.unlogged


# ---- finding 3: one process per run -------------------------------------------------------


def test_a_run_is_taken_by_one_process_at_a_time(tmp_path, holder):
    w = live_run(tmp_path)
    assert held(w.path) is False
    h = holder(w.path)
    assert held(w.path) is True
    with pytest.raises(RunBusy, match="being trained right now"):
        RunWriter.take(w.path)
    with pytest.raises(RunError, match="right now"):
        launch.resume(w.path, 1)
    h.stop()
    taken = RunWriter.take(w.path)
    try:
        with pytest.raises(RunBusy):
            RunLock.acquire(w.path)  # another descriptor, even in this process
    finally:
        taken.close()
    assert held(w.path) is False


def test_liveness_reads_the_lock_and_the_heartbeat(tmp_path, holder):
    w = live_run(tmp_path)
    meta = reader.read_meta(w.path)
    stale = meta["heartbeat"] + liveness.HEARTBEAT_STALE_S + 1
    assert liveness.live_status(meta, w.path) == "interrupted"  # a lock file nobody holds: the process is gone
    h = holder(w.path)
    assert liveness.live_status(meta, w.path) == "running"
    assert liveness.live_status(meta, w.path, now=stale) == "not responding"  # alive but silent: never "gone"
    h.stop()
    away = {**meta, "host": "another-machine"}
    assert liveness.live_status(away, w.path) == "running"  # its lock may not reach here: trust the heartbeat
    assert liveness.live_status(away, w.path, now=stale) == "interrupted"
    assert liveness.elsewhere(away) and not liveness.elsewhere(meta)
    starting = {**meta, "status": "starting", "epochs": 0}
    assert liveness.live_status(starting, w.path) == "failed"  # a run whose process died before it started


@pytest.mark.slow
def test_a_stalled_run_is_not_responding_never_resumed_never_repaired_and_can_be_killed(tmp_path, holder):
    w = live_run(tmp_path, heartbeat_age=liveness.HEARTBEAT_STALE_S + 5, epochs=1, pending={})
    (w.path / ".best.2.tmp.keras").write_bytes(b"being written")  # the stalled process's next checkpoint
    h = holder(w.path)
    info = read_info(w.path)
    assert info.status == "not responding"
    from engine.runs import RunWatcher

    watcher = RunWatcher(w.path)
    watcher.poll()
    assert watcher.progress.status == "not responding" and "gone" not in watcher.progress.message and watcher.progress.live
    saving.recover(w.path)  # what `predict` does before loading: it must not touch a held folder
    assert (w.path / ".best.2.tmp.keras").read_bytes() == b"being written"
    resume = subprocess.run([*KERMINAL, "train", "--resume", str(w.path)], capture_output=True, text=True, timeout=120)
    assert resume.returncode == 1 and "being trained right now" in resume.stderr
    saving.write_json_atomic(w.path / F.METRICS, {**reader.read_meta(w.path), "pid": h.proc.pid})
    stop = subprocess.run([*KERMINAL, "stop", str(w.path)], capture_output=True, text=True, timeout=60)
    assert stop.returncode == 0 and "not responding" in stop.stdout and "--kill" in stop.stdout
    kill = subprocess.run([*KERMINAL, "stop", str(w.path), "--kill"], capture_output=True, text=True, timeout=60)
    assert kill.returncode == 0 and str(h.proc.pid) in kill.stdout, kill.stderr
    h.proc.wait(timeout=30)
    assert read_info(w.path).status == "interrupted"


@pytest.mark.slow
def test_two_resumes_of_one_run_started_together_train_it_once(tmp_path):
    from tests.engine.test_cli_training import write_experiment

    exp = write_experiment(tmp_path, epochs=2)
    runs = tmp_path / "runs"
    subprocess.run([*KERMINAL, "train", str(exp), "--runs-dir", str(runs)], check=True, capture_output=True, timeout=300)
    (run,) = runs.iterdir()
    both = [subprocess.Popen([*KERMINAL, "train", "--resume", str(run), "--epochs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in both]
    codes = sorted(p.returncode for p in both)
    assert codes == [0, 1], outs
    refused = next(err for (out, err), p in zip(outs, both, strict=True) if p.returncode == 1)
    assert "being trained right now" in refused
    kinds = [json.loads(line)["event"] for line in (run / F.EVENTS).read_text().splitlines()]
    assert kinds.count("Finished") == 2 and kinds.count("EpochEnd") == 4  # the first run's 2, one continuation's 2
    assert epochs_done(run) == 4


# ---- finding 5: deleting a live run ------------------------------------------------------


def test_deleting_a_live_run_asks_to_stop_it_first(tmp_path, holder):
    w = live_run(tmp_path)
    holder(w.path)
    with pytest.raises(RunError, match="running right now") as err:
        RunStore(w.path.parent).delete(w.path.name)
    assert "--stop" in err.value.fix and w.path.is_dir()
    out = subprocess.run([*KERMINAL, "runs", "--runs-dir", str(w.path.parent), "--delete", w.path.name], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "--stop" in out.stderr and w.path.is_dir()


@pytest.mark.slow
def test_delete_with_stop_stops_then_deletes_and_a_removed_folder_stops_its_run(tmp_path):
    from tests.engine.test_cli_training import write_experiment

    exp = write_experiment(tmp_path, epochs=400, batch_size=4)
    runs = tmp_path / "runs"
    run = detach(exp, runs)
    wait_for(lambda: epochs_done(run) >= 1, what="the first epoch")
    out = subprocess.run([*KERMINAL, "runs", "--runs-dir", str(runs), "--delete", run.name, "--stop"], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0 and not run.exists(), out.stderr
    # rm -rf under a live run: it notices, stops at its next batch, and never makes the folder again
    run = detach(exp, runs)
    wait_for(lambda: epochs_done(run) >= 1, what="the first epoch")
    pid = reader.read_meta(run)["pid"]
    rm_rf(run)  # the live run renames its temporary files meanwhile

    def ended() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a zombie of this test's grandchild cannot be reaped here: read its state
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] if Path(f"/proc/{pid}/stat").exists() else "Z"
        return state == "Z"

    wait_for(ended, timeout=120, what="the run's process to stop itself")
    assert not run.exists()


# ---- finding 6: best means saved ---------------------------------------------------------


@pytest.mark.slow
def test_a_failed_save_never_names_an_unsaved_epoch_best_and_a_resume_agrees(tmp_path, monkeypatch):
    import errno

    import keras
    import numpy as np

    from engine.errors import TrainingError
    from engine.training.trainer import Trainer
    from tests.engine.test_training_issue10 import reber_dataset, reber_experiment

    real = keras.Model.save
    calls = {"n": 0}

    def save(self, path, *a, **k):
        calls["n"] += 1
        if ".last.2." in str(path):  # epoch 2's best is written, its last is not: the disk is full
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(self, path, *a, **k)

    monkeypatch.setattr(keras.Model, "save", save)
    exp = reber_experiment(epochs=3)
    exp.fit.monitor = "loss"  # training loss falls every epoch here: epoch 2 would be best
    trainer = Trainer(exp, reber_dataset(), tmp_path)
    with pytest.raises(TrainingError, match="No space left on device while saving epoch 2"):
        trainer.run()
    meta = reader.read_meta(trainer.run_dir)
    assert meta["epochs"] == 1 and meta["best"]["epoch"] == 1 and meta["last_good_epoch"] == 1
    monkeypatch.setattr(keras.Model, "save", real)
    resumed = Trainer.from_run(trainer.run_dir)
    resumed.run(epochs=1)
    meta = reader.read_meta(trainer.run_dir)
    store = RunStore(tmp_path)
    best, last = store.load(trainer.run_dir, "best").model, store.load(trainer.run_dir, "last").model
    same = all(np.array_equal(a, b) for a, b in zip(best.get_weights(), last.get_weights(), strict=True))
    assert meta["epochs"] == 2 and same == (meta["best"]["epoch"] == 2)


# ---- finding 7: every steering command answered -----------------------------------------


def test_steering_values_are_checked_like_the_experiment_file(tmp_path):
    with pytest.raises(RunError, match="out of range"):
        commands.check("lr", 1e9)
    assert commands.check("lr", 10) == 10.0
    for value in (True, False):
        with pytest.raises(RunError, match="not a number"):
            commands.check("more", value)
    with pytest.raises(RunError, match="whole number"):
        commands.check("more", 2.5)
    w = fake_run(tmp_path, pid=os.getpid())
    (w.path / F.COMMANDS / "1-1.json").write_text(json.dumps({"id": "1-1", "command": "more", "value": True}))
    (taken,) = commands.Inbox(w.path).take()
    assert taken.problem and "not a number" in taken.problem


def test_lr_commands_before_a_batch_are_each_answered(tmp_path):
    from engine.training.control import TrainControl
    from engine.training.state import RunState
    from engine.training.steering import Steering

    w = fake_run(tmp_path, pid=os.getpid())
    said: list = []
    state = RunState(writer=w, control=TrainControl(), emit=said.append)
    steering = Steering(state)
    for i, value in enumerate((1e-3, 2e-3, 3e-3)):
        steering.apply(commands.Command(f"c{i}", "lr", value))
    assert [(e.id, e.ok) for e in said] == [("c0", False), ("c1", False)]
    assert all("replaced by a later lr command" in e.message for e in said)
    assert state.control.take_learning_rate() == ("c2", 3e-3)  # the last one applies at the next batch
    steering.close("finished")


@pytest.mark.slow
def test_ten_lr_commands_at_once_are_all_answered(tmp_path):
    from tests.engine.test_cli_training import write_experiment

    exp = write_experiment(tmp_path, epochs=400, batch_size=4)
    run = detach(exp, tmp_path / "runs")
    wait_for(lambda: epochs_done(run) >= 1, what="the first epoch")
    senders = [subprocess.Popen([*KERMINAL, "lr", str(run), f"{i + 1}e-4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(10)]
    answers = [p.communicate(timeout=120) for p in senders]
    subprocess.run([*KERMINAL, "stop", str(run)], capture_output=True, timeout=60)
    applied = [out for out, _ in answers if "learning rate" in out and "from epoch" in out]
    replaced = [err for _, err in answers if "replaced by a later lr command" in err]
    assert len(applied) >= 1 and len(applied) + len(replaced) == 10, answers
    assert not any("has not answered" in out for out, _ in answers)
    wait_for(lambda: read_info(run).status == "stopped", what="the stop")


# ---- the heartbeat from the first second ------------------------------------------------


def test_a_launched_process_beats_from_its_first_second_and_says_what_it_does(tmp_path):
    """The launcher's lock handed to the new process (as launch.py does): the run is
    "starting", never "interrupted", however long it loads, and says what it is doing."""
    from engine.experiment import Experiment
    from engine.runs import RunWatcher

    launcher = RunWriter.create(tmp_path, Experiment(name="slow-loader"))
    launcher.metrics({"kerminal_run": F.FORMAT, "name": "slow-loader", "status": "starting", "epochs": 0, "target": 3}, pid=0)
    meta = reader.read_meta(launcher.path)
    saving.write_json_atomic(launcher.path / F.METRICS, {**meta, "heartbeat": meta["heartbeat"] - 100})  # long before
    child = RunWriter.inherit(launcher.path, os.dup(launcher.lock.fd))
    launcher.lock.release()  # the launcher lets go; the lock stays with the child's descriptor
    try:
        child.phase("loading data")
        meta = reader.read_meta(launcher.path)
        assert meta["pid"] == os.getpid() and time.time() - meta["heartbeat"] < liveness.HEARTBEAT_STALE_S
        assert read_info(launcher.path).status == "starting" and held(launcher.path)
        watcher = RunWatcher(launcher.path)
        watcher.poll()
        assert watcher.progress.status == "starting" and watcher.progress.phase == "loading data"
    finally:
        child.close()
    assert read_info(launcher.path).status == "failed"  # gone before training started
    assert "process.txt" in read_info(launcher.path).message
