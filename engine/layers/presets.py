"""Built-in presets: every tutorial model of shared/SEEDS.md, plus defaults of our own.

Each preset is an experiment file in assets/presets/ (package `kerminal_assets`), so users
can copy one (`kerminal presets --save NAME FILE`) and edit it. TF-free.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from engine import experiment
from engine.errors import ExperimentError
from engine.experiment import Experiment

# Tutorials first (in seed order), then ours; `kerminal presets` lists them in this order.
ORDER = (
    "seed000-simplernn",
    "seed000-lstm",
    "seed001-simplernn",
    "seed001-lstm",
    "seed001-stacked-simplernn",
    "seed002-reber",
    "seed002-bilstm",
    "seed003-simplernn",
    "seed004-lstm",
    "sample-gru",
    "imdb-bigru-pool",
    "imdb-bilstm-pool",
    "imdb-ngram",
    "imdb-transformer",
    "sms-ngram",
    "reber-gru-full",
)
DEFAULT = "sample-gru"


@dataclass(frozen=True)
class PresetInfo:
    name: str
    description: str
    params: int

    def to_dict(self) -> dict:
        return asdict(self)


def presets_dir() -> Path:
    # A source tree's own presets first (a checkout run with PYTHONPATH beside an editable
    # install of another checkout must not list that checkout's presets).
    here = Path(__file__).resolve().parents[2] / "assets" / "presets"
    if (here / f"{DEFAULT}.toml").is_file():
        return here
    try:
        return Path(str(resources.files("kerminal_assets") / "presets"))
    except ModuleNotFoundError:  # running from a source tree without the install
        return Path(__file__).resolve().parents[2] / "assets" / "presets"


def preset_names() -> list[str]:
    found = {p.stem for p in presets_dir().glob("*.toml")}
    return [n for n in ORDER if n in found] + sorted(found - set(ORDER))


def preset_text(name: str) -> str:
    """The preset's experiment file, as shipped."""
    path = presets_dir() / f"{name}.toml"
    if not path.is_file():
        names = preset_names()
        close = difflib.get_close_matches(str(name), names, n=1)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        raise ExperimentError(f"No preset named {name!r}.", f"{hint}Run `kerminal presets` to list them: {', '.join(names)}.")
    return path.read_text(encoding="utf-8")


def get_preset(name: str) -> Experiment:
    """A fresh copy of the preset; relative data paths resolve against the current folder."""
    return experiment.loads(preset_text(name), Path.cwd())


def list_presets() -> list[PresetInfo]:
    from engine.layers.validate import validate_experiment

    out = []
    for name in preset_names():
        exp = get_preset(name)
        out.append(PresetInfo(name, exp.description, validate_experiment(exp).total))
    return out


def default_experiment() -> Experiment:
    """The app's start: the built-in sample data and a small, fast, good model."""
    return get_preset(DEFAULT)


def save_preset(name: str, path: str | Path, overwrite: bool = True) -> Path:
    """Write a preset as an experiment file (atomically) and return its path. `path` may be a
    folder: the file is then `path/NAME.toml`. With overwrite=False an existing file is kept
    (ExperimentError). A path that cannot be written is an ExperimentError too."""
    exp = get_preset(name)
    target = Path(path)
    if target.is_dir():
        target = target / f"{name}.toml"
        if target.is_dir():
            raise ExperimentError(f"{target} is a folder.", "Give a file name for the preset, for example mine.toml.")
    if target.exists() and not overwrite:
        raise ExperimentError(f"{target} already exists.", "Give another file name, or pass --force to overwrite it.")
    blocker = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ExperimentError(f"Cannot write {target}: {blocker} is a file, not a folder.", "Give a path inside a folder.")
    try:
        return experiment.save(exp, target)
    except OSError as exc:
        raise ExperimentError(f"Cannot write {target}: {exc.strerror or exc}.", "Give a path you can write to.") from None
