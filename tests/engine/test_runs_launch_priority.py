"""Issue 20: a run's process is started below the app's priority (RUN_NICE), so the app
answers keys on a busy machine; $KERMINAL_RUN_NICE changes the step."""

from __future__ import annotations

import os
import subprocess

import pytest

from engine.runs import launch


@pytest.fixture
def started(monkeypatch):
    """_spawn starting `sleep` in place of the training process; the processes, ended after."""
    procs: list[subprocess.Popen] = []
    real = subprocess.Popen

    def popen(args, **kwargs):
        kwargs.pop("pass_fds", None)
        procs.append(real(["sleep", "60"], **kwargs))
        return procs[-1]

    monkeypatch.setattr(launch.subprocess, "Popen", popen)
    yield procs
    for p in procs:
        p.kill()
        p.wait()


def nice_of(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


def test_the_run_process_runs_below_the_launcher(tmp_path, started, monkeypatch):
    monkeypatch.delenv("KERMINAL_RUN_NICE", raising=False)
    pid = launch._spawn(["--into", str(tmp_path)], tmp_path, 0)
    assert pid == started[0].pid
    assert nice_of(pid) == min(nice_of(0) + launch.RUN_NICE, 19)


def test_the_run_session_runs_below_the_launchers_where_the_kernel_has_autogroups(tmp_path, started, monkeypatch):
    """Its own session is its own autogroup, which the kernel ranks against the app's before
    any nice value inside it: that group is lowered too (on kernels without autogroups there
    is nothing to lower, and starting must not fail)."""
    monkeypatch.delenv("KERMINAL_RUN_NICE", raising=False)
    pid = launch._spawn([], tmp_path, 0)
    own = launch.autogroup_nice("self")
    if own is None:
        assert launch.autogroup_nice(pid) is None
    else:
        assert os.getsid(pid) == pid  # a session of its own: an autogroup of its own
        assert launch.autogroup_nice(pid) == min(own + launch.RUN_NICE, 19)


@pytest.mark.parametrize(("env", "steps"), [("0", 0), ("3", 3), ("19", 19), ("-5", launch.RUN_NICE), ("lots", launch.RUN_NICE), ("40", launch.RUN_NICE)])
def test_kerminal_run_nice_sets_the_step(tmp_path, started, monkeypatch, env, steps):
    monkeypatch.setenv("KERMINAL_RUN_NICE", env)
    assert launch.run_nice() == steps
    pid = launch._spawn([], tmp_path, 0)
    assert nice_of(pid) == min(nice_of(0) + steps, 19)
