"""Form fields derived from the settings' declarations (engine.SETTINGS): a dialog names the
setting paths it edits, and gets their fields (type, default, choices or range, help, when
they show) and the applier that writes the form's values back.

How a type shows in a form, decided here once: a choice whose default "" means "decide for
me" (data.format) offers "auto"; true/false/unset (data.header) is auto/yes/no; a count whose
0 means "all" (data.limit) is empty for 0; a list of choices (data.clean) is one switch per
choice, `clean_html`; a list of strings is one comma-separated line; a table of strings
(data.files) is `key=value` pairs.
"""

from __future__ import annotations

from typing import Any

from engine import (
    SETTINGS,
    Experiment,
    ExperimentError,
    Setting,
    check_experiment,
    get_setting,
    set_setting,
)
from tui.dialogs import Field

_BY_PATH = {s.path: s for s in SETTINGS}
# The settings a declaration's "applies when" names, by the form field that holds them.
_CONDITIONS = {"data.source": "sources", "vectorize.kind": "kinds"}
AUTO = "auto"
TRISTATE = {None: AUTO, True: "yes", False: "no"}  # a bool | None setting's choices


def field_name(path: str) -> str:
    """A setting's field in a form: its last name (each form's are distinct)."""
    return path.rsplit(".", 1)[-1]


def _label(s: Setting) -> str:
    return s.label or s.name.replace("_", " ")


def spec_field(s: Setting, exp: Experiment, paths: tuple[str, ...]) -> list[Field]:
    """The field (a list of choices: the fields) of one setting, with `exp`'s value."""
    value = get_setting(exp, s.path)
    hint = s.type_name
    name = field_name(s.path)
    when = {}
    for path, attr in _CONDITIONS.items():
        allowed = getattr(s, attr)
        if allowed:
            if path not in paths:  # a form shows a field only with what decides it
                raise ValueError(f"{s.path} depends on {path}, which the form lacks")
            when[field_name(path)] = allowed
    common: dict[str, Any] = {"help": s.help, "label": _label(s), "when": when}
    if hint.startswith("list"):
        if s.choices:
            return [Field(f"{name}_{c}", "bool", c in value, False, help=s.help, label=f"{name}: {c}", when=when) for c in s.choices]
        common["help"] = f"{s.help} (comma-separated)"
        return [Field(name, "str", ", ".join(value), ", ".join(s.default), optional=False, **common)]
    if hint.startswith("dict"):
        return [Field(name, "str", ", ".join(f"{k}={v}" for k, v in value.items()), "", **common)]
    if hint == "bool | None":
        return [Field(name, "choice", TRISTATE[value], AUTO, tuple(TRISTATE.values()), optional=False, **common)]
    if hint == "str | int":  # a column: the dialog offers the file's columns once it has read them
        return [Field(name, "choice", value, "", ("", *([value] if value != "" else [])), **common)]
    if s.choices and s.default == "":
        return [Field(name, "choice", value or AUTO, AUTO, (AUTO, *s.choices), optional=False, **common)]
    if s.choices:
        return [Field(name, "choice", value, s.default, s.choices, optional=False, **common)]
    if s.examples:  # a free string with usual values: they, and the value it has
        shown = value or s.examples[0]
        return [Field(name, "choice", shown, s.default or s.examples[0], tuple(dict.fromkeys((*s.examples, shown))), optional=False, **common)]
    if hint == "bool":
        return [Field(name, "bool", value, s.default, **common)]
    kind = "int" if hint.startswith("int") else "float" if hint.startswith("float") else "str"
    if s.zero:  # empty stands for 0
        common["help"] = f"{s.help} (empty = {s.zero})"
        return [Field(name, kind, value or None, 0, min=s.low, max=s.high, **common)]
    return [Field(name, kind, value, s.default, min=s.low, max=s.high, optional=s.default in (None, ""), **common)]


def spec_fields(exp: Experiment, paths: tuple[str, ...]) -> list[Field]:
    """The fields of the settings at `paths`, with `exp`'s values."""
    return [f for p in paths for f in spec_field(_BY_PATH[p], exp, paths)]


def pairs(text: str) -> dict[str, str]:
    """`fake=Fake.csv, true=True.csv` as a table; ValueError naming a malformed pair."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        k, _, v = (s.strip() for s in part.partition("="))
        if not k or not v:
            raise ValueError(f"files: {part!r} is not class=file.")
        out[k] = v
    return out


def _value(s: Setting, values: dict[str, Any]) -> tuple[bool, Any]:
    """(whether the form showed the setting, its value as the setting's type)."""
    name = field_name(s.path)
    hint = s.type_name
    if hint.startswith("list") and s.choices:
        if f"{name}_{s.choices[0]}" not in values:
            return False, None
        return True, [c for c in s.choices if values.get(f"{name}_{c}")]
    if name not in values:
        return False, None
    value = values[name]
    if value is None:
        return True, s.default
    if hint.startswith("list"):
        return True, [item.strip() for item in value.split(",") if item.strip()]
    if hint.startswith("dict"):
        return True, pairs(value)
    if hint == "bool | None":
        return True, {v: k for k, v in TRISTATE.items()}[value]
    if s.choices and s.default == "" and value == AUTO:
        return True, ""
    return True, value


def apply_spec_form(exp: Experiment, paths: tuple[str, ...], values: dict[str, Any], reset: bool = False) -> Experiment:
    """A copy of `exp` with the form's values (an empty field: the default); a field the form
    hid keeps its value, or with `reset` (the Data source dialog: another source's options)
    its default. Raises ExperimentError (or ValueError for malformed pairs) as the file's
    check would."""
    new = exp.copy()
    for path in paths:
        s = _BY_PATH[path]
        shown, value = _value(s, values)
        if shown or reset:
            set_setting(new, path, value if shown else s.default, rules=False)
    check_experiment(new)
    return new


def form_problem(exp: Experiment, paths: tuple[str, ...], values: dict[str, Any], reset: bool = False) -> str:
    """The message of the file's check for these values ("" if they pass): one rule, one
    message, in the form as in the file."""
    try:
        apply_spec_form(exp, paths, values, reset)
    except ExperimentError as exc:
        return f"{exc.problem} {exc.fix}".strip()
    except ValueError as exc:
        return str(exc)
    return ""
