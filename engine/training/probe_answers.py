"""The probe sentences scored by every compared run, side by side: one row per sentence,
one column per run (its answer and that answer's probability).

The sentences are the ones given (the app: the open experiment's) followed by each run's own
experiment's probes, each once. Each run's best model (safe-mode loading) scores them; the
probabilities are cached in the run's folder as the disagreements' are (engine.training.
disagree.predictions, in probes.npy / probes.json: the key is the model file and the
sentences), so a second look costs no TensorFlow time. A run that cannot answer (no epochs,
a model that does not load) gets its reason instead of a column of answers; runs whose
classes differ are still scored, each in its own classes, and the table says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from engine.progress import OnPhase, silent

if TYPE_CHECKING:  # pragma: no cover
    from engine.runs.compare import RunSide

PROBES_NPY = "probes.npy"
PROBES_KEY = "probes.json"
SENTENCES_MAX = 50  # more probes than this are not a side-by-side table any more


@dataclass(frozen=True)
class ProbeAnswer:
    label: str  # the run's answer (one of its own classes)
    prob: float  # its probability


@dataclass
class ProbeTable:
    sentences: list[str]
    runs: list[str]  # run ids, in the comparison's order
    answers: dict[str, list[ProbeAnswer]] = field(default_factory=dict)  # run id -> one per sentence
    problems: dict[str, str] = field(default_factory=dict)  # run id -> why it has no answers
    classes_note: str = ""  # the runs' classes differ: said once above the table

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def probe_sentences(runs: Sequence[RunSide], first: Sequence[str] = ()) -> list[str]:
    """`first`, then each run's own probe sentences, each once, blanks left out."""
    seen = list(first) + [p for r in runs if r.experiment is not None for p in r.experiment.probes]
    return [s for s in dict.fromkeys(str(s) for s in seen) if s.strip()][:SENTENCES_MAX]


def classes_note(runs: Sequence[RunSide]) -> str:
    """Said when the runs do not all have the same classes ("" when they do)."""
    if len({tuple(r.class_names) for r in runs}) < 2:
        return ""
    each = "; ".join(f"{r.id}: {', '.join(r.class_names) or 'none'}" for r in runs)
    return f"The runs have different classes ({each}): each answers in its own."


def probe_table(runs: Sequence[RunSide], sentences: Sequence[str], on_phase: OnPhase = silent) -> ProbeTable:
    """Every run's answer to every sentence (a run that cannot answer: its reason)."""
    import numpy as np

    from engine.training.disagree import predictions

    out = ProbeTable(list(sentences), [r.id for r in runs], classes_note=classes_note(runs))
    if not sentences:
        return out
    for r in runs:
        if not r.epochs:
            out.problems[r.id] = "no finished epochs, so no model to ask"
            continue
        if len(r.class_names) < 2:
            out.problems[r.id] = "its class names are not recorded"
            continue
        try:
            probs = predictions(r, out.sentences, on_phase, cache=(PROBES_NPY, PROBES_KEY))
        except Exception as exc:  # a model that does not load or predict: said in its column, the other runs stand
            out.problems[r.id] = f"{type(exc).__name__}: {getattr(exc, 'problem', None) or exc}"[:200]
            continue
        best = np.argmax(probs, axis=1)
        out.answers[r.id] = [ProbeAnswer(r.class_names[int(k)], float(probs[i, k])) for i, k in enumerate(best)]
    return out
