"""Memory: what is free now, and whether a layer stack's weights fit in it.

TF-free and UI-free, so the layer validation (`kerminal inspect`, the app's Layers pane) and
the trainer ask the same question before TensorFlow allocates anything.

A stack's weights need 4 bytes a parameter (float32), and the optimizer keeps its own copies:
Adam and AdamW two (the first and second moments), RMSprop one (the mean square), SGD none
(kerminal's SGD has no momentum). So Adam's stack needs 3 x 4 bytes a parameter, before any
activations; a stack that needs more than the memory free cannot train.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

BYTES_PER_PARAM = 4  # float32
# Copies of the weights an optimizer keeps, the weights themselves included.
OPTIMIZER_COPIES = {"adam": 3, "adamw": 3, "rmsprop": 2, "sgd": 1}
OPTIMIZER_NAMES = {"adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "sgd": "SGD"}


def free_memory_bytes() -> int | None:
    """Memory available to this process now (Linux MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def format_bytes(n: float) -> str:
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    i = min(int(math.log(max(n, 1), 1000)), len(units) - 1)
    return f"{n / 1000**i:.1f} {units[i]}" if i else f"{int(n)} B"


def format_count(n: int) -> str:
    """8,000,000,441 -> '8.0 billion'; small counts with thousands separators."""
    for size, word in ((10**12, "trillion"), (10**9, "billion"), (10**6, "million")):
        if n >= size:
            return f"{n / size:.1f} {word}"
    return f"{n:,}"


def parameter_bytes(params: int, optimizer: str) -> int:
    """What training `params` parameters with `optimizer` holds in memory (weights and state)."""
    return int(params) * BYTES_PER_PARAM * OPTIMIZER_COPIES.get(optimizer, 3)


@dataclass(frozen=True)
class TooBig:
    """A stack whose weights and optimizer state need more memory than is free."""

    params: int
    need: int
    free: int
    optimizer: str

    @property
    def problem(self) -> str:
        state = f" with {OPTIMIZER_NAMES.get(self.optimizer, self.optimizer)}'s state" if OPTIMIZER_COPIES.get(self.optimizer, 3) > 1 else ""
        return f"{format_count(self.params)} parameters need ~{format_bytes(self.need)}{state}; {format_bytes(self.free)} free"

    fix = "Lower vectorize.max_tokens or the Embedding's output_dim (or the layers' units)."


def too_big(params: int, optimizer: str, free: int | None = None) -> TooBig | None:
    """A TooBig when the stack cannot fit in the free memory; None when it fits, or when the
    free memory cannot be read (then nothing is refused)."""
    free = free_memory_bytes() if free is None else free
    need = parameter_bytes(params, optimizer)
    if free is None or need <= free:
        return None
    return TooBig(int(params), need, int(free), optimizer)


_TF_SHAPE = re.compile(r"shape\s*\[([\d,\s]+)\]\s*and type (\w+)")
_DTYPE_BYTES = {"int64": 8, "float64": 8, "double": 8, "int32": 4, "float": 4, "float32": 4, "half": 2, "float16": 2, "bfloat16": 2, "int8": 1, "uint8": 1, "bool": 1}


def failed_allocation(message: str) -> str:
    """What TensorFlow's out-of-memory message says it could not allocate, in words: "a
    (512, 8,854,874) int64 tensor (36.3 GB)", or "" when the message names no tensor."""
    m = _TF_SHAPE.search(message)
    if not m:
        return ""
    dims = [int(d) for d in m.group(1).replace(" ", "").split(",") if d]
    size = math.prod(dims) * _DTYPE_BYTES.get(m.group(2), 4)
    return f"a ({', '.join(f'{d:,}' for d in dims)}) {m.group(2)} tensor ({format_bytes(size)})"


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` is Python's or TensorFlow's out-of-memory error."""
    text = str(exc)
    return isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhaustedError" or "OOM when allocating" in text or "out of memory" in text.lower()


def out_of_memory_problem(exc: BaseException, when: str) -> str:
    """The problem half of an out-of-memory error, without TensorFlow's text."""
    what = failed_allocation(str(exc))
    free = free_memory_bytes()
    tail = f" ({format_bytes(free)} free now)" if free is not None else ""
    return f"Out of memory {when}: " + (f"TensorFlow could not allocate {what}{tail}." if what else f"the computer ran out of memory{tail}.")
