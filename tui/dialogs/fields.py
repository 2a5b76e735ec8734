"""A form's values: `Field` (what one value is: kind, default, range, choices, help, when it
shows), `parse_field` (a widget's raw value as that kind, or the problem), and the widgets'
ids and texts the form builds from them."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from rich.text import Text
from textual.widgets import Checkbox, Select


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


def widget_id(name: str) -> str:
    return "field-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def toml_text(value: Any) -> str:
    """An inline TOML value (a wrapped layer's table, a list, a scalar)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_text(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_text(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)
