"""The layer types a text or sequence classifier needs, with typed, ranged, documented params.

Pure data, no TensorFlow: the TUI's edit form shows these (default, range or choices,
one-line help) and calls `check_param` on each edited value so a bad value is refused in
place. `resolve` fills in the defaults and checks a whole `LayerSpec`.

Each parameter is the Keras constructor's keyword of the same name, so `layer_call` turns a
resolved layer into one `KerasCall` (class and keyword arguments): `build` runs it and
`export` prints it (`KerasCall.code`), so the script builds the very layers kerminal trains
and what validation counted is what Keras builds. Each entry also names its shape rule
(engine/layers/shapes.py), which validate calls: adding a layer type is one entry here.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any

from engine.config import LayerParams
from engine.layers import shapes

# Activations Keras 3 knows by name (keras.activations.get); "linear" = none (logits).
ACTIVATIONS: tuple[str, ...] = (
    "linear", "relu", "sigmoid", "softmax", "tanh", "elu", "selu", "gelu", "swish", "silu",
    "softplus", "softsign", "exponential", "hard_sigmoid", "hard_silu", "leaky_relu",
    "relu6", "mish", "log_softmax", "celu", "glu",
)
# The recurrent layers' shape rules (weights per step, cuDNN); Bidirectional wraps any of them.
CELLS = {"SimpleRNN": shapes.Recurrent(gates=1, cudnn=False), "LSTM": shapes.Recurrent(gates=4, cudnn=True), "GRU": shapes.Recurrent(gates=3, cudnn=True)}
RECURRENT = tuple(CELLS)
_BIDIRECTIONAL = shapes.Bidirectional(CELLS)
MERGE_MODES = ("concat", "sum", "mul", "ave")
PADDINGS = ("valid", "same", "causal")
POOL_PADDINGS = ("valid", "same")

# kind: "int" | "float" | "bool" | "choice" | "activation" | "layer" (a nested recurrent layer)
_KIND_WORDS = {"int": "an integer", "float": "a number", "bool": "true or false", "choice": "one of the choices", "activation": "an activation name", "layer": "a table with a recurrent `type`"}


@dataclass(frozen=True)
class ParamInfo:
    name: str
    kind: str
    default: Any
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    help: str = ""
    max_exclusive: bool = False  # the range is [min, max) (dropout rates)
    zero: str = ""  # what 0 tells Keras: "vocab" = the vectorizer's vocabulary size, "none" = None
    shown: bool = False  # in the layer's summary even at its default
    bare: bool = False  # the summary shows the value alone ("relu"), not name=value

    def range_text(self) -> str:
        if self.choices:
            return " | ".join(self.choices) if len(self.choices) <= 8 else f"{len(self.choices)} names"
        if self.min is None and self.max is None:
            return ""
        low = "" if self.min is None else _num(self.min)
        high = "" if self.max is None else _num(self.max)
        if self.max is None:
            return f">= {low}"
        return f"[{low}, {high}{')' if self.max_exclusive else ']'}"


@dataclass(frozen=True)
class LayerInfo:
    name: str
    help: str
    params: tuple[ParamInfo, ...] = field(default_factory=tuple)
    supports_masking: bool = True  # passes (or consumes) a mask from mask_zero; False = drops it
    custom: bool = False  # a class of engine.keras_layers (the exported script defines it), else keras.layers
    cudnn: bool = False  # takes use_cudnn: built with use_cudnn=False when validation says cuDNN cannot take the mask
    # In the classifier head: "output" sets units and activation (Dense), "activation" only that,
    # "keeps" keeps the units before it, "skip" = identity when predicting; "" = sets units, cannot end it
    head: str = ""
    shape: shapes.ShapeRule = field(kw_only=True)  # output shape, count, input-dependent messages
    check: shapes.ParamCheck | None = field(default=None, kw_only=True)  # warnings from the params alone

    def param(self, name: str) -> ParamInfo | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    def defaults(self) -> LayerParams:
        return {p.name: p.default for p in self.params}


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _units(default: int, what: str = "units") -> ParamInfo:
    return ParamInfo("units", "int", default, min=1, max=100000, help=f"number of {what} (the output width)", shown=True)


def _rate(name: str, default: float, what: str, shown: bool = False) -> ParamInfo:
    return ParamInfo(name, "float", default, min=0.0, max=1.0, max_exclusive=True, help=what, shown=shown)


def _activation(default: str, what: str = "activation applied to the output", shown: bool = False) -> ParamInfo:
    return ParamInfo("activation", "activation", default, choices=ACTIVATIONS, help=what + ' ("linear" = none)', shown=shown, bare=True)


_EPSILON = ParamInfo("epsilon", "float", 0.001, min=1e-12, max=1.0, help="small number added to the variance")


def _recurrent(name: str, units: int, help: str, extra: tuple[ParamInfo, ...] = ()) -> LayerInfo:
    cell = CELLS[name]
    return LayerInfo(
        name,
        help,
        (
            _units(units),
            _activation("tanh", "activation of the output and the candidate state"),
            _rate("dropout", 0.0, "fraction of the inputs dropped at each step while training"),
            _rate("recurrent_dropout", 0.0, "fraction of the recurrent state dropped while training (loses cuDNN on GPU)"),
            ParamInfo("return_sequences", "bool", False, help="output every step (for a following recurrent layer) instead of only the last"),
            *extra,
        ),
        cudnn=cell.cudnn,
        shape=cell,
        check=cell.check,
    )


_LAYER_LIST = [
    LayerInfo(
        "Embedding",
        "maps each word id to a learned vector: (steps) ids -> (steps, output_dim)",
        (
            ParamInfo("output_dim", "int", 64, min=1, max=100000, help="size of each word vector", shown=True),
            ParamInfo("input_dim", "int", 0, min=0, max=10_000_000, help="rows of the table; 0 = the vectorizer's vocabulary size", zero="vocab"),
            ParamInfo("mask_zero", "bool", False, help="treat id 0 (padding) as absent for the layers that follow"),
        ),
        shape=shapes.embedding,
    ),
    _recurrent("SimpleRNN", 32, "plain recurrent layer: (steps, features) -> (units) or (steps, units)"),
    _recurrent("LSTM", 64, "long short-term memory: (steps, features) -> (units) or (steps, units)"),
    _recurrent(
        "GRU",
        64,
        "gated recurrent unit: (steps, features) -> (units) or (steps, units)",
        (ParamInfo("reset_after", "bool", True, help="apply the reset gate after the matrix product (Keras and cuDNN default)"),),
    ),
    LayerInfo(
        "Bidirectional",
        "runs a recurrent layer forwards and backwards and merges the two",
        (
            ParamInfo("layer", "layer", {"type": "LSTM", "units": 64}, choices=RECURRENT, help="the wrapped recurrent layer, e.g. { type = \"LSTM\", units = 64 }"),
            ParamInfo("merge_mode", "choice", "concat", choices=MERGE_MODES, help="how the two directions combine (concat doubles the width)", shown=True, bare=True),
        ),
        shape=_BIDIRECTIONAL,
        check=_BIDIRECTIONAL.check,
    ),
    LayerInfo(
        "Conv1D",
        "1-D convolution over steps: (steps, features) -> (steps', filters)",
        (
            ParamInfo("filters", "int", 64, min=1, max=100000, help="number of filters (the output width)", shown=True),
            ParamInfo("kernel_size", "int", 5, min=1, max=10000, help="steps each filter sees"),
            ParamInfo("strides", "int", 1, min=1, max=10000, help="step between filter positions"),
            ParamInfo("padding", "choice", "valid", choices=PADDINGS, help="valid = no padding (shorter output); same/causal keep the length"),
            ParamInfo("dilation_rate", "int", 1, min=1, max=10000, help="spacing between the steps a filter sees"),
            _activation("relu"),
        ),
        supports_masking=False,
        shape=shapes.conv1d,
    ),
    LayerInfo(
        "MaxPooling1D",
        "keeps the maximum of each window of steps: (steps, f) -> (steps / pool, f)",
        (
            ParamInfo("pool_size", "int", 2, min=1, max=10000, help="steps per window"),
            ParamInfo("strides", "int", 0, min=0, max=10000, help="step between windows; 0 = pool_size", zero="none"),
            ParamInfo("padding", "choice", "valid", choices=POOL_PADDINGS, help="valid drops a last partial window; same keeps it"),
        ),
        supports_masking=False,
        shape=shapes.max_pooling,
    ),
    LayerInfo("GlobalMaxPooling1D", "maximum over all steps: (steps, f) -> (f)", (), supports_masking=False, shape=shapes.global_pooling),
    LayerInfo("GlobalAveragePooling1D", "mean over all steps (masked steps skipped): (steps, f) -> (f)", (), shape=shapes.global_pooling),
    LayerInfo("Dense", "fully connected layer on the last axis: (..., f) -> (..., units)", (_units(64), _activation("linear", shown=True)), head="output", shape=shapes.dense),
    LayerInfo("Dropout", "drops a fraction of the values while training", (_rate("rate", 0.5, "fraction of values set to zero while training", shown=True),), head="skip", shape=shapes.elementwise),
    LayerInfo("SpatialDropout1D", "drops whole feature channels of a sequence while training", (_rate("rate", 0.2, "fraction of channels set to zero while training", shown=True),), head="skip", shape=shapes.spatial_dropout),
    LayerInfo("Activation", "applies an activation function", (_activation("softmax", "the activation", shown=True),), head="activation", shape=shapes.elementwise),
    LayerInfo("LayerNormalization", "normalizes each example over its last axis (learned scale and offset)", (_EPSILON,), head="keeps", shape=shapes.layer_norm),
    LayerInfo(
        "BatchNormalization",
        "normalizes over the batch (learned scale and offset, running mean and variance)",
        (
            ParamInfo("momentum", "float", 0.99, min=0.0, max=1.0, help="momentum of the running mean and variance"),
            _EPSILON,
        ),
        head="keeps",
        shape=shapes.batch_norm,
    ),
    LayerInfo("Flatten", "flattens everything but the batch: (steps, f) -> (steps * f)", (), supports_masking=False, shape=shapes.flatten),
    LayerInfo(
        "TokenAndPositionEmbedding",
        "a word vector plus a learned vector per position, for attention: (steps) ids -> (steps, output_dim)",
        (
            ParamInfo("output_dim", "int", 64, min=1, max=100000, help="size of each word and position vector (the attention width)", shown=True),
            ParamInfo("input_dim", "int", 0, min=0, max=10_000_000, help="rows of the word table; 0 = the vectorizer's vocabulary size", zero="vocab"),
            ParamInfo("mask_zero", "bool", True, help="treat id 0 (padding) as absent: attention and average pooling skip it"),
        ),
        custom=True,
        shape=shapes.positional_embedding,
    ),
    LayerInfo(
        "TransformerEncoder",
        "self-attention block: multi-head attention, feed-forward, residuals, layer norm: (steps, f) -> (steps, f)",
        (
            ParamInfo("num_heads", "int", 2, min=1, max=1024, help="attention heads; with key_dim 0 it must divide the input width"),
            ParamInfo("key_dim", "int", 0, min=0, max=100000, help="size of each head's query and key; 0 = input width / num_heads"),
            ParamInfo("intermediate_dim", "int", 128, min=1, max=1_000_000, help="width of the feed-forward layer inside the block"),
            _rate("dropout", 0.1, "fraction dropped from the attention weights and each residual branch while training"),
            _activation("relu", "activation of the feed-forward layer"),
        ),
        custom=True,
        shape=shapes.transformer_encoder,
    ),
]

LAYERS: dict[str, LayerInfo] = {info.name: info for info in _LAYER_LIST}


def layer_types() -> list[str]:
    return list(LAYERS)


def close_types(name: str) -> list[str]:
    """Registered layer types that look like `name` (case-insensitive first)."""
    for t in LAYERS:
        if t.lower() == str(name).lower():
            return [t]
    lowered = {t.lower(): t for t in LAYERS}
    return [lowered[m] for m in difflib.get_close_matches(str(name).lower(), list(lowered), n=3, cutoff=0.5)]


def unknown_type_message(name: str) -> str:
    close = close_types(name)
    hint = f"Did you mean {' or '.join(close)}?" if close else f"Known layers: {', '.join(LAYERS)}."
    return f"unknown layer type {name!r}. {hint}"


def layer_info(type: str) -> LayerInfo:
    """The registry entry of a layer type. Raises LayerError (listing close names) if unknown."""
    info = LAYERS.get(type)
    if info is None:
        from engine.errors import LayerError

        close = close_types(type)
        raise LayerError(f"Unknown layer type {type!r}.", f"Did you mean {' or '.join(close)}?" if close else f"Use one of: {', '.join(LAYERS)}.")
    return info


def check_param(type: str, name: str, value: Any) -> str | None:
    """Check one parameter value of a layer type: None if fine, else a message with the fix."""
    info = LAYERS.get(type)
    if info is None:
        return unknown_type_message(type)
    p = info.param(name)
    if p is None:
        names = [q.name for q in info.params]
        close = difflib.get_close_matches(str(name), names, n=1)
        if not names:
            return f"{type} takes no parameters; remove {name!r}."
        hint = f"Did you mean {close[0]!r}?" if close else f"{type} takes: {', '.join(names)}."
        return f"{type} has no parameter {name!r}. {hint}"
    return _check_value(type, p, value)


def _check_value(type: str, p: ParamInfo, value: Any) -> str | None:
    what = f"{type}.{p.name}"
    if p.kind == "layer":
        return _check_wrapped(value)
    if p.kind == "bool":
        if not isinstance(value, bool):
            return f"{what} must be true or false, not {value!r}."
        return None
    if p.kind in ("choice", "activation"):
        if not isinstance(value, str) or value not in p.choices:
            close = difflib.get_close_matches(str(value), p.choices, n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Use one of: {', '.join(p.choices)}."
            label = "activation" if p.kind == "activation" else "choice"
            return f"{what}: unknown {label} {value!r}. {hint}"
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{what} must be {_KIND_WORDS[p.kind]}, not {value!r}. Use a value in {p.range_text()}."
    if not math.isfinite(value):  # nan passes every comparison; inf is no size either
        return f"{what} = {value!r} is not a number. Use a value in {p.range_text()}."
    if p.kind == "int" and not isinstance(value, int):
        if float(value).is_integer():
            return f"{what} must be a whole number: write {int(value)}, not {value!r}."
        return f"{what} must be a whole number, not {value!r}. Use a value in {p.range_text()}."
    low_bad = p.min is not None and value < p.min
    high_bad = p.max is not None and (value >= p.max if p.max_exclusive else value > p.max)
    if low_bad or high_bad:
        return f"{what} = {value!r} is out of range. Use a value in {p.range_text()}."
    return None


def _check_wrapped(value: Any) -> str | None:
    if not isinstance(value, dict):
        return 'Bidirectional.layer must be a table such as { type = "LSTM", units = 64 }.'
    kind = value.get("type")
    if kind not in RECURRENT:
        if isinstance(kind, str) and kind in LAYERS:
            return f"Bidirectional can wrap only {', '.join(RECURRENT)}, not {kind}."
        close = [c for c in close_types(kind) if c in RECURRENT] if isinstance(kind, str) else []
        hint = f"Did you mean {close[0]!r}?" if close else f"Set type to one of {', '.join(RECURRENT)}."
        return f"Bidirectional.layer.type {kind!r} is not a recurrent layer. {hint}"
    for name, v in value.items():
        if name == "type":
            continue
        msg = check_param(kind, name, v)
        if msg:
            return f"Bidirectional.layer: {msg}"
    return None


def resolve(type: str, params: LayerParams) -> tuple[LayerParams, list[str]]:
    """Defaults filled in under the given values; plus one message per bad parameter.

    Bad values are replaced by their defaults in the returned dict, so shape inference can go
    on and report the later layers too. A Bidirectional's `layer` comes back resolved as well.
    """
    info = LAYERS[type]
    out = info.defaults()
    errors: list[str] = []
    for name, value in params.items():
        if type == "Bidirectional" and name == "layer" and isinstance(value, dict) and value.get("type") in RECURRENT:
            inner, inner_errors = resolve(value["type"], {k: v for k, v in value.items() if k != "type"})
            out["layer"] = {"type": value["type"], **inner}
            errors.extend(f"Bidirectional.layer: {m}" for m in inner_errors)
            continue
        msg = check_param(type, name, value)
        if msg:
            errors.append(msg)
            continue
        out[name] = value
    default_layer = info.param("layer") if type == "Bidirectional" else None
    if default_layer is not None and out["layer"] is default_layer.default:
        inner, _ = resolve("LSTM", {"units": 64})
        out["layer"] = {"type": "LSTM", **inner}
    return out, errors


# ---------------------------------------------------------------------------------------
# The Keras call of a layer: what build runs and export prints


@dataclass(frozen=True)
class KerasCall:
    """One Keras layer constructor call. kwargs hold plain values (from the validated params)
    or a nested KerasCall (Bidirectional's layer), never code."""

    cls: str
    kwargs: dict[str, Any]
    custom: bool = False  # engine.keras_layers.<cls>, else keras.layers.<cls>

    def code(self) -> str:
        """The call as Python source: every value a literal (repr), the class from `layers.`
        (or the script's own attention classes)."""
        args = ", ".join(f"{k}={v.code() if isinstance(v, KerasCall) else _literal(v)}" for k, v in self.kwargs.items())
        return f"{'' if self.custom else 'layers.'}{self.cls}({args})"


def _literal(value: Any) -> str:
    # The script must hold data, not code: only values whose repr is a Python literal.
    if value is None or isinstance(value, (bool, int, str)) or (isinstance(value, float) and math.isfinite(value)):
        return repr(value)
    raise ValueError(f"{value!r} has no Python literal")


def layer_call(type: str, p: LayerParams, name: str | None = None, vocab_size: int = 0, cudnn: bool = True) -> KerasCall:
    """The Keras call for a layer from its resolved params (`resolve`): each param is the
    keyword of the same name; 0 becomes the vocabulary size or None where the param says so;
    use_cudnn=False where validation found a mask cuDNN cannot take."""
    info = layer_info(type)
    kwargs: dict[str, Any] = {}
    for q in info.params:
        value = p[q.name]
        if q.kind == "layer":
            value = layer_call(value["type"], value, cudnn=cudnn)
        elif q.zero and value == 0:
            value = vocab_size if q.zero == "vocab" else None
        kwargs[q.name] = value
    if info.cudnn and not cudnn:
        kwargs["use_cudnn"] = False
    if name:
        kwargs["name"] = name
    return KerasCall(type, kwargs, info.custom)
