"""The shape rule of each layer type: what it makes of its input, in pure Python.

A rule gets the layer's row, its resolved params, what flows in (`Flow`) and the known input
shape (without the batch axis); it sets the output shape and the parameter count (Keras's
own formulas, checked against `count_params()` by tests/engine/test_layers_counts.py) and
adds the errors and warnings that depend on the input. Each type's entry in registry.py
names its rule (`LayerInfo.shape`); validate walks the stack and calls them in turn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

from engine.config import LayerParams
from engine.layers.report import Row, shape_text
from engine.vectorize import InputSpec

Shape = tuple[int, ...]


@dataclass
class Flow:
    """What reaches the next layer of the stack."""

    shape: Shape | None  # without the batch axis; None = unknown (an earlier layer broke the chain)
    spec: InputSpec
    padding: str | None  # the vectorizer's ("pre"/"post"), None = not said
    ids: bool  # still integer word ids (no Embedding yet)
    mask_from: int = 0  # layer index whose mask_zero mask is attached, 0 = none
    reducer: Row | None = None  # the layer that last turned a sequence into a vector

    @classmethod
    def start(cls, spec: InputSpec, padding: str | None) -> Flow:
        return cls(tuple(spec.shape), spec, padding, ids=spec.kind == "words")

    @property
    def bag(self) -> bool:
        """The ngrams vectorizer's one vector per text: there never were steps."""
        return self.spec.kind == "ngrams"


# A layer type's rule: (row, resolved params, flow, input shape) -> None.
ShapeRule = Callable[[Row, LayerParams, Flow, Shape], None]
# Warnings from the params alone, given even where the input shape is unknown.
ParamCheck = Callable[[Row, LayerParams], None]


def _set(row: Row, flow: Flow, shape: Shape, trainable: int, non_trainable: int = 0, keeps_ids: bool = False) -> None:
    flow.shape = shape
    row.output_shape = (None, *shape)
    row.trainable = trainable
    row.non_trainable = non_trainable
    row.params = trainable + non_trainable
    if len(shape) == 1 and not keeps_ids:  # one vector per text: no longer ids for an Embedding
        flow.ids = False


def recurrent_core(p: LayerParams) -> LayerParams | None:
    """The params of the recurrent layer in resolved params `p` (itself, or the layer a
    Bidirectional wraps); None if `p` is not a recurrent layer's."""
    inner = p.get("layer", p)
    return inner if "return_sequences" in inner else None


def _sequence(row: Row, flow: Flow, shape: Shape, recover: bool = False) -> tuple[int, int] | None:
    """(steps, features) if the input `shape` (flow.shape, known) is a sequence; otherwise
    explain the fix and return None.

    With `recover`, a vector input is then treated as one step, so that the parameter
    counts of this layer and the following ones are still shown (their counts do not depend
    on the number of steps)."""
    if len(shape) == 2:
        return shape[0], shape[1]
    reducer = flow.reducer
    if flow.ids:
        row.errors.append(f"needs a sequence of vectors (None, steps, features) but gets word ids {shape_text((None, *shape))}. Fix: put an Embedding before it.")
    elif flow.bag and reducer is None:
        row.errors.append(
            f"needs a sequence (None, steps, features) but the ngrams vectorizer gives one vector of n-gram weights per text {shape_text((None, *shape))}, with no steps to run over. "
            'Fix: use Dense and Dropout layers after vectorize.kind = "ngrams", or set vectorize.kind = "words" and start the stack with an Embedding.'
        )
    elif reducer is not None and recurrent_core(reducer.resolved) is not None:
        row.errors.append(
            f"needs a sequence (None, steps, features) but layer {reducer.index} ({reducer.type}) returns only its last step "
            f"{shape_text((None, *shape))}. Fix: set return_sequences=true on layer {reducer.index}."
        )
    elif reducer is not None:
        row.errors.append(
            f"needs a sequence (None, steps, features) but layer {reducer.index} ({reducer.type}) already reduced it to {shape_text((None, *shape))}. "
            f"Fix: move layer {reducer.index} after this one, or remove it."
        )
    else:
        row.errors.append(f"needs a sequence (None, steps, features) but gets {shape_text((None, *shape))}. Fix: feed it a sequence (Embedding, Conv1D, or a recurrent layer with return_sequences=true).")
    if recover and not flow.ids and len(shape) == 1:
        flow.shape = (1, shape[0])
        return 1, shape[0]
    flow.shape = None
    return None


# ---------------------------------------------------------------------------------------
# Word ids to vectors


def _embedding(row: Row, p: LayerParams, flow: Flow, shape: Shape, positions: bool) -> None:
    spec = flow.spec
    if not flow.ids or len(shape) != 1:
        if spec.kind == "ngrams" and row.index == 1:
            row.errors.append(
                f"needs word ids but the ngrams vectorizer gives one vector of n-gram weights per text {shape_text((None, *shape))}. "
                f'Fix: remove this {row.type} (Dense layers take the n-gram vector as it is), or set vectorize.kind = "words".'
            )
        else:
            why = "the chars vectorizer already gives one-hot vectors" if spec.kind == "chars" and row.index == 1 else "it must come first, right after the vectorizer"
            row.errors.append(f"needs word ids but gets {shape_text((None, *shape))} vectors ({why}). Fix: remove this {row.type}, or move it to the top with vectorize.kind = \"words\".")
        flow.shape = None
        return
    vocab = spec.vocab_size
    input_dim = p["input_dim"] or vocab
    if p["input_dim"] and p["input_dim"] < vocab:
        row.errors.append(
            f"input_dim={p['input_dim']} is smaller than the vectorizer's vocabulary ({vocab} ids): larger ids would fail. "
            f"Fix: set input_dim to 0 (follow the vectorizer) or at least {vocab}, or lower vectorize.max_tokens."
        )
    steps = shape[0]
    n_positions = steps if positions else 0  # one learned vector per position
    table = f"{input_dim}x{p['output_dim']}" + (f" + {n_positions} positions" if n_positions else "")
    row.summary = ", ".join(x for x in (table, "mask_zero" if p["mask_zero"] else "") if x)
    _set(row, flow, (steps, p["output_dim"]), (input_dim + n_positions) * p["output_dim"])
    flow.ids = False
    flow.mask_from = row.index if p["mask_zero"] else 0


def embedding(row: Row, p: LayerParams, flow: Flow, shape: Shape) -> None:
    _embedding(row, p, flow, shape, positions=False)


def positional_embedding(row: Row, p: LayerParams, flow: Flow, shape: Shape) -> None:
    """An Embedding plus one learned vector per position (TokenAndPositionEmbedding)."""
    _embedding(row, p, flow, shape, positions=True)


# ---------------------------------------------------------------------------------------
# Recurrent layers


@dataclass(frozen=True)
class Recurrent:
    """A recurrent layer: `gates` times a plain RNN's weights per step (SimpleRNN 1, LSTM 4,
    GRU 3); `cudnn` = a GPU runs it with cuDNN when its settings and mask allow."""

    gates: int
    cudnn: bool

    def cell_params(self, p: LayerParams, feat: int) -> int:
        u = p["units"]
        biases = 2 if p.get("reset_after") else 1  # GRU's reset_after: a second bias per gate
        return self.gates * (feat * u + u * u + biases * u)

    def check(self, row: Row, p: LayerParams) -> None:
        if not self.cudnn:
            return
        lost = []
        if p["recurrent_dropout"] > 0:
            lost.append(f"recurrent_dropout={p['recurrent_dropout']}")
        if p["activation"] != "tanh":
            lost.append(f"activation={p['activation']!r}")
        if not p.get("reset_after", True):
            lost.append("reset_after=false")
        if lost:
            row.warnings.append(
                f"{', '.join(lost)} loses the fast cuDNN kernel on a GPU (several times slower). "
                "Fix: keep activation=\"tanh\", recurrent_dropout=0 (and reset_after=true), and use Dropout layers instead."
            )

    def __call__(self, row: Row, p: LayerParams, flow: Flow, shape: Shape) -> None:
        _recurrent(row, self, p, flow, shape)


@dataclass(frozen=True, eq=False)
class Bidirectional:
    """Runs one of the `wraps` layers forwards and backwards: twice its weights; concat
    doubles the width."""

    wraps: Mapping[str, Recurrent]

    def check(self, row: Row, p: LayerParams) -> None:
        self.wraps[p["layer"]["type"]].check(row, p["layer"])

    def __call__(self, row: Row, p: LayerParams, flow: Flow, shape: Shape) -> None:
        _recurrent(row, self.wraps[p["layer"]["type"]], p["layer"], flow, shape, merge_mode=p["merge_mode"])


def _recurrent(row: Row, cell: Recurrent, inner: LayerParams, flow: Flow, shape: Shape, merge_mode: str = "") -> None:
    """`inner`: the recurrent layer's params; `merge_mode` set = wrapped by Bidirectional."""
    seq = _sequence(row, flow, shape, recover=True)
    if seq is None:
        return
    steps, feat = seq
    if flow.mask_from and flow.padding == "pre" and cell.cudnn:
        row.warnings.append(
            f"gets the mask of layer {flow.mask_from} on pre-padded sequences; on a GPU, cuDNN takes only right-padded masks, "
            "so kerminal runs this layer without cuDNN. Fix: set vectorize.padding = \"post\" (with the mask the result is the same)."
        )
        row.cudnn = False
    count = cell.cell_params(inner, feat)
    u = inner["units"]
    if merge_mode:
        count *= 2
        u = 2 * u if merge_mode == "concat" else u
    if flow.padding == "post" and not flow.mask_from and not inner["return_sequences"]:
        forward = "its forward half" if merge_mode else "it"
        row.warnings.append(
            f"returns only its last state but reads sequences padded at the back without a mask, so on a short text {forward} ends on "
            "padding steps and short texts all get about the same score. "
            "Fix: set vectorize.padding = 'pre', or Embedding mask_zero = true."
        )
    if inner["return_sequences"]:
        _set(row, flow, (steps, u), count)
    else:
        _set(row, flow, (u,), count)
        flow.reducer = row
        flow.mask_from = 0


# ---------------------------------------------------------------------------------------
# Convolution and pooling over steps


def conv1d(row: Row, p: LayerParams, flow: Flow, shape: Shape) -> None:
    if (seq := _sequence(row, flow, shape)) is None:
        return
    steps, feat = seq
    span = p["dilation_rate"] * (p["kernel_size"] - 1) + 1
    if p["padding"] == "valid":
        out = (steps - span) // p["strides"] + 1 if steps >= span else 0
    else:
        out = math.ceil(steps / p["strides"])
    if out < 1:
        row.errors.append(f"its kernel spans {span} steps but the sequence has only {steps}. Fix: lower kernel_size or dilation_rate, or set padding=\"same\".")
        flow.shape = None
        return
    _set(row, flow, (out, p["filters"]), p["kernel_size"] * feat * p["filters"] + p["filters"])


def max_pooling(row: Row, p: LayerParams, flow: Flow, shape: Shape) -> None:
    if (seq := _sequence(row, flow, shape)) is None:
        return
    steps, feat = seq
    pool, stride = p["pool_size"], p["strides"] or p["pool_size"]
    if p["padding"] == "valid":
        out = (steps - pool) // stride + 1 if steps >= pool else 0
    else:
        out = math.ceil(steps / stride)
    if out < 1:
        row.errors.append(f"pool_size={pool} is longer than the sequence ({steps} steps). Fix: lower pool_size or set padding=\"same\".")
        flow.shape = None
        return
    _set(row, flow, (out, feat), 0)


def global_pooling(row: Row, p: LayerParams, flow: Flow, shape: Shape) -> None:
    """One vector per text: reduces the sequence and ends its mask."""
    if (seq := _sequence(row, flow, shape, recover=True)) is not None:
        _set(row, flow, (seq[1],), 0)
        flow.reducer = row
        flow.mask_from = 0


# ---------------------------------------------------------------------------------------
# Per-step and per-vector layers


def dense(row: Row, p: LayerParams, flow: Flow, shape: Shape) -> None:
    if flow.ids:
        row.warnings.append("gets raw word ids and treats them as numbers. Fix: put an Embedding before it.")
    _set(row, flow, (*shape[:-1], p["units"]), shape[-1] * p["units"] + p["units"])


def elementwise(row: Row, p: LayerParams, flow: Flow, shape: Shape) -> None:
    """Same shape, no weights; word ids stay ids (Dropout, Activation)."""
    _set(row, flow, shape, 0, keeps_ids=True)


def spatial_dropout(row: Row, p: LayerParams, flow: Flow, shape: Shape) -> None:
    if _sequence(row, flow, shape, recover=True) is not None:
        _set(row, flow, shape, 0)  # the input's shape, even a vector (the error says so above)


def layer_norm(row: Row, p: LayerParams, flow: Flow, shape: Shape) -> None:
    _set(row, flow, shape, 2 * shape[-1])  # scale and offset per feature


def batch_norm(row: Row, p: LayerParams, flow: Flow, shape: Shape) -> None:
    # scale and offset are trained; the running mean and variance are not
    _set(row, flow, shape, 2 * shape[-1], non_trainable=2 * shape[-1])


def flatten(row: Row, p: LayerParams, flow: Flow, shape: Shape) -> None:
    if len(shape) >= 2:
        flow.reducer = row
    _set(row, flow, (math.prod(shape),), 0)


# ---------------------------------------------------------------------------------------
# Attention


def transformer_encoder(row: Row, p: LayerParams, flow: Flow, shape: Shape) -> None:
    """A post-norm encoder block: MultiHeadAttention(num_heads, key_dim) with query, key, value
    and output projections (biases on), two LayerNormalizations and the feed-forward pair."""
    known = len(row.errors)
    seq = _sequence(row, flow, shape, recover=True)
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
            flow.shape = None
            return
        if width % heads:
            divisors = [d for d in range(1, min(width, 64) + 1) if width % d == 0]
            row.errors.append(
                f"num_heads={heads} does not divide the input width {width}, so the heads cannot split it evenly (key_dim 0 means width / num_heads). "
                f"Fix: set num_heads to a divisor of {width} ({', '.join(map(str, divisors[:8]))}), or set key_dim to a positive size."
            )
            flow.shape = None
            return
        key_dim = width // heads
    if steps < 2 and len(row.errors) == known:  # (a vector input was said above)
        where = f"layer {flow.reducer.index} ({flow.reducer.type}) reduced the sequence to one step" if flow.reducer is not None else "its input has a single step"
        row.errors.append(
            f"self-attention needs a sequence of several steps, but {where}: each step would attend only to itself. "
            "Fix: raise vectorize.length, or move the layer that reduces the sequence (pooling, a recurrent layer without return_sequences) after this one."
        )
    inner = heads * key_dim
    attention = 3 * (width * inner + inner) + inner * width + width
    ffn = width * p["intermediate_dim"] + p["intermediate_dim"] + p["intermediate_dim"] * width + width
    _set(row, flow, (steps, width), attention + ffn + 4 * width)
