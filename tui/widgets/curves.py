"""Plot widgets: training curves and a histogram, drawn with textual-plotext.

Each widget keeps its data and has `replot()` (clear, plot, refresh), as in textual-plotext's
weather example; a theme change replots too. They only ever run on the UI thread.

`CurvePlot` is redrawn live while a model trains, so it is frugal with the terminal: it
builds the plot's text at once in `replot()`, compares it line by line with what is on the
screen and refreshes only the lines that changed (Textual then writes only those). With
`live=True` its axes move in steps, so adding a few batch points to the trace changes a few
lines, not the whole plot: x ends at a round number of epochs (5, 6, 8, 10, 12, 15, 20,
...; at most `epochs`) and y has rounded bounds that only grow until `clear()`.

The legend is never drawn over the data: `CurvePlot`'s first line is a caption of its own
(the metric, then each series' name after a mark in its colour), plotext's title, legend
and x label are off, and the canvas takes every other line of the widget.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual_plotext import PlotextPlot

# Each series' colour (the first three of textual-plotext's default sequence, as before)
# and the mark that stands for it in the caption.
SERIES = {
    "train": ((0, 130, 200), "━"),
    "validation": ((60, 180, 75), "━"),
    "batches": ((230, 25, 75), "•"),
}
LR_COLOUR = (245, 130, 48)  # plotext's "orange": the learning-rate changes' vertical lines
SHORT = {"validation": "val", "batches": "batch", "lr change": "lr"}


def split_metrics(names: list[str]) -> tuple[list[str], list[str]]:
    """What the two plots show of a run's metrics: (loss keys, other-metric keys), training
    before validation: ['loss','val_loss'], ['accuracy','val_accuracy']."""
    loss = [n for n in names if n in ("loss", "val_loss")]
    other = [n for n in names if n not in loss and not n.startswith("val_")]
    first = other[:1]
    return loss, [*first, *(f"val_{m}" for m in first if f"val_{m}" in names)]


class CurvePlot(PlotextPlot):
    """One metric over epochs: training and validation, plus a smoothed trace of the current
    epoch's batches (x = epoch - 1 + step / steps), and vertical lines at `marks` (the
    learning-rate changes of a run). Line 0 is the caption (`caption()`), the rest the plot."""

    DEFAULT_CSS = """
    CurvePlot { height: 1fr; min-height: 6; }
    """

    def __init__(self, title: str, *, live: bool = False, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.live = live
        self.series: dict[str, list[float]] = {}
        self.trace_x: list[float] = []
        self.trace_y: list[float] = []
        self.epochs: int | None = None  # live: the run's last epoch, where the x axis may end
        self.marks: list[float] = []  # x positions (epochs) of learning-rate changes: vertical lines
        self._ylim: tuple[float, float] | None = None  # live: the y bounds so far (they only grow)
        self._lines: list[str] = []  # the plot's text as last drawn, one ANSI string per line
        self._key: tuple[int, int, str] | None = None  # (width, height, plotext theme) of _lines
        self._strips: dict[tuple[str, Any, int], Strip] = {}  # (ANSI line, base style, width) -> strip
        self._legend: list[str] = []  # the series drawn, in order: the caption names them
        self._caption = Text()  # line 0 as last built

    def on_mount(self) -> None:
        super().on_mount()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.replot())
        self.replot()

    def set_series(self, series: dict[str, Sequence[float]]) -> None:
        self.series = {name: list(values) for name, values in series.items()}

    def set_trace(self, xs: Sequence[float], ys: Sequence[float]) -> None:
        self.trace_x, self.trace_y = list(xs), list(ys)

    def clear(self) -> None:
        self.series, self.trace_x, self.trace_y = {}, [], []
        self._ylim = None
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_figure()  # no title, legend or x label: the caption line says what is drawn
        legend = []
        longest = max((len(v) for v in self.series.values()), default=0)
        for name, values in self.series.items():
            if values:
                xs = list(range(1, len(values) + 1))
                plt.plot(xs, values, marker="braille", color=SERIES.get(name, SERIES["train"])[0])
                legend.append(name)
        if self.trace_x:
            plt.plot(self.trace_x, self.trace_y, marker="dot", color=SERIES["batches"][0])
            legend.append("batches")
        if longest or self.trace_x:
            for x in self.marks:  # a learning-rate change (the log says to what)
                plt.vline(x, LR_COLOUR)
            if self.marks:
                legend.append("lr change")
        self._legend = legend
        right = max([longest, *(self.trace_x or [0])])
        if right <= 1:
            plt.xlim(0, 1 if not longest else 2)
        else:
            low = 1 if longest else 0
            high = _round_epochs(math.ceil(right), self.epochs) if self.live else math.ceil(right)
            step = max(1, math.ceil((high - low) / 5))
            plt.xticks(list(range(low, high + 1, step)))  # whole epochs, not 2.2, 3.5, ...
        if self.live and right > 1:
            plt.xlim(low, high)
            self._ylim = _grow_limits(self._ylim, [*(v for values in self.series.values() for v in values), *self.trace_y])
            if self._ylim is not None:
                plt.ylim(*self._ylim)
        self._redraw()

    def caption(self, width: int) -> Text:
        """The plot's first line: the metric, "by epoch" (the x axis) when there is room, and
        each series drawn after a mark in its colour, shortened to fit `width` less a column
        ("val" for "validation", the later series dropped) and cut only as a last resort."""
        def line(by_epoch: bool, names: list[str], short: bool, gap: str) -> Text:
            text = Text()
            text.append(self.title, style="bold")
            if by_epoch:
                text.append(" by epoch")
            for name in names:
                colour, mark = SERIES.get(name, (LR_COLOUR, "│"))
                text.append(gap)
                text.append(mark, style=f"rgb({colour[0]},{colour[1]},{colour[2]})")
                text.append(" " + (SHORT.get(name, name) if short else name))
            return text

        names = self._legend
        variants = [line(True, names, False, "  "), line(False, names, False, "  "), line(False, names, True, " ")]
        variants += [line(False, names[:n], True, " ") for n in range(len(names) - 1, -1, -1)]
        text = next((v for v in variants if v.cell_len < width), variants[-1])  # a column spare: captions side by side stay apart
        text.truncate(width, overflow="ellipsis")
        return text

    def _build(self) -> tuple[tuple[int, int, str], list[str]]:
        """The caption and the plot's lines at the widget's size and theme (the plot is what
        `PlotextPlot.render` draws, one line shorter)."""
        width, height = self.size
        theme = self._get_plotext_theme_name(self.app.theme)
        self._plot.plotsize(width, max(height - 1, 1))
        self._plot._set_size(width, max(height - 1, 1))
        self._plot.theme(theme)
        self._caption = self.caption(width)
        # Line 0 is the caption's markup (compared like the plot's lines; drawn from _caption)
        return (width, height, theme), [self._caption.markup, *self._plot.build().split("\n")]

    def _redraw(self) -> None:
        """Rebuild the text now and refresh only the lines that differ from the last drawing."""
        width, height = self.size
        if not self.is_mounted or not width or not height or not self.is_on_screen:
            self._key = None  # hidden (another pane, tab or F6 layout): built when next drawn
            self.refresh()
            return
        old_key, old = self._key, self._lines
        self._key, self._lines = self._build()
        if old_key != self._key or len(old) != len(self._lines):
            self.refresh()
            return
        changed = [Region(0, y, width, 1) for y, (a, b) in enumerate(zip(old, self._lines, strict=True)) if a != b]
        if changed:
            self.refresh(*changed)

    def render_line(self, y: int) -> Strip:
        """One line of the plot (Textual's line API): only the lines a refresh names are
        turned from ANSI text into segments, and an unchanged line reuses its strip."""
        width, height = self.size
        if self._key != (width, height, self._get_plotext_theme_name(self.app.theme)):
            self._key, self._lines = self._build()
        line = self._lines[y] if y < len(self._lines) else ""
        base = self.visual_style.rich_style  # the theme's colours under plotext's own
        strip = self._strips.get((line, base, width))
        if strip is None:
            text = self._caption if y == 0 else Text.from_ansi(line, end="")
            segments = text.render(self.app.console)
            strip = Strip(segments).extend_cell_length(width).apply_style(base).crop(0, width)
            if len(self._strips) > 4 * max(height, 1):  # keep the lines of the last few drawings
                self._strips.clear()
            self._strips[line, base, width] = strip
        return strip


def _round_epochs(epoch: int, last: int | None) -> int:
    """The x axis' end for a run at `epoch`: the next of 5, 6, 8, 10, 12, 15, 20, 25, 30, 40,
    50, 60, 80, 100, ... that is not below it, but not past the run's `last` epoch."""
    epoch = max(epoch, min(5, last) if last else 5)  # at least 5 epochs wide, unless the run is shorter
    scale = 1
    while True:
        for mantissa in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8):
            end = math.ceil(mantissa * scale)
            if end >= epoch:
                return max(epoch, min(end, last)) if last else end
        scale *= 10


def _grow_limits(current: tuple[float, float] | None, values: Sequence[float]) -> tuple[float, float] | None:
    """Live y limits: `current` while it holds every finite value; else grown past the values
    by half a span (so the next few values fit too), kept within [0, 1] on the sides where the
    values are, and rounded outwards to a step of about a twentieth of the new span. None when
    nothing is finite."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return current
    low, high = min(finite), max(finite)
    if current is not None and current[0] <= low and high <= current[1]:
        return current
    span = max(high - low, 0.05 * max(abs(low), abs(high)), 1e-6)
    if current is not None:
        span = max(span, current[1] - current[0])
    new_low = low - span / 2 if current is None or low < current[0] else current[0]
    new_high = high + span / 2 if current is None or high > current[1] else current[1]
    if low >= 0:
        new_low = max(new_low, 0.0)
    if high <= 1:
        new_high = min(new_high, 1.0)
    step = 10 ** math.floor(math.log10((new_high - new_low) / 2))
    new_low, new_high = math.floor(new_low / step) * step, math.ceil(new_high / step) * step
    return round(new_low, 10), round(max(new_high, new_low + step), 10)


class Histogram(PlotextPlot):
    """Example lengths as vertical bars over a length axis (x: tokens per example, y: how
    many examples), with the chosen sequence length marked by a vertical line and named in
    the axis label."""

    DEFAULT_CSS = """
    Histogram { height: 1fr; min-height: 6; }
    """

    def __init__(self, title: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.values: list[float] = []
        self.mark: float | None = None
        self.unit = "tokens"

    def on_mount(self) -> None:
        super().on_mount()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.replot())
        self.replot()

    def set_values(self, values: Sequence[float], mark: float | None = None, unit: str = "tokens") -> None:
        self.values, self.mark, self.unit = list(values), mark, unit
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_figure()
        plt.title(self.title)
        if self.values:
            xs, counts, width = length_bins(self.values)
            plt.bar(xs, counts, width=width, marker="sd")
            high = max(max(self.values), self.mark or 0)
            if self.mark is not None:
                plt.vline(self.mark, "red")
            plt.xlim(0, high * 1.04 + 1)
            plt.xticks(_ticks(high))
            plt.xlabel(f"{self.unit} per example" + (f" · red: length {self.mark:g}" if self.mark is not None else ""))
        self.refresh()


def length_bins(values: Sequence[float], most: int = 30) -> tuple[list[float], list[int], float]:
    """(bar centres, counts, bar width): one bar per length when the lengths are whole and
    span fewer than `most`, else `most` equal bins."""
    low, high = min(values), max(values)
    whole = all(float(v).is_integer() for v in values[:1000])
    if whole and high - low < most:
        counts: dict[int, int] = {}
        for v in values:
            counts[int(v)] = counts.get(int(v), 0) + 1
        xs = list(range(int(low), int(high) + 1))
        return [float(x) for x in xs], [counts.get(x, 0) for x in xs], 0.8
    step = (high - low) / most or 1.0
    bins = [0] * most
    for v in values:
        bins[min(int((v - low) / step), most - 1)] += 1
    return [low + (i + 0.5) * step for i in range(most)], bins, step * 0.9


def _ticks(high: float) -> list[float]:  # whole numbers (plotext's stubs ask for floats)
    """About five round ticks from 0 to past `high`."""
    raw = max(high / 4, 1)
    scale = 10 ** math.floor(math.log10(raw))
    step = next(m * scale for m in (1, 2, 2.5, 5, 10) if m * scale >= raw)
    step = max(int(step), 1)
    return list(range(0, int(high) + step, step))
