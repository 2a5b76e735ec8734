"""`kerminal predict RUN [TEXT...] [--json]`: predict with a saved run.

With no TEXT, each non-empty line of standard input is one text. Prints the label, its
probability, every class's probability and the latency (--json: one JSON object per line).
"""

from __future__ import annotations

import argparse
import json
import sys

from engine.cli.train_cmd import runs_dir_default


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="a run folder, or a run id under --runs-dir")
    parser.add_argument("texts", metavar="TEXT", nargs="*", help="texts to classify (default: lines of standard input)")
    parser.add_argument("--json", action="store_true", help="one JSON object per prediction")
    parser.add_argument("--runs-dir", metavar="D", default=runs_dir_default(), help="where to look up a run id (default: ./runs)")
    parser.add_argument("--model", choices=("best", "last"), default="best", help="which saved model to use (default: best)")


def format_prediction(p) -> str:
    probs = " ".join(f"{name} {value:.3f}" for name, value in p.probabilities.items())
    return f"{p.label}\t{p.confidence:.3f}\t[{probs}]\t{p.latency_ms:.1f} ms\t{p.text}"


def run(args: argparse.Namespace) -> int:
    from engine.errors import DataError
    from engine.training.predictor import Predictor
    from engine.training.runs import RunStore

    predictor = Predictor.from_run(RunStore(args.runs_dir).path_of(args.run), which=args.model, runs_dir=args.runs_dir)
    if args.texts:
        predictions = [predictor.predict(t) for t in args.texts]
    else:
        if sys.stdin.isatty():
            print("kerminal predict: type one text per line, Ctrl+D to finish.", file=sys.stderr)
        lines = [line.rstrip("\r\n") for line in sys.stdin]
        lines = [line for line in lines if line.strip()]
        if not lines:
            raise DataError("No text to predict: no TEXT arguments and standard input is empty.", "Pass texts as arguments or pipe lines in.")
        predictions = predictor.predict_many(lines)
    for p in predictions:
        print(json.dumps(p.to_dict()) if args.json else format_prediction(p))
    return 0
