"""Messages that fit: every notification is kept in the app's log of messages (the Messages
screen: F7 or the palette's "Messages"), and its toast is small enough for 80×24.

A toast is TOAST_WIDTH columns (app.tcss) and shows at most TOAST_LINES lines of message
under its title; a longer message (a 20-line error once covered the whole Data pane) is
shown whole only in the log, and its toast is its first line, cut, and a line that points
there. At most SHOWN
toasts are on screen: toasts stacked past a third of the screen once hid the newest. Paths
in messages are fitted with tui.shorten to TOAST_TEXT.
"""

from __future__ import annotations

import textwrap
import time
from collections import deque
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Label, RichLog, Static

TOAST_WIDTH = 44  # app.tcss: Toast { width: 44 }
TOAST_TEXT = TOAST_WIDTH - 3  # less its left border and its padding
TOAST_LINES = 3  # message lines a toast shows; a longer message goes to the log
SHOWN = 2  # toasts on screen at once (2 x 4 rows: a third of 24); a third replaces the oldest
KEPT = 500  # messages the log keeps (the oldest go first)
POINTER = "F7 shows the whole message."
STYLES = {"error": "bold red", "warning": "bold yellow", "information": "bold green"}


@dataclass(frozen=True)
class Notice:
    """One notification as it was sent: its whole text."""

    at: float  # time.time()
    title: str
    message: str
    severity: str


def toast_lines(message: str, width: int = TOAST_TEXT) -> list[str]:
    """`message` wrapped as a toast shows it (at spaces; a word longer than a line folds)."""
    lines: list[str] = []
    for paragraph in message.splitlines() or [""]:
        lines.extend(textwrap.wrap(paragraph, width, break_on_hyphens=False) or [""])
    return lines


def toast_text(message: str) -> tuple[str, bool]:
    """What the toast says, and whether the message was too long for it: then its first
    line, cut to fit, above a line that points at the log, where it is whole (a pointer
    alone left the user guessing which message it was)."""
    if len(toast_lines(message)) <= TOAST_LINES:
        return message, False
    first = " ".join(next((line for line in message.splitlines() if line.strip()), "").split())
    room = TOAST_LINES - len(toast_lines(POINTER))
    head = toast_lines(first)
    if len(head) > room:
        head = head[:room]
        head[-1] = head[-1][: TOAST_TEXT - 1].rstrip() + "…"
    return "\n".join([*head, POINTER]), True


class NoticeLog:
    """The app's messages, oldest first, the last KEPT of them."""

    def __init__(self) -> None:
        self.notices: deque[Notice] = deque(maxlen=KEPT)

    def add(self, title: str, message: str, severity: str) -> Notice:
        notice = Notice(time.time(), title, message, str(severity))
        self.notices.append(notice)
        return notice

    def __len__(self) -> int:
        return len(self.notices)


@dataclass(frozen=True)
class Toast:
    """A toast on screen: what it says and until when (time.monotonic())."""

    title: str
    text: str
    severity: str
    until: float


class ToastsShown:
    """The toasts on screen, so that at most SHOWN are: Textual stacks any number, so when
    there are more the app clears them all and shows the newest SHOWN again (`trim`).
    `added` counts toasts, so a trim waits until the toasts sent before it are on screen."""

    def __init__(self) -> None:
        self.toasts: list[Toast] = []
        self.added = 0

    def add(self, toast: Toast, now: float) -> bool:
        """Record `toast`; True when more than SHOWN are now on screen."""
        self.toasts = [*(t for t in self.toasts if t.until > now), toast]
        self.added += 1
        return len(self.toasts) > SHOWN

    def trim(self, now: float) -> list[Toast]:
        """The newest SHOWN toasts still due, which are all that stay on screen."""
        self.toasts = [t for t in self.toasts if t.until > now][-SHOWN:]
        return self.toasts


def notice_text(notice: Notice) -> Text:
    """A notice as the Messages screen shows it: time, severity and title, then the message."""
    head = Text.assemble((time.strftime("%H:%M:%S", time.localtime(notice.at)), "dim"), " ", (notice.severity, STYLES.get(notice.severity, "bold")))
    if notice.title:
        head.append(f"  {notice.title}", style="bold")
    return Text.assemble(head, "\n", notice.message, "\n")


class MessagesScreen(Screen[None]):
    """Every message the app gave, whole, newest last (the toasts' fuller version)."""

    BINDINGS = [Binding("escape,f7,q", "close", "Close")]

    def __init__(self, log: NoticeLog) -> None:
        super().__init__()
        self.notice_log = log

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide dialog-tall", id="messages"):
            yield Label("Messages", classes="dialog-title")
            yield RichLog(id="messages-log", wrap=True, markup=False, auto_scroll=True)
            yield Static("Newest last · ↑/↓ PgUp/PgDn scroll · Esc closes", classes="help")

    def on_mount(self) -> None:
        log = self.query_one("#messages-log", RichLog)
        if not self.notice_log.notices:
            log.write(Text("No messages yet.", style="dim"))
        for notice in self.notice_log.notices:
            log.write(notice_text(notice))
        log.focus()

    def action_close(self) -> None:
        self.dismiss(None)
