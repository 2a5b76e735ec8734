"""Validation of a layer stack in pure Python: shapes, parameter counts, errors, warnings.

No TensorFlow: this answers as the user types (well under 10 ms for 30 layers) and before
TensorFlow has loaded. The walk here is the same for every layer type: each type's entry in
registry.py names its shape rule (engine/layers/shapes.py, Keras's own formulas, which
tests/engine/test_layers_counts.py checks against `count_params()`); then the end of the
stack, the classifier head, the loss and the metrics are checked. The Report is in report.py.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, NoReturn, Sequence

from engine import memory
from engine.config import LayerParams
from engine.errors import DataError
from engine.experiment import CompileConfig, Experiment, LayerSpec
from engine.layers.registry import LAYERS, resolve, unknown_type_message
from engine.layers.report import LossPlan, Report, Row
from engine.layers.shapes import Flow, recurrent_core
from engine.vectorize import InputSpec, check_classes, input_spec

if TYPE_CHECKING:  # pragma: no cover
    from engine.dataset import Dataset

LOSSES = ("auto", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")
METRICS = ("accuracy", "acc", "auc", "precision", "recall")
REBER_ALPHABET = "BTSXPVE"


def validate(
    layers: Sequence[LayerSpec] | Experiment,
    spec: InputSpec | None = None,
    num_classes: int = 2,
    compile: CompileConfig | None = None,
    padding: str | None = None,
) -> Report:
    """Validate a stack against its input. Pure Python, TF-free.

    `layers` may be an Experiment (then spec, compile and padding come from it unless given).
    `padding` ("pre"/"post") lets the check warn about masks that cuDNN cannot take.
    """
    if isinstance(layers, Experiment):
        exp = layers
        spec = spec or _spec_for(exp)
        compile = compile or exp.compile
        padding = padding or exp.vectorize.padding
        layers = exp.layers
    spec = spec or input_spec(Experiment().vectorize)
    compile = compile or CompileConfig()
    flow = Flow.start(spec, padding)
    report = Report([], (None, *spec.shape), num_classes)
    if not layers:
        report.stack_errors.append("The layer stack is empty. Add an Embedding (for words), a recurrent layer and a Dense head, or load a preset.")
        return report
    for i, layer in enumerate(layers, 1):
        report.rows.append(_step(i, layer, flow))
    _check_end(report, flow)
    _check_head(report, compile)
    return report


def _spec_for(exp: Experiment, train_texts: Sequence[str] = ()) -> InputSpec:
    spec = input_spec(exp.vectorize, train_texts)
    if spec.kind == "chars" and spec.features == 0 and exp.data.source in ("reber", "embedded-reber"):
        spec = InputSpec("chars", spec.length, features=len(REBER_ALPHABET))
    return spec


def validate_experiment(exp: Experiment, dataset: Dataset | None = None) -> Report:
    """Validate an experiment's stack: input from its vectorizer (and the data, if loaded),
    classes from the dataset (2 without one)."""
    texts = dataset.train.texts if dataset is not None else ()
    spec = _spec_for(exp, texts)
    num_classes = dataset.num_classes if dataset is not None else 2
    report = validate(exp.layers, spec, num_classes, exp.compile, exp.vectorize.padding)
    if dataset is not None:  # an nb bag on data it cannot weigh: said here, before `t` fails
        try:
            check_classes(exp.vectorize, dataset.class_names, dataset.train.labels)
        except DataError as exc:
            report.stack_errors.append(f"{exc.problem} Fix: {exc.fix}")
    if spec.kind == "chars" and spec.features == 0:
        report.stack_errors.append("The chars vectorizer's alphabet is unknown until the data loads. Set vectorize.alphabet (for example \"BTSXPVE\").")
    big = memory.too_big(report.total, exp.compile.optimizer)
    if big is not None:
        report.stack_warnings.append(f"{big.problem}: training would run out of memory. Fix: {big.fix[0].lower()}{big.fix[1:]}")
    return report


def _summary(type: str, p: LayerParams) -> str:
    """The key settings, e.g. "units=32, return_sequences": what each param declares shown,
    the others where they differ from the default; a wrapped layer as LSTM(units=64)."""
    parts = []
    for q in LAYERS[type].params:
        v = p.get(q.name, q.default)
        if q.kind == "layer":
            parts.append(f"{v['type']}({_summary(v['type'], v)})")
        elif q.shown or v != q.default:
            parts.append(str(v) if q.bare else (q.name if v is True else f"{q.name}={v}"))
    return ", ".join(parts)


def _step(i: int, layer: LayerSpec, flow: Flow) -> Row:
    info = LAYERS.get(layer.type)
    if info is None:
        flow.shape = None
        return Row(i, layer.type, "", None, errors=[unknown_type_message(layer.type)])
    p, param_errors = resolve(layer.type, layer.params)
    row = Row(i, layer.type, _summary(layer.type, p), None, errors=list(param_errors), resolved=p)
    if info.check is not None:
        info.check(row, p)
    shape = flow.shape
    if shape is None:  # an earlier layer broke the shape chain
        return row
    if flow.mask_from and not info.supports_masking:
        row.warnings.append(
            f"does not support masks, so the mask of mask_zero on layer {flow.mask_from} stops here and padding steps count as data. "
            "Fix: set mask_zero=false, or use mask-aware layers (recurrent, GlobalAveragePooling1D) up to the point where the sequence is reduced."
        )
        flow.mask_from = 0
    info.shape(row, p, flow, shape)
    return row


def _check_end(report: Report, flow: Flow) -> None:
    if flow.shape is None or len(flow.shape) == 1:
        return
    last = report.rows[-1]
    seq = [r for r in report.rows if (core := recurrent_core(r.resolved)) is not None and core["return_sequences"]]
    hint = f" or set return_sequences=false on layer {seq[-1].index} ({seq[-1].type})" if seq else ""
    last.errors.append(
        f"the stack ends in a sequence {last.shape_text()}, but a classifier needs one vector per example. "
        f"Fix: add GlobalAveragePooling1D, GlobalMaxPooling1D or Flatten before the head{hint}."
    )


def _head(report: Report) -> tuple[Row | None, str, Row | None]:
    """(the layer that sets the output activation, that activation, the layer that sets the units)."""
    # (every row's type is known here: an unknown one is an error, and errors skip the head)
    rows = [r for r in report.rows if LAYERS[r.type].head != "skip"]
    if not rows or LAYERS[rows[-1].type].head not in ("output", "activation"):
        return (rows[-1] if rows else None), "", None
    act_row = rows[-1]
    unit_row = next((r for r in reversed(rows) if LAYERS[r.type].head not in ("activation", "keeps")), None)
    return act_row, act_row.resolved["activation"], unit_row


def _check_head(report: Report, compile: CompileConfig) -> None:
    units = report.output_shape[-1] if report.output_shape else None
    if report.errors or units is None:
        return
    act_row, act, unit_row = _head(report)
    n = report.num_classes
    if not act or act_row is None:  # no head (act_row is None only with no layers at all)
        report.rows[-1].errors.append(
            f"the stack ends with {report.rows[-1].type}, not a classifier head. Fix: add "
            + ("Dense(units=1, activation=\"sigmoid\")." if n == 2 else f"Dense(units={n}, activation=\"softmax\").")
        )
        return
    unit_label = unit_row.label if unit_row is not None else act_row.label
    unit_ix = unit_row.index if unit_row is not None else act_row.index
    problem = None
    if n == 2:
        if act == "sigmoid" and units != 1:
            problem = (unit_row or act_row, f"gives {units} sigmoid outputs for 2 classes (labels are one value per example). Fix: set units=1 on {unit_label}, or use 2 units with softmax.")
        elif act in ("softmax", "log_softmax") and units == 1:
            problem = (act_row, f"softmax over a single unit always outputs 1.0. Fix: use activation=\"sigmoid\" with 1 unit, or units=2 on {unit_label} with softmax.")
        elif (act == "softmax" and units != 2) or (act == "linear" and units not in (1, 2)):
            problem = (
                unit_row or act_row,
                f"outputs {units} units, so the model's output (None, {units}) cannot match the labels of 2 classes. "
                f"Fix: set units=2 on layer {unit_ix} (softmax), or add Dense(units=2, activation=\"softmax\") after it.",
            )
    else:
        if act in ("softmax", "linear") and units != n:
            problem = (unit_row or act_row, f"outputs {units} units but the task has {n} classes. Fix: set units={n} on layer {unit_ix}.")
        elif act == "sigmoid":
            problem = (act_row, f"sigmoid outputs are independent yes/no answers, but the task has {n} exclusive classes. Fix: use activation=\"softmax\" with units={n}.")
    if problem is None and act not in ("sigmoid", "softmax", "linear"):
        problem = (act_row, f"the output activation {act!r} does not give class probabilities. Fix: use sigmoid (1 unit) or softmax ({n} units), or \"linear\" for logits (the loss then uses from_logits).")
    if problem is not None:
        problem[0].errors.append(problem[1])
        return
    plan, msg = _plan(compile.loss, act, units, n)
    if msg:
        report.stack_errors.append(msg)
    report.loss = plan
    _check_metrics(report, compile)


def _plan(loss: str, act: str, units: int, n: int) -> tuple[LossPlan | None, str]:
    logits = act == "linear"
    if loss not in LOSSES:
        close = difflib.get_close_matches(str(loss), LOSSES, n=1)
        hint = f"Did you mean {close[0]!r}?" if close else f"Use one of: {', '.join(LOSSES)}."
        return None, f"compile.loss: unknown loss {loss!r}. {hint}"
    if loss == "auto":
        loss = "binary_crossentropy" if units == 1 else "sparse_categorical_crossentropy"
    if loss == "binary_crossentropy":
        if units != 1:
            return None, f"compile.loss: binary_crossentropy needs 1 output unit, the head has {units}. Fix: use loss \"auto\" (or categorical_crossentropy), or a Dense(1, sigmoid) head."
        return LossPlan(loss, logits, "binary", units, act), ""
    if units == 1:
        return None, f"compile.loss: {loss} needs one output unit per class ({n}), the head has 1. Fix: use loss \"auto\" or binary_crossentropy, or a Dense({n}, softmax) head."
    return LossPlan(loss, logits, "onehot" if loss == "categorical_crossentropy" else "sparse", units, act), ""


def _check_metrics(report: Report, compile: CompileConfig) -> None:
    plan = report.loss
    for m in compile.metrics:
        if m not in METRICS:
            close = difflib.get_close_matches(str(m), METRICS, n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Use some of: {', '.join(METRICS)}."
            report.stack_errors.append(f"compile.metrics: unknown metric {m!r}. {hint}")
        elif m in ("auc", "precision", "recall") and plan is not None and plan.labels != "binary":
            report.stack_errors.append(f"compile.metrics: {m!r} needs a one-unit binary head (Dense(1, sigmoid)). Fix: remove {m!r} or use such a head.")
        elif m in ("precision", "recall") and plan is not None and plan.from_logits:
            report.stack_errors.append(f"compile.metrics: {m!r} needs probabilities, but the head gives logits. Fix: use activation=\"sigmoid\" on the last Dense, or remove {m!r}.")


def loss_plan(exp: Experiment, num_classes: int = 2) -> LossPlan:
    """How to train this stack: loss, from_logits and the label encoding. Raises LayerError."""
    report = validate(exp.layers, _spec_for(exp), num_classes, exp.compile, exp.vectorize.padding)
    if report.loss is None or not report.ok:
        raise_invalid(report)
    return report.loss


def raise_invalid(report: Report) -> NoReturn:
    from engine.errors import LayerError

    errors = report.errors or ["the stack has no usable head."]
    more = f" (and {len(errors) - 1} more: see `kerminal inspect`)" if len(errors) > 1 else ""
    first = errors[0]
    problem, _, fix = first.partition(" Fix: ")
    if not fix:  # a stack-level message says its own fix in its text; a layer's names the layer
        fix = "See the Layers pane or `kerminal inspect`." if first in report.stack_errors or not report.errors else "Fix the layer named above."
    raise LayerError(f"The layer stack does not validate: {problem}{more}", fix)
