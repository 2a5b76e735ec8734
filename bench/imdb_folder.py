"""An aclImdb-shaped stand-in folder: the real archive's layout filled with imdb_like's reviews.

    aclImdb/train/pos/ID_RATING.txt  (12,500; ratings 7-10)    aclImdb/test/pos/  (12,500)
    aclImdb/train/neg/ID_RATING.txt  (12,500; ratings 1-4)     aclImdb/test/neg/  (12,500)
    aclImdb/train/unsup/ID_0.txt     (unlabelled, ignored by the folder loader)
    aclImdb/imdb.vocab, aclImdb/README, train/labeledBow.feat, train/urls_pos.txt, ...

    python -m bench.imdb_folder OUT_DIR [--rows 25000] [--unsup 50000] [--seed 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bench.imdb_like import reviews


def write_folder(root: str | Path, rows: int = 25_000, unsup: int = 50_000, seed: int = 0) -> Path:
    """`rows` training and `rows` test reviews (half positive), and `unsup` unlabelled ones."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    for split, offset in (("train", 0), ("test", 1)):
        texts, labels = reviews(rows, seed + offset)
        counts = {"pos": 0, "neg": 0}
        for text, label in zip(texts, labels, strict=True):
            cls = "pos" if label == "positive" else "neg"
            folder = root / split / cls
            folder.mkdir(parents=True, exist_ok=True)
            rating = int(rng.integers(7, 11)) if cls == "pos" else int(rng.integers(1, 5))
            (folder / f"{counts[cls]}_{rating}.txt").write_text(text, encoding="utf-8")
            counts[cls] += 1
        (root / split / "labeledBow.feat").write_text("0:9 1:1\n")
        (root / split / "urls_pos.txt").write_text("http://www.imdb.com/title/tt0000000/usercomments\n")
    if unsup:
        texts, _ = reviews(unsup, seed + 2)
        (root / "train" / "unsup").mkdir(parents=True, exist_ok=True)
        for i, text in enumerate(texts):
            (root / "train" / "unsup" / f"{i}_0.txt").write_text(text, encoding="utf-8")
    (root / "imdb.vocab").write_text("the\nand\n")
    (root / "README").write_text("An aclImdb-shaped stand-in (bench/imdb_folder.py), not the real reviews.\n")
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--rows", type=int, default=25_000)
    parser.add_argument("--unsup", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(write_folder(args.out, args.rows, args.unsup, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
