"""The experiment's settings, declared once: the dataclasses hold each default, and one
`Setting` per value adds its type's choices, range, unit, one-line help and where it applies
(which data.source, which vectorize.kind). The file's checks (`check`), its strict reading
(`convert`), `kerminal settings`, the app's forms and `engine.spec`'s get/set by path all
derive from these declarations.

This module imports no other engine module but errors, so that engine.experiment (reading
and writing the file) and engine.spec (settings by path, layers included) can both use it.
It is a little over 400 lines because the declarations are one table, best read whole.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from engine.errors import ExperimentError

VERSION = 1
TABLE_FORMATS = ("csv", "tsv", "jsonl", "parquet")
SOURCES = ("sample", "reber", "embedded-reber", "csv", "per-class", "folder", "keras")
CLEANERS = ("html", "lower", "punctuation")
VECTORIZE_KINDS = ("words", "chars", "ngrams")
NGRAM_MODES = ("tf_idf", "multi_hot", "count", "nb")
SIDES = ("pre", "post")
LEARNING_RATE_RANGE = (1e-12, 10.0)  # compile.learning_rate, and `kerminal lr` on a live run
OPTIMIZERS = ("rmsprop", "adam", "sgd", "adamw")
XLA_CHOICES = ("auto", "on", "off")
DEVICES_CHOICES = ("one", "all")  # fit.devices: engine.training.distribute
STREAM_SOURCES = ("csv", "folder")  # data.stream reads these in chunks
STREAM_SHARE = 0.2  # data.stream auto: stream a source larger than this share of the free memory


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
    # csv / folder: read the data in chunks instead of into memory; None (left out) = auto:
    # when the source's bytes on disk exceed STREAM_SHARE of the free memory
    stream: bool | None = None


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
    output_mode: str = "tf_idf"  # ngrams: tf_idf | multi_hot | count | nb


# A layer's parameters by name, as the experiment file gives them (TOML values: numbers,
# strings, booleans, a wrapped layer's table) or as the registry resolved them.
LayerParams = dict[str, Any]


@dataclass
class LayerSpec:
    """One layer: its Keras class name and the parameters set in the file, in file order."""

    type: str
    params: LayerParams = field(default_factory=dict)


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
    devices: str = "one"  # "all": tf.distribute.MirroredStrategy over every visible GPU
    early_stopping: EarlyStoppingConfig = field(default_factory=EarlyStoppingConfig)


@dataclass
class ExperimentSettings:
    """The experiment's fields and their defaults; engine.experiment.Experiment adds the
    file's behaviour (paths, copies, TOML)."""

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


# ---------------------------------------------------------------------------------------
# One declaration per setting

_SECTIONS = ("data", "vectorize", "compile", "fit")


@dataclass(frozen=True)
class Setting:
    """One setting of the experiment file. Its type and default are read from the dataclass
    field at `path`; the rest is declared here, once."""

    path: str  # "vectorize.ngrams"
    help: str  # one line
    choices: tuple[str, ...] = ()  # a value (or each item of a list) must be one of these
    low: float | None = None
    high: float | None = None
    unit: str = ""
    sources: tuple[str, ...] = ()  # applies only for these data.source values (() = all)
    kinds: tuple[str, ...] = ()  # applies only for these vectorize.kind values (() = all)
    examples: tuple[str, ...] = ()  # usual values of a free string (offered, not enforced)
    label: str = ""  # a form's label ("" = the name with spaces)
    zero: str = ""  # what 0 means, for a count whose 0 is "all" or "the default" (a form shows it empty)
    # An extra check of one value, raising ExperimentError (data.text's column positions).
    extra: Callable[[str, Any], None] | None = None
    # When the experiment file writes it (engine.experiment's writer), besides whenever it
    # differs from its default: "always" (the file shows it); "used" (while it applies to the
    # file's source and vectorizer kind); "set" (only then: unset by default, or newer than
    # the files written before it). Every file kerminal wrote so far reads back unchanged.
    written: Literal["always", "used", "set"] = "always"
    # Whether a sweep may search it. Not what trials must share to be compared: the data and
    # its split (None = every data.* setting) and the metric that scores them.
    sweep: bool | None = None

    @property
    def sweepable(self) -> bool:
        return self.sweep if self.sweep is not None else not self.path.startswith("data.")

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def hint(self) -> Any:
        """The dataclass field's type (`int`, `str | int`, `list[str]`, `float | None`)."""
        owner, attr = _owner(self.path)
        return type_hints(owner)[attr]

    @property
    def type(self) -> Any:
        """The type with its choices in it: Literal["words", "chars", "ngrams"]."""
        if not self.choices:
            return self.hint
        # Literal built at run time from the declared choices (a value, not a static type)
        choice: Any = Literal.__getitem__(tuple(self.choices))
        return list[choice] if typing.get_origin(self.hint) is list else choice

    @property
    def default(self) -> Any:
        value: Any = ExperimentSettings()
        for part in self.path.split("."):
            value = getattr(value, part)
        return value

    @property
    def type_name(self) -> str:
        return _type_name(self.hint)

    @property
    def range_text(self) -> str:
        if self.low is None and self.high is None:
            return ""
        if self.high is None:
            return f">= {self.low:g}"
        return f"{self.low:g}..{self.high:g}"

    def applies(self, source: str, kind: str) -> bool:
        """Whether the setting is used with this data source and vectorizer kind."""
        return (not self.sources or source in self.sources) and (not self.kinds or kind in self.kinds)

    def in_file(self, value: Any, source: str, kind: str) -> bool:
        """Whether the experiment file writes this value (see `written`); never None (TOML has no null)."""
        if value is None:
            return False
        return value != self.default or self.written == "always" or (self.written == "used" and self.applies(source, kind))

    def check(self, value: Any) -> None:
        """The value's choice, range and extra checks (its type is `convert`'s job)."""
        if self.choices:
            for item in value if isinstance(value, list) else [value]:
                # "" (the default of data.format) means "decide for me", never a bad choice.
                if not (item == "" and self.default == ""):
                    _choice(self.path, item, self.choices)
        if (self.low is not None or self.high is not None) and value is not None:
            _range(self.path, value, self.low, self.high)
        if self.extra is not None:
            self.extra(self.path, value)


def _owner(path: str) -> tuple[type, str]:
    cls: Any = ExperimentSettings
    *parents, attr = path.split(".")
    for part in parents:
        cls = type_hints(cls)[part]
    return cls, attr


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(hint))
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in typing.get_args(hint))}]"
    return "None" if hint is type(None) else getattr(hint, "__name__", str(hint))


def _column(path: str, value: Any) -> None:
    if isinstance(value, int) and value < 1:
        name = path.split(".")[1]
        raise ExperimentError(f"{path}: column {value} does not exist; positions count from 1.", f"Use {name} = 1 for the first column, or the column's name.")


TABLE_SOURCES = ("csv", "per-class")
OWN_TEST_SPLIT = ("folder", "keras")  # sources with a test split of their own
SEQUENCE_KINDS = ("words", "chars")  # vectorizers with a length, padded and truncated

SETTINGS: tuple[Setting, ...] = (
    Setting("data.source", "sample: the shipped CSV · reber/embedded-reber: grammar strings · csv: a table file · per-class: one file per class · folder: one subfolder of .txt files per class · keras: IMDB or Reuters", choices=SOURCES),
    Setting("data.path", "file or folder (relative to the experiment file)", sources=("csv", "per-class", "folder"), written="set"),
    Setting("data.format", "auto: by the extension, else sniffed from the content (delimiter , TAB ; |)", choices=TABLE_FORMATS, sources=TABLE_SOURCES, written="set"),
    Setting("data.header", "whether the first row names the columns; auto: sniffed (a first row whose label recurs below is data); without one, columns are numbered 1, 2, ...", sources=TABLE_SOURCES, label="header row", written="set"),
    Setting("data.quotes", 'whether "..." quotes fields; auto: yes for CSV, no for TSV (a message may start with an unbalanced ")', sources=TABLE_SOURCES, label="quoted fields", written="set"),
    Setting("data.text", "the text column, by name or by position for a file without a header ((guess) = the longest string column)", sources=TABLE_SOURCES, extra=_column, label="text column", written="set"),
    Setting("data.label", "the label column, by name or position ((guess) = the column with the fewest values)", sources=("csv",), extra=_column, label="label column", written="set"),
    Setting("data.files", "per-class: class=file pairs, e.g. fake=Fake.csv, true=True.csv", sources=("per-class",), written="set"),
    Setting("data.name", "which Keras dataset (downloaded once by Keras)", sources=("keras",), examples=("imdb", "reuters"), written="set"),
    Setting("data.size", "grammar strings to generate", low=0, unit="strings", sources=("reber", "embedded-reber"), zero="the default", written="set"),
    Setting("data.clean", "cleaning steps applied to every text", choices=CLEANERS, sources=("sample", *TABLE_SOURCES, *OWN_TEST_SPLIT)),
    Setting("data.split.validation", "fraction of rows held out for validation", low=0.0, high=0.95, unit="fraction", label="validation fraction"),
    Setting("data.split.test", "fraction of rows held out for testing", low=0.0, high=0.95, unit="fraction", label="test fraction"),
    Setting("data.split.seed", "seed of the shuffle and split"),
    Setting("data.split.merge_test", "pool the source's own test split (test/ folder, Keras's test set) with its training rows, then split by the fractions above, as seed 003 does",
            sources=OWN_TEST_SPLIT, label="merge its own test split", written="set"),
    Setting("data.split.validation_from_test", "validate on the source's own test split (its first rows after the shuffle) instead of training rows, as seed 002 does",
            sources=OWN_TEST_SPLIT, label="validate on its own test split", written="set"),
    Setting("data.limit", "rows per split to keep", low=0, unit="rows", zero="all"),
    Setting("data.validation_limit", "rows of the validation split to keep", low=0, unit="rows", label="validation limit", zero="as data.limit", written="set"),
    Setting("data.test_limit", "rows of the test split to keep", low=0, unit="rows", label="test limit", zero="as data.limit", written="set"),
    Setting("data.stream", f"read the data in chunks, memory flat in rows; auto: when the source on disk exceeds {STREAM_SHARE:.0%} of the free memory", sources=STREAM_SOURCES, label="stream data", written="set"),
    Setting("vectorize.kind", "words: a vocabulary of words, one id per step · chars: one symbol per step, one-hot (grammar strings) · ngrams: a bag of word n-grams, one TF-IDF (or count) vector per text", choices=VECTORIZE_KINDS),
    Setting("vectorize.max_tokens", "vocabulary size (words: padding and out-of-vocabulary ids included; ngrams: the vector's width)", low=3, unit="tokens", kinds=("words", "ngrams"), label="max tokens"),
    Setting("vectorize.length", "tokens (or characters) per example after padding/truncation", low=1, unit="steps", kinds=SEQUENCE_KINDS, written="used"),
    Setting("vectorize.padding", "pad short examples at the front (pre, as the tutorials) or the back", choices=SIDES, kinds=SEQUENCE_KINDS, written="used"),
    Setting("vectorize.truncation", "cut long examples at the front (pre) or the back", choices=SIDES, kinds=SEQUENCE_KINDS, written="used"),
    Setting("vectorize.alphabet", "the symbols in one-hot order (empty = learn from the training data)", kinds=("chars",), written="set"),
    Setting("vectorize.ngrams", "n-gram size: 1 = words, 2 = words and word pairs, 3 = up to triples", low=1, high=3, kinds=("ngrams",), label="n-gram size", written="used"),
    Setting("vectorize.output_mode", "each n-gram's weight: tf_idf, multi_hot (present or not), count, or nb (present or not, times its naive-Bayes log ratio: how much likelier it is in the second class than the first; two classes only)",
            choices=NGRAM_MODES, kinds=("ngrams",), label="output mode", written="used"),
    Setting("compile.optimizer", "the optimizer", choices=OPTIMIZERS),
    Setting("compile.learning_rate", "empty = the optimizer's own default (rmsprop/adam 0.001, sgd 0.01)", low=LEARNING_RATE_RANGE[0], high=LEARNING_RATE_RANGE[1], label="learning rate", written="set"),
    Setting("compile.loss", "auto follows from the labels and the last layer; or a Keras loss name"),
    Setting("compile.metrics", "Keras metric names"),
    Setting("fit.epochs", "epochs to train", low=1, high=100_000, unit="epochs"),
    Setting("fit.batch_size", "examples per training step", low=1, high=1_000_000, unit="examples", label="batch size"),
    Setting("fit.seed", "seed of the weights and the shuffle: the same seed gives the same first epoch"),
    Setting("fit.monitor", "the metric that picks the best epoch (and early stopping)", examples=("val_loss", "val_accuracy", "loss", "accuracy"), sweep=False),
    Setting("fit.xla", "XLA compilation of the training step: auto (on for long CPU runs, Keras's choice on a GPU), on or off", choices=XLA_CHOICES, label="XLA", written="set"),
    Setting("fit.devices", "one: train on one device · all: MirroredStrategy over every visible GPU; batch_size is then per device (the global batch is batch_size x devices); with one device or none the run says so and trains as with one",
            choices=DEVICES_CHOICES, label="devices", written="set"),
    Setting("fit.early_stopping.patience", "early stopping: epochs without improvement before stopping (0 = off)", low=0, high=100_000, unit="epochs", label="early stopping patience"),
    Setting("fit.early_stopping.restore_best", "early stopping: restore the best epoch's weights", label="restore best weights"),
    Setting("probes", "sentences (or grammar strings) re-scored after each epoch", written="set"),
)
BY_PATH = {s.path: s for s in SETTINGS}


@dataclass(frozen=True)
class Rule:
    """A check across settings: `broken(exp)` says when it fails."""

    name: str
    broken: Callable[[Any], bool]
    problem: str
    fix: str

    def check(self, exp: Any) -> None:
        if self.broken(exp):
            raise ExperimentError(self.problem, self.fix)


RULES: tuple[Rule, ...] = (
    Rule(
        "validation + test < 1",
        lambda e: e.data.split.validation + e.data.split.test >= 1.0,
        "data.split: validation + test must leave rows for training (their sum is >= 1).",
        "Lower data.split.validation or data.split.test.",
    ),
    Rule(
        "merge_test excludes validation_from_test",
        lambda e: e.data.split.merge_test and e.data.split.validation_from_test,
        "data.split: merge_test pools the source's test split into the training rows, so validation_from_test has no test split to validate on.",
        "Set one of data.split.merge_test and data.split.validation_from_test to false.",
    ),
)


def check(exp: Any) -> None:
    """Value checks that types alone cannot express: each setting's, then the rules."""
    for s in SETTINGS:
        value: Any = exp
        for part in s.path.split("."):
            value = getattr(value, part)
        s.check(value)
    for rule in RULES:
        rule.check(exp)
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


# ---------------------------------------------------------------------------------------
# Types: a value read from TOML (or given to engine.spec.set) as its field's type

_TYPE_WORDS = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list", dict: "a table"}


@functools.cache
def type_hints(cls: type) -> dict[str, Any]:
    """typing.get_type_hints, once per class: it compiles each string annotation again on
    every call, which was half the time of reading an experiment (500 runs' in the Runs
    pane: seconds). The dict is shared: read it, never change it."""
    return typing.get_type_hints(cls)


def load_table(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ExperimentError(f"{where}: expected a table, got {_describe(raw)}.", f"Write it as [{where}].")
    hints = type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.name != "base_dir"]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        path = f"{where}.{key}" if where else key
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Known keys here: {', '.join(names)}."
            raise ExperimentError(f"{path}: unknown key.", hint)
        if key == "layers" and issubclass(cls, ExperimentSettings):
            values[key] = _load_layers(value)
        else:
            values[key] = convert(hints[key], value, path)
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


def convert(hint: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in typing.get_args(hint):  # unset (spec.set; TOML has no null)
            return None
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        for option in options:  # the first option the value already is (bool is no int here)
            if isinstance(value, option) and not (option is int and isinstance(value, bool)):
                return value
        if len(options) > 1 and all(o in _TYPE_WORDS for o in options):
            words = " or ".join(_TYPE_WORDS[o] for o in options)
            raise ExperimentError(f"{path}: expected {words}, got {_describe(value)}.", f"Give {path.rsplit('.', 1)[-1]} {words}.")
        return convert(options[0], value, path)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return load_table(hint, value, path)
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ExperimentError(f"{path}: expected a list of {_TYPE_WORDS[item].split(' ', 1)[1]}s, got {_describe(value)}.", f"Write it as {path.rsplit('.', 1)[-1]} = [...].")
        return [convert(item, v, f"{path}[{i}]") for i, v in enumerate(value, 1)]
    if origin is dict:
        _, item = typing.get_args(hint)
        if not isinstance(value, dict):
            raise ExperimentError(f"{path}: expected a table, got {_describe(value)}.", f"Write it as {path.rsplit('.', 1)[-1]} = {{ key = value }}.")
        return {str(k): convert(item, v, f"{path}.{k}") for k, v in value.items()}
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
