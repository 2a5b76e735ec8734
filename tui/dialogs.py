"""Modal dialogs: confirm, text prompt, choice list, file picker, and a generic form.

The form checks every value as it is typed (type, range, choices) and shows the problem
under the field; it refuses to close with a bad value, so what it returns is always valid.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DirectoryTree, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from tui.plain import plain


class ConfirmDialog(ModalScreen[str]):
    """A question with buttons; returns the chosen button's id ("cancel" on Escape)."""

    BINDINGS = [Binding("escape", "choose('cancel')", "Cancel")]

    def __init__(self, question: str, choices: Sequence[tuple[str, str]] = (("yes", "Yes"), ("cancel", "Cancel"))) -> None:
        super().__init__()
        self.question = question
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.question), classes="dialog-text")  # run ids in it are shown as they are
            with Horizontal(classes="dialog-buttons"):
                for i, (key, label) in enumerate(self.choices):
                    yield Button(label, id=f"choice-{key}", variant="primary" if i == 0 else "default", compact=True)

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(str(event.button.id).removeprefix("choice-"))

    def action_choose(self, key: str) -> None:
        self.dismiss(key)


class TextPrompt(ModalScreen[str | None]):
    """One line of text; Enter returns it, Escape returns None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "", help: str = "") -> None:
        super().__init__()
        self.title_text, self.value, self.placeholder, self.help = title, value, placeholder, help

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")
            if self.help:
                yield Static(self.help, classes="help")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of a list (Enter); Escape returns None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, options: Iterable[tuple[str, str | Text]], selected: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.options = list(options)
        self.selected = selected

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield OptionList(*[Option(plain(prompt), id=key) for key, prompt in self.options], id="choices")
            yield Static("Enter choose · Esc cancel", classes="help")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.selected is not None:
            try:
                options.highlighted = options.get_option_index(self.selected)
            except Exception:  # an unknown id: keep the first highlighted
                options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


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


# ---------------------------------------------------------------------------------------
# The generic form


class OnOff(Checkbox):
    """A checkbox that says its state in words: "[x] on" or "[ ] off" after its label
    (Textual's box looks nearly the same on and off in some themes)."""

    def __init__(self, label: str, value: bool = False, **kwargs: Any) -> None:
        self.base_label = label
        super().__init__(self._text(label, value), value, **kwargs)
        self.set_class(value, "-on")

    @staticmethod
    def _text(label: str, value: bool) -> Text:
        return Text.assemble(("[x] on " if value else "[ ] off", "bold" if value else "dim"), "  ", label)

    def watch_value(self) -> None:
        value = self.value
        self.label = self._text(self.base_label, value)
        self.set_class(value, "-on")


@dataclass
class Field:
    """One value of a form. kind: int, float, str, bool, choice, toml (an inline TOML value)."""

    name: str
    kind: str = "str"
    value: Any = None
    default: Any = None
    choices: Sequence[Any] = ()
    min: float | None = None
    max: float | None = None
    help: str = ""
    optional: bool = True  # empty input means "the default"
    label: str = ""
    # Shown only while these other fields of the form hold one of these values
    # ({"kind": ("ngrams",)}); a hidden field is left out of the values.
    when: dict[str, tuple[Any, ...]] = dataclass_field(default_factory=dict)

    def describe(self) -> str:
        bits = [self.kind if self.kind != "choice" else "one of " + ", ".join(map(str, self.choices))]
        if self.default not in (None, ""):
            bits.append(f"default {self.default}")
        if self.min is not None and self.max is not None:
            bits.append(f"range {self.min}..{self.max}")
        elif self.min is not None:
            bits.append(f">= {self.min}")
        elif self.max is not None:
            bits.append(f"<= {self.max}")
        return " · ".join(bits)


def parse_field(f: Field, raw: Any) -> Any:
    """The typed value of a field's raw widget value; raises ValueError naming the problem."""
    if f.kind == "bool":
        return bool(raw)
    if f.kind == "choice":
        if raw is Select.BLANK or raw is None:
            if f.optional:
                return None
            raise ValueError("choose one")
        return raw
    text = str(raw).strip()
    if not text:
        if f.optional:
            return None
        raise ValueError("a value is needed")
    if f.kind == "int":
        try:
            value: Any = int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    elif f.kind == "float":
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if value != value:
            raise ValueError("NaN is not allowed")
    elif f.kind == "toml":
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"not a TOML value ({exc})") from None
    else:
        value = text
    if f.kind in ("int", "float"):
        if f.min is not None and value < f.min:
            raise ValueError(f"must be at least {f.min}")
        if f.max is not None and value > f.max:
            raise ValueError(f"must be at most {f.max}")
    return value


def _widget_id(name: str) -> str:
    return "field-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def _toml_text(value: Any) -> str:
    """An inline TOML value (a wrapped layer's table, a list, a scalar)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_text(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_text(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


class FormDialog(ModalScreen[dict[str, Any] | None]):
    """Edit a list of Fields. Ctrl+S (or Enter in a field) applies; Escape cancels.

    Returns {name: value} (None for an empty optional field) only when every value is valid;
    `check(values) -> str` may add a whole-form check (its message is shown, nothing closes).
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Apply"),
    ]

    def __init__(self, title: str, fields: Sequence[Field], note: str = "", check: Callable[[dict[str, Any]], str] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.fields = list(fields)
        self.note = note
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide dialog-tall"):
            yield Label(plain(self.title_text), classes="dialog-title")
            # The keys go above the fields: an open Select's list drops over what is below
            # it (and is pushed up only as far as the screen's bottom edge needs).
            yield Static("Tab next field · Enter or Ctrl+S apply · Esc cancel", id="form-hint", classes="help")
            if self.note:
                yield Static(self.note, classes="help")
            with VerticalScroll(id="form-fields"):
                for f in self.fields:
                    yield from self.compose_field(f)
            yield Static("", id="form-error", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", id="apply", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def compose_field(self, f: Field) -> ComposeResult:
        wid = _widget_id(f.name)
        with Vertical(classes="field", id=f"{wid}-box"):
            if f.kind == "bool":
                yield OnOff(f"{f.label or f.name}  ({f.describe()})", bool(f.value if f.value is not None else f.default), id=wid, compact=True)
            else:
                yield Label(Text.assemble((f.label or f.name, "bold"), ("  " + f.describe(), "dim")))
                if f.kind == "choice":
                    options = [(str(c) if c != "" else "(none)", c) for c in f.choices]
                    value = f.value if f.value in f.choices else (f.default if f.default in f.choices else Select.BLANK)
                    yield Select(options, value=value, allow_blank=f.optional or value is Select.BLANK, id=wid, compact=True)
                else:
                    if f.value is None:
                        text = ""
                    elif f.kind == "toml":
                        text = _toml_text(f.value)
                    else:
                        text = str(f.value)
                    placeholder = f"default: {f.default}" if f.default not in (None, "") else ""
                    yield Input(text, placeholder=placeholder, id=wid, compact=True)
            yield Static(f.help, classes="help field-help")
            yield Static("", classes="error field-error", id=f"{wid}-error")

    def on_mount(self) -> None:
        self.show_when()
        self.focus_first()

    def show_when(self) -> None:
        """Show each field whose `when` holds for the values the form has now."""
        for f in self.fields:
            if f.when:
                shown = all(self.field_widget(k).value in v for k, v in f.when.items())
                self.query_one(f"#{_widget_id(f.name)}-box").display = shown

    def focus_first(self) -> None:
        """The first field has the focus (at once: keys typed next go there)."""
        widgets = self.query("#form-fields Input, #form-fields Select, #form-fields Checkbox")
        self.set_focus(widgets.first() if widgets else self.query_one("#apply", Button), scroll_visible=False)
        self.query_one("#form-fields", VerticalScroll).scroll_home(animate=False)

    def reload(self, fields: Sequence[Field]) -> None:
        """Show new values in the fields of a dialog built before (same names and kinds):
        a reused dialog opens at once, with no widgets to build."""
        before = {f.name: f for f in self.fields}
        self.fields = list(fields)
        for f in self.fields:
            # Only what differs is set: each change costs a message and a validation.
            widget = self.field_widget(f.name)
            if f.kind == "bool":
                value: Any = bool(f.value if f.value is not None else f.default)
            elif f.kind == "choice":
                old = before.get(f.name)
                if old is None or tuple(old.choices) != tuple(f.choices):
                    widget.set_options([(str(c) if c != "" else "(none)", c) for c in f.choices])
                value = f.value if f.value in f.choices else (f.default if f.default in f.choices else Select.BLANK)
            elif f.value is None:
                value = ""
            else:
                value = _toml_text(f.value) if f.kind == "toml" else str(f.value)
            if widget.value != value:
                widget.value = value
            if before.get(f.name) is None or before[f.name].help != f.help:
                self.query_one(f"#{_widget_id(f.name)}-box .field-help", Static).update(f.help)
            box = self.query_one(f"#{_widget_id(f.name)}-error", Static)
            if box.display:
                box.update("")
                box.display = False
                widget.set_class(False, "-invalid")
        self.query_one("#form-error", Static).update("")
        self.show_when()
        self.focus_first()

    def field_widget(self, name: str) -> Any:
        return self.query_one(f"#{_widget_id(name)}")

    def raw_value(self, f: Field) -> Any:
        return self.field_widget(f.name).value

    def validate_field(self, f: Field) -> tuple[Any, str]:
        error = ""
        value = None
        try:
            value = parse_field(f, self.raw_value(f))
        except ValueError as exc:
            error = str(exc)
        box = self.query_one(f"#{_widget_id(f.name)}-error", Static)
        box.update(error)
        box.display = bool(error)
        self.field_widget(f.name).set_class(bool(error), "-invalid")
        return value, error

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Select.Changed) -> None:
        for f in self.fields:
            if event.control.id == _widget_id(f.name):
                self.validate_field(f)
                self.show_when()
                self.field_changed(f.name)

    def field_changed(self, name: str) -> None:
        """Hook for subclasses (show or hide fields)."""

    def visible_fields(self) -> list[Field]:
        return [f for f in self.fields if self.query_one(f"#{_widget_id(f.name)}-box").display]

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()

    def action_submit(self) -> None:
        values: dict[str, Any] = {}
        bad = None
        for f in self.visible_fields():
            value, error = self.validate_field(f)
            if error and bad is None:
                bad = f
            values[f.name] = value
        if bad is not None:
            self.query_one("#form-error", Static).update(f"{bad.name}: fix the value first.")
            self.field_widget(bad.name).focus()
            return
        if self.check is not None:
            message = self.check(values)
            if message:
                self.query_one("#form-error", Static).update(message)
                return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)


def push_form(app: Any, name: str, title: str, fields: Sequence[Field], callback: Callable[[dict[str, Any] | None], None], *, note: str = "", check: Callable[[dict[str, Any]], str] | None = None) -> None:
    """Show a FormDialog built once and kept (installed as `name`): later opens refill it with
    `fields` (the same names and kinds each time) instead of building its widgets again, so
    it is up at once, as the Data source dialog."""
    if app.is_screen_installed(name):
        dialog = app.get_screen(name)
        dialog.check = check
        dialog.reload(fields)
    else:
        app.install_screen(FormDialog(title, fields, note=note, check=check), name)
    app.push_screen(name, callback)
