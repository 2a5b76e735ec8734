"""Issue 18, finding 9: `eval --top` below 1 is refused; `predict`'s tab-separated output
keeps one prediction per line with a fixed number of fields, whatever the text holds."""

from __future__ import annotations

import pytest

from engine.cli import main
from engine.cli.predict_cmd import format_prediction
from engine.training.predictor import Prediction


@pytest.mark.parametrize("top", ["-5", "0"])
def test_eval_top_below_one_is_refused_before_loading_anything(top, tmp_path, capsys):
    assert main(["eval", str(tmp_path / "no-such-run"), "--top", top]) == 2
    err = capsys.readouterr().err
    assert f"--top {top}" in err and "--top 10" in err  # the problem and the fix


def test_a_prediction_is_one_line_of_five_fields_whatever_the_text():
    text = "a\tb\nc\rd\\t e\x1b[31m\u2028f"
    p = Prediction(text=text, label="po\tsitive\n", probabilities={"neg\native": 0.25, "po\tsitive\n": 0.75}, latency_ms=1.5)
    line = format_prediction(p)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\u2028" not in line
    fields = line.split("\t")
    assert len(fields) == 5
    assert fields[0] == "po\\tsitive\\n" and fields[4] == "a\\tb\\nc\\rd\\\\t e\\x1b[31m\\u2028f"


def unescape(field: str) -> str:
    import re

    simple = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
    return re.sub(r"\\(\\|t|n|r|x[0-9a-f]{2}|u[0-9a-f]{4})", lambda m: simple.get(m[1]) or chr(int(m[1][1:], 16)), field)


def test_the_escaping_can_be_undone():
    from engine.cli.predict_cmd import tsv_field

    for text in ["plain", "tab\there", "new\nline", "back\\slash\\t", "esc\x1b[0m", "é 漢字 😀 שלום", "\\x1b"]:
        field = tsv_field(text)
        assert "\t" not in field and "\n" not in field and unescape(field) == text


def test_predict_help_documents_the_escaping(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "\\t" in out and "\\n" in out and "\\\\" in out
