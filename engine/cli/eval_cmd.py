"""`kerminal eval RUN [--file F] [--json]`: evaluate a saved run.

On the run's test split (its validation split when it has no test rows), reloaded from the
run's experiment, or on a CSV file holding the run's text and label columns. Prints loss,
accuracy, the confusion matrix, per-class precision/recall/F1 and the most confidently
misclassified examples (--json: one JSON object).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from engine.runs.folder import runs_dir_default


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="a run folder, or a run id under --runs-dir")
    parser.add_argument("--file", metavar="F", help="a CSV file with the run's text and label columns (default: the run's test split)")
    parser.add_argument("--text", metavar="COL", help="--file's text column (default: the run's, else guessed)")
    parser.add_argument("--label", metavar="COL", help="--file's label column (default: the run's, else guessed)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--runs-dir", metavar="D", default=runs_dir_default(), help="where to look up a run id (default: ./runs)")
    parser.add_argument("--model", choices=("best", "last"), default="best", help="which saved model to use (default: best)")
    parser.add_argument("--top", type=int, default=10, metavar="N", help="misclassified examples to show, 1 or more (default: 10)")


def file_split(run, path: str, text: str | None = None, label: str | None = None):
    """The rows of a CSV file as a Split labelled in the run's class order."""
    from engine.data import load_dataset
    from engine.dataset import Split
    from engine.errors import DataError

    exp = run.experiment.copy()
    was_csv = exp.data.source == "csv"
    exp.data.source = "csv"
    exp.data.path = str(Path(path).resolve())
    exp.data.text = text or (exp.data.text if was_csv else "")
    exp.data.label = label or (exp.data.label if was_csv else "")
    exp.data.files = {}
    exp.data.split.validation = 0.0
    exp.data.split.test = 0.0
    exp.data.limit = exp.data.validation_limit = exp.data.test_limit = 0
    names = run.class_names
    try:
        ds = load_dataset(exp)
    except DataError as exc:  # labels the run does not know explain a one-class or unguessable file
        from engine.data.tables import unknown_labels

        raise (unknown_labels(exp, names) or exc) from None
    unknown = [c for c in ds.class_names if c not in names]
    if unknown:
        raise DataError(f"{path}: labels {', '.join(map(repr, unknown))} are not classes of this run ({', '.join(names)}).", "Evaluate on a file labelled with the run's classes.")
    remap = np.array([names.index(c) for c in ds.class_names], dtype=np.int64)
    if ds.streamed:  # every row is in train (no split): its texts stay a stream, evaluate reads them in chunks
        return Split(ds.train.texts, remap[ds.train.labels])
    texts, labels = [], []
    for split in (ds.train, ds.validation, ds.test):
        texts += list(split.texts)
        labels.append(remap[split.labels] if len(split) else np.zeros(0, np.int64))
    return Split(texts, np.concatenate(labels))


def run(args: argparse.Namespace) -> int:
    from engine.runs import RunStore
    from engine.training.evaluate import evaluate

    if args.top < 1:
        from engine.cli import UsageError

        raise UsageError(f"--top {args.top}: the number of misclassified examples to show must be 1 or more.", "Give a positive number, for example --top 10 (the default).")
    run_ = RunStore(args.runs_dir).load(args.run, which=args.model)
    if args.file:
        target = file_split(run_, args.file, args.text, args.label)
        result = evaluate(run_, target, top=args.top)
        result.split = Path(args.file).name
    else:
        from engine.data import load_dataset

        result = evaluate(run_, load_dataset(run_.experiment), class_names=run_.class_names, top=args.top)
    print(json.dumps(result.to_dict()) if args.json else result.format())
    return 0
