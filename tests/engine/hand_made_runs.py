"""Finished run folders written by hand (an experiment, a metrics.json and an empty
best.keras), for tests of what reads a run's files without loading its model: export
--script, `kerminal runs`, the Runs pane. No training, so they cost milliseconds."""

from __future__ import annotations

import json
from pathlib import Path

from engine.experiment import save
from engine.runs import folder as F


def hand_made_run(root: Path, folder: str, name: str, class_names=("negative", "positive")) -> Path:
    """A finished run folder as kerminal writes one, without training."""
    from tests.engine.test_export import small

    exp = small("imdb-ngram")
    exp.name = name
    path = root / folder
    path.mkdir(parents=True)
    save(exp, path / F.EXPERIMENT)
    meta = {"kerminal_run": F.FORMAT, "name": name, "status": "finished", "epochs": 1, "target": 1,
            "metrics": {"loss": 0.5, "accuracy": 0.8}, "class_names": list(class_names),
            "best": {"monitor": "val_loss", "value": 0.5, "epoch": 1}}
    (path / F.METRICS).write_text(json.dumps(meta), encoding="utf-8")
    (path / F.BEST).write_bytes(b"")
    return path
