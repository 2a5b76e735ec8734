"""The experiment file: one human-editable TOML file that describes a whole experiment.

The settings themselves (dataclasses, declarations, checks) are engine.config's; here is the
file: reading is strict: an unknown key or a wrong type raises ExperimentError naming the key
(with the closest known key), so a typo never silently falls back to a default. Writing is
canonical, so load -> save -> load round-trips exactly.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

# The settings' types, defaults and declarations live in engine.config; they are named here
# too, where most of the engine has always imported them from.
from engine.config import (  # noqa: F401
    BY_PATH,
    CLEANERS,
    LEARNING_RATE_RANGE,
    NGRAM_MODES,
    OPTIMIZERS,
    SIDES,
    SOURCES,
    TABLE_FORMATS,
    VECTORIZE_KINDS,
    VERSION,
    XLA_CHOICES,
    CompileConfig,
    DataConfig,
    EarlyStoppingConfig,
    ExperimentSettings,
    FitConfig,
    LayerSpec,
    SplitConfig,
    VectorizeConfig,
    check,
    load_table,
)
from engine.errors import ExperimentError


@dataclass
class Experiment(ExperimentSettings):
    """An experiment file's settings, with where the file lives (relative data paths)."""

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
    exp = load_table(Experiment, raw, "")
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


# ---------------------------------------------------------------------------------------
# Writing


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


def _dump(obj: Any, exp: Any = None, where: str = "") -> Any:
    """Plain values of `obj` (at `where` in the experiment `exp`), as the file writes them:
    which settings it leaves out is each declaration's (`Setting.in_file`)."""
    if isinstance(obj, LayerSpec):
        return {"type": obj.type, **copy.deepcopy(obj.params)}
    if dataclasses.is_dataclass(obj):
        exp = obj if exp is None else exp
        out: dict[str, Any] = {}
        # Scalars first, tables after: TOML needs that order and it reads better.
        fields = [f for f in dataclasses.fields(obj) if f.name != "base_dir"]
        if isinstance(obj, Experiment):
            fields.sort(key=lambda f: f.name != "version")
        for f in fields:
            value = getattr(obj, f.name)
            path = f"{where}.{f.name}" if where else f.name
            if _written(path, value, exp):
                out[f.name] = _dump(value, exp, path)
        return out
    if isinstance(obj, list):
        return [_dump(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _dump(v) for k, v in obj.items()}
    return obj


def _written(path: str, value: Any, exp: Any) -> bool:
    """Whether the file writes the field at `path`: a setting as its declaration says; a
    section, the layers and the file's own name, version, description and preset unless empty."""
    setting = BY_PATH.get(path)
    if setting is None:
        return value is not None and value != ""
    return setting.in_file(value, exp.data.source, exp.vectorize.kind)
