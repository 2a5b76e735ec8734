"""An error raised inside Keras or TensorFlow as a TrainingError whose problem says what
went wrong in words (out of memory, a stack that does not fit the data, an id a layer
cannot take) and whose fix fits the cause; never a traceback."""

from __future__ import annotations

from pathlib import Path

from engine import memory
from engine.errors import TrainingError
from engine.runs import saving


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line[:300]


def keras_failure(exc: BaseException, epoch: int, run_dir: Path | None) -> TrainingError:
    """An error raised inside Keras/TensorFlow as a TrainingError whose fix fits the cause."""
    first = first_line(exc)
    name = type(exc).__name__
    kept = "finished epochs are kept in the run folder."
    if isinstance(exc, OSError) and exc.errno is not None:
        where = Path(exc.filename) if getattr(exc, "filename", None) else (run_dir or Path("."))
        return saving.disk_error(exc, where, epoch)
    if memory.is_out_of_memory(exc):
        return TrainingError(memory.out_of_memory_problem(exc, f"in epoch {epoch}"), f"Lower fit.batch_size (or vectorize.length, vectorize.max_tokens, the layers' units or output_dim); {kept}")
    if name in ("InvalidArgumentError", "ValueError") and ("shape" in first.lower() or "incompatible" in first.lower() or "dimension" in first.lower()):
        return TrainingError(f"The layer stack does not fit the data in epoch {epoch}: {first}", f"Check the layer stack (Layers pane, or `kerminal inspect`); {kept}")
    if name == "InvalidArgumentError" and ("indices" in first or "out of range" in first):
        return TrainingError(f"A layer got an id it cannot take in epoch {epoch}: {first}", f"Set the Embedding's input_dim to 0 (follow the vectorizer) or above vectorize.max_tokens; {kept}")
    return TrainingError(f"Keras stopped in epoch {epoch} with {name}: {first}", f"If it repeats, report it with the experiment file; {kept}")


def vectorize_failure(exc: BaseException) -> TrainingError:
    """An error while the texts are vectorized (before the first epoch) as a TrainingError."""
    if memory.is_out_of_memory(exc):
        return TrainingError(memory.out_of_memory_problem(exc, "while vectorizing the texts"), "Lower vectorize.length (or vectorize.max_tokens); no epoch was trained.")
    return TrainingError(f"The texts could not be vectorized: {first_line(exc)}", "Check vectorize in the experiment file; report it with the file if it repeats.")
