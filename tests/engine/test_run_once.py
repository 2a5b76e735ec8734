"""A run validates its layer stack once and loads its data once, new or continued, and says
what it does before its first batch (a real, small `kerminal train`)."""

from __future__ import annotations

import importlib
import io
import sys
from collections import Counter
from pathlib import Path

import pytest

from engine.cli import main
from tests.engine.test_cli_training import write_experiment


def count_calls(monkeypatch, counts: Counter, module_name: str, name: str, *also: str) -> None:
    """Count calls of module.name, also where modules in `also` imported it by name."""
    module = importlib.import_module(module_name)
    original = getattr(module, name)

    def counted(*args, **kwargs):
        counts[name] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    for other in also:
        monkeypatch.setattr(importlib.import_module(other), name, counted)


class Terminal(io.StringIO):
    """Standard error as a terminal: `kerminal train` shows its phases there."""

    def isatty(self) -> bool:
        return True


def shown_steps(terminal: Terminal) -> list[str]:
    """The phases written in place (each after a carriage return), in order."""
    steps = [part.strip() for part in terminal.getvalue().split("\r") if part.strip().startswith("starting: ")]
    terminal.seek(0)
    terminal.truncate()
    return steps


@pytest.mark.slow
def test_a_run_validates_its_stack_once_and_loads_its_data_once_new_or_resumed(tmp_path, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    counts: Counter = Counter()
    count_calls(monkeypatch, counts, "engine.layers.validate", "validate", "engine.layers.build")
    count_calls(monkeypatch, counts, "engine.data.sources", "load_raw")
    runs_dir = tmp_path / "runs"
    assert main(["train", str(write_experiment(tmp_path, epochs=1)), "--runs-dir", str(runs_dir)]) == 0
    assert counts == {"validate": 1, "load_raw": 1}
    steps = shown_steps(terminal)
    # The prepared-data cache is looked in first (it is empty: the data is read, then kept).
    expected = ["starting: looking for prepared data in the cache", "starting: reading the reber data", "starting: cleaning and splitting 300 rows", "starting: checking the layer stack"]
    assert [s for s in steps if s in expected] == expected, steps
    assert "starting: building the model" in steps and steps[-1] == "starting: vectorizing texts 240/240"

    counts.clear()
    run = next(runs_dir.iterdir())
    assert main(["train", "--resume", str(run), "--epochs", "1", "--runs-dir", str(runs_dir)]) == 0
    assert counts == {"validate": 1}  # the data not read at all: the first run kept it prepared
    steps = shown_steps(terminal)
    assert any(s.startswith("starting: using prepared data from the cache") for s in steps), steps
    assert steps[0] == "starting: loading the saved model" and "starting: building the model" not in steps
    assert Path(run, "last.keras").is_file()
