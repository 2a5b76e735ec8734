"""The one ETA estimator, and the one way an ETA is written.

The run computes EpochEnd.eta_s with it, each watcher (the Train pane, `kerminal watch`)
folds the same events into its own and adds the pace of the epoch in progress; `format_eta`
writes what it returns for all of them.

The pace, in seconds per training step: the epoch in progress's once MIN_STEPS of it ran
(its first steps trace and compile), else the mean of the last RECENT whole epochs (the
first one left out once there is another: it traced the graph), else unknown (None, written
"estimating…"). Clock readings come in as arguments, so tests need no sleeping.
"""

from __future__ import annotations

MIN_STEPS = 5  # steps of an epoch before its own pace counts
RECENT = 3  # whole epochs in the mean


class Eta:
    """Seconds left in a run. One per run (or continuation): a watcher starts a new one at
    each Started, as the run does."""

    def __init__(self) -> None:
        self.epoch_s: list[float] = []  # whole epochs' durations, pauses left out
        self._t0: float | None = None  # the clock when the epoch in progress began

    def start_epoch(self, now: float) -> None:
        self._t0 = now

    def epoch_ended(self, duration_s: float, epochs_left: int, now: float | None = None) -> float | None:
        """Record a whole epoch (a duration of 0 is one not measured: left out) and return
        the seconds left for `epochs_left` more; `now` starts the next epoch's clock."""
        if duration_s > 0:
            self.epoch_s.append(float(duration_s))
        if now is not None:
            self.start_epoch(now)
        pace = self._epoch_pace()
        return None if pace is None else pace * max(epochs_left, 0)

    def seconds_left(self, now: float, epoch: int, step: int, steps: int, target: int) -> float | None:
        """Mid-epoch: `step` of `steps` done in `epoch` (1-based) of a run to `target`."""
        if steps <= 0:
            return None
        left = (target - epoch) * steps + (steps - step)
        if step >= MIN_STEPS and self._t0 is not None and now > self._t0:
            return left * (now - self._t0) / step
        pace = self._epoch_pace()
        return None if pace is None else left * pace / steps

    def _epoch_pace(self) -> float | None:
        """Seconds per whole epoch, from the recent ones."""
        done = self.epoch_s[1:] if len(self.epoch_s) > 1 else self.epoch_s
        recent = done[-RECENT:]
        return sum(recent) / len(recent) if recent else None


def format_duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(round(seconds)), 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


def format_eta(seconds: float | None, short: bool = False) -> str:
    """'ETA 4m05s'; 'ETA estimating…' (short: 'ETA …') before the estimator has a pace."""
    if seconds is None:
        return "ETA …" if short else "ETA estimating…"
    return f"ETA {format_duration(seconds)}"
