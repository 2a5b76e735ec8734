"""`fit.devices`: one device (TensorFlow's default strategy) or all of them
(`tf.distribute.MirroredStrategy`: a copy of the model per device, gradients summed).

With "all", fit.batch_size is per replica: each step trains batch_size x replicas examples
(the global batch), as Keras's own guides count it. "all" on a machine with one device or
none falls back to the default strategy, and the run's log says so (the pipeline line of its
Started event). The model must be built, compiled and fitted inside the strategy's scope:
the Trainer enters it around all three (and around loading the saved model it continues).

Which devices: every visible GPU; without two GPUs, several logical CPU devices when the
process made them (tf.config.set_logical_device_configuration, as the tests do), else none.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any


@dataclass
class Devices:
    """The strategy a run trains under, its replica count and the words its log gets."""

    strategy: Any  # a tf.distribute.Strategy
    replicas: int
    note: str

    def scope(self) -> contextlib.AbstractContextManager[Any]:
        return self.strategy.scope()

    def global_batch(self, batch_size: int) -> int:
        return int(batch_size) * self.replicas


def pick(setting: str) -> Devices:
    """The strategy for `fit.devices` = `setting` ("one" or "all")."""
    import tensorflow as tf

    if setting != "all":
        return Devices(tf.distribute.get_strategy(), 1, "")
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    devices = gpus if len(gpus) > 1 else cpus if not gpus and len(cpus) > 1 else []
    if not devices:
        seen = f"one GPU ({gpus[0]})" if gpus else "no GPU"
        return Devices(tf.distribute.get_strategy(), 1, f"fit.devices = all: {seen} here, so it trains on one device as with fit.devices = one")
    strategy = tf.distribute.MirroredStrategy(devices)
    n = int(strategy.num_replicas_in_sync)
    return Devices(strategy, n, f"MirroredStrategy over {n} devices ({', '.join(d.rsplit('/', 1)[-1] for d in devices)}): batch_size is per device, the global batch is batch_size x {n}")
