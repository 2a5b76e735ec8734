"""Lint and types: `ruff check` and `mypy` (configured in pyproject.toml) find nothing.

Both run as `python -m ...` of this interpreter, so the versions the `test` extra installs
are the ones that check. mypy keeps its cache in .mypy_cache (a first run takes longer).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=240)
    if proc.returncode != 0:
        pytest.fail(f"`{' '.join(args)}` exited {proc.returncode}:\n{proc.stdout}{proc.stderr}", pytrace=False)


def test_ruff_finds_nothing() -> None:
    _run("ruff", "check", "engine", "tui", "bench", "tests")


def test_mypy_finds_nothing() -> None:
    _run("mypy")  # files, strictness and the per-module exceptions: [tool.mypy] in pyproject.toml
