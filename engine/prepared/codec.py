"""The files of a cache entry, written and read back without trusting them.

The cache folder may be shared and is treated as hostile input (as a run folder is, see
engine/runs/safe.py): nothing is unpickled (`allow_pickle=False`), every file is opened
without following a link, every array's dtype, shape and range is checked before use, and
anything that does not hold up raises `Corrupt`, after which the entry is dropped and built
again. Texts are one UTF-8 blob and an int64 array of offsets (n + 1 of them), which read
back in tens of milliseconds for 50,000 reviews where a pickle would be unsafe to load.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from engine.runs.safe import open_regular, read_bytes

META_CAP = 16 * 1024 * 1024  # meta.json: the notes and class names of a dataset
_WRITE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class Corrupt(ValueError):
    """An entry's file is missing, a link, or does not hold what its entry says."""


# ---- writing (into a fresh private temporary folder, see store.write) ---------------------
def write_bytes(path: Path, data: bytes | memoryview) -> None:
    fd = os.open(path, _WRITE, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def write_array(path: Path, array: np.ndarray) -> None:
    fd = os.open(path, _WRITE, 0o600)
    with os.fdopen(fd, "wb") as fh:
        np.save(fh, np.ascontiguousarray(array), allow_pickle=False)


def write_json(path: Path, value: Any) -> None:
    write_bytes(path, json.dumps(value, ensure_ascii=False).encode("utf-8"))


def write_texts(folder: Path, name: str, texts: Sequence[str]) -> None:
    """`name`.utf8 (the texts one after another) and `name`.offsets.npy (where each starts).
    Written a text at a time: a first run's peak memory holds no second copy of its corpus."""
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    fd = os.open(folder / f"{name}.utf8", _WRITE, 0o600)
    with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
        end = 0
        for i, text in enumerate(texts, 1):
            end += fh.write(text.encode("utf-8", errors="surrogatepass"))
            offsets[i] = end
    write_array(folder / f"{name}.offsets.npy", offsets)


# ---- reading -------------------------------------------------------------------------------
def read_json(path: Path) -> Any:
    try:
        return json.loads(read_bytes(path, META_CAP).decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise Corrupt(f"{path.name}: {exc}") from None


def read_whole(path: Path) -> bytes:
    """A plain file's bytes, however large (its size read first: read(huge) would allocate huge)."""
    try:
        with os.fdopen(open_regular(path), "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            data = fh.read(size)
    except OSError as exc:
        raise Corrupt(f"{path.name}: {exc}") from None
    if len(data) != size:
        raise Corrupt(f"{path.name} changed while it was read")
    return data


def read_array(path: Path, dtype: str, ndim: int, mmap: bool = False) -> np.ndarray:
    """A .npy file of `dtype` and `ndim` dimensions. `mmap`: memory-mapped read-only (np.load
    needs a path for that: the path is checked to be a plain file, not a link, first; the
    entry folder is the caller's own and private, so nobody swaps it in between)."""
    try:
        if mmap:
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode):
                raise Corrupt(f"{path.name} is not a plain file")
            array = np.load(path, mmap_mode="r", allow_pickle=False)
        else:
            with os.fdopen(open_regular(path), "rb") as fh:
                array = np.load(fh, allow_pickle=False)
    except Corrupt:
        raise
    except (OSError, ValueError, EOFError) as exc:
        raise Corrupt(f"{path.name}: {exc}") from None
    if not isinstance(array, np.ndarray) or array.dtype != np.dtype(dtype) or array.ndim != ndim:
        raise Corrupt(f"{path.name} holds {getattr(array, 'dtype', type(array).__name__)} x{getattr(array, 'ndim', '?')}, not {dtype} x{ndim}")
    return array


def read_texts(folder: Path, name: str, count: int) -> list[str]:
    """The `count` texts written by write_texts."""
    offsets = read_array(folder / f"{name}.offsets.npy", "int64", 1)
    blob = read_whole(folder / f"{name}.utf8")
    if len(offsets) != count + 1 or (len(offsets) and (offsets[0] != 0 or offsets[-1] != len(blob))) or np.any(np.diff(offsets) < 0):
        raise Corrupt(f"{name}: the offsets do not fit the {len(blob):,} bytes of text")
    at = offsets.tolist()
    try:
        return [blob[at[i] : at[i + 1]].decode("utf-8", errors="surrogatepass") for i in range(count)]
    except UnicodeDecodeError as exc:
        raise Corrupt(f"{name}.utf8: not UTF-8 ({exc.reason})") from None


def read_labels(path: Path, count: int, classes: int) -> np.ndarray:
    labels = read_array(path, "int64", 1)
    if len(labels) != count or (count and (labels.min() < 0 or labels.max() >= classes)):
        raise Corrupt(f"{path.name}: {len(labels)} labels for {count} rows, or a label outside 0..{classes - 1}")
    return labels


def folder_bytes(folder: Path) -> int:
    """What an entry's files take on disk (their sizes; links and folders inside count 0)."""
    total = 0
    try:
        with os.scandir(folder) as entries:
            for e in entries:
                if e.is_file(follow_symlinks=False):
                    total += e.stat(follow_symlinks=False).st_size
    except OSError:
        return 0
    return total
