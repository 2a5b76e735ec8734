"""What model.fit gets, made once per Trainer: the model (validated, then built with the seed
unless one was given), the labels encoded as the loss needs them, and the texts either
vectorized once into ids for the numeric stack that shares the string model's weights
(numeric.py) or kept as strings when they would not fit in memory or the model cannot
split. `compile_fit_model` compiles that stack with the string model's own optimizer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from engine import text_cap
from engine.dataset import Dataset
from engine.errors import KerminalError, TrainingError
from engine.experiment import Experiment
from engine.progress import Counter, OnPhase
from engine.training import numeric
from engine.training.checks import check_memory
from engine.training.failures import first_line, vectorize_failure

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from engine.layers.report import LossPlan
    from engine.prepared import PreparedCache

# A model input as Keras takes it: a tf.string tensor of the texts, or an array of their ids.
KerasInput = Any
Validation = tuple[KerasInput, np.ndarray] | None
FitData = tuple[KerasInput, np.ndarray, Validation]  # x, y and the validation pair


def encode_inputs(texts: Sequence[str]) -> KerasInput:
    """Texts as the string model's input: a (n, 1) string tensor (Keras 3's numpy adapter
    rejects object and str arrays, so the object array goes through tf.constant)."""
    import tensorflow as tf

    return tf.constant(np.asarray(list(texts), dtype=object).reshape(-1, 1), dtype=tf.string)


def encode_labels(labels: np.ndarray, kind: str, num_classes: int) -> np.ndarray:
    """Integer labels as the loss needs them: 'binary' floats (n, 1), 'sparse' ints (n,),
    'onehot' floats (n, num_classes)."""
    labels = np.asarray(labels, dtype=np.int64)
    if kind == "binary":
        return labels.astype("float32").reshape(-1, 1)
    if kind == "sparse":
        return labels
    if kind == "onehot":
        return np.eye(num_classes, dtype="float32")[labels]
    raise TrainingError(f"Unknown label encoding {kind!r}.", "Use 'binary', 'sparse' or 'onehot'.")


def build_model(exp: Experiment, ds: Dataset, model: keras.Model | None, phase: OnPhase, prepared: PreparedCache | None = None) -> tuple[keras.Model, LossPlan]:
    """The model to train (`model`, else built with the seed) and how its loss is trained.
    The run's one validation of its stack: the memory check, the build and the loss read it.
    `prepared`: the cache that holds (or is to keep) the adapted vectorizer."""
    import keras

    from engine import layers
    from engine.layers.validate import raise_invalid, validate_experiment

    state = prepared.vectorizer() if model is None and prepared is not None else None
    phase("checking the layer stack")
    checked = exp
    if state is not None and exp.vectorize.kind == "chars" and not exp.vectorize.alphabet:
        # the cached alphabet: validating does not read every text for it (streamed data: a pass)
        checked = exp.copy()
        checked.vectorize.alphabet = "".join(state.vocabulary)
    report = validate_experiment(checked, ds)
    if not report.ok or report.loss is None:
        raise_invalid(report)
    if model is None:
        check_memory(exp, ds, params=report.total)  # before TensorFlow allocates weights that cannot fit
        try:
            keras.utils.set_random_seed(exp.fit.seed)
            try:
                model = layers.build(exp, ds, validated=report, on_phase=phase, vectorizer=state)
            except KerminalError:
                raise
            except Exception:
                if state is None or prepared is None:
                    raise
                # A cached vocabulary Keras refuses (tampered with): adapt afresh instead.
                prepared.refuse_vectorizer()
                keras.utils.set_random_seed(exp.fit.seed)
                model = layers.build(exp, ds, validated=report, on_phase=phase)
        except KerminalError:
            raise
        except Exception as exc:
            raise TrainingError(f"The model could not be built: {first_line(exc)}", "Check the layer stack in the Layers pane or with `kerminal inspect`.") from None
        if prepared is not None and prepared.on:
            from engine.vectorize import NB_LAYER, vectorizer_state

            built = model
            prepared.keep_vectorizer(lambda: vectorizer_state(exp.vectorize, [layer for layer in built.layers if layer.name in ("vectorize", NB_LAYER)]))
    return model, report.loss


def fit_inputs(exp: Experiment, ds: Dataset, model: keras.Model, plan: LossPlan, cut: int, phase: OnPhase, prepared: PreparedCache | None = None) -> tuple[FitData, keras.Model, str]:
    """The data model.fit trains on, the model it trains (the numeric stack, else `model`
    itself) and the pipeline in words, for the Started event. `cut`: how many texts were
    cut to the vectorizer's character cap; `prepared`: the cache of the vectorized ids."""
    y = encode_labels(ds.train.labels, plan.labels, ds.num_classes)
    yv = encode_labels(ds.validation.labels, plan.labels, ds.num_classes) if len(ds.validation) else None
    parts = numeric.split_model(model)
    rows = len(ds.train) + len(ds.validation)
    pipeline = ""
    if parts is not None and not numeric.fits_in_memory(rows, parts.length):
        need, free = numeric.cache_bytes(rows, parts.length), numeric.free_memory_bytes() or 0
        pipeline = f"texts tokenized in every batch (their ids would take {numeric.format_bytes(need)} of {numeric.format_bytes(free)} free memory)"
        parts = None
    if parts is not None:
        x, xv = _ids(parts, ds, model, phase, prepared)
        val = (xv, yv) if yv is not None else None
        fit_model = parts.stack
        pipeline = f"texts vectorized once ({numeric.format_bytes(numeric.cache_bytes(rows, parts.length))} of ids)"
    else:
        x = encode_inputs(ds.train.texts)
        val = (encode_inputs(ds.validation.texts), yv) if yv is not None else None
        fit_model = model
        if not pipeline and exp.vectorize.kind == "ngrams":
            # A bag of n-grams is max_tokens floats per text: cached for 25,000 reviews and
            # 20,000 n-grams that would be 2 GB, so TextVectorization runs in every batch.
            pipeline = f"texts turned into bags of {exp.vectorize.max_tokens:,} n-grams in every batch (cached, they would take {numeric.format_bytes(4 * rows * exp.vectorize.max_tokens)})"
        pipeline = pipeline or "texts tokenized in every batch (the model does not start with kerminal's vectorizer)"
    if cut:
        pipeline += "; " + text_cap.cut_note(cut, exp.vectorize)
    if prepared is not None and prepared.note():
        pipeline += "; " + prepared.note()
    return (x, y, val), fit_model, pipeline


def _ids(parts: numeric.NumericModel, ds: Dataset, model: keras.Model, phase: OnPhase, prepared: PreparedCache | None) -> tuple[np.ndarray, np.ndarray]:
    """The training and validation texts' ids: from the cache (memory-mapped), else vectorized
    once here and kept there."""
    layer = model.get_layer("vectorize")
    vocab = [str(t) for t in layer.get_vocabulary()] if prepared is not None else []
    rows = (len(ds.train), len(ds.validation))
    cached = prepared.ids(vocab, rows, parts.length, max(len(vocab), 1)) if prepared is not None else None
    if cached is not None:
        phase(f"using the vectorized texts from the cache ({sum(rows):,} texts)")
        return cached
    tick = Counter(phase, "vectorizing texts", sum(rows))
    try:
        x = numeric.vectorize(parts, ds.train.texts, tick=tick)
        xv = numeric.vectorize(parts, ds.validation.texts, tick=tick, start=len(ds.train))
    except Exception as exc:
        raise vectorize_failure(exc) from None
    if prepared is not None:
        prepared.keep_ids(vocab, x, xv)
    return x, xv


def compile_fit_model(model: keras.Model, fit_model: keras.Model, exp: Experiment, plan: LossPlan, xla: bool | str) -> None:
    """Compile the numeric stack with the string model's own optimizer object, so both hold
    one optimizer state and last.keras saves it. The string model itself keeps its compile
    (TextVectorization cannot be XLA-compiled); one that has none gets the same one."""
    from engine.layers.build import make_loss, make_metrics, make_optimizer

    optimizer = getattr(model, "optimizer", None) or make_optimizer(exp.compile)
    loss = getattr(model, "loss", None) or make_loss(plan)
    if getattr(model, "optimizer", None) is not optimizer:
        model.compile(optimizer=optimizer, loss=loss, metrics=make_metrics(exp.compile.metrics, plan))
    fit_model.compile(optimizer=optimizer, loss=loss, metrics=make_metrics(exp.compile.metrics, plan), jit_compile=xla)
