"""The run lock: one process trains a run folder at a time.

The training process holds an exclusive lock on `RUN/lock` from the moment the folder is
created or taken over until it exits. A launcher takes the lock first and hands the
descriptor to the process it starts (the lock belongs to the open file, not to a process),
so there is no moment when a second `--resume` could slip in.

Open-file-description locks (fcntl F_OFD_SETLK) rather than flock or classic POSIX locks:
a reader can ask whether the lock is held without taking it (F_OFD_GETLK), so a reader
polling the folder never makes a starting trainer fail; they stay held across fork and
exec like flock; and on NFS they are byte-range locks that the server's lock manager sees,
so they reach across machines wherever the filesystem's locks do (see the README's "A runs
folder shared by several machines").
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import struct
from pathlib import Path

from engine.errors import RunError

LOCK = "lock"
_FLOCK = "hhqqi4x"  # struct flock on Linux (64-bit off_t): type, whence, start, len, pid
_OFD = hasattr(fcntl, "F_OFD_SETLK")


def _request(kind: int) -> bytes:
    return struct.pack(_FLOCK, kind, os.SEEK_SET, 0, 0, 0)  # the whole file


class RunBusy(RunError):
    """Another process holds the run's lock: it is training the run right now."""


class RunLock:
    """A held run lock; `release()` (or the process's exit) lets it go."""

    def __init__(self, run_dir: Path, fd: int) -> None:
        self.run_dir = Path(run_dir)
        self.fd = fd
        self._ino = os.fstat(fd).st_ino

    @classmethod
    def acquire(cls, run_dir: str | os.PathLike[str], force: bool = False) -> RunLock:
        """Take the lock of `run_dir` (its lock file is created if missing); RunBusy when
        another process holds it. The caller checked that the folder is its own."""
        run_dir = Path(run_dir)
        path = run_dir / LOCK
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            what = "is a symbolic link" if exc.errno == errno.ELOOP else f"cannot be opened ({exc.strerror or exc})"
            raise RunError(f"The lock file {path} {what}.", "Only the run's owner can train it; check the folder's permissions.") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1 or (st.st_uid != os.geteuid() and not (force and os.geteuid() == 0)):
                raise RunError(f"The lock file {path} is not a plain file of yours.", "The folder was tampered with; train a new run.")
            if _OFD:
                fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _request(fcntl.F_WRLCK))
            else:  # pragma: no cover - not Linux
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise RunBusy(f"Run {run_dir.name} is being trained right now by another process (it holds the run's lock).", f"Wait for it to end, or stop it with `kerminal stop {run_dir.name}`.") from None
            raise RunError(f"Could not lock {path}: {exc.strerror or exc}.", "Check that the runs folder's filesystem supports locks.") from None
        except BaseException:
            os.close(fd)
            raise
        return cls(run_dir, fd)

    @classmethod
    def inherit(cls, run_dir: str | os.PathLike[str], fd: int) -> RunLock:
        """The lock a launcher took and handed to this process as descriptor `fd`."""
        run_dir = Path(run_dir)
        try:
            same = os.fstat(fd).st_ino == os.lstat(run_dir / LOCK).st_ino
        except OSError:
            same = False
        if not same:
            raise RunError(f"The lock handed to this process is not {run_dir / LOCK}.", "Start the run with `kerminal train`, not by hand.")
        os.set_inheritable(fd, False)
        return cls(run_dir, fd)

    @property
    def held(self) -> bool:
        return self.fd >= 0

    @property
    def gone(self) -> bool:
        """The run folder was deleted (or replaced) under the lock."""
        if self.fd < 0:
            return False
        try:
            return os.fstat(self.fd).st_nlink == 0 or os.lstat(self.run_dir / LOCK).st_ino != self._ino
        except OSError:
            return True

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def held(run_dir: str | os.PathLike[str]) -> bool | None:
    """Whether some process holds `run_dir`'s lock: True or False, or None when the folder
    has no (readable) lock file, as a run by an older kerminal, so the caller falls back to
    the pid and the heartbeat. Takes nothing: it never disturbs a trainer."""
    try:
        fd = os.open(Path(run_dir) / LOCK, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        if _OFD:
            answer = fcntl.fcntl(fd, fcntl.F_OFD_GETLK, _request(fcntl.F_WRLCK))
            return struct.unpack(_FLOCK, answer)[0] != fcntl.F_UNLCK
        try:  # pragma: no cover - not Linux
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except OSError:  # pragma: no cover
            return True
    except OSError:
        return None
    finally:
        os.close(fd)
