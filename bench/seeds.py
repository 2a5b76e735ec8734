"""The tutorials, reproduced: `python -m bench.seeds --data-dir DIR [--quick]`.

Each tutorial workflow of ../shared/SEEDS.md runs through kerminal's engine
(engine.data.load_dataset, engine.layers.presets.get_preset, engine.training.Trainer) with
that tutorial's preset and hyperparameters, and the validation accuracy it reaches is printed
beside the accuracy the tutorial reports. DIR is searched for the real public files in their
usual forms and names:

- `Fake.csv` and `True.csv` (the fake-news pair of seed 000; the `title` column is used);
- Keras's `imdb.npz` with `imdb_word_index.json` (seed 001's word-index form);
- `SMSSpamCollection` (the UCI SMS Spam Collection as distributed; the `sms-ngram` preset);
- the IMDB reviews as the `aclImdb/` folder (train/{neg,pos}, test/{neg,pos}) or as a CSV
  with `review` and `sentiment` columns (`IMDB Dataset.csv`), for seeds 002 (b), 003, 004.

Four workflows are kerminal's own presets rather than a tutorial's: `imdb-ngram` (a bigram
TF-IDF bag), `imdb-transformer` (one encoder block), `fake-news-ngram` (imdb-ngram's bag on
the fake-news titles) and `sms-ngram` (on the SMS file); the figure beside them is the
published anchor or issue 13's goal they aim to beat. Without the real files,
`python -m bench.standins DIR` and `python -m bench.imdb_like` write stand-ins to point DIR at.

The Reber workflow (seed 002 (a)) always runs, from the generator. A workflow whose files are
absent is reported as skipped, never faked. Where a tutorial's corpus is present in another
of the IMDB forms (the same 50,000 reviews), that form is used and named in the output.

`--quick` cuts rows (at most 5,000 per split) and epochs (2 to 20 per workflow) so that
the whole reproduction fits in 10 minutes on 2 cores; it says so in the output, and its
accuracies are lower than a full run's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from bench import common

QUICK_ROWS = 5000  # rows per split in --quick mode
QUICK_REBER = 6000  # generated grammar strings in --quick mode


@dataclass(frozen=True)
class Workflow:
    name: str
    preset: str
    corpus: str  # fake-news | imdb | reber | sms
    forms: tuple[str, ...]  # data forms this workflow can read, best first
    reported: float | None  # the tutorial's reported accuracy (None: it reports none)
    reported_what: str  # what that figure is
    quick_epochs: int


WORKFLOWS: tuple[Workflow, ...] = (
    Workflow("seed000-simplernn", "seed000-simplernn", "fake-news", ("fake-true",), 0.9665, "val acc after 10 epochs", 3),
    Workflow("seed000-lstm", "seed000-lstm", "fake-news", ("fake-true",), 0.9636, "val acc after 5 epochs", 3),
    Workflow("seed001-simplernn", "seed001-simplernn", "imdb", ("npz", "acl", "csv"), 0.86, "val acc, 10 epochs ('up to 86%')", 3),
    Workflow("seed001-lstm", "seed001-lstm", "imdb", ("npz", "acl", "csv"), 0.88, "val acc, 10 epochs ('up to 88%')", 3),
    Workflow("seed001-stacked-simplernn", "seed001-stacked-simplernn", "imdb", ("npz", "acl", "csv"), None, "none (summary() only)", 2),
    Workflow("seed002-reber", "seed002-reber", "reber", ("generator",), None, "none (curves only)", 20),
    Workflow("seed002-bilstm", "seed002-bilstm", "imdb", ("acl", "csv", "npz"), None, "none (curves only)", 3),
    Workflow("seed003-simplernn", "seed003-simplernn", "imdb", ("csv", "acl", "npz"), None, "none (predicts 2 sentences)", 3),
    Workflow("seed004-lstm", "seed004-lstm", "imdb", ("acl", "csv"), 0.8502, "TRAIN acc after 10 epochs", 3),
    # kerminal's own IMDB presets that aim past the published anchors (issue 13); their
    # figure is the anchor to beat, not a tutorial's.
    Workflow("imdb-ngram", "imdb-ngram", "imdb", ("npz", "acl", "csv"), 0.906, "anchor: fastText-style bigram bag, test acc", 2),
    Workflow("imdb-transformer", "imdb-transformer", "imdb", ("npz", "acl", "csv"), 0.88, "goal: issue 13, test acc", 1),
    # the same bigram bag on the fake-news titles, and kerminal's SMS preset (issue 13's goals)
    Workflow("fake-news-ngram", "imdb-ngram", "fake-news", ("fake-true",), 0.985, "goal: issue 13, val acc on titles", 2),
    Workflow("sms-ngram", "sms-ngram", "sms", ("sms",), 0.985, "goal: issue 13, val acc", 4),
)


@dataclass
class Found:
    """Where a data form lives in DIR, and a note about it."""

    form: str
    path: Path
    label: str  # what the output says was used
    note: str = ""


@dataclass
class Outcome:
    workflow: str
    preset: str
    status: str  # ok | skipped | failed
    data: str = ""
    reason: str = ""
    train_rows: int = 0
    val_rows: int = 0
    epochs: int = 0
    val_accuracy: float | None = None
    best_val_accuracy: float | None = None
    train_accuracy: float | None = None
    reported: float | None = None
    reported_what: str = ""
    seconds: float = 0.0
    train_seconds: float = 0.0  # Trainer.run alone (no loading, no vectorizer adapt outside it)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Finding the files


def find_forms(data_dir: Path) -> tuple[dict[str, Found], dict[str, str]]:
    """The data forms present in data_dir, and a reason for each form found incomplete."""
    found: dict[str, Found] = {}
    problems: dict[str, str] = {}
    fake, true = data_dir / "Fake.csv", data_dir / "True.csv"
    if fake.is_file() and true.is_file():
        found["fake-true"] = Found("fake-true", data_dir, "Fake.csv + True.csv")
    elif fake.is_file() or true.is_file():
        have, lack = (fake, true) if fake.is_file() else (true, fake)
        problems["fake-true"] = f"{have.name} found but {lack.name} is missing"
    npz, index = data_dir / "imdb.npz", data_dir / "imdb_word_index.json"
    if npz.is_file() and index.is_file():
        found["npz"] = Found("npz", data_dir, "imdb.npz (Keras word-index form)")
    elif npz.is_file():
        problems["npz"] = "imdb.npz found but imdb_word_index.json is missing"
    acl = data_dir / "aclImdb"
    if (acl / "train").is_dir():
        found["acl"] = Found("acl", acl, "aclImdb/ folder")
    elif acl.is_dir():
        problems["acl"] = "aclImdb/ has no train/ folder"
    sms = data_dir / "SMSSpamCollection"
    if sms.is_file():
        found["sms"] = Found("sms", sms, "SMSSpamCollection (UCI, label<TAB>message)")
    csv = _find_review_csv(data_dir)
    if csv is not None:
        found["csv"] = Found("csv", csv, f"{csv.name} (review, sentiment)")
    return found, problems


def _find_review_csv(data_dir: Path) -> Path | None:
    """A CSV with `review` and `sentiment` columns; `IMDB Dataset.csv` first."""
    import pandas as pd

    candidates = sorted(data_dir.glob("*.csv"), key=lambda p: (p.name != "IMDB Dataset.csv", p.name))
    for p in candidates:
        if p.name in ("Fake.csv", "True.csv"):
            continue
        try:
            cols = {str(c).strip().lower() for c in pd.read_csv(p, nrows=0).columns}
        except Exception:  # not a readable CSV: not this form
            continue
        if {"review", "sentiment"} <= cols:
            return p
    return None


# ---------------------------------------------------------------------------------------
# One workflow


def _tighter(a: int, b: int) -> int:
    """The smaller of two row limits, where 0 means no limit."""
    return min(a, b) if a and b else a or b


def experiment_for(wf: Workflow, found: Found | None, data_dir: Path, quick: bool, limit: int | None, epochs: int | None) -> tuple[Any, int]:
    """The preset's experiment pointed at the found data; and the epochs to train."""
    from engine.experiment import DataConfig
    from engine.layers.presets import get_preset

    exp = get_preset(wf.preset)
    d = exp.data
    rows = limit if limit is not None else (min(QUICK_ROWS, d.limit or QUICK_ROWS) if quick else 0)
    if wf.corpus == "reber":
        # The generator: the preset's grammar (embedded or not) and size.
        if limit is not None:
            d.size = 2 * limit
        elif quick:
            from engine.data.sources import REBER_DEFAULT_SIZE

            d.size = min(d.size or REBER_DEFAULT_SIZE, QUICK_REBER)
        exp.base_dir = data_dir
    else:
        assert found is not None
        new = DataConfig(split=d.split, clean=list(d.clean), limit=rows or d.limit,
                         validation_limit=_tighter(rows, d.validation_limit), test_limit=_tighter(rows, d.test_limit))
        if found.form == "fake-true":
            new.source, new.files, new.text = "per-class", {"fake": "Fake.csv", "true": "True.csv"}, "title"
        elif found.form == "sms":
            new.source, new.path = "csv", str(found.path)  # no header: the loader finds label and text
        elif found.form == "npz":
            new.source, new.name = "keras", "imdb"
        elif found.form == "acl":
            new.source, new.path = "folder", str(found.path)
            if "html" not in new.clean:
                new.clean.append("html")  # the real files hold `<br />`
        elif found.form == "csv":
            new.source, new.path, new.text, new.label = "csv", str(found.path), _column(found.path, "review"), _column(found.path, "sentiment")
            if "html" not in new.clean:
                new.clean.append("html")
        exp.data = new
        exp.base_dir = data_dir
    n_epochs = epochs if epochs is not None else (min(wf.quick_epochs, exp.fit.epochs) if quick else exp.fit.epochs)
    return exp, n_epochs


def _column(path: Path, name: str) -> str:
    """The column's own spelling in the file (`Review` or `review`)."""
    import pandas as pd

    for c in pd.read_csv(path, nrows=0).columns:
        if str(c).strip().lower() == name:
            return str(c)
    return name


@contextmanager
def keras_cache(data_dir: Path) -> Iterator[None]:
    """KERAS_HOME pointed at a temporary folder whose datasets/ links to DIR's Keras files,
    and no download attempts (KERMINAL_OFFLINE), for the length of the block."""
    saved = {k: os.environ.get(k) for k in ("KERAS_HOME", "KERMINAL_OFFLINE")}
    with tempfile.TemporaryDirectory(prefix="kerminal-seeds-keras-") as tmp:
        ds = Path(tmp) / "datasets"
        ds.mkdir()
        for name in ("imdb.npz", "imdb_word_index.json"):
            if (data_dir / name).is_file():
                (ds / name).symlink_to((data_dir / name).resolve())
        os.environ["KERAS_HOME"] = tmp
        os.environ["KERMINAL_OFFLINE"] = "1"
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def run_workflow(wf: Workflow, forms: dict[str, Found], problems: dict[str, str], data_dir: Path, runs_dir: Path,
                 quick: bool, limit: int | None = None, epochs: int | None = None) -> Outcome:
    out = Outcome(wf.name, wf.preset, "skipped", reported=wf.reported, reported_what=wf.reported_what)
    found = None
    if wf.corpus != "reber":
        found = next((forms[f] for f in wf.forms if f in forms), None)
        if found is None:
            why = "; ".join(problems[f] for f in wf.forms if f in problems)
            out.reason = f"no {_wanted(wf)} in {data_dir}" + (f" ({why})" if why else "")
            return out
        out.data = found.label
        if found.form != wf.forms[0]:
            out.notes.append(f"the tutorial used the {_FORM_NAMES[wf.forms[0]]}; ran on {found.label}")
    else:
        out.data = "generator"
    t0 = time.perf_counter()
    try:
        from engine.data import load_dataset
        from engine.training import Trainer

        exp, n_epochs = experiment_for(wf, found, data_dir, quick, limit, epochs)
        if wf.corpus == "reber":
            out.data = f"{exp.data.source} generator, {exp.data.size or 'default'} strings"
        with keras_cache(data_dir):
            ds = load_dataset(exp)
        out.train_rows, out.val_rows = len(ds.train), len(ds.validation)
        if not len(ds.validation):
            out.notes.append("no validation split: the accuracy shown is on the test split")
        import keras

        keras.utils.clear_session()
        t_train = time.perf_counter()
        result = Trainer(exp, ds, runs_dir, listener=None).run(n_epochs)
        out.train_seconds = time.perf_counter() - t_train
        hist = result.history
        out.epochs = result.epochs
        out.val_accuracy = _last(hist.get("val_accuracy"))
        out.best_val_accuracy = max((v for v in hist.get("val_accuracy", []) if v == v), default=None)
        out.train_accuracy = _last(hist.get("accuracy"))
        if out.val_accuracy is None and len(ds.test):
            from engine.training import evaluate

            out.val_accuracy = float(evaluate(result.run_dir, ds.test).accuracy)
        out.status = "ok"
    except Exception as exc:  # every failure is a row of the output
        out.status = "failed"
        out.reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    out.seconds = time.perf_counter() - t0
    return out


_FORM_NAMES = {"sms": "UCI SMSSpamCollection file", "fake-true": "Fake.csv/True.csv pair", "npz": "Keras imdb.npz", "acl": "aclImdb/ folder", "csv": "IMDB CSV", "generator": "generator"}


def _wanted(wf: Workflow) -> str:
    return " or ".join(_FORM_NAMES[f] for f in wf.forms)


def _last(values: Sequence[float] | None) -> float | None:
    if not values:
        return None
    v = float(values[-1])
    return v if v == v else None


# ---------------------------------------------------------------------------------------
# Output


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def format_outcomes(outcomes: Sequence[Outcome]) -> str:
    head = ["workflow", "status", "data", "train/val rows", "epochs", "val acc", "best val", "train acc", "tutorial reports", "time"]
    body = []
    for o in outcomes:
        reported = f"{o.reported:.4f} ({o.reported_what})" if o.reported is not None else o.reported_what
        if o.status == "ok":
            body.append([o.workflow, "ok", o.data, f"{o.train_rows:,}/{o.val_rows:,}", str(o.epochs), _pct(o.val_accuracy),
                         _pct(o.best_val_accuracy), _pct(o.train_accuracy), reported, f"{o.seconds:.0f} s"])
        else:
            body.append([o.workflow, o.status.upper() if o.status == "failed" else o.status, o.data or "-", "-", "-", "-", "-", "-", reported, f"{o.seconds:.0f} s" if o.seconds else "-"])
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip(), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)).rstrip() for b in body]
    extra = []
    for o in outcomes:
        if o.reason:
            extra.append(f"  {o.workflow}: {o.status}: {o.reason}")
        for n in o.notes:
            extra.append(f"  {o.workflow}: {n}")
    if extra:
        lines += ["", "notes:", *extra]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.seeds", description="Reproduce the five tutorials' workflows through kerminal's engine and compare accuracies.")
    ap.add_argument("--data-dir", type=Path, required=True, help="folder holding Fake.csv/True.csv, SMSSpamCollection, imdb.npz + imdb_word_index.json, aclImdb/ or 'IMDB Dataset.csv'")
    ap.add_argument("--quick", action="store_true", help=f"at most {QUICK_ROWS:,} rows per split and 2-20 epochs per workflow: the whole reproduction in under 10 minutes on 2 cores")
    ap.add_argument("--only", action="append", metavar="WORKFLOW", help="run only this workflow (repeat or comma-separate)")
    ap.add_argument("--limit", type=int, metavar="ROWS", help="rows per split (and half the generated Reber strings), overriding --quick's; for smoke tests")
    ap.add_argument("--epochs", type=int, metavar="N", help="epochs per workflow, overriding the tutorial's (and --quick's)")
    ap.add_argument("--runs-dir", type=Path, help="keep the trained runs here (default: a temporary folder, removed)")
    ap.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args(argv)

    data_dir = args.data_dir.expanduser().resolve()
    if not data_dir.is_dir():
        print(f"bench.seeds: no folder at {data_dir}. Point --data-dir at the folder that holds the tutorials' files.", file=sys.stderr)
        return 2
    workflows = list(WORKFLOWS)
    if args.only:
        wanted = [w.strip() for item in args.only for w in item.split(",") if w.strip()]
        unknown = [w for w in wanted if w not in {wf.name for wf in WORKFLOWS}]
        if unknown:
            print(f"bench.seeds: unknown workflow {', '.join(unknown)} (known: {', '.join(wf.name for wf in WORKFLOWS)})", file=sys.stderr)
            return 2
        workflows = [wf for wf in WORKFLOWS if wf.name in wanted]

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices between workflows
    forms, problems = find_forms(data_dir)
    if args.quick:
        print(f"QUICK MODE: at most {args.limit or QUICK_ROWS:,} rows per split (Reber: {2 * args.limit if args.limit else QUICK_REBER:,} strings) and "
              f"{'%d epoch(s)' % args.epochs if args.epochs else '2-20 epochs'} per workflow, so the accuracies below are lower "
              f"than the tutorials' full runs (all rows, 5-100 epochs). Run without --quick to reproduce them.")
    elif args.limit or args.epochs:
        print(f"CUT RUN: {'%d rows per split' % args.limit if args.limit else 'all rows'}, "
              f"{'%d epoch(s)' % args.epochs if args.epochs else 'the tutorials’ epochs'}: accuracies are not the tutorials' full runs.")
    print(f"data folder {data_dir}: found {', '.join(f.label for f in forms.values()) or 'none of the tutorials’ files'}", flush=True)

    t0 = time.perf_counter()
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="kerminal-seeds-runs-") as tmp:
        runs_dir = args.runs_dir or Path(tmp)
        for wf in workflows:
            o = run_workflow(wf, forms, problems, data_dir, runs_dir, args.quick, args.limit, args.epochs)
            state = {"ok": f"val acc {_pct(o.val_accuracy)}, training {o.train_seconds:.0f} s", "skipped": f"skipped: {o.reason}", "failed": f"FAILED: {o.reason}"}[o.status]
            print(f"  {wf.name}: {state} ({o.seconds:.0f} s)", flush=True)
            outcomes.append(o)
    total = time.perf_counter() - t0
    print()
    print(format_outcomes(outcomes))
    print()
    machine = common.machine_info()
    print(common.machine_line(machine))
    counts = {s: sum(o.status == s for o in outcomes) for s in ("ok", "skipped", "failed")}
    print(f"{counts['ok']} ran, {counts['skipped']} skipped (files absent), {counts['failed']} failed; {total:.0f} s in all"
          + (" (quick mode)" if args.quick else ""))
    if args.json:
        common.write_json(args.json, {
            "date": common.now_iso(), "quick": args.quick, "limit": args.limit, "epochs": args.epochs,
            "data_dir": str(data_dir), "seconds": total, "machine": machine,
            "workflows": [o.__dict__ for o in outcomes],
        })
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
