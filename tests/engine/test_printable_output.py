"""Issue 18, finding 4's last part: run ids, paths and event text reach the terminal with
their control characters escaped (`kerminal runs`, `watch`, log lines, error messages)."""

from __future__ import annotations

import pytest

from engine import printable
from engine.cli import main
from engine.runs import events as ev
from engine.runs import folder as F
from engine.runs.writer import RunWriter
from tests.engine.hand_made_runs import hand_made_run

HOSTILE = "20260101-000000-\x1b]0;owned\x07\nfake  row  finished"


@pytest.mark.parametrize("raw, shown", [
    ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
    ("a\nb\rc\td", "a\\nb\\rc\\td"),
    ("\x00\x7f\x85\x9b", "\\x00\\x7f\\x85\\x9b"),
    ("\u2028\u2029", "\\u2028\\u2029"),
    ("\u202eevil\u202c \u2066x\u2069 \u200f", "\\u202eevil\\u202c \\u2066x\\u2069 \\u200f"),
    ("bad\udcff", "bad\\udcff"),
])
def test_printable_escapes_controls(raw, shown):
    assert printable(raw) == shown


def test_printable_leaves_ordinary_unicode_alone():
    text = "😀 👩‍👩‍👧 ❤️ שלום مرحبا 漢字 é naïve [bold]x[/] \\x1b"
    assert printable(text) == text


def test_runs_table_shows_a_hostile_folder_name_on_one_row(tmp_path, capsys):
    hand_made_run(tmp_path / "runs", HOSTILE, "hostile\x1b[2J")
    assert main(["runs", "--runs-dir", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    lines = out.rstrip("\n").split("\n")
    assert len(lines) == 2 and "\\x1b]0;owned\\x07\\nfake" in lines[1]


def test_describe_of_a_failed_event_is_one_line():
    line = ev.describe(ev.Failed("runs/x\x1b[31m", 1, "boom\nfake line\r\x1b]0;t\x07\u2028\u202e"))
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\u2028" not in line and "\u202e" not in line
    assert line.startswith("failed: boom\\nfake line")


def test_watch_escapes_event_text_and_the_folder_name(tmp_path, capsys):
    path = tmp_path / "runs" / HOSTILE
    path.mkdir(parents=True)
    writer = RunWriter(path)
    writer.metrics({"kerminal_run": F.FORMAT, "name": "x", "status": "failed", "epochs": 0, "target": 3})
    writer.event(ev.Failed(str(path), 0, "it broke\n\x1b]0;owned\x07"))
    assert main(["watch", str(path)]) == 1
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "\x1b" not in out and "\x07" not in out and "it broke\\n\\x1b]0;owned\\x07" in out


def test_error_messages_escape_the_path(tmp_path, capsys):
    bad = tmp_path / "not-a-run\x1b]0;owned\x07\nfake"
    bad.mkdir()
    assert main(["export", str(bad), "--script", str(tmp_path / "s.py")]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and err.count("\n") == 1
