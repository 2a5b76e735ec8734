"""The Runs pane's filter line (`/`): an expression over settings paths and metrics
(engine.runs.parse_filter; a bad term is pointed at under the line) with completion of
paths and values from the declarations (engine.runs.complete): the likeliest shown inline
(Right or Tab takes it), the other choices under the line. A mixin of RunsPane."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from engine.runs import QueryError, Summary, complete, parse_filter, term_start

if TYPE_CHECKING:  # pragma: no cover
    from engine.runs import Filter

HINTS = 8  # choices named under the line at most


class FilterSuggester(Suggester):
    """The first completion of the line (settings' values only from runs already read)."""

    def __init__(self, summaries: Callable[[], list[Summary]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)  # the runs change; values keep their case
        self.summaries = summaries

    async def get_suggestion(self, value: str) -> str | None:
        found = complete(value, self.summaries(), lazy=True)
        return found[0] if found else None


class FilterLine(Input):
    """An Input whose Tab takes the completion shown (Right does too, as in any Input)."""

    BINDINGS = [Binding("tab", "take", "Complete", show=False)]

    def action_take(self) -> None:
        self.cursor_position = len(self.value)
        self.action_cursor_right()  # at the end: takes the suggestion, if there is one


class RunFilter(Widget):
    if TYPE_CHECKING:  # what the pane it is mixed into gives it (RunsPane)
        summaries: list[Summary]
        run_filter: Filter

        @property
        def table(self) -> DataTable: ...

        def _show(self, cursor_to: str = "") -> None: ...

    def filter_line(self) -> FilterLine:
        line = FilterLine(placeholder="filter, e.g. compile.learning_rate<0.01 best.val_accuracy>0.85 (Tab completes, Enter applies)", id="runs-filter", suggester=FilterSuggester(lambda: self.summaries))
        line.display = False
        return line

    def _filter_line(self) -> Input:
        return self.query_one("#runs-filter", Input)

    def action_filter(self) -> None:
        line = self._filter_line()
        line.display = True
        line.focus()

    @on(Input.Changed, "#runs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        """The choices for the term being typed, under the line (when there are several)."""
        hint = self.query_one("#runs-filter-error", Static)
        found = complete(event.value, self.summaries, lazy=True) if event.value and event.input.has_focus else []
        if len(found) < 2:
            hint.display = False
            return
        start = term_start(event.value)
        names = [f[start:] for f in found[:HINTS]]
        more = f" (+{len(found) - HINTS})" if len(found) > HINTS else ""
        hint.update(Text(f"{' ' * start}{' · '.join(names)}{more}", style="dim", no_wrap=True, overflow="ellipsis"))
        hint.display = True

    @on(Input.Submitted, "#runs-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        error = self.query_one("#runs-filter-error", Static)
        try:
            self.run_filter = parse_filter(event.value.strip(), metrics={m for s in self.summaries for m in s.best})
        except QueryError as exc:  # said under the line, which keeps the focus
            fix = exc.fix if len(exc.fix) < 100 else exc.fix.split("? ")[0] + "?" if exc.fix.startswith("Did you mean") else "Fields: name, status, epochs, date, time, best.METRIC, a setting's path (`kerminal settings`)."
            # The caret under the line's own text (both have one column of padding).
            error.update(Text(f"{' ' * exc.column}^ {exc.problem}\n{fix}", style="red"))
            error.display = True
            return
        error.display = False
        self._filter_line().display = bool(self.run_filter)
        self.table.focus()
        self._show()
