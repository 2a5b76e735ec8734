"""Touching a run folder that someone else may have made: the runs folder can be shared
(a GPU machine, a sweep's workers), so every file in it is treated as hostile until checked.

Reading: only regular files, opened without following a link and without blocking (a FIFO
would hang the reader), and never more than a cap (a link to /dev/zero, a 200 MB log).
Writing: only into a real directory the caller owns, with O_NOFOLLOW, so a link planted in
someone's run folder never redirects a write into a file elsewhere.
"""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path
from typing import IO, Any

from engine.errors import RunError

# Caps on what a reader takes from one file of a run folder (bytes).
SMALL_CAP = 4 * 1024 * 1024  # metrics.json, experiment.toml, a command file
HISTORY_CAP = 64 * 1024 * 1024  # history.csv: a million epochs of a few metrics
EVENTS_CHUNK = 4 * 1024 * 1024  # events.jsonl is read this much at a time
LINE_CAP = 1024 * 1024  # one events.jsonl line longer than this is skipped as damaged

_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class UnsafeFile(OSError):
    """A run file that is not a plain file of a sane size: a link, a FIFO, a device, a
    folder, or too large. An OSError, so every reader that already survives a missing or
    unreadable file survives this one too."""

    def __str__(self) -> str:
        return str(self.strerror)


def open_regular(path: str | os.PathLike[str]) -> int:
    """A read-only descriptor of `path`, a regular file reached without following a link at
    its last component; UnsafeFile otherwise (FileNotFoundError when it does not exist)."""
    try:
        fd = os.open(path, _READ)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: the last component is a symbolic link
            raise UnsafeFile(exc.errno, f"{path} is a symbolic link, not a file of the run") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFile(0, f"{path} is not a regular file ({_kind(st.st_mode)})")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path: str | os.PathLike[str], cap: int = SMALL_CAP) -> bytes:
    """The whole of a regular file, at most `cap` bytes; UnsafeFile when it is larger."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise UnsafeFile(0, f"{path} is larger than {cap:,} bytes")
    return data


def read_text(path: str | os.PathLike[str], cap: int = SMALL_CAP) -> str:
    """read_bytes decoded as UTF-8 (UnicodeDecodeError, a ValueError, when it is not)."""
    return read_bytes(path, cap).decode("utf-8")


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a plain file"


def owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def check_own_dir(path: str | os.PathLike[str], what: str = "run folder", force: bool = False) -> os.stat_result:
    """The folder's stat when it is a real directory (not a link) owned by the caller;
    RunError naming the problem otherwise. `force` lets root act on another user's folder
    (never on a link)."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise RunError(f"The {what} {path} does not exist (it was deleted or moved).", "`kerminal runs` lists the runs there are.") from None
    if stat.S_ISLNK(st.st_mode):
        raise RunError(f"The {what} {path} is a symbolic link; kerminal writes only into real folders.", "Pass the folder it points to, if it is yours.")
    if not stat.S_ISDIR(st.st_mode):
        raise RunError(f"The {what} {path} is not a folder ({_kind(st.st_mode)}).", "Pass a run folder that `kerminal runs` lists.")
    if st.st_uid != os.geteuid() and not (force and os.geteuid() == 0):
        fix = "Ask its owner, or train your own run." + (" As root, --force acts on it anyway." if os.geteuid() == 0 else "")
        raise RunError(f"The {what} {path} belongs to {owner_name(st.st_uid)}: only its owner's processes write to it.", fix)
    return st


def open_append(path: str | os.PathLike[str], binary: bool = False) -> IO[Any]:
    """A file opened for appending (created 0644 if missing) that is neither a link nor
    anything but a regular file owned by the caller; UnsafeFile otherwise."""
    try:
        fd = os.open(path, _APPEND, 0o644)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            raise UnsafeFile(exc.errno, f"{path} is a symbolic link; kerminal does not write through links") from None
        raise
    try:
        st = os.fstat(fd)
        # a hard link is another name of someone else's file: refused like a symbolic one
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_nlink != 1:
            raise UnsafeFile(0, f"{path} is not a plain file of yours (a link, or another user's)")
    except BaseException:
        os.close(fd)
        raise
    if binary:
        return os.fdopen(fd, "ab")
    return os.fdopen(fd, "a", encoding="utf-8")
