"""The experiment file: one human-editable TOML file that describes a whole experiment.

Data, vectorizer, layer stack, compile and fit settings live here as plain dataclasses.
Reading is strict: an unknown key or a wrong type raises ExperimentError naming the key
(with the closest known key), so a typo never silently falls back to a default. Writing is
canonical, so load -> save -> load round-trips exactly.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import os
import tempfile
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from engine.errors import ExperimentError

VERSION = 1
TABLE_FORMATS = ("csv", "tsv", "jsonl", "parquet")
SOURCES = ("sample", "reber", "embedded-reber", "csv", "per-class", "folder", "keras")
CLEANERS = ("html", "lower", "punctuation")
VECTORIZE_KINDS = ("words", "chars", "ngrams")
NGRAM_MODES = ("tf_idf", "multi_hot", "count")
SIDES = ("pre", "post")
LEARNING_RATE_RANGE = (1e-12, 10.0)  # compile.learning_rate, and `kerminal lr` on a live run
OPTIMIZERS = ("rmsprop", "adam", "sgd", "adamw")
XLA_CHOICES = ("auto", "on", "off")


@dataclass
class SplitConfig:
    validation: float = 0.2
    test: float = 0.0
    seed: int = 42
    # Pool a source's own test split with its training rows, then split the pool by the
    # fractions above (seed 003 merges IMDB's 25k + 25k and makes its own 80/20 split).
    merge_test: bool = False
    # Validate on a source's own test split instead of carving validation rows out of its
    # training rows (seed 002 trains on 4,000 IMDB training reviews and validates on 1,000
    # test reviews); the rest of the test split stays the test split.
    validation_from_test: bool = False


@dataclass
class DataConfig:
    source: str = "sample"
    path: str = ""  # file or folder, relative to the experiment file
    # csv / per-class: the text column, by name or (for a file without a header) by 1-based
    # position; "" = guess
    text: str | int = ""
    label: str | int = ""  # csv: the label column, as data.text ("" = guess)
    # csv / per-class: "csv", "tsv", "jsonl" or "parquet"; "" = by extension, else sniffed
    format: str = ""
    # csv / per-class: whether the first row names the columns; None (left out) = sniffed
    header: bool | None = None
    # csv / per-class: whether "..." quotes fields (which may then hold delimiters and line
    # breaks); None (left out) = yes for CSV, no for TSV (tabs cannot be quoted in UCI-style files)
    quotes: bool | None = None
    files: dict[str, str] = field(default_factory=dict)  # per-class: class name -> file
    name: str = ""  # keras: imdb | reuters
    size: int = 0  # reber / embedded-reber: strings to generate (0 = the default)
    clean: list[str] = field(default_factory=list)
    split: SplitConfig = field(default_factory=SplitConfig)
    limit: int = 0  # rows per split to keep, 0 = all
    validation_limit: int = 0  # rows of the validation split to keep, 0 = as data.limit
    test_limit: int = 0  # rows of the test split to keep, 0 = as data.limit


@dataclass
class VectorizeConfig:
    kind: str = "words"
    max_tokens: int = 10000  # words: vocabulary size, padding and out-of-vocabulary ids included
    length: int = 200  # tokens (or characters) per example after padding/truncation
    padding: str = "pre"
    truncation: str = "pre"
    alphabet: str = ""  # chars: the symbols, in one-hot order ("" = learn from training data)
    # ngrams: a bag of word n-grams, one vector of max_tokens per text (no length, no padding)
    ngrams: int = 2  # ngrams: 1 = words, 2 = words and word pairs, 3 = up to triples
    output_mode: str = "tf_idf"  # ngrams: tf_idf | multi_hot | count


@dataclass
class LayerSpec:
    """One layer: its Keras class name and the parameters set in the file, in file order."""

    type: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class CompileConfig:
    optimizer: str = "rmsprop"
    learning_rate: float | None = None  # None = the optimizer's own default
    loss: str = "auto"
    metrics: list[str] = field(default_factory=lambda: ["accuracy"])


@dataclass
class EarlyStoppingConfig:
    patience: int = 0  # 0 = off
    restore_best: bool = True


@dataclass
class FitConfig:
    epochs: int = 10
    batch_size: int = 32
    seed: int = 42
    monitor: str = "val_loss"
    # XLA compilation of the training step: "auto" (on for long CPU runs, Keras's choice on a
    # GPU), "on" or "off". See engine.training.numeric.use_xla.
    xla: str = "auto"
    early_stopping: EarlyStoppingConfig = field(default_factory=EarlyStoppingConfig)


@dataclass
class Experiment:
    name: str = "untitled"
    description: str = ""
    preset: str = ""  # the preset this experiment started from, if any
    version: int = VERSION
    data: DataConfig = field(default_factory=DataConfig)
    vectorize: VectorizeConfig = field(default_factory=VectorizeConfig)
    layers: list[LayerSpec] = field(default_factory=list)
    compile: CompileConfig = field(default_factory=CompileConfig)
    fit: FitConfig = field(default_factory=FitConfig)
    probes: list[str] = field(default_factory=list)  # sentences re-scored after each epoch
    # Where the file lives: relative data paths resolve against it. Not written to the file.
    base_dir: Path = field(default_factory=Path.cwd, compare=False, repr=False)

    def resolve(self, path: str) -> Path:
        """A path from the file, made absolute against the file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def data_file(self, path: str) -> Path:
        """A per-class file (data.files): relative to data.path's folder when data.path is
        set, else to the experiment file's folder."""
        p = Path(path).expanduser()
        if p.is_absolute():
            return p
        return (self.resolve(self.data.path) / p) if self.data.path else (self.base_dir / p)

    def rebased(self, new_base_dir: str | os.PathLike[str] | None = None) -> Experiment:
        """A copy that finds the same data from `new_base_dir` (None: from anywhere).

        Save-as to another folder and the run folder's experiment.toml both use this one
        rule: relative data paths that would point elsewhere from the new folder become
        absolute, written as the user wrote them (symlinks are kept, never resolved, so a
        run trained from `sms.tsv -> SMSSpamCollection` still names sms.tsv)."""
        out = self.copy()
        new = Path(os.path.abspath(Path(new_base_dir).expanduser())) if new_base_dir is not None else None
        same = new is not None and new == Path(os.path.abspath(self.base_dir))

        def fixed(path: str, absolute: Path) -> str:
            p = Path(path).expanduser()
            if p.is_absolute() or same:
                return path
            return os.path.abspath(absolute)

        if out.data.path:
            out.data.path = fixed(out.data.path, self.resolve(self.data.path))
        if not self.data.path:  # files relative to the experiment's folder move with it
            out.data.files = {k: fixed(v, self.data_file(v)) for k, v in self.data.files.items()}
        if new is not None:
            out.base_dir = new
        return out

    def copy(self) -> Experiment:
        return copy.deepcopy(self)

    def to_dict(self) -> dict[str, Any]:
        return _dump(self)

    def to_toml(self) -> str:
        return dumps(self)


# ---------------------------------------------------------------------------------------
# Reading


def from_dict(raw: dict[str, Any], base_dir: Path | None = None) -> Experiment:
    """Build an Experiment from parsed TOML, strictly. Raises ExperimentError."""
    if not isinstance(raw, dict):
        raise ExperimentError("The experiment must be a TOML table.", "Start from `kerminal presets`.")
    version = raw.get("version", VERSION)
    if version != VERSION:
        raise ExperimentError(
            f"version: this kerminal reads experiment files of version {VERSION}, not {version!r}.",
            f"Set `version = {VERSION}`.",
        )
    exp = _load(Experiment, raw, "")
    exp.base_dir = base_dir or Path.cwd()
    check(exp)
    return exp


def loads(text: str, base_dir: Path | None = None) -> Experiment:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"The experiment file is not valid TOML: {exc}.", "Fix the syntax at that line.") from None
    return from_dict(raw, base_dir)


def load(path: str | os.PathLike[str]) -> Experiment:
    p = Path(path)
    if not p.is_file():
        raise ExperimentError(f"No experiment file at {p}.", "Check the path, or write one with `kerminal presets --save NAME FILE`.")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ExperimentError(f"{p} is not UTF-8 text.", "Save the experiment file as UTF-8.") from None
    try:
        return loads(text, p.resolve().parent)
    except ExperimentError as exc:
        raise ExperimentError(f"{p}: {exc.problem}", exc.fix) from None


def save(exp: Experiment, path: str | os.PathLike[str]) -> Path:
    """Write the experiment atomically (temporary file, then rename)."""
    p = Path(path)
    atomic_write_text(p, exp.to_toml())
    return p


def atomic_write_text(path: Path, text: str, make_parents: bool = True) -> None:
    """Write `text` to a temporary file beside `path`, then rename it into place (a link at
    `path` is replaced, never written through). `make_parents=False` for a run folder,
    which must not be created again once deleted."""
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once, at import: os.umask can only be read by setting it, and a run's threads write
# files at the same time (a file created while it is 0 would be writable by everyone).
_UMASK = _read_umask()


def _umask() -> int:
    return _UMASK


def check(exp: Experiment) -> None:
    """Value checks that types alone cannot express."""
    d, v, s = exp.data, exp.vectorize, exp.data.split
    _choice("data.source", d.source, SOURCES)
    if d.format:
        _choice("data.format", d.format, TABLE_FORMATS)
    for key, col in (("data.text", d.text), ("data.label", d.label)):
        if isinstance(col, int) and col < 1:
            raise ExperimentError(f"{key}: column {col} does not exist; positions count from 1.", f"Use {key.split('.')[1]} = 1 for the first column, or the column's name.")
    for c in d.clean:
        _choice("data.clean", c, CLEANERS)
    _range("data.split.validation", s.validation, 0.0, 0.95)
    _range("data.split.test", s.test, 0.0, 0.95)
    if s.validation + s.test >= 1.0:
        raise ExperimentError(
            "data.split: validation + test must leave rows for training (their sum is >= 1).",
            "Lower data.split.validation or data.split.test.",
        )
    _range("data.limit", d.limit, 0, None)
    _range("data.validation_limit", d.validation_limit, 0, None)
    _range("data.test_limit", d.test_limit, 0, None)
    if s.merge_test and s.validation_from_test:
        raise ExperimentError(
            "data.split: merge_test pools the source's test split into the training rows, so validation_from_test has no test split to validate on.",
            "Set one of data.split.merge_test and data.split.validation_from_test to false.",
        )
    _range("data.size", d.size, 0, None)
    _choice("vectorize.kind", v.kind, VECTORIZE_KINDS)
    _range("vectorize.max_tokens", v.max_tokens, 3, None)
    _range("vectorize.length", v.length, 1, None)
    _choice("vectorize.padding", v.padding, SIDES)
    _range("vectorize.ngrams", v.ngrams, 1, 3)
    _choice("vectorize.output_mode", v.output_mode, NGRAM_MODES)
    _choice("vectorize.truncation", v.truncation, SIDES)
    _choice("compile.optimizer", exp.compile.optimizer, OPTIMIZERS)
    if exp.compile.learning_rate is not None:
        _range("compile.learning_rate", exp.compile.learning_rate, *LEARNING_RATE_RANGE)
    _range("fit.epochs", exp.fit.epochs, 1, None)
    _range("fit.batch_size", exp.fit.batch_size, 1, None)
    _choice("fit.xla", exp.fit.xla, XLA_CHOICES)
    _range("fit.early_stopping.patience", exp.fit.early_stopping.patience, 0, None)
    for i, layer in enumerate(exp.layers, 1):
        if not layer.type:
            raise ExperimentError(f"layers[{i}]: the layer has no type.", 'Add `type = "Dense"` (or another layer).')


def _choice(key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        close = difflib.get_close_matches(str(value), choices, n=1)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        raise ExperimentError(f"{key}: {value!r} is not one of {', '.join(choices)}.", f"{hint}Use one of those.")


def _range(key: str, value: float, low: float | None, high: float | None) -> None:
    if isinstance(value, float) and not math.isfinite(value):  # NaN passes every comparison
        raise ExperimentError(f"{key}: {value!r} is not a finite number.", "Give a finite number, e.g. 0.2.")
    if (low is not None and value < low) or (high is not None and value > high):
        span = f"at least {low}" if high is None else f"between {low} and {high}"
        raise ExperimentError(f"{key}: {value!r} is out of range.", f"Use a value {span}.")


_TYPE_WORDS = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list", dict: "a table"}


def _load(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ExperimentError(f"{where}: expected a table, got {_describe(raw)}.", f"Write it as [{where}].")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.name != "base_dir"]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        path = f"{where}.{key}" if where else key
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Known keys here: {', '.join(names)}."
            raise ExperimentError(f"{path}: unknown key.", hint)
        if cls is Experiment and key == "layers":
            values[key] = _load_layers(value)
        else:
            values[key] = _convert(hints[key], value, path)
    return cls(**values)


def _load_layers(raw: Any) -> list[LayerSpec]:
    if not isinstance(raw, list):
        raise ExperimentError("layers: expected a list of tables.", 'Write each layer as [[layers]] with `type = "..."`.')
    out = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise ExperimentError(f"layers[{i}]: expected a table, got {_describe(item)}.", "Write it as [[layers]].")
        item = dict(item)
        kind = item.pop("type", "")
        if not isinstance(kind, str) or not kind:
            raise ExperimentError(f"layers[{i}]: the layer has no type.", 'Add `type = "Dense"` (or another layer).')
        out.append(LayerSpec(kind, item))
    return out


def _convert(hint: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        for option in options:  # the first option the value already is (bool is no int here)
            if isinstance(value, option) and not (option is int and isinstance(value, bool)):
                return value
        if len(options) > 1 and all(o in _TYPE_WORDS for o in options):
            words = " or ".join(_TYPE_WORDS[o] for o in options)
            raise ExperimentError(f"{path}: expected {words}, got {_describe(value)}.", f"Give {path.rsplit('.', 1)[-1]} {words}.")
        return _convert(options[0], value, path)
    if dataclasses.is_dataclass(hint):
        return _load(hint, value, path)
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ExperimentError(f"{path}: expected a list of {_TYPE_WORDS[item].split(' ', 1)[1]}s, got {_describe(value)}.", f"Write it as {path.rsplit('.', 1)[-1]} = [...].")
        return [_convert(item, v, f"{path}[{i}]") for i, v in enumerate(value, 1)]
    if origin is dict:
        _, item = typing.get_args(hint)
        if not isinstance(value, dict):
            raise ExperimentError(f"{path}: expected a table, got {_describe(value)}.", f"Write it as {path.rsplit('.', 1)[-1]} = {{ key = value }}.")
        return {str(k): _convert(item, v, f"{path}.{k}") for k, v in value.items()}
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, float) and not math.isfinite(value):  # TOML has nan and inf
        raise ExperimentError(f"{path}: {value!r} is not a finite number.", f"Give {path.rsplit('.', 1)[-1]} a finite number, e.g. 0.2.")
    if hint is int and isinstance(value, bool) or not isinstance(value, hint):
        raise ExperimentError(f"{path}: expected {_TYPE_WORDS[hint]}, got {_describe(value)}.", f"Give {path.rsplit('.', 1)[-1]} {_TYPE_WORDS[hint]}.")
    return value


def _describe(value: Any) -> str:
    for t, word in ((bool, "true or false"), (str, "a string"), (int, "an integer"), (float, "a number"), (list, "a list"), (dict, "a table")):
        if isinstance(value, t):
            return f"{word} ({value!r})" if t in (str, int, float, bool) else word
    return type(value).__name__


# ---------------------------------------------------------------------------------------
# Writing

# Keys left out of the file while they hold their default (newer settings, so that files
# written before them stay as they were written).
_OMIT_WHEN_DEFAULT = {"xla": "auto"}
# Keys left out of the file while they hold their empty default, so each source's section
# shows only what that source uses.
# vectorize keys that one kind does not use, left out of the file for that kind.
_UNUSED_BY_KIND = {
    "words": {"ngrams", "output_mode"},
    "chars": {"ngrams", "output_mode"},
    "ngrams": {"length", "padding", "truncation", "alphabet"},
}
_OMIT_WHEN_EMPTY = {"format", "merge_test", "validation_from_test", "validation_limit", "test_limit", "path", "text", "label", "files", "name", "size", "alphabet", "description", "preset", "probes", "learning_rate"}


def dumps(exp: Experiment) -> str:
    """The experiment as canonical TOML: settings in a fixed order, each layer as [[layers]]."""
    d = _dump(exp)
    layers = d.pop("layers", [])
    tables = {k: d.pop(k) for k in ("compile", "fit")}
    parts = [tomli_w.dumps(d)]
    for layer in layers:
        lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in layer.items()]
        parts.append("[[layers]]\n" + "\n".join(lines) + "\n")
    parts.append(tomli_w.dumps(tables))
    return "\n".join(p.rstrip("\n") + "\n" for p in parts)


def _toml_key(key: str) -> str:
    return tomli_w.dumps({key: 0}).split(" = ", 1)[0]


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):  # a wrapped layer (Bidirectional): one inline table
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return tomli_w.dumps({"v": value}).split(" = ", 1)[1].strip()


def _dump(obj: Any) -> Any:
    if isinstance(obj, LayerSpec):
        return {"type": obj.type, **copy.deepcopy(obj.params)}
    if dataclasses.is_dataclass(obj):
        out: dict[str, Any] = {}
        # Scalars first, tables after: TOML needs that order and it reads better.
        fields = [f for f in dataclasses.fields(obj) if f.name != "base_dir"]
        if isinstance(obj, Experiment):
            fields.sort(key=lambda f: f.name != "version")
        unused = _UNUSED_BY_KIND.get(obj.kind, set()) if isinstance(obj, VectorizeConfig) else set()
        for f in fields:
            value = getattr(obj, f.name)
            if f.name in unused:
                continue
            if value is None or (f.name in _OMIT_WHEN_EMPTY and value in ("", [], {}, 0)):
                continue
            if f.name in _OMIT_WHEN_DEFAULT and value == _OMIT_WHEN_DEFAULT[f.name]:
                continue
            out[f.name] = _dump(value)
        return out
    if isinstance(obj, list):
        return [_dump(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _dump(v) for k, v in obj.items()}
    return obj
