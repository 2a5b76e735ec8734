"""Stopping `python -m bench` ends every process it started, in whatever session.

A fake benchmark module starts what bench_app does: a program in a session of its own
(the app in its pty), which starts another in a session of its own (a detached training
run, reparented to init once its starter is gone) and that one ignores SIGTERM. The runner
is stopped once all of them are up; none of them may be left."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bench import common, procs, run

ROOT = Path(__file__).resolve().parents[2]

# Run by the fake module's programs: write the pid to argv[1], start argv[2:] (if any) in a
# new session, then sleep until killed. "stubborn" ignores SIGTERM, as a busy run might.
SLEEPER = textwrap.dedent("""
    import os, signal, subprocess, sys
    if os.environ.get("STUBBORN") == sys.argv[1]:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if len(sys.argv) > 2:
        subprocess.Popen([sys.executable, __file__, *sys.argv[2:]], start_new_session=True)
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(os.getpid()))
    os.replace(tmp, sys.argv[1])
    while True:
        signal.pause()  # until killed
""")

MODULE = textwrap.dedent("""
    import os, signal, subprocess, sys, tempfile
    from pathlib import Path

    def run(quick):
        pids = Path(os.environ["FAKE_PIDS"])
        (pids / "tmpdir").write_text(tempfile.mkdtemp(prefix="fake-bench-"))
        (pids / "module").write_text(str(os.getpid()))
        sleeper = str(pids.parent / "sleeper.py")
        subprocess.Popen([sys.executable, sleeper, str(pids / "app"), str(pids / "run")], start_new_session=True)
        while True:
            signal.pause()  # until the runner ends it
""")


def _fake(tmp_path: Path) -> tuple[Path, Path]:
    pkg = tmp_path / "stopbench"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bench_spawn.py").write_text(MODULE)
    (tmp_path / "sleeper.py").write_text(SLEEPER)
    pids = tmp_path / "pids"
    pids.mkdir()
    return pkg, pids


def _wait_for_files(folder: Path, names: list[str], proc: subprocess.Popen | None, deadline_s: float) -> dict[str, int]:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if all((folder / n).is_file() for n in names):
            return {n: int((folder / n).read_text()) for n in names}
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"bench ended before its module started everything: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    pytest.fail(f"not all of {names} were written within {deadline_s:.0f} s")


def _running(pid: int) -> bool:
    """True while pid is a live process (a zombie, ended but not yet reaped, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _gone_within(pids: list[int], deadline_s: float) -> list[int]:
    deadline = time.monotonic() + deadline_s
    while True:
        alive = [p for p in pids if _running(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def _cleanup(pids: list[int]) -> None:
    for p in pids:
        if _running(p):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").is_file(), reason="needs /proc")
@pytest.mark.parametrize(("sig", "group"), [(signal.SIGTERM, False), (signal.SIGINT, True)], ids=["SIGTERM to bench", "Ctrl+C to its group"])
def test_stopping_bench_ends_every_process_it_started(tmp_path, sig, group):
    """SIGTERM to the runner alone, or SIGINT to its whole process group as Ctrl+C in a
    terminal sends it (the runner, the module's process; not the ones in sessions of their own)."""
    pkg, pids_dir = _fake(tmp_path)
    env = {**common.python_env(), "FAKE_PIDS": str(pids_dir), "STUBBORN": str(pids_dir / "run")}
    bench = subprocess.Popen(
        [sys.executable, "-m", "bench", "--quick", "--package-dir", str(pkg), "--only", "spawn", "--json", str(tmp_path / "r.json")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    started: list[int] = []
    try:
        started = list(_wait_for_files(pids_dir, ["module", "app", "run"], bench, 60).values())
        if group:
            os.killpg(bench.pid, sig)
        else:
            bench.send_signal(sig)
        try:
            _, err = bench.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            bench.send_signal(signal.SIGUSR1)  # its stack, for the failure's message
            with contextlib.suppress(subprocess.TimeoutExpired):
                bench.communicate(timeout=5)
            bench.kill()
            _, err = bench.communicate()
            pytest.fail(f"bench did not end within 90 s of {sig.name}; where it was:\n{err}")
        assert bench.returncode == 128 + sig, err
        assert f"stopped by {sig.name}" in err
        # the runner waits for them before it exits; the deadline only bounds a failure
        assert _gone_within(started, 5) == [], f"left running: {started}"
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()
        _cleanup(started)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").is_file(), reason="needs /proc")
def test_a_module_past_its_limit_leaves_nothing_running(tmp_path, monkeypatch):
    pkg, pids_dir = _fake(tmp_path)
    monkeypatch.setenv("FAKE_PIDS", str(pids_dir))
    started: list[int] = []
    try:
        # 20 s is ample for the three processes to start here, so the module is still
        # sleeping when its limit ends it
        res = run.run_module("bench_spawn", True, timeout=20, package_dir=pkg, echo=False)
        assert res["status"] == "failed" and res["error"] == "timed out after 20 s"
        started = list(_wait_for_files(pids_dir, ["module", "app", "run"], None, 1).values())
        assert _gone_within(started, 5) == []
        # what the module made in its temporary folder went with the runner's
        assert not Path((pids_dir / "tmpdir").read_text()).exists()
    finally:
        _cleanup(started)


def test_carrying_finds_a_token_through_a_new_session():
    token = procs.new_token()
    child = subprocess.Popen([sys.executable, "-c", "import signal; signal.pause()"], env={**os.environ, procs.TOKEN_VAR: token}, start_new_session=True)
    try:
        deadline = time.monotonic() + 30  # until the child has exec'd with its environment
        while child.pid not in procs.carrying(token) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert procs.carrying(token) == [child.pid]
        assert procs.end(token, grace=5) == [child.pid]
        child.wait(5)
        assert procs.carrying(token) == []
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
