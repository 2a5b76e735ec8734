"""The `kerminal` console script: a headless command, or the app.

`kerminal COMMAND ...` runs the headless command line (engine.cli, which never imports
textual); `kerminal` or `kerminal EXPERIMENT.toml` opens the app.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from engine import cli_main, is_command_line

    if is_command_line(argv):  # a command, --help, or a mistyped command (`kerminal trian x.toml`)
        return cli_main(argv)
    from tui.app import run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
