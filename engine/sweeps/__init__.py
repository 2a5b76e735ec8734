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

__all__ = ["GRID_LIMIT", "PRUNERS", "SAMPLERS", "Param", "Space", "Sweep", "SweepError", "SweepStatus", "Sweepable", "TrialRow", "drive", "sweepable", "sweeps_dir"]


def drive(sweep: Sweep, out: Callable[[str], None] = print, main: bool = True) -> str:
    """Run `sweep`'s trials on this machine until it has them all or is stopped ("ended" or
    "stopped"). `main` False: a --join worker (it leaves the sweep's driver record alone)."""
    from engine.sweeps.driver import Driver

    return Driver(sweep, out, main).run()
