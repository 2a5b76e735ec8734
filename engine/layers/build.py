"""Build a compiled Keras model from an experiment: raw strings in, the stack, the head.

TensorFlow/Keras is imported inside the functions only. The stack is validated first
(pure Python); an invalid stack raises LayerError with the validation message, so the user
never sees a TensorFlow traceback. Each Keras layer gets exactly the resolved parameters
that validation counted.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from engine.errors import LayerError
from engine.experiment import CompileConfig, Experiment
from engine.layers.validate import LossPlan, Report, _spec_for, loss_plan, raise_invalid, validate
from engine.vectorize import InputSpec

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from engine.dataset import Dataset


def keras_layer(type: str, p: dict[str, Any], name: str | None = None, vocab_size: int = 0, cudnn: bool = True) -> keras.layers.Layer:
    """One Keras layer from resolved parameters (registry defaults filled in)."""
    import keras

    L = keras.layers
    kw: dict[str, Any] = {"name": name} if name else {}
    if type == "Embedding":
        return L.Embedding(p["input_dim"] or vocab_size, p["output_dim"], mask_zero=p["mask_zero"], **kw)
    if type in ("SimpleRNN", "LSTM", "GRU"):
        args = dict(units=p["units"], activation=p["activation"], dropout=p["dropout"], recurrent_dropout=p["recurrent_dropout"], return_sequences=p["return_sequences"])
        if type == "GRU":
            args["reset_after"] = p["reset_after"]
        if type != "SimpleRNN" and not cudnn:
            args["use_cudnn"] = False
        return getattr(L, type)(**args, **kw)
    if type == "Bidirectional":
        inner = p["layer"]
        return L.Bidirectional(keras_layer(inner["type"], inner, cudnn=cudnn), merge_mode=p["merge_mode"], **kw)
    if type == "Conv1D":
        return L.Conv1D(p["filters"], p["kernel_size"], strides=p["strides"], padding=p["padding"], dilation_rate=p["dilation_rate"], activation=p["activation"], **kw)
    if type == "MaxPooling1D":
        return L.MaxPooling1D(p["pool_size"], strides=p["strides"] or None, padding=p["padding"], **kw)
    if type in ("GlobalMaxPooling1D", "GlobalAveragePooling1D", "Flatten"):
        return getattr(L, type)(**kw)
    if type == "Dense":
        return L.Dense(p["units"], activation=p["activation"], **kw)
    if type in ("Dropout", "SpatialDropout1D"):
        return getattr(L, type)(p["rate"], **kw)
    if type == "Activation":
        return L.Activation(p["activation"], **kw)
    if type == "LayerNormalization":
        return L.LayerNormalization(epsilon=p["epsilon"], **kw)
    if type == "BatchNormalization":
        return L.BatchNormalization(momentum=p["momentum"], epsilon=p["epsilon"], **kw)
    if type == "TokenAndPositionEmbedding":
        from engine.keras_layers import TokenAndPositionEmbedding

        return TokenAndPositionEmbedding(p["input_dim"] or vocab_size, p["output_dim"], mask_zero=p["mask_zero"], **kw)
    if type == "TransformerEncoder":
        from engine.keras_layers import TransformerEncoder

        return TransformerEncoder(p["num_heads"], p["intermediate_dim"], key_dim=p["key_dim"], dropout=p["dropout"], activation=p["activation"], **kw)
    raise LayerError(f"Unknown layer type {type!r}.", "Run `kerminal presets` or see the layer list in the app.")


def model_name(name: str) -> str:
    """A Keras model name for any experiment name: Keras takes only root scope names
    [A-Za-z0-9.][A-Za-z0-9_.\\-/]*, so accents are dropped ("Überblick" -> "Uberblick"),
    other characters become "_" and leading ones that may not start a name are removed."""
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"^[^A-Za-z0-9.]+", "", re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_name)) or "model"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", name).lower()


def stack_layers(report: Report, spec: InputSpec) -> list[keras.layers.Layer]:
    """The Keras layers of a validated stack, named `l<N>_<type>` after their row."""
    return [keras_layer(r.type, r.resolved, f"l{r.index}_{_snake(r.type)}", spec.vocab_size, r.cudnn) for r in report.rows]


def make_optimizer(cfg: CompileConfig) -> Any:
    import keras

    cls = {"rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD, "adamw": keras.optimizers.AdamW}.get(cfg.optimizer)
    if cls is None:
        raise LayerError(f"compile.optimizer: unknown optimizer {cfg.optimizer!r}.", "Use rmsprop, adam, sgd or adamw.")
    return cls() if cfg.learning_rate is None else cls(learning_rate=cfg.learning_rate)


def make_loss(plan: LossPlan) -> Any:
    import keras

    cls = {
        "binary_crossentropy": keras.losses.BinaryCrossentropy,
        "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
        "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
    }[plan.loss]
    return cls(from_logits=plan.from_logits)


def make_metrics(names: list[str], plan: LossPlan) -> list[Any]:
    """Metric objects that match the head: accuracy on logits thresholds at 0, not 0.5."""
    import keras

    M = keras.metrics
    out = []
    for m in dict.fromkeys("accuracy" if m == "acc" else m for m in names):
        if m == "accuracy":
            if plan.labels == "binary":
                out.append(M.BinaryAccuracy(name="accuracy", threshold=0.0 if plan.from_logits else 0.5))
            elif plan.labels == "sparse":
                out.append(M.SparseCategoricalAccuracy(name="accuracy"))
            else:
                out.append(M.CategoricalAccuracy(name="accuracy"))
        elif m == "auc":
            out.append(M.AUC(name="auc", from_logits=plan.from_logits))
        elif m == "precision":
            out.append(M.Precision(name="precision"))
        elif m == "recall":
            out.append(M.Recall(name="recall"))
    return out


def build(exp: Experiment, dataset: Dataset) -> keras.Model:
    """A compiled Keras model: (batch, 1) strings -> vectorizer (fitted on dataset.train) ->
    the stack. Raises LayerError with the validation message if the stack is invalid."""
    import keras

    from engine.vectorize import make_vectorizer

    spec = _spec_for(exp, dataset.train.texts)
    report = validate(exp.layers, spec, dataset.num_classes, exp.compile, exp.vectorize.padding)
    if not report.ok or report.loss is None:
        raise_invalid(report)
    inputs = keras.Input(shape=(1,), dtype="string", name="text")
    x = inputs
    for layer in make_vectorizer(exp.vectorize, dataset.train.texts):
        x = layer(x)
    for row, layer in zip(report.rows, stack_layers(report, spec)):
        try:
            x = layer(x)
        except Exception as exc:  # validation should have caught it; never show a TF traceback
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise LayerError(f"Keras could not build {row.label}: {first}", "Change that layer's settings; `kerminal inspect` shows the stack.") from exc
    model = keras.Model(inputs, x, name=model_name(exp.name))
    model.compile(optimizer=make_optimizer(exp.compile), loss=make_loss(report.loss), metrics=make_metrics(exp.compile.metrics, report.loss))
    return model


def probability_model(model: keras.Model, exp: Experiment) -> keras.Model:
    """The model with sigmoid/softmax appended when its stack ends in logits; else itself."""
    import keras

    units = int(model.output_shape[-1])
    plan = loss_plan(exp, 2 if units == 1 else units)
    if not plan.from_logits:
        return model
    out = keras.layers.Activation("sigmoid" if units == 1 else "softmax", name="probabilities")(model.outputs[0])
    return keras.Model(model.inputs, out, name=f"{model.name}_probabilities")


__all__ = ["build", "keras_layer", "loss_plan", "make_loss", "make_metrics", "make_optimizer", "probability_model", "stack_layers"]
