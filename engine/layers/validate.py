"""Validation of a layer stack in pure Python: shapes, parameter counts, errors, warnings.

No TensorFlow: this answers as the user types (well under 10 ms for 30 layers) and before
TensorFlow has loaded. The counts are Keras's own formulas; tests/engine/test_layers_counts.py
builds the same layers in Keras and checks every count and shape against `count_params()`.
The Report it returns is in report.py.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, NoReturn, Sequence

from engine import memory
from engine.experiment import CompileConfig, Experiment, LayerSpec
from engine.layers.registry import LAYERS, RECURRENT, resolve, unknown_type_message
from engine.layers.report import LossPlan, Report, Row, shape_text
from engine.vectorize import InputSpec, input_spec

LOSSES = ("auto", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")
METRICS = ("accuracy", "acc", "auc", "precision", "recall")
REBER_ALPHABET = "BTSXPVE"

# Layers that are the identity at prediction time: looked through when finding the head.
_PASS_THROUGH = ("Dropout", "SpatialDropout1D")
_CUDNN = ("LSTM", "GRU")


# ---------------------------------------------------------------------------------------


@dataclass
class _State:
    shape: tuple[int, ...] | None  # without the batch axis
    ids: bool  # still integer word ids (no Embedding yet)
    mask_from: int = 0  # layer index whose mask_zero mask is attached, 0 = none
    reducer: Row | None = None  # the layer that last turned a sequence into a vector
    bag: bool = False  # the ngrams vectorizer's one vector per text: there never were steps


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
    state = _State(tuple(spec.shape), ids=spec.kind == "words", bag=spec.kind == "ngrams")
    report = Report([], (None, *spec.shape), num_classes)
    if not layers:
        report.stack_errors.append("The layer stack is empty. Add an Embedding (for words), a recurrent layer and a Dense head, or load a preset.")
        return report
    for i, layer in enumerate(layers, 1):
        report.rows.append(_step(i, layer, state, spec, padding))
    _check_end(report, state)
    _check_head(report, compile)
    return report


def _spec_for(exp: Experiment, train_texts: Sequence[str] = ()) -> InputSpec:
    spec = input_spec(exp.vectorize, train_texts)
    if spec.kind == "chars" and spec.features == 0 and exp.data.source in ("reber", "embedded-reber"):
        spec = InputSpec("chars", spec.length, features=len(REBER_ALPHABET))
    return spec


def validate_experiment(exp: Experiment, dataset: Any = None) -> Report:
    """Validate an experiment's stack: input from its vectorizer (and the data, if loaded),
    classes from the dataset (2 without one)."""
    texts = dataset.train.texts if dataset is not None else ()
    spec = _spec_for(exp, texts)
    num_classes = dataset.num_classes if dataset is not None else 2
    report = validate(exp.layers, spec, num_classes, exp.compile, exp.vectorize.padding)
    if spec.kind == "chars" and spec.features == 0:
        report.stack_errors.append("The chars vectorizer's alphabet is unknown until the data loads. Set vectorize.alphabet (for example \"BTSXPVE\").")
    big = memory.too_big(report.total, exp.compile.optimizer)
    if big is not None:
        report.stack_warnings.append(f"{big.problem}: training would run out of memory. Fix: {big.fix[0].lower()}{big.fix[1:]}")
    return report


def _summary(type: str, p: dict[str, Any]) -> str:
    if type == "Bidirectional":
        inner = p["layer"]
        return f"{inner['type']}({_summary(inner['type'], inner)}), {p['merge_mode']}"
    info = LAYERS[type]
    parts = []
    for q in info.params:
        v = p.get(q.name, q.default)
        if q.name in ("units", "output_dim", "filters", "rate"):
            parts.append(f"{q.name}={v}")
        elif q.name == "activation" and (v != q.default or type in ("Dense", "Activation")):
            parts.append(str(v))
        elif q.name == "input_dim":
            parts.append(f"input_dim={v}" if v else "")
        elif v != q.default:
            parts.append(q.name if v is True else f"{q.name}={v}")
    return ", ".join(x for x in parts if x)


def _step(i: int, layer: LayerSpec, st: _State, spec: InputSpec, padding: str | None) -> Row:
    if layer.type not in LAYERS:
        row = Row(i, layer.type, "", None, errors=[unknown_type_message(layer.type)])
        st.shape = None
        return row
    p, param_errors = resolve(layer.type, layer.params)
    row = Row(i, layer.type, _summary(layer.type, p), None, errors=list(param_errors), resolved=p)
    if layer.type in RECURRENT or layer.type == "Bidirectional":
        _cudnn_warnings(row, p)
    shape = st.shape
    if shape is None:  # an earlier layer broke the shape chain
        return row
    t = layer.type
    info = LAYERS[t]
    if st.mask_from and not info.supports_masking:
        row.warnings.append(
            f"does not support masks, so the mask of mask_zero on layer {st.mask_from} stops here and padding steps count as data. "
            "Fix: set mask_zero=false, or use mask-aware layers (recurrent, GlobalAveragePooling1D) up to the point where the sequence is reduced."
        )
        st.mask_from = 0
    if t in ("Embedding", "TokenAndPositionEmbedding"):
        _embedding(row, p, st, spec, shape)
    elif t == "TransformerEncoder":
        _transformer(row, p, st, shape)
    elif t in RECURRENT or t == "Bidirectional":
        _recurrent(row, p, st, shape, padding)
    elif t == "Conv1D":
        if (seq := _sequence(row, st, shape)) is not None:
            steps, feat = seq
            span = p["dilation_rate"] * (p["kernel_size"] - 1) + 1
            if p["padding"] == "valid":
                out = (steps - span) // p["strides"] + 1 if steps >= span else 0
            else:
                out = math.ceil(steps / p["strides"])
            if out < 1:
                row.errors.append(
                    f"its kernel spans {span} steps but the sequence has only {steps}. Fix: lower kernel_size or dilation_rate, or set padding=\"same\"."
                )
                st.shape = None
            else:
                _set(row, st, (out, p["filters"]), p["kernel_size"] * feat * p["filters"] + p["filters"])
    elif t == "MaxPooling1D":
        if (seq := _sequence(row, st, shape)) is not None:
            steps, feat = seq
            pool, stride = p["pool_size"], p["strides"] or p["pool_size"]
            if p["padding"] == "valid":
                out = (steps - pool) // stride + 1 if steps >= pool else 0
            else:
                out = math.ceil(steps / stride)
            if out < 1:
                row.errors.append(f"pool_size={pool} is longer than the sequence ({steps} steps). Fix: lower pool_size or set padding=\"same\".")
                st.shape = None
            else:
                _set(row, st, (out, feat), 0)
    elif t in ("GlobalMaxPooling1D", "GlobalAveragePooling1D"):
        if (seq := _sequence(row, st, shape, recover=True)) is not None:
            _set(row, st, (seq[1],), 0)
            st.reducer = row
            st.mask_from = 0
    elif t == "Dense":
        if st.ids:
            row.warnings.append("gets raw word ids and treats them as numbers. Fix: put an Embedding before it.")
        feat = shape[-1]
        _set(row, st, (*shape[:-1], p["units"]), feat * p["units"] + p["units"])
    elif t in ("Dropout", "Activation"):
        _set(row, st, shape, 0)
    elif t == "SpatialDropout1D":
        if _sequence(row, st, shape, recover=True) is not None:
            _set(row, st, shape, 0)
    elif t == "LayerNormalization":
        _set(row, st, shape, 2 * shape[-1])
    elif t == "BatchNormalization":
        _set(row, st, shape, 2 * shape[-1], non_trainable=2 * shape[-1])
    elif t == "Flatten":
        if len(shape) >= 2:
            st.reducer = row
        _set(row, st, (math.prod(shape),), 0)
    if t not in ("Embedding", "TokenAndPositionEmbedding") and st.shape is not None and len(st.shape) == 1 and t not in ("Dropout", "Activation", "Dense"):
        st.ids = False
    if t == "Dense":
        st.ids = False
    return row


def _set(row: Row, st: _State, shape: tuple[int, ...], trainable: int, non_trainable: int = 0) -> None:
    st.shape = shape
    row.output_shape = (None, *shape)
    row.trainable = trainable
    row.non_trainable = non_trainable
    row.params = trainable + non_trainable


def _sequence(row: Row, st: _State, shape: tuple[int, ...], recover: bool = False) -> tuple[int, int] | None:
    """(steps, features) if the input `shape` (st.shape, known) is a sequence; otherwise
    explain the fix and return None.

    With `recover`, a vector input is then treated as one step, so that the parameter
    counts of this layer and the following ones are still shown (their counts do not depend
    on the number of steps)."""
    if len(shape) == 2:
        return shape[0], shape[1]
    if st.ids:
        row.errors.append(f"needs a sequence of vectors (None, steps, features) but gets word ids {shape_text((None, *shape))}. Fix: put an Embedding before it.")
    elif st.bag and st.reducer is None:
        row.errors.append(
            f"needs a sequence (None, steps, features) but the ngrams vectorizer gives one vector of n-gram weights per text {shape_text((None, *shape))}, with no steps to run over. "
            'Fix: use Dense and Dropout layers after vectorize.kind = "ngrams", or set vectorize.kind = "words" and start the stack with an Embedding.'
        )
    elif st.reducer is not None and st.reducer.type in (*RECURRENT, "Bidirectional"):
        row.errors.append(
            f"needs a sequence (None, steps, features) but layer {st.reducer.index} ({st.reducer.type}) returns only its last step "
            f"{shape_text((None, *shape))}. Fix: set return_sequences=true on layer {st.reducer.index}."
        )
    elif st.reducer is not None:
        row.errors.append(
            f"needs a sequence (None, steps, features) but layer {st.reducer.index} ({st.reducer.type}) already reduced it to {shape_text((None, *shape))}. "
            f"Fix: move layer {st.reducer.index} after this one, or remove it."
        )
    else:
        row.errors.append(f"needs a sequence (None, steps, features) but gets {shape_text((None, *shape))}. Fix: feed it a sequence (Embedding, Conv1D, or a recurrent layer with return_sequences=true).")
    if recover and not st.ids and len(shape) == 1:
        st.shape = (1, shape[0])
        return 1, shape[0]
    st.shape = None
    return None


def _embedding(row: Row, p: dict[str, Any], st: _State, spec: InputSpec, shape: tuple[int, ...]) -> None:
    if not st.ids or len(shape) != 1:
        if spec.kind == "ngrams" and row.index == 1:
            row.errors.append(
                f"needs word ids but the ngrams vectorizer gives one vector of n-gram weights per text {shape_text((None, *shape))}. "
                f'Fix: remove this {row.type} (Dense layers take the n-gram vector as it is), or set vectorize.kind = "words".'
            )
        else:
            why = "the chars vectorizer already gives one-hot vectors" if spec.kind == "chars" and row.index == 1 else "it must come first, right after the vectorizer"
            row.errors.append(f"needs word ids but gets {shape_text((None, *shape))} vectors ({why}). Fix: remove this {row.type}, or move it to the top with vectorize.kind = \"words\".")
        st.shape = None
        return
    vocab = spec.vocab_size
    input_dim = p["input_dim"] or vocab
    if p["input_dim"] and p["input_dim"] < vocab:
        row.errors.append(
            f"input_dim={p['input_dim']} is smaller than the vectorizer's vocabulary ({vocab} ids): larger ids would fail. "
            f"Fix: set input_dim to 0 (follow the vectorizer) or at least {vocab}, or lower vectorize.max_tokens."
        )
    steps = shape[0]
    positions = steps if row.type == "TokenAndPositionEmbedding" else 0  # one learned vector per position
    table = f"{input_dim}x{p['output_dim']}" + (f" + {positions} positions" if positions else "")
    row.summary = ", ".join(x for x in (table, "mask_zero" if p["mask_zero"] else "") if x)
    _set(row, st, (steps, p["output_dim"]), (input_dim + positions) * p["output_dim"])
    st.ids = False
    st.mask_from = row.index if p["mask_zero"] else 0


def _transformer(row: Row, p: dict[str, Any], st: _State, shape: tuple[int, ...]) -> None:
    """A post-norm encoder block: MultiHeadAttention(num_heads, key_dim) with query, key, value
    and output projections (biases on), two LayerNormalizations and the feed-forward pair."""
    known = len(row.errors)
    seq = _sequence(row, st, shape, recover=True)
    if seq is None:
        return
    steps, width = seq
    heads, key_dim = p["num_heads"], p["key_dim"]
    row.summary = ", ".join(x for x in (f"heads={heads}", f"key_dim={key_dim}" if key_dim else "", f"ffn={p['intermediate_dim']}", f"dropout={p['dropout']}" if p["dropout"] else "") if x)
    if not key_dim:
        if heads > width:
            row.errors.append(
                f"num_heads={heads} is more than the input width {width}, so each head's key dimension (width / num_heads) would be 0. "
                f"Fix: lower num_heads to at most {width} (a divisor of {width}), or set key_dim to a positive size."
            )
            st.shape = None
            return
        if width % heads:
            divisors = [d for d in range(1, min(width, 64) + 1) if width % d == 0]
            row.errors.append(
                f"num_heads={heads} does not divide the input width {width}, so the heads cannot split it evenly (key_dim 0 means width / num_heads). "
                f"Fix: set num_heads to a divisor of {width} ({', '.join(map(str, divisors[:8]))}), or set key_dim to a positive size."
            )
            st.shape = None
            return
        key_dim = width // heads
    if steps < 2 and len(row.errors) == known:  # (a vector input was said above)
        where = f"layer {st.reducer.index} ({st.reducer.type}) reduced the sequence to one step" if st.reducer is not None else "its input has a single step"
        row.errors.append(
            f"self-attention needs a sequence of several steps, but {where}: each step would attend only to itself. "
            "Fix: raise vectorize.length, or move the layer that reduces the sequence (pooling, a recurrent layer without return_sequences) after this one."
        )
    inner = heads * key_dim
    attention = 3 * (width * inner + inner) + inner * width + width
    ffn = width * p["intermediate_dim"] + p["intermediate_dim"] + p["intermediate_dim"] * width + width
    _set(row, st, (steps, width), attention + ffn + 4 * width)


def _cell_params(kind: str, p: dict[str, Any], feat: int) -> int:
    u = p["units"]
    base = feat * u + u * u + u
    if kind == "SimpleRNN":
        return base
    if kind == "LSTM":
        return 4 * base
    return 3 * base + (3 * u if p["reset_after"] else 0)


def _cudnn_warnings(row: Row, p: dict[str, Any]) -> None:
    inner = p["layer"] if row.type == "Bidirectional" else p
    kind = inner["type"] if row.type == "Bidirectional" else row.type
    if kind in _CUDNN:
        lost = []
        if inner["recurrent_dropout"] > 0:
            lost.append(f"recurrent_dropout={inner['recurrent_dropout']}")
        if inner["activation"] != "tanh":
            lost.append(f"activation={inner['activation']!r}")
        if kind == "GRU" and not inner["reset_after"]:
            lost.append("reset_after=false")
        if lost:
            row.warnings.append(
                f"{', '.join(lost)} loses the fast cuDNN kernel on a GPU (several times slower). "
                "Fix: keep activation=\"tanh\", recurrent_dropout=0 (and reset_after=true), and use Dropout layers instead."
            )


def _recurrent(row: Row, p: dict[str, Any], st: _State, shape: tuple[int, ...], padding: str | None) -> None:
    inner = p["layer"] if row.type == "Bidirectional" else p
    kind = inner["type"] if row.type == "Bidirectional" else row.type
    seq = _sequence(row, st, shape, recover=True)
    if seq is None:
        return
    steps, feat = seq
    if st.mask_from and padding == "pre" and kind in _CUDNN:
        row.warnings.append(
            f"gets the mask of layer {st.mask_from} on pre-padded sequences; on a GPU, cuDNN takes only right-padded masks, "
            "so kerminal runs this layer without cuDNN. Fix: set vectorize.padding = \"post\" (with the mask the result is the same)."
        )
        row.cudnn = False
    count = _cell_params(kind, inner, feat)
    u = inner["units"]
    if row.type == "Bidirectional":
        count *= 2
        u = 2 * u if p["merge_mode"] == "concat" else u
    if padding == "post" and not st.mask_from and not inner["return_sequences"]:
        forward = "its forward half" if row.type == "Bidirectional" else "it"
        row.warnings.append(
            f"returns only its last state but reads sequences padded at the back without a mask, so on a short text {forward} ends on "
            "padding steps and short texts all get about the same score. "
            "Fix: set vectorize.padding = 'pre', or Embedding mask_zero = true."
        )
    if inner["return_sequences"]:
        _set(row, st, (steps, u), count)
    else:
        _set(row, st, (u,), count)
        st.reducer = row
        st.mask_from = 0


def _check_end(report: Report, st: _State) -> None:
    if st.shape is None or len(st.shape) == 1:
        return
    last = report.rows[-1]
    seq = [r for r in report.rows if (r.type in RECURRENT and r.resolved.get("return_sequences")) or (r.type == "Bidirectional" and r.resolved.get("layer", {}).get("return_sequences"))]
    hint = f" or set return_sequences=false on layer {seq[-1].index} ({seq[-1].type})" if seq else ""
    last.errors.append(
        f"the stack ends in a sequence {last.shape_text()}, but a classifier needs one vector per example. "
        f"Fix: add GlobalAveragePooling1D, GlobalMaxPooling1D or Flatten before the head{hint}."
    )


def _head(report: Report) -> tuple[Row | None, str, Row | None]:
    """(the layer that sets the output activation, that activation, the layer that sets the units)."""
    rows = [r for r in report.rows if r.type not in _PASS_THROUGH]
    if not rows or rows[-1].type not in ("Dense", "Activation"):
        return (rows[-1] if rows else None), "", None
    act_row = rows[-1]
    unit_row = next((r for r in reversed(rows) if r.type not in ("Activation", "LayerNormalization", "BatchNormalization")), None)
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
