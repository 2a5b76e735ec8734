"""Many small finished run folders written by hand (an experiment, metrics.json, a short
history.csv and an empty best.keras): for the filter, the sort, the Runs pane and the
500-run listing. No training, so a few hundred cost a second."""

from __future__ import annotations

import json
from pathlib import Path

from engine.experiment import Experiment, LayerSpec, save
from engine.runs import folder as F

LEARNING_RATES = (1e-3, 3e-4, 1e-2)


def many_run(root: Path, i: int, val_accuracy: float | None = None, kind: str | None = None, lr: float | None = None, status: str = "finished") -> Path:
    """Run number `i`: learning rate, vectorizer kind and best val_accuracy vary with i
    (or as given); a words run has an Embedding stack, an n-gram run one Dense layer."""
    exp = Experiment(name=f"run{i}")
    exp.compile.learning_rate = lr if lr is not None else LEARNING_RATES[i % 3]
    exp.vectorize.kind = kind or ("words", "ngrams")[i % 2]
    if exp.vectorize.kind == "words":
        exp.layers = [LayerSpec("Embedding", {"output_dim": 8}), LayerSpec("GlobalAveragePooling1D", {}), LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})]
    else:
        exp.layers = [LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})]
    acc = val_accuracy if val_accuracy is not None else 0.5 + i / 2000
    path = root / f"20260101-{i:06d}-r"
    path.mkdir(parents=True)
    save(exp, path / F.EXPERIMENT)
    meta = {"kerminal_run": F.FORMAT, "name": exp.name, "status": status, "epochs": 3, "target": 3, "created": "2026-01-01T00:00:00",
            "updated": f"2026-01-01T00:{i % 60:02d}:00", "metrics": {"loss": 0.5}, "class_names": ["a", "b"],
            "best": {"monitor": "val_loss", "value": 0.5, "epoch": 3}}
    (path / F.METRICS).write_text(json.dumps(meta), encoding="utf-8")
    # val_accuracy peaks at epoch 2 (the best, not the last), val_loss is lowest at epoch 3
    (path / F.HISTORY).write_text(f"epoch,loss,accuracy,val_loss,val_accuracy\n1,0.7,0.5,0.7,0.5\n2,0.6,0.6,0.6,{acc}\n3,0.5,0.7,0.5,0.55\n", encoding="utf-8")
    (path / F.BEST).write_bytes(b"")
    return path


def many_runs(root: Path, count: int) -> list[Path]:
    return [many_run(root, i) for i in range(count)]


def four_runs(root: Path) -> Path:
    """The query tests' runs folder: three ended runs and a failed one, on two vectorizers and
    three learning rates."""
    many_run(root, 1, val_accuracy=0.9, kind="ngrams", lr=3e-4)
    many_run(root, 2, val_accuracy=0.8, kind="words", lr=1e-3)
    many_run(root, 3, val_accuracy=0.86, kind="ngrams", lr=1e-2)
    many_run(root, 4, val_accuracy=0.7, kind="ngrams", lr=3e-4, status="failed")
    return root


def short_ids(summaries) -> list[str]:
    return [s.id[-8:-2] for s in summaries]  # "000001" ...
