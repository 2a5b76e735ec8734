"""Sweeps: search an experiment's settings with Optuna, every trial an ordinary run (issue 22).

    sweep = Sweep.create("exp.toml", ["compile.learning_rate=1e-4..1e-2:log"], "runs", trials=20)
    drive(sweep)               # runs the trials here until the sweep has them all
    sweep.status().rows        # one TrialRow per trial: swept values, best metric, epochs, state

`sweepable(exp)` lists the settings a sweep can search (the declarations' types and ranges),
for a form. Optuna is imported only when a study is opened.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.sweeps.space import GRID_LIMIT, Param, Space, Sweepable, SweepError, sweepable
from engine.sweeps.sweep import PRUNERS, SAMPLERS, Sweep, SweepStatus, TrialRow, sweeps_dir

__all__ = ["GRID_LIMIT", "PRUNERS", "SAMPLERS", "Param", "Space", "Sweep", "SweepError", "SweepStatus", "Sweepable", "TrialRow", "drive", "start_detached", "sweepable", "sweeps_dir"]


def drive(sweep: Sweep, out: Callable[[str], None] = print, main: bool = True) -> str:
    """Run `sweep`'s trials on this machine until it has them all or is stopped ("ended" or
    "stopped"). `main` False: a --join worker (it leaves the sweep's driver record alone)."""
    from engine.sweeps.driver import Driver

    return Driver(sweep, out, main).run()


def start_detached(sweep: Sweep) -> None:
    """Drive `sweep` in a process of its own (a new session, like `train --detach`; its output
    in the sweep's driver log), so it outlives the terminal or app that started it. Returns
    at once; SweepError when the process could not start."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from engine.runs import safe
    from engine.sweeps.sweep import DRIVER_LOG

    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])  # the child imports this same engine
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        with safe.open_append(sweep.folder / DRIVER_LOG, binary=True) as log:
            argv = ["sweep", "--resume", sweep.name, "--runs-dir", str(sweep.runs_dir), *([] if sweep.config.get("warm", True) else ["--no-warm"])]
            subprocess.Popen([sys.executable, "-m", "engine.cli", *argv], stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True, env=env)
    except OSError as exc:
        raise SweepError(f"The sweep {sweep.name} was created but its driver did not start: {exc.strerror or exc}.", f"Start it with `kerminal sweep --resume {sweep.name}`.") from None
