"""What the compare view writes, apart from its plots: each run's style (colour and marker),
the legend, the layer diff, the disagreements, and the probes table's cells.

A run keeps its colour and marker for the whole session (`colours_of(app)`: given in the
order runs are first compared), from engine.runs.PALETTE, which `kerminal compare --plot`
uses too.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Sequence

from rich.text import Text
from textual.app import App

from engine import printable
from engine.runs import PALETTE, tell_apart
from tui.plain import plain

if TYPE_CHECKING:  # pragma: no cover
    from engine.runs import Comparison
    from engine.runs.compare import RunSide
    from engine.training import Disagreement, ProbeTable

# A marker per run besides its colour (terminals with few colours, colour-blind readers):
# with the palette's 8 colours, 8 markers tell 64 runs apart.
MARKERS = ("•", "+", "x", "o", "*", "#", "@", "%")
NAME_MAX = 28  # a run's name in the legend and the runs table at 80 columns
NAME_WIDE = 48  # ... from WIDE columns on
WIDE = 120
SENTENCE_MAX = 40  # characters of a probe sentence in its table

_COLOURS: weakref.WeakKeyDictionary[App[Any], dict[str, int]] = weakref.WeakKeyDictionary()


def colours_of(app: App[Any]) -> dict[str, int]:
    """The app's run id -> style index, kept for the session."""
    return _COLOURS.setdefault(app, {})


def style(index: int) -> tuple[str, str]:
    """(hex colour, marker) of style `index`: colours first, then the next marker."""
    return PALETTE[index % len(PALETTE)], MARKERS[(index // len(PALETTE) + index) % len(MARKERS)]


def metric_order(metrics: list[str]) -> list[str]:
    """loss, val_loss, then each other metric and its val_ twin."""
    bases = list(dict.fromkeys(m[4:] if m.startswith("val_") else m for m in metrics))
    bases.sort(key=lambda m: m != "loss")
    return [m for b in bases for m in (b, f"val_{b}") if m in metrics]


def best_epoch_metric(r: RunSide) -> str:
    return next((m for m in ("val_loss", "loss") if m in r.best), next(iter(r.best), ""))


def short(name: str, width: int = NAME_MAX) -> str:
    name = printable(name)
    return name if len(name) <= width else name[: width - 1] + "…"


def short_names(runs: Sequence[RunSide], width: int = NAME_MAX) -> dict[str, str]:
    """Run id -> its name cut to `width`, keeping what tells it from the others' (the parts
    of the name they all share go first: engine.runs.tell_apart)."""
    return dict(zip([r.id for r in runs], tell_apart([printable(r.name) for r in runs], width), strict=True))


def legend(drawn: Sequence[RunSide], every: Sequence[RunSide], style_of: Any, pinned: str, note: str = "", width: int = NAME_MAX, line: int = 0) -> Text:
    """Each drawn run's marker in its colour, name (cut to `width` among `every`'s), id and
    best epoch, a new line when the next would not fit `line` columns (0: no limit) rather
    than broken in two; the runs not drawn; `note` (why the x axis is not the one asked
    for) last."""
    names = short_names(every, width)
    text = Text()
    used = 0  # columns of the legend's current line
    for r in drawn:
        colour, marker = style_of(r.id)
        metric = best_epoch_metric(r)
        best = f"best epoch {r.best[metric].epoch} ({metric})" if metric else "no epochs"
        entry = Text()
        entry.append(f"{marker}━", style=f"bold {colour}")
        entry.append(f" {names.get(r.id) or short(r.name, width)} ", style="bold" if r.id == pinned else "")
        entry.append(f"{r.id} · {best}" + (" · pinned" if r.id == pinned else ""), style="dim" if r.id != pinned else "")
        if used and line and used + 3 + entry.cell_len > line:
            text.append("\n")
            used = 0
        elif used:
            text.append("   ")
            used += 3
        text.append_text(entry)
        used += entry.cell_len
    left = [r for r in every if r not in drawn]
    if left:
        ids = ", ".join(r.id for r in left[:6]) + (f" and {len(left) - 6} more" if len(left) > 6 else "")
        text.append(f"\nDrawn: {len(drawn)} of {len(every)} (the first marked; p pins another). Not drawn: {ids}.", style="yellow")
    if note:
        text.append("\n" + note, style="yellow")
    return text


def layers_text(c: Comparison) -> Text:
    text = Text()
    for note in c.notes:
        text.append(note + "\n", style="yellow")
    if not c.layers:
        text.append(f"The layers are the same as {c.runs[0].id}'s." if not any(r.problem for r in c.runs) else "No layer diff.")
        return text
    text.append(f"Against {c.runs[0].id}:\n", style="dim")
    for ch in c.layers:
        params = ""
        if ch.params_before is not None or ch.params_after is not None:
            params = f"  params {_count(ch.params_before)} → {_count(ch.params_after)}"
        what = {"added": f"+ {ch.after}", "removed": f"- {ch.before}", "changed": f"~ {ch.before} → {ch.after}"}[ch.kind]
        text.append(f"{ch.run}: ", style="bold")
        text.append(what + params + "\n", style={"added": "green", "removed": "red"}.get(ch.kind, ""))
    return text


def disagreement_text(d: Disagreement) -> Text:
    if d.reason:
        return plain(f"The examples cannot be compared: {d.reason}", style="yellow")
    text = Text()
    text.append(f"On {d.total} {d.split} examples: {d.a_only} right by {d.a} only, {d.b_only} right by {d.b} only.\n")
    if not d.examples:
        text.append("They answer every example alike." if not (d.a_only or d.b_only) else "")
        return text
    text.append("Most confident disagreements first:\n", style="dim")
    for e in d.examples:
        winner = d.a if e.right == "a" else d.b
        text.append(f"[{e.label}] ", style="bold")
        text.append(f"{d.a}: {e.a_label} {e.a_prob:.2f} · {d.b}: {e.b_label} {e.b_prob:.2f} · right: {winner}\n", style="dim")
        text.append("  " + " ".join(e.text.split())[:300] + "\n")
    return text


def probe_notes(table: ProbeTable) -> Text:
    """Above the probes table: the classes that differ, the runs that cannot answer."""
    lines = [table.classes_note] if table.classes_note else []
    lines += [f"{run} cannot answer: {why}" for run, why in table.problems.items()]
    if lines:
        return Text("\n", style="yellow").join(plain(line, style="yellow") for line in lines)
    return plain(f"{len(table.sentences)} probe sentence(s): each run's answer and its probability.", style="dim")


def probe_row(table: ProbeTable, i: int) -> list[Text]:
    """One sentence (shortened, on one line) and each run's answer to it."""
    cells = [plain(short(" ".join(table.sentences[i].split()), SENTENCE_MAX))]
    for run in table.runs:
        answers = table.answers.get(run)
        cells.append(plain(f"{answers[i].label} {answers[i].prob:.2f}") if answers else Text("–", style="dim"))
    return cells


def value_text(v: object) -> str:
    return "–" if v is None else str(v)


def _count(n: int | None) -> str:
    return "?" if n is None else f"{n:,}"
