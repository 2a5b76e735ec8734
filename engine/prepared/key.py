"""What a cache entry is keyed on: the data's identity and the settings that shape it.

- The data: each file the source reads, as (resolved path, size, mtime_ns); for a class
  folder, a digest of the listing the folder loader reads (every entry of its class folders,
  with size and mtime_ns: one stat a file, made once per run with the streaming choice's, see
  engine/data/listing.py; unlabelled folders such as aclImdb's unsup/ by name only, as the
  loader ignores them).
- The settings: the whole `data` section (every data.* setting), and for the vectorizer and
  its ids the whole `vectorize` section, hashed as the dataclasses hold them, so a setting
  declared later is in the key without anyone listing it here. Settings of the model, the
  optimizer or the fit are not: runs that differ only in those share the entry.

Both keys hold the installed versions (kerminal's for the data: a newer loader may read the
same files otherwise; Keras's and TensorFlow's for the vectorizer), so an upgrade prepares
afresh. `source` is the key without sizes and times: an entry with the same source but another key
is the cache of an older version of the same file(s), removed and said when it is rebuilt.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.experiment import Experiment

FORMAT = 1  # of the cache's entries; a new one leaves the older entries unread (and evicted)


class NoKey(Exception):
    """The data cannot be keyed (a file is missing, a Keras file not downloaded yet): the run
    goes on without the cache, and the loader says what is wrong, if anything."""


@dataclass(frozen=True)
class DataKey:
    key: str  # hex digest of the identity and the data settings
    source: str  # the same without sizes and times
    files: int  # how many files the data is
    bytes: int


@functools.cache
def versions(*packages: str) -> tuple[str, ...]:
    """The installed versions of `packages` ("" for one that is not installed), read from
    their metadata without importing them."""
    from importlib import metadata

    out = []
    for name in packages:
        try:
            out.append(metadata.version(name))
        except metadata.PackageNotFoundError:
            out.append("")
    return tuple(out)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:32]


def section(exp: Experiment, name: str) -> dict[str, Any]:
    """A settings section as its dataclass holds it (every declared setting)."""
    return dataclasses.asdict(getattr(exp, name))


def _file(path: Path) -> tuple[str, int, int]:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise NoKey(f"{path}: {exc.strerror or exc}") from None
    return str(path.resolve()), st.st_size, st.st_mtime_ns


def _folder(root: Path) -> tuple[str, int, int, str]:
    """(resolved path, files, bytes, digest of the listing the folder loader reads), from the
    run's one walk of the folder (engine.data.listing, shared with the streaming choice)."""
    from engine.data.listing import folder_listing

    try:
        listing = folder_listing(root)
    except OSError as exc:
        raise NoKey(f"{root}: {exc.strerror or exc}") from None
    if listing.problem:
        raise NoKey(listing.problem)
    return listing.path, listing.files, listing.loader_bytes, listing.digest


def data_key(exp: Experiment) -> DataKey:
    """The key of `exp`'s loaded data; NoKey when it cannot be keyed."""
    d = exp.data
    ident: list[Any] = []
    if d.source == "sample":
        from engine.data.sample import sample_path

        ident = [_file(Path(sample_path()))]
    elif d.source == "csv":
        if not d.path:
            raise NoKey("data.path is empty")
        ident = [_file(exp.resolve(d.path))]
    elif d.source == "per-class":
        ident = [(name, *_file(exp.data_file(path))) for name, path in sorted(d.files.items())]
    elif d.source == "folder":
        if not d.path or not exp.resolve(d.path).is_dir():
            raise NoKey("data.path is not a folder")
        path, files, size, digest = _folder(exp.resolve(d.path))
        ident = [(path, files, size, digest)]
    elif d.source == "keras":
        from engine.data.keras_datasets import find_cached

        found = [find_cached(f"{d.name}.npz"), find_cached(f"{d.name}_word_index.json")]
        if not all(found):
            raise NoKey(f"the Keras {d.name or '?'} files are not downloaded yet")
        ident = [_file(Path(p)) for p in found if p is not None]
    elif d.source not in ("reber", "embedded-reber"):  # generated from the settings alone
        raise NoKey(f"unknown source {d.source!r}")
    settings = section(exp, "data")
    settings.pop("path", None)  # relative to the file: the resolved paths above say where
    names = [str(item[0]) for item in ident]
    if d.source == "folder":
        files, size = int(ident[0][1]), int(ident[0][2])
    else:
        files, size = len(ident), sum(int(item[-2]) for item in ident)
    made_by = versions("kerminal")
    return DataKey(_digest([FORMAT, made_by, d.source, ident, settings]), _digest([FORMAT, made_by, d.source, names, settings]), files, size)


def vectorizer_key(data: DataKey, exp: Experiment) -> str:
    """The adapted vectorizer's key: the data's and every vectorize.* setting."""
    return _digest([FORMAT, versions("keras", "tensorflow"), data.key, section(exp, "vectorize")])


def ids_key(vectorizer: str, vocabulary: list[str]) -> str:
    """The vectorized ids' key: the vectorizer's, and the vocabulary itself (a resumed run's
    model brings its own vocabulary; its ids are those of that vocabulary)."""
    return _digest([FORMAT, vectorizer, hashlib.sha256("\n".join(vocabulary).encode("utf-8", "surrogatepass")).hexdigest()])
