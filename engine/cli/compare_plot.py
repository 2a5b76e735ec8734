"""`kerminal compare --plot FILE [--x time] [--smooth W] [--log-y]`: the runs' curves
overlaid, one panel per metric, drawn by engine.runs.curves' rule (the compare view's too:
x by epoch or training time, EMA smoothing named in each panel's title, log y).

plotext (the app's plotting library) saves only text and HTML, and the engine never imports
it, so an SVG is written here from the points, by hand; a .png needs matplotlib, used when
it is installed. One colour (engine.runs.compare.PALETTE: the app's compare view's too) and
one dash pattern per run (the dashes tell runs apart in grey print too), the same order in
every panel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from engine.errors import KerminalError
from engine.runs.compare import PALETTE
from engine.runs.curves import CurveOptions, XAxis, curve_points, curve_title, log_refusal, x_axis

if TYPE_CHECKING:  # pragma: no cover
    from engine.runs.compare import RunSide

DASHES = ("", "6 3", "2 2", "8 3 2 3")
PANEL_W, PANEL_H, MARGIN = 420, 260, 48
LABEL_MAX = 88  # a run's name in the legend (engine.runs.tell_apart cuts it, keeping what differs)

Line = tuple[list[float], list[float]]  # xs, ys: finite points as drawn


@dataclass
class Picture:
    """What the picture draws: one panel (title, a line per run) per metric."""

    labels: list[str]  # one per run, in order
    panels: list[tuple[str, list[Line]]] = field(default_factory=list)
    x_label: str = "epoch"
    log_y: bool = False


def picture(labels: list[str], runs: Sequence[RunSide], options: CurveOptions | None = None) -> tuple[Picture, XAxis]:
    """The runs' curves as `options` asks (KerminalError when log y cannot draw them), and
    the x axis used (its `note` says why time was asked for and epochs are drawn)."""
    options = options or CurveOptions()
    metrics = list(dict.fromkeys(m for r in runs for m in r.history))
    if options.log_y:
        refusal = log_refusal(runs, metrics)
        if refusal:
            raise KerminalError(f"--log-y: {refusal}", "Leave out --log-y for these runs.")
    axis = x_axis(runs, options.x)
    panels = [(curve_title(m, options), [curve_points(r, m, axis, options.smooth) for r in runs]) for m in metrics]
    return Picture(labels, panels, axis.label, options.log_y), axis


def write_plot(file: str, pic: Picture) -> Path:
    path = Path(file)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        from engine.experiment import atomic_write_text

        atomic_write_text(path, svg(pic))
        return path
    if suffix == ".png":
        return _png(path, pic)
    raise KerminalError(f"--plot {file}: kerminal writes .svg (or .png with matplotlib), not {suffix or 'a file without an extension'}.", "Name the file plot.svg.")


def _style(i: int) -> tuple[str, str]:
    return PALETTE[i % len(PALETTE)], DASHES[(i // len(PALETTE) + i) % len(DASHES)]


def svg(pic: Picture) -> str:
    """The curves as an SVG document: one panel per metric, two panels a row, a legend."""
    cols = 2 if len(pic.panels) > 1 else 1
    rows = max(1, math.ceil(len(pic.panels) / cols))
    legend_h = 18 * len(pic.labels) + 12
    width, height = cols * PANEL_W, rows * PANEL_H + legend_h
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for k, (title, lines) in enumerate(pic.panels):
        x0, y0 = (k % cols) * PANEL_W, (k // cols) * PANEL_H
        out += _panel(title, lines, x0, y0, pic.x_label, pic.log_y)
    if not pic.panels:
        out.append(f'<text x="{MARGIN}" y="{PANEL_H // 2}">no run has a finished epoch</text>')
    top = rows * PANEL_H + 6
    for i, label in enumerate(pic.labels):
        colour, dash = _style(i)
        y = top + 18 * i + 9
        out.append(f'<line x1="{MARGIN}" y1="{y}" x2="{MARGIN + 28}" y2="{y}" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>')
        out.append(f'<text x="{MARGIN + 36}" y="{y + 4}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _panel(title: str, lines: list[Line], x0: int, y0: int, x_label: str, log_y: bool) -> list[str]:
    points = [(x, y) for xs, ys in lines for x, y in zip(xs, ys, strict=True)]
    left, top, w, h = x0 + MARGIN, y0 + 24, PANEL_W - MARGIN - 16, PANEL_H - 24 - 32
    out = [f'<text x="{left}" y="{y0 + 16}" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#999"/>']
    if not points:
        return out
    fy = math.log10 if log_y else float  # log y: the values are all above 0 (picture() refused otherwise)
    x_lo, x_hi = min(x for x, _ in points), max(x for x, _ in points)
    lo, hi = min(fy(y) for _, y in points), max(fy(y) for _, y in points)
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5

    def sx(x: float) -> float:
        return left + (w * (x - x_lo) / (x_hi - x_lo) if x_hi > x_lo else w / 2)

    def sy(v: float) -> float:
        return top + h - h * (fy(v) - lo) / (hi - lo)

    for v in (lo, hi):
        shown = 10**v if log_y else v
        out.append(f'<text x="{left - 4}" y="{sy(shown) + 4:.1f}" text-anchor="end">{shown:.3g}</text>')
    out.append(f'<text x="{left}" y="{top + h + 14}">{x_lo:.3g}</text><text x="{left + w}" y="{top + h + 14}" text-anchor="end">{x_hi:.3g}</text>')
    out.append(f'<text x="{left + w / 2:.1f}" y="{top + h + 26}" text-anchor="middle">{escape(x_label)}</text>')
    for i, (xs, ys) in enumerate(lines):
        colour, dash = _style(i)
        pts = [(sx(x), sy(y)) for x, y in zip(xs, ys, strict=True)]
        if len(pts) == 1:
            out.append(f'<circle cx="{pts[0][0]:.1f}" cy="{pts[0][1]:.1f}" r="3" fill="{colour}"/>')
        elif pts:
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            out.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>')
    return out


def _png(path: Path, pic: Picture) -> Path:
    try:
        import matplotlib  # type: ignore[import-not-found,unused-ignore]  # optional: not a dependency

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise KerminalError(f"--plot {path}: a .png needs matplotlib, which is not installed.", "Install it (pip install matplotlib), or write an SVG: --plot plot.svg.") from None
    panels = pic.panels or [("(no epochs)", [])]
    cols = 2 if len(panels) > 1 else 1
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.2 * rows), squeeze=False)
    for k, (title, lines) in enumerate(panels):
        ax = axes[k // cols][k % cols]
        for i, ((xs, ys), label) in enumerate(zip(lines, pic.labels, strict=False)):
            colour, dash = _style(i)
            ax.plot(xs, ys, color=colour, linestyle=(0, tuple(float(x) for x in dash.split())) if dash else "-", marker=".", label=label)
        ax.set_title(title)
        ax.set_xlabel(pic.x_label)
        if pic.log_y:
            ax.set_yscale("log")
    axes[0][0].legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
