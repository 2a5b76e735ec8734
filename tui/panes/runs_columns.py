"""The Runs table's cells and column widths: what fits a pane 80 columns wide (or half a
wide terminal), the run's name, data, preset, date and id cut with an ellipsis, never a
number; and a group's heading row (`g`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.runs import LIVE, Status, format_value
from tui.plain import printable

if TYPE_CHECKING:  # pragma: no cover
    from engine.runs import Group, RunInfo, Summary

# The Runs table's columns: the mark, the ones always whole (status, epochs, best), and the
# text columns, cut with an ellipsis to what is left, in the order they are given room: the
# run's name (what tells runs apart: the user's or one derived from its experiment), the
# settings that differ among the runs shown (`extra`), then data, preset, date and the id
# (which the detail line under the table always shows whole).
MARK = "mark"
MARK_SIGN = "✓"
GROUP_SIGN = "▾"
WHOLE = ("status", "epochs", "best")
TEXT = ("name", "data", "preset", "date", "id")
TEXT_MIN = {"name": 14, "data": 8, "preset": 8, "date": 16, "id": 14}
GROW = ("name", "data", "preset", "date", "id")  # who gets what is left, in this order
DATA_WANT = 24
SETTING_MAX = 12  # a differing setting's column at most (a layer's type is cut)


def column_widths(headers: dict[str, str], rows: list[dict[str, str]], width: int, extra: tuple[str, ...] = ()) -> dict[str, int]:
    """{column: width} in display order for a table `width` columns wide: the mark, status,
    epochs and best at their full width; the name, the `extra` columns (settings that
    differ), data, preset, date and id share what is left (each cut, never below its
    minimum; from the id back, those that do not fit go)."""
    natural = {k: max([len(headers[k]), *(len(r[k]) for r in rows)]) for k in headers}
    natural["status"] = max(natural["status"], len(Status.INTERRUPTED))  # a live row's status may grow
    room = width - 2  # the vertical scrollbar
    whole = {k: natural[k] for k in (MARK, *WHOLE)}
    room -= sum(w + 2 for w in whole.values())  # each cell has a column of padding either side
    # What each text column needs: its minimum, and the data summary whole up to DATA_WANT
    # (it tells runs apart); from the id back, columns go when that does not fit.
    minimum = {**TEXT_MIN, **{k: min(natural[k], SETTING_MAX) for k in extra}}
    text = ["name", *extra, "data", "preset", "date", "id"]
    need = {k: min(natural[k], DATA_WANT if k == "data" else minimum[k]) for k in text}
    while len(text) > 1 and sum(need[k] + 2 for k in text) > room:
        text.pop()
    room -= 2 * len(text)
    given = {k: min(natural[k], minimum[k]) for k in text}
    left = room - sum(given.values())
    # Runs on different data: their data summaries whole (up to DATA_WANT) before the names
    # grow (at 80 columns the names took it all and left "folder …"); then the rest in order.
    wants = [("data", DATA_WANT)] if len({r["data"] for r in rows}) > 1 else []
    for k, cap in [*wants, *((k, natural[k]) for k in GROW)]:
        if k in given and left > 0:
            grow = max(min(cap, natural[k]) - given[k], 0)
            grow = min(grow, left)
            given[k] += grow
            left -= grow
    order = [MARK, "name", "status", "epochs", "best", *extra, "data", "preset", "date", "id"]
    merged = {**whole, **given}
    return {k: max(merged[k], 1) for k in order if k in merged}


# What the data column already says of a run ("csv SMSSpamCollection"): not a column again.
SHOWN_BY_DATA = ("data.source", "data.path", "data.name", "data.files")


def setting_columns(paths: list[str]) -> tuple[str, ...]:
    """The differing settings that get columns of their own."""
    return tuple(p for p in paths if p not in SHOWN_BY_DATA)


def setting_header(path: str) -> str:
    """A differing setting's column header: its last name ("learning_rate"), a layer's
    parameter with its position ("L2 units")."""
    parts = path.split(".")
    if parts[0] == "layers" and len(parts) == 3:
        return f"L{parts[1]} {parts[2]}"
    return parts[-1]


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def damage_reason(r: RunInfo) -> str:
    """A damaged run's reason without its folder's path (the row names the run)."""
    return r.message.removeprefix(f"{r.path}/").removeprefix(f"{r.path}")


def epochs_cell(r: RunInfo) -> str:
    """Epochs done, and of how many while the run is live ("7/20")."""
    return f"{r.epochs}/{r.target}" if r.status in LIVE and r.target else str(r.epochs)


def table_cells(shown: list[Summary], extra: tuple[str, ...], marked: set[str], one: str, before: dict[str, dict[str, str]] | None = None) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The headers and each row's cells (printable, uncut) of the Runs table: `extra` are the
    settings that differ, `one` the monitor every run shares ("" when they differ). Reads no
    file (it runs on the UI thread): a run whose experiment is not read yet keeps its cells
    of `before` (the last rows shown, by run id; "…" when new) until the worker has read it."""
    rows = []
    for summary in shown:
        r = summary.info
        read = summary.experiment_read
        best = "" if r.best_value is None else f"{'' if one else r.monitor + ' '}{r.best_value:.4f} (ep {r.best_epoch})"
        data = damage_reason(r) if r.status == Status.DAMAGED else f"? {summary.why}" if extra and read and summary.why else r.data  # an unreadable run says why in the row
        cells = {MARK: MARK_SIGN if r.id in marked else "", "name": r.name or r.id, "status": r.status, "epochs": epochs_cell(r), "best": best, "data": data, "preset": r.preset, "date": r.created.replace("T", " ")[:16], "id": r.id}
        if read:
            cells.update({path: "?" if summary.experiment is None else format_value(summary.value(path)) for path in extra})
        else:
            kept = (before or {}).get(r.id, {})
            cells.update({path: kept.get(path, "…") for path in extra})
            cells["data"] = kept.get("data", cells["data"])
        rows.append({key: printable(value) for key, value in cells.items()})  # widths of what is shown
    headers = {MARK: MARK_SIGN, "name": "name", "status": "status", "epochs": "epochs", "best": f"best {one}".strip(), "data": "data", "preset": "preset", "date": "date", "id": "run"}
    headers.update({path: setting_header(path) for path in extra})
    return headers, rows


def group_cells(group: Group, path: str, widths: dict[str, int], metric: str, one: str) -> dict[str, str]:
    """A group's heading row, cut to `widths`: its value in the name column (with the
    setting's short name when that fits), the number of runs under status, the group's best
    `metric` under best (named unless it is the column's `one` monitor)."""
    name = f"{GROUP_SIGN} {setting_header(path)} = {group.text}"
    if len(name) > widths.get("name", 0):
        name = f"{GROUP_SIGN} {group.text}"
    best = group.best(metric) if metric else None
    count = len(group.runs)
    cells = {"name": name, "status": f"{count} run{'s' if count != 1 else ''}", "best": "" if best is None else f"{'' if metric == one else metric + ' '}{best[0]:.4f}"}
    return {key: cut(printable(cells.get(key, "")), width) for key, width in widths.items()}
