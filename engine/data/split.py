"""Stratified, seeded splits and the per-split row limit."""

from __future__ import annotations

import numpy as np


def stratified_split(labels: np.ndarray, validation: float, test: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices (train, validation, test), each class split in the same proportions.

    Every split is shuffled with the seed. Each class keeps at least one training row.
    """
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        rng.shuffle(idx)
        n = len(idx)
        n_val = int(np.floor(n * validation + 0.5))
        n_test = int(np.floor(n * test + 0.5))
        while n_val + n_test >= n and (n_val or n_test):  # leave a training row
            if n_test >= n_val and n_test:
                n_test -= 1
            else:
                n_val -= 1
        parts[1].append(idx[:n_val])
        parts[2].append(idx[n_val : n_val + n_test])
        parts[0].append(idx[n_val + n_test :])
    out = []
    for chunks in parts:
        joined = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
        out.append(rng.permutation(joined))
    return out[0], out[1], out[2]


def shuffled(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(n)


def limit_rows(idx: np.ndarray, limit: int) -> np.ndarray:
    """The first `limit` rows of an already shuffled split (0 = all)."""
    return idx[:limit] if limit > 0 else idx
