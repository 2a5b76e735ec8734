"""The compared runs' curves as drawn: x by epoch or by training time, optional smoothing
(an exponential moving average), optional log y. One rule for the app's compare view and
`kerminal compare --plot`, so the picture and the view agree.

Training time is each epoch's `duration_s` from events.jsonl (pauses left out), added up:
an epoch's x is the time at its end. When a run has no time for one of its epochs (no
events.jsonl, a history rebuilt after a kill), every run is drawn by epoch and `XAxis.note`
says why: runs drawn on two kinds of x cannot be read against each other. Smoothing is for
the lines only; the best values (engine.runs.best) are always the raw ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from engine.runs.compare import RunSide

SMOOTHING = (0.0, 0.6, 0.9)  # the weights the view's key cycles through (0: off)
X_KINDS = ("epoch", "time")


@dataclass(frozen=True)
class CurveOptions:
    x: str = "epoch"  # "epoch" or "time"
    smooth: float = 0.0  # the EMA's weight of the past, 0 <= smooth < 1 (0: raw values)
    log_y: bool = False


@dataclass(frozen=True)
class XAxis:
    kind: str  # "epoch" or "time": what the runs are drawn by
    label: str  # the axis label: "epoch", "training time (min)"
    scale: float = 1.0  # seconds per unit of the axis (time)
    note: str = ""  # why time was asked for and epochs are drawn


def ema(values: Sequence[float], weight: float) -> list[float]:
    """Exponential moving average: s = weight * s + (1 - weight) * v, starting at the first
    value. A NaN stays NaN and leaves the average as it was; weight 0 gives the values back."""
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"the smoothing weight must be in [0, 1), got {weight}")
    out: list[float] = []
    s: float | None = None
    for v in values:
        if not math.isfinite(v):
            out.append(math.nan)
            continue
        s = v if s is None else weight * s + (1.0 - weight) * v
        out.append(s)
    return out


def epoch_ends(durations: dict[int, float], epochs: int) -> list[float] | None:
    """The training time (s) at the end of each of epochs 1..`epochs`; None when one of them
    has no duration."""
    out, total = [], 0.0
    for e in range(1, epochs + 1):
        d = durations.get(e)
        if d is None or not math.isfinite(d) or d < 0:
            return None
        total += d
        out.append(total)
    return out


def _length(r: RunSide) -> int:
    return max((len(v) for v in r.history.values()), default=0)


def x_axis(runs: Sequence[RunSide], kind: str = "epoch") -> XAxis:
    """What `runs` are drawn by: epochs, or training time when asked and every run has each
    epoch's time (in s, min or h, as the longest run needs)."""
    if kind not in X_KINDS:
        raise ValueError(f"x is one of {', '.join(X_KINDS)}, not {kind!r}")
    if kind == "epoch":
        return XAxis("epoch", "epoch")
    untimed = [r.id for r in runs if _length(r) and epoch_ends(r.durations, _length(r)) is None]
    if untimed:
        more = f" and {len(untimed) - 1} more" if len(untimed) > 1 else ""
        return XAxis("epoch", "epoch", note=f"By epoch: {untimed[0]}{more} recorded no epoch times (events.jsonl), so the runs cannot share a time axis.")
    longest = max((sum(r.durations.get(e, 0.0) for e in range(1, _length(r) + 1)) for r in runs), default=0.0)
    scale, unit = (3600.0, "h") if longest >= 3 * 3600 else (60.0, "min") if longest >= 180 else (1.0, "s")
    return XAxis("time", f"training time ({unit})", scale)


def curve_points(r: RunSide, metric: str, axis: XAxis, smooth: float = 0.0) -> tuple[list[float], list[float]]:
    """(xs, ys) of one run's metric as drawn: NaN epochs left out, smoothed when asked."""
    values = r.history.get(metric, [])
    ys = ema(values, smooth) if smooth else list(values)
    if axis.kind == "time":
        ends = epoch_ends(r.durations, len(values)) or []
        xs = [t / axis.scale for t in ends]
    else:
        xs = [float(e) for e in range(1, len(values) + 1)]
    pairs = [(x, y) for x, y in zip(xs, ys, strict=False) if math.isfinite(y)]
    return [x for x, _ in pairs], [y for _, y in pairs]


def curve_title(metric: str, options: CurveOptions) -> str:
    """A plot's title: the metric, then how it is drawn when not raw and linear."""
    parts = [metric]
    if options.smooth:
        parts.append(f"EMA {options.smooth:g}")
    if options.log_y:
        parts.append("log y")
    return " · ".join(parts)


def log_refusal(runs: Sequence[RunSide], metrics: Sequence[str]) -> str:
    """Why log y cannot draw these curves ("" when it can): a value at or below zero."""
    for metric in metrics:
        for r in runs:
            for epoch, v in enumerate(r.history.get(metric, []), 1):
                if math.isfinite(v) and v <= 0:
                    return f"Log y needs values above 0: {metric} of {r.id} is {v:g} at epoch {epoch}."
    return ""
