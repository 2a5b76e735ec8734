"""A sweep: its folder, its study, and what it has done so far.

The folder is RUNS/sweeps/NAME/ (not RUNS/NAME.sweep/): run listings read every child of
RUNS as a run, and a `sweeps` folder without metrics.json is skipped by all of them, so
sweeps never show up as damaged runs and a sweep's name can never collide with a run id. It
holds sweep.json (the experiment's path and a copy, the space, sampler, pruner, storage,
trials wanted, parallel, created), experiment.toml (the base experiment, data paths
absolute), journal.log (the study, when no --storage is given), summary.json (the status,
rewritten as trials end), driver.json (the driving process), driver.txt (a detached
driver's output) and spare-PID-N.txt (a warm spare's output until it is handed a trial).

The study's own user attrs hold the same definition, so `--join NAME --storage URL` on a
machine that has never seen the sweep can set up its folder from the storage alone.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine.experiment import Experiment, atomic_write_text, load, loads
from engine.runs import folder as F
from engine.runs.best import higher_is_better
from engine.sweeps import space as S
from engine.sweeps import storage as St
from engine.sweeps.space import SweepError

SWEEPS = "sweeps"
CONFIG = "sweep.json"
EXPERIMENT = "experiment.toml"
SUMMARY = "summary.json"
DRIVER = "driver.json"
DRIVER_LOG = "driver.txt"
STOP = "stop"
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "hyperband", "none")
DEFAULT_TRIALS = 20
IMPORTANCE_AFTER = 4  # complete trials before parameter importances are shown
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def sweeps_dir(runs_dir: str | os.PathLike[str]) -> Path:
    return Path(runs_dir) / SWEEPS


def _check_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise SweepError(f"Sweep name {name!r} is not usable as a folder name.", "Use letters, digits, '.', '_' and '-' (up to 80), starting with a letter or digit.")


@dataclass
class TrialRow:
    """One trial as `kerminal sweep --status` shows it."""

    number: int
    state: str  # waiting | running | complete | pruned | failed
    values: dict[str, Any]
    value: float | None
    epochs: int
    run: str
    seconds: float | None
    note: str = ""


@dataclass
class SweepStatus:
    name: str
    wanted: int
    monitor: str
    direction: str
    storage: str
    driver: str  # running | stopped | ended
    rows: list[TrialRow] = field(default_factory=list)
    best: TrialRow | None = None
    importances: dict[str, float] = field(default_factory=dict)
    disk_bytes: int = 0  # the sweep's folder and its trials' run folders

    @property
    def ended(self) -> int:
        return sum(r.state in ("complete", "pruned", "failed") for r in self.rows)

    def progress(self) -> str:
        running = sum(r.state == "running" for r in self.rows)
        return f"trial {min(self.ended + running, self.wanted)}/{self.wanted}" + (f" ({running} running)" if running else "")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["progress"] = self.progress()
        return out


class Sweep:
    def __init__(self, folder: Path, config: dict[str, Any]) -> None:
        self.folder = folder
        self.config = config

    # ---- where and what ------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.config["name"])

    @property
    def runs_dir(self) -> Path:
        return self.folder.parent.parent

    @property
    def storage(self) -> str:
        return str(self.config.get("storage") or self.folder / St.JOURNAL)

    @property
    def space(self) -> S.Space:
        return S.Space([S.Param.from_dict(p) for p in self.config["space"]])

    @property
    def monitor(self) -> str:
        return str(self.config["monitor"])

    def experiment(self) -> Experiment:
        return load(self.folder / EXPERIMENT)

    # ---- making and finding --------------------------------------------------------------
    @classmethod
    def create(
        cls,
        experiment: str | os.PathLike[str],
        params: list[str],
        runs_dir: str | os.PathLike[str],
        trials: int | None = None,
        parallel: int = 1,
        sampler: str = "tpe",
        pruner: str = "median",
        storage: str = "",
        name: str = "",
        yes: bool = False,
        keep_all: bool = False,
        warm: bool = True,
    ) -> Sweep:
        """A new sweep of `experiment`: every --param checked, the folder written and the
        study created (a grid's trials enqueued). SweepError when anything is wrong."""
        if sampler not in SAMPLERS:
            raise SweepError(f"--sampler {sampler!r} is not one of {', '.join(SAMPLERS)}.", "Use --sampler tpe, random or grid.")
        if pruner not in (*PRUNERS, "always"):
            raise SweepError(f"--prune {pruner!r} is not one of {', '.join(PRUNERS)}.", "Use --prune median, hyperband or none.")
        if parallel < 1 or (trials is not None and trials < 1):
            raise SweepError("--trials and --parallel must be at least 1.", "Pass e.g. --trials 20 --parallel 2.")
        exp = load(experiment)
        space = S.space(params, exp, sampler, yes)
        grid = _grid_points(space) if sampler == "grid" else []
        wanted = min(trials, len(grid)) if grid and trials else len(grid) if grid else trials or DEFAULT_TRIALS
        name = name or f"{F.run_slug(exp.name)}-{time.strftime('%Y%m%d-%H%M%S')}"
        _check_name(name)
        folder = sweeps_dir(runs_dir) / name
        if folder.exists():
            raise SweepError(f"A sweep named {name!r} already exists ({folder}).", f"Pick another --name, continue it with `kerminal sweep --resume {name}`, or look at it with `kerminal sweep --status {name}`.")
        monitor = exp.fit.monitor
        config = {
            "kerminal_sweep": 1, "name": name, "experiment": {"path": str(Path(experiment).resolve()), "copy": EXPERIMENT},
            "space": [p.to_dict() for p in space.params], "sampler": sampler, "pruner": pruner, "storage": storage,
            "trials": wanted, "parallel": parallel, "keep_all": keep_all, "warm": warm, "monitor": monitor,
            "direction": "maximize" if higher_is_better(monitor) else "minimize", "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        text = F.experiment_as_trained(exp).to_toml()
        study_storage = St.open_storage(storage) if storage else None  # a bad URL is said before the folder exists
        folder.mkdir(parents=True)
        atomic_write_text(folder / EXPERIMENT, text)
        sweep = cls(folder, config)
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            study = optuna.create_study(study_name=name, storage=study_storage or St.open_storage(sweep.storage), direction="maximize" if config["direction"] == "maximize" else "minimize")
        except optuna.exceptions.DuplicatedStudyError:
            import shutil

            shutil.rmtree(folder)
            raise SweepError(f"The storage {St.describe(storage)} already holds a sweep named {name!r}.", f"Pick another --name, or join it with `kerminal sweep --join {name} --storage URL`.") from None
        study.set_user_attr("kerminal", {**config, "experiment_toml": text})
        for point in grid[:wanted]:
            study.enqueue_trial(point)
        atomic_write_text(folder / CONFIG, json.dumps(config, indent=2))  # last: a folder with sweep.json has its study
        sweep.write_summary()
        return sweep

    @classmethod
    def open(cls, name: str, runs_dir: str | os.PathLike[str]) -> Sweep:
        folder = sweeps_dir(runs_dir) / name if not Path(name).is_dir() else Path(name)
        try:
            config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        except FileNotFoundError:
            known = sorted(p.name for p in sweeps_dir(runs_dir).glob("*") if (p / CONFIG).is_file()) if sweeps_dir(runs_dir).is_dir() else []
            listed = f"Sweeps there: {', '.join(known)}." if known else "There are no sweeps there yet."
            raise SweepError(f"No sweep named {name!r} in {sweeps_dir(runs_dir)}.", f"{listed} Pass --runs-dir if it lives elsewhere.") from None
        except (OSError, ValueError) as exc:
            raise SweepError(f"The sweep's {folder / CONFIG} cannot be read ({exc}).", "Its folder was damaged; start a new sweep.") from None
        return cls(folder, config)

    @classmethod
    def join(cls, name: str, storage: str, runs_dir: str | os.PathLike[str]) -> Sweep:
        """The sweep `name` of `storage`, with a folder of its own in this runs dir (written
        from the study when this machine has none)."""
        import optuna

        _check_name(name)
        folder = sweeps_dir(runs_dir) / name
        if (folder / CONFIG).is_file():
            sweep = cls.open(name, runs_dir)
            sweep.config["storage"] = storage
            return sweep
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            study = optuna.load_study(study_name=name, storage=St.open_storage(storage))
        except KeyError:
            raise SweepError(f"The storage {St.describe(storage)} holds no sweep named {name!r}.", "Check the name (`kerminal sweep --status NAME` on the machine that started it).") from None
        raw = dict(study.user_attrs.get("kerminal") or {})
        text = raw.pop("experiment_toml", None)
        if not text:
            raise SweepError(f"The study {name!r} in {St.describe(storage)} was not made by `kerminal sweep`.", "Join a study that `kerminal sweep` created.")
        loads(text)  # a definition this kerminal cannot read is said here
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / EXPERIMENT, text)
        raw["storage"] = storage
        atomic_write_text(folder / CONFIG, json.dumps(raw, indent=2))
        return cls(folder, raw)

    # ---- the study -----------------------------------------------------------------------
    def study(self) -> Any:
        import optuna

        from engine.sweeps.pruners import make_pruner

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler: Any
        if self.config["sampler"] == "tpe":
            sampler = optuna.samplers.TPESampler(constant_liar=True, n_startup_trials=min(10, max(2, int(self.config["trials"]) // 4)))
        else:  # random; a grid's points are enqueued trials, so its sampler is never asked
            sampler = optuna.samplers.RandomSampler()
        pruner = make_pruner(str(self.config["pruner"]), self.experiment().fit.epochs)
        return optuna.load_study(study_name=self.name, storage=St.open_storage(self.storage), sampler=sampler, pruner=pruner)

    def status(self, study: Any = None, importances: bool = True) -> SweepStatus:
        from optuna.trial import TrialState

        from engine.runs import reader

        study = study or self.study()
        trials = counted(study.get_trials(deepcopy=False))
        rows = []
        for t in trials:
            state = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned", TrialState.FAIL: "failed", TrialState.WAITING: "waiting"}.get(t.state, "running")
            run = str(t.user_attrs.get("run", ""))
            meta = reader.read_meta(self.runs_dir / run) if run else None
            epochs = int((meta or {}).get("epochs", 0) or 0) if meta else (max(t.intermediate_values) if t.intermediate_values else 0)
            end = t.datetime_complete or (None if t.datetime_start is None else _now())
            seconds = (end - t.datetime_start).total_seconds() if t.datetime_start and end else None
            value = t.value if t.state == TrialState.COMPLETE else _best_reported(t.intermediate_values, self.monitor)
            rows.append(TrialRow(t.number, state, dict(t.params), value, epochs, run, seconds, str(t.user_attrs.get("note", ""))))
        complete = [r for r in rows if r.state == "complete" and r.value is not None]
        sign = 1.0 if self.config["direction"] == "maximize" else -1.0
        best = max(complete, key=lambda r: sign * float(r.value or 0.0)) if complete else None
        out = SweepStatus(self.name, int(self.config["trials"]), self.monitor, str(self.config["direction"]), St.describe(self.storage), self.driver_state(), rows, best)
        out.disk_bytes = folder_bytes(self.folder) + sum(folder_bytes(self.runs_dir / r.run) for r in rows if r.run)
        if importances and len(complete) >= IMPORTANCE_AFTER and len(self.space.params) > 1:
            import optuna

            try:
                out.importances = {k: round(float(v), 4) for k, v in optuna.importance.get_param_importances(study).items()}
            except Exception:  # too few distinct values yet: importances are a view
                out.importances = {}
        return out

    def write_summary(self, study: Any = None) -> None:
        try:
            atomic_write_text(self.folder / SUMMARY, json.dumps(self.status(study, importances=False).to_dict(), indent=2, default=str))
        except OSError:  # a full disk: the study holds the truth, the summary is a copy
            return

    # ---- the driver ----------------------------------------------------------------------
    def driver_state(self) -> str:
        info = read_json(self.folder / DRIVER)
        if info.get("state") == "running" and _alive_here(info):
            return "running"
        return str(info.get("state") or "not started") if info.get("state") != "running" else "interrupted"

    def request_stop(self) -> list[str]:
        """Stop the sweep: its driver asks no more trials, and its live trials stop at the
        end of their batch (left running in the study, so --resume continues them).
        Returns the run ids told to stop."""
        from engine.errors import KerminalError
        from engine.runs import commands

        atomic_write_text(self.folder / STOP, time.strftime("%Y-%m-%dT%H:%M:%S"))
        told = []
        for row in self.status(importances=False).rows:
            if row.state == "running" and row.run:
                try:
                    commands.post(self.runs_dir / row.run, "stop")
                    told.append(row.run)
                except KerminalError:  # ended meanwhile, or another user's
                    continue
        return told


def folder_bytes(path: Path) -> int:
    """What the files under `path` take on disk (links not followed; 0 when it is gone)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:  # deleted meanwhile
                continue
            total += getattr(st, "st_blocks", 0) * 512 or st.st_size
    return total


def counted(trials: list[Any]) -> list[Any]:
    """The trials that count toward the sweep: not those a retry or a re-run replaced, nor
    the surplus a worker asked for when others had already filled the sweep."""
    from optuna.trial import TrialState

    retried = {t.system_attrs.get("failed_trial") for t in trials} - {None}
    return [t for t in trials if not t.user_attrs.get("surplus") and not t.user_attrs.get("replaced") and not (t.state == TrialState.FAIL and t.number in retried)]


def _grid_points(space: S.Space) -> list[dict[str, Any]]:
    import itertools

    grid = space.grid()
    return [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())]


def _best_reported(values: dict[int, float], monitor: str) -> float | None:
    if not values:
        return None
    return (max if higher_is_better(monitor) else min)(values.values())


def _now() -> Any:
    import datetime

    return datetime.datetime.now()


def read_json(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def _alive_here(info: dict[str, Any]) -> bool:
    from engine.runs.liveness import HOST, process_alive

    pid = info.get("pid")
    if info.get("host") != HOST or not isinstance(pid, int):
        return info.get("host") != HOST  # another machine's driver: trust the file
    return process_alive(pid)
    return True
