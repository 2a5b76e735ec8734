"""What validation says about a layer stack: one Row per layer, the Report over them, how the
head is trained (LossPlan), and the table `kerminal inspect` prints.

Shapes are written without the batch axis inside (`(100, 32)`) and with it for people
(`(None, 100, 32)`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from engine.config import LayerParams


@dataclass
class Row:
    index: int  # 1-based
    type: str
    summary: str  # key settings, e.g. "units=32, return_sequences"
    output_shape: tuple[int | None, ...] | None  # with the batch axis: (None, 100, 32); None = unknown
    params: int = 0
    trainable: int = 0
    non_trainable: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    resolved: LayerParams = field(default_factory=dict, repr=False)  # params with defaults filled in
    cudnn: bool = True  # False: a recurrent layer that gets a pre-padded mask (built with use_cudnn=False)

    @property
    def label(self) -> str:
        return f"layer {self.index} ({self.type})"

    def shape_text(self) -> str:
        return shape_text(self.output_shape)


@dataclass(frozen=True)
class LossPlan:
    """How the stack is trained: the Keras loss, whether the head gives logits, and how the
    Trainer must encode the integer labels ('binary': (n, 1) floats 0/1; 'sparse': (n,)
    ints; 'onehot': (n, num_classes) floats)."""

    loss: str
    from_logits: bool
    labels: str
    units: int = 1
    activation: str = "sigmoid"  # the head's activation ("linear" when from_logits)

    def describe(self) -> str:
        return f"{self.loss}{' (from logits)' if self.from_logits else ''}, labels {self.labels}"


@dataclass
class Report:
    rows: list[Row]
    input_shape: tuple[int | None, ...]
    num_classes: int = 2
    stack_errors: list[str] = field(default_factory=list)  # not about one layer (empty stack, loss)
    stack_warnings: list[str] = field(default_factory=list)
    loss: LossPlan | None = None

    @property
    def total(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def trainable(self) -> int:
        return sum(r.trainable for r in self.rows)

    @property
    def non_trainable(self) -> int:
        return sum(r.non_trainable for r in self.rows)

    @property
    def errors(self) -> list[str]:
        return [f"{r.label}: {e}" for r in self.rows for e in r.errors] + list(self.stack_errors)

    @property
    def warnings(self) -> list[str]:
        return [f"{r.label}: {w}" for r in self.rows for w in r.warnings] + list(self.stack_warnings)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def output_shape(self) -> tuple[int | None, ...] | None:
        return self.rows[-1].output_shape if self.rows else self.input_shape

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for r in self.rows:
            d = asdict(r)
            d["output_shape"] = None if r.output_shape is None else list(r.output_shape)
            rows.append(d)
        return {
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "rows": rows,
            "total": self.total,
            "trainable": self.trainable,
            "non_trainable": self.non_trainable,
            "errors": self.errors,
            "warnings": self.warnings,
            "ok": self.ok,
            "loss": None if self.loss is None else asdict(self.loss),
        }


def shape_text(shape: tuple[int | None, ...] | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def format_table(report: Report) -> str:
    """The layer table of `kerminal inspect`: layer, output shape, params, notes, total."""
    head = ("#", "layer", "output shape", "params", "notes")
    lines = [("", "input", shape_text(report.input_shape), "", "")]
    for r in report.rows:
        note = ", ".join(x for x in (f"{len(r.errors)} error{'s' * (len(r.errors) != 1)}" if r.errors else "", f"{len(r.warnings)} warning{'s' * (len(r.warnings) != 1)}" if r.warnings else "") if x)
        name = f"{r.type}({r.summary})" if r.summary else r.type
        lines.append((str(r.index), name, r.shape_text(), f"{r.params:,}", note))
    widths = [max(len(h), *(len(line[k]) for line in lines)) for k, h in enumerate(head)]

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if k in (0, 3) else c.ljust(w) for k, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    out = [fmt(head), fmt(tuple("-" * w for w in widths))]
    out += [fmt(line) for line in lines]
    out.append(f"Total params: {report.total:,} (trainable {report.trainable:,}, non-trainable {report.non_trainable:,})")
    if report.loss is not None:
        out.append(f"Loss: {report.loss.describe()}")
    out += [f"error: {e}" for e in report.errors]
    out += [f"warning: {w}" for w in report.warnings]
    return "\n".join(out)
