"""The Runs pane's grouping (`g`): the runs under a heading row per value of a setting's
path (or status, tags, ...), engine.runs.group_runs' rule, as `kerminal runs --group`. A
heading row is no run: the run keys find no run on it; Space marks its runs. A mixin of
RunsPane, which builds the rows (its `_show`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import DataTable

from engine.runs import Group, QueryError, Summary, check_group, group_fields
from tui.dialogs import TextPrompt

GROUP_ROW = "/group/"  # a group heading's row key (no run folder's name holds a slash)


class RunGrouping(Widget):
    if TYPE_CHECKING:  # what the pane it is mixed into gives it (RunsPane)
        summaries: list[Summary]
        group_by: str
        groups: list[Group]
        _row_ids: list[str]
        _differing: tuple[tuple[str, ...], tuple[str, ...]]

        @property
        def table(self) -> DataTable: ...

        def _show(self, cursor_to: str = "") -> None: ...

    def selected_group(self) -> Group | None:
        """The group whose heading row has the cursor."""
        if not self._row_ids:
            return None
        key = self._row_ids[min(max(self.table.cursor_row, 0), len(self._row_ids) - 1)]
        return self.groups[int(key.removeprefix(GROUP_ROW))] if key.startswith(GROUP_ROW) else None

    def _group_starts(self) -> dict[str, int]:
        """{the first run id of each group: the group's number}."""
        return {g.runs[0].id: n for n, g in enumerate(self.groups) if g.runs}

    def action_group(self) -> None:
        """Ask for the path to group by (the first setting that differs, offered); g again
        ungroups, as does an empty answer."""
        if self.group_by:
            self.group_by = ""
            self._show()
            return
        offered = group_fields(self.summaries, lazy=True)
        differ = [p for p in self._differing[1] if p in offered]
        first = differ[0] if differ else "status"
        suggester = SuggestFromList([*differ, *offered], case_sensitive=True)
        help = f"Enter groups · Esc cancels · e.g. {', '.join([*differ[:3], 'status', 'tags'])}"
        self.app.push_screen(TextPrompt("Group the runs by", first, "a setting's path, status, tags, experiment…", help, suggester=suggester), self.group)

    def group(self, path: str | None) -> None:
        """Group the runs by `path` ("" or None: ungroup); a path that names nothing is said
        in a toast with its fix."""
        path = (path or "").strip()
        if path:
            try:
                check_group(path, metrics={m for s in self.summaries for m in s.best})
            except QueryError as exc:
                self.notify(f"{exc.problem} {exc.fix}", title="Group", severity="error", timeout=10)
                return
        self.group_by = path
        self._show()
