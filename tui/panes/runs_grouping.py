"""The Runs pane's grouping (`g`): the runs under a heading row per value of a setting's
path (or status, tags, ...), engine.runs.group_runs' rule, as `kerminal runs --group`. A
heading row is no run: the run keys find no run on it; Space marks its runs. A mixin of
RunsPane, which builds the rows (its `_show`). Grouping by `sweep` (a sweep's trials, with
its progress read by a worker every SWEEP_S seconds) is in runs_sweeps."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import DataTable

from engine.runs import Group, QueryError, Summary, check_group, group_fields, group_runs
from tui.dialogs import TextPrompt
from tui.panes.runs_columns import group_cells
from tui.panes.runs_sweeps import BEST_SIGN, SWEEP, best_run, group_by_sweep, heading, sweep_cells, sweep_of

if TYPE_CHECKING:  # pragma: no cover
    from engine.sweeps import SweepStatus

GROUP_ROW = "/group/"  # a group heading's row key (no run folder's name holds a slash)
NEWEST_SWEEPS = 5  # the sweeps of the runs folder read besides those its listed runs name
SWEEP_S = 2.0  # a sweep's progress is read this often while the runs are grouped by sweep


class RunGrouping(Widget):
    if TYPE_CHECKING:  # what the pane it is mixed into gives it (RunsPane)
        summaries: list[Summary]
        shown: list[Summary]
        group_by: str
        groups: list[Group]
        _row_ids: list[str]
        _differing: tuple[tuple[str, ...], tuple[str, ...]]

        @property
        def table(self) -> DataTable: ...

        def _show(self, cursor_to: str = "") -> None: ...

        def action_refresh(self) -> None: ...

        @property
        def host(self) -> Any: ...

    sweep_status: dict[str, SweepStatus] = {}  # each sweep's status as last read (by name)

    def selected_group(self) -> Group | None:
        """The group whose heading row has the cursor."""
        if not self._row_ids:
            return None
        key = self._row_ids[min(max(self.table.cursor_row, 0), len(self._row_ids) - 1)]
        return self.groups[int(key.removeprefix(GROUP_ROW))] if key.startswith(GROUP_ROW) else None

    def _group_starts(self) -> dict[str, int]:
        """{the first run id of each group: the group's number}."""
        return {g.runs[0].id: n for n, g in enumerate(self.groups) if g.runs}

    def grouped(self, shown: list[Summary]) -> list[Group]:
        """The runs shown, grouped by `group_by` ([] when not grouped)."""
        if not self.group_by:
            return []
        return group_by_sweep(shown, self.sweep_status) if self.group_by == SWEEP else group_runs(shown, self.group_by)

    def group_heading(self, group: Group, metric: str) -> str:
        return heading(group, self.sweep_status, metric) if self.group_by == SWEEP else group.heading(self.group_by, metric)

    def heading_cells(self, n: int, widths: dict[str, int], metric: str, one: str) -> dict[str, str]:
        if self.group_by == SWEEP:
            return sweep_cells(self.groups[n], self.sweep_status, widths, one)
        return group_cells(self.groups[n], self.group_by, widths, metric, one)

    def heading_widths(self, rows: list[dict[str, str]]) -> list[dict[str, str]]:
        """Grouped by sweep: rows that give each heading's name room as a run's would (a
        sweep's name says what its trials, named "trial N", are of)."""
        if self.group_by != SWEEP or not rows:
            return []
        return [{**rows[0], "name": sweep_cells(g, {}, {"name": 200}, "")["name"]} for g in self.groups]

    def star_best(self, rows: list[dict[str, str]]) -> None:
        """Grouped by sweep: a trial named "trial N" (its heading names the sweep, its
        columns the values it tried), the best of each sweep starred (rows in `shown`'s
        order)."""
        if self.group_by != SWEEP:
            return
        best = {best_run(g, self.sweep_status) for g in self.groups} - {""}
        for s, row in zip(self.shown, rows, strict=True):
            trial = next((t.split(":", 1)[1] for t in s.info.tags if t.startswith("trial:")), "")
            if trial and sweep_of(s):
                row["name"] = f"trial {trial}"
            if s.id in best:
                row["name"] = f"{BEST_SIGN} {row['name']}"

    def action_group(self) -> None:
        """Ask for the path to group by (the first setting that differs, offered); g again
        ungroups, as does an empty answer."""
        if self.group_by:
            self.group_by = ""
            self._show()
            return
        offered = group_fields(self.summaries, lazy=True)
        differ = [p for p in self._differing[1] if p in offered]
        sweeps = [SWEEP] if any(sweep_of(s) for s in self.summaries) else []
        differ = [*sweeps, *differ]
        first = differ[0] if differ else "status"
        suggester = SuggestFromList([*differ, *offered], case_sensitive=True)
        help = f"Enter groups · Esc cancels · e.g. {', '.join([*differ[:3], 'status', 'tags', *([] if sweeps else [SWEEP])])}"
        self.app.push_screen(TextPrompt("Group the runs by", first, "a setting's path, status, tags, experiment…", help, suggester=suggester), self.group)

    def group(self, path: str | None) -> None:
        """Group the runs by `path` ("" or None: ungroup); a path that names nothing is said
        in a toast with its fix."""
        path = (path or "").strip()
        if path and path != SWEEP:
            try:
                check_group(path, metrics={m for s in self.summaries for m in s.best})
            except QueryError as exc:
                self.notify(f"{exc.problem} {exc.fix}", title="Group", severity="error", timeout=10)
                return
        self.group_by = path
        self._show()
        self.sweep_tick()

    # ---- a sweep's progress, read off the UI thread ------------------------------------------
    def sweep_tick(self) -> None:
        """Grouped by sweep: read the sweeps' statuses (a worker; the timer calls this)."""
        if self.group_by == SWEEP:
            self._read_sweeps(str(self.host.runs_dir), {n for s in self.summaries if (n := sweep_of(s))})

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs-sweeps", description="read the sweeps' progress")
    def _read_sweeps(self, runs_dir: str, tagged: set[str]) -> None:
        """The status of each sweep the runs name, and of the newest sweeps of the runs
        folder (a sweep just started has no tagged run listed yet)."""
        from engine import KerminalError
        from engine.sweeps import Sweep, sweeps_dir

        folder = sweeps_dir(runs_dir)
        newest = sorted((p.name for p in folder.iterdir() if (p / "sweep.json").is_file()), reverse=True)[:NEWEST_SWEEPS] if folder.is_dir() else []
        statuses = {}
        for name in sorted(tagged | set(newest)):
            try:
                statuses[name] = Sweep.open(name, Path(runs_dir)).status(importances=False)
            except (KerminalError, OSError, ValueError):  # a sweep of another machine, or damaged: its runs still group
                continue
        self.app.call_from_thread(self._sweeps_ready, statuses)

    def _sweeps_ready(self, statuses: dict[str, SweepStatus]) -> None:
        """New statuses: list the runs again (a new trial is a new run) and redraw."""
        if {k: v.to_dict() for k, v in statuses.items()} != {k: v.to_dict() for k, v in self.sweep_status.items()}:
            self.sweep_status = statuses
            self.action_refresh()
