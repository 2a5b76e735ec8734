"""Loading and vectorizing an IMDB-sized corpus: kerminal against plain pandas + TextVectorization.

A synthetic corpus of the IMDB's size (50,000 reviews of ~230 words, Zipf-distributed
words with some punctuation: a ~65 MB CSV, and the same reviews as the 50,000-file aclImdb
folder layout train/{neg,pos}, test/{neg,pos}) is written to a temporary folder. Then, in
alternating runs:

- kerminal: `engine.data.load_dataset` (csv source, or folder source with its own test
  split) and `engine.vectorize.make_vectorizer` (TextVectorization adapted on the train split);
- baseline: the plain script a tutorial would write: `pd.read_csv` (or a loop reading every
  .txt file) and `TextVectorization(max_tokens=10000).adapt(texts, batch_size=1024)` on the
  same texts (the batch size kerminal's vectorizer uses, so the ratio measures kerminal's
  loading overhead, not a different adapt).

Both fit on the same rows (no validation split is taken). Rows are medians of the runs.

    python -m bench.bench_load [--quick]
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench import common  # noqa: E402

FULL_REVIEWS = 50_000
QUICK_REVIEWS = 5_000
MEAN_WORDS = 230
VOCAB = 40_000
MAX_TOKENS = 10_000


def synthetic_corpus(n: int, seed: int = 0) -> tuple[list[str], list[int]]:
    """n review-like texts (~MEAN_WORDS words, ~5.6 bytes a word) and balanced 0/1 labels."""
    import numpy as np

    rng = np.random.default_rng(seed)
    letters = np.array(list("etaoinshrdlcumwfgypbvkjxqz"))
    ranks = np.arange(VOCAB)
    lengths = np.clip(np.round(1.0 + 0.74 * np.log1p(ranks) * rng.uniform(0.5, 1.2, VOCAB)), 1, 15).astype(int)
    words = np.array(["".join(rng.choice(letters, size=k)) for k in lengths], dtype=object)
    punct = rng.random(VOCAB) < 0.08
    words[punct] = words[punct] + rng.choice(np.array([",", ".", "!", "?"], dtype=object), size=int(punct.sum()))
    p = 1.0 / (ranks + 8.0) ** 1.05
    p /= p.sum()
    sigma = 0.6
    sizes = np.clip(rng.lognormal(np.log(MEAN_WORDS) - sigma**2 / 2, sigma, n).astype(int), 10, 2500)
    flat = words[rng.choice(VOCAB, size=int(sizes.sum()), p=p)].tolist()
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    texts = [" ".join(flat[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    labels = (np.arange(n) % 2).tolist()
    return texts, labels


def write_corpus(root: Path, texts: list[str], labels: list[int]) -> tuple[Path, Path]:
    """The corpus as one CSV (review, sentiment) and as the aclImdb folder layout."""
    import pandas as pd

    names = ["neg", "pos"]
    csv = root / "reviews.csv"
    pd.DataFrame({"review": texts, "sentiment": [names[y] for y in labels]}).to_csv(csv, index=False)
    folder = root / "aclImdb"
    half = len(texts) // 2
    for i, (text, y) in enumerate(zip(texts, labels, strict=True)):
        split = "train" if i < half else "test"
        d = folder / split / names[y]
        if i < 4:
            for s in ("train", "test"):
                for c in names:
                    (folder / s / c).mkdir(parents=True, exist_ok=True)
        (d / f"{i}_{7 if y else 2}.txt").write_text(text, encoding="utf-8")
    return csv, folder


def _adapt(texts: list[str]) -> Any:
    import keras

    tv = keras.layers.TextVectorization(max_tokens=MAX_TOKENS)
    tv.adapt(texts, batch_size=1024)
    return tv


def kerminal_csv(csv: Path, vectorize: bool = True) -> None:
    from engine.data import load_dataset
    from engine.experiment import DataConfig, Experiment, SplitConfig, VectorizeConfig
    from engine.vectorize import make_vectorizer

    exp = Experiment(
        data=DataConfig(source="csv", path=str(csv), text="review", label="sentiment", split=SplitConfig(0.0, 0.0, 42)),
        vectorize=VectorizeConfig(max_tokens=MAX_TOKENS),
    )
    ds = load_dataset(exp)
    if vectorize:
        make_vectorizer(exp.vectorize, ds.train.texts)


def baseline_csv(csv: Path, vectorize: bool = True) -> None:
    import numpy as np
    import pandas as pd

    df = pd.read_csv(csv)
    texts = df["review"].tolist()
    labels = np.asarray(df["sentiment"] == "pos", dtype=np.int64)
    assert len(labels) == len(texts)
    if vectorize:
        _adapt(texts)


def kerminal_folder(folder: Path, vectorize: bool = True) -> None:
    from engine.data import load_dataset
    from engine.experiment import DataConfig, Experiment, SplitConfig, VectorizeConfig
    from engine.vectorize import make_vectorizer

    exp = Experiment(
        data=DataConfig(source="folder", path=str(folder), split=SplitConfig(0.0, 0.0, 42)),
        vectorize=VectorizeConfig(max_tokens=MAX_TOKENS),
    )
    ds = load_dataset(exp)
    if vectorize:
        make_vectorizer(exp.vectorize, ds.train.texts)


def baseline_folder(folder: Path, vectorize: bool = True) -> None:
    splits = {}
    for split in ("train", "test"):
        texts, labels = [], []
        for y, cls in enumerate(("neg", "pos")):
            for p in sorted((folder / split / cls).iterdir()):
                texts.append(p.read_text(encoding="utf-8"))
                labels.append(y)
        splits[split] = (texts, labels)
    if vectorize:
        _adapt(splits["train"][0])


def _interleaved(fk, fb, repeat: int) -> tuple[list[float], list[float]]:
    import gc
    import time

    k, b = [], []
    for i in range(repeat):
        for fn, out in ((fk, k), (fb, b)) if i % 2 == 0 else ((fb, b), (fk, k)):
            gc.collect()
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return k, b


def run(quick: bool) -> list[dict[str, Any]]:
    n = QUICK_REVIEWS if quick else FULL_REVIEWS
    repeat = 3 if quick else 5
    rows = []
    with tempfile.TemporaryDirectory(prefix="kerminal-bench-load-") as tmp:
        texts, labels = synthetic_corpus(n)
        csv, folder = write_corpus(Path(tmp), texts, labels)
        mb = csv.stat().st_size / 1e6
        words = sum(t.count(" ") + 1 for t in texts) / len(texts)
        size = f"{n:,} reviews, {words:.0f} words avg, {mb:.0f} MB CSV"
        _adapt(texts[:200])  # import TensorFlow and build the adapt graph once, untimed
        cases = [
            ("load csv", lambda: kerminal_csv(csv, False), lambda: baseline_csv(csv, False), ""),
            ("load+vectorize csv", lambda: kerminal_csv(csv), lambda: baseline_csv(csv), "ratio <= 1.2"),
            ("load folder", lambda: kerminal_folder(folder, False), lambda: baseline_folder(folder, False), ""),
            ("load+vectorize folder", lambda: kerminal_folder(folder), lambda: baseline_folder(folder), "ratio <= 1.2"),
        ]
        for measure, fk, fb, goal in cases:
            k, b = _interleaved(fk, fb, repeat)
            note = f"{size}; median of {repeat}, interleaved"
            if measure.startswith("load ") and "vectorize" not in measure:
                note += "; kerminal also checks UTF-8, drops empty rows, encodes labels and splits"
            rows.append(common.row(measure, "s", common.median(k), common.median(b), goal=goal, note=note))
    return rows


if __name__ == "__main__":
    raise SystemExit(common.main_for(run))
