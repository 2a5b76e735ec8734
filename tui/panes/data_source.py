"""The Data source dialog (`o` in the Data pane): where the examples come from and how the
table is read. Its fields come from the settings' declarations (tui.forms); the column
pickers fill in from the table's header, read in a worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import work
from textual.binding import Binding
from textual.widgets import Select, Static

from engine import SETTINGS, Experiment
from tui.dialogs import Field, FilePicker, FormDialog
from tui.forms import AUTO, TRISTATE, apply_spec_form, form_problem, spec_fields

# "" lists files without an extension too (the UCI SMS file is `SMSSpamCollection`).
TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".jsonl", ".ndjson", ".json", ".parquet", ".pq", ".txt", "")
TABLE_FIELDS = ("format", "header", "quotes")
DATA_DIALOG = "data-source"  # the installed Data source dialog's screen name


# The Data source dialog's settings, in the file's order; each shows only for the sources
# it applies to, and one that does not apply to the chosen source is reset to its default.
DATA_PATHS = tuple(s.path for s in SETTINGS if s.path.startswith("data."))


def data_fields(exp: Experiment) -> list[Field]:
    """The Data source dialog's fields, with `exp`'s values."""
    return spec_fields(exp, DATA_PATHS)


class DataDialog(FormDialog):
    """The data source and its options; the column pickers fill in from the table's header,
    with the guessed text and label columns preselected."""

    BINDINGS = [*FormDialog.BINDINGS, Binding("ctrl+b", "browse", "Browse…")]

    def __init__(self, exp: Experiment) -> None:
        self.exp = exp
        fields = data_fields(exp)
        super().__init__("Data source", fields, note="Ctrl+B browses for the path", check=self._check)

    def on_mount(self) -> None:
        super().on_mount()
        self._columns_of_experiment()

    def load(self, exp: Experiment) -> None:
        """Show `exp`'s data settings in this dialog, built before (the Data pane keeps one
        installed, so `o` opens it at once); the columns are read again, in a worker."""
        self.exp = exp
        fields = data_fields(exp)
        # The pickers keep the columns they offer now (reload would put back the one
        # column the experiment names): when the form names the same unchanged file, they
        # are right as they are, and setting a Select's options restyles it, the most of
        # what opening the dialog cost.
        shown = {f.name: f for f in self.fields}
        for f in fields:
            if f.name in ("text", "label") and f.name in shown:
                f.choices, f.help = shown[f.name].choices, shown[f.name].help
        self.reload(fields)
        if self._columns_key is None or self._table_key() != self._columns_key:
            self._columns_of_experiment()

    _columns_path: Path | None = None  # the file whose columns the pickers offer
    _columns_key: Any = None  # _table_key() of the columns offered

    def _columns_of_experiment(self) -> None:
        self._columns_path = None
        self._columns_key = None
        for name in ("text", "label"):
            select = self.field_widget(name)
            select.set_options(self._column_options([self.exp.data.text if name == "text" else self.exp.data.label]))
            select.value = (self.exp.data.text if name == "text" else self.exp.data.label) or ""
        self._read_columns()

    @staticmethod
    def _column_options(columns: list[str | int], samples: dict[str | int, str] | None = None) -> list[tuple[str, str | int]]:
        """(guess), then each column: its name, or its position and a sample value."""
        samples = samples or {}
        return [("(guess)", ""), *[(f"{c}: {samples[c]}" if c in samples else str(c), c) for c in columns if c != ""]]

    def field_changed(self, name: str) -> None:
        if name in ("path", "source", *TABLE_FIELDS):
            self._read_columns()

    def _table_path(self) -> Path | None:
        source = self.field_widget("source").value
        raw = self.field_widget("path").value.strip()
        if source != "csv" or not raw:
            return None
        path = self.exp.resolve(raw)
        return path if path.is_file() else None  # any extension: the format is sniffed

    def _table_settings(self) -> tuple[str, bool | None, bool | None]:
        """data.format, data.header and data.quotes as the form has them now."""
        back = {v: k for k, v in TRISTATE.items()}
        fmt = self.field_widget("format").value
        return ("" if fmt in (AUTO, Select.BLANK) else fmt), back.get(self.field_widget("header").value), back.get(self.field_widget("quotes").value)

    def _table_key(self) -> tuple[Any, ...]:
        """The file the form names now, how it is read, and its size and age: the columns
        offered hold while it is the same."""
        path = self._table_path()
        try:
            stat = (path.stat().st_size, path.stat().st_mtime_ns) if path is not None else None
        except OSError:
            stat = None
        return (path, self._table_settings(), stat)

    def _read_columns(self) -> None:
        """Offer the columns of the file the form names now: another file (or none) first
        drops the old file's columns, then a worker reads the new ones."""
        key = self._table_key()
        if key == self._columns_key:
            return
        self._columns_key = key
        path = key[0]
        if path != self._columns_path and self._columns_path is not None:
            self._set_columns([], None, None)
        self._columns_path = path
        if path is not None:
            self._columns_worker(path, *key[1])

    @work(thread=True, exclusive=True, exit_on_error=False, group="columns")
    def _columns_worker(self, path: Path, fmt: str, header: bool | None, quotes: bool | None) -> None:
        from engine.data import guess_label_column, guess_text_column, positional, read_table

        try:
            frame, _notes = read_table(path, fmt, header, quotes)
        except Exception as exc:
            self.app.call_from_thread(self.notify, str(exc), title="Data", severity="warning")
            return
        text = guess_text_column(frame)
        label, _n = guess_label_column(frame, exclude=(text,) if text is not None else ())
        samples = {}
        if positional(frame):  # no header: show a value of each numbered column
            for c in frame.columns:
                values = frame[c].dropna()
                value = " ".join(str(values.iloc[0]).split()) if len(values) else ""
                samples[c] = value[:40] + "…" if len(value) > 40 else value
        self.app.call_from_thread(self._set_columns, list(frame.columns), text, label, samples)

    def _set_columns(self, columns: list[str | int], text: str | int | None, label: str | int | None, samples: dict[str | int, str] | None = None) -> None:
        for name, guess in (("text", text), ("label", label)):
            f = next(f for f in self.fields if f.name == name)
            select: Select = self.field_widget(name)
            if not columns:  # no file (yet): only (guess)
                select.set_options(self._column_options([]))
                select.value = ""
                f.choices = ("",)
                f.help = f.help.split(" [")[0]
                self.query_one(f"#field-{name}-box .field-help", Static).update(f.help)
                continue
            current = select.value if select.value in columns else (guess if guess is not None else "")
            select.set_options(self._column_options(columns, samples))
            select.value = current
            f = next(f for f in self.fields if f.name == name)
            f.choices = ("", *columns)
            f.help = f"{f.help.split(' [')[0]} [guessed: {'none' if guess is None else guess}]"
            self.query_one(f"#field-{name}-box .field-help", Static).update(f.help)

    def raw_value(self, f: Field) -> Any:
        value = super().raw_value(f)
        if f.kind == "choice" and f.name in ("text", "label"):
            return "" if value is Select.BLANK else value
        return value

    def _check(self, values: dict[str, Any]) -> str:
        source = values["source"]
        if source in ("csv", "per-class", "folder") and not values.get("path"):
            return f"The {source} source needs a path (Ctrl+B browses)."
        if source == "per-class" and not values.get("files"):
            return "per-class needs files: class=file pairs."
        return form_problem(self.exp, DATA_PATHS, values, reset=True)

    def action_browse(self) -> None:
        source = self.field_widget("source").value
        folders = source in ("folder", "per-class")
        raw = self.field_widget("path").value.strip()
        start = self.exp.resolve(raw) if raw else self.exp.base_dir

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.field_widget("path").value = str(path)

        self.app.push_screen(FilePicker("Choose the data " + ("folder" if folders else "file"), start, folders=folders, suffixes=() if folders else TABLE_SUFFIXES), chosen)

    @staticmethod
    def apply(exp: Experiment, values: dict[str, Any]) -> Experiment:
        return apply_spec_form(exp, DATA_PATHS, values, reset=True)
