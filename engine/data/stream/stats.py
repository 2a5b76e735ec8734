"""dataset_stats for streamed data, in one pass over the training texts and memory bounded
in rows: the counts and the longest text exact, the length percentiles from a reservoir
sample of SAMPLE_LENGTHS lengths, the vocabulary and OOV rates from the first VOCAB_TEXTS
texts of each split (a vocabulary grows with every distinct word); the notes say which."""

from __future__ import annotations

from collections import Counter
from itertools import chain
from typing import Any

import numpy as np

from engine.data.stats import DatasetStats, stats_from_counts, text_tokens
from engine.dataset import Dataset
from engine.experiment import VectorizeConfig

SAMPLE_LENGTHS = 100_000
VOCAB_TEXTS = 100_000


def streamed_stats(ds: Dataset, vcfg: VectorizeConfig, chars: bool) -> DatasetStats:
    rng = np.random.default_rng(0)
    reservoir = np.zeros(SAMPLE_LENGTHS, dtype=np.int64)
    seen, longest, over, vocab_texts = 0, 0, 0, 0
    counts: Counter[str] = Counter()
    train: Any = ds.train.texts
    for chunk in train.chunks():
        lengths, tokens = text_tokens(chunk, chars)
        longest = max(longest, int(lengths.max()))
        over += int((lengths > vcfg.length).sum())
        pos = np.arange(seen, seen + len(lengths))
        fill = pos < SAMPLE_LENGTHS
        reservoir[pos[fill]] = lengths[fill]
        if (~fill).any():  # Algorithm R: row i replaces a random slot with probability size / (i + 1)
            slots = rng.integers(0, pos[~fill] + 1)
            hit = slots < SAMPLE_LENGTHS
            reservoir[slots[hit]] = lengths[~fill][hit]
        seen += len(lengths)
        if vocab_texts < VOCAB_TEXTS:
            take = tokens[: VOCAB_TEXTS - vocab_texts]
            counts.update(chain.from_iterable(take))
            vocab_texts += len(take)
    sample = reservoir[: min(seen, SAMPLE_LENGTHS)]
    val_all: list[str] | None = None
    if len(ds.validation):
        val_all = []
        val: Any = ds.validation.texts
        for chunk in val.chunks():
            val_all += chain.from_iterable(text_tokens(chunk[: VOCAB_TEXTS - len(val_all)], chars)[1])
            if len(val_all) >= VOCAB_TEXTS:
                break
    notes = list(ds.notes)
    if seen > SAMPLE_LENGTHS:
        notes.append(f"streamed: length percentiles from a random sample of {SAMPLE_LENGTHS:,} of the {seen:,} training texts (the longest is exact)")
    if seen > VOCAB_TEXTS:
        notes.append(f"streamed: vocabulary and out-of-vocabulary rates from the first {VOCAB_TEXTS:,} texts of each split")
    return stats_from_counts(ds, vcfg, chars, counts, val_all, sample, longest, over / seen if seen else 0.0, notes)
