"""Runs as processes: the watcher, the steering channel, detached runs (issue 12).

The watcher and channel tests work on hand-written run folders (no TensorFlow, fast); the
ones marked slow start real `kerminal train --detach` processes and steer, watch and kill
them as a user would.
"""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.errors import RunError
from engine.runs import RunWatcher, commands, liveness, read_info, reader
from engine.runs import events as ev
from engine.runs import folder as F
from engine.runs.writer import RunWriter
from tests.engine.test_cli_training import write_experiment

KERMINAL = [sys.executable, "-m", "engine.cli"]


def fake_run(tmp_path: Path, status: str = "running", pid: int | None = None) -> RunWriter:
    path = tmp_path / "runs" / "20260101-000000-fake"
    path.mkdir(parents=True)
    writer = RunWriter(path)
    writer.open_channel()
    writer.metrics({"kerminal_run": F.FORMAT, "name": "fake", "status": status, "epochs": 0, "target": 3}, pid=pid)
    return writer


def run_as_nobody(fn) -> str:
    """Run fn() in a forked child as user `nobody` (the engine is already imported: nobody
    may not be able to read this Python's files); return what it returns, or the error."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        os.close(read)
        try:
            os.setgid(65534)
            os.setuid(65534)
            answer = str(fn())
        except BaseException as exc:
            answer = f"ERROR {exc!r}"
        os.write(write, answer.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        answer = fh.read()
    os.waitpid(child, 0)
    return answer


def epoch(n: int, target: int = 3, loss: float = 0.5) -> ev.EpochEnd:
    return ev.EpochEnd(n, target, {"loss": loss, "val_loss": loss + 0.1}, 1.0, 100.0, 4, n == 1, 2.0, [["good film", {"neg": 0.3, "pos": 0.7}]], 0.01)


# ---- the watcher, on folders written by hand ---------------------------------------------


def test_watcher_folds_events_and_reads_only_what_was_appended(tmp_path):
    w = fake_run(tmp_path)
    watcher = RunWatcher(w.path)
    assert watcher.poll() == [] and watcher.progress.status == "running"  # from metrics.json, before any event
    w.event(ev.Started(str(w.path), 3, 4, 100))
    w.event(ev.BatchEnd(1, 2, 4, {"loss": 0.7}))
    assert [type(e).__name__ for e in watcher.poll()] == ["Started", "BatchEnd"]
    p = watcher.progress
    assert p.status == "running" and p.target == 3 and p.epoch == 1 and p.step == 2 and p.trace["loss"] == ([0.5], [0.7])
    assert p.eta_s is None  # two steps in: "estimating…", not a guess
    offset = watcher.offset
    w.event(epoch(1))
    assert [type(e).__name__ for e in watcher.poll()] == ["EpochEnd"]
    assert watcher.offset > offset and p.history == {"loss": [0.5], "val_loss": [0.6]} and p.trace == {}
    assert p.probes == [["good film", {"neg": 0.3, "pos": 0.7}]] and p.probes_epoch == 1 and p.eta_s == 2.0
    w.event(ev.Steered("1", "lr", 0.001, True, "learning rate 0.001", 2, 2))
    w.event(ev.Steered("2", "more", 2.0, True, "training to epoch 5 (was 3)", 2, 2))
    w.event(ev.Steered("3", "pause", None, True, "paused", 2, 2))
    watcher.poll()
    assert p.status == "paused" and p.target == 5 and p.learning_rates == [(1.5, 0.001)]
    w.event(ev.Finished(str(w.path), 1, {"loss": 0.5}, ""))
    watcher.poll()
    assert p.status == "finished" and not p.live and p.end is not None


def test_a_half_written_last_line_waits_for_the_rest(tmp_path):
    w = fake_run(tmp_path)
    line = json.dumps(ev.to_dict(epoch(1))) + "\n"
    with open(w.path / F.EVENTS, "w", encoding="utf-8") as fh:
        fh.write(line[:20])
    watcher = RunWatcher(w.path)
    assert watcher.poll() == [] and watcher.offset == 0
    with open(w.path / F.EVENTS, "a", encoding="utf-8") as fh:
        fh.write(line[20:])
    assert [e.epoch for e in watcher.poll()] == [1]


def test_two_watchers_at_once_see_the_same_run(tmp_path):
    w = fake_run(tmp_path)
    a, b = RunWatcher(w.path), RunWatcher(w.path)
    for n in (1, 2):
        w.event(epoch(n))
        a.poll()
    b.poll()
    assert a.progress.history == b.progress.history == {"loss": [0.5, 0.5], "val_loss": [0.6, 0.6]}


def test_an_epoch_seen_again_after_a_resume_replaces_its_row(tmp_path):
    w = fake_run(tmp_path)
    for n, loss in ((1, 0.5), (2, 0.4), (2, 0.3)):  # killed after epoch 2's event, resumed from 1
        w.event(epoch(n, loss=loss))
    watcher = RunWatcher(w.path)
    watcher.poll()
    assert watcher.progress.history["loss"] == [0.5, 0.3]


def test_a_dead_process_is_interrupted_and_a_stale_heartbeat_too(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    w = fake_run(tmp_path, pid=dead.pid)
    watcher = RunWatcher(w.path)
    watcher.poll()
    assert watcher.progress.status == "interrupted" and "gone" in watcher.progress.message
    assert read_info(w.path).status == "interrupted"
    meta = reader.read_meta(w.path)
    meta["pid"] = os.getpid()
    assert liveness.live_status(meta) == "running"
    assert liveness.live_status(meta, now=meta["heartbeat"] + liveness.HEARTBEAT_STALE_S + 1) == "interrupted"


def test_a_run_folder_deleted_under_the_watcher_is_said_not_raised(tmp_path):
    import shutil

    w = fake_run(tmp_path, pid=os.getpid())
    watcher = RunWatcher(w.path)
    w.event(epoch(1))
    watcher.poll()
    shutil.rmtree(w.path)
    watcher.poll(now=time.monotonic() + 5)
    assert watcher.progress.status == "missing" and "deleted" in watcher.progress.message
    assert watcher.poll() == []


# ---- the channel -------------------------------------------------------------------------


def test_commands_to_a_run_that_is_not_live_say_so_and_what_to_do(tmp_path):
    w = fake_run(tmp_path, status="finished")
    with pytest.raises(RunError) as err:
        commands.post(w.path, "stop")
    assert "finished" in err.value.problem and "--resume" in err.value.fix
    with pytest.raises(RunError, match="not a kerminal run"):
        commands.post(tmp_path, "pause")


@pytest.mark.parametrize("command,value,says", [("lr", "-1", "positive"), ("lr", "fast", "not a number"), ("more", "0", "out of range"), ("more", "2.5x", "whole number"), ("jump", None, "Unknown")])
def test_bad_command_values_are_refused_before_they_are_sent(tmp_path, command, value, says):
    w = fake_run(tmp_path, pid=os.getpid())
    with pytest.raises(RunError, match=says):
        commands.post(w.path, command, value)
    assert list((w.path / F.COMMANDS).iterdir()) == []


def test_the_inbox_takes_commands_in_order_and_skips_half_written_and_foreign_files(tmp_path):
    w = fake_run(tmp_path, pid=os.getpid())
    first = commands.post(w.path, "pause")
    second = commands.post(w.path, "lr", "3e-4")
    (w.path / F.COMMANDS / ".99-1.tmp").write_text("{half")
    (w.path / F.COMMANDS / "98-1.json").write_text("not json")
    os.symlink("/etc/passwd", w.path / F.COMMANDS / "97-1.json")
    taken = commands.Inbox(w.path).take()
    good = [c for c in taken if not c.problem]
    assert [c.id for c in good] == [first, second] and good[-1].value == 3e-4
    assert [c.problem[:10] for c in taken if c.problem] == ["unreadable"]
    assert sorted(p.name for p in (w.path / F.COMMANDS).iterdir()) == [".99-1.tmp"]


def test_the_channel_and_folder_are_not_writable_by_other_users(tmp_path):
    w = fake_run(tmp_path, pid=os.getpid())
    assert (w.path / F.COMMANDS).stat().st_mode & 0o777 == 0o700
    created = F.new_run_dir(tmp_path / "more", "x")
    assert created.stat().st_mode & 0o022 == 0  # no group/other write, whatever the umask


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as a second user (setuid to nobody); the mode checks above still run")
def test_a_second_user_cannot_steer_the_run(tmp_path):
    """A forked child drops to user `nobody` (the engine is already imported: nobody may
    not be able to read this Python's files) and tries to stop the run."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="kerminal-owner-", dir="/tmp"))  # pytest's tmp is 0700: nobody could not even look
    os.chmod(base, 0o755)
    w = fake_run(base, pid=os.getpid())
    os.chmod(base / "runs", 0o755)

    def steer() -> str:
        try:
            commands.post(w.path, "stop")
            return "SENT"
        except RunError as exc:
            return "REFUSED " + exc.problem

    answer = run_as_nobody(steer)
    try:
        assert answer.startswith("REFUSED") and ("only its owner" in answer or "not writable by you" in answer), answer
        assert list((w.path / F.COMMANDS).iterdir()) == []
    finally:
        import shutil

        shutil.rmtree(base)


# ---- real detached runs ------------------------------------------------------------------


def detach(exp: Path, runs_dir: Path, *extra: str) -> Path:
    out = subprocess.run([*KERMINAL, "train", str(exp), "--detach", "--runs-dir", str(runs_dir), *extra], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return runs_dir / out.stdout.strip()


def wait_for(predicate, timeout: float = 120.0, what: str = "") -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def epochs_done(path: Path) -> int:
    return int((reader.read_meta(path) or {}).get("epochs", 0) or 0)


@pytest.mark.slow
def test_detach_returns_at_once_and_watch_follows_to_the_end(tmp_path):
    exp = write_experiment(tmp_path, epochs=3)
    t0 = time.perf_counter()
    run = detach(exp, tmp_path / "runs")
    assert time.perf_counter() - t0 < 10 and read_info(run).status == "starting"
    out = subprocess.run([*KERMINAL, "watch", str(run)], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("training to epoch 3") and sum(line.startswith("epoch ") for line in lines) == 3
    assert lines[-1].startswith("finished after 3 epochs")
    again = subprocess.run([*KERMINAL, "watch", str(run), "--json"], capture_output=True, text=True, timeout=60)
    assert [json.loads(x)["event"] for x in again.stdout.splitlines()][-1] == "Finished"  # a finished run: its whole story


@pytest.mark.slow
def test_pause_lr_resume_more_and_stop_a_detached_run(tmp_path):
    exp = write_experiment(tmp_path, epochs=400, batch_size=4)
    run = detach(exp, tmp_path / "runs")
    wait_for(lambda: epochs_done(run) >= 1, what="the first epoch")

    def steer(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*KERMINAL, *args[:1], str(run), *args[1:]], capture_output=True, text=True, timeout=60)

    paused = steer("pause")
    assert paused.returncode == 0 and "paused at " in paused.stdout  # "epoch E step S", or "the start of epoch E"
    assert read_info(run).status == "paused"
    # Paused in epoch E: epochs E-1 are committed, and E too once its last batch ran (its
    # commit may land after the answer); no more, however long the wait.
    at = int(re.search(r"epoch (\d+)", paused.stdout)[1])
    wait_for(lambda: epochs_done(run) >= at - 1, 30, "the epochs before the pause committed")
    again = steer("pause")
    assert again.returncode == 1 and "already paused" in again.stderr
    assert "after `resume`" in steer("lr", "0.005").stdout
    time.sleep(1.5)  # a window in which a running run would commit an epoch (an observation, not a wait)
    assert epochs_done(run) <= at  # paused means no batch runs
    assert "resumed" in steer("resume").stdout
    more = steer("more", "3")
    assert more.returncode == 0 and "training to epoch 403 (was 400)" in more.stdout
    lr = steer("lr", "1e-3")
    assert lr.returncode == 0 and "learning rate 0.001 (was 0.005)" in lr.stdout
    stop = steer("stop", "--json")
    assert json.loads(stop.stdout)["ok"] is True
    wait_for(lambda: read_info(run).status == "stopped", what="the stop")
    log = (run / F.LOG).read_text()
    assert "stopped on request (a stop command)" in log and "lr: learning rate 0.005" in log
    late = steer("stop")
    assert late.returncode == 1 and "stopped" in late.stderr and "--resume" in late.stderr
    watcher = RunWatcher(run)
    watcher.poll()
    assert [lr for _, lr in watcher.progress.learning_rates] == [0.005, 0.001]


@pytest.mark.slow
def test_a_run_killed_while_watched_is_interrupted_and_resumes_detached(tmp_path):
    exp = write_experiment(tmp_path, epochs=400, batch_size=4)
    run = detach(exp, tmp_path / "runs")
    watch = subprocess.Popen([*KERMINAL, "watch", str(run)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: epochs_done(run) >= 2, what="two epochs")
    os.kill(int(reader.read_meta(run)["pid"]), signal.SIGKILL)
    t0 = time.time()
    out, err = watch.communicate(timeout=30)
    assert time.time() - t0 < 20 and watch.returncode == 1  # noticed at its next liveness check (1 s), with room for a busy machine
    assert "interrupted" in err and "--resume" in err
    kept = epochs_done(run)
    assert read_info(run).status == "interrupted" and kept >= 2
    dead = subprocess.run([*KERMINAL, "pause", str(run)], capture_output=True, text=True, timeout=60)
    assert dead.returncode == 1 and "is interrupted" in dead.stderr and "--resume" in dead.stderr
    subprocess.run([*KERMINAL, "train", "--resume", str(run), "--epochs", "2", "--detach"], check=True, capture_output=True, timeout=60)
    done = subprocess.run([*KERMINAL, "watch", str(run)], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0 and read_info(run).status == "finished" and epochs_done(run) == kept + 2


@pytest.mark.slow
def test_a_detached_run_survives_its_terminal_session_being_hung_up(tmp_path):
    """The shell that started it gets SIGHUP (an SSH drop) and dies; the run trains on."""
    exp = write_experiment(tmp_path, epochs=4)
    runs_dir = tmp_path / "runs"
    # SIGHUP's default action in the shell, whatever this process inherited (under nohup
    # it is ignored, and the shell lived on).
    hangs_up = functools.partial(signal.signal, signal.SIGHUP, signal.SIG_DFL)
    shell = subprocess.Popen(["bash", "-c", f"{sys.executable} -m engine.cli train {exp} --detach --runs-dir {runs_dir}; sleep 60"], stdout=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=hangs_up)
    run = runs_dir / shell.stdout.readline().strip()
    os.killpg(shell.pid, signal.SIGHUP)
    shell.wait(10)
    out = subprocess.run([*KERMINAL, "watch", str(run)], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0 and read_info(run).status == "finished" and epochs_done(run) == 4


@pytest.mark.slow
def test_a_detached_run_that_cannot_start_says_why_in_its_folder(tmp_path):
    exp = write_experiment(tmp_path, epochs=2)
    exp.write_text(exp.read_text().replace('source = "reber"', 'source = "csv"\npath = "missing.csv"'))
    run = detach(exp, tmp_path / "runs")
    out = subprocess.run([*KERMINAL, "watch", str(run)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "missing.csv" in out.stdout
    assert read_info(run).status == "failed"
