"""The collector and the app's long-lived objects.

A full (generation 2) collection scans every tracked object: with the app, its panes and
the loaded data alive that is some 160,000 objects (millions with TensorFlow loaded), 100-150
ms on a busy machine, and it fell in the middle of opening the compare view almost every
time (issue 20: the view must draw in under 200 ms). `freeze_once()` collects the young
generations and moves every object alive then out of the collector's sight (gc.freeze), so
later full collections scan only what is newer. Once per process: objects frozen are never
collected, so garbage frozen by a second call would stay. TensorFlow's import (tui.loading)
freezes what it made the same way, once, with `freeze()`.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze() -> None:
    """Every object alive now out of the collector's sight (the young garbage collected
    first, cheaply: frozen, it would never be freed)."""
    gc.collect(1)
    gc.freeze()


def freeze_once() -> None:
    global _frozen
    if _frozen:
        return
    _frozen = True
    freeze()
