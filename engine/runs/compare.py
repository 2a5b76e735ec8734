"""Comparing runs: the settings that differ, each run's best metrics and training time, the
layers that changed (the examples two runs disagree on: engine.training.disagree).

`compare(runs)` reads each run's folder as a reader must (engine.runs.safe: caps, no
links): metrics.json, history.csv, events.jsonl and experiment.toml. A run whose
experiment cannot be read gets a note and is left out of the settings and layer diffs; the
rest still compares. The settings are every declared path (engine.spec.paths()) and each
layer's type and parameters by position (`layers.N.type`, `layers.N.PARAM`), so a setting
added to the declarations shows here with no change. TF-free; the examples two runs disagree
on are engine.training.disagree's (it loads the models).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from engine.errors import KerminalError, RunError
from engine.experiment import Experiment
from engine.runs.best import Best, best_metrics
from engine.runs.folder import EXPERIMENT, finite
from engine.runs.reader import RunInfo, read_events, read_history
from engine.runs.settings_diff import SettingDiff, settings_diff

# Each compared run's colour, in order (Okabe-Ito: told apart by colour-blind readers too);
# the plot `kerminal compare --plot` writes and the app's compare view both take theirs here.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass
class RunSide:
    """One run as the comparison sees it."""

    id: str
    path: Path
    name: str
    status: str
    epochs: int
    best: dict[str, Best] = field(default_factory=dict)  # metric -> its best value and epoch
    time_s: float | None = None  # the epochs' training time, pauses left out
    history: dict[str, list[float]] = field(default_factory=dict)
    durations: dict[int, float] = field(default_factory=dict)  # epoch -> its training time (s), from events.jsonl
    class_names: list[str] = field(default_factory=list)
    experiment: Experiment | None = field(default=None, repr=False)
    problem: str = ""  # why the experiment could not be read

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "path": str(self.path), "name": self.name, "status": self.status, "epochs": self.epochs,
            "best": {k: asdict(v) for k, v in self.best.items()}, "time_s": self.time_s, "problem": self.problem,
        }


@dataclass
class LayerChange:
    """A layer of `run` against the first run: added, removed, or changed (same type)."""

    run: str
    kind: str  # added | removed | changed
    before: str = ""  # "layer 2 LSTM(units=32)" in the first run
    after: str = ""
    params_before: int | None = None
    params_after: int | None = None


@dataclass
class Comparison:
    runs: list[RunSide]
    settings: list[SettingDiff] = field(default_factory=list)
    layers: list[LayerChange] = field(default_factory=list)
    disagreements: list[Any] = field(default_factory=list)  # engine.training.disagree.Disagreement
    notes: list[str] = field(default_factory=list)

    def metrics(self) -> list[str]:
        """Every metric any run has, in first-seen order."""
        return list(dict.fromkeys(m for r in self.runs for m in r.best))

    def to_dict(self) -> dict[str, Any]:
        return finite({
            "runs": [r.to_dict() for r in self.runs],
            "settings": [{"path": s.path, "values": s.values} for s in self.settings],
            "layers": [asdict(c) for c in self.layers],
            "disagreements": [d.to_dict() for d in self.disagreements],
            "notes": list(self.notes),
        })


def compare(runs: Sequence[RunInfo | str | os.PathLike[str]], runs_dir: str | os.PathLike[str] = "runs") -> Comparison:
    """Compare two or more runs (RunInfo, folders, or ids under `runs_dir`). RunError for
    fewer than two or a folder that is not a run (naming it and the fix). The examples they
    disagree on: engine.training.disagree.add_disagreements (it loads the models)."""
    from engine.runs.store import RunStore

    if len(runs) < 2:
        raise RunError(f"Comparing needs two runs or more; got {len(runs)}.", "Pass two run folders or ids (`kerminal runs` lists them).")
    store = RunStore(runs_dir)
    infos = [r if isinstance(r, RunInfo) else store.info(r) for r in runs]
    ids = [i.id for i in infos]
    if len(set(ids)) < len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise RunError(f"Run {dup} is given twice.", "Pass each run once.")
    out = Comparison([side(i) for i in infos])
    for r in out.runs:
        if r.problem:
            out.notes.append(f"{r.id}: {r.problem}; its settings and layers are left out.")
        if not r.epochs:
            out.notes.append(f"{r.id} has no finished epochs: it has no best metrics yet.")
    out.settings = settings_diff([r.experiment for r in out.runs])
    out.layers = layer_diff(out.runs)
    return out


def side(info: RunInfo) -> RunSide:
    """What the comparison needs of one run, read from its folder."""
    from engine.runs.store import read_experiment

    history = _read(read_history, info.path, {})
    durations = epoch_durations(info.path)
    time_s = sum(durations.values()) if durations else None
    r = RunSide(info.id, info.path, info.name, info.status, info.epochs, best_metrics(history), time_s, history, durations, list(info.class_names))
    try:
        r.experiment = read_experiment(info.path / EXPERIMENT)
    except (KerminalError, OSError) as exc:
        r.problem = f"its {EXPERIMENT} cannot be read ({getattr(exc, 'problem', None) or exc})"
    return r


def _read(fn: Any, path: Path, default: Any) -> Any:
    try:
        return fn(path)
    except OSError:
        return default


def epoch_durations(path: Path) -> dict[int, float]:
    """Each epoch's training time (s) from events.jsonl, pauses left out (an epoch done
    again after a kill: its last time)."""
    from engine.runs.events import EpochEnd, EpochFromHistory

    durations: dict[int, float] = {}
    offset = 0
    for _ in range(10_000):  # events.jsonl is read in bounded chunks
        try:
            events, after = read_events(path, offset)
        except OSError:
            break
        for e in events:
            if isinstance(e, EpochEnd) and not isinstance(e, EpochFromHistory):
                durations[e.epoch] = e.duration_s
        if after == offset:
            break
        offset = after
    return durations


# ---------------------------------------------------------------------------------------
# Layers


@dataclass(frozen=True)
class _Layer:
    index: int
    type: str
    summary: str
    params: int | None

    @property
    def text(self) -> str:
        return f"layer {self.index} {self.type}({self.summary})" if self.summary else f"layer {self.index} {self.type}"


def layer_rows(r: RunSide) -> list[_Layer] | None:
    """A run's layers with their parameter counts (engine.layers.validate, TF-free)."""
    from engine.layers.validate import validate

    if r.experiment is None:
        return None
    report = validate(r.experiment, num_classes=max(2, len(r.class_names)))
    return [_Layer(row.index, row.type, row.summary, row.params if not row.errors else None) for row in report.rows]


def layer_diff(runs: Sequence[RunSide]) -> list[LayerChange]:
    """Each run's layers against the first run's: added, removed, or changed (same type,
    other settings). As a text diff matches lines: identical layers first, then, between
    them, layers of the same type in order."""
    base = layer_rows(runs[0])
    out: list[LayerChange] = []
    if base is None:
        return out
    for r in runs[1:]:
        rows = layer_rows(r)
        if rows is None:
            continue
        same = difflib.SequenceMatcher(a=[(x.type, x.summary) for x in base], b=[(y.type, y.summary) for y in rows], autojunk=False)
        for op, a0, a1, b0, b1 in same.get_opcodes():
            if op != "equal":
                out += _by_type(r.id, base[a0:a1], rows[b0:b1])
    return out


def _by_type(run: str, old: list[_Layer], new: list[_Layer]) -> list[LayerChange]:
    out = []
    matcher = difflib.SequenceMatcher(a=[x.type for x in old], b=[y.type for y in new], autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        pairs = list(zip(old[a0:a1], new[b0:b1], strict=False)) if op == "equal" else []
        out += [LayerChange(run, "changed", x.text, y.text, x.params, y.params) for x, y in pairs]
        out += [LayerChange(run, "removed", before=x.text, params_before=x.params) for x in old[a0 + len(pairs) : a1]]
        out += [LayerChange(run, "added", after=y.text, params_after=y.params) for y in new[b0 + len(pairs) : b1]]
    return out
