"""A sweep's trials as one group of the Runs pane (`g`, then `sweep`): the driver tags each
trial run `sweep:NAME` and `trial:N` (engine.sweeps.driver), so the grouping is by that tag,
not by a setting. Each sweep's trials come best first by the sweep's monitored metric, the
best one starred; its heading row says the sweep's progress and best trial, read from its
study (SweepStatus) by the pane's worker, never on the UI thread.

engine.runs.group_runs knows no `sweep` key (runs group by a setting or a run field), so the
grouping is done here and gives the same Group rows the pane draws for any other grouping.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from engine.runs import Group, higher_is_better
from tui.panes.runs_columns import GROUP_SIGN, cut
from tui.plain import printable

if TYPE_CHECKING:  # pragma: no cover
    from engine.runs import Summary
    from engine.sweeps import SweepStatus

SWEEP = "sweep"  # what `g` groups by
TAG = "sweep:"
BEST_SIGN = "★"


def sweep_of(summary: Summary) -> str | None:
    """The sweep a run is a trial of (its `sweep:NAME` tag), None when none."""
    return next((t[len(TAG) :] for t in summary.info.tags if t.startswith(TAG)), None)


def _monitor(group_runs: list[Summary], status: SweepStatus | None) -> str:
    if status is not None:
        return status.monitor
    return next((s.info.monitor for s in group_runs if s.info.monitor), "")


def _best_first(runs: list[Summary], metric: str) -> list[Summary]:
    sign = 1.0 if higher_is_better(metric) else -1.0

    def key(s: Summary) -> tuple[int, float]:
        value = s.best.get(metric)
        return (0, -sign * value) if value is not None and math.isfinite(value) else (1, 0.0)

    return sorted(runs, key=key)


def group_by_sweep(shown: list[Summary], statuses: dict[str, SweepStatus]) -> list[Group]:
    """One group per sweep (the newest name first: names end in their start time), its trials
    best first by its monitor; then the runs of no sweep (value None)."""
    by_name: dict[str | None, list[Summary]] = {}
    for s in shown:
        by_name.setdefault(sweep_of(s), []).append(s)
    names = sorted((n for n in by_name if n is not None), reverse=True)
    groups = [Group(n, _best_first(by_name[n], _monitor(by_name[n], statuses.get(n)))) for n in names]
    if None in by_name:
        groups.append(Group(None, by_name[None]))
    return groups


def best_run(group: Group, statuses: dict[str, SweepStatus]) -> str:
    """The run id of a sweep's best trial ("" for the runs of no sweep, or none yet)."""
    if group.value is None:
        return ""
    status = statuses.get(group.value)
    if status is not None and status.best is not None and status.best.run:
        return status.best.run
    best = group.best(_monitor(group.runs, status))
    return best[1] if best else ""


def heading(group: Group, statuses: dict[str, SweepStatus], metric: str) -> str:
    """`sweep NAME · trial 7/20 · running · best val_accuracy 0.9100 (trial 3)`; before its
    status is read, the count of its runs and their best."""
    if group.value is None:
        return group.heading("sweep", metric)
    status = statuses.get(group.value)
    if status is None:
        return group.heading("sweep", metric).replace("sweep = ", "sweep ", 1)
    parts = [f"sweep {group.value}", status.progress(), status.driver]
    if status.best is not None and status.best.value is not None:
        parts.append(f"best {status.monitor} {status.best.value:.4f} (trial {status.best.number})")
    return " · ".join(parts)


def sweep_cells(group: Group, statuses: dict[str, SweepStatus], widths: dict[str, int], one: str) -> dict[str, str]:
    """A sweep's heading row: its name, its progress under status ("trial 7/20"), its best
    under best (the line under the table says the rest: the driver's state, the best trial)."""
    status = statuses.get(group.value) if group.value is not None else None
    count = len(group.runs)
    name = f"{GROUP_SIGN} (no sweep)" if group.value is None else f"{GROUP_SIGN} sweep {group.value}"
    if len(name) > widths.get("name", 0) and group.value is not None:
        name = f"{GROUP_SIGN} {group.value}"  # its status cell, "trial 7/20", says it is a sweep
    state = status.progress().split(" (")[0] if status is not None else f"{count} run{'s' if count != 1 else ''}"  # "trial 7/20": fits the column
    metric = _monitor(group.runs, status)
    value: Any = status.best.value if status is not None and status.best is not None else None
    if value is None and metric:
        best = group.best(metric)
        value = best[0] if best else None
    best_cell = "" if value is None else f"{'' if metric == one else metric + ' '}{value:.4f}"
    cells = {"name": name, "status": state, "best": best_cell}
    return {key: cut(printable(cells.get(key, "")), width) for key, width in widths.items()}
