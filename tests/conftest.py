"""Shared test setup: quiet TensorFlow, keep the user's own files out of tests."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# The runs the tests start train at the suite's own priority: below it (kerminal's default,
# for the app's sake) they would wait behind the other test worker and whatever else keeps a
# CI machine busy, and every deadline the tests wait on would be a race with that load. The
# priority itself is tested in test_runs_launch_priority, which sets this variable.
os.environ.setdefault("KERMINAL_RUN_NICE", "0")


def kill_runs(root):
    """Kill the training processes of the runs under `root` (at any depth) that are still
    live: a run is its own process and outlives the test (or app) that started it."""
    import json
    import signal
    from pathlib import Path

    from engine.runs.safe import read_text

    for meta in Path(root).glob("**/metrics.json"):
        try:  # a plain file only: the hostile-folder tests plant FIFOs and links to /dev/zero
            raw = json.loads(read_text(meta))
        except (OSError, ValueError, RecursionError):
            continue
        if not isinstance(raw, dict):
            continue
        pid = raw.get("pid")
        if raw.get("status") in ("starting", "running", "paused") and isinstance(pid, int) and 0 < pid < 2**22 and pid != os.getpid():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def rm_rf(path, timeout: float = 60.0) -> None:
    """Remove a folder that a live process may still be writing into, as `rm -rf` does: a
    temporary file renamed or added while it is emptied is no error (shutil.rmtree raised
    FileNotFoundError on one in CI); removed again until it is gone, within `timeout`."""
    import shutil
    import time
    from pathlib import Path

    deadline = time.monotonic() + timeout
    while Path(path).exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} was still there {timeout:.0f} s after rm -rf")
        shutil.rmtree(path, ignore_errors=True)


import pytest  # noqa: E402  (after the environment is set for TensorFlow)
from hypothesis import settings  # noqa: E402

# CI (.ci/run sets HYPOTHESIS_PROFILE=ci) draws the same examples every time, so a landing
# never fails on an input no one has seen; a developer's runs draw new ones (and Hypothesis's
# example database replays what failed), which is where new bad inputs are found.
settings.register_profile("ci", derandomize=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path_factory, monkeypatch):
    """The app's remembered state (engine.workspace.recent: the experiment open last) in a
    folder of the test's own: no test reads or writes the user's ~/.local/state, and no
    test reopens what another one left. Subprocesses (a real app in tmux) inherit it."""
    monkeypatch.setenv("KERMINAL_STATE_DIR", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(autouse=True)
def _own_cache_dir(tmp_path_factory, monkeypatch):
    """The prepared-data cache (engine.prepared) in a folder of the test's own: no test reads
    or writes the user's ~/.cache, and no test hits what another one prepared. Subprocesses
    (`kerminal train` in a child) inherit it."""
    monkeypatch.setenv("KERMINAL_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _no_run_outlives_its_test(request):
    """A test that fails half-way (a paused detached run, say) must not leave its training
    process behind to slow every later test and benchmark."""
    # Asked for here (not after the test) so that tmp_path is torn down after this fixture.
    tmp = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    if tmp is not None:
        kill_runs(tmp)
