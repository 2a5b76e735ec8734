"""How the app says an error: one line for the user, never a traceback.

No import of the app here, so panes, dialogs and the app alike can use it. A worker that
raises is reported by the app's one handler (`KerminalApp._worker_failed`), which asks the
pane that started it (`Pane.worker_failed`) first.
"""

from __future__ import annotations

from engine import KerminalError


def error_text(exc: BaseException) -> str:
    """A user-facing message: a KerminalError as it is, anything else with its type."""
    if isinstance(exc, KerminalError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
