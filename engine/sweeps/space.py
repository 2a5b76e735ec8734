"""The search space of a sweep: `--param PATH=SPEC`, checked against the declarations.

SPEC is a list (`16,32,64`, `adam,rmsprop`), or a range `LOW..HIGH` with `:log` (sampled on
a log scale) or `:step=X` (a grid of steps). PATH is a declared setting (engine.config's
SETTINGS) or a parameter of one of the experiment's layers (`layers.2.units`, N from 1).
Every value a trial could get is checked here, through engine.spec, before anything starts:
a sweep that fails at trial 17 over a typo is the worst kind of failure. Optuna is imported
only where a distribution is built.
"""

from __future__ import annotations

import copy
import difflib
import math
from dataclasses import dataclass, field
from typing import Any

from engine import spec
from engine.errors import ExperimentError, KerminalError
from engine.layers.registry import layer_info

GRID_LIMIT = 10_000  # a grid sweep larger than this is refused unless --yes


class SweepError(KerminalError):
    """A sweep cannot be set up or run: a bad --param, a storage that does not answer."""


@dataclass(frozen=True)
class Sweepable:
    """A setting a sweep can search: its path, value type and declared bounds."""

    path: str
    type: str  # "int" | "float" | "bool" | "str"
    default: Any
    choices: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Param:
    """One searched setting: a list of values, or a range (log-scaled, or in steps)."""

    path: str
    type: str  # the declaration's: "int" | "float" | "bool" | "str"
    choices: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None

    def distribution(self) -> Any:
        import optuna.distributions as d

        if self.choices:
            return d.CategoricalDistribution(list(self.choices))
        assert self.low is not None and self.high is not None
        if self.type == "int":
            return d.IntDistribution(int(self.low), int(self.high), log=self.log, step=int(self.step or 1))
        return d.FloatDistribution(self.low, self.high, log=self.log, step=self.step)

    def grid(self) -> list[Any] | None:
        """Every value, for the grid sampler; None for a continuous range."""
        if self.choices:
            return list(self.choices)
        assert self.low is not None and self.high is not None
        if self.type == "int":
            return list(range(int(self.low), int(self.high) + 1, int(self.step or 1)))
        if self.step is None:
            return None
        n = int(math.floor((self.high - self.low) / self.step + 1e-9))
        return [round(self.low + i * self.step, 12) for i in range(n + 1)]

    def text(self) -> str:
        if self.choices:
            return ",".join(str(c) for c in self.choices)
        tail = ":log" if self.log else f":step={self.step:g}" if self.step else ""
        return f"{self.low:g}..{self.high:g}{tail}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "type": self.type, "choices": list(self.choices), "low": self.low, "high": self.high, "log": self.log, "step": self.step}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Param:
        return cls(raw["path"], raw["type"], tuple(raw.get("choices") or ()), raw.get("low"), raw.get("high"), bool(raw.get("log")), raw.get("step"))


@dataclass
class Space:
    params: list[Param] = field(default_factory=list)

    def grid(self) -> dict[str, list[Any]]:
        out = {}
        for p in self.params:
            values = p.grid()
            if values is None:
                raise SweepError(f"--sampler grid: {p.path}={p.text()} is a continuous range, which has no grid.", f"Give it a list (a,b,c) or steps ({p.text().split(':')[0]}:step=X), or use --sampler tpe.")
            out[p.path] = values
        return out

    def grid_size(self) -> int:
        return math.prod(len(v) for v in self.grid().values())


def _setting_type(hint: Any) -> str:
    import types
    import typing

    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = options[0] if len(options) == 1 else None
    return {int: "int", float: "float", bool: "bool", str: "str"}.get(hint, "")


_LAYER_TYPES = {"int": "int", "float": "float", "bool": "bool", "choice": "str", "activation": "str"}


def sweepable(exp: Any) -> list[Sweepable]:
    """Every setting of `exp` a sweep can search, in the file's order: the declared ones
    that apply to its data source and vectorizer kind, then its layers' parameters."""
    out = []
    for s in spec.SETTINGS:
        kind = _setting_type(s.hint)
        if kind and s.sweepable and s.applies(exp.data.source, exp.vectorize.kind) and (kind != "str" or s.choices):
            out.append(Sweepable(s.path, kind, s.default, tuple(s.choices), s.low, s.high))
    for i, layer in enumerate(exp.layers, 1):
        info = _layer_info(layer.type)
        for p in info.params if info else ():
            kind = _LAYER_TYPES.get(p.kind, "")
            if kind:
                out.append(Sweepable(f"layers.{i}.{p.name}", kind, layer.params.get(p.name, p.default), tuple(p.choices), p.min, p.max))
    return out


def _layer_info(name: str) -> Any:
    try:
        return layer_info(name)
    except KerminalError:
        return None


def parse(text: str, exp: Any) -> Param:
    """`PATH=SPEC` as a Param of `exp`, every value it allows checked; SweepError otherwise."""
    path, eq, raw = text.partition("=")
    path, raw = path.strip(), raw.strip()
    if not eq or not path or not raw:
        raise SweepError(f"--param {text!r}: expected PATH=SPEC.", "Write e.g. --param compile.learning_rate=1e-4..1e-2:log or --param layers.2.units=16,32,64.")
    known = {s.path: s for s in sweepable(exp)}
    target = known.get(path)
    if target is None:
        close = difflib.get_close_matches(path, list(known), n=1, cutoff=0.6)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        why = _why_not(exp, path)
        raise SweepError(f"--param {path}: {why}", f"{hint}Sweepable here: {', '.join(known)}.")
    if ".." in raw:
        param = _range(path, target.type, raw)
        _check(exp, param, [param.low, param.high])
    else:
        values = tuple(_value(path, target.type, item.strip()) for item in raw.split(","))
        if len(set(values)) != len(values):
            raise SweepError(f"--param {path}={raw}: a value is listed twice.", "List each value once.")
        param = Param(path, target.type, choices=values)
        _check(exp, param, list(values))
    return param


def _why_not(exp: Any, path: str) -> str:
    if path.startswith("layers."):
        try:
            spec.get(exp, path)
        except ExperimentError as exc:
            return exc.problem
        return "that layer parameter cannot be swept (not a number, choice or switch)."
    if path in spec.paths():
        s = spec.setting(path)
        if not s.sweepable:
            return "trials must share that setting to be compared (the data, its split and the monitored metric); make a sweep for each value instead."
        if not s.applies(exp.data.source, exp.vectorize.kind):
            return f"that setting is not used with data.source {exp.data.source!r} and vectorize.kind {exp.vectorize.kind!r}."
        return "that setting cannot be swept (not a number, choice or switch)."
    return "not a setting of this experiment."


def _number(path: str, kind: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SweepError(f"--param {path}: {raw!r} is not a number.", f"{path} is {'an integer' if kind == 'int' else 'a number'}: write e.g. 1..8 or 1e-4..1e-2.") from None
    if not math.isfinite(value):
        raise SweepError(f"--param {path}: {raw!r} is not a finite number.", "Give finite bounds.")
    if kind == "int" and not value.is_integer():
        raise SweepError(f"--param {path}: {raw!r} is not a whole number, and {path} is an integer.", "Give whole numbers, e.g. 16..128:step=16.")
    return value


def _range(path: str, kind: str, raw: str) -> Param:
    if kind not in ("int", "float"):
        raise SweepError(f"--param {path}={raw}: {path} is a {kind}, which has no range.", "List its values instead, e.g. a,b,c.")
    bounds, _, option = raw.partition(":")
    low_text, _, high_text = bounds.partition("..")
    low, high = _number(path, kind, low_text.strip()), _number(path, kind, high_text.strip())
    if low > high:
        raise SweepError(f"--param {path}={raw}: the low end {low:g} is above the high end {high:g}.", f"Write it as {high:g}..{low:g}.")
    log, step = False, None
    option = option.strip()
    if option == "log":
        if low <= 0:
            raise SweepError(f"--param {path}={raw}: a log range cannot touch 0 or go below it (its low end is {low:g}).", f"Start it above 0, e.g. {max(high, 1.0) * 1e-3:g}..{high:g}:log, or drop :log.")
        log = True
    elif option.startswith("step="):
        step = _number(path, kind, option[5:].strip())
        if step <= 0:
            raise SweepError(f"--param {path}={raw}: the step must be above 0.", "Write e.g. :step=16.")
    elif option:
        raise SweepError(f"--param {path}={raw}: unknown option {option!r}.", "Use :log or :step=X (or neither).")
    return Param(path, kind, low=low, high=high, log=log, step=step)


def _value(path: str, kind: str, raw: str) -> Any:
    if kind == "int":
        return int(_number(path, kind, raw))
    if kind == "float":
        return _number(path, kind, raw)
    if kind == "bool":
        if raw.lower() not in ("true", "false"):
            raise SweepError(f"--param {path}: {raw!r} is not true or false.", f"Write --param {path}=true,false.")
        return raw.lower() == "true"
    return raw


def _check(exp: Any, param: Param, values: list[Any]) -> None:
    """Set each value on a copy of `exp` as the experiment file would check it."""
    trial = copy.deepcopy(exp)
    for value in values:
        value = int(value) if param.type == "int" and isinstance(value, float) else value
        try:
            spec.set(trial, param.path, value, rules=False)
        except ExperimentError as exc:
            where = "outside the declared range" if param.low is not None else "not allowed"
            raise SweepError(f"--param {param.path}={param.text()}: {value!r} is {where}: {exc.problem}", exc.fix) from None


def space(texts: list[str], exp: Any, sampler: str = "tpe", yes: bool = False) -> Space:
    """Every --param of a sweep; the grid's size is checked when the sampler is grid."""
    if not texts:
        raise SweepError("A sweep needs at least one --param.", "Add e.g. --param compile.learning_rate=1e-4..1e-2:log.")
    params = [parse(t, exp) for t in texts]
    seen = [p.path for p in params]
    twice = sorted({p for p in seen if seen.count(p) > 1})
    if twice:
        raise SweepError(f"--param {twice[0]} is given twice.", "Give each setting one --param.")
    out = Space(params)
    if sampler == "grid":
        size = out.grid_size()
        if size > GRID_LIMIT and not yes:
            raise SweepError(f"The grid has {size:,} trials, over the limit of {GRID_LIMIT:,}.", "Use fewer values or larger steps, --sampler tpe with --trials N, or pass --yes to run it all.")
    return out


def apply(exp: Any, values: dict[str, Any]) -> Any:
    """A copy of `exp` with a trial's values set (checked again: the rules across settings)."""
    out = copy.deepcopy(exp)
    for path, value in values.items():
        spec.set(out, path, value, rules=False)
    spec.check(out)
    return out
