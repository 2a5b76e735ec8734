"""The compare view (Runs: `c` with two or more runs marked): a Screen over the app.

What it shows of an engine.runs.Comparison: one plot per metric with every drawn run
overlaid, a legend (each run's colour and marker, name and best epoch), a table of the runs
(best value and epoch of each metric, training time; the cursor picks the run `p` pins on
top), the settings that differ (one column per run), the layer diff, and, for exactly two
runs, the examples they disagree on (engine.training.disagreement, in a thread worker: it
may load TensorFlow, the data and both models; the view answers keys meanwhile).

A run keeps its colour and marker for the whole session (`colours_of(app)`: given in the
order runs are first compared), from engine.runs.PALETTE, which `kerminal compare --plot`
uses too. At most MAX_DRAWN runs are drawn (the first marked, and the pinned one); the
legend says which when more are marked.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static
from textual_plotext import PlotextPlot

from engine import printable
from engine.runs import PALETTE, Comparison
from tui.plain import plain

if TYPE_CHECKING:  # pragma: no cover
    from engine.runs.compare import RunSide
    from engine.training import Disagreement

# A marker per run besides its colour (terminals with few colours, colour-blind readers):
# with the palette's 8 colours, 8 markers tell 64 runs apart.
MARKERS = ("•", "+", "x", "o", "*", "#", "@", "%")
MAX_DRAWN = len(PALETTE)  # more lines than colours in one plot cannot be told apart
EXAMPLES = 10  # the disagreeing texts shown
NAME_MAX = 28

_COLOURS: weakref.WeakKeyDictionary[App[Any], dict[str, int]] = weakref.WeakKeyDictionary()


def colours_of(app: App[Any]) -> dict[str, int]:
    """The app's run id -> style index, kept for the session."""
    return _COLOURS.setdefault(app, {})


def style(index: int) -> tuple[str, str]:
    """(hex colour, marker) of style `index`: colours first, then the next marker."""
    return PALETTE[index % len(PALETTE)], MARKERS[(index // len(PALETTE) + index) % len(MARKERS)]


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def metric_order(metrics: list[str]) -> list[str]:
    """loss, val_loss, then each other metric and its val_ twin."""
    bases = list(dict.fromkeys(m[4:] if m.startswith("val_") else m for m in metrics))
    bases.sort(key=lambda m: m != "loss")
    return [m for b in bases for m in (b, f"val_{b}") if m in metrics]


def best_epoch_metric(r: RunSide) -> str:
    return next((m for m in ("val_loss", "loss") if m in r.best), next(iter(r.best), ""))


def short(name: str) -> str:
    name = printable(name)
    return name if len(name) <= NAME_MAX else name[: NAME_MAX - 1] + "…"


class CompareCurves(PlotextPlot):
    """One metric, every drawn run's values by epoch in its colour and marker."""

    DEFAULT_CSS = "CompareCurves { height: 11; }"

    def __init__(self, metric: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metric = metric
        self.lines: list[tuple[list[float], str, str]] = []  # (values, hex colour, marker), drawn in order

    def on_mount(self) -> None:
        super().on_mount()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.replot())
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_figure()
        plt.title(self.metric)
        longest = 0
        for values, colour, marker in self.lines:
            xs = [e for e, v in enumerate(values, 1) if v == v]  # NaN epochs left out
            ys = [v for v in values if v == v]
            if xs:
                plt.plot(xs, ys, marker=marker, color=rgb(colour))
                longest = max(longest, xs[-1])
        if longest > 1:
            step = max(1, -(-(longest - 1) // 5))
            plt.xticks(list(range(1, longest + 1, step)))
        self.refresh()


class CompareScreen(Screen[None]):
    """Two or more runs side by side (see the module's docstring)."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("p", "pin", "Pin on top", tooltip="Draw the selected run (the runs table's cursor) last, on top of the others; p again unpins."),
    ]
    DEFAULT_CSS = """
    CompareScreen #compare-title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    CompareScreen #compare-body { height: 1fr; padding: 0 1; }
    CompareScreen #compare-plots { grid-size: 2; grid-gutter: 0 1; height: auto; grid-rows: 11; }
    CompareScreen .compare-head { margin-top: 1; text-style: bold; }
    CompareScreen DataTable { height: auto; max-height: 16; }
    """

    def __init__(self, comparison: Comparison) -> None:
        super().__init__()
        self.comparison = comparison
        self.pinned = ""  # run id drawn on top ("" none)
        self.disagreement: Disagreement | None = None
        self.phase = ""  # what the disagreement worker is doing

    # ---- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        c = self.comparison
        yield Static(plain(f"Comparing {len(c.runs)} runs · ↑/↓ selects a run, p pins it on top · Esc closes"), id="compare-title")
        with VerticalScroll(id="compare-body"):
            yield Static("", id="compare-legend")
            with Grid(id="compare-plots"):
                for metric in metric_order(c.metrics()):
                    yield CompareCurves(metric, classes="compare-plot")
            yield Label("Runs: best value (epoch) of each metric, training time", classes="compare-head")
            yield DataTable(id="compare-runs", cursor_type="row", zebra_stripes=True)
            yield Label("Settings that differ", classes="compare-head")
            yield DataTable(id="compare-settings", cursor_type="row", zebra_stripes=True)
            yield Label("Layers", classes="compare-head")
            yield Static("", id="compare-layers")
            yield Label("Disagreements", classes="compare-head")
            yield Static("", id="compare-disagree")

    def on_mount(self) -> None:
        colours = colours_of(self.app)
        for r in self.comparison.runs:
            colours.setdefault(r.id, len(colours))
        self._fill_runs()
        self._fill_settings()
        self.query_one("#compare-layers", Static).update(self._layers_text())
        self._draw()
        self.query_one("#compare-runs", DataTable).focus(scroll_visible=False)  # the legend and plots stay in view
        self._start_disagreement()

    def style_of(self, run_id: str) -> tuple[str, str]:
        return style(colours_of(self.app).get(run_id, 0))

    def drawn(self) -> list[RunSide]:
        """The runs the plots draw, in drawing order: the first marked (MAX_DRAWN at most),
        the pinned one last (on top)."""
        runs = self.comparison.runs
        pinned = [r for r in runs if r.id == self.pinned]
        others = [r for r in runs if r.id != self.pinned][: MAX_DRAWN - len(pinned)]
        return others + pinned

    def _draw(self) -> None:
        drawn = self.drawn()
        for plot in self.query(CompareCurves):
            plot.lines = [(r.history.get(plot.metric, []), *self.style_of(r.id)) for r in drawn]
            plot.replot()
        self.query_one("#compare-legend", Static).update(self._legend(drawn))

    def _legend(self, drawn: list[RunSide]) -> Text:
        text = Text()
        for r in drawn:
            colour, marker = self.style_of(r.id)
            metric = best_epoch_metric(r)
            best = f"best epoch {r.best[metric].epoch} ({metric})" if metric else "no epochs"
            if text:
                text.append("   ")
            text.append(f"{marker}━", style=f"bold {colour}")
            text.append(f" {short(r.name)} ", style="bold" if r.id == self.pinned else "")
            text.append(f"{r.id} · {best}" + (" · pinned" if r.id == self.pinned else ""), style="dim" if r.id != self.pinned else "")
        left = [r for r in self.comparison.runs if r not in drawn]
        if left:
            ids = ", ".join(r.id for r in left[:6]) + (f" and {len(left) - 6} more" if len(left) > 6 else "")
            text.append(f"\nDrawn: {len(drawn)} of {len(self.comparison.runs)} (the first marked; p pins another). Not drawn: {ids}.", style="yellow")
        return text

    def _fill_runs(self) -> None:
        table = self.query_one("#compare-runs", DataTable)
        metrics = metric_order(self.comparison.metrics())
        table.add_column("", key="mark", width=2)
        table.add_column("run", key="run")
        for m in metrics:
            table.add_column(m, key=m)
        table.add_column("time", key="time")
        for r in self.comparison.runs:
            colour, marker = self.style_of(r.id)
            cells = [Text(f"{r.best[m].value:.4g} ({r.best[m].epoch})") if m in r.best else Text("–") for m in metrics]
            time = Text("–") if r.time_s is None else Text(f"{r.time_s:.1f} s" if r.time_s < 120 else f"{r.time_s / 60:.1f} min")
            table.add_row(Text(marker, style=f"bold {colour}"), Text(f"{short(r.name)} {r.id}"), *cells, time, key=r.id)

    def _fill_settings(self) -> None:
        table = self.query_one("#compare-settings", DataTable)
        runs = self.comparison.runs
        table.add_column("setting", key="path")
        for r in runs:
            table.add_column(Text(r.id[-12:], style=self.style_of(r.id)[0]), key=r.id)
        for s in self.comparison.settings:
            table.add_row(Text(s.path), *[plain(_value(v)) for v in s.values])
        if not self.comparison.settings:
            table.add_row(Text("(every setting is the same)"), *[Text("") for _ in runs])

    def _layers_text(self) -> Text:
        c = self.comparison
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

    # ---- keys ------------------------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss(None)

    def action_pin(self) -> None:
        table = self.query_one("#compare-runs", DataTable)
        runs = self.comparison.runs
        run = runs[min(max(table.cursor_row, 0), len(runs) - 1)]
        self.pinned = "" if self.pinned == run.id else run.id
        self._draw()

    # ---- disagreements (a worker: may load TensorFlow, the data and both models) -----------
    def _start_disagreement(self) -> None:
        box = self.query_one("#compare-disagree", Static)
        if len(self.comparison.runs) != 2:
            box.update(plain(f"Mark exactly two runs to see the examples they disagree on ({len(self.comparison.runs)} are compared)."))
            return
        box.update(plain("Comparing the two runs' answers on the validation examples…"))
        self._disagree(self.comparison.runs[0], self.comparison.runs[1])

    @work(thread=True, exclusive=True, exit_on_error=False, group="compare-disagree", description="the examples two runs disagree on")
    def _disagree(self, a: RunSide, b: RunSide) -> None:
        from engine.training import disagreement

        try:
            result = disagreement(a, b, EXAMPLES, on_phase=lambda doing: self.app.call_from_thread(self._progress, doing))
        except Exception as exc:  # a model that breaks predicting: said in the section, the rest stands
            self.app.call_from_thread(self._disagree_failed, f"{type(exc).__name__}: {exc}")
            return
        self.app.call_from_thread(self._disagreed, result)

    def _progress(self, doing: str) -> None:
        self.phase = doing
        if self.disagreement is None and self.is_attached:
            self.query_one("#compare-disagree", Static).update(plain(f"Comparing the two runs' answers… {doing}", style="dim"))

    def _disagree_failed(self, message: str) -> None:
        if self.is_attached:
            self.query_one("#compare-disagree", Static).update(plain(f"Could not compare the examples: {message}", style="red"))

    def _disagreed(self, result: Disagreement) -> None:
        self.disagreement = result
        if self.is_attached:
            self.query_one("#compare-disagree", Static).update(disagreement_text(result))


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


def _value(v: object) -> str:
    return "–" if v is None else str(v)


def _count(n: int | None) -> str:
    return "?" if n is None else f"{n:,}"
