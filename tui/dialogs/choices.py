"""Small modal dialogs: a question with buttons (AgainDialog: the same key again answers it),
one line of text, a whole number, a choice from a list."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, OptionList, Static
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


class AgainDialog(ConfirmDialog):
    """A ConfirmDialog that the key which opened it, pressed again within `within_s`
    seconds, answers with `choice` (`x` then `x` stops a run without reading the question)."""

    def __init__(self, question: str, choices: Sequence[tuple[str, str]], key: str, choice: str, within_s: float) -> None:
        super().__init__(question, choices)
        self.again_key, self.again_choice, self.within_s = key, choice, within_s
        self.opened = time.monotonic()

    def on_key(self, event: events.Key) -> None:
        if event.key == self.again_key and time.monotonic() - self.opened <= self.within_s:
            event.stop()
            self.dismiss(self.again_choice)


class NumberPrompt(ModalScreen[int | None]):
    """A whole number from `minimum` to `maximum`; Enter returns it, Escape returns None.
    A value out of range or not a number is said under the field, and the dialog stays."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: int, minimum: int = 1, maximum: int = 100_000, help: str = "") -> None:
        super().__init__()
        self.title_text, self.value, self.minimum, self.maximum, self.help = title, value, minimum, maximum, help

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Input(str(self.value), type="integer", id="prompt-input")
            yield Static("", id="prompt-problem", classes="error")
            if self.help:
                yield Static(self.help, classes="help")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        number = int(text) if text.lstrip("-").isdigit() else None
        if number is None or not self.minimum <= number <= self.maximum:
            self.query_one("#prompt-problem", Static).update(f"A whole number from {self.minimum} to {self.maximum:,}.")
            return
        self.dismiss(number)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextPrompt(ModalScreen[str | None]):
    """One line of text; Enter returns it, Escape returns None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "", help: str = "", suggester: Suggester | None = None) -> None:
        super().__init__()
        self.title_text, self.value, self.placeholder, self.help = title, value, placeholder, help
        self.suggester = suggester  # completions shown inline (Right takes one)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input", suggester=self.suggester)
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
