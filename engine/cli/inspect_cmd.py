"""`kerminal inspect EXPERIMENT.toml [--json]`: load the data, print its stats and the layer table.

Exits 1 when `kerminal train` would refuse the file (engine.training.checks on the data and
fit.monitor, the layer validation on the stack), after printing the report, naming every
problem; so `kerminal inspect x.toml && kerminal train x.toml` never fails on a checked input.
"""

from __future__ import annotations

import argparse
import importlib
import json
from typing import TYPE_CHECKING, Any

from engine.config import BY_PATH
from engine.dataset import Dataset
from engine.errors import KerminalError, LayerError, TrainingError
from engine.experiment import Experiment
from engine.terminal_text import printable

if TYPE_CHECKING:  # pragma: no cover
    from engine.layers.report import Report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", metavar="EXPERIMENT.toml", help="the experiment file")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")


def layer_section(exp: Experiment, dataset: Dataset) -> tuple[str, dict[str, Any]] | None:
    """The layer table (text) and its dict, from engine.layers; None while it has no validator."""
    layers = importlib.import_module("engine.layers")
    if not (hasattr(layers, "validate_experiment") and hasattr(layers, "format_table")):
        return None
    report = layers.validate_experiment(exp, dataset)
    return layers.format_table(report), report.to_dict()


def train_problems(exp: Experiment, dataset: Dataset, report: Report | None = None) -> list[KerminalError]:
    """Everything `kerminal train` would refuse before building the model, in its order:
    the data, the layer stack (every error, not only the first), fit.monitor."""
    from engine.layers import validate_experiment
    from engine.training.checks import check_dataset, check_memory, check_vectorizer, resolve_monitor

    problems: list[KerminalError] = []
    for check in (check_dataset, lambda ds: check_vectorizer(exp, ds)):
        try:
            check(dataset)
        except KerminalError as exc:
            problems.append(exc)
    report = report if report is not None else validate_experiment(exp, dataset)
    known = {p.problem for p in problems}  # the report repeats the vectorizer's refusal (the Layers pane shows it)
    for error in report.errors or ([] if report.loss is not None else ["the stack has no usable head."]):
        problem, _, fix = error.partition(" Fix: ")
        if problem in known:
            continue
        problems.append(LayerError(f"The layer stack does not validate: {problem}", fix))
    try:
        check_memory(exp, dataset, report.total)
    except KerminalError as exc:
        problems.append(exc)
    try:
        resolve_monitor(exp, has_validation=len(dataset.validation) > 0)
    except KerminalError as exc:
        problems.append(exc)
    return problems


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def format_stats(stats, has_length: bool = True) -> str:  # noqa: ANN001 - a DatasetStats
    """The stats as lines; `has_length`: the vectorizer cuts texts to vectorize.length (an
    n-gram vectorizer has no length, so no line says how many texts it cuts)."""
    classes = stats.class_names
    out = [f"Dataset: {stats.name} ({stats.task}, {len(classes)} classes)"]
    splits = ["train", "validation", "test"]
    cells = [["class", *splits, "all"]]
    for cls in [*classes, "total"]:
        counts = [stats.rows[s][cls] for s in splits]
        cells.append([cls, *(str(n) for n in counts), str(sum(counts))])
    widths = [max(len(r[k]) for r in cells) for k in range(len(cells[0]))]
    for r in cells:
        out.append("  " + "  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(r, widths, strict=True))))
    unit = stats.unit
    out.append(f"Length ({unit} per training text): p50 {stats.length_p50}, p90 {stats.length_p90}, p99 {stats.length_p99}, max {stats.length_max}")
    if has_length:
        out.append(f"  vectorize.length = {stats.length}: {_pct(stats.truncated_rate)} of training texts are cut")
    if unit == "words":
        out.append(
            f"Vocabulary: {stats.vocab_size:,} distinct words in train; at max_tokens = {stats.max_tokens:,} "
            f"out-of-vocabulary {_pct(stats.oov_rate)} of training words, {_pct(stats.oov_rate_validation)} of validation words"
        )
    else:
        out.append(f"Alphabet: {stats.vocab_size} distinct symbols in train")
    if stats.samples:
        out.append("Samples:")
        # The data's own text: an escape sequence in a review must not reach the terminal.
        out += [f"  [{printable(s['label'])}] {printable(s['text'])}" for s in stats.samples]
    if stats.notes:
        out.append("Notes:")
        out += [f"  - {printable(n)}" for n in stats.notes]
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    from engine import experiment
    from engine.data import dataset_stats, load_dataset
    from engine.layers import format_table, validate_experiment

    exp = experiment.load(args.experiment)
    dataset = load_dataset(exp)
    stats = dataset_stats(dataset, exp.vectorize)
    report = validate_experiment(exp, dataset)
    problems = train_problems(exp, dataset, report)
    if args.json:
        out: dict[str, Any] = {"experiment": exp.name, "data": stats.to_dict()}
        if exp.layers:
            out["layers"] = report.to_dict()
        out["ok"] = not problems
        out["problems"] = [{"error": type(p).__name__, "problem": p.problem, "fix": p.fix} for p in problems]
        print(json.dumps(out))
    else:
        print(format_stats(stats, BY_PATH["vectorize.length"].applies(exp.data.source, exp.vectorize.kind)))
        if exp.layers:
            print()
            print(f"Layers ({exp.name}):")
            print(format_table(report))
    if problems:
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        listed = "".join(f"\n  - {p}" for p in problems)
        raise TrainingError(f"`kerminal train` would refuse {args.experiment} ({count}):{listed}", "Fix each one, then run `kerminal inspect` again.")
    return 0
