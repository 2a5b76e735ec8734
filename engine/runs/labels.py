"""Runs you can tell apart: a user's name, note and tags for a run, and the name and preset
a run gets when the user gave none.

The user's labels live in RUN/label.json, a small file of their own: metrics.json has one
writer (the run's process), and a label is the user's, written by the CLI or the app at any
time, even while the run trains. It is written atomically, only into a folder the caller
owns, and read with a cap, leniently (a damaged label.json reads as no label: a listing
never fails over a name).

A run's default name says what it is, from its experiment.toml: `<data> · <main layer> ·
lr 1e-3` ("SMSSpamCollection · LSTM(32) · lr 1e-3"), with the bag for an n-gram model
("imdb · 2-grams nb · Dense(16) · lr 1e-3": runs that differ only in how words are counted
differ in name too). The preset shown is the recorded one
only while the run's layers are still that preset's layers. Both read the TOML as parsed
(a dict), leniently, so that listing 500 runs stays cheap. TF-free.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import RunError
from engine.runs import safe

LABEL = "label.json"
LABEL_CAP = 64 * 1024
NAME_MAX = 120
NOTE_MAX = 4000
TAG_MAX = 40
TAGS_MAX = 50
SEP = " · "


@dataclass
class Label:
    """What the user called a run (each empty when not given)."""

    name: str = ""
    note: str = ""
    tags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_label(path: str | os.PathLike[str]) -> Label:
    """RUN/label.json as a Label; an empty one when it is missing, not a plain file, over
    the cap or not what this module writes."""
    try:
        raw = json.loads(safe.read_text(Path(path) / LABEL, LABEL_CAP))
    except (OSError, ValueError, RecursionError):
        return Label()
    if not isinstance(raw, dict):
        return Label()
    tags = raw.get("tags")
    return Label(
        name=_text(raw.get("name"), NAME_MAX),
        note=_text(raw.get("note"), NOTE_MAX),
        tags=[t for t in (_tag(x) for x in tags[:TAGS_MAX]) if t] if isinstance(tags, list) else [],
    )


def _text(value: Any, cap: int) -> str:
    return value.strip()[:cap] if isinstance(value, str) else ""


def _tag(value: Any) -> str:
    return "-".join(value.split())[:TAG_MAX] if isinstance(value, str) else ""


def write_label(path: str | os.PathLike[str], label: Label, force: bool = False) -> Label:
    """Write RUN/label.json atomically, into a real folder of the caller's (root: `force`);
    RunError naming the problem otherwise. The caller has checked that it is a run
    (engine.runs.read_info: this module sits below the folder readers). Returns the label
    as written."""
    from engine.experiment import atomic_write_text

    path = Path(path)
    safe.check_own_dir(path, force=force)
    clean = Label(_text(label.name, NAME_MAX), _text(label.note, NOTE_MAX), list(dict.fromkeys(t for t in map(_tag, label.tags) if t))[:TAGS_MAX])
    atomic_write_text(path / LABEL, json.dumps(clean.to_dict(), ensure_ascii=False, indent=2) + "\n", make_parents=False)
    return clean


def rename(path: str | os.PathLike[str], name: str, force: bool = False) -> Label:
    """Give a run a name of the user's ("" goes back to the derived one)."""
    if len(name.strip()) > NAME_MAX:
        raise RunError(f"The name is {len(name.strip())} characters long; a run's name has at most {NAME_MAX}.", "Give a shorter name; a note (`kerminal note`) holds longer text.")
    label = read_label(path)
    label.name = name
    return write_label(path, label, force)


def set_note(path: str | os.PathLike[str], note: str, force: bool = False) -> Label:
    """Set a run's note ("" removes it)."""
    if len(note.strip()) > NOTE_MAX:
        raise RunError(f"The note is {len(note.strip()):,} characters long; a note has at most {NOTE_MAX:,}.", "Shorten it, or keep long text in a file beside the runs.")
    label = read_label(path)
    label.note = note
    return write_label(path, label, force)


def tag(path: str | os.PathLike[str], tags: list[str], remove: bool = False, force: bool = False) -> Label:
    """Add tags to a run (or remove them); a tag is one word (spaces become "-")."""
    wanted = [t for t in map(_tag, tags) if t]
    if not wanted:
        raise RunError("No tag given.", "Give one or more words, as in `kerminal tag RUN baseline good`.")
    label = read_label(path)
    if remove:
        label.tags = [t for t in label.tags if t not in wanted]
    else:
        label.tags = list(dict.fromkeys([*label.tags, *wanted]))
        if len(label.tags) > TAGS_MAX:
            raise RunError(f"A run has at most {TAGS_MAX} tags; this would make {len(label.tags)}.", "Remove some with `kerminal tag RUN TAG --remove`.")
    return write_label(path, label, force)


def set_tags(path: str | os.PathLike[str], tags: list[str], force: bool = False) -> Label:
    """Replace a run's tags with `tags` (none: no tags; the Runs pane's `t` edits them all)."""
    wanted = list(dict.fromkeys(t for t in map(_tag, tags) if t))
    if len(wanted) > TAGS_MAX:
        raise RunError(f"A run has at most {TAGS_MAX} tags; {len(wanted)} were given.", "Keep the ones that tell runs apart; a note holds the rest.")
    label = read_label(path)
    label.tags = wanted
    return write_label(path, label, force)


# ---------------------------------------------------------------------------------------
# What a run is called when the user said nothing

# The layers that say what a model is, best first; the rest (Embedding, Dropout, pooling,
# the Dense head) are what every stack has.
_MAIN = ("Bidirectional", "LSTM", "GRU", "SimpleRNN", "Conv1D", "TransformerBlock", "MultiHeadAttention")
_SIZE = ("units", "filters", "num_heads")


def derived_name(raw: dict[str, Any]) -> str:
    """`<data> · <main layer> · lr 1e-3` from an experiment file as parsed ("" when it has
    nothing to say)."""
    if not isinstance(raw, dict):
        return ""
    parts = [data_name(raw.get("data")), _bag(raw.get("vectorize")), main_layer(raw.get("layers")), _rate(raw.get("compile"))]
    return SEP.join(p for p in parts if p)


def _bag(vectorize: Any) -> str:
    """An n-gram vectorizer in a word: "2-grams nb", "1-grams tf_idf" ("" for word ids)."""
    if not isinstance(vectorize, dict) or vectorize.get("kind") != "ngrams":
        return ""
    n = vectorize.get("ngrams")
    mode = vectorize.get("output_mode")
    grams = f"{n}-grams" if isinstance(n, int) and not isinstance(n, bool) else "n-grams"
    return f"{grams} {str(mode)[:20]}" if isinstance(mode, str) and mode else grams


def data_name(data: Any) -> str:
    """The data in a word: the file's or folder's name, the Keras dataset, "sample"."""
    if not isinstance(data, dict):
        return "sample"
    source = str(data.get("source", "sample"))[:40]
    where = Path(str(data.get("path") or "")).stem or str(data.get("name") or "")
    files = data.get("files")
    if not where and isinstance(files, dict) and files:
        where = "+".join(str(k) for k in list(files)[:3])
    return where[:40] or source


def main_layer(layers: Any) -> str:
    """The layer that says what the model is, with its size: "LSTM(32)", "Bidirectional(LSTM(64))"."""
    if not isinstance(layers, list):
        return ""
    found = [x for x in layers if isinstance(x, dict) and isinstance(x.get("type"), str)]
    if not found:
        return ""
    for kind in _MAIN:
        for layer in found:
            if layer["type"] == kind:
                return _layer_text(layer)
    hidden = [x for x in found[:-1] if x["type"] == "Dense"]  # a Dense before the head (n-gram models)
    return _layer_text(hidden[0] if hidden else found[0])


def _layer_text(layer: dict[str, Any]) -> str:
    inner = layer.get("layer")
    if isinstance(inner, dict) and isinstance(inner.get("type"), str):
        return f"{layer['type'][:30]}({_layer_text(inner)})"
    size = next((layer[k] for k in _SIZE if isinstance(layer.get(k), int) and not isinstance(layer.get(k), bool)), None)
    if size is None:
        size = _default_size(layer["type"])
    return f"{layer['type'][:30]}({size})" if size is not None else layer["type"][:30]


def _default_size(kind: str) -> int | None:
    from engine.errors import KerminalError
    from engine.layers.registry import layer_info

    try:
        info = layer_info(kind)
    except KerminalError:
        return None
    defaults = info.defaults()
    return next((defaults[k] for k in _SIZE if isinstance(defaults.get(k), int)), None)


def _rate(compile_: Any) -> str:
    if not isinstance(compile_, dict):
        return ""
    lr = compile_.get("learning_rate")
    if isinstance(lr, (int, float)) and not isinstance(lr, bool) and lr > 0:
        return f"lr {short_float(float(lr))}"
    optimizer = compile_.get("optimizer")
    return str(optimizer)[:20] if isinstance(optimizer, str) else ""


def short_float(x: float) -> str:
    """1e-3, 3e-4, 2.5e-4, 0.5: a learning rate as people write it."""
    if x == 0 or 1e-2 <= abs(x) < 1e4:
        return f"{x:g}"
    mantissa, exponent = f"{x:.3e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def true_preset(raw: dict[str, Any]) -> str:
    """The preset the experiment records, while its layers are still that preset's layers
    (parameters left at their defaults count as equal); "" otherwise."""
    if not isinstance(raw, dict):
        return ""
    name = raw.get("preset")
    if not isinstance(name, str) or not name:
        return ""
    theirs = _preset_layers(name)
    return name if theirs is not None and _layers_key(raw.get("layers")) == theirs else ""


@functools.lru_cache(maxsize=64)
def _preset_layers(name: str) -> tuple[Any, ...] | None:
    import tomllib

    from engine.layers.presets import presets_dir

    if name not in {p.stem for p in presets_dir().glob("*.toml")}:
        return None
    try:
        raw = tomllib.loads((presets_dir() / f"{name}.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return _layers_key(raw.get("layers"))


def _layers_key(layers: Any) -> tuple[Any, ...] | None:
    if not isinstance(layers, list):
        return None
    return tuple(_layer_key(x) for x in layers)


def _layer_key(layer: Any) -> Any:
    if not isinstance(layer, dict) or not isinstance(layer.get("type"), str):
        return repr(layer)
    from engine.errors import KerminalError
    from engine.layers.registry import layer_info

    params = {k: v for k, v in layer.items() if k != "type"}
    with contextlib.suppress(KerminalError):  # an unknown type: compared as written
        params = {**layer_info(layer["type"]).defaults(), **params}
    return (layer["type"], json.dumps({k: _layer_key(v) if isinstance(v, dict) else v for k, v in params.items()}, sort_keys=True, default=str))
