"""The command palette (Ctrl+P): one command per key binding of the app and its panes.

Built from the same BINDINGS the footer and the help screen show, so every action with a
key is also a command; running one shows its pane first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.bindings import APP_BINDINGS
from tui.panes.tabs import PANES

if TYPE_CHECKING:  # pragma: no cover
    from tui.app import KerminalApp


@dataclass(frozen=True)
class Command:
    pane: str  # "" = the app
    title: str
    help: str
    action: str
    key: str


def all_commands() -> list[Command]:
    """Every binding with a description, as (pane, title, help, action, key)."""
    out: list[Command] = []
    for binding in APP_BINDINGS:
        if isinstance(binding, Binding) and binding.description:
            out.append(Command("", binding.description, binding.tooltip, binding.action, binding.key_display or binding.key))
    for pane_id, title, cls in PANES:
        for entry in cls.BINDINGS:
            if isinstance(entry, Binding) and entry.description:
                out.append(Command(pane_id, f"{title}: {entry.description}", entry.tooltip, entry.action, entry.key_display or entry.key))
    return out


def key_label(key: str) -> str:
    """'2,f2' -> '2 / F2', 'ctrl+s' -> '^s', 'question_mark' -> '?'."""
    names = {"question_mark": "?", "space": "space", "enter": "Enter", "escape": "Esc"}

    def one(k: str) -> str:
        if k in names:
            return names[k]
        if len(k) > 1 and k[0] == "f" and k[1:].isdigit():
            return k.upper()
        return k.replace("ctrl+", "^").replace("shift+", "⇧")

    return " / ".join(one(k.strip()) for k in key.split(","))


class KerminalCommands(Provider):
    """kerminal's actions for the command palette."""

    @property
    def kapp(self) -> KerminalApp:
        return self.app  # type: ignore[return-value]

    async def _run(self, command: Command) -> None:
        app = self.kapp
        if command.pane:
            app.action_show_pane(command.pane)
            await app.run_action(command.action, app.pane(command.pane))
        else:
            await app.run_action(command.action)

    def _text(self, command: Command) -> str:
        return f"{command.title}  ({key_label(command.key)})"

    async def discover(self) -> Hits:
        for command in all_commands():
            yield DiscoveryHit(self._text(command), partial(self._run, command), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in all_commands():
            text = self._text(command)
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self._run, command), help=command.help)
