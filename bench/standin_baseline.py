"""How high can a model go on the IMDB stand-in? `python -m bench.standin_baseline CSV`.

Prints, for an "IMDB Dataset.csv"-style file written by bench.imdb_like (same rows, same
seed): the generator's oracle (bench.imdb_like.oracle_accuracy, close to the stand-in's
ceiling), and the validation accuracy and training seconds of the `imdb-ngram` preset run the
way `python -m bench.seeds` runs it, once as shipped and once with `ngrams = 1` (a plain
unigram TF-IDF linear-ish baseline), so a reader can tell whether imdb-ngram's figure is
limited by the model or by the stand-in.

    python -m bench.imdb_like /tmp/imdb/"IMDB Dataset.csv" --rows 25000
    python -m bench.standin_baseline /tmp/imdb/"IMDB Dataset.csv" --rows 25000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def run(csv: Path, ngrams: int, linear: bool) -> tuple[float, float, int]:
    """(val accuracy, training seconds, train rows) of imdb-ngram on csv with `ngrams`;
    `linear` drops the hidden Dense/Dropout so the model is TF-IDF -> Dense(1, sigmoid)."""
    import keras

    from bench.seeds import WORKFLOWS, experiment_for, find_forms
    from engine.data import load_dataset
    from engine.training import Trainer

    wf = next(w for w in WORKFLOWS if w.name == "imdb-ngram")
    forms, _ = find_forms(csv.parent)
    exp, epochs = experiment_for(wf, forms["csv"], csv.parent, quick=False, limit=None, epochs=None)
    exp.vectorize.ngrams = ngrams
    if linear:
        exp.layers = [exp.layers[-1]]
        epochs = max(epochs, 8)  # a linear model learns more slowly; early stopping still applies
    ds = load_dataset(exp)
    keras.utils.clear_session()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = Trainer(exp, ds, Path(tmp), listener=None).run(epochs)
        seconds = time.perf_counter() - t0
    return max(result.history["val_accuracy"]), seconds, len(ds.train)


def main(argv: list[str] | None = None) -> int:
    from bench.imdb_like import oracle_accuracy

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", type=Path)
    ap.add_argument("--rows", type=int, default=25_000, help="the --rows the CSV was written with")
    ap.add_argument("--seed", type=int, default=0, help="the --seed the CSV was written with")
    a = ap.parse_args(argv)
    print(f"oracle (generator's rule, all {a.rows:,} rows): {oracle_accuracy(a.rows, a.seed):.4f}", flush=True)
    for name, ngrams, linear in (("unigram TF-IDF -> Dense(1) (linear)", 1, True),
                                 ("imdb-ngram with ngrams = 1", 1, False),
                                 ("imdb-ngram as shipped (ngrams = 2)", 2, False)):
        acc, secs, n = run(a.csv, ngrams, linear)
        print(f"{name}: best val acc {acc:.4f}, training {secs:.0f} s ({n:,} train rows)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
