"""Typed errors of the engine.

Every error a user can cause is one of these, and its message says what is wrong and how
to fix it, so that the command line and the app can show it as it is (never a traceback).
"""

from __future__ import annotations

from typing import Any


class KerminalError(Exception):
    """Base of every error the engine raises on bad input."""

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} {fix}".strip() if fix else problem)


class ExperimentError(KerminalError):
    """The experiment file is malformed: a typo'd key, a wrong type, a bad value."""


class DataError(KerminalError):
    """A dataset cannot be loaded: a missing path, column, class or file."""


class LayerError(KerminalError):
    """A layer stack is invalid: an unknown layer, a bad parameter, shapes that do not fit."""


class TrainingError(KerminalError):
    """Training could not start or did not finish cleanly."""


class RunError(KerminalError):
    """A run folder is missing, incomplete, or not a kerminal run."""


class PredictError(KerminalError):
    """A text cannot be predicted: it is empty, or its bytes are not UTF-8."""

    json_extra: dict[str, Any]  # when set: more fields for `--json` errors (the bad lines)
