"""The file picker: type a path or pick one in a directory tree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label, Static

from tui.plain import plain


class _Tree(DirectoryTree):
    def __init__(self, path: Path, suffixes: Sequence[str], id: str | None = None) -> None:
        self.suffixes = tuple(s.lower() for s in suffixes)
        super().__init__(path, id=id)

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        out = []
        for p in paths:
            if p.name.startswith("."):
                continue
            if not self.suffixes or p.is_dir() or p.suffix.lower() in self.suffixes:
                out.append(p)
        return out


class FilePicker(ModalScreen[Path | None]):
    """Type a path or pick one in a directory tree. Enter on a file (or, for folders, on the
    typed path) returns it; Backspace in the tree goes up a folder; Escape cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+u", "up", "Parent folder"),
        Binding("ctrl+l", "focus_path", "Type path"),
    ]

    def __init__(self, title: str, start: Path | None = None, *, folders: bool = False, suffixes: Sequence[str] = ()) -> None:
        super().__init__()
        self.title_text = title
        start = (start or Path.cwd()).expanduser()
        self.root = start if start.is_dir() else (start.parent if start.parent.is_dir() else Path.cwd())
        self.start = start
        self.folders = folders
        self.suffixes = suffixes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide dialog-tall"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Input(str(self.start), id="picker-path", placeholder="a path; Enter to choose it")
            yield _Tree(self.root, self.suffixes, id="picker-tree")
            what = "folder" if self.folders else "file"
            yield Static(f"Enter on a {what} chooses it · Ctrl+U parent folder · Ctrl+L type a path · Esc cancel", classes="help")

    def on_mount(self) -> None:
        self.query_one(_Tree).focus()

    @on(DirectoryTree.FileSelected)
    def _file(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        if not self.folders:
            self.dismiss(Path(event.path))

    @on(DirectoryTree.DirectorySelected)
    def _dir(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        self.query_one("#picker-path", Input).value = str(event.path)

    @on(Input.Submitted, "#picker-path")
    def _typed(self, event: Input.Submitted) -> None:
        path = Path(event.value).expanduser()
        if not event.value.strip():
            return
        if path.is_dir() and not self.folders:
            self.query_one(_Tree).path = path
            return
        self.dismiss(path)

    def action_up(self) -> None:
        tree = self.query_one(_Tree)
        tree.path = Path(tree.path).resolve().parent
        self.query_one("#picker-path", Input).value = str(tree.path)

    def action_focus_path(self) -> None:
        self.query_one("#picker-path", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
