"""Build a compiled Keras model from an experiment: raw strings in, the stack, the head.

TensorFlow/Keras is imported inside the functions only. The stack is validated first
(pure Python); an invalid stack raises LayerError with the validation message, so the user
never sees a TensorFlow traceback. Each Keras layer gets exactly the resolved parameters
that validation counted.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from engine.config import LayerParams
from engine.errors import LayerError
from engine.experiment import CompileConfig, Experiment
from engine.layers.registry import KerasCall, layer_call
from engine.layers.report import LossPlan, Report
from engine.layers.validate import _spec_for, loss_plan, raise_invalid, validate
from engine.progress import OnPhase, silent
from engine.vectorize import InputSpec, VectorizerState

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from engine.dataset import Dataset


def make_layer(call: KerasCall) -> keras.layers.Layer:
    """Run a KerasCall (export prints the same call as `call.code()`)."""
    import keras

    from engine import keras_layers

    cls = getattr(keras_layers if call.custom else keras.layers, call.cls)
    return cls(**{k: make_layer(v) if isinstance(v, KerasCall) else v for k, v in call.kwargs.items()})


def keras_layer(type: str, p: LayerParams, name: str | None = None, vocab_size: int = 0, cudnn: bool = True) -> keras.layers.Layer:
    """One Keras layer from resolved parameters (registry defaults filled in)."""
    return make_layer(layer_call(type, p, name, vocab_size, cudnn))


def model_name(name: str) -> str:
    """A Keras model name for any experiment name: Keras takes only root scope names
    [A-Za-z0-9.][A-Za-z0-9_.\\-/]*, so accents are dropped ("Überblick" -> "Uberblick"),
    other characters become "_" and leading ones that may not start a name are removed."""
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"^[^A-Za-z0-9.]+", "", re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_name)) or "model"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", name).lower()


def stack_calls(report: Report, spec: InputSpec) -> list[KerasCall]:
    """The Keras calls of a validated stack, named `l<N>_<type>` after their row: what build
    runs and export prints."""
    return [layer_call(r.type, r.resolved, f"l{r.index}_{_snake(r.type)}", spec.vocab_size, r.cudnn) for r in report.rows]


def stack_layers(report: Report, spec: InputSpec) -> list[keras.layers.Layer]:
    """The Keras layers of a validated stack."""
    return [make_layer(call) for call in stack_calls(report, spec)]


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


def build(exp: Experiment, dataset: Dataset, validated: Report | None = None, on_phase: OnPhase = silent, vectorizer: VectorizerState | None = None) -> keras.Model:
    """A compiled Keras model: (batch, 1) strings -> vectorizer (fitted on dataset.train) ->
    the stack. Raises LayerError with the validation message if the stack is invalid.
    `validated`: this experiment's report on this dataset (validate_experiment), when the
    caller already has it; `on_phase` hears "adapting the vectorizer", "building the model";
    `vectorizer`: what an earlier adapt on the same texts and settings learned (the
    prepared-data cache), to make the vectorizer from without adapting."""
    import keras

    from engine.vectorize import make_vectorizer

    spec = _spec_for(exp, dataset.train.texts)
    report = validated if validated is not None else validate(exp.layers, spec, dataset.num_classes, exp.compile, exp.vectorize.padding)
    if not report.ok or report.loss is None:
        raise_invalid(report)
    inputs = keras.Input(shape=(1,), dtype="string", name="text")
    x = inputs
    if vectorizer is not None:
        on_phase(f"using the prepared vectorizer from the cache ({len(vectorizer.vocabulary):,} entries)")
    else:
        on_phase(f"adapting the vectorizer to {len(dataset.train):,} texts" if exp.vectorize.kind != "chars" else "making the vectorizer")
    for layer in make_vectorizer(exp.vectorize, dataset.train.texts, vectorizer, dataset.train.labels, dataset.class_names):
        x = layer(x)
    on_phase("building the model")
    for row, layer in zip(report.rows, stack_layers(report, spec), strict=True):
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


__all__ = ["build", "keras_layer", "make_layer", "stack_calls", "loss_plan", "make_loss", "make_metrics", "make_optimizer", "probability_model", "stack_layers"]
