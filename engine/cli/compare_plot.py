"""`kerminal compare --plot FILE`: the runs' curves overlaid, one panel per metric.

plotext (the app's plotting library) saves only text and HTML, and the engine never imports
it, so an SVG is written here from the points, by hand; a .png needs matplotlib, used when
it is installed. One colour (engine.runs.compare.PALETTE: the app's compare view's too) and
one dash pattern per run (the dashes tell runs apart in grey print too), the same order in
every panel.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

from engine.errors import KerminalError
from engine.runs.compare import PALETTE

DASHES = ("", "6 3", "2 2", "8 3 2 3")
PANEL_W, PANEL_H, MARGIN = 420, 260, 48

Series = list[tuple[str, dict[str, list[float]]]]  # (run label, metric -> value per epoch)


def write_plot(file: str, runs: Series) -> Path:
    path = Path(file)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        from engine.experiment import atomic_write_text

        atomic_write_text(path, svg(runs))
        return path
    if suffix == ".png":
        return _png(path, runs)
    raise KerminalError(f"--plot {file}: kerminal writes .svg (or .png with matplotlib), not {suffix or 'a file without an extension'}.", "Name the file plot.svg.")


def _metrics(runs: Series) -> list[str]:
    return list(dict.fromkeys(m for _, h in runs for m in h))


def _style(i: int) -> tuple[str, str]:
    return PALETTE[i % len(PALETTE)], DASHES[(i // len(PALETTE) + i) % len(DASHES)]


def svg(runs: Series) -> str:
    """The curves as an SVG document: one panel per metric, two panels a row, a legend."""
    metrics = _metrics(runs)
    cols = 2 if len(metrics) > 1 else 1
    rows = max(1, math.ceil(len(metrics) / cols))
    legend_h = 18 * len(runs) + 12
    width, height = cols * PANEL_W, rows * PANEL_H + legend_h
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for k, metric in enumerate(metrics):
        x0, y0 = (k % cols) * PANEL_W, (k // cols) * PANEL_H
        out += _panel(metric, [(i, h.get(metric, [])) for i, (_, h) in enumerate(runs)], x0, y0)
    if not metrics:
        out.append(f'<text x="{MARGIN}" y="{PANEL_H // 2}">no run has a finished epoch</text>')
    top = rows * PANEL_H + 6
    for i, (label, _) in enumerate(runs):
        colour, dash = _style(i)
        y = top + 18 * i + 9
        out.append(f'<line x1="{MARGIN}" y1="{y}" x2="{MARGIN + 28}" y2="{y}" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>')
        out.append(f'<text x="{MARGIN + 36}" y="{y + 4}">{escape(label[:90])}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _panel(metric: str, lines: list[tuple[int, list[float]]], x0: int, y0: int) -> list[str]:
    points = [(e, v) for _, ys in lines for e, v in enumerate(ys, 1) if math.isfinite(v)]
    left, top, w, h = x0 + MARGIN, y0 + 24, PANEL_W - MARGIN - 16, PANEL_H - 24 - 32
    out = [f'<text x="{left}" y="{y0 + 16}" font-weight="bold">{escape(metric)}</text>',
           f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#999"/>']
    if not points:
        return out
    e_max = max(e for e, _ in points)
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5

    def sx(e: float) -> float:
        return left + (w * (e - 1) / (e_max - 1) if e_max > 1 else w / 2)

    def sy(v: float) -> float:
        return top + h - h * (v - lo) / (hi - lo)

    for v in (lo, hi):
        out.append(f'<text x="{left - 4}" y="{sy(v) + 4:.1f}" text-anchor="end">{v:.3g}</text>')
    out.append(f'<text x="{left}" y="{top + h + 14}">1</text><text x="{left + w}" y="{top + h + 14}" text-anchor="end">{e_max}</text>')
    out.append(f'<text x="{left + w / 2:.1f}" y="{top + h + 26}" text-anchor="middle">epoch</text>')
    for i, ys in lines:
        colour, dash = _style(i)
        pts = [(sx(e), sy(v)) for e, v in enumerate(ys, 1) if math.isfinite(v)]
        if len(pts) == 1:
            out.append(f'<circle cx="{pts[0][0]:.1f}" cy="{pts[0][1]:.1f}" r="3" fill="{colour}"/>')
        elif pts:
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            out.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>')
    return out


def _png(path: Path, runs: Series) -> Path:
    try:
        import matplotlib  # type: ignore[import-not-found,unused-ignore]  # optional: not a dependency

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise KerminalError(f"--plot {path}: a .png needs matplotlib, which is not installed.", "Install it (pip install matplotlib), or write an SVG: --plot plot.svg.") from None
    metrics = _metrics(runs) or ["(no epochs)"]
    cols = 2 if len(metrics) > 1 else 1
    rows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.2 * rows), squeeze=False)
    for k, metric in enumerate(metrics):
        ax = axes[k // cols][k % cols]
        for i, (label, h) in enumerate(runs):
            ys = h.get(metric, [])
            colour, dash = _style(i)
            ax.plot(range(1, len(ys) + 1), ys, color=colour, linestyle=(0, tuple(float(x) for x in dash.split())) if dash else "-", marker=".", label=label)
        ax.set_title(metric)
        ax.set_xlabel("epoch")
    axes[0][0].legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
