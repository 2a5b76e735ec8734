"""A data folder walked once per run. The streaming choice (engine.data.stream.choose: the
bytes of every file below it) and the prepared-data cache's key (engine.prepared.key: a
digest of the listing the folder loader reads) each need a stat of every file, 0.5-1 s for
aclImdb's 100,000 files; one walk serves both, and holds sums and a digest, not the paths.

Within `once()` (PreparedCache.load_dataset: the choice, the key and the loader's own choice)
a walk is reused, keyed on the folder's path, inode and mtime; outside it every call walks:
a file edited in place changes no folder's mtime, so a process that lives on (the app) must
walk again for its next run. The scope is per thread (a context variable).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

KEY_DEPTH = 2  # train/ and test/ hold the class folders (aclImdb), or the root does


@dataclass(frozen=True)
class FolderListing:
    path: str  # resolved
    bytes: int  # every plain file below the folder (links to folders not followed)
    files: int  # the entries the folder loader lists (class folders, KEY_DEPTH levels down)
    loader_bytes: int  # their bytes
    digest: str  # of their names, sizes and mtimes
    problem: str  # a folder the loader reads that could not be listed ("" if none)
    unreadable: bool  # some folder below could not be listed


_walks: ContextVar[dict[tuple[str, int, int], FolderListing] | None] = ContextVar("kerminal_folder_walks", default=None)


@contextlib.contextmanager
def once() -> Iterator[None]:
    """Within it, folder_listing walks each folder once (nested: the outer scope's walks)."""
    if _walks.get() is not None:
        yield
        return
    token = _walks.set({})
    try:
        yield
    finally:
        _walks.reset(token)


def folder_listing(root: Path) -> FolderListing:
    """The walk of `root` (OSError when `root` itself cannot be stat'ed)."""
    st = os.stat(root)
    key = (str(Path(root).resolve()), st.st_ino, st.st_mtime_ns)
    walks = _walks.get()
    if walks is not None and key in walks:
        return walks[key]
    listing = _walk(Path(key[0]))
    if walks is not None:
        walks[key] = listing
    return listing


def _walk(root: Path) -> FolderListing:
    from engine.data.folders import UNLABELLED

    h = hashlib.sha256()
    total = files = loader_bytes = 0
    problem, unreadable = "", False
    # (folder, its name relative to root, levels the loader's listing still goes down; None:
    # a folder the loader does not read, counted in `total` only). A stack, not recursion:
    # a deep tree does not reach Python's recursion limit.
    stack: list[tuple[str, str, int | None]] = [(str(root), "", KEY_DEPTH)]
    while stack:
        folder, rel, depth = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name) if depth is not None else list(it)
        except OSError as exc:
            unreadable = True
            if depth is not None and not problem:
                problem = f"{folder}: {exc.strerror or exc}"
            continue
        below: list[tuple[str, str, int | None]] = []
        for e in entries:
            try:
                is_dir = e.is_dir()
                st = None if is_dir else e.stat()
            except OSError:  # a dangling link or a loop: the loader names it, the key counts it
                is_dir, st = False, None
            name = f"{rel}{e.name}"
            if depth is not None:
                if is_dir:
                    h.update(f"d {name}\n".encode("utf-8", "surrogateescape"))
                else:
                    files += 1
                    loader_bytes += st.st_size if st else 0
                    h.update(f"f {name} {st.st_size if st else -1} {st.st_mtime_ns if st else -1}\n".encode("utf-8", "surrogateescape"))
            if is_dir:
                keyed = depth is not None and depth > 0 and e.name not in UNLABELLED and not e.name.startswith(".")
                if keyed or not e.is_symlink():
                    below.append((e.path, name + "/", depth - 1 if keyed and depth is not None else None))
            elif st is not None and stat.S_ISREG(st.st_mode):
                total += st.st_size
        stack.extend(reversed(below))  # popped in name order: the digest is the same every walk
    return FolderListing(str(root), total, files, loader_bytes, h.hexdigest(), problem, unreadable)
