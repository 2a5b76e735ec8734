"""The app in a real terminal (tmux), as a user over SSH: start training in the app, kill the
terminal (the tmux session, as an SSH drop does) mid-run, and the run goes on and finishes all
its epochs; the app started again follows it from Runs (Enter) and shows it finished."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.experiment import save
from tests.tui.conftest import kill_runs, tiny_experiment

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (the terminal-kill test drives the app in tmux)"),
]

ROOT = Path(__file__).resolve().parents[2]
EPOCHS = 15


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def start_app(session: str, cwd: Path, runs: Path, exp_file: Path) -> None:
    # The state folder too: a tmux server started earlier gives the session its own
    # environment, not this test's (tests/conftest.py sets KERMINAL_STATE_DIR per test).
    state = shlex.quote(os.environ["KERMINAL_STATE_DIR"])
    env = f"KERMINAL_RUNS_DIR={shlex.quote(str(runs))} KERMINAL_STATE_DIR={state} PYTHONPATH={shlex.quote(str(ROOT))}"
    command = f"cd {shlex.quote(str(cwd))} && {env} {shlex.quote(sys.executable)} -m tui.entry {shlex.quote(str(exp_file))}"
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", command)


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait_for(condition, timeout: float, what: str, show=lambda: "") -> None:
    t0 = time.monotonic()
    while not condition():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out waiting for {what}\n{show()}")
        time.sleep(0.2)


def meta(path: Path) -> dict:
    try:
        return json.loads((path / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def test_run_survives_the_terminal_and_the_app_follows_it_again(tmp_path):
    exp = tiny_experiment()
    exp.fit.epochs = EPOCHS
    exp.fit.batch_size = 4  # ~73 steps an epoch: the kill lands well before the last one
    exp.fit.early_stopping.patience = 0
    exp_file = tmp_path / "exp.toml"
    save(exp, exp_file)
    runs = tmp_path / "runs"
    session = f"kerminal-test-{os.getpid()}"
    try:
        start_app(session, tmp_path, runs, exp_file)
        wait_for(lambda: "290 train" in screen(session), 60, "the app and its data", lambda: screen(session))
        tmux("send-keys", "-t", session, "3")
        wait_for(lambda: "Press t to train" in screen(session), 10, "the Train pane", lambda: screen(session))
        tmux("send-keys", "-t", session, "t")
        wait_for(lambda: runs.is_dir() and any(meta(p).get("epochs", 0) >= 1 for p in runs.iterdir()), 90, "a first epoch", lambda: screen(session))
        (path,) = list(runs.iterdir())
        assert meta(path)["epochs"] < EPOCHS
        tmux("kill-session", "-t", session)  # the terminal is gone, as after an SSH drop
        wait_for(lambda: meta(path).get("status") in ("finished", "stopped", "failed"), 180, "the run to end on its own", lambda: json.dumps(meta(path)))
        done = meta(path)
        assert done["status"] == "finished" and done["epochs"] == EPOCHS, done
        # the app again: Runs, Enter on the run -> the Train pane follows it
        start_app(session, tmp_path, runs, exp_file)
        wait_for(lambda: "290 train" in screen(session), 60, "the app and its data", lambda: screen(session))
        tmux("send-keys", "-t", session, "5")
        # its id's date and time: the table cuts a long id with an ellipsis to fit 100 columns
        wait_for(lambda: path.name[:15] in screen(session), 10, "the run in Runs", lambda: screen(session))
        tmux("send-keys", "-t", session, "Enter")
        wait_for(lambda: f"run {path.name} finished" in screen(session), 10, "the Train pane following the run", lambda: screen(session))
        shown = screen(session)
        assert f"finished after {EPOCHS} epochs" in shown, shown
    finally:
        tmux("kill-session", "-t", session)
        kill_runs(runs)
