"""Which way a metric improves, and each metric's best epoch in a history: one rule for the
run's checkpoints (engine.training.callbacks), `kerminal runs --sort`, the Runs pane and
`kerminal compare`."""

from __future__ import annotations

import math
from dataclasses import dataclass

# Metrics where larger is better (as Keras's ModelCheckpoint mode="auto" reads them);
# every other metric (losses, errors) is best when lowest.
MAXIMIZED = ("accuracy", "acc", "auc", "precision", "recall")


def higher_is_better(metric: str) -> bool:
    base = metric[4:] if metric.startswith("val_") else metric
    return base in MAXIMIZED


@dataclass
class Best:
    value: float
    epoch: int  # 1-based


def best_metrics(history: dict[str, list[float]]) -> dict[str, Best]:
    """Each metric's best value over the epochs (NaN epochs left out) and its epoch; on a
    tie the earliest epoch."""
    out = {}
    for metric, values in history.items():
        finite = [(v, i) for i, v in enumerate(values, 1) if isinstance(v, float) and math.isfinite(v)]
        if finite:
            sign = -1 if higher_is_better(metric) else 1
            value, epoch = min(finite, key=lambda p: (sign * p[0], p[1]))
            out[metric] = Best(value, epoch)
    return out
