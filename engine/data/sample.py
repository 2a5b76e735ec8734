"""Where the shipped sample data is (no pandas: `import engine.data` stays cheap)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def sample_path() -> Path:
    """The shipped sample CSV (assets/sample.csv, package kerminal_assets)."""
    try:
        return Path(str(resources.files("kerminal_assets") / "sample.csv"))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "assets" / "sample.csv"
