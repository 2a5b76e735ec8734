"""The layer editor (`e` or Enter in the Layers pane): one form field per parameter the layer
registry declares (engine.layers: kind, default, choices, help), each value checked in place
by the registry's own `check_param`."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from engine import LayerSpec
from engine.layers import layer_info
from tui.dialogs import Field, FormDialog


def param_fields(type: str, params: dict[str, Any]) -> list[Field]:
    """The edit form of a layer: one Field per registry parameter."""
    fields = []
    for p in layer_info(type).params:
        kind = {"activation": "choice", "layer": "toml"}.get(p.kind, p.kind)
        if p.kind == "layer":
            kind = "toml"
        value = params.get(p.name)
        if kind in ("choice", "bool") and value is None:
            value = p.default
        rng = p.range_text() if kind not in ("choice",) else ""
        help = p.help + (f"  range {rng}" if rng and kind in ("int", "float") else "")
        fields.append(
            Field(
                p.name,
                kind,
                value,
                p.default,
                choices=p.choices if kind == "choice" else (),
                min=None,  # the registry's check_param judges ranges (some are half-open)
                max=None,
                help=help,
                optional=True,
            )
        )
    return fields


class LayerEditor(FormDialog):
    """Every parameter of one layer; a bad value is refused in place (check_param)."""

    def __init__(self, spec: LayerSpec, index: int) -> None:
        self.spec = spec
        info = layer_info(spec.type)
        unknown = [k for k in spec.params if info.param(k) is None]
        note = info.help
        if unknown:
            note += f"\nUnknown parameters kept as they are: {', '.join(unknown)}"
        super().__init__(f"Layer {index}: {spec.type}", param_fields(spec.type, spec.params), note=note)

    def validate_field(self, f: Field) -> tuple[Any, str]:
        from engine.layers import check_param

        value, error = super().validate_field(f)
        if not error and value is not None:
            message = check_param(self.spec.type, f.name, value)
            if message:
                error = message
                box = self.query_one(f"#field-{f.name}-error", Static)
                box.update(message)
                box.display = True
                self.field_widget(f.name).set_class(True, "-invalid")
        return value, error

    def new_params(self, values: dict[str, Any]) -> dict[str, Any]:
        """Parameters to write: those set in the file before, and those changed from the default."""
        out: dict[str, Any] = {}
        for f in self.fields:
            value = values.get(f.name)
            if value is None:
                continue
            if f.name in self.spec.params or value != f.default:
                out[f.name] = value
        for k, v in self.spec.params.items():  # unknown ones stay (validation reports them)
            if k not in out and all(f.name != k for f in self.fields):
                out[k] = v
        return out
