"""The Runs pane's labels: `n` renames the selected run (the prompt holds its name; empty
goes back to the derived one), `t` edits its tags (space-separated; the prompt holds the
current ones), `N` its note. engine.runs' labels functions write RUN/label.json and refuse
bad input with the problem and its fix, which a toast shows; the row shows the new labels
at once. A mixin of RunsPane."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.widget import Widget

from engine import KerminalError
from engine.runs import read_info, rename_run, set_note, set_tags
from tui.dialogs import TextPrompt

if TYPE_CHECKING:  # pragma: no cover
    from engine.runs import RunInfo, Summary


class RunLabels(Widget):
    if TYPE_CHECKING:  # what the pane it is mixed into gives it (RunsPane)
        summaries: list[Summary]

        def selected(self) -> RunInfo | None: ...

        def chosen(self) -> RunInfo | None: ...

        def _show(self, cursor_to: str = "") -> None: ...

    def action_rename(self) -> None:
        self._ask("Rename run {id}", lambda r: r.name, "a name (empty: the one derived from its experiment)", lambda r, text: rename_run(r.path, text.strip()))

    def action_tags(self) -> None:
        self._ask("Tags of run {id}", lambda r: " ".join(r.tags), "words, space-separated (empty: no tags)", lambda r, text: set_tags(r.path, text.split()))

    def action_note(self) -> None:
        self._ask("Note on run {id}", lambda r: r.note, "a line of text (empty: no note)", lambda r, text: set_note(r.path, text.strip()))

    def _ask(self, title: str, now: Callable[[RunInfo], str], placeholder: str, write: Callable[[RunInfo, str], object]) -> None:
        """Ask with the run's current value in the line; Enter writes it, Esc leaves it."""
        run = self.chosen()
        if run is None:
            return

        def answered(text: str | None) -> None:
            if text is None:
                return
            try:
                write(run, text)
            except (KerminalError, OSError) as exc:  # the run's folder is not the user's, a name too long
                problem = f"{exc.problem} {exc.fix}".strip() if isinstance(exc, KerminalError) else str(exc)
                self.notify(problem, title="Runs", severity="error", timeout=10)
                return
            self._relabelled(run)

        self.app.push_screen(TextPrompt(title.format(id=run.id), now(run), placeholder, "Enter saves · Esc cancels"), answered)

    def _relabelled(self, run: RunInfo) -> None:
        """Show the run's new labels: its summary (the listing's cache keeps it until its
        metrics.json changes, which a label does not touch) gets its info read again."""
        try:
            new = read_info(run.path)
        except (KerminalError, OSError):  # gone meanwhile: the next refresh drops it
            return
        for summary in self.summaries:
            if summary.id == run.id:
                summary.info = new
        self._show(run.id)
