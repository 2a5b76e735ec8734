"""The headless command line: `kerminal inspect|presets|train|predict|eval|runs`.

Each subcommand lives in its own module with `add_arguments(parser)` and `run(args) -> int`;
modules are imported only when their command runs, so `--help` is instant. No UI import.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from engine.errors import KerminalError

# Commands that run TensorFlow: their native log lines go to a file, not the terminal.
USES_TENSORFLOW = {"train", "predict", "eval"}

# command -> (module, one-line help)
COMMANDS = {
    "inspect": ("engine.cli.inspect_cmd", "load an experiment's data and print its stats and layer table"),
    "presets": ("engine.cli.presets_cmd", "list the built-in presets (tutorial models and our own)"),
    "train": ("engine.cli.train_cmd", "train an experiment headless, one line per epoch"),
    "predict": ("engine.cli.predict_cmd", "predict with a saved run on texts or standard input"),
    "eval": ("engine.cli.eval_cmd", "evaluate a saved run on its test split or a file"),
    "runs": ("engine.cli.runs_cmd", "list saved runs"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kerminal",
        description="A terminal studio for Keras text models. With no command (or an experiment file) it opens the app.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS and argv[0] not in ("-h", "--help"):
        build_parser().print_help()
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command][0])
    saved = None
    if args.command in USES_TENSORFLOW:
        from engine.native_log import redirect_native_stderr

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        saved = redirect_native_stderr()
    try:
        return int(module.run(args) or 0)
    except KerminalError as exc:
        print(f"kerminal {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"kerminal {args.command}: interrupted.", file=sys.stderr)
        return 130
    finally:
        if saved is not None:
            from engine.native_log import restore_native_stderr

            restore_native_stderr(saved)
