"""`kerminal predict RUN [TEXT...] [--json]`: predict with a saved run.

With no TEXT, each line of standard input is one text. Prints the label, its probability,
every class's probability, the latency and the text, one tab-separated line per prediction
(--json: one JSON object per line). In those fields a backslash is written \\\\, a tab \\t,
a newline \\n, a carriage return \\r and other control characters \\xHH or \\uHHHH, so that
each prediction is exactly one line of five fields.

Bad input never stops the good: every valid text is predicted, then the command exits 1
naming each one that was not: an empty TEXT argument, or a line of standard input that is
not UTF-8 (read as bytes, decoded line by line). Blank lines on standard input separate
texts; they are skipped, and a note on standard error says which.
"""

from __future__ import annotations

import argparse
import codecs
import json
import sys
from typing import IO, Iterable, Iterator

from engine.errors import DataError, PredictError
from engine.runs.folder import runs_dir_default

STDIN_BATCH = 1024  # lines of standard input read, predicted and printed at a time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="a run folder, or a run id under --runs-dir")
    parser.add_argument("texts", metavar="TEXT", nargs="*", help="texts to classify (default: lines of standard input; put -- before a text starting with -)")
    parser.add_argument("--json", action="store_true", help=f"one JSON object per prediction (JSON Lines) instead of {TSV_HELP}")
    parser.add_argument("--runs-dir", metavar="D", default=runs_dir_default(), help="where to look up a run id (default: ./runs)")
    parser.add_argument("--model", choices=("best", "last"), default="best", help="which saved model to use (default: best)")


TSV_HELP = (
    "one tab-separated line per prediction (label, probability, every class's probability, latency, text), "
    "in whose fields a backslash is written \\\\, a tab \\t, a newline \\n, a carriage return \\r "
    "and other control characters \\xHH or \\uHHHH"
)


def tsv_field(text: str) -> str:
    """`text` as one field of a tab-separated line: backslashes doubled, then tabs, newlines
    and every other control character escaped (see engine.terminal_text), so it can be undone."""
    from engine.terminal_text import printable

    return printable(text.replace("\\", "\\\\"))


def format_prediction(p) -> str:
    """One line of five tab-separated fields (see TSV_HELP)."""
    probs = " ".join(f"{tsv_field(name)} {value:.3f}" for name, value in p.probabilities.items())
    return f"{tsv_field(p.label)}\t{p.confidence:.3f}\t[{probs}]\t{p.latency_ms:.1f} ms\t{tsv_field(p.text)}"


def read_lines(stream: IO) -> tuple[list[str], dict[int, str], list[int]]:
    """Standard input as (texts, {line number: why it is not a text}, blank line numbers).

    Read as bytes when the stream has them, so one line that is not UTF-8 costs that line only;
    a UTF-8 byte-order mark on the first line and CR-LF line ends are dropped."""
    texts: list[str] = []
    bad: dict[int, str] = {}
    blank: list[int] = []
    for t, b, e in read_batches(stream):
        texts += t
        bad.update(b)
        blank += e
    return texts, bad, blank


def read_batches(stream: IO, size: int = STDIN_BATCH) -> Iterator[tuple[list[str], dict[int, str], list[int]]]:
    """read_lines a batch of `size` lines at a time, so standard input streams through."""
    raw = getattr(stream, "buffer", None)
    lines: Iterable[bytes | str] = raw if raw is not None else stream
    texts: list[str] = []
    bad: dict[int, str] = {}
    blank: list[int] = []
    for number, line in enumerate(lines, 1):
        if number % size == 0:
            yield texts, bad, blank
            texts, bad, blank = [], {}, []
        if isinstance(line, bytes):
            line = line.rstrip(b"\r\n")
            if number == 1 and line.startswith(codecs.BOM_UTF8):
                line = line[len(codecs.BOM_UTF8) :]
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad[number] = f"is not UTF-8 (byte 0x{line[exc.start]:02x} at column {exc.start + 1})"
                continue
        else:
            text = line.rstrip("\r\n")
        if text.strip():
            texts.append(text)
        else:
            blank.append(number)
    yield texts, bad, blank


def _numbers(ns: list[int]) -> str:
    return ", ".join(map(str, ns[:10])) + (f" and {len(ns) - 10} more" if len(ns) > 10 else "")


def _predict_stdin(args: argparse.Namespace) -> tuple[list[str], dict[int, str], list[int], int]:
    """Predict standard input a batch at a time as it is read (memory flat in lines); the
    texts predicted (only whether there were any: the first), the lines that are not texts,
    the blank lines, and how many lines held text or were refused."""
    from engine.runs import RunStore
    from engine.training.predictor import Predictor

    predictor = None
    any_text: list[str] = []
    bad: dict[int, str] = {}
    blank: list[int] = []
    total = 0
    for texts, b, e in read_batches(sys.stdin):
        bad.update(b)
        blank += e
        total += len(texts) + len(b)
        if not texts:
            continue
        if predictor is None:
            predictor = Predictor.from_run(RunStore(args.runs_dir).path_of(args.run), which=args.model, runs_dir=args.runs_dir)
            any_text = texts[:1]
        for p in predictor.predict_many(texts):  # batches for a stream
            print(json.dumps(p.to_dict()) if args.json else format_prediction(p), flush=False)
    return any_text, bad, blank, total


def run(args: argparse.Namespace) -> int:
    from engine.runs import RunStore
    from engine.training.predictor import Predictor

    if args.texts:
        texts = [t for t in args.texts if t.strip()]
        bad = {i: "is empty" for i, t in enumerate(args.texts, 1) if not t.strip()}
        total, unit = len(args.texts), "TEXT"
    else:
        if sys.stdin.isatty():
            print("kerminal predict: type one text per line, Ctrl+D to finish.", file=sys.stderr)
        texts, bad, blank, total = _predict_stdin(args)
        unit = "line"
        if blank:
            print(f"kerminal predict: skipped {len(blank)} empty line{'s' if len(blank) > 1 else ''} (line{'s' if len(blank) > 1 else ''} {_numbers(blank)}).", file=sys.stderr)
        if not texts and not bad:
            raise DataError("No text to predict: no TEXT arguments and standard input has no text.", "Pass texts as arguments or pipe lines in.")
    if texts and args.texts:
        predictor = Predictor.from_run(RunStore(args.runs_dir).path_of(args.run), which=args.model, runs_dir=args.runs_dir)
        # One text at a time for arguments (each latency is its own); batches for a stream.
        for p in [predictor.predict(t) for t in texts]:
            print(json.dumps(p.to_dict()) if args.json else format_prediction(p))
    if bad:
        what = "; ".join(f"{unit} {n} {why}" for n, why in list(bad.items())[:10]) + ("; ..." if len(bad) > 10 else "")
        noun = "TEXT arguments" if unit == "TEXT" else "lines"
        fix = "Leave empty texts out." if unit == "TEXT" else "Save the input as UTF-8 (for example `iconv -f latin1 -t utf-8 FILE`), then predict those lines again."
        error = PredictError(f"{len(bad)} of {total} {noun} {'was' if len(bad) == 1 else 'were'} not predicted: {what}.", fix)
        error.json_extra = {"lines" if unit == "line" else "texts": list(bad)}
        raise error
    return 0
