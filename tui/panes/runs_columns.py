"""The Runs table's cells and column widths: what fits a pane 80 columns wide (or half a
wide terminal), the run id, data, preset and date cut with an ellipsis, never a number."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.runs import LIVE, Status

if TYPE_CHECKING:  # pragma: no cover
    from engine.runs import RunInfo

# The Runs table's columns: the ones always whole (status, epochs, best), and the text
# columns, cut with an ellipsis to what is left, in the order they are given room.
WHOLE = ("status", "epochs", "best")
TEXT = ("id", "data", "preset", "date")
TEXT_MIN = {"id": 14, "data": 8, "preset": 8, "date": 16}
DATA_WANT = 24


def column_widths(headers: dict[str, str], rows: list[dict[str, str]], width: int) -> dict[str, int]:
    """{column: width} in display order for a table `width` columns wide: status, epochs and
    best at their full width; the run id, data, preset and date share what is left (each cut,
    never below its minimum; the date, then the preset, then the data go when even that does
    not fit)."""
    natural = {k: max([len(headers[k]), *(len(r[k]) for r in rows)]) for k in headers}
    natural["status"] = max(natural["status"], len(Status.INTERRUPTED))  # a live row's status may grow
    room = width - 2  # the vertical scrollbar
    whole = {k: natural[k] for k in WHOLE}
    room -= sum(w + 2 for w in whole.values())  # each cell has a column of padding either side
    # What each text column needs: its minimum, and the data summary whole up to DATA_WANT
    # (it tells runs apart); the date goes first, then the preset, when that does not fit.
    need = {k: min(natural[k], DATA_WANT if k == "data" else TEXT_MIN[k]) for k in TEXT}
    text = list(TEXT)
    while len(text) > 1 and sum(need[k] + 2 for k in text) > room:
        text.pop()
    room -= 2 * len(text)
    given = {k: min(natural[k], TEXT_MIN[k]) for k in text}
    left = room - sum(given.values())
    for k in ("data", "id", "preset", "date"):  # what is left, in this order
        if k in given and left > 0:
            grow = min(natural[k] - given[k], left)
            given[k] += grow
            left -= grow
    order = ["id", "status", "epochs", "best", "data", "preset", "date"]
    merged = {**whole, **given}
    return {k: max(merged[k], 1) for k in order if k in merged}


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def damage_reason(r: RunInfo) -> str:
    """A damaged run's reason without its folder's path (the row names the run)."""
    return r.message.removeprefix(f"{r.path}/").removeprefix(f"{r.path}")


def epochs_cell(r: RunInfo) -> str:
    """Epochs done, and of how many while the run is live ("7/20")."""
    return f"{r.epochs}/{r.target}" if r.status in LIVE and r.target else str(r.epochs)
