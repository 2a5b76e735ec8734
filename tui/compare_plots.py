"""The compare view's plots: one metric, every drawn run's line in its colour and marker.

The lines come as points already drawn by engine.runs.curves' rule (x by epoch or training
time, smoothed or not); this widget only lays them out. A plot is built by plotext once per
size and content, not on every repaint: the compare view of ten runs repaints its plots
several times before its first frame (mount, layout, the tables filling), and a plotext
build is the dearest part of it. A theme change builds it again (the theme is in the key).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

Line = tuple[list[float], list[float], str, str]  # xs, ys, hex colour, marker


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


class CompareCurves(PlotextPlot):
    """One metric, every drawn run's values in its colour and marker, drawn in order (the
    last on top)."""

    DEFAULT_CSS = "CompareCurves { height: 11; }"

    def __init__(self, metric: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metric = metric
        self.heading = metric  # the metric and how it is drawn ("val_loss · EMA 0.6")
        self.x_label = "epoch"
        self.log_y = False
        self.lines: list[Line] = []
        self._version = 0  # bumped by replot: the built picture is kept until then
        self._built: tuple[tuple[Any, ...], Text] | None = None

    def on_unmount(self) -> None:
        # PlotextPlot subscribes to theme changes and never unsubscribes: the signal's
        # callback holds the widget, so every closed compare view's plots stayed alive.
        self.app.theme_changed_signal.unsubscribe(self)

    def show(self, lines: list[Line], title: str, x_label: str, log_y: bool) -> None:
        self.lines, self.heading, self.x_label, self.log_y = lines, title, x_label, log_y
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_figure()
        plt.title(self.heading)
        plt.xlabel(self.x_label)
        if self.log_y:
            plt.yscale("log")
        longest = 0.0
        for xs, ys, colour, marker in self.lines:
            if xs:
                plt.plot(xs, ys, marker=marker, color=rgb(colour))
                longest = max(longest, xs[-1])
        if self.x_label == "epoch" and longest > 1:  # whole epochs only, at most 6 ticks
            last = int(longest)
            step = max(1, -(-(last - 1) // 5))
            plt.xticks(list(range(1, last + 1, step)))
        self._version += 1
        self.refresh()

    def render(self) -> RenderResult:
        key = (self.size.width, self.size.height, self.app.theme, self.theme, self._version)
        if self._built is None or self._built[0] != key:
            built = super().render()
            assert isinstance(built, Text)
            self._built = (key, built)
        return self._built[1]
