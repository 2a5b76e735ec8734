"""Where two runs disagree: the validation examples one run gets right and the other wrong.

Only for two runs on the same data (every `data.*` setting equal, and the same class
names): the data is loaded as the runs loaded it (engine.data.load_dataset with the first
run's experiment: same source, cleaning, split and seed give the same validation rows), and
each run's best model (safe-mode loading) predicts them. A run's predictions are cached in
its own folder (predictions.npy and predictions.json, the key: the model file's mtime and
size and a digest of the texts), written only into a folder the caller owns, so a second
comparison costs no TensorFlow time. Everything that stops a comparison of examples (other
data, a model that does not load) is a `reason` on the result, never an exception: the rest
of the comparison stands. Here, not in engine.runs, because it predicts (engine.training's
Predictor); `add_disagreements` fills a Comparison's `disagreements`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from engine.errors import KerminalError
from engine.progress import Counter, OnPhase, silent
from engine.runs import safe

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from engine.runs.compare import Comparison, RunSide

CACHE_NPY = "predictions.npy"
CACHE_KEY = "predictions.json"
BATCH = 512
TEXT_MAX = 400  # characters of an example's text kept in the result


@dataclass
class Example:
    """One validation example the two runs disagree on."""

    text: str
    label: str  # the true class
    a_label: str
    a_prob: float  # run a's probability of its own answer
    b_label: str
    b_prob: float
    right: str  # "a" or "b": the run that got it right


@dataclass
class Disagreement:
    a: str  # run ids
    b: str
    split: str = ""  # "validation" (or "test" when the runs have no validation rows)
    total: int = 0  # examples compared
    a_only: int = 0  # right by a, wrong by b
    b_only: int = 0
    examples: list[Example] = field(default_factory=list)  # most confident disagreements first
    reason: str = ""  # why the examples could not be compared ("" when they were)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def same_data(a: RunSide, b: RunSide) -> str:
    """Why two runs' examples cannot be compared ("" when they can)."""
    from engine.runs.settings_diff import setting_paths, value_at

    for r in (a, b):
        if r.experiment is None:
            return f"{r.id}'s experiment cannot be read."
    differ = [p for p in setting_paths([a.experiment]) if p.startswith("data.") and value_at(a.experiment, p) != value_at(b.experiment, p)]
    if differ:
        p = differ[0]
        more = f" (and {len(differ) - 1} more data settings)" if len(differ) > 1 else ""
        return f"they are trained on different data: {p} is {value_at(a.experiment, p)!r} in {a.id} and {value_at(b.experiment, p)!r} in {b.id}{more}."
    if a.class_names != b.class_names:
        return f"their classes differ ({', '.join(a.class_names) or 'none'} against {', '.join(b.class_names) or 'none'})."
    if not a.epochs or not b.epochs:
        return f"{(a if not a.epochs else b).id} has no finished epochs, so no model to ask."
    return ""


def disagreement(a: RunSide, b: RunSide, examples: int = 20, on_phase: OnPhase = silent) -> Disagreement:
    """The examples of the runs' validation split that one gets right and the other wrong."""
    import numpy as np

    out = Disagreement(a.id, b.id)
    out.reason = same_data(a, b)
    if out.reason:
        return out
    try:
        from engine.data import load_dataset

        assert a.experiment is not None
        on_phase("loading the data")
        ds = load_dataset(a.experiment, on_phase)
        if ds.streamed:
            out.reason = f"the data is streamed ({ds.why}); comparing two runs row by row reads it whole, so it is skipped."
            return out
        split = ds.validation if len(ds.validation) else ds.test
        out.split = "validation" if len(ds.validation) else "test"
        if not len(split):
            out.reason = "the runs have neither validation nor test rows to compare on."
            return out
        if list(ds.class_names) != a.class_names:
            out.reason = f"the data now has other classes ({', '.join(ds.class_names)}) than the runs were trained on."
            return out
        pa = predictions(a, split.texts, on_phase)
        pb = predictions(b, split.texts, on_phase)
    except (KerminalError, OSError) as exc:
        out.reason = f"{getattr(exc, 'problem', None) or exc}"
        return out
    y = np.asarray(split.labels)
    ya, yb = pa.argmax(axis=1), pb.argmax(axis=1)
    a_only = (ya == y) & (yb != y)
    b_only = (yb == y) & (ya != y)
    out.total, out.a_only, out.b_only = int(len(y)), int(a_only.sum()), int(b_only.sum())
    names = a.class_names
    rows = []
    for k in np.flatnonzero(a_only | b_only):
        wrong = pb[k, yb[k]] if a_only[k] else pa[k, ya[k]]  # how sure the wrong run was
        rows.append((float(wrong), int(k)))
    rows.sort(key=lambda t: (-t[0], t[1]))
    for _, i in rows[: max(0, examples)]:
        out.examples.append(Example(
            text=str(split.texts[i])[:TEXT_MAX], label=names[int(y[i])],
            a_label=names[int(ya[i])], a_prob=float(pa[i, ya[i]]), b_label=names[int(yb[i])], b_prob=float(pb[i, yb[i]]),
            right="a" if a_only[i] else "b",
        ))
    return out


def add_disagreements(result: Comparison, examples: int = 20, on_phase: OnPhase = silent) -> Comparison:
    """The first run against each other run of a comparison (in place; returned too)."""
    first = result.runs[0]
    result.disagreements = [disagreement(first, other, examples, on_phase) for other in result.runs[1:]]
    return result


def predictions(r: RunSide, texts: Sequence[str], on_phase: OnPhase = silent, cache: tuple[str, str] = (CACHE_NPY, CACHE_KEY)) -> np.ndarray:
    """(n, classes) probabilities of run `r`'s best model on `texts`, from its cache when
    the model file and the texts are the ones cached. `cache`: the two files (numbers, key)
    in the run's folder: the validation rows and the probe sentences are cached apart."""
    from engine.runs.folder import BEST, LAST

    model = next((n for n in (BEST, LAST) if (r.path / n).is_file()), BEST)
    key = cache_key(r.path / model, texts)
    cached = read_cache(r.path, key, len(texts), len(r.class_names), cache)
    if cached is not None:
        on_phase(f"read {r.id}'s cached predictions")
        return cached
    from engine.runs.store import RunStore
    from engine.training.predictor import Predictor

    on_phase(f"loading {r.id}'s model")
    run = RunStore(r.path.parent).load(r.path, which="best")
    predictor = Predictor(run.model, run.class_names, run.experiment, warm_up=False)
    count = Counter(on_phase, f"predicting with {r.id}", len(texts))
    parts = []
    for start in range(0, len(texts), BATCH):
        parts.append(predictor.probabilities(texts[start : start + BATCH]))
        count(min(start + BATCH, len(texts)))
    import numpy as np

    probs = np.concatenate(parts, axis=0).astype("float32") if parts else np.zeros((0, len(r.class_names)), "float32")
    write_cache(r.path, key, probs, cache)
    return probs


def cache_key(model: Path, texts: Sequence[str]) -> dict[str, Any]:
    """What the cached predictions were made from: the model file (mtime, size) and the texts."""
    digest = hashlib.sha256()
    for t in texts:
        digest.update(str(t).encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    try:
        st = os.stat(model)
        stamp = [st.st_mtime_ns, st.st_size]
    except OSError:
        stamp = [0, 0]
    return {"model": model.name, "mtime_ns": stamp[0], "size": stamp[1], "texts": digest.hexdigest(), "n": len(texts)}


def read_cache(path: Path, key: dict[str, Any], n: int, classes: int, cache: tuple[str, str] = (CACHE_NPY, CACHE_KEY)) -> np.ndarray | None:
    """The cached probabilities when their key is `key` and their shape (n, classes); None
    otherwise (missing, stale, damaged, a link, too big)."""
    import numpy as np

    try:
        if json.loads(safe.read_text(path / cache[1], 64 * 1024)) != key:
            return None
        data = safe.read_bytes(path / cache[0], n * max(classes, 1) * 4 + 4096)
        probs = np.load(io.BytesIO(data), allow_pickle=False)
    except (OSError, ValueError, RecursionError):
        return None
    if probs.shape != (n, classes) or probs.dtype != np.float32 or not np.isfinite(probs).all():
        return None
    return probs


def write_cache(path: Path, key: dict[str, Any], probs: np.ndarray, cache: tuple[str, str] = (CACHE_NPY, CACHE_KEY)) -> None:
    """Cache the probabilities in the run folder, only when the folder is the caller's (a
    shared runs folder's other users' runs are read, never written); quietly not at all
    when it cannot be written."""
    import numpy as np

    from engine.experiment import atomic_write_text

    try:
        safe.check_own_dir(path)
        buf = io.BytesIO()
        np.save(buf, probs, allow_pickle=False)
        fd, tmp = tempfile.mkstemp(dir=path, prefix=f".{cache[0]}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(buf.getvalue())
            os.replace(tmp, path / cache[0])
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        atomic_write_text(path / cache[1], json.dumps(key) + "\n", make_parents=False)
    except (KerminalError, OSError):
        return
