"""The compare view (Runs: `c` with two or more runs marked): a Screen over the app.

What it shows of an engine.runs.Comparison: one plot per metric with every drawn run
overlaid (tui.compare_plots; x by epoch or training time `t`, smoothing `s`, log y `l`, by
engine.runs.curves' rule, `kerminal compare --plot`'s too), a legend (each run's colour and
marker, name and best epoch), a table of the runs (the raw best value and epoch of each
metric, training time; the cursor picks the run `p` pins on top), the settings that differ
(one column per run), the layer diff, the probe sentences scored by every run, and, for
exactly two runs, the examples they disagree on. The probes and the disagreements are thread
workers (they may load TensorFlow, the data and the models; the view answers keys meanwhile).

Speed: the first frame has the title, the legend, the plots and the runs table; the
settings, the layers, the probes and the disagreements are filled after it (ten runs'
settings table alone cost as much as the plots). The keys 1-5 close the view and show that
pane; Esc or q closes it.

At most MAX_DRAWN runs are drawn (the first marked, and the pinned one); the legend says
which when more are marked. Texts and styles: tui.compare_text.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar, Sequence

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Label, Static

from engine.runs import PALETTE, SMOOTHING, Comparison, CurveOptions, curve_points, curve_title, log_refusal, x_axis
from tui.bindings import APP_BINDINGS
from tui.compare_plots import CompareCurves
from tui.compare_text import NAME_MAX, NAME_WIDE, WIDE, colours_of, disagreement_text, layers_text, legend, metric_order, probe_notes, probe_row, short_names, style, value_text
from tui.plain import plain

if TYPE_CHECKING:  # pragma: no cover
    from engine.runs.compare import RunSide
    from engine.training import Disagreement, ProbeTable

MAX_DRAWN = len(PALETTE)  # more lines than colours in one plot cannot be told apart
EXAMPLES = 10  # the disagreeing texts shown

# The app's own pane keys (one declaration, tui.bindings), answered here: close, then show.
PANE_KEYS = [b for b in APP_BINDINGS if isinstance(b, Binding) and b.action.startswith("show_pane(")]

__all__ = ["MAX_DRAWN", "CompareCurves", "CompareScreen", "disagreement_text", "style"]


class CompareScreen(Screen[None]):
    """Two or more runs side by side (see the module's docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close"),
        Binding("p", "pin", "Pin on top", tooltip="Draw the selected run (the runs table's cursor) last, on top of the others; p again unpins."),
        Binding("t", "x_axis", "Epoch/time", tooltip="Draw the curves by epoch or by training time (each epoch's time added up, pauses left out)."),
        Binding("s", "smooth", "Smoothing", tooltip=f"Smooth the curves: off, then an exponential moving average of weight {', '.join(f'{w:g}' for w in SMOOTHING[1:])}; the table's best values stay raw."),
        Binding("l", "log_y", "Log y", tooltip="A log scale for y (refused when a value is 0 or below)."),
        *PANE_KEYS,
    ]
    DEFAULT_CSS = """
    CompareScreen #compare-title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    CompareScreen #compare-body { height: 1fr; padding: 0 1; scrollbar-gutter: stable; }
    CompareScreen #compare-plots { grid-size: 2; grid-gutter: 0 1; height: auto; grid-rows: 11; }
    CompareScreen .compare-head { margin-top: 1; text-style: bold; }
    CompareScreen #compare-below { height: auto; }
    CompareScreen DataTable { height: auto; max-height: 16; }
    """

    def __init__(self, comparison: Comparison, probes: Sequence[str] = ()) -> None:
        super().__init__()
        self.comparison = comparison
        self.probes = list(probes)  # the open experiment's probe sentences (the runs' own follow)
        self.pinned = ""  # run id drawn on top ("" none)
        self.options = CurveOptions()
        self.axis = x_axis([])
        self.disagreement: Disagreement | None = None
        self.probe_table: ProbeTable | None = None
        self.phase = ""  # what the disagreement worker is doing
        self.first_frame: float | None = None  # perf_counter() when the first frame was drawn
        self.ready = False  # everything below the first frame is made too

    # ---- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        c = self.comparison
        yield Static(plain(f"Comparing {len(c.runs)} runs · p pin · t time · s smooth · l log y · Esc closes"), id="compare-title")
        with VerticalScroll(id="compare-body"):
            yield Static("", id="compare-legend")
            with Grid(id="compare-plots"):
                for metric in metric_order(c.metrics()):
                    yield CompareCurves(metric, classes="compare-plot")
            yield Label("Runs: best value (epoch) of each metric, training time", classes="compare-head")
            yield DataTable(id="compare-runs", cursor_type="row", zebra_stripes=True)
            yield Vertical(id="compare-below")  # filled after the first frame

    def _below(self) -> list[Widget]:
        return [
            Label("Settings that differ", classes="compare-head"),
            DataTable(id="compare-settings", cursor_type="row", zebra_stripes=True),
            Label("Layers", classes="compare-head"),
            Static(layers_text(self.comparison), id="compare-layers"),
            Label("Probes", classes="compare-head"),
            Static("", id="compare-probes-note"),
            DataTable(id="compare-probes", cursor_type="row", zebra_stripes=True),
            Label("Disagreements", classes="compare-head"),
            Static("", id="compare-disagree"),
        ]

    def on_mount(self) -> None:
        colours = colours_of(self.app)
        for r in self.comparison.runs:
            colours.setdefault(r.id, len(colours))
        self._fill_runs()
        self._draw()
        self.query_one("#compare-runs", DataTable).focus(scroll_visible=False)  # the legend and plots stay in view
        self.call_after_refresh(self._after_first_frame)

    async def _after_first_frame(self) -> None:
        """What is below the fold: made once the plots and the runs table are on screen."""
        self.first_frame = time.perf_counter()
        await self.query_one("#compare-below", Vertical).mount_all(self._below())
        self._fill_settings()
        self._start_probes()
        self._start_disagreement()
        self.ready = True

    def style_of(self, run_id: str) -> tuple[str, str]:
        return style(colours_of(self.app).get(run_id, 0))

    def drawn(self) -> list[RunSide]:
        """The runs the plots draw, in drawing order: the first marked (MAX_DRAWN at most),
        the pinned one last (on top)."""
        runs = self.comparison.runs
        pinned = [r for r in runs if r.id == self.pinned]
        others = [r for r in runs if r.id != self.pinned][: MAX_DRAWN - len(pinned)]
        return others + pinned

    def name_width(self) -> int:
        """A run's name in the legend and the runs table: longer on a wide screen."""
        return NAME_WIDE if self.app.size.width >= WIDE else NAME_MAX

    def _draw(self) -> None:
        drawn = self.drawn()
        o = self.options
        self.axis = axis = x_axis(drawn, o.x)
        with self.app.batch_update():
            for plot in self.query(CompareCurves):
                lines = [(*curve_points(r, plot.metric, axis, o.smooth), *self.style_of(r.id)) for r in drawn]
                plot.show(lines, curve_title(plot.metric, o), axis.label, o.log_y)
            self.query_one("#compare-legend", Static).update(legend(drawn, self.comparison.runs, self.style_of, self.pinned, axis.note, self.name_width(), self.app.size.width - 4))

    def _fill_runs(self) -> None:
        table = self.query_one("#compare-runs", DataTable)
        metrics = metric_order(self.comparison.metrics())
        table.add_column("", key="mark", width=2)
        table.add_column("run", key="run")
        for m in metrics:
            table.add_column(m, key=m)
        table.add_column("time", key="time")
        names = short_names(self.comparison.runs, self.name_width())
        for r in self.comparison.runs:
            colour, marker = self.style_of(r.id)
            cells = [Text(f"{r.best[m].value:.4g} ({r.best[m].epoch})") if m in r.best else Text("–") for m in metrics]
            time_s = Text("–") if r.time_s is None else Text(f"{r.time_s:.1f} s" if r.time_s < 120 else f"{r.time_s / 60:.1f} min")
            table.add_row(Text(marker, style=f"bold {colour}"), Text(f"{names[r.id]} {r.id}"), *cells, time_s, key=r.id)

    def _fill_settings(self) -> None:
        table = self.query_one("#compare-settings", DataTable)
        runs = self.comparison.runs
        table.add_column("setting", key="path")
        for r in runs:
            table.add_column(Text(r.id[-12:], style=self.style_of(r.id)[0]), key=r.id)
        table.add_rows([Text(s.path), *[plain(value_text(v)) for v in s.values]] for s in self.comparison.settings)
        if not self.comparison.settings:
            table.add_row(Text("(every setting is the same)"), *[Text("") for _ in runs])

    # ---- keys ------------------------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss(None)

    def action_show_pane(self, pane_id: str) -> None:
        """1-5 (the app's keys): close the view, then show that pane."""
        app = self.app
        self.dismiss(None)
        app.call_later(app.run_action, f"show_pane({pane_id!r})")

    def action_pin(self) -> None:
        table = self.query_one("#compare-runs", DataTable)
        runs = self.comparison.runs
        run = runs[min(max(table.cursor_row, 0), len(runs) - 1)]
        self.pinned = "" if self.pinned == run.id else run.id
        self._draw()

    def action_x_axis(self) -> None:
        self.options = CurveOptions("time" if self.options.x == "epoch" else "epoch", self.options.smooth, self.options.log_y)
        self._draw()
        if self.axis.note:
            self.notify(self.axis.note, title="Compare", severity="warning")

    def action_smooth(self) -> None:
        weights = list(SMOOTHING)
        following = weights[(weights.index(self.options.smooth) + 1) % len(weights)] if self.options.smooth in weights else 0.0
        self.options = CurveOptions(self.options.x, following, self.options.log_y)
        self._draw()

    def action_log_y(self) -> None:
        if not self.options.log_y:
            refusal = log_refusal(self.drawn(), [p.metric for p in self.query(CompareCurves)])
            if refusal:
                self.notify(refusal, title="Log y", severity="warning")
                return
        self.options = CurveOptions(self.options.x, self.options.smooth, not self.options.log_y)
        self._draw()

    # ---- probes (a worker: loads each run's model unless its answers are cached) -------------
    def _start_probes(self) -> None:
        from engine.training import probe_sentences

        sentences = probe_sentences(self.comparison.runs, self.probes)
        note = self.query_one("#compare-probes-note", Static)
        if not sentences:
            note.update(plain("No probe sentences: neither the open experiment nor these runs have any (Train: b adds some).", style="dim"))
            self.query_one("#compare-probes", DataTable).display = False
            return
        note.update(plain(f"Scoring {len(sentences)} probe sentence(s) with {len(self.comparison.runs)} runs…", style="dim"))
        self._score_probes(self.comparison.runs, sentences)

    @work(thread=True, exclusive=True, exit_on_error=False, group="compare-probes", description="the probe sentences scored by every compared run")
    def _score_probes(self, runs: list[RunSide], sentences: list[str]) -> None:
        from engine.training import probe_table

        try:
            table = probe_table(runs, sentences, on_phase=lambda doing: self.app.call_from_thread(self._probe_progress, doing))
        except Exception as exc:  # shown in the section; the rest of the view stands
            self.app.call_from_thread(self._probe_progress, f"could not score them: {type(exc).__name__}: {exc}")
            return
        self.app.call_from_thread(self._probes_scored, table)

    def _probe_progress(self, doing: str) -> None:
        if self.probe_table is None and self.is_attached:
            self.query_one("#compare-probes-note", Static).update(plain(f"Probes: {doing}", style="dim"))

    def _probes_scored(self, table: ProbeTable) -> None:
        self.probe_table = table
        if not self.is_attached:
            return
        self.query_one("#compare-probes-note", Static).update(probe_notes(table))
        grid = self.query_one("#compare-probes", DataTable)
        grid.clear(columns=True)
        grid.add_column("probe", key="probe")
        for r in self.comparison.runs:
            grid.add_column(Text(r.id[-12:], style=self.style_of(r.id)[0]), key=r.id)
        grid.add_rows(probe_row(table, i) for i in range(len(table.sentences)))

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
