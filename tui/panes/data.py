"""The Data pane: where the examples come from, and what they look like to the model.

Shows the source and its options (changed in a form: `o`), a preview table, rows per class,
token-length percentiles with a histogram, the out-of-vocabulary rate at the chosen
vocabulary size, and the vectorizer's view of one example (tokens -> ids -> padding; for
n-grams, its n-grams and their weights), which needs TensorFlow and so appears once it has
loaded. The source and vectorizer dialogs' fields come from the settings' declarations.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from engine import SETTINGS, Dataset, Experiment, Setting
from tui.dialogs import Field, FilePicker, push_form
from tui.errors import error_text
from tui.forms import apply_spec_form, form_problem, spec_fields
from tui.messages import VectorizerView
from tui.panes.base import Pane
from tui.panes.data_source import DATA_DIALOG, TABLE_SUFFIXES, DataDialog
from tui.widgets.curves import Histogram

PREVIEW_ROWS = 12
_LENGTH: Setting = next(s for s in SETTINGS if s.path == "vectorize.length")


def ngram_lines(weights: list[float], vocab: list[str], mode: str, shown: int = 12, ratios: list[float] | None = None, classes: Sequence[str] = ()) -> list[str]:
    """An n-gram vectorizer's view of one text: its n-grams with their weights, heaviest
    first, out of a vector as wide as the vocabulary ("[UNK]" is every unknown n-gram). For
    nb (`ratios`, one per vocabulary entry; `classes`, the two) the weights are the ratios:
    the text's n-grams strongest either way first, then the vocabulary's most positive and
    most negative n-grams."""
    def cell(i: int, w: list[float]) -> str:
        return f"{vocab[i] if i < len(vocab) else '?'} {w[i]:.3g}"

    key = (lambda i: -abs(weights[i])) if ratios is not None else (lambda i: -weights[i])
    present = sorted((i for i, w in enumerate(weights) if w), key=key)
    lines = [
        f"n-grams ({len(present)} of {len(weights):,}, {mode}): " + " · ".join(cell(i, weights) for i in present[:shown]) + (" …" if len(present) > shown else ""),
        f"one vector of {len(weights):,} weights per text (no ids, no padding)",
    ]
    if ratios is not None and len(classes) == 2:
        order = sorted((i for i, r in enumerate(ratios) if r), key=lambda i: -ratios[i])
        few = max(1, shown // 2)
        lines.append(
            f"nb ratios, most {classes[1]!r}: " + " · ".join(cell(i, ratios) for i in order[:few])
            + f"; most {classes[0]!r}: " + " · ".join(cell(i, ratios) for i in order[::-1][:few])
        )
    return lines


def token_lengths(texts: list[str], chars: bool, limit: int = 5000) -> list[int]:
    """Lengths of (at most `limit`) texts in whitespace tokens, or in characters."""
    sample = texts[:limit]
    return [len(t) for t in sample] if chars else [len(t.split()) for t in sample]


def _stat(stats: Any, name: str, default: Any = None) -> Any:
    if stats is None:
        return default
    if isinstance(stats, dict):
        return stats.get(name, default)
    return getattr(stats, name, default)


# The vectorizer dialog's settings, in order; each shows only for the kinds it applies to.
VECTORIZE_PATHS = tuple(p for p in (s.path for s in SETTINGS) if p.startswith("vectorize."))


def vectorize_fields(exp: Experiment) -> list[Field]:
    return spec_fields(exp, VECTORIZE_PATHS)


class DataPane(Pane):
    DEFAULT_FOCUS = "#data-preview"
    BINDINGS = [
        Binding("o", "source", "Source…", tooltip="Choose the data source and its options."),
        Binding("b", "browse", "Browse…", tooltip="Pick the data file or folder in a file picker."),
        Binding("v", "vectorizer", "Vectorizer…", tooltip="Kind (words, chars, n-grams), vocabulary size, length and padding, n-gram size and weights."),
        Binding("n", "next_example", "Next example", tooltip="Show the vectorizer's view of the next example."),
        Binding("r", "reload", "Reload", tooltip="Load the data again."),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.example_index = 0
        self.lengths: list[int] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="data-summary", classes="summary")
        with VerticalScroll(id="data-body", classes="pane-body"):
            yield DataTable(id="data-preview", cursor_type="row", zebra_stripes=True)
            with Vertical(id="data-side"):
                with Horizontal(id="data-stats-row"):
                    yield Static("", id="data-stats")
                    yield Histogram("example lengths", id="data-hist")
                yield Static("", id="data-vectorizer")

    def on_mount(self) -> None:
        table = self.query_one("#data-preview", DataTable)
        table.add_columns("label", "text")
        self.experiment_changed()

    # ---- hooks ---------------------------------------------------------------------------
    def experiment_changed(self) -> None:
        exp = self.host.experiment
        d, v = exp.data, exp.vectorize
        bits = [f"[b]{d.source}[/b]"]
        if d.path:
            bits.append(d.path)
        if d.name:
            bits.append(d.name)
        if d.text or d.label:
            bits.append(f"text={d.text or '(guess)'} label={d.label or '(guess)'}")
        if d.files:
            bits.append(", ".join(f"{k}={p}" for k, p in d.files.items()))
        if d.clean:
            bits.append("clean " + "+".join(d.clean))
        bits.append(f"split val {d.split.validation:g} test {d.split.test:g} seed {d.split.seed}")
        if d.limit:
            bits.append(f"limit {d.limit}")
        if v.kind == "ngrams":  # a bag of n-grams: no length, no padding
            vec = f"ngrams up to {v.ngrams}, {v.output_mode}, vocabulary {v.max_tokens}"
        else:
            vec = f"{v.kind}, length {v.length}, {v.padding}-pad" + (f", vocabulary {v.max_tokens}" if v.kind == "words" else "")
        self.query_one("#data-summary", Static).update(f"Source: {' · '.join(bits)}\nVectorizer: {vec}")

    def dataset_changed(self) -> None:
        host = self.host
        ds = host.dataset
        stats_box = self.query_one("#data-stats", Static)
        table = self.query_one("#data-preview", DataTable)
        if host.data_loading:
            stats_box.update(f"Loading {host.experiment.data.source}…")
            return
        if host.data_error:
            table.clear()
            stats_box.update(Text.assemble(("Could not load the data\n", "bold red"), (host.data_error, "red"), "\n\nPress o to change the source."))
            self.query_one("#data-vectorizer", Static).update("")
            self.query_one(Histogram).set_values([])
            return
        if ds is None:
            return
        rows = [(ds.class_names[int(label)], " ".join(text.split())[:200]) for text, label in zip(ds.train.texts[:PREVIEW_ROWS], ds.train.labels[:PREVIEW_ROWS], strict=True)]
        # Widths given, not measured: a DataTable measures new rows when it next idles, and on
        # a busy machine its columns were seen left at the headers' width ("posit", "An i").
        table.clear(columns=True)
        table.add_column("label", width=max([len("label"), *(cell_len(c) for c, _ in rows)]))
        table.add_column("text", width=max([len("text"), *(cell_len(t) for _, t in rows)]))
        for row in rows:
            table.add_row(*row)
        stats_box.update(self._stats_renderable(ds))
        chars = host.experiment.vectorize.kind == "chars" or ds.symbols
        self.lengths = token_lengths(ds.train.texts, chars)
        self.query_one(Histogram).set_values(self.lengths, mark=host.experiment.vectorize.length, unit="characters" if chars else "words")
        self.example_index = 0
        self.show_vectorizer()

    def tensorflow_ready(self) -> None:
        self.show_vectorizer()

    # ---- rendering -----------------------------------------------------------------------
    def _stats_renderable(self, ds: Dataset) -> Table:
        host = self.host
        stats = host.stats
        splits = [name for name, split in ds.splits().items() if len(split)]
        table = Table(title=f"{ds.name}: {ds.num_classes} classes ({ds.task})", title_justify="left", expand=False, box=None, padding=(0, 1))
        table.add_column("class")
        for name in splits:
            table.add_column(name, justify="right")
        rows = _stat(stats, "rows") or {}
        for i, cls in enumerate(ds.class_names):
            cells = []
            for name in splits:
                value = (rows.get(name) or {}).get(cls)
                if value is None:
                    value = int((ds.splits()[name].labels == i).sum())
                cells.append(f"{value:,}")
            table.add_row(cls, *cells)
        table.add_row("[b]total[/b]", *[f"[b]{len(ds.splits()[n]):,}[/b]" for n in splits])
        grid = Table.grid(padding=(0, 1))
        grid.add_row(table)
        lines = Text()
        if stats is not None:
            v = host.experiment.vectorize
            lines.append(f"{stats.unit}/example: p50 {stats.length_p50:,} · p90 {stats.length_p90:,}\n  p99 {stats.length_p99:,} · max {stats.length_max:,}\n")
            # Short lines: at 80 columns this column is 38 wide, and a wrapped line pushed
            # the out-of-vocabulary rate below the fold.
            if _LENGTH.applies(host.experiment.data.source, v.kind):  # n-grams have no length
                lines.append(f"length {v.length:,} cuts {stats.truncated_rate:.1%} of examples\n")
            lines.append(f"vocabulary: {stats.vocab_size:,} distinct {stats.unit}")
            if stats.unit == "words":
                val = f" (val {stats.oov_rate_validation:.1%})" if stats.oov_rate_validation is not None else ""
                lines.append(f"\nOOV at max_tokens {stats.max_tokens:,}: {stats.oov_rate:.1%}{val}")
        for note in list(ds.notes) + [n for n in (_stat(stats, 'notes') or []) if n not in ds.notes]:
            lines.append(f"\nnote: {note}", style="dim")
        grid.add_row(lines)
        return grid

    def show_vectorizer(self) -> None:
        box = self.query_one("#data-vectorizer", Static)
        host = self.host
        if host.dataset is None or not len(host.dataset.train):
            box.update("")
            return
        if host.tf_state != "ready":
            box.update("[dim]The vectorizer's view of an example appears when TensorFlow is ready.[/dim]")
            return
        box.update("[dim]Vectorizing an example…[/dim]")
        index = self.example_index % len(host.dataset.train)
        self._vectorize(host.experiment.copy(), host.dataset, index, host.data_generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="vectorize", description="vectorize one example")
    def _vectorize(self, exp: Experiment, ds: Any, index: int, generation: int) -> None:
        from engine.layers import make_vectorizer, uses_nb

        text = ds.train.texts[index]
        try:
            layers = make_vectorizer(exp.vectorize, ds.train.texts, labels=ds.train.labels, classes=ds.class_names)
            import numpy as np

            x = np.asarray([[text]], dtype=object)
            out = layers[0](x)
            raw = np.asarray(out).reshape(-1)
            ratios = None
            if uses_nb(exp.vectorize):  # presence times each n-gram's ratio
                raw = np.asarray(layers[-1](layers[1](out))).reshape(-1)  # ToVector, then NBScale (the model's own steps)
                ratios = [float(r) for r in layers[-1].ratio]
            # words and chars: ids, then padded to the length (n-grams: weights, no padding)
            padded = np.asarray(layers[1](out)).reshape(-1).tolist() if len(layers) > 1 and exp.vectorize.kind != "ngrams" else raw.tolist()
            vocab = layers[0].get_vocabulary()
        except Exception as exc:
            self.post_message(VectorizerView(generation, error=error_text(exc)))
            return
        head = f"example {index + 1} ({ds.class_names[int(ds.train.labels[index])]}): {' '.join(text.split())[:160]}"
        v = exp.vectorize
        if v.kind == "ngrams":  # one vector of weights per text, no ids, no padding
            self.post_message(VectorizerView(generation, [head, *ngram_lines(raw.tolist(), vocab, v.output_mode, ratios=ratios, classes=ds.class_names)]))
            return
        ids = [int(i) for i in raw]
        shown = 24
        tokens = [vocab[i] if 0 <= i < len(vocab) else "?" for i in ids if i != 0]
        lines = [
            head,
            f"tokens ({len(tokens)}): " + " ".join(tokens[:shown]) + (" …" if len(tokens) > shown else ""),
            "ids: " + " ".join(map(str, ids[:shown])) + (" …" if len(ids) > shown else ""),
        ]
        first = " ".join(str(int(i)) for i in padded[:12])
        tail = " ".join(str(int(i)) for i in padded[-12:])
        lines.append(f"{v.padding}-padded to {v.length}: {first}" + (f" … {tail}" if len(padded) > 24 else (" " + " ".join(str(int(i)) for i in padded[12:]) if len(padded) > 12 else "")))
        if v.kind == "chars":
            lines.append(f"then one-hot over {len(vocab) - 2} symbols: shape ({v.length}, {len(vocab) - 2})")
        self.post_message(VectorizerView(generation, lines))

    def on_vectorizer_view(self, message: VectorizerView) -> None:
        if message.generation != self.host.data_generation:
            return
        box = self.query_one("#data-vectorizer", Static)
        if message.error:
            box.update(Text(f"Vectorizer: {message.error}", style="red"))
        else:
            box.update(Text("\n".join(message.lines)))

    # ---- actions -------------------------------------------------------------------------
    def action_source(self) -> None:
        """The Data source dialog: built the first time, then kept (installed) and refilled,
        so that `o` shows it at once; its file reads happen in a worker once it is up."""
        def done(values: dict[str, Any] | None) -> None:
            if values is not None:
                self.host.set_experiment(DataDialog.apply(self.host.experiment, values), "change the data source")

        exp = self.host.experiment
        if self.app.is_screen_installed(DATA_DIALOG):
            dialog = self.app.get_screen(DATA_DIALOG)
            assert isinstance(dialog, DataDialog)
            dialog.load(exp)
        else:
            self.app.install_screen(DataDialog(exp), DATA_DIALOG)
        self.app.push_screen(DATA_DIALOG, done)

    def action_browse(self) -> None:
        exp = self.host.experiment
        folders = exp.data.source in ("folder", "per-class")
        start = exp.resolve(exp.data.path) if exp.data.path else exp.base_dir

        def chosen(path: Path | None) -> None:
            if path is None:
                return
            new = exp.copy()
            new.data.path = str(path)
            if new.data.source not in ("csv", "per-class", "folder"):
                new.data.source = "folder" if path.is_dir() else "csv"
            if new.data.source == "csv":
                new.data.text = new.data.label = ""
            self.host.set_experiment(new, f"data path {path.name}")

        self.app.push_screen(FilePicker("Choose the data file or folder", start, folders=folders, suffixes=() if folders else TABLE_SUFFIXES), chosen)

    def action_vectorizer(self) -> None:
        exp = self.host.experiment

        def done(values: dict[str, Any] | None) -> None:
            if values is not None:
                self.host.set_experiment(apply_spec_form(exp, VECTORIZE_PATHS, values), "change the vectorizer")

        push_form(self.app, "vectorizer", "Vectorizer", vectorize_fields(exp), done, check=lambda values: form_problem(exp, VECTORIZE_PATHS, values))

    def action_next_example(self) -> None:
        self.example_index += 1
        self.show_vectorizer()

    def action_reload(self) -> None:
        self.host.reload_data()
