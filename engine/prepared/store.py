"""The cache folder: where it is, its entries, writing one atomically, a lock per entry, and
the size cap (least recently used entries go first).

Where: $KERMINAL_CACHE_DIR, else $XDG_CACHE_HOME/kerminal/prepared, else
~/.cache/kerminal/prepared (as engine.workspace.state_dir picks the state folder). The folder
is made private (0700) and used only while it is a real folder of the caller's (a link, or
another user's folder, is refused with the run folders' own rule, engine.runs.safe).

An entry is a folder named KIND-KEY (d: loaded data, v: adapted vectorizer, i: vectorized
ids) holding meta.json and its arrays. It is written into a temporary folder that is renamed
into place, so a half-written entry is never read; a write that fails (a full disk) removes
its temporary folder and raises the OSError for the caller to say. Its last use is the entry
folder's mtime, touched on every hit.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import stat
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from engine.errors import KerminalError
from engine.prepared import codec
from engine.runs.safe import check_own_dir

CACHE_ENV = "KERMINAL_CACHE_DIR"
MAX_ENV = "KERMINAL_CACHE_MAX"
DEFAULT_MAX = 10 * 1000**3  # 10 GB, as engine.memory.format_bytes writes it
META = "meta.json"
LOCKS = "locks"
LOCK_WAIT_S = 600.0  # a second run waits this long for the first to prepare the same entry
ENTRY = re.compile(r"^[dvi]-[0-9a-f]{32}$")
KINDS = {"d": "data", "v": "vectorizer", "i": "ids"}


class Unusable(Exception):
    """The cache folder cannot be used (a link, another user's, not writable): the run goes on
    without it, and says why."""


def cache_dir() -> Path:
    """$KERMINAL_CACHE_DIR, else $XDG_CACHE_HOME/kerminal/prepared, else ~/.cache/kerminal/prepared."""
    own = os.environ.get(CACHE_ENV)
    if own:
        return Path(own).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"  # the spec: a relative one is invalid
    return base / "kerminal" / "prepared"


def parse_size(text: str) -> int:
    """'10G' or '10GB' (10 x 1000^3), '10GiB' (10 x 1024^3), '500M', '2048' -> bytes;
    ValueError when it is none of those."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*", text.lower())
    if not m:
        raise ValueError(text)
    return int(float(m.group(1)) * (1024 if m.group(3) else 1000) ** " kmgt".index(m.group(2) or " "))


def max_bytes() -> int:
    """The size cap: $KERMINAL_CACHE_MAX ('10G', '500M', bytes), else DEFAULT_MAX."""
    with contextlib.suppress(ValueError):
        return parse_size(os.environ.get(MAX_ENV, "") or str(DEFAULT_MAX))
    return DEFAULT_MAX


@dataclass(frozen=True)
class Entry:
    name: str  # KIND-KEY
    path: Path
    bytes: int
    used: float  # last use, seconds since the epoch
    meta: dict[str, Any]

    @property
    def kind(self) -> str:
        return KINDS[self.name[0]]


class Store:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else cache_dir()

    def ready(self) -> Path:
        """The cache folder, made (0700) if missing; Unusable when it is not the caller's own."""
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            check_own_dir(self.root, "cache folder")
            (self.root / LOCKS).mkdir(mode=0o700, exist_ok=True)
            check_own_dir(self.root / LOCKS, "cache folder")
        except KerminalError as exc:
            raise Unusable(exc.problem) from None
        except OSError as exc:
            raise Unusable(f"{self.root}: {exc.strerror or exc}") from None
        return self.root

    # ---- entries -----------------------------------------------------------------------------
    def entry(self, name: str) -> Path | None:
        """The folder of entry `name` when it is there and is a real folder of the caller's;
        a link or anything else in its place is removed (None)."""
        path = self.root / name
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            self.drop(name)
            return None
        return path

    def touch(self, name: str) -> None:
        with contextlib.suppress(OSError):
            os.utime(self.root / name, follow_symlinks=False)

    def drop(self, name: str) -> None:
        """Remove entry `name` (a folder, or a link or file planted in its place)."""
        path = self.root / name
        with contextlib.suppress(OSError):
            if path.is_symlink() or not path.is_dir():
                path.unlink()
            else:
                shutil.rmtree(path)

    def write(self, name: str, fill: Callable[[Path], dict[str, Any]], cap: int | None = None) -> int:
        """Write entry `name`: `fill(folder)` writes its files and returns its meta. Atomic (a
        temporary folder renamed into place). The entry's size; 0 when it was larger than the
        cap and not kept. Raises OSError (ENOSPC...) after removing what it wrote."""
        cap = max_bytes() if cap is None else cap
        tmp = self.root / f".tmp-{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            tmp.mkdir(mode=0o700)
            meta = fill(tmp)
            codec.write_json(tmp / META, meta)
            size = codec.folder_bytes(tmp)
            if size > cap:
                shutil.rmtree(tmp, ignore_errors=True)
                return 0
            self.drop(name)  # an older or damaged entry of the same key
            os.rename(tmp, self.root / name)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.evict(cap, keep=name)
        return size

    def entries(self) -> list[Entry]:
        """Every entry, oldest use first (unreadable ones are listed with empty meta)."""
        out = []
        try:
            names = [n for n in os.listdir(self.root) if ENTRY.match(n)]
        except OSError:
            return []
        for name in names:
            path = self.root / name
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if not stat.S_ISDIR(st.st_mode):
                out.append(Entry(name, path, 0, st.st_mtime, {}))
                continue
            try:
                meta = codec.read_json(path / META)
            except codec.Corrupt:
                meta = {}
            out.append(Entry(name, path, codec.folder_bytes(path), st.st_mtime, meta if isinstance(meta, dict) else {}))
        return sorted(out, key=lambda e: e.used)

    def evict(self, cap: int, keep: str = "") -> list[str]:
        """Remove the least recently used entries until the total is within `cap` (never
        `keep`, the entry just written); the names removed. Left-over temporary folders of
        writes that were killed go too, once they are an hour old."""
        removed = []
        entries = self.entries()
        total = sum(e.bytes for e in entries)
        for e in entries:
            if total <= cap:
                break
            if e.name != keep:
                self.drop(e.name)
                total -= e.bytes
                removed.append(e.name)
        with contextlib.suppress(OSError):
            for n in os.listdir(self.root):
                if n.startswith(".tmp-") and time.time() - os.lstat(self.root / n).st_mtime > 3600:
                    shutil.rmtree(self.root / n, ignore_errors=True)
        return removed

    def clear(self, prefix: str = "") -> list[str]:
        """Remove every entry (or those whose KIND-KEY or KEY starts with `prefix`)."""
        removed = []
        for e in self.entries():
            if not prefix or e.name.startswith(prefix) or e.name[2:].startswith(prefix):
                self.drop(e.name)
                removed.append(e.name)
        return removed

    # ---- the lock ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def building(self, name: str, wait_s: float | None = None) -> Iterator[bool]:
        """Held while entry `name` is built, so two runs do not both build it: yields True
        once this process holds the lock, False when another held it past `wait_s` (the
        caller then builds without caching). A lock file is a plain file in locks/."""
        wait_s = LOCK_WAIT_S if wait_s is None else wait_s
        try:
            fd = os.open(self.root / LOCKS / name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError:
            yield False
            return
        try:
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(0.1)  # another run builds it; poll the lock, not its work
            yield True
        finally:
            os.close(fd)
