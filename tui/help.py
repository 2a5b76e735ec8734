"""The help screen (`?`): every key binding of the app and of each pane."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from tui.commands import all_commands, key_label
from tui.panes.tabs import PANES


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


def key_table() -> str:
    """The keys of each pane as a Markdown table (the README's app section holds it; a test
    checks they agree): one row per key, one column per pane, the footer's word for what the
    key does there; a key that means different things in different panes is marked."""
    panes = [(pane_id, title) for pane_id, title, _cls in PANES]
    meanings: dict[str, dict[str, str]] = {}
    for c in all_commands():
        if c.pane:
            meanings.setdefault(key_label(c.key), {})[c.pane] = c.title.split(": ", 1)[-1]
    lines = ["| key | " + " | ".join(title for _id, title in panes) + " |", "|---" * (len(panes) + 1) + "|"]
    for key, where in meanings.items():
        differs = len(set(where.values())) > 1
        cells = [where.get(pane_id, "") for pane_id, _title in panes]
        lines.append(f"| `{key}`{' ≠' if differs else ''} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


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
