"""Completion of a filter expression (the Runs pane's `/` line): the last term's field from
the declarations (run fields, best.METRIC of the metrics the runs have, every setting's
path, layers.N.PARAM of the layers the runs have), and after its operator the values: a
setting's declared choices, true/false, the statuses, else the values the runs hold.

`complete(text, summaries)` returns whole lines that start with `text`, the likeliest
first; the UI shows the first inline and the others from term_start() on, as a hint.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable
from typing import Any

from engine.errors import ExperimentError
from engine.runs.query import RUN_FIELDS, Summary, format_value
from engine.runs.status import Status

_TERM = re.compile(r"([A-Za-z_][\w.]*)(<=|>=|!=|=|<|>|~)(.*)", re.S)
_OWN_VALUES = ("name", "experiment", "tags", "data", "preset", "status", "epochs")  # fields worth offering values of
LIMIT = 50  # candidates at most (a hint line shows a few)


def term_start(text: str) -> int:
    """Where the part being completed starts: the last term's value after its operator, or
    the last term itself (len(text) after a space: a new term)."""
    start = len(text) - len(re.split(r"\s", text)[-1])
    m = _TERM.fullmatch(text[start:])
    return start + m.start(3) if m else start


def complete(text: str, summaries: Iterable[Summary], lazy: bool = False) -> list[str]:
    """Whole lines that complete the last term of `text`, the likeliest first ([] when there
    is nothing to add: an empty term, an open quote, a field that names nothing). `lazy`:
    take settings' values only from runs whose experiment was read already (a keystroke
    never reads 500 files)."""
    start = len(text) - len(re.split(r"\s", text)[-1])
    head, term = text[:start], text[start:]
    if not term or term.count('"') % 2:
        return []
    runs = list(summaries)
    m = _TERM.fullmatch(term)
    if m is None:
        fields = [f for f in field_names(runs, lazy) if f.startswith(term)]
        if term in fields:  # a whole field: its first value, after =
            values = value_names(term, runs, lazy)
            return [f"{head}{term}={values[0]}"] if values else []
        return [head + f for f in fields[:LIMIT]]
    name, op, typed = m.group(1), m.group(2), m.group(3)
    bare = typed.lstrip('"')
    out = []
    for value in value_names(name, runs, lazy):
        if value.startswith(bare) and value != bare:
            out.append(f"{head}{name}{op}{_quoted(value) if ' ' in value or typed.startswith(chr(34)) else value}")
    return out[:LIMIT]


def _quoted(value: str) -> str:
    return f'"{value}"'


def field_names(runs: list[Summary], lazy: bool = False) -> list[str]:
    """Every field a filter may name, in the order offered: the run's own fields, best.METRIC
    (validation metrics first), settings paths, then layers.N.PARAM of the runs' layers."""
    from engine import spec

    metrics = sorted({m for s in runs for m in s.best}, key=lambda m: (not m.startswith("val_"), m))
    return [*RUN_FIELDS, *(f"best.{m}" for m in metrics), *spec.paths(), *_layer_fields(runs, lazy)]


def _layer_fields(runs: list[Summary], lazy: bool) -> list[str]:
    from engine.errors import KerminalError
    from engine.layers.registry import layer_info

    kinds: dict[tuple[int, str], None] = {}
    for s in runs:
        if lazy and not s.experiment_read:
            continue
        exp = s.experiment
        for n, layer in enumerate(exp.layers if exp is not None else (), start=1):
            kinds[(n, layer.type)] = None
    out: dict[str, None] = {}
    for n, kind in sorted(kinds):
        out[f"layers.{n}.type"] = None
        try:
            params = layer_info(kind).params
        except KerminalError:  # a type this version does not know: its type only
            continue
        for p in params:
            out[f"layers.{n}.{p.name}"] = None
    return list(out)


def value_names(name: str, runs: list[Summary], lazy: bool = False) -> list[str]:
    """The values offered after `name` and an operator: the declared choices when there are
    any, else the values the runs hold (numbers in order); [] for a metric's best or a name
    that is no field."""
    from engine import spec

    if name.startswith("best.") or name in ("id", "date", "time", "note"):
        return []  # every run has its own
    if name == "status":
        return [str(s) for s in Status]
    if name not in RUN_FIELDS and not name.startswith("layers."):
        try:
            setting = spec.setting(name)
        except ExperimentError:
            return []
        if setting.choices:
            return list(setting.choices)
        if bool in typing.get_args(setting.hint) or setting.hint is bool:
            return ["true", "false"]
    elif name in RUN_FIELDS and name not in _OWN_VALUES:
        return []
    return _held(name, runs, lazy)


def _held(name: str, runs: list[Summary], lazy: bool) -> list[str]:
    """The distinct values the runs hold at `name` (a tag each for tags), numbers in order."""
    setting = name not in RUN_FIELDS
    seen: dict[str, Any] = {}
    for s in runs:
        if setting and lazy and not s.experiment_read:
            continue
        value = s.value(name)
        if value is None or value == "":
            continue
        items = s.info.tags if name == "tags" else [value]
        for item in items:
            seen.setdefault(format_value(item), item)
    numbers = sorted((k for k, v in seen.items() if isinstance(v, (int, float)) and not isinstance(v, bool)), key=lambda k: float(seen[k]))
    texts = sorted(k for k in seen if k not in numbers)
    return [*numbers, *texts]

