"""The generic form: a modal dialog that edits a list of Fields.

The form checks every value as it is typed (type, range, choices) and shows the problem
under the field; it refuses to close with a bad value, so what it returns is always valid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tui.dialogs.fields import Field, OnOff, parse_field, toml_text, widget_id
from tui.dialogs.styled import StyledOnce
from tui.plain import plain


class FormDialog(StyledOnce, ModalScreen[dict[str, Any] | None]):
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
        wid = widget_id(f.name)
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
                        text = toml_text(f.value)
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
                self.query_one(f"#{widget_id(f.name)}-box").display = shown

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
                value = toml_text(f.value) if f.kind == "toml" else str(f.value)
            if widget.value != value:
                widget.value = value
            if before.get(f.name) is None or before[f.name].help != f.help:
                self.query_one(f"#{widget_id(f.name)}-box .field-help", Static).update(f.help)
            box = self.query_one(f"#{widget_id(f.name)}-error", Static)
            if box.display:
                box.update("")
                box.display = False
                widget.set_class(False, "-invalid")
        self.query_one("#form-error", Static).update("")
        self.show_when()
        self.focus_first()

    def field_widget(self, name: str) -> Any:
        return self.query_one(f"#{widget_id(name)}")

    def raw_value(self, f: Field) -> Any:
        return self.field_widget(f.name).value

    def validate_field(self, f: Field) -> tuple[Any, str]:
        error = ""
        value = None
        try:
            value = parse_field(f, self.raw_value(f))
        except ValueError as exc:
            error = str(exc)
        box = self.query_one(f"#{widget_id(f.name)}-error", Static)
        box.update(error)
        box.display = bool(error)
        self.field_widget(f.name).set_class(bool(error), "-invalid")
        return value, error

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Select.Changed) -> None:
        for f in self.fields:
            if event.control.id == widget_id(f.name):
                self.validate_field(f)
                self.show_when()
                self.field_changed(f.name)

    def field_changed(self, name: str) -> None:
        """Hook for subclasses (show or hide fields)."""

    def visible_fields(self) -> list[Field]:
        return [f for f in self.fields if self.query_one(f"#{widget_id(f.name)}-box").display]

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
