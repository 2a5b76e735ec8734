"""engine/ must work without a screen: no textual, rich or plotext, and no eager TensorFlow."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import engine

ROOT = Path(__file__).resolve().parents[1]
# rich is not listed: Keras itself imports it (for model.summary), so any module that
# imports keras pulls it in. The TF-free modules are checked for rich below.
UI = ("textual", "plotext", "textual_plotext", "tui")


def engine_modules() -> list[str]:
    names = ["engine"]
    for info in pkgutil.walk_packages(engine.__path__, "engine."):
        names.append(info.name)
    return names


def test_engine_modules_import_no_ui():
    code = (
        "import importlib, sys\n"
        f"for m in {engine_modules()!r}:\n"
        "    importlib.import_module(m)\n"
        f"bad = [m for m in {UI!r} if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "", f"engine imported UI packages: {out.stdout}"


def test_import_engine_does_not_load_tensorflow():
    code = "import sys, engine, engine.experiment, engine.vectorize; print('tensorflow' in sys.modules, 'rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False False"
