"""Form fields derived from the settings' declarations (engine.SETTINGS): a dialog names the
setting paths it edits, and gets their fields (type, default, choices or range, help, when
they show) and the applier that writes the form's values back."""

from __future__ import annotations

from typing import Any

from engine import SETTINGS, Experiment, Setting, get_setting, set_setting
from tui.dialogs import Field

_BY_PATH = {s.path: s for s in SETTINGS}
# The settings a declaration's "applies when" names, by the form field that holds them.
_CONDITIONS = {"data.source": "sources", "vectorize.kind": "kinds"}


def field_name(path: str) -> str:
    """A setting's field in a form: its last name (each form's are distinct)."""
    return path.rsplit(".", 1)[-1]


def spec_field(s: Setting, exp: Experiment, paths: tuple[str, ...]) -> Field:
    value = get_setting(exp, s.path)
    hint = s.type_name
    if hint == "list[str]" and not s.choices:  # compile.metrics: one line, comma-separated
        text = ", ".join(value)
        return Field(field_name(s.path), "str", text, ", ".join(s.default), help=f"{s.help} (comma-separated)", optional=False, label=s.label or s.name)
    if s.choices or s.examples:
        kind = "choice"
    elif hint == "bool":
        kind = "bool"
    elif hint.startswith("int"):
        kind = "int"
    elif hint.startswith("float"):
        kind = "float"
    else:
        kind = "str"
    # A free string with usual values (fit.monitor) offers them, and the value it has.
    choices = s.choices or tuple(dict.fromkeys((*s.examples, value)))
    when = {}
    for path, attr in _CONDITIONS.items():
        allowed = getattr(s, attr)
        if allowed:
            if path not in paths:  # a form shows a field only with what decides it
                raise ValueError(f"{s.path} depends on {path}, which the form lacks")
            when[field_name(path)] = allowed
    return Field(
        field_name(s.path), kind, value, s.default, choices, min=s.low, max=s.high, help=s.help,
        optional=s.default in (None, ""), label=s.label or s.name.replace("_", " "), when=when,
    )


def spec_fields(exp: Experiment, paths: tuple[str, ...]) -> list[Field]:
    """The fields of the settings at `paths`, with `exp`'s values."""
    return [spec_field(_BY_PATH[p], exp, paths) for p in paths]


def apply_spec_form(exp: Experiment, paths: tuple[str, ...], values: dict[str, Any]) -> Experiment:
    """A copy of `exp` with the form's values (None: the default); a field the form hid (not
    in `values`) keeps its value. Raises ExperimentError as the file's check would."""
    new = exp.copy()
    for path in paths:
        name = field_name(path)
        if name in values:
            value = values[name]
            if _BY_PATH[path].type_name == "list[str]" and isinstance(value, str):
                value = [item.strip() for item in value.split(",") if item.strip()]
            set_setting(new, path, _BY_PATH[path].default if value is None else value)
    return new


def form_problem(exp: Experiment, paths: tuple[str, ...], values: dict[str, Any]) -> str:
    """The message of the file's check for these values ("" if they pass): one rule, one
    message, in the form as in the file."""
    from engine import ExperimentError

    try:
        apply_spec_form(exp, paths, values)
    except ExperimentError as exc:
        return f"{exc.problem} {exc.fix}".strip()
    return ""
