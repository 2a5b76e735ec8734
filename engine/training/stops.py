"""StopAtBatch: how the batch hook leaves model.fit at once (TF-free, so the Trainer can
catch it without importing Keras)."""

from __future__ import annotations


class StopAtBatch(Exception):
    """Leaves model.fit at the end of a batch, before any validation or epoch-end hook."""

    def __init__(self, epoch: int, step: int, steps: int, nan: bool = False) -> None:
        super().__init__(f"stopped at step {step} of {steps} in epoch {epoch}")
        self.epoch, self.step, self.steps, self.nan = epoch, step, steps, nan
