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
    assert os.getsid(pid) == pid  # a session of its own: an autogroup of its own
    own = launch.autogroup_nice("self")
    base = nice_of(0) if own is None else own  # None: this process is in the default group
    if launch.autogroup_nice(pid) is not None:
        assert launch.autogroup_nice(pid) == min(base + launch.RUN_NICE, 19)


def test_a_launcher_in_the_default_group_ranks_the_run_session_below_its_own_process(tmp_path, started, monkeypatch):
    """A launcher in the kernel's default autogroup (a container's init, some CI: its
    /proc/self/autogroup is empty) competes as one process at its nice value; the run's whole
    session is put below that, not left at an equal share."""
    monkeypatch.delenv("KERMINAL_RUN_NICE", raising=False)
    real = launch.autogroup_nice
    monkeypatch.setattr(launch, "autogroup_nice", lambda pid: None if pid == "self" else real(pid))
    pid = launch._spawn([], tmp_path, 0)
    if real(pid) is None:
        pytest.skip("this kernel has no autogroups")
    assert real(pid) == min(nice_of(0) + launch.RUN_NICE, 19)


@pytest.mark.parametrize(("env", "steps"), [("0", 0), ("3", 3), ("19", 19), ("-5", launch.RUN_NICE), ("lots", launch.RUN_NICE), ("40", launch.RUN_NICE)])
def test_kerminal_run_nice_sets_the_step(tmp_path, started, monkeypatch, env, steps):
    monkeypatch.setenv("KERMINAL_RUN_NICE", env)
    assert launch.run_nice() == steps
    pid = launch._spawn([], tmp_path, 0)
    assert nice_of(pid) == min(nice_of(0) + steps, 19)
