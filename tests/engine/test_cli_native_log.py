"""Headless commands keep TensorFlow's native log lines off the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from engine.native_log import redirect_native_stderr, restore_native_stderr

ROOT = Path(__file__).resolve().parents[2]


def test_native_writes_go_to_the_log_and_python_messages_still_reach_stderr(tmp_path):
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from engine.native_log import redirect_native_stderr, restore_native_stderr\n"
        f"saved = redirect_native_stderr(Path({str(tmp_path / 'k.log')!r}))\n"
        "os.write(2, b'native noise\\n')\n"
        "print('kerminal says', file=sys.stderr)\n"
        "restore_native_stderr(saved)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stderr == "kerminal says\n"
    assert (tmp_path / "k.log").read_text() == "native noise\n"


def test_predict_on_a_missing_run_prints_only_the_message(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))", "predict", str(tmp_path / "nope"), "hello"],
        capture_output=True, text=True, cwd=ROOT, env=env,
    )
    assert out.returncode == 1
    assert out.stderr.strip() == f"kerminal predict: No run {str(tmp_path / 'nope')!r} (looked for {tmp_path / 'nope'}). `kerminal runs` lists the runs; pass one of their ids or paths."


def test_a_replaced_stderr_is_left_alone(capsys):
    assert redirect_native_stderr() is None  # pytest's capture owns sys.stderr here
    restore_native_stderr(None)
    print("still captured", file=sys.stderr)
    assert capsys.readouterr().err == "still captured\n"
