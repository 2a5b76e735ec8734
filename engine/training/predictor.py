"""Predictor: raw text in; label, class probabilities and latency out.

One prediction is one call of a `tf.function` with the fixed input signature
`TensorSpec([None, 1], tf.string)`, traced once and warmed up when the Predictor is made, so
no call retraces (`tracing_count` stays 1) and none builds a `model.predict` data pipeline.
A model that ends in logits gets its sigmoid/softmax from `engine.layers.probability_model`;
a single sigmoid unit p reads as the two class probabilities [1 - p, p].
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from engine import text_cap
from engine.errors import PredictError, RunError

if TYPE_CHECKING:  # pragma: no cover
    import keras
    
    from engine.experiment import Experiment
    from engine.runs.store import Run


@dataclass(frozen=True)
class Prediction:
    text: str
    label: str
    probabilities: dict[str, float]  # class name -> probability, in class order
    latency_ms: float  # for predict_many: the batch's time divided by its size

    @property
    def confidence(self) -> float:
        return self.probabilities[self.label]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "label": self.label, "probabilities": dict(self.probabilities), "latency_ms": self.latency_ms}


class Predictor:
    def __init__(self, model: keras.Model, class_names: Sequence[str], exp: Experiment | None = None, warm_up: bool = True) -> None:
        """`model`: a string-input Keras model; `exp`: its Experiment (to know whether the
        stack ends in logits; without it the model's outputs are taken as probabilities)."""
        import tensorflow as tf

        self.class_names = [str(c) for c in class_names]
        if len(self.class_names) < 2:
            raise RunError(f"A predictor needs at least two class names, got {self.class_names}.", "Pass the dataset's class_names.")
        self.model = model
        self.exp = exp
        if exp is not None:
            from engine import layers

            self.prob_model = layers.probability_model(model, exp)
        else:
            self.prob_model = model
        units = self.prob_model.output_shape[-1]
        k = len(self.class_names)
        if units not in (1, k) or (units == 1 and k != 2):
            raise RunError(f"The model has {units} output units but there are {k} classes ({', '.join(self.class_names)}).", "Use the run's own class names, or end the stack in Dense(1) for two classes or Dense(classes).")
        self._sigmoid = units == 1
        # Texts are cut to the vectorizer's character cap, as they were in training.
        self._cap = (lambda t: text_cap.cap_text(t, exp.vectorize)) if exp is not None else (lambda t: t)
        prob = self.prob_model
        self._fn = tf.function(lambda x: prob(x, training=False), input_signature=[tf.TensorSpec([None, 1], tf.string)])
        self._tf = tf
        if warm_up:
            self._fn(tf.constant([["warm up"]]))

    @classmethod
    def from_run(cls, run: Run | str | os.PathLike[str], which: str = "best", runs_dir: str | os.PathLike[str] = "runs") -> Predictor:
        """From a run folder (a path, or an id under `runs_dir`) or a loaded `Run`."""
        from engine.runs.store import Run, RunStore

        if not isinstance(run, Run):
            run = RunStore(runs_dir).load(run, which=which)
        return cls(run.model, run.class_names, run.experiment)

    @property
    def tracing_count(self) -> int:
        """How many times the compiled function was traced (1 after warm-up, and it stays 1)."""
        return int(self._fn.experimental_get_tracing_count())

    def probabilities(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """(n, classes) probabilities, in batches of `batch_size` through the compiled call."""
        texts = [str(t) for t in texts]
        out = []
        for i in range(0, len(texts), batch_size):
            chunk = np.asarray([self._cap(t) for t in texts[i : i + batch_size]], dtype=object).reshape(-1, 1)
            out.append(self._as_classes(self._fn(self._tf.constant(chunk, dtype=self._tf.string)).numpy()))
        if not out:
            return np.zeros((0, len(self.class_names)), dtype="float32")
        return np.concatenate(out, axis=0)

    def _as_classes(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype="float32").reshape(raw.shape[0], -1)
        if self._sigmoid:
            return np.concatenate([1.0 - raw, raw], axis=1)
        return raw

    def _prediction(self, text: str, probs: np.ndarray, latency_ms: float) -> Prediction:
        i = int(np.argmax(probs))
        return Prediction(text, self.class_names[i], {c: float(p) for c, p in zip(self.class_names, probs, strict=True)}, latency_ms)

    def predict(self, text: str) -> Prediction:
        """One text: one compiled call on a batch of one. PredictError if it is empty."""
        text = str(text)
        if not text.strip():
            raise PredictError("The text is empty: there is nothing to classify.", "Type some text to classify.")
        t0 = time.perf_counter()
        raw = self._fn(self._tf.constant([[self._cap(text)]], dtype=self._tf.string)).numpy()
        probs = self._as_classes(raw)[0]
        return self._prediction(text, probs, (time.perf_counter() - t0) * 1000.0)

    def predict_many(self, texts: Sequence[str], batch_size: int = 256) -> list[Prediction]:
        """Many texts in batches; PredictError naming the empty ones (none is predicted then)."""
        texts = [str(t) for t in texts]
        if not texts:
            return []
        empty = [i for i, t in enumerate(texts, 1) if not t.strip()]
        if empty:
            which = ", ".join(map(str, empty[:10])) + (", ..." if len(empty) > 10 else "")
            raise PredictError(f"{'Text' if len(empty) == 1 else 'Texts'} {which} of {len(texts)} {'is' if len(empty) == 1 else 'are'} empty: there is nothing to classify.", "Leave empty texts out.")
        t0 = time.perf_counter()
        probs = self.probabilities(texts, batch_size)
        each = (time.perf_counter() - t0) * 1000.0 / len(texts)
        return [self._prediction(t, p, each) for t, p in zip(texts, probs, strict=True)]
