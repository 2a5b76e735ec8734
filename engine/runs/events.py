"""What a Trainer tells its listener: small frozen dataclasses, TF-free.

A run emits, in order: one `Started`, then for each epoch some `BatchEnd` (throttled to the
Trainer's `batch_interval`, so a UI is never flooded) and one `EpochEnd`, and finally exactly
one of `Finished`, `Stopped` or `Failed`. Epochs and steps are 1-based (as a person counts).

Every event turns into a flat JSON-ready dict with `to_dict()` (its `event` key names the
kind); the run folder's `events.jsonl` and `kerminal train --json` hold these dicts, one per
line, and `from_dict` reads them back, so a watcher can follow a run from its folder.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Union

from engine.runs.eta import format_duration, format_eta


@dataclass(frozen=True)
class Started:
    """Training begins (or continues: `initial_epoch` epochs are already done)."""

    run_dir: str
    epochs: int  # the epoch count this call trains up to (initial_epoch + epochs to run)
    steps_per_epoch: int
    samples: int  # training samples
    initial_epoch: int = 0
    validation_samples: int = 0
    batch_size: int = 32
    monitor: str = "val_loss"
    time: float = 0.0  # time.time() when it started
    pipeline: str = ""  # how texts reach the model ("vectorized once ...", XLA), for the log


@dataclass(frozen=True)
class BatchEnd:
    """A training batch ended; `metrics` are the running means over this epoch so far."""

    epoch: int
    step: int
    steps: int
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class EpochEnd:
    """An epoch ended: every training and validation metric (validation ones start `val_`)."""

    epoch: int
    epochs: int
    metrics: dict[str, float]
    duration_s: float  # the whole epoch, validation included, pauses left out
    samples_per_s: float  # training samples over the training part of the epoch
    steps: int = 0  # training steps run this epoch (fewer than steps_per_epoch if stopped)
    best: bool = False  # this epoch is the best so far on the monitored metric (saved to best.keras)
    eta_s: float = 0.0  # estimated seconds left for the remaining epochs
    probes: list = field(default_factory=list)  # [[sentence, {class: probability}], ...] scored by the run
    learning_rate: float | None = None  # the optimizer's learning rate during this epoch


@dataclass(frozen=True)
class EpochFromHistory(EpochEnd):
    """An epoch whose EpochEnd never reached events.jsonl (the run was killed between the
    epoch's commit and its event), rebuilt by a watcher from history.csv: its metrics only."""


@dataclass(frozen=True)
class Steered:
    """The run's answer to a steering command (stop, pause, resume, lr, more) sent through
    its folder: `id` is the command's, `ok` whether it was applied, `message` what happened."""

    id: str
    command: str
    value: float | None = None
    ok: bool = True
    message: str = ""
    epoch: int = 0  # where the run was when it acted: epoch (1-based) and step
    step: int = 0


@dataclass(frozen=True)
class Finished:
    """All epochs ran (or early stopping ended the run); the models are saved."""

    run_dir: str
    epochs: int  # epochs done in total
    metrics: dict[str, float] = field(default_factory=dict)  # the last epoch's
    message: str = ""


@dataclass(frozen=True)
class Stopped:
    """Stopped on request (TrainControl.stop, Ctrl+C) at the end of a batch; saved so far.
    A stop mid-epoch leaves that epoch out of the record: `partial_epoch` is it (0 when
    the stop came between epochs), stopped after `step` of its `steps`."""

    run_dir: str
    epochs: int  # whole epochs kept
    metrics: dict[str, float] = field(default_factory=dict)
    message: str = ""
    partial_epoch: int = 0
    step: int = 0
    steps: int = 0


@dataclass(frozen=True)
class Failed:
    """Training could not start or could not go on (a NaN loss, an error); `message` says why."""

    run_dir: str
    epochs: int
    message: str
    metrics: dict[str, float] = field(default_factory=dict)


Event = Union[Started, BatchEnd, EpochEnd, Steered, Finished, Stopped, Failed]
Listener = Callable[[Event], None]
EVENT_TYPES: dict[str, type] = {t.__name__: t for t in (Started, BatchEnd, EpochEnd, Steered, Finished, Stopped, Failed)}
TERMINAL = (Finished, Stopped, Failed)


def to_dict(event: Event) -> dict[str, Any]:
    """The event as a JSON-ready dict: {"event": "EpochEnd", "epoch": 1, ...}. NaN -> None."""
    out: dict[str, Any] = {"event": type(event).__name__}
    for f in dataclasses.fields(event):
        out[f.name] = _json_safe(getattr(event, f.name))
    if isinstance(event, EpochFromHistory):
        out.update(event="EpochEnd", from_history=True)
    return out


MAX_EPOCH = 1_000_000  # an epoch number beyond this is not a real run (it would grow a history by as many rows)
MAX_COUNT = 2**53
MAX_FLOAT = 1e18  # a duration, a rate, a steering value: anything larger is junk


def from_dict(raw: Any) -> Event:
    """Read back a dict written by `to_dict` (unknown keys are ignored, for newer writers).
    ValueError when it is not one: not an object, an unknown kind, a field missing or of the
    wrong kind (an epoch that is text, metrics that are a list, a huge or infinite number),
    so a reader skips the line instead of failing later."""
    if not isinstance(raw, dict):
        raise ValueError(f"not a kerminal event: a JSON {type(raw).__name__}")  # noqa: TRY004  (one error kind for every bad line: the readers skip on ValueError)
    name = raw.get("event")
    kind = EVENT_TYPES.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ValueError(f"not a kerminal event: {str(raw.get('event'))[:40]!r}")
    values = {}
    for f in dataclasses.fields(kind):
        if f.name in raw:
            values[f.name] = _field(f.name, str(f.type), raw[f.name])
    try:
        return kind(**values)
    except TypeError as exc:  # a required field missing
        raise ValueError(f"not a whole {kind.__name__} event: {exc}") from None


def _field(name: str, hint: str, value: Any) -> Any:
    """The value as the event's field `name` (typed `hint`) holds it; ValueError if it cannot."""
    if hint == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= (MAX_EPOCH if "epoch" in name else MAX_COUNT):
            raise ValueError(f"{name} is not a count: {str(value)[:40]}")
        return value
    if hint in ("float", "float | None"):
        if value is None:
            return None if hint != "float" else 0.0
        number = _number(value, name)
        if abs(number) > MAX_FLOAT:
            raise ValueError(f"{name} is out of range")
        return number
    if hint == "str" or hint == "bool":
        if not isinstance(value, str if hint == "str" else bool):
            raise ValueError(f"{name} is not a {hint}")
        return value
    if hint.startswith("dict"):  # metrics: {name: number or None (NaN)}
        if not isinstance(value, dict):
            raise ValueError(f"{name} is not an object")
        return {k: (math.nan if v is None else _number(v, f"{name}.{k}")) for k, v in value.items()}
    if name == "probes":  # [[sentence, {class: probability}], ...]
        if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], dict) for p in value):
            raise ValueError("probes are not [sentence, {class: probability}] pairs")
        return [[p[0], {str(k): (math.nan if v is None else _number(v, "probe", finite=False)) for k, v in p[1].items()}] for p in value]
    return value


def _number(value: Any, name: str, finite: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} is not a number")  # noqa: TRY004  (as above)
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"{name} is too large") from None
    if finite and not math.isfinite(number):
        raise ValueError(f"{name} is not finite")
    return number


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


def format_metrics(metrics: dict[str, float]) -> str:
    """'loss 0.4123 accuracy 0.8100 val_loss 0.4500 val_accuracy 0.7900'."""
    return " ".join(f"{k} {v:.4f}" for k, v in metrics.items())


def describe(event: Event) -> str:
    """One human line per event (the headless `kerminal train` output and the run's log.txt):
    always one line, its control characters escaped (a message or a folder name may hold a
    newline or an ESC sequence)."""
    from engine.terminal_text import printable

    return printable(_describe(event))


def _describe(event: Event) -> str:
    if isinstance(event, Started):
        what = "continuing" if event.initial_epoch else "training"
        val = f", {event.validation_samples} validation" if event.validation_samples else ", no validation split"
        return (
            f"{what} to epoch {event.epochs}: {event.samples} samples{val}, "
            f"batch {event.batch_size}, {event.steps_per_epoch} steps per epoch"
            f"{'; ' + event.pipeline if event.pipeline else ''} -> {event.run_dir}"
        )
    if isinstance(event, BatchEnd):
        return f"epoch {event.epoch} step {event.step}/{event.steps} {format_metrics(event.metrics)}"
    if isinstance(event, EpochFromHistory):
        return f"epoch {event.epoch}/{event.epochs} {format_metrics(event.metrics)} (read from history.csv: its event was lost)"
    if isinstance(event, EpochEnd):
        best = " *best" if event.best else ""
        eta = f", {format_eta(event.eta_s)}" if event.epoch < event.epochs else ""
        return (
            f"epoch {event.epoch}/{event.epochs} {format_metrics(event.metrics)} "
            f"({format_duration(event.duration_s)}, {event.samples_per_s:.0f} samples/s{eta}){best}"
        )
    if isinstance(event, Steered):
        return f"{event.command}: {event.message}" if event.ok else f"{event.command} refused: {event.message}"
    if isinstance(event, Finished):
        return f"finished after {_epochs(event.epochs)}{': ' + event.message if event.message else ''}. Run saved in {event.run_dir}"
    if isinstance(event, Stopped):
        return f"stopped after {_epochs(event.epochs)}: {event.message} Run saved in {event.run_dir}"
    return f"failed: {event.message}"


def _epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"
