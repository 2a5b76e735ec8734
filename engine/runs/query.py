"""Many runs at once, without a UI: each run's summary (its best value of every metric, its
training time, its experiment), a filter over settings paths and metrics, a sort, and the
settings that differ among runs.

A filter is space-separated terms, all of which must hold:
`compile.learning_rate<0.01 vectorize.kind=ngrams best.val_accuracy>0.85 status=finished`.
A term is FIELD OP VALUE with OP one of = != < <= > >= and ~ (contains). FIELD is a setting's
path (engine.spec: its declaration types the value), layers.N.PARAM, best.METRIC (the best
value in the run's history: the highest of an accuracy-like metric, the lowest of a loss),
or one of the run's own fields (RUN_FIELDS). A run without the value (no such layer, a
setting its data or vectorizer does not use, an experiment.toml that cannot be read) matches
no term on it.

RunIndex lists a runs folder and keeps each run's summary until a file it was read from
changes, in memory and, for ended runs, in the folder's cache file (index_cache); a live run
is read again every time: its lock, not its file, says whether it still lives.

About 480 lines: the summaries, the filter's grammar with its typing by the
declarations, and the sort and diff over the same values are one piece, read together (the
cache file the index reads is index_cache.py).
"""

from __future__ import annotations

import difflib
import math
import os
import re
import stat
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.errors import ExperimentError, KerminalError
from engine.runs import index_cache
from engine.runs.best import best_metrics, higher_is_better
from engine.runs.folder import EXPERIMENT
from engine.runs.index_cache import Stamp
from engine.runs.reader import RunInfo, read_history, read_meta
from engine.runs.status import LIVE, RECORDED_LIVE, Status

# A run's own fields a filter or a sort may name, besides settings paths and best.METRIC.
RUN_FIELDS = ("name", "experiment", "tags", "note", "id", "status", "epochs", "date", "time", "data", "preset")
OPS = ("<=", ">=", "!=", "=", "<", ">", "~")
EXPERIMENT_AT = index_cache.STAMPED.index(EXPERIMENT)  # experiment.toml's place in a Stamp


class QueryError(ExperimentError):
    """A filter term that does not parse or names nothing; `column` is where (0-based)."""

    def __init__(self, expr: str, column: int, problem: str, fix: str = "") -> None:
        self.expr = expr
        self.column = column
        super().__init__(problem, fix)

    def pointer(self, indent: str = "  ") -> str:
        """The expression and a caret under the column, two lines."""
        return f"{indent}{self.expr}\n{indent}{' ' * self.column}^"


@dataclass
class Summary:
    """One run as a listing, a filter and a sort see it."""

    info: RunInfo
    best: dict[str, float] = field(default_factory=dict)  # every metric's best over the history
    best_epoch: dict[str, int] = field(default_factory=dict)
    seconds: float | None = None  # from the run's creation to its last update
    _experiment: Any = None
    _why: str | None = None  # None: experiment.toml not read yet

    @property
    def experiment(self) -> Any:
        """The run's experiment (engine.experiment.Experiment), read on first use (a listing
        that filters on no setting never parses 500 files); None when it cannot be read."""
        if self._why is None:
            self._experiment, self._why = _read_experiment(self.info)
        return self._experiment

    def keep_experiment(self, old: Summary) -> None:
        """Take `old`'s experiment as read, if it was (its experiment.toml is unchanged)."""
        if old.experiment_read and not self.experiment_read:
            self._experiment, self._why = old._experiment, old._why

    @property
    def experiment_read(self) -> bool:
        """Whether the experiment was read already (asking for it costs no file read)."""
        return self._why is not None

    @property
    def why(self) -> str:
        """Why the run's experiment cannot be read ("" when it can)."""
        _ = self.experiment
        return self._why or ""

    @property
    def id(self) -> str:
        return self.info.id

    def value(self, name: str) -> Any:
        """The value at a field, setting path or best.METRIC; None when the run has none."""
        if name.startswith("best."):
            return self.best.get(name[5:])
        if name in RUN_FIELDS:
            return self._own(name)
        exp = self.experiment
        if exp is None:
            return None
        from engine import spec

        try:
            if not name.startswith("layers.") and not spec.applies(exp, name):
                return None
            return spec.get(exp, name)
        except ExperimentError:  # no such layer or parameter in this run
            return None

    def _own(self, name: str) -> Any:
        r = self.info
        own: dict[str, Any] = {
            "name": r.name, "experiment": r.experiment_name, "tags": " ".join(r.tags), "note": r.note, "id": r.id, "status": r.status,
            "epochs": r.epochs, "date": r.created.replace("T", " "), "time": self.seconds, "data": r.data, "preset": r.preset,
        }
        return own[name]


def summarize(info: RunInfo, meta: dict[str, Any] | None = None) -> Summary:
    """A run's summary: its history read for the best values (its experiment is read when
    first asked for). `meta`: metrics.json as already read for `info`."""
    out = Summary(info)
    if info.status == Status.DAMAGED:
        return out
    if meta is None:
        meta = read_meta(info.path) or {}
    try:
        history = read_history(info.path, meta)
    except (OSError, ValueError):
        history = {}
    for metric, best in best_metrics(history).items():
        out.best[metric], out.best_epoch[metric] = best.value, best.epoch
    out.seconds = _seconds(meta, info.created)
    return out


def _read_experiment(info: RunInfo) -> tuple[Any, str]:
    from engine.runs.store import read_experiment

    if info.status == Status.DAMAGED:
        return None, info.message
    try:
        return read_experiment(info.path / EXPERIMENT), ""
    except KerminalError as exc:
        return None, f"{EXPERIMENT}: {exc.problem}"
    except Exception as exc:  # a hostile file must not stop a listing
        return None, f"{EXPERIMENT}: {type(exc).__name__}"


def _seconds(meta: dict[str, Any], created: str) -> float | None:
    try:
        return (datetime.fromisoformat(str(meta.get("updated"))) - datetime.fromisoformat(created)).total_seconds()
    except (TypeError, ValueError):
        return None


class RunIndex:
    """The runs of one folder as summaries, newest first, each read again only when a file
    it was read from changed (or it is live). Ended runs' summaries persist in the folder's
    cache file (index_cache), so a new process lists 500 runs without reading them."""

    def __init__(self, root: str | os.PathLike[str], persist: bool = True) -> None:
        self.root = Path(root)
        self.persist = persist
        self._cache: dict[Path, tuple[Stamp, Summary]] = {}
        self._loaded = False  # the cache file was read (once per index)
        self._lock_read: set[Path] = set()  # runs whose status came from their lock: never persisted

    def list(self) -> list[Summary]:
        from engine.runs.store import listed_info_meta

        if not self.root.is_dir():
            self._cache.clear()
            return []
        stored = index_cache.load(self.root) if self.persist and not self._loaded else {}
        self._loaded = True
        out: dict[Path, tuple[Stamp, Summary]] = {}
        fresh = False
        for child in self.root.iterdir():
            if child.name == index_cache.INDEX:
                continue
            try:
                link = stat.S_ISLNK(os.lstat(child).st_mode)  # listed as damaged, never from a cache
                stamp = () if link else index_cache.stamp(child)
            except OSError:
                continue
            if stamp is None:  # no metrics.json: not a run
                continue
            hit = self._cache.get(child)
            if stamp and hit is not None and hit[0] == stamp and hit[1].info.status not in LIVE:
                out[child] = hit
                continue
            got = index_cache.read_entry(child, stamp, stored[child.name]) if stamp and child.name in stored else None
            if got is not None:
                out[child] = (stamp, Summary(*got))
                continue
            listed = listed_info_meta(child)
            if listed is not None:
                out[child] = (stamp, summarize(*listed))
                if hit is not None and stamp and hit[0] and hit[0][EXPERIMENT_AT] == stamp[EXPERIMENT_AT]:
                    out[child][1].keep_experiment(hit[1])  # an epoch ended: the experiment is as it was
                fresh = fresh or listed[0].status not in LIVE
                if listed[1].get("status") in RECORDED_LIVE:
                    self._lock_read.add(child)
                else:
                    self._lock_read.discard(child)
        gone = any(Path(self.root, name) not in out for name in stored) if stored else len(out) < len(self._cache)
        if self.persist and (fresh or gone):
            self._save(out)
        self._cache = out
        return sorted((s for _, s in out.values()), key=lambda s: s.id, reverse=True)

    def _save(self, listed: dict[Path, tuple[Stamp, Summary]]) -> None:
        """The ended runs' summaries into the folder's cache file (live and damaged runs
        are read every time)."""
        keep = {}
        for path, (stamp, s) in listed.items():
            if stamp and s.info.status not in LIVE and s.info.status != Status.DAMAGED and path not in self._lock_read:
                keep[path.name] = index_cache.entry(stamp, s.info, s.best, s.best_epoch, s.seconds)
        index_cache.save(self.root, keep)


# ---- filter -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    name: str
    op: str
    value: Any
    kind: str  # "number", "bool", "text", "list", "any" (a layer parameter: as written)
    column: int

    def matches(self, s: Summary) -> bool:
        have = s.value(self.name)
        if have is None:
            return self.op == "=" and self.value is None  # `compile.learning_rate=none`
        if self.value is None:
            return self.op == "!="
        if self.kind == "list":
            items = [str(v) for v in have] if isinstance(have, (list, tuple, dict)) else [str(have)]
            if self.op == "~":
                return any(str(self.value) in v for v in items)
            return (str(self.value) in items) == (self.op == "=")
        if self.op == "~":
            return str(self.value).lower() in str(have).lower()
        a, b = have, self.value
        if self.kind == "any" or self.kind == "text":
            a, b = _number_or_text(a), _number_or_text(b)
            if type(a) is not type(b):
                a, b = str(have), str(self.value)
        try:
            return bool(_COMPARE[self.op](a, b))
        except TypeError:
            return False


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _number_or_text(v: Any) -> Any:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(str(v))
    except ValueError:
        return str(v)


@dataclass(frozen=True)
class Filter:
    expr: str = ""
    terms: tuple[Term, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, s: Summary) -> bool:
        return all(t.matches(s) for t in self.terms)

    def apply(self, summaries: Iterable[Summary]) -> list[Summary]:
        return [s for s in summaries if self.matches(s)]


_TERM = re.compile(r"([A-Za-z_][\w.]*)(<=|>=|!=|=|<|>|~)(.*)", re.S)


def _tokens(expr: str) -> list[tuple[int, str]]:
    """(column, text) of each space-separated term; "..." keeps spaces in a value."""
    out, i = [], 0
    while i < len(expr):
        if expr[i].isspace():
            i += 1
            continue
        start, quoted = i, False
        while i < len(expr) and (quoted or not expr[i].isspace()):
            quoted ^= expr[i] == '"'
            i += 1
        out.append((start, expr[start:i]))
    return out


def valid_fields(metrics: Iterable[str] = ()) -> str:
    best = ", ".join(f"best.{m}" for m in sorted(metrics)) or "best.METRIC"
    return f"run fields: {', '.join(RUN_FIELDS)}; {best}; settings: layers.N.PARAM or a path `kerminal settings` lists"


def parse_filter(expr: str, metrics: Iterable[str] = ()) -> Filter:
    """The filter `expr` says; QueryError (with the column) for a term that does not parse,
    names no field, or gives a value its setting cannot hold. `metrics`: the metrics the runs
    have (best.METRIC must name one of them when given)."""
    metrics = sorted(set(metrics))
    terms = []
    for column, text in _tokens(expr):
        m = _TERM.fullmatch(text)
        if m is None:
            where = next((i for i, c in enumerate(text) if c in "<>=!~"), len(text))
            problem = f"{text!r} is not FIELD OP VALUE." if where < len(text) else f"{text!r} has no operator (= != < <= > >= or ~)."
            raise QueryError(expr, column + (where if where < len(text) else 0), problem, f"Write e.g. compile.learning_rate<0.01 or best.val_accuracy>0.85; {valid_fields(metrics)}.")
        name, op, raw = m.group(1), m.group(2), m.group(3).strip('"')
        kind, convert = _field(expr, column, name, metrics)
        value_column = column + len(name) + len(op)
        if op in ("<", "<=", ">", ">=") and kind in ("text", "bool", "list") and name != "date":
            raise QueryError(expr, column + len(name), f"{name} is {'text' if kind == 'text' else 'a list' if kind == 'list' else 'true or false'}: {op} compares numbers.", "Use = != or ~ (contains).")
        try:
            value = convert(raw, op)
        except ValueError as exc:
            raise QueryError(expr, value_column, f"{name}: {exc}", f"{valid_fields(metrics)}.") from None
        terms.append(Term(name, op, value, kind, column))
    return Filter(expr, tuple(terms))


def check_field(name: str, metrics: Iterable[str] = ()) -> None:
    """QueryError unless `name` is a field a sort or a filter can use."""
    _field(name, 0, name, sorted(set(metrics)))


def _field(expr: str, column: int, name: str, metrics: list[str]) -> tuple[str, Callable[[str, str], Any]]:
    """What a field holds and how its value text converts; QueryError if it names nothing."""
    from engine import spec

    if name.startswith("best."):
        if metrics and name[5:] not in metrics:
            close = difflib.get_close_matches(name[5:], metrics, n=1, cutoff=0.6)
            hint = f"Did you mean 'best.{close[0]}'? " if close else ""
            raise QueryError(expr, column, f"no run has a metric {name[5:]!r}.", f"{hint}{valid_fields(metrics)}.")
        return "number", _number
    if name in ("epochs", "time"):
        return "number", _number
    if name in RUN_FIELDS:
        if name == "status":
            return "text", _choice(tuple(Status), "a status")
        return "text", lambda raw, op: raw
    if name.startswith("layers."):
        if not re.fullmatch(r"layers\.[1-9]\d*\.\w+", name):
            raise QueryError(expr, column, f"{name!r} is not a layer setting.", "Write layers.N.PARAM, e.g. layers.2.units (N counts from 1).")
        return "any", lambda raw, op: raw
    try:
        s = spec.setting(name)
    except ExperimentError as exc:
        own = [*RUN_FIELDS, *(f"best.{m}" for m in metrics)]
        close = difflib.get_close_matches(name, own, n=1, cutoff=0.6)
        fix = f"Did you mean {close[0]!r}? {valid_fields(metrics)}." if close else f"{exc.fix} Or {valid_fields(metrics)}."
        raise QueryError(expr, column, exc.problem, fix) from None
    return _setting_kind(s)


def _setting_kind(s: Any) -> tuple[str, Callable[[str, str], Any]]:
    """A setting's kind and value conversion; "none" is a value where the setting may be
    unset (compile.learning_rate=none: the optimizer's own default)."""
    kind, convert = _declared_kind(s)
    if type(None) not in typing.get_args(s.hint):
        return kind, convert
    return kind, lambda raw, op: None if raw.lower() == "none" and op in ("=", "!=") else convert(raw, op)


def _declared_kind(s: Any) -> tuple[str, Callable[[str, str], Any]]:
    hint = s.hint
    args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    if typing.get_origin(hint) in (list, dict):
        return "list", _choice(s.choices, s.path) if s.choices else (lambda raw, op: raw)
    if args == [bool]:
        return "bool", _bool
    if all(a in (int, float) for a in args):
        return "number", _number
    if s.choices:
        return "text", _choice(s.choices, s.path)
    return "text", lambda raw, op: raw


def _number(raw: str, op: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a number.") from None
    if not math.isfinite(value):
        raise ValueError(f"{raw!r} is not a finite number.")
    return value


def _bool(raw: str, op: str) -> bool:
    words = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}
    if raw.lower() not in words:
        raise ValueError(f"{raw!r} is not true or false.")
    return words[raw.lower()]


def _choice(choices: Iterable[str], what: str) -> Callable[[str, str], str]:
    options = [str(c) for c in choices]

    def convert(raw: str, op: str) -> str:
        if op == "~" or raw in options:
            return raw
        close = difflib.get_close_matches(raw, options, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{raw!r} is not one of {', '.join(options)}.{hint}")

    return convert


# ---- sort and differences ----------------------------------------------------------------


def sort_key(name: str) -> Callable[[Summary], tuple[int, Any]]:
    """A key that orders runs by a field, setting or best.METRIC (a number before text; a
    run without the value after every run with one, whichever the direction: see sort_runs)."""

    def key(s: Summary) -> tuple[int, Any]:
        # By date: the folder name, which starts with the creation time (a damaged run, its
        # metrics.json unread, keeps its place as in every listing).
        v = s.id if name == "date" else s.value(name)
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return (2, 0)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return (0, float(v))
        return (1, str(v).lower())

    return key


def sort_runs(summaries: Iterable[Summary], name: str, desc: bool = False) -> list[Summary]:
    """Runs ordered by `name` (descending with `desc`); runs without the value go last."""
    key = sort_key(name)
    keyed = [(key(s), s) for s in summaries]
    have = sorted((p for p in keyed if p[0][0] != 2), key=lambda p: p[0], reverse=desc)
    return [s for _, s in have] + [s for k, s in keyed if k[0] == 2]


def best_first(metric: str) -> bool:
    """Whether a sort by best.METRIC shows the best run first descending (accuracy-like)."""
    return higher_is_better(metric)


def differing_paths(summaries: Iterable[Summary]) -> list[str]:
    """The settings paths whose values differ among the runs whose experiment can be read
    (engine.runs.settings_diff, as `kerminal compare` lists them)."""
    from engine.runs.settings_diff import settings_diff

    exps = [s.experiment for s in summaries if s.experiment is not None]
    return [d.path for d in settings_diff(exps)] if len(exps) > 1 else []


def format_value(value: Any) -> str:
    """A setting's value in a table cell: numbers short (1e-3, 0.85), lists joined."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)
