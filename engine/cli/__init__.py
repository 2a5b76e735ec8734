"""The headless command line: `kerminal inspect|presets|settings|train|predict|eval|runs|compare|export`, ...

Each subcommand lives in its own module with `add_arguments(parser)` and `run(args) -> int`;
modules are imported only when their command runs, so `--help` is instant. No UI import.

The rules every command follows (also in `kerminal --help` and the README):
- Exit 0 on success, 1 on bad input (the message says the problem and the fix), 2 on a usage
  error (unknown command or option), 130 on Ctrl+C, 141 (128 + SIGPIPE, as the shell reports
  for `yes | head -1`) when standard output is closed early; never a traceback.
- `--json` output is JSON Lines: every line of standard output is one JSON object. A command
  that fails ends standard output with one error object {"error", "problem", "fix"}, and
  still writes the message to standard error.
- Options may come anywhere after the command, between positionals too; `--` ends options.
"""

from __future__ import annotations

import argparse
import difflib
import errno
import importlib
import json
import os
import sys
from typing import Any

from engine.errors import KerminalError
from engine.terminal_text import printable

# Commands that run TensorFlow: their native log lines go to a file, not the terminal.
USES_TENSORFLOW = {"train", "predict", "eval", "export", "compare"}

# command -> (module, one-line help)
COMMANDS = {
    "inspect": ("engine.cli.inspect_cmd", "load an experiment's data and print its stats and layer table"),
    "presets": ("engine.cli.presets_cmd", "list the built-in presets (tutorial models and our own)"),
    "settings": ("engine.cli.settings_cmd", "list every setting of the experiment file: type, default, range, help"),
    "train": ("engine.cli.train_cmd", "train an experiment headless, one line per epoch"),
    "predict": ("engine.cli.predict_cmd", "predict with a saved run on texts or standard input"),
    "eval": ("engine.cli.eval_cmd", "evaluate a saved run on its test split or a file"),
    "runs": ("engine.cli.runs_cmd", "list saved runs"),
    "watch": ("engine.cli.watch_cmd", "follow a live or finished run, one line per epoch"),
    "stop": ("engine.cli.steer_cmd", "stop a live run at the end of its current batch"),
    "pause": ("engine.cli.steer_cmd", "pause a live run between batches"),
    "resume": ("engine.cli.steer_cmd", "resume a paused run"),
    "lr": ("engine.cli.steer_cmd", "change a live run's learning rate from its next batch"),
    "more": ("engine.cli.steer_cmd", "add N epochs to a live run"),
    "compare": ("engine.cli.compare_cmd", "compare runs: the settings that differ, best metrics, layers, the examples they disagree on"),
    "rename": ("engine.cli.label_cmd", "give a run a name of your own"),
    "tag": ("engine.cli.label_cmd", "add tags to a run (or --remove them)"),
    "note": ("engine.cli.label_cmd", "attach a note to a run"),
    "export": ("engine.cli.export_cmd", "write a run as a plain Keras script, or as a SavedModel for serving"),
    "sweep": ("engine.cli.sweep_cmd", "search settings with Optuna: every trial an ordinary run; --status, --resume, --join"),
    "cache": ("engine.cli.cache_cmd", "list the prepared-data cache (data, vectorizers, ids kept for later runs), or --clear it"),
}

EPILOG = """\
--json: the output is JSON Lines, one JSON object per line of standard output. A command
that fails ends it with one object {"error": KIND, "problem": ..., "fix": ...}.
Exit status: 0 done, 1 bad input (the message says what and how to fix it), 2 usage error,
130 Ctrl+C, 141 standard output closed early (as in `kerminal presets --json | head -1`).
Options may come anywhere after the command; `--` ends them (for a text starting with -)."""

EXIT_BAD_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_CLOSED_PIPE = 128 + 13  # SIGPIPE


class UsageError(KerminalError):
    """The command line itself is wrong: an unknown command, a missing or malformed option."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting, so that main
    reports it like every other error (and as JSON under --json)."""

    def error(self, message: str):  # noqa: ANN201 - argparse's signature
        raise UsageError(f"{message}.", f"See `{self.prog} --help`.")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser, for `kerminal --help`: every command with its one-line help."""
    parser = _Parser(
        prog="kerminal",
        description="A terminal studio for Keras text models. With no command (or an experiment file) it opens the app.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module).add_arguments(p)
    return parser


def command_parser(name: str) -> argparse.ArgumentParser:
    """One command's own parser (`kerminal NAME`); parsed with parse_intermixed_args."""
    module, help_text = COMMANDS[name]
    parser = _Parser(prog=f"kerminal {name}", description=help_text, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    importlib.import_module(module).add_arguments(parser)
    return parser


def close_command(word: str) -> str | None:
    """The command `word` was probably meant to be (`trian` -> `train`), if any."""
    close = difflib.get_close_matches(word, list(COMMANDS), n=1, cutoff=0.6)
    return close[0] if close else None


def is_command_line(argv: list[str]) -> bool:
    """Whether `kerminal ARGV` is meant for this command line rather than the app: a command,
    --help, or a word close to a command that is not an existing file (`kerminal trian x`)."""
    if not argv:
        return False
    first = argv[0]
    if first in COMMANDS or first in ("-h", "--help"):
        return True
    return not first.startswith("-") and not os.path.exists(first) and not first.endswith(".toml") and close_command(first) is not None


LIST_ITEM = "\n  - "  # how a problem lists several (kerminal inspect)


def error_object(exc: KerminalError) -> dict[str, Any]:
    """The --json form of an error: {"error": its kind, "problem", "fix"}, plus any extra
    fields the error carries in `json_extra` (predict: the bad line numbers)."""
    return {"error": type(exc).__name__, "problem": exc.problem, "fix": exc.fix, **getattr(exc, "json_extra", {})}


def _os_error(exc: OSError) -> KerminalError:
    """A typed error for an OSError nothing below turned into one (disk full, permissions)."""
    where = f" ({exc.filename})" if exc.filename else ""
    fixes = {
        errno.ENOSPC: "Free some space on that disk, or choose another folder (--runs-dir, or another FILE).",
        errno.EACCES: "Check the permissions of that file or folder, or choose another one.",
        errno.EROFS: "That file system is read-only: choose another folder.",
        errno.EISDIR: "That path is a folder: give a file name.",
        errno.ENOTDIR: "A part of that path is a file, not a folder: check the path.",
    }
    fix = fixes.get(exc.errno, "Check the path and try again.") if exc.errno is not None else "Check the path and try again."
    return KerminalError(f"{exc.strerror or exc}{where}.", fix)


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so Python's own flush at exit cannot raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (pytest's capture)
        pass


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    json_mode = "--json" in argv[: argv.index("--")] if "--" in argv else "--json" in argv
    if not argv:
        build_parser().print_help()
        return EXIT_USAGE
    if argv[0] in ("-h", "--help"):
        build_parser().parse_args(argv)  # prints the help, exits 0
    name = argv[0]
    saved = None
    try:
        if name.startswith("-"):
            raise UsageError(f"{name!r} comes before the command.", "Put options after it, as in `kerminal runs --json`; `kerminal --help` lists the commands.")
        if name not in COMMANDS:
            close = close_command(name)
            hint = f": did you mean {close!r}?" if close else "."
            raise UsageError(f"unknown command {name!r}{hint}", "Run `kerminal --help` for the commands.")
        args = command_parser(name).parse_intermixed_args(argv[1:])
        module = importlib.import_module(COMMANDS[name][0])
        if name in USES_TENSORFLOW:
            from engine.native_log import redirect_native_stderr

            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            saved = redirect_native_stderr()
        code = int(module.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the try, not at exit
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_CLOSED_PIPE
    except KeyboardInterrupt:
        print(f"kerminal {name}: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (KerminalError, OSError) as caught:
        exc = caught if isinstance(caught, KerminalError) else _os_error(caught)
        if isinstance(exc.__context__, BrokenPipeError) or isinstance(exc.__cause__, BrokenPipeError):
            _quiet_stdout()  # a closed pipe noticed inside a command (a training callback)
            return EXIT_CLOSED_PIPE
        where = "kerminal" if isinstance(exc, UsageError) and name not in COMMANDS else f"kerminal {name}"
        # Run ids, paths and messages from files are shown with their control characters
        # escaped; only a listed problem's items ("\n  - ", see inspect) keep their lines.
        problem = LIST_ITEM.join(printable(item) for item in exc.problem.split(LIST_ITEM))
        fix = printable(exc.fix)
        # A problem listed on several lines gets its fix on a line of its own.
        message = f"{problem}\n{fix}" if "\n" in problem and fix else f"{problem} {fix}".strip()
        print(f"{where}: {message}", file=sys.stderr)
        if json_mode:
            try:
                print(json.dumps(error_object(exc)), flush=True)
            except BrokenPipeError:
                _quiet_stdout()
                return EXIT_CLOSED_PIPE
        return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_BAD_INPUT
    finally:
        if saved is not None:
            from engine.native_log import restore_native_stderr

            restore_native_stderr(saved)
