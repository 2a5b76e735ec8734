"""kerminal's engine: data, layer stacks, training, runs and prediction, with no UI.

Nothing here imports textual, rich or plotext, and TensorFlow is imported only by the
functions that need it, so `import engine` is fast and works before TensorFlow has loaded.

The public API, the only modules a UI imports (an import-linter contract in pyproject.toml
checks it): `engine` (the experiment file's types and vocabulary, errors, the command line,
`printable` for showing text from files),
`engine.data`, `engine.layers`, `engine.training`, `engine.runs` and `engine.workspace`.
"""

from __future__ import annotations

from engine.config import SETTINGS, Setting
from engine.config import check as check_experiment
from engine.dataset import Dataset, Split
from engine.errors import (
    DataError,
    ExperimentError,
    KerminalError,
    LayerError,
    RunError,
    TrainingError,
)
from engine.experiment import (
    CLEANERS,
    OPTIMIZERS,
    SIDES,
    SOURCES,
    TABLE_FORMATS,
    VECTORIZE_KINDS,
    Experiment,
    LayerSpec,
)
from engine.native_log import redirect_native_stderr, restore_native_stderr
from engine.terminal_text import printable

__all__ = [
    "CLEANERS",
    "OPTIMIZERS",
    "SIDES",
    "SETTINGS",
    "SOURCES",
    "TABLE_FORMATS",
    "VECTORIZE_KINDS",
    "DataError",
    "Dataset",
    "Experiment",
    "ExperimentError",
    "KerminalError",
    "LayerError",
    "LayerSpec",
    "RunError",
    "Setting",
    "Split",
    "TrainingError",
    "check_experiment",
    "cli_main",
    "export_options",
    "export_saved_model",
    "export_script",
    "get_setting",
    "is_command_line",
    "printable",
    "redirect_native_stderr",
    "restore_native_stderr",
    "set_setting",
]


def is_command_line(argv: list[str]) -> bool:
    """Whether `kerminal ARGV` is meant for the headless command line rather than the app."""
    from engine.cli import is_command_line as check

    return check(argv)


def get_setting(exp, path: str):
    """The value at a setting's path (engine.spec.get): "vectorize.ngrams", "layers.2.units"."""
    from engine.spec import get

    return get(exp, path)


def set_setting(exp, path: str, value, rules: bool = True) -> None:
    """Set a setting by path, checked as the experiment file is (engine.spec.set)."""
    from engine.spec import set as set_

    set_(exp, path, value, rules)


def cli_main(argv: list[str] | None = None) -> int:
    """Run the headless command line (`kerminal COMMAND ...`); its exit status."""
    from engine.cli import main

    return main(argv)


def export_script(run_path, out_path):
    """A run as a plain Keras training script (see engine.export); the written path."""
    from engine.export import export_script as export

    return export(run_path, out_path)


def export_options(run_path):
    """The exports a run allows (script, saved_model, onnx), each with the reason when it
    does not (see engine.export.export_options)."""
    from engine.export import export_options as options

    return options(run_path)


def export_saved_model(run_path, out_dir, format: str = "saved_model"):
    """A run's model for serving, via Keras's model.export (see engine.export); the folder."""
    from engine.export import export_saved_model as export

    return export(run_path, out_dir, format)
