"""One trial per GPU: which GPUs this machine has, and which one the next trial gets.

For small text models a GPU per trial beats splitting one model over several, so with
several GPUs `--parallel K` gives each trial its own through CUDA_VISIBLE_DEVICES in the
trial process's environment: round-robin over the free ones, and when K is larger than the
GPU count, the least busy one (trials share it; the driver says so once). No GPU: nothing
changes. The GPUs are found without TensorFlow (its import costs the driver seconds): the
driver's own CUDA_VISIBLE_DEVICES when set, else /proc/driver/nvidia/gpus, else
`nvidia-smi -L`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

VAR = "CUDA_VISIBLE_DEVICES"
PROC = Path("/proc/driver/nvidia/gpus")
SMI_TIMEOUT_S = 5


def visible_gpus(env: Mapping[str, str] | None = None, proc: Path = PROC) -> list[str]:
    """The GPU ids a trial may be given (what CUDA_VISIBLE_DEVICES takes), in order."""
    env = os.environ if env is None else env
    if VAR in env:  # the user chose for the whole sweep: share out those
        ids = [g.strip() for g in env[VAR].split(",") if g.strip()]
        # CUDA stops at the first id it cannot use ("-1" hides every GPU)
        return [] if not ids or ids[0].startswith("-") else ids
    try:
        count = sum(1 for p in proc.iterdir() if p.is_dir())
    except OSError:
        count = 0
    if count:
        return [str(i) for i in range(count)]
    return _smi()


def _smi() -> list[str]:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=SMI_TIMEOUT_S, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split(":", 1)[0].split()[1] for line in out.splitlines() if line.startswith("GPU ") and len(line.split(":", 1)[0].split()) == 2]


class Placement:
    """Which GPU each running trial holds; `take` gives the next trial one."""

    def __init__(self, gpus: list[str]) -> None:
        self.gpus = list(gpus)
        self.held: dict[str, int] = {g: 0 for g in self.gpus}
        self._next = 0

    def take(self) -> str | None:
        """The GPU for a trial that starts now (None without GPUs): the next free one in
        round-robin order, else the one with the fewest trials."""
        if not self.gpus:
            return None
        n = len(self.gpus)
        order = [self.gpus[(self._next + i) % n] for i in range(n)]
        gpu = min(order, key=lambda g: self.held[g])  # min keeps the first of equals: round-robin among the free
        self._next = (self.gpus.index(gpu) + 1) % n
        self.held[gpu] += 1
        return gpu

    def hold(self, gpu: str | None) -> None:
        """A trial already on `gpu` (one this driver watches again after a restart)."""
        if gpu is not None and gpu in self.held:
            self.held[gpu] += 1

    def release(self, gpu: str | None) -> None:
        if gpu is not None and self.held.get(gpu, 0) > 0:
            self.held[gpu] -= 1

    def env(self, gpu: str | None) -> dict[str, str]:
        """What the trial's process environment gets."""
        return {} if gpu is None else {VAR: gpu}

    def said(self, parallel: int) -> str:
        """One line for the sweep's output: where its trials run."""
        if not self.gpus:
            return "no GPU seen here (no CUDA_VISIBLE_DEVICES, /proc/driver/nvidia or nvidia-smi): trials run on the CPU."
        gpus = ", ".join(self.gpus)
        if parallel > len(self.gpus):
            return f"{parallel} trials at once on {len(self.gpus)} GPU{'s' if len(self.gpus) != 1 else ''} ({gpus}): more trials than GPUs, so trials share them (CUDA_VISIBLE_DEVICES, the least busy GPU first)."
        return f"one GPU per trial through CUDA_VISIBLE_DEVICES, round-robin over {gpus}."
