"""What `train` refuses before a model is built, shared by the Trainer and `inspect`.

TF-free: `kerminal inspect` exits 1 on exactly what `kerminal train` would refuse.
"""

from __future__ import annotations

import numpy as np

from engine import memory
from engine.dataset import Dataset
from engine.errors import TrainingError
from engine.experiment import Experiment
from engine.vectorize import check_classes


def check_dataset(dataset: Dataset) -> None:
    """Raise TrainingError unless the dataset can train a classifier."""
    if len(dataset.train) == 0:
        raise TrainingError("The training split is empty.", "Load a dataset with rows, or lower data.split.validation / data.split.test.")
    if dataset.num_classes < 2:
        raise TrainingError(f"The dataset has only {dataset.num_classes} class ({', '.join(dataset.class_names) or 'none'}); a classifier needs at least two.", "Add rows of another class, or check the label column.")
    for name, split in dataset.splits().items():
        if len(split) and (split.labels.min() < 0 or split.labels.max() >= dataset.num_classes):
            raise TrainingError(f"The {name} split has labels outside 0..{dataset.num_classes - 1}.", "Rebuild the dataset with engine.data.load_dataset.")
    present = np.unique(dataset.train.labels)
    if len(present) < 2:
        only = dataset.class_names[int(present[0])]
        raise TrainingError(f"The training split holds only one class ({only!r}); a classifier needs examples of at least two.", "Add rows of another class, or change data.split / data.limit.")


def check_vectorizer(exp: Experiment, dataset: Dataset) -> None:
    """Raise DataError when the vectorizer cannot be fitted to this data's classes (an nb bag
    of n-grams needs exactly two, both in the training split)."""
    check_classes(exp.vectorize, dataset.class_names, dataset.train.labels)


def check_memory(exp: Experiment, dataset: Dataset, params: int | None = None) -> None:
    """Raise TrainingError when the stack's weights and optimizer state cannot fit in the free
    memory (engine/memory.py), before TensorFlow tries to allocate them. Nothing is refused
    when the free memory cannot be read. `params`: the stack's count, if already validated."""
    if params is None:
        from engine.layers.validate import validate_experiment

        params = validate_experiment(exp, dataset).total
    big = memory.too_big(params, exp.compile.optimizer)
    if big is not None:
        raise TrainingError(f"The layer stack is too big to train: {big.problem}.", big.fix)


def resolve_monitor(exp: Experiment, has_validation: bool) -> str:
    """fit.monitor as Keras logs it ("val_acc" -> "val_accuracy"; without a validation split
    "val_loss" -> "loss"); TrainingError naming the choices when the model does not log it."""
    monitor = exp.fit.monitor or "val_loss"
    if not has_validation and monitor.startswith("val_"):
        monitor = monitor[4:]
    prefix = "val_" if monitor.startswith("val_") else ""
    base = monitor[len(prefix) :]
    base = "accuracy" if base == "acc" else base  # Keras logs "acc" as "accuracy" here
    known = ["loss", *dict.fromkeys("accuracy" if m == "acc" else str(m) for m in exp.compile.metrics)]
    if base not in known:
        choices = ", ".join([*known, *(f"val_{k}" for k in known)] if has_validation else known)
        raise TrainingError(f"fit.monitor: {exp.fit.monitor!r} is not a metric this model logs.", f"Use one of: {choices}.")
    return prefix + base
