"""Numbers for choosing vectorizer settings, computed without TensorFlow.

Words are counted the way TextVectorization's default does it: lower-case, strip
punctuation, split on whitespace. The vocabulary is the training split's (the vectorizer is
fitted on it); the out-of-vocabulary rate at max_tokens counts the tokens that fall outside
the max_tokens - 2 most frequent ones (TextVectorization keeps ids 0 and 1 for padding and
[UNK]). Grammar strings (and the chars vectorizer) count characters instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd

from engine.dataset import Dataset
from engine.experiment import VectorizeConfig

RESERVED_IDS = 2  # padding and [UNK]
SAMPLE_CHARS = 160


@dataclass
class DatasetStats:
    name: str
    task: str
    class_names: list[str]
    unit: str  # "words" or "chars": what the lengths count
    rows: dict[str, dict[str, int]]  # split -> class name -> rows (plus "total")
    length_p50: int
    length_p90: int
    length_p99: int
    length_max: int
    vocab_size: int  # distinct tokens (or symbols) in the training split
    max_tokens: int
    oov_rate: float  # share of training tokens outside the max_tokens vocabulary
    oov_rate_validation: float | None  # the same on the validation split (None when empty)
    length: int  # vectorize.length
    truncated_rate: float  # share of training texts longer than vectorize.length
    samples: list[dict[str, str]] = field(default_factory=list)  # split, label, text
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def text_tokens(texts: list[str], chars: bool) -> tuple[np.ndarray, list[list[str]] | list[str]]:
    """Per-text lengths and the token lists (or the strings themselves, for characters)."""
    if chars:
        return np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts)), texts
    from engine.data.clean import standardize

    split = standardize(pd.Series(texts, dtype=object)).str.split().tolist()
    return np.fromiter((len(t) for t in split), dtype=np.int64, count=len(split)), split


def _rows(ds: Dataset) -> dict[str, dict[str, int]]:
    out = {}
    for name, split in ds.splits().items():
        counts = np.bincount(split.labels, minlength=ds.num_classes) if len(split) else np.zeros(ds.num_classes, dtype=np.int64)
        row = {cls: int(n) for cls, n in zip(ds.class_names, counts, strict=True)}
        row["total"] = int(counts.sum())
        out[name] = row
    return out


def _samples(ds: Dataset, per_class: int = 2) -> list[dict[str, str]]:
    out = []
    labels = ds.train.labels
    for i, cls in enumerate(ds.class_names):
        for j in np.flatnonzero(labels == i)[:per_class]:
            text = ds.train.texts[int(j)]
            short = text if len(text) <= SAMPLE_CHARS else text[: SAMPLE_CHARS - 1] + "…"
            out.append({"split": "train", "label": cls, "text": short})
    return out


def dataset_stats(ds: Dataset, vcfg: VectorizeConfig | None = None) -> DatasetStats:
    vcfg = vcfg or VectorizeConfig()
    chars = ds.symbols or vcfg.kind == "chars"
    lengths, tokens = text_tokens(ds.train.texts, chars)
    counts = Counter(chain.from_iterable(tokens))
    val_tokens = list(chain.from_iterable(text_tokens(ds.validation.texts, chars)[1])) if len(ds.validation) else None
    truncated = float((lengths > vcfg.length).mean()) if len(lengths) else 0.0
    return stats_from_counts(ds, vcfg, chars, counts, val_tokens, lengths, int(lengths.max()) if len(lengths) else 0, truncated, list(ds.notes))


def stats_from_counts(
    ds: Dataset, vcfg: VectorizeConfig, chars: bool, counts: Counter[str], val_tokens: list[str] | None, lengths: np.ndarray, longest: int, truncated: float, notes: list[str]
) -> DatasetStats:
    """The stats from the training texts' token counts and lengths (all of them, or a
    stream's sample) and the validation texts' tokens (None: no validation split)."""
    total = sum(counts.values())
    keep = max(vcfg.max_tokens - RESERVED_IDS, 0) if not chars else len(counts)
    kept = counts.most_common(keep)
    oov = 1.0 - sum(n for _, n in kept) / total if total else 0.0
    oov_val = None
    if val_tokens is not None:
        vocab = {w for w, _ in kept}
        oov_val = (sum(1 for w in val_tokens if w not in vocab) / len(val_tokens)) if val_tokens else 0.0
    p50, p90, p99 = (int(round(v)) for v in np.percentile(lengths, [50, 90, 99])) if len(lengths) else (0, 0, 0)
    return DatasetStats(
        name=ds.name,
        task=ds.task,
        class_names=list(ds.class_names),
        unit="chars" if chars else "words",
        rows=_rows(ds),
        length_p50=p50,
        length_p90=p90,
        length_p99=p99,
        length_max=longest,
        vocab_size=len(counts),
        max_tokens=vcfg.max_tokens,
        oov_rate=round(oov, 6),
        oov_rate_validation=None if oov_val is None else round(oov_val, 6),
        length=vcfg.length,
        truncated_rate=round(truncated, 6),
        samples=_samples(ds),
        notes=notes,
    )
