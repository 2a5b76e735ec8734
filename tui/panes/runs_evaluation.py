"""The Runs pane's evaluation view: a run's confusion matrix, its per-class precision and
recall, and the examples it misclassified most confidently (fits 80 columns)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from tui.plain import plain

if TYPE_CHECKING:  # pragma: no cover
    from engine.training import Evaluation


def evaluation_renderable(evaluation: Evaluation) -> Table:
    """Confusion matrix, per-class table and the most confidently misclassified examples."""
    names = list(evaluation.class_names)
    grid = Table.grid(padding=(0, 0))
    grid.add_row(Text(f"{evaluation.split} split: {evaluation.samples} examples · loss {evaluation.loss:.4f} · accuracy {evaluation.accuracy:.4f} · macro F1 {evaluation.macro_f1:.4f} · c: curves", style="bold"))
    # Many or long class names: the columns are numbered (the rows say which number is
    # which class), so 20 classes fit 80 columns.
    numbered = len(names) > 4 or any(len(n) > 8 for n in names)
    width = max((len(str(v)) for row in evaluation.confusion for v in row), default=1)
    cm = Table(title="confusion (rows: true, columns: predicted" + (", by number)" if numbered else ")"), title_justify="left", box=None, padding=(0, 1) if width > 2 or not numbered else (0, 0, 0, 1))
    cm.add_column("true\\pred")  # a header of its own: a blank one lost its width on screen
    for i, n in enumerate(names, 1):
        cm.add_column(str(i) if numbered else plain(n[:12]), justify="right")
    for i, (n, row) in enumerate(zip(names, evaluation.confusion, strict=True), 1):
        cm.add_row(plain(f"{i:>2} {n[:9]}" if numbered else n[:12]), *[str(v) for v in row])
    parts = [cm]
    pc = Table(title="per class", title_justify="left", box=None, padding=(0, 1))
    for col in ("class", "precision", "recall", "f1", "support"):
        pc.add_column(col, justify="left" if col == "class" else "right")
    for i, (n, m) in enumerate(evaluation.per_class.items(), 1):
        pc.add_row(plain(f"{i:>2} {n[:24]}" if numbered else n[:16]), f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", f"{int(m['support'])}")
    parts.append(pc)
    if len(names) <= 4:  # both narrow: side by side, so the view fits 80x24
        pair = Table.grid(padding=(0, 2))
        pair.add_row(*parts)
        grid.add_row(pair)
    else:
        for part in parts:
            grid.add_row(part)
    wrong = Table(title="most confidently misclassified", title_justify="left", box=None, padding=(0, 1))
    for col in ("p", "true", "predicted", "text"):
        wrong.add_column(col)
    for w in evaluation.misclassified[:8]:
        wrong.add_row(f"{w.confidence:.3f}", plain(w.true[:12]), plain(w.predicted[:12]), plain(" ".join(w.text.split())[:70]))
    grid.add_row(wrong)
    return grid
