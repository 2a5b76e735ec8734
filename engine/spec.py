"""Settings by path: `get(exp, "vectorize.ngrams")`, `set(exp, "layers.2.units", 64)`, and
the reference of every setting that `kerminal settings` prints.

The declarations are engine.config's (`SETTINGS`, `RULES`); a layer's parameter
(`layers.N.param`, N from 1 as in the file's error messages) is the layer registry's. A bad
path lists the valid ones with the closest first; a bad value gets the message the
experiment file's check gives for it.
"""

from __future__ import annotations

import difflib
from typing import Any

from engine.config import BY_PATH, RULES, SETTINGS, Rule, Setting, check, convert
from engine.errors import ExperimentError
from engine.layers.registry import check_param, layer_info

__all__ = ["RULES", "SETTINGS", "Rule", "Setting", "applies", "check", "describe", "get", "paths", "set", "setting"]


def paths() -> list[str]:
    """Every setting's path, in the file's order (layers.N.param not included)."""
    return [s.path for s in SETTINGS]


def setting(path: str) -> Setting:
    """The declaration at `path`; ExperimentError listing the valid paths if none."""
    found = BY_PATH.get(path)
    if found is None:
        raise _unknown(path)
    return found


def _unknown(path: str) -> ExperimentError:
    close = difflib.get_close_matches(path, paths(), n=1, cutoff=0.6)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    return ExperimentError(f"{path!r} is not a setting.", f"{hint}Valid paths: {', '.join(paths())}, or layers.N.PARAM (`kerminal settings` lists them).")


def applies(exp: Any, path: str) -> bool:
    """Whether the setting at `path` is used with `exp`'s data source and vectorizer kind."""
    return setting(path).applies(exp.data.source, exp.vectorize.kind)


def get(exp: Any, path: str) -> Any:
    """The value at `path` (a layer parameter left out of the file: its default)."""
    if path.startswith("layers."):
        layer, name = _layer(exp, path)
        if name == "type":
            return layer.type
        param = layer_info(layer.type).param(name)
        if param is None:
            raise ExperimentError(f"{path}: {check_param(layer.type, name, None)}", "`kerminal settings` lists the settings; the layer editor lists a layer's parameters.")
        return layer.params.get(name, param.default)
    value = exp
    for part in setting(path).path.split("."):
        value = getattr(value, part)
    return value


def set(exp: Any, path: str, value: Any, rules: bool = True) -> None:  # noqa: A001 - spec.set, as sweeps say it
    """Set the value at `path` in place, checked as the experiment file checks it (its type,
    its choices or range, then the rules across settings); nothing changes on an error.
    `rules=False` leaves the rules to a `check` once several settings are set (a form)."""
    if path.startswith("layers."):
        layer, name = _layer(exp, path)
        problem = check_param(layer.type, name, value)
        if problem:
            raise ExperimentError(f"{path}: {problem}", "Give a value the layer takes (the layer editor shows its range).")
        layer.params[name] = value
        return
    s = setting(path)
    value = convert(s.hint, value, path)
    s.check(value)
    *parents, name = path.split(".")
    owner = exp
    for part in parents:
        owner = getattr(owner, part)
    before = getattr(owner, name)
    setattr(owner, name, value)
    if not rules:
        return
    try:
        for rule in RULES:
            rule.check(exp)
    except ExperimentError:
        setattr(owner, name, before)
        raise


def _layer(exp: Any, path: str) -> tuple[Any, str]:
    parts = path.split(".")
    count = len(exp.layers)
    if len(parts) != 3 or not parts[1].isdigit():
        raise ExperimentError(f"{path!r} is not a layer setting.", "Write layers.N.PARAM, e.g. layers.2.units (N counts from 1).")
    index = int(parts[1])
    if not 1 <= index <= count:
        raise ExperimentError(f"{path}: there is no layer {index}; the stack has {count}.", f"Use a layer number from 1 to {count}." if count else "Add a layer first.")
    return exp.layers[index - 1], parts[2]


def describe(s: Setting) -> dict[str, Any]:
    """One setting as `kerminal settings --json` prints it."""
    applies_when = {}
    if s.sources:
        applies_when["data.source"] = list(s.sources)
    if s.kinds:
        applies_when["vectorize.kind"] = list(s.kinds)
    out: dict[str, Any] = {"path": s.path, "type": s.type_name, "default": s.default}
    if s.choices:
        out["choices"] = list(s.choices)
    if s.examples:
        out["examples"] = list(s.examples)
    if s.low is not None or s.high is not None:
        out["range"] = [s.low, s.high]
    if s.unit:
        out["unit"] = s.unit
    out["help"] = f"{s.help} (0 = {s.zero})" if s.zero else s.help
    out["applies_when"] = applies_when
    return out

