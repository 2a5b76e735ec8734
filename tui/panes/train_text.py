"""What the Train pane writes: its settings line (the followed run's own experiment, else
the open one's), its status line (what the followed run is doing, in the longest wording
that fits the room: at 80 columns the short ones, never a cut number), the log's line for
each event, and the probe sentences' scores."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from engine.runs import Event, Status
from tui.widgets.probbars import bars

if TYPE_CHECKING:  # pragma: no cover
    from engine import Experiment
    from engine.runs import Progress


def settings_text(exp: Experiment) -> str:
    """An experiment's training settings in one line: epochs, batch, validation, seed,
    monitor, early stopping, probes."""
    f = exp.fit
    es = f"early stop {f.early_stopping.patience}" + (" (restore best)" if f.early_stopping.restore_best else "") if f.early_stopping.patience else "no early stop"
    text = f"epochs {f.epochs} · batch {f.batch_size} · val {exp.data.split.validation:g} · seed {f.seed} · {f.monitor} · {es}"
    if exp.probes:
        text += f" · {len(exp.probes)} probe(s)"
    return text


def status_line(p: Progress, width: int = 1000) -> str:
    """The progress line: the longest wording that fits `width` columns (at 80 columns the
    short ones, never a cut number)."""
    variants = status_variants(p)
    return next((v for v in variants if len(v) <= width), variants[-1])


def status_variants(p: Progress) -> list[str]:
    from engine.runs import format_eta

    if p.status == Status.STARTING:
        doing = p.phase or "loading data, building the model"
        return [f"starting ({doing})…", f"starting: {doing}…", "starting…"]
    if p.status == Status.PAUSED:
        return [f"paused at epoch {p.epoch} step {p.step}/{p.steps} · space resumes", f"paused · ep {p.epoch} {p.step}/{p.steps} · space resumes", f"paused · ep {p.epoch} {p.step}/{p.steps}"]
    if p.status == Status.RUNNING:
        if not p.epoch:
            return [f"epoch {p.epochs + 1}/{p.target} · building the model…", f"ep {p.epochs + 1}/{p.target} · building…"]
        eta = format_eta(p.eta_s)
        rate = f"{p.samples_per_s:,.0f}" if p.samples_per_s else ""
        where, short = f"epoch {p.epoch}/{p.target} · step {p.step}/{p.steps}", f"ep {p.epoch}/{p.target} · {p.step}/{p.steps}"
        out = [f"{where} · {eta} · {rate} samples/s", f"{where} · {eta} · {rate}/s", f"{short} · {eta} · {rate}/s"] if rate else []
        eta_short = format_eta(p.eta_s, short=True)
        out += [f"{where} · {eta}", f"{short} · {eta_short}" + (f" · {rate}/s" if rate else ""), f"{short} · {eta_short}"]
        return out
    if p.status in (Status.FINISHED, Status.STOPPED):
        return [f"{p.status} after {p.epochs} epoch{'s' if p.epochs != 1 else ''} · m continues it"]
    if p.status == Status.FAILED:
        return ["failed: see the log"]
    if p.status == Status.NOT_RESPONDING:
        where = f"epoch {p.epoch} step {p.step}/{p.steps}"
        return [f"not responding at {where}: no heartbeat (stopped, or its machine paused) · x stops it when it wakes", f"not responding · ep {p.epoch} {p.step}/{p.steps} · no heartbeat", "not responding (no heartbeat)"]
    if p.status == Status.INTERRUPTED:
        n = f"{p.epochs} epoch{'s' if p.epochs != 1 else ''}"
        return [f"interrupted after {n}: its process is gone · m continues it", f"interrupted after {n} (process gone) · m continues", f"interrupted after {n} · m continues"]
    return [f"{p.status}: {p.message}"]


def describe(event: Event) -> str:
    """The log's line for a run event (engine.training, imported when first needed)."""
    from engine.training import describe

    return describe(event)


def probes_text(probes: list[tuple[str, dict[str, float]]] | None, epoch: int | None, pinned: list[str]) -> Text:
    """The probe sentences' scores after `epoch`, a bar per class; before any (None), the
    sentences `pinned` in the experiment."""
    if probes is None:
        if pinned:
            return Text("Probes (scored after each epoch):\n" + "\n".join(f"· {p}" for p in pinned), style="dim")
        return Text("No probe sentences: press b to pin some.", style="dim")
    text = Text(f"Probes after epoch {epoch}:\n", style="bold")
    for sentence, probabilities in probes:
        best = max(probabilities, key=lambda name: probabilities[name]) if probabilities else None
        text.append(f"{sentence[:60]}\n")
        text.append(bars(probabilities, 16, best))
        text.append("\n")
    return text
