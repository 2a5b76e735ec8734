"""An IMDB-sized stand-in corpus, for benchmarks that must run without the real reviews.

The real IMDB reviews cannot be downloaded here, so this writes a CSV in the form of the
public "IMDB Dataset.csv" (`review,sentiment`, quoted reviews) whose statistics follow the
real ones where they drive training cost and vectorizing cost:
- review length in words: log-normal with median ~174 and mean ~230 (the real train split:
  median 174, mean 234);
- word lengths: the English token-length distribution (mean ~4.3 letters);
- word frequencies: Zipf over a 60,000-word vocabulary (a 10,000-token vocabulary covers
  86 % of the tokens of 3,000 reviews; a little under the real reviews' ~95 %, so this corpus
  has somewhat more out-of-vocabulary tokens);
- sentiment carried by a few hundred words with noise, so models learn something and
  accuracy lands in the 0.8s, not at 1.0;
- the real file's hazards: `<br /><br />`, punctuation, capitals, doubled quotes, and now
  and then U+0085 and U+2028 inside a review.

    python -m bench.imdb_like OUT.csv [--rows 25000] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import numpy as np

LETTERS = "etaoinshrdlcumwfgypbvkjxqz"
LETTER_P = np.array([12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4, 2.4, 2.2, 2.0, 2.0, 1.9, 1.5, 1.0, 0.8, 0.2, 0.2, 0.1, 0.1])
# P(word length = 1..12), English running text
LENGTH_P = np.array([3.0, 17.0, 20.0, 16.0, 11.0, 9.0, 8.0, 6.0, 4.5, 3.0, 1.5, 1.0])
VOCAB = 60_000
SENTIMENT_WORDS = 300  # per polarity


def vocabulary(rng: np.random.Generator, size: int = VOCAB) -> list[str]:
    """`size` distinct made-up words; frequent words are short, as in English."""
    lengths = rng.choice(np.arange(1, 13), size=size * 2, p=LENGTH_P / LENGTH_P.sum())
    words: dict[str, None] = {}
    letters = np.array(list(LETTERS))
    p = LETTER_P / LETTER_P.sum()
    cdf = p.cumsum()  # rng.choice(letters, size=n, p=p)'s draws, its sums made once (see corpus)
    cdf /= cdf[-1]
    i = 0
    while len(words) < size:
        n = int(lengths[i % len(lengths)])
        # Zipf's law of abbreviation: the most frequent words are short.
        if len(words) < 200:
            n = min(n, 4)
        words["".join(letters[cdf.searchsorted(rng.random(n), side="right")])] = None
        i += 1
    return list(words)


def reviews(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """n reviews and their labels ("positive" / "negative"), half each."""
    texts, labels, _, _ = corpus(n, seed)
    return texts, labels


def corpus(n: int, seed: int = 0) -> tuple[list[str], list[str], set[str], set[str]]:
    """`reviews`, and the positive and negative sentiment words planted in them."""
    rng = np.random.default_rng(seed)
    words = np.array(vocabulary(rng))
    ranks = np.arange(1, len(words) + 1)
    zipf = 1.0 / ranks**1.05
    zipf /= zipf.sum()
    # What rng.choice(len(words), size, p=zipf) does, with the cumulative sum made once
    # instead of once per review (60,000 sums each): the same draws, 15,000 reviews in a
    # few seconds instead of half a minute.
    cdf = zipf.cumsum()
    cdf /= cdf[-1]
    # Sentiment words sit in the middle of the frequency ranks (like "great", "awful").
    pos = rng.choice(np.arange(150, 3000), size=SENTIMENT_WORDS, replace=False)
    neg = rng.choice(np.setdiff1d(np.arange(150, 3000), pos), size=SENTIMENT_WORDS, replace=False)
    mu, sigma = math.log(174), 0.75  # median 174, mean 174 * e^(sigma^2 / 2) ~ 230
    lengths = np.clip(rng.lognormal(mu, sigma, size=n).astype(int), 10, 2500)
    labels = rng.permutation(np.arange(n) % 2)
    texts = []
    for length, label in zip(lengths, labels, strict=True):
        ids = cdf.searchsorted(rng.random(int(length)), side="right")
        # Plant sentiment: a few percent of the words carry the label, some carry the other.
        k = rng.binomial(int(length), 0.05)
        mine, other = (pos, neg) if label else (neg, pos)
        slots = rng.choice(int(length), size=k, replace=False)
        ids[slots] = np.where(rng.random(k) < 0.8, rng.choice(mine, size=k), rng.choice(other, size=k))
        toks = list(words[ids])
        texts.append(_dress(toks, rng))
    return texts, ["positive" if y else "negative" for y in labels], set(words[pos]), set(words[neg])


def oracle_accuracy(n: int, seed: int = 0) -> float:
    """The accuracy of the generator's own rule read backwards: a review is positive when it
    holds more positive than negative sentiment words (ties: a coin flip counted as 0.5).
    This is close to the best any classifier can do on the stand-in, since the words are
    drawn independently and carry the label only through those counts."""
    texts, labels, pos, neg = corpus(n, seed)
    right = 0.0
    for text, label in zip(texts, labels, strict=True):
        toks = [t.strip('.,"').lower() for t in text.split()]
        score = sum(t in pos for t in toks) - sum(t in neg for t in toks)
        right += 0.5 if score == 0 else float((score > 0) == (label == "positive"))
    return right / len(texts)


def _dress(tokens: list[str], rng: np.random.Generator) -> str:
    """Sentences, capitals, punctuation, and the real file's stray characters."""
    out: list[str] = []
    start = True
    for tok in tokens:
        if start:
            tok = tok.capitalize()
            start = False
        r = rng.random()
        if r < 0.06:
            tok += "."
            start = True
        elif r < 0.09:
            tok += ","
        elif r < 0.092:
            tok = f'"{tok}"'
        out.append(tok)
        if start and rng.random() < 0.04:
            out.append("<br /><br />")
    text = " ".join(out)
    r = rng.random()
    if r < 0.002:
        text = text.replace(" ", " \x85 ", 1)
    elif r < 0.003:
        text = text.replace(" ", "\u2028", 1)
    return text


def write_csv(path: str | Path, rows: int = 25_000, seed: int = 0) -> Path:
    """The corpus as an "IMDB Dataset.csv"-style file: header `review,sentiment`."""
    texts, labels = reviews(rows, seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["review", "sentiment"])
        w.writerows(zip(texts, labels, strict=True))
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=25_000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    print(write_csv(a.out, a.rows, a.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
