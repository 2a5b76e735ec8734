"""The seams between the app and its panes stay typed, read from the source (AST):

- no module under tui/panes, tui/widgets or tui/dialogs imports tui.app (not even for the
  type checker): a pane knows the app only as tui.host.PaneHost;
- no pane names, imports or queries another pane: what one pane has for another is a
  message posted to the app (tui.messages), which hands it down;
- what a pane reaches through `self.app` is Textual's own App API; kerminal's state and
  commands go through `self.host` (a PaneHost);
- the app has every member of PaneHost.
"""

from __future__ import annotations

import ast
from pathlib import Path

from textual.app import App

from tests.tui.conftest import tiny_experiment
from tui.app import make_app
from tui.host import PaneHost

TUI = Path(__file__).resolve().parents[2] / "tui"
PANES = sorted((TUI / "panes").glob("*.py"))
REGISTRY = TUI / "panes" / "tabs.py"  # lists the panes in tab order: it names them all


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _imports(tree: ast.Module) -> list[str]:
    """Every module an import statement names (anywhere: in functions, under TYPE_CHECKING)."""
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out += [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
    return out


def _pane_classes() -> dict[str, Path]:
    """Each pane class (a subclass of Pane) and the module that defines it."""
    out = {}
    for path in PANES:
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == "Pane" for b in node.bases):
                out[node.name] = path
    return out


def _module(path: Path) -> str:
    return ".".join(path.relative_to(TUI.parent).with_suffix("").parts)


def test_no_pane_widget_or_dialog_imports_the_app() -> None:
    bad = []
    for folder in ("panes", "widgets", "dialogs"):
        for path in sorted((TUI / folder).rglob("*.py")):
            bad += [f"{path.relative_to(TUI.parent)}: imports {m}" for m in _imports(_tree(path)) if m == "tui.app" or m.startswith("tui.app.")]
    assert not bad, "\n".join(bad)


def test_the_panes_are_found() -> None:
    assert set(_pane_classes()) == {"DataPane", "LayersPane", "TrainPane", "PredictPane", "RunsPane"}


def test_no_pane_names_imports_or_queries_another_pane() -> None:
    panes = _pane_classes()
    pane_modules = {_module(p) for p in panes.values()}
    bad = []
    for path in PANES:
        if path == REGISTRY:
            continue
        tree = _tree(path)
        own = {name for name, p in panes.items() if p == path}
        others = set(panes) - own
        for m in _imports(tree):
            if m in pane_modules and m != _module(path) or m.rsplit(".", 1)[-1] in others:
                bad.append(f"{path.name}: imports {m}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in others:
                bad.append(f"{path.name}:{node.lineno}: names {node.id}")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "-pane" in node.value and node.value.startswith("#"):
                bad.append(f"{path.name}:{node.lineno}: queries {node.value}")
            elif isinstance(node, ast.Attribute) and node.attr.startswith("query") and _is_self_dot(node.value, ("app", "screen")):
                bad.append(f"{path.name}:{node.lineno}: queries the whole app (self.{node.value.attr}.{node.attr})")
    assert not bad, "\n".join(bad)


def _is_self_dot(node: ast.expr, names: tuple[str, ...]) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in names and isinstance(node.value, ast.Name) and node.value.id == "self"


def test_panes_reach_the_app_only_as_a_textual_app_or_as_their_host() -> None:
    bad = []
    for path in PANES:
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Attribute) and _is_self_dot(node.value, ("app",)) and not hasattr(App, node.attr):
                bad.append(f"{path.name}:{node.lineno}: self.app.{node.attr} is not Textual's App API: add it to tui.host.PaneHost and use self.host")
            elif isinstance(node, ast.Attribute) and node.attr == "kapp":
                bad.append(f"{path.name}:{node.lineno}: kapp (the app's class): use self.host")
    assert not bad, "\n".join(bad)


def test_the_app_has_what_panes_need() -> None:
    members = [name for name in vars(PaneHost) if not name.startswith("_")]
    assert "experiment" in members and "set_experiment" in members
    app = make_app(tiny_experiment(), runs_dir="runs", load_tensorflow=False)  # not run: nothing is read or written
    missing = [name for name in members if not hasattr(app, name)]
    assert not missing, f"KerminalApp lacks PaneHost's {missing}"
