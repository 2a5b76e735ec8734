"""Loading runs: RunStore lists, loads and deletes run folders; load_model_file loads a
.keras file in safe mode with kerminal's layers (TensorFlow is imported only then)."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import ExperimentError, RunError
from engine.experiment import Experiment
from engine.runs import safe
from engine.runs.damage import DAMAGED, DamagedRun, check_files, damaged
from engine.runs.folder import BEST, EVENTS, EXPERIMENT, HISTORY, LAST, LIVE, METRICS, missing_files
from engine.runs.reader import RunInfo, read_info, read_info_meta
from engine.runs.saving import recover

RUN_FILES = (METRICS, EXPERIMENT, HISTORY, EVENTS, BEST, LAST)  # a reader opens these: plain files only

if TYPE_CHECKING:  # pragma: no cover
    import keras


@dataclass
class Run:
    """A loaded run: its experiment, what metrics.json says, and a model (best or last)."""

    path: Path
    info: RunInfo
    experiment: Experiment
    model: keras.Model
    which: str  # "best" or "last"

    @property
    def class_names(self) -> list[str]:
        return self.info.class_names


def load_model_file(path: Path) -> keras.Model:
    """keras.saving.load_model in safe mode, with kerminal's layers registered; RunError if
    the file is not a kerminal model (string input of shape (1,))."""
    import zipfile

    import keras
    import numpy as np

    import engine.keras_layers  # noqa: F401  (registers FixLength, OneHot, standardize_text)

    path = Path(path)
    try:
        os.close(safe.open_regular(path))  # a link, a FIFO or a device is refused, never opened
    except FileNotFoundError:
        raise RunError(f"No model file at {path}.", "Pass a run folder that `kerminal runs` lists.") from None
    except OSError as exc:
        raise damaged(path, f"is not a model file kerminal can read: {exc}") from None
    if not zipfile.is_zipfile(path):  # Keras would say "File not found" for a truncated file
        size = path.stat().st_size
        raise RunError(f"{path} is damaged or truncated ({size} bytes, not a complete .keras archive).", "The save was cut short (a kill or a full disk): use the run's other model (best/last), or train it again.")
    problem = _config_problem_in(path)
    if problem:
        raise RunError(f"{path} is not a model file kerminal wrote: its config {problem}.", "Use the run's other model (best/last), or train it again; kerminal loads only its own model files, in safe mode.")
    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except (KeyError, TypeError, AttributeError, IndexError) as exc:  # Keras's own reading of a config.json it did not write
        raise RunError(f"{path} is not a model file kerminal wrote: its config {_config_problem(exc)}.", "Use the run's other model (best/last), or train it again; kerminal loads only its own model files, in safe mode.") from None
    except Exception as exc:  # a damaged file, a foreign class, an unsafe lambda ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, (zipfile.BadZipFile, EOFError, OSError)) or "not found" in first.lower():
            raise RunError(f"{path} is damaged: {first[:300]}", "Use the run's other model (best/last), or train it again.") from None
        raise RunError(f"{path} could not be loaded as a kerminal model: {first[:300]}", "Train the run again; kerminal loads only its own model files, in safe mode.") from None
    for w in model.weights:
        value = np.asarray(w.numpy()) if hasattr(w, "numpy") else np.asarray(w)
        if np.issubdtype(value.dtype, np.floating) and not np.isfinite(value).all():
            raise RunError(
                f"{path} holds weights that are not finite (NaN or infinity, in {w.path}): the training diverged and this model predicts nothing.",
                "Lower compile.learning_rate (or pick another optimizer) and train again.",
            )
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) != 1 or "string" not in str(inputs[0].dtype) or tuple(inputs[0].shape[1:]) != (1,):
        got = ", ".join(f"{tuple(i.shape)} {i.dtype}" for i in inputs) or "no functional input"
        raise RunError(f"{path} is not a kerminal model: it takes {got}, not one raw string per row.", "Train the model with kerminal so the vectorizer is inside it.")
    return model


def _config_problem_in(path: Path) -> str:
    """What the .keras archive's config.json lacks for a Functional model as kerminal saves
    it ("" when nothing), checked before Keras reads it (Keras says only `'name'`)."""
    import json
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("config.json")
            if info.file_size > safe.SMALL_CAP:
                return f"is larger than {safe.SMALL_CAP:,} bytes"
            raw = json.loads(z.read(info))
    except KeyError:
        return "lacks config.json"
    except (OSError, ValueError, RecursionError, zipfile.BadZipFile, EOFError):
        return "(config.json) is not readable JSON"
    if not isinstance(raw, dict):
        return "is not a JSON object"
    kind: type  # the JSON type each key must have
    for key, kind in (("class_name", str), ("config", dict)):
        if not isinstance(raw.get(key), kind):
            return f"lacks {key!r}" if key not in raw else f"has a {key!r} that is not {'text' if kind is str else 'an object'}"
    config = raw["config"]
    for key, kind in (("name", str), ("layers", list), ("input_layers", list), ("output_layers", list)):
        if not isinstance(config.get(key), kind):
            return f"lacks {key!r} (a {'text' if kind is str else 'list'})"
    for i, layer in enumerate(config["layers"]):
        if not isinstance(layer, dict):
            return f"has a layer {i + 1} that is not an object"
        for key, kind in (("class_name", str), ("name", str), ("config", dict), ("inbound_nodes", list)):
            if not isinstance(layer.get(key), kind):
                return f"lacks {key!r} in layer {i + 1}"
    return ""


def _config_problem(exc: Exception) -> str:
    """Keras's KeyError 'name' or TypeError 'string indices ...' in words."""
    if isinstance(exc, KeyError) and exc.args:
        return f"lacks {str(exc.args[0])[:60]!r}"
    return f"is not what kerminal writes ({type(exc).__name__}: {str(exc)[:120]})"


def read_experiment(file: Path) -> Experiment:
    """A run folder's experiment.toml (`file`), read as a plain file with a cap (never
    through a link, from a FIFO or a device) and parsed as `engine.experiment.load` would."""
    from engine.experiment import loads

    file = Path(file)
    try:
        text = safe.read_text(file)
    except FileNotFoundError:
        raise RunError(f"{file.parent} has no {file.name}.", "Pass a complete run folder (`kerminal runs` lists them), or train again.") from None
    except UnicodeDecodeError:
        raise ExperimentError(f"{file} is not UTF-8 text.", "Save the experiment file as UTF-8.") from None
    except OSError as exc:
        raise damaged(file, f"cannot be read: {exc}") from None
    try:
        return loads(text, file.parent.resolve())
    except ExperimentError as exc:
        raise ExperimentError(f"{file}: {exc.problem}", exc.fix) from None
    except RecursionError:
        raise damaged(file, "is nested too deeply to be an experiment") from None


def listed_info(child: Path) -> RunInfo | None:
    """How a listing shows the folder `child`: its RunInfo, a "damaged" RunInfo saying why
    it cannot be read, or None when it is not a kerminal run."""
    got = listed_info_meta(child)
    return got[0] if got is not None else None


def listed_info_meta(child: Path) -> tuple[RunInfo, dict[str, Any]] | None:
    """listed_info, and metrics.json as read for it ({} for a damaged run)."""
    if not child.is_dir() or not os.path.lexists(child / METRICS):
        return None
    try:
        if child.is_symlink():
            raise damaged(child, "is a symbolic link, not a run folder")
        return read_info_meta(child)
    except DamagedRun as exc:
        return RunInfo(id=child.name, path=child, status=DAMAGED, message=str(exc)), {}
    except RunError:
        return None


class RunStore:
    """The runs under one folder (default ./runs)."""

    def __init__(self, root: str | os.PathLike[str] = "runs") -> None:
        self.root = Path(root)

    def path_of(self, id_or_path: str | os.PathLike[str]) -> Path:
        """A run folder from an id (a folder name under root) or a path; RunError if absent."""
        p = Path(id_or_path)
        if p.is_dir():
            return p
        if (self.root / p).is_dir():
            return self.root / p
        if p.is_file():
            raise RunError(f"{p} is a file, not a run folder.", "Pass the run folder (it holds best.keras, metrics.json, ...); `kerminal runs` lists them.")
        places = f"{p}" if p.is_absolute() else f"{p} and {self.root / p}"
        raise RunError(f"No run {str(id_or_path)!r} (looked for {places}).", "`kerminal runs` lists the runs; pass one of their ids or paths.")

    def list(self) -> list[RunInfo]:
        """Every kerminal run under root, newest first: folders that are not runs are skipped,
        a run that cannot be read is listed with status "damaged" and `message` saying why."""
        if not self.root.is_dir():
            return []
        listed = (listed_info(child) for child in self.root.iterdir())
        return sorted((info for info in listed if info is not None), key=lambda r: r.id, reverse=True)

    def info(self, id_or_path: str | os.PathLike[str]) -> RunInfo:
        return read_info(self.path_of(id_or_path))

    def check(self, id_or_path: str | os.PathLike[str]) -> Path:
        """The run folder if complete; RunError naming what is missing otherwise."""
        path = self.path_of(id_or_path)
        check_files(path, RUN_FILES)
        missing = missing_files(path)
        if missing:
            kind = "an incomplete kerminal run" if (path / METRICS).is_file() or (path / EXPERIMENT).is_file() else "not a kerminal run"
            raise RunError(f"{path} is {kind}: missing {', '.join(missing)}.", "Pass a complete run folder (`kerminal runs` lists them), or train again.")
        read_info(path)
        return path

    def load(self, id_or_path: str | os.PathLike[str], which: str = "best", locked: bool = False) -> Run:
        """The run with its model loaded (safe mode); `which` is "best" or "last" (each falls
        back to the other when missing). `locked`: the caller holds the run's lock."""
        path = self.path_of(id_or_path)
        check_files(path, RUN_FILES)  # before recover(), which reads and moves them
        if locked or ((path / METRICS).is_file() and read_info(path).status not in LIVE):
            recover(path, locked)  # finish or undo a save cut short by a kill (never under a live run's feet)
        path = self.check(path)
        info = read_info(path)
        exp = read_experiment(path / EXPERIMENT)
        order = (BEST, LAST) if which == "best" else (LAST, BEST)
        name = next(n for n in order if (path / n).is_file())
        model = load_model_file(path / name)
        return Run(path=path, info=info, experiment=exp, model=model, which=name.split(".")[0])

    def delete(self, id_or_path: str | os.PathLike[str], stop: bool = False, wait: float = 120.0, force: bool = False) -> Path:
        """Delete a run folder (only a real folder of the caller's that is a kerminal run;
        root: `force`). A live run is refused unless `stop`: then it is stopped first (at
        the end of its batch) and deleted once its process has let the folder go, within
        `wait` seconds. The folder is deleted under the run's lock, so no `--resume` can
        start in it meanwhile."""
        from engine.runs import commands
        from engine.runs.liveness import NOT_RESPONDING, live_status
        from engine.runs.lock import RunBusy, RunLock
        from engine.runs.reader import read_meta
        from engine.runs.safe import check_own_dir

        path = self.path_of(id_or_path)
        check_own_dir(path, force=force)
        with contextlib.suppress(DamagedRun):  # a kerminal run, though unreadable: deleting it is the fix its listing offers
            read_info(path)
        status = live_status(read_meta(path) or {}, path)
        if status in LIVE:
            if not stop:
                raise RunError(f"Run {path.name} is {status} right now: deleting its folder would not stop its process.", f"Stop it first (`kerminal stop {path.name}`), or delete it with `kerminal runs --delete {path.name} --stop`.")
            if status == NOT_RESPONDING:
                raise RunError(f"Run {path.name} is not responding, so it cannot be stopped at a batch end.", f"End its process with `kerminal stop {path.name} --kill`, then delete it.")
            with contextlib.suppress(RunError):  # it may end on its own meanwhile
                commands.post(path, "stop", force=force)
        deadline = time.monotonic() + (wait if stop else 0.0)
        while True:
            try:
                lock = RunLock.acquire(path, force=force)
                break
            except RunBusy:
                if time.monotonic() >= deadline:
                    raise RunError(f"Run {path.name} is still being trained after {wait:.0f} s.", f"Try again, or end it with `kerminal stop {path.name} --kill`.") from None
                time.sleep(0.1)
        try:
            shutil.rmtree(path)
        finally:
            lock.release()
        return path
