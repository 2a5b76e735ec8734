"""Keep TensorFlow's native log lines off the user's terminal.

TensorFlow's C++ code writes straight to file descriptor 2 ("oneDNN custom operations are
on", "Could not find cuda drivers", ...), below Python and past TF_CPP_MIN_LOG_LEVEL. We
point descriptor 2 at a log file and give Python's `sys.stderr` a private copy of the
terminal, so kerminal's own messages still reach the user and the native noise does not.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def default_log_path() -> Path:
    return Path(tempfile.gettempdir()) / f"kerminal-{os.getuid()}.log"


def redirect_native_stderr(log_path: Path | None = None, only_tty: bool = False) -> int | None:
    """Send descriptor 2 to `log_path`; returns the saved descriptor for `restore_native_stderr`,
    or None when nothing was changed: stderr not a terminal and `only_tty`, `sys.stderr`
    already replaced by someone else (a test's capture, say), or an OS error."""
    log_path = log_path or default_log_path()
    if sys.__stderr__ is None or sys.stderr is not sys.__stderr__:
        return None
    try:
        if only_tty and not os.isatty(2):
            return None
        sys.stderr.flush()
        saved = os.dup(2)
        stream = os.fdopen(os.dup(2), "w", buffering=1, encoding=getattr(sys.__stderr__, "encoding", None) or "utf-8", errors="replace")
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "a", encoding="utf-8") as log:
            os.dup2(log.fileno(), 2)
    except OSError:
        return None
    sys.stderr = stream
    sys.__stderr__ = stream  # type: ignore[misc]  # typeshed makes it Final; replaced on purpose: both names keep writing to the terminal
    return saved


def restore_native_stderr(saved: int | None) -> None:
    if saved is not None:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
