"""The Layers pane: the layer stack as a table, validated (without TensorFlow) on every edit.

Keys add, insert, delete, move, duplicate and edit layers (the edit form shows every
parameter with its default, range or choices and help, and refuses bad values in place), load
a preset, and change the compile settings. Every edit goes through `host.set_experiment`, so
undo/redo (Ctrl+Z / Ctrl+Y) sees it.
"""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static

from engine import Experiment, LayerSpec
from engine.layers import layer_info, layer_types
from tui.dialogs import ChoiceDialog, ConfirmDialog, Field, FormDialog
from tui.forms import apply_spec_form, form_problem, spec_fields
from tui.panes.base import Pane
from tui.panes.layer_editor import LayerEditor


def _shape(shape: Any) -> str:
    if isinstance(shape, (tuple, list)):
        return "(" + ", ".join("None" if s is None else str(s) for s in shape) + ")"
    return str(shape) if shape is not None else "?"


def _cut(text: str, width: int) -> str:
    """`text` in `width` columns: whole, else cut after its last whole ", "-separated part
    that fits (then "…"), else cut mid-word with "…"."""
    if len(text) <= width:
        return text
    head = text[: width - 1]
    comma = head.rfind(", ")
    if comma >= width // 3:
        return head[: comma + 1] + " …" if comma + 3 <= width else head[:comma] + "…"
    return head + "…"


COMPILE_PATHS = ("compile.optimizer", "compile.learning_rate", "compile.loss", "compile.metrics")


def compile_fields(exp: Experiment) -> list[Field]:
    return spec_fields(exp, COMPILE_PATHS)


# The two ways to load a preset (a ConfirmDialog's choices; Escape cancels).
PRESET_PARTS = [("whole", "Whole preset"), ("model", "Layers and training only"), ("cancel", "Cancel")]


class LayersPane(Pane):
    DEFAULT_FOCUS = "#layers-table"
    BINDINGS = [
        Binding("a", "add", "Add", tooltip="Add a layer after the selected one."),
        Binding("i", "insert", "Insert", tooltip="Insert a layer before the selected one."),
        Binding("e", "edit", "Edit", tooltip="Edit the selected layer's parameters (Enter too)."),
        Binding("d", "delete", "Delete", tooltip="Delete the selected layer."),
        Binding("c", "duplicate", "Duplicate", tooltip="Duplicate the selected layer."),
        Binding("shift+up", "move(-1)", "Move up", key_display="⇧↑", tooltip="Move the selected layer up."),
        Binding("shift+down", "move(1)", "Move down", key_display="⇧↓", tooltip="Move the selected layer down."),
        Binding("p", "preset", "Preset…", tooltip="Load a preset: the whole experiment, or its layers and training only (your data settings stay)."),
        Binding("o", "compile", "Optimizer…", tooltip="Compile settings: optimizer, learning rate, loss, metrics."),
        Binding("w", "sweep", "Sweep…", tooltip="Search the experiment's settings with a sweep: each trial is a run (Runs: g, sweep, groups them)."),
    ]

    _report: Any = None

    def compose(self) -> ComposeResult:
        yield Static("", id="layers-summary", classes="summary")
        with Horizontal(id="layers-body", classes="pane-body"):
            yield DataTable(id="layers-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="layers-side"):
                yield Static("", id="layers-help")
                yield Static("", id="layers-messages")

    def on_mount(self) -> None:
        table = self.query_one("#layers-table", DataTable)
        table.add_column("#", key="n")
        table.add_column("layer", key="layer")
        table.add_column("settings", key="settings")
        table.add_column("output", key="output")
        table.add_column("params", key="params")
        table.add_column("", key="status")
        self.experiment_changed()

    def on_resize(self) -> None:
        self.refresh_table()

    @property
    def table(self) -> DataTable:
        return self.query_one("#layers-table", DataTable)

    @property
    def cursor(self) -> int:
        """0-based index of the selected layer (0 when the stack is empty)."""
        layers = self.host.experiment.layers
        return min(max(self.table.cursor_row, 0), max(len(layers) - 1, 0))

    # ---- hooks ---------------------------------------------------------------------------
    def experiment_changed(self) -> None:
        self.refresh_table()

    def dataset_changed(self) -> None:
        self.refresh_table()

    def refresh_table(self, select: int | None = None) -> None:
        host = self.host
        exp = host.experiment
        report, error = host.validate()
        table = self.table
        keep = self.table.cursor_row if select is None else select
        table.clear()
        rows = list(report.rows) if report is not None else []
        cells: list[tuple[str, str, str, str, str, Text | str]] = []
        for i, spec in enumerate(exp.layers):
            row = rows[i] if i < len(rows) else None
            if row is not None:
                mark = Text("✗", style="bold red") if row.errors else (Text("!", style="bold yellow") if row.warnings else Text("✓", style="green"))
                cells.append((str(i + 1), spec.type, str(row.summary), _shape(row.output_shape), f"{row.params:,}", mark))
            else:
                cells.append((str(i + 1), spec.type, ", ".join(f"{k}={v}" for k, v in spec.params.items()), "?", "?", ""))
        # The settings column gets what the others leave (each column has 2 of padding; 2
        # more for the scrollbar), and its text is cut after a whole setting.
        width = table.size.width or (self.app.size.width if self.host.pair is None else self.app.size.width // 2)
        others = sum(max([len(h), *(len(str(c[j])) for c in cells)]) + 2 for j, h in ((0, "#"), (1, "layer"), (3, "output"), (4, "params"), (5, " ")))
        room = max(14, width - others - 2 - 2)
        for i, c in enumerate(cells):
            table.add_row(c[0], c[1], Text(_cut(c[2], room)), c[3], c[4], c[5], key=str(i))
        if exp.layers:
            table.move_cursor(row=min(max(keep, 0), len(exp.layers) - 1))
        self._report = report
        self._update_summary(report, error)
        self._update_messages(report, error)
        self._update_help()

    def _update_summary(self, report: Any, error: str) -> None:
        exp = self.host.experiment
        c = exp.compile
        lr = f"lr {c.learning_rate:g}" if c.learning_rate is not None else "default lr"
        text = Text()
        if report is not None:
            text.append(f"Total params: {report.total:,}", style="bold")
            text.append(f" (trainable {report.trainable:,}) · input {_shape(report.input_shape)} → output {_shape(report.output_shape)}")
            state = "ok" if report.ok else f"{len(report.errors)} error(s)"
            text.append(f" · {state}", style="green" if report.ok else "bold red")
            if report.warnings:
                text.append(f" · {len(report.warnings)} warning(s)", style="yellow")
        else:
            text.append("Validation failed", style="bold red")
        preset = f" · preset {exp.preset}" if exp.preset else ""
        loss = c.loss
        if report is not None and report.loss is not None and c.loss == "auto":
            loss = f"auto = {report.loss.loss}" + (" (from logits)" if report.loss.from_logits else "")
        text.append(f"\n{exp.name}{preset} · {c.optimizer} {lr} · loss {loss} · {len(exp.layers)} layers")
        self.query_one("#layers-summary", Static).update(text)

    def _update_messages(self, report: Any, error: str) -> None:
        """Messages of the other layers and of the whole stack (the selected layer's own are
        shown above them, by `_update_help`)."""
        text = Text()
        i = self.cursor
        if error:
            text.append(error, style="red")
        elif report is not None:
            # Errors first (what stops training, with its fix), then warnings.
            others = [(j, row) for j, row in enumerate(report.rows) if j != i]
            for j, row in others:
                for message in row.errors:
                    text.append(f"layer {j + 1} ✗ ", style="bold red")
                    text.append(f"{message}\n")
            for message in report.stack_errors:
                text.append("stack ✗ ", style="bold red")
                text.append(f"{message}\n")
            for j, row in others:
                for message in row.warnings:
                    text.append(f"layer {j + 1} ! ", style="bold yellow")
                    text.append(f"{message}\n")
            for message in report.stack_warnings:
                text.append("stack ! ", style="bold yellow")
                text.append(f"{message}\n")
            if not report.errors and not report.warnings:
                text.append("✓ The stack fits the data.", style="green")
        self.query_one("#layers-messages", Static).update(text)

    def _update_help(self) -> None:
        exp = self.host.experiment
        if not exp.layers:
            self.query_one("#layers-help", Static).update("The stack is empty: press a to add a layer or p for a preset.")
            return
        i = self.cursor
        spec = exp.layers[i]
        text = Text()
        rows = list(self._report.rows) if self._report is not None else []
        if i < len(rows):
            for message in rows[i].errors:
                text.append(f"layer {i + 1} ✗ ", style="bold red")
                text.append(f"{message}\n")
            for message in rows[i].warnings:
                text.append(f"layer {i + 1} ! ", style="bold yellow")
                text.append(f"{message}\n")
        try:
            text.append(f"{spec.type}: {layer_info(spec.type).help}", style="dim")
        except Exception as exc:
            text.append(str(exc), style="red")
        self.query_one("#layers-help", Static).update(text)

    @on(DataTable.RowHighlighted, "#layers-table")
    def _highlighted(self) -> None:
        self._update_help()
        self._update_messages(self._report, "")

    @on(DataTable.RowSelected, "#layers-table")
    def _selected(self) -> None:
        self.action_edit()

    # ---- editing -------------------------------------------------------------------------
    def _change(self, layers: list[LayerSpec], reason: str, select: int) -> None:
        new = self.host.experiment.copy()
        new.layers = layers
        self.host.set_experiment(new, reason)
        self.refresh_table(select)

    def _layers(self) -> list[LayerSpec]:
        return self.host.experiment.copy().layers

    def _pick_type(self, then: Any) -> None:
        options = [(t, Text.assemble((f"{t:<24}", "bold"), (layer_info(t).help, "dim"))) for t in layer_types()]
        self.app.push_screen(ChoiceDialog("Which layer?", options), then)

    def _add_at(self, position: int) -> None:
        def chosen(kind: str | None) -> None:
            if kind is None:
                return
            layers = self._layers()
            spec = LayerSpec(kind, {})
            layers.insert(position, spec)
            self._change(layers, f"add {kind}", position)
            if layer_info(kind).params:
                self.edit_layer(position)

        self._pick_type(chosen)

    def action_sweep(self) -> None:
        from tui.sweep_dialog import open_sweep_dialog

        open_sweep_dialog(self)

    def action_add(self) -> None:
        self._add_at(self.cursor + 1 if self.host.experiment.layers else 0)

    def action_insert(self) -> None:
        self._add_at(self.cursor)

    def action_delete(self) -> None:
        layers = self._layers()
        if not layers:
            self.notify("The stack is empty.")
            return
        i = self.cursor
        removed = layers.pop(i)
        self._change(layers, f"delete {removed.type}", min(i, len(layers) - 1))

    def action_duplicate(self) -> None:
        layers = self._layers()
        if not layers:
            return
        i = self.cursor
        layers.insert(i + 1, LayerSpec(layers[i].type, dict(layers[i].params)))
        self._change(layers, f"duplicate {layers[i].type}", i + 1)

    def action_move(self, step: int) -> None:
        layers = self._layers()
        i = self.cursor
        j = i + step
        if not layers or not 0 <= j < len(layers):
            return
        layers[i], layers[j] = layers[j], layers[i]
        self._change(layers, f"move {layers[j].type}", j)

    def action_edit(self) -> None:
        if not self.host.experiment.layers:
            self.action_add()
            return
        self.edit_layer(self.cursor)

    def edit_layer(self, i: int) -> None:
        spec = self.host.experiment.layers[i]
        try:
            layer_info(spec.type)
        except Exception as exc:
            self.notify(str(exc), title="Layers", severity="error")
            return
        editor = LayerEditor(spec, i + 1)

        def done(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            layers = self._layers()
            params = editor.new_params(values)
            if params == layers[i].params:
                return
            layers[i] = LayerSpec(spec.type, params)
            self._change(layers, f"edit {spec.type}", i)

        self.app.push_screen(editor, done)

    def action_preset(self) -> None:
        from engine.layers import list_presets

        try:
            presets = list_presets()
        except Exception as exc:
            self.notify(str(exc), title="Presets", severity="error")
            return
        options = []
        for p in presets:
            params = getattr(p, "params", None)
            count = f"{params:,} params" if isinstance(params, int) else ""
            options.append((p.name, Text.assemble((f"{p.name:<26}", "bold"), (f"{count:>16}  ", "cyan"), (p.description, "dim"))))

        def chosen(name: str | None) -> None:
            if name is not None:
                self.app.push_screen(ConfirmDialog(f"Load preset {name}: all of it, or only its layers and training (your data source, path and limits stay)?", PRESET_PARTS), partial(part_chosen, name))

        def part_chosen(name: str, part: str | None) -> None:
            if part in ("whole", "model"):
                self.host.keep_work(partial(self.load_preset, name, whole=part == "whole"), f"loading preset {name}")

        self.app.push_screen(ChoiceDialog("Load a preset (Ctrl+Z undoes)", options, self.host.experiment.preset or None), chosen)

    def load_preset(self, name: str, whole: bool = True) -> None:
        """The whole preset (a new experiment, in no file yet), or only its model and training
        (vectorizer, layers, compile, fit): the data settings and probes stay, and so does the file."""
        from engine.layers import get_preset

        try:
            exp = get_preset(name)
        except Exception as exc:
            self.notify(str(exc), title="Presets", severity="error")
            return
        if whole:
            self.host.set_experiment(exp, f"preset {name}", path=None, dirty=False)  # nothing of the user's is in it yet
        else:
            old = self.host.experiment
            exp.name, exp.data, exp.probes, exp.base_dir = old.name, copy.deepcopy(old.data), list(old.probes), old.base_dir
            self.host.set_experiment(exp, f"preset {name} (layers and training)")
        self.refresh_table(0)
        self.notify(f"Loaded preset {name}{'' if whole else ' (layers and training only)'}.", title="Presets")

    def action_compile(self) -> None:
        exp = self.host.experiment

        def done(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            new = apply_spec_form(exp, COMPILE_PATHS, values)
            if new.compile != exp.compile:
                self.host.set_experiment(new, "compile settings")

        self.app.push_screen(FormDialog("Compile settings", compile_fields(exp), check=lambda values: form_problem(exp, COMPILE_PATHS, values)), done)
