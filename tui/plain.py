"""Text from files (run ids, paths, names, messages) as the app shows it: a Rich Text, so
never read as markup (a run named `[bold]x` or `[/]` shows as it is), with its control
characters escaped by engine.terminal_text (an ESC sequence never reaches the terminal)."""

from __future__ import annotations

from rich.text import Text

from engine import printable


def plain(text: object, style: str = "") -> Text:
    """`text` as a Text shown literally, control characters escaped."""
    return text if isinstance(text, Text) else Text(printable(str(text)), style=style)


__all__ = ["plain", "printable"]
