"""The help screen (`?`): every key binding of the app and of each pane."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from tui.commands import all_commands, key_label


def bindings_table() -> Table:
    table = Table(box=None, padding=(0, 1), expand=True)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("where", style="dim", no_wrap=True)
    table.add_column("action", no_wrap=True)
    table.add_column("what it does")
    for c in all_commands():
        where = c.pane or "anywhere"
        title = c.title.split(": ", 1)[-1]
        table.add_row(key_label(c.key), where, title, c.help)
    table.add_row("Tab / ⇧Tab", "anywhere", "Focus", "Move between widgets (and form fields).")
    table.add_row("^p", "anywhere", "Commands", "The command palette: every action by name.")
    return table


class HelpScreen(Screen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide dialog-tall", id="help"):
            yield Label("kerminal keys", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static(bindings_table())
            yield Static("1-5 switch panes outside text fields, F1-F5 anywhere · Esc closes", classes="help")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
