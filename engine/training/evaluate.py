"""Evaluation of a model or run on a split: loss, accuracy, confusion, per-class P/R/F1, and
the most confidently misclassified examples. Probabilities come from the Predictor's
compiled call (batched); the loss is the mean cross-entropy of the true class, clipped at
1e-7 as Keras clips it (binary and categorical cross-entropy agree on that form)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from engine.dataset import Dataset, Split
from engine.errors import DataError, RunError

if TYPE_CHECKING:  # pragma: no cover
    import keras
    
    from engine.experiment import Experiment
    from engine.runs.store import Run
    from engine.training.predictor import Predictor

EPSILON = 1e-7


@dataclass(frozen=True)
class Misclassified:
    text: str
    true: str
    predicted: str
    confidence: float  # the predicted class's probability


@dataclass
class Evaluation:
    loss: float
    accuracy: float
    confusion: list[list[int]]  # rows: true class, columns: predicted class (class order)
    per_class: dict[str, dict[str, float]]  # name -> precision, recall, f1, support
    misclassified: list[Misclassified]
    class_names: list[str] = field(default_factory=list)
    samples: int = 0
    split: str = ""  # which split (or file) this was measured on

    @property
    def macro_f1(self) -> float:
        return float(np.mean([c["f1"] for c in self.per_class.values()])) if self.per_class else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "samples": self.samples,
            "loss": self.loss,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "class_names": list(self.class_names),
            "confusion": self.confusion,
            "per_class": self.per_class,
            "misclassified": [m.__dict__ for m in self.misclassified],
        }

    def format(self) -> str:
        """A plain-text report (the headless `kerminal eval` output)."""
        names = self.class_names
        w = max(9, *(len(n) for n in names)) + 1
        lines = [
            f"{self.split or 'data'}: {self.samples} samples  loss {self.loss:.4f}  accuracy {self.accuracy:.4f}  macro F1 {self.macro_f1:.4f}",
            "",
            "confusion (rows: true, columns: predicted)",
            " " * w + "".join(f"{n:>{w}}" for n in names),
        ]
        for name, row in zip(names, self.confusion, strict=True):
            lines.append(f"{name:<{w}}" + "".join(f"{v:>{w}}" for v in row))
        lines += ["", f"{'class':<{w}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
        for name, c in self.per_class.items():
            lines.append(f"{name:<{w}}{c['precision']:>10.4f}{c['recall']:>10.4f}{c['f1']:>10.4f}{int(c['support']):>10d}")
        if self.misclassified:
            lines += ["", "most confidently wrong"]
            for m in self.misclassified:
                text = m.text if len(m.text) <= 70 else m.text[:67] + "..."
                lines.append(f"  {m.confidence:.3f} {m.predicted} (true {m.true}): {text}")
        return "\n".join(lines)


def metrics_from_probabilities(probs: np.ndarray, labels: np.ndarray, class_names: Sequence[str], texts: Sequence[str] = (), top: int = 10, split: str = "") -> Evaluation:
    """The Evaluation of (n, classes) probabilities against integer labels."""
    probs = np.asarray(probs, dtype="float64")
    labels = np.asarray(labels, dtype=np.int64)
    k = len(class_names)
    n = len(labels)
    pred = probs.argmax(axis=1)
    p_true = np.clip(probs[np.arange(n), labels], EPSILON, 1.0)
    loss = float(-np.log(p_true).mean())
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (labels, pred), 1)
    per_class = {}
    for i, name in enumerate(class_names):
        tp = confusion[i, i]
        col, row = confusion[:, i].sum(), confusion[i, :].sum()
        precision = tp / col if col else 0.0
        recall = tp / row if row else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[str(name)] = {"precision": float(precision), "recall": float(recall), "f1": float(f1), "support": int(row)}
    wrong = np.flatnonzero(pred != labels)
    conf = probs[wrong, pred[wrong]] if len(wrong) else np.zeros(0)
    order = wrong[np.argsort(-conf, kind="stable")][:top]
    mis = [Misclassified(str(texts[i]) if len(texts) else "", str(class_names[labels[i]]), str(class_names[pred[i]]), float(probs[i, pred[i]])) for i in order]
    return Evaluation(loss, float((pred == labels).mean()), confusion.tolist(), per_class, mis, [str(c) for c in class_names], n, split)


def evaluate(model_or_run: keras.Model | Predictor | Run | str | os.PathLike[str], split_or_dataset: Split | Dataset, class_names: Sequence[str] | None = None, exp: Experiment | None = None, top: int = 10) -> Evaluation:
    """Evaluate a keras Model, a Predictor, a loaded Run, or a run folder path on a Split or
    a Dataset (its test split; its validation split when it has no test rows)."""
    from engine.runs import Run
    from engine.training.predictor import Predictor

    if isinstance(split_or_dataset, Dataset):
        ds = split_or_dataset
        split, name = (ds.test, "test") if len(ds.test) else (ds.validation, "validation")
        class_names = class_names or ds.class_names
    else:
        split, name = split_or_dataset, "data"
    if not len(split):
        raise DataError("There is nothing to evaluate on: the test and validation splits are empty.", "Set data.split.test in the experiment, or evaluate on a file (`kerminal eval RUN --file data.csv`).")
    if isinstance(model_or_run, (str, os.PathLike)):
        model_or_run = Predictor.from_run(model_or_run)
    if isinstance(model_or_run, Run):
        class_names = class_names or model_or_run.class_names
        model_or_run = Predictor(model_or_run.model, model_or_run.class_names, model_or_run.experiment)
    if isinstance(model_or_run, Predictor):
        predictor = model_or_run
        class_names = class_names or predictor.class_names
    else:
        if not class_names:
            raise RunError("evaluate() needs the class names for a bare model.", "Pass class_names=, or a Dataset.")
        predictor = Predictor(model_or_run, class_names, exp)
    if int(split.labels.max()) >= len(class_names):
        raise DataError(f"The labels go up to {int(split.labels.max())} but the model knows {len(class_names)} classes.", "Evaluate on data with the run's classes.")
    texts: Any = split.texts
    if hasattr(texts, "chunks"):  # streamed (engine.data.stream): predicted a chunk at a time
        return _streamed(predictor, texts, split.labels, list(class_names), top, name)
    probs = predictor.probabilities(split.texts)
    return metrics_from_probabilities(probs, split.labels, list(class_names), split.texts, top, name)


def _streamed(predictor: Predictor, texts: Any, labels: np.ndarray, class_names: list[str], top: int, name: str) -> Evaluation:
    """evaluate on streamed texts: probabilities (n x classes floats) a chunk at a time; the
    texts of the most confidently wrong rows fetched in one more pass."""
    parts = [predictor.probabilities(chunk) for chunk in texts.chunks()]
    probs = np.concatenate(parts) if parts else np.zeros((0, len(class_names)), dtype="float32")
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != labels)
    order = wrong[np.argsort(-probs[wrong, pred[wrong]], kind="stable")][:top]
    picked = texts.pick(order.tolist())
    return metrics_from_probabilities(probs, labels, class_names, _Picked(len(labels), picked), top, name)


class _Picked(Sequence[str]):
    """The few texts evaluate shows, by row (others read as "")."""

    def __init__(self, n: int, texts: dict[int, str]) -> None:
        self.n, self.texts = n, texts

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> Any:
        return self.texts.get(int(i), "")
