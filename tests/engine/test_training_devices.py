"""fit.devices = "all": MirroredStrategy over the visible devices, checked on the CPU. A child
process makes two logical CPU devices before anything else touches TensorFlow (the only way
to have two devices without GPUs), then trains a tiny model under the strategy, saves it,
loads it and predicts the same, and continues it with `train --resume` semantics."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from engine.training import Started, Trainer
from tests.engine.test_training_trainer import reber_dataset, reber_experiment

CHILD = textwrap.dedent(
    """
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

    import json, sys
    import numpy as np
    from engine.training import Predictor, Started, Trainer
    from tests.engine.test_training_trainer import reber_dataset, reber_experiment

    exp = reber_experiment(epochs=2, batch_size=16)
    exp.fit.devices = "all"
    seen = []
    trainer = Trainer(exp, reber_dataset(120), sys.argv[1], listener=seen.append)
    result = trainer.run()
    texts = ["BTSSXXTVVE", "BPVVE", "BTXXVPSE"]
    mine = trainer.model.predict(tf.constant(np.array(texts, dtype=object).reshape(-1, 1)), verbose=0)[:, 0]
    loaded = Predictor.from_run(result.run_dir, which="last").predict_many(texts)
    again = Trainer.from_run(result.run_dir).run(epochs=1)
    started = [e for e in seen if isinstance(e, Started)][0]
    print(json.dumps({
        "status": result.status, "epochs": again.epochs, "again": again.status,
        "pipeline": started.pipeline, "steps": started.steps_per_epoch, "rows": started.samples, "batch": started.batch_size,
        "replicas": trainer.devices.replicas,
        "mine": [float(x) for x in mine], "loaded": [list(p.probabilities.values())[1] for p in loaded],
    }))
    """
)


@pytest.mark.slow
def test_all_devices_trains_under_mirrored_strategy_on_two_cpus_saves_and_predicts_the_same(tmp_path):
    out = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "runs")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["replicas"] == 2 and "MirroredStrategy over 2 devices" in got["pipeline"]
    assert got["batch"] == 32 and got["steps"] == -(-got["rows"] // 32)  # the global batch: 16 per device x 2
    assert got["status"] == "finished" and got["again"] == "finished" and got["epochs"] == 3
    # the loaded last.keras gives the in-memory model's probabilities (class 1's: a sigmoid)
    assert got["loaded"] == pytest.approx(got["mine"], abs=1e-5)


def test_all_devices_on_one_device_trains_as_one_and_says_so(tmp_path):
    exp = reber_experiment(epochs=1)
    exp.fit.devices = "all"
    seen: list = []
    result = Trainer(exp, reber_dataset(80), tmp_path / "runs", listener=seen.append).run()
    (started,) = [e for e in seen if isinstance(e, Started)]
    assert result.status == "finished" and started.batch_size == 32
    assert "fit.devices = all: no GPU here, so it trains on one device" in started.pipeline
    assert "fit.devices = all: no GPU here" in (result.run_dir / "log.txt").read_text()
