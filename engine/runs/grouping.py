"""Runs grouped by one setting or run field (`kerminal runs --group PATH`, `g` in the Runs
pane): one rule for both.

A group key is a path the filter accepts (engine.runs.query: a setting's path, layers.N.PARAM,
or one of the run's own fields) that is not a metric: best.METRIC, the time, the id and the
date differ for nearly every run, so they are sorted by, not grouped by. Groups come in the
order of their values (numbers numerically, then text, then the runs without the value);
each group keeps the order its runs were given in (the listing's sort).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, NamedTuple

from engine.runs.best import higher_is_better
from engine.runs.query import QueryError, Summary, check_field, format_value

# A run's own fields that every run has a value of its own of: not a grouping.
NOT_GROUPS = ("id", "date", "time")
NONE = "(none)"  # the heading of the runs without the value


class Group(NamedTuple):
    """The runs whose value at `path` is `value` (None: those without one)."""

    value: Any
    runs: list[Summary]

    @property
    def text(self) -> str:
        """The value as a table cell shows it ("0.001", "words", "(none)")."""
        return NONE if self.value is None else format_value(self.value)

    def best(self, metric: str) -> tuple[float, str] | None:
        """The best value of `metric` in the group (the highest of an accuracy-like metric,
        the lowest of a loss) and the id of the run that has it; None when no run has it."""
        have = [(s.best[metric], s.id) for s in self.runs if metric in s.best and math.isfinite(s.best[metric])]
        if not have:
            return None
        pick = max if higher_is_better(metric) else min
        return pick(have, key=lambda pair: pair[0])

    def heading(self, path: str, metric: str = "") -> str:
        """`compile.learning_rate = 0.001 · 3 runs · best val_accuracy 0.8700`."""
        parts = [f"{path} = {self.text}", f"{len(self.runs)} run{'s' if len(self.runs) != 1 else ''}"]
        best = self.best(metric) if metric else None
        if best is not None:
            parts.append(f"best {metric} {best[0]:.4f}")
        return " · ".join(parts)


def group_fields(summaries: Iterable[Summary], lazy: bool = False) -> list[str]:
    """What runs can be grouped by, in the order offered (engine.runs.completion's fields
    without the metrics, the time, the id and the date)."""
    from engine.runs.completion import field_names

    return [f for f in field_names(list(summaries), lazy) if not f.startswith("best.") and f not in NOT_GROUPS]


def check_group(path: str, metrics: Iterable[str] = ()) -> None:
    """QueryError unless runs can be grouped by `path` (its problem and the fix)."""
    if path.startswith("best.") or path in NOT_GROUPS:
        what = "a metric" if path.startswith("best.") else f"the {path}"
        fix = f"Sort by it instead (`--sort {path}`, s in the Runs pane); group by a setting's path, layers.N.PARAM, status, tags, name, experiment, data or preset."
        raise QueryError(path, 0, f"{path} is {what}: nearly every run has a value of its own.", fix)
    check_field(path, metrics)


def group_key(value: Any) -> Any:
    """What runs with the same value share: a number as a float (3 and 3.0 are one group),
    a list as its items, anything else as the text a cell shows."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return tuple(format_value(v) for v in value)
    return format_value(value)


def _order(value: Any) -> tuple[int, Any]:
    if value is None:
        return (3, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value))
    return (1, format_value(value).lower())


def group_runs(summaries: Iterable[Summary], path: str) -> list[Group]:
    """The runs grouped by their value at `path` (see the module's doc for the order). The
    caller has checked the path (check_group)."""
    groups: dict[Any, Group] = {}
    for s in summaries:
        value = s.value(path)
        if value == "" or value == []:  # no tags, no note, no preset: the runs without one
            value = None
        key = group_key(value)
        if key not in groups:
            groups[key] = Group(value, [])
        groups[key].runs.append(s)
    return sorted(groups.values(), key=lambda g: _order(g.value))
