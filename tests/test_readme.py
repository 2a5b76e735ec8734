"""The README opens with the two commands, and CI runs the second one exactly."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sh_blocks() -> list[str]:
    return re.findall(r"^```sh\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.S | re.M)


def test_readme_opens_with_install_run_and_test_commands():
    run, test = sh_blocks()[:2]
    assert "pip install ." in run and run.rstrip().endswith("kerminal")
    assert "pip install '.[test]'" in test and re.search(r"&& pytest( -n \d+)?$", test.rstrip())  # the whole suite


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "README.md" in ci and "n==2" in ci  # it reads the second sh block and runs it


def test_readme_experiment_example_loads_and_validates():
    from engine import experiment as E
    from engine.layers import validate_experiment

    (block,) = re.findall(r"^```toml\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.S | re.M)
    exp = E.loads(block)
    report = validate_experiment(exp)
    assert report.ok and report.total == 181_761  # the seed004-lstm preset's count
    assert E.loads(exp.to_toml()) == exp


def test_readme_lists_every_cli_command():
    from engine.cli import COMMANDS

    text = (ROOT / "README.md").read_text()
    for name in COMMANDS:
        assert f"kerminal {name}" in text
