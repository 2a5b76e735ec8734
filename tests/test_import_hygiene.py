"""engine/ must work without a screen: no textual, rich or plotext, and no eager TensorFlow."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.slow
def test_engine_modules_import_no_ui():
    code = (
        "import importlib, sys\n"
        f"for m in {[m for m in engine_modules() if not m.endswith('__main__')]!r}:\n"  # __main__ runs the CLI
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


# ---- the import rules (pyproject.toml [tool.importlinter]), run in CI -------------------
# The engine's public API: the only engine modules tui may import.
PUBLIC = {"engine", "engine.data", "engine.layers", "engine.training", "engine.runs", "engine.workspace", "engine.prepared", "engine.sweeps"}
# Known exceptions, each with the reason (the same as in pyproject.toml's ignore_imports).
NOT_YET_PUBLIC = {
    # `from engine.training import evaluate` is the function engine.training exports; grimp
    # takes it for the module of the same name
    ("tui.panes.runs", "engine.training.evaluate"),
}


def graph():
    import grimp

    # TYPE_CHECKING imports (type hints only, never run) are left out, as lint-imports does.
    return grimp.build_graph("engine", "tui", exclude_type_checking_imports=True, cache_dir=None)


def test_lint_imports_passes():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    code = "import sys; from importlinter.cli import lint_imports_command; sys.argv = ['lint-imports', '--no-cache', '--no-logo']; lint_imports_command()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_tui_imports_only_the_public_engine_api():
    """The rule of the second contract the other way round: whatever engine modules exist,
    tui imports none but the public ones (a new engine module needs no listing)."""
    g = graph()
    bad = []
    for module in sorted(g.find_descendants("tui") | {"tui"}):
        for imported in sorted(g.find_modules_directly_imported_by(module)):
            if imported.split(".")[0] == "engine" and imported not in PUBLIC and (module, imported) not in NOT_YET_PUBLIC:
                bad.append(f"{module} -> {imported}")
    assert not bad, "tui imports engine modules that are not its public API:\n" + "\n".join(bad)


def test_no_module_imports_one_that_imports_it_back():
    """No cycles in engine or tui: lazy (in-function) imports count too, TYPE_CHECKING ones
    do not. A package's __init__ importing its own modules is no cycle as long as none of
    them imports the package back (they import each other's modules directly)."""
    g = graph()
    cycles = []
    for module in sorted(g.modules):
        for imported in sorted(g.find_modules_directly_imported_by(module)):
            if g.chain_exists(importer=imported, imported=module):
                chain = g.find_shortest_chain(importer=imported, imported=module)
                cycles.append(f"{module} -> {' -> '.join(chain)}")
    assert not cycles, "import cycles:\n" + "\n".join(cycles)
