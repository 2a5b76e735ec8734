"""Plot widgets: training curves and a histogram, drawn with textual-plotext.

Each widget keeps its data and has `replot()` (clear, plot, refresh), as in textual-plotext's
weather example; a theme change replots too. They only ever run on the UI thread.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot


class CurvePlot(PlotextPlot):
    """One metric over epochs: training and validation, plus a smoothed trace of the current
    epoch's batches (x = epoch - 1 + step / steps)."""

    DEFAULT_CSS = """
    CurvePlot { height: 1fr; min-height: 6; }
    """

    def __init__(self, title: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.series: dict[str, list[float]] = {}
        self.trace_x: list[float] = []
        self.trace_y: list[float] = []

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
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_figure()
        plt.title(self.title)
        plt.xlabel("epoch")
        longest = max((len(v) for v in self.series.values()), default=0)
        for name, values in self.series.items():
            if values:
                xs = list(range(1, len(values) + 1))
                plt.plot(xs, values, label=name, marker="braille")
        if self.trace_x:
            plt.plot(self.trace_x, self.trace_y, label="batches", marker="dot")
        right = max([longest, *(self.trace_x or [0])])
        if right <= 1:
            plt.xlim(0, 1 if not longest else 2)
        self.refresh()


class Histogram(PlotextPlot):
    """A histogram of token lengths, with the chosen sequence length marked."""

    DEFAULT_CSS = """
    Histogram { height: 1fr; min-height: 6; }
    """

    def __init__(self, title: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.values: list[float] = []
        self.mark: float | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.replot())
        self.replot()

    def set_values(self, values: Sequence[float], mark: float | None = None) -> None:
        self.values, self.mark = list(values), mark
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_figure()
        plt.title(self.title)
        if self.values:
            low, high = min(self.values), max(self.values)
            whole = all(float(v).is_integer() for v in self.values[:1000])
            bins = int(high - low) + 1 if whole and high - low < 60 else 30  # one bar per length when few
            plt.hist(self.values, bins=max(bins, 1))
            if self.mark is not None:
                plt.vline(self.mark)
        self.refresh()
