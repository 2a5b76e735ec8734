"""The experiment the app had open last, so that `kerminal` with no arguments reopens it
after the app ended (an SSH connection dropped, the terminal closed, a quit).

One file per runs folder in the state folder, `recent-<key>.json` (the key: a digest of the
runs folder's real path): which experiment file, whether it had unsaved changes, the runs
folder itself, and, when what was on screen was not its file's (unsaved changes, or no
file yet), a copy of it; reopening then gives the changes back, still unsaved. Two apps on
two runs folders keep a state each; two on the same one: the last writer wins. The copy is
inside the same file, so one rename replaces the whole state: a reader never sees one
app's file with the other's unsaved changes.

The state folder is $KERMINAL_STATE_DIR, else $XDG_STATE_HOME/kerminal, else
~/.local/state/kerminal: the user's, not a project's (the XDG spec names "recently used
files" as what its state folder is for). A runs folder with no state of its own (`kerminal`
started from another folder after a reconnect, so ./runs is another one) reopens the newest
state of any, and says which runs folder it was for. Tests set KERMINAL_STATE_DIR.

The file is written atomically (a temporary file of the writer's own, then rename). Reading
never raises: a missing state is nothing to say, a corrupt or unreadable one is ignored with
a one-line notice naming the file and why. UI-free and TF-free.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.errors import KerminalError
from engine.experiment import Experiment, atomic_write_text, load, loads

STATE_ENV = "KERMINAL_STATE_DIR"
RECENT = "recent-{key}.json"
FORMAT = 2  # 1: one recent.json for every runs folder, the copy in recovery.toml beside it
MAX_BYTES = 1 << 20  # a state is never near this: a bigger one is not ours


def state_dir() -> Path:
    """$KERMINAL_STATE_DIR, else $XDG_STATE_HOME/kerminal, else ~/.local/state/kerminal."""
    own = os.environ.get(STATE_ENV)
    if own:
        return Path(own).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg).expanduser() if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "state"  # the spec: a relative one is invalid
    return base / "kerminal"


def runs_key(runs_dir: str | os.PathLike[str] | None = None) -> Path:
    """The runs folder a state is kept for, as its real path (default: the app's)."""
    from engine.runs.folder import runs_dir_default

    return Path(os.path.realpath(Path(runs_dir if runs_dir is not None else runs_dir_default()).expanduser()))


def state_file(runs_dir: str | os.PathLike[str] | None = None, folder: str | os.PathLike[str] | None = None) -> Path:
    """The state file of a runs folder (default: the app's) in `folder` (default: state_dir())."""
    key = hashlib.sha256(os.fsencode(runs_key(runs_dir))).hexdigest()[:16]
    return (Path(folder) if folder is not None else state_dir()) / RECENT.format(key=key)


@dataclass(frozen=True)
class Recent:
    """What a state file says: the experiment file (None: it had none yet), whether what
    was on screen had unsaved changes, the copy of it (TOML text, when not its file's), and
    the runs folder it was open with."""

    path: Path | None
    dirty: bool = False
    recovery: str | None = None
    base_dir: Path | None = None  # where the copy's relative data paths start
    saved_at: float = 0.0
    runs_dir: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        def s(p: Path | None) -> str | None:
            return str(p) if p is not None else None

        return {"kerminal_state": FORMAT, "runs_dir": s(self.runs_dir), "experiment": s(self.path), "dirty": self.dirty, "recovery": self.recovery, "base_dir": s(self.base_dir), "saved_at": self.saved_at}

    @classmethod
    def from_dict(cls, raw: Any) -> Recent:
        """ValueError when `raw` is not a state this version wrote."""
        if not isinstance(raw, dict) or raw.get("kerminal_state") != FORMAT:
            raise ValueError("not a kerminal state file of this version")

        def p(key: str) -> Path | None:
            v = raw.get(key)
            if v is None:
                return None
            if not isinstance(v, str) or not v or "\0" in v:
                raise ValueError(f"{key!r} is not a path")
            return Path(v)

        dirty, saved_at, recovery = raw.get("dirty", False), raw.get("saved_at", 0.0), raw.get("recovery")
        if not isinstance(dirty, bool) or not isinstance(saved_at, (int, float)) or isinstance(saved_at, bool):
            raise ValueError("'dirty' or 'saved_at' has the wrong kind of value")
        if recovery is not None and not isinstance(recovery, str):
            raise ValueError("'recovery' is not an experiment's text")
        return cls(p("experiment"), dirty, recovery, p("base_dir"), float(saved_at), p("runs_dir"))


def _read(path: Path) -> str:
    with open(path, "rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"over {MAX_BYTES // 1024} KB")
    return data.decode("utf-8")


def read_recent(folder: str | os.PathLike[str] | None = None, runs_dir: str | os.PathLike[str] | None = None) -> tuple[Recent | None, str]:
    """(the state of the runs folder, a notice): (None, "") when there is none; (None, why)
    when its file cannot be read or is not one of ours."""
    return _read_state(state_file(runs_dir, folder))


def _read_state(path: Path) -> tuple[Recent | None, str]:
    try:
        return Recent.from_dict(json.loads(_read(path))), ""
    except FileNotFoundError:
        return None, ""
    except (OSError, ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, f"Ignored {path}: {why[:120].rstrip('. ')}."


def newest_state(folder: str | os.PathLike[str] | None = None) -> Recent | None:
    """The newest readable state of any runs folder (None: none)."""
    root = Path(folder) if folder is not None else state_dir()
    try:
        files = list(root.glob(RECENT.format(key="*")))
    except OSError:
        return None
    states = [s for s in (_read_state(f)[0] for f in files[:1000]) if s is not None]
    return max(states, key=lambda s: s.saved_at, default=None)


def remember(experiment: Experiment, path: str | os.PathLike[str] | None, dirty: bool, folder: str | os.PathLike[str] | None = None, now: float | None = None, runs_dir: str | os.PathLike[str] | None = None) -> Recent:
    """Write the state of the runs folder (default: the app's) for the experiment on screen
    (its file `path`, None: none yet), with a copy of it when it is not its file's (`dirty`,
    or no file). OSError when the state folder cannot be written (the caller says so;
    nothing else depends on it)."""
    copy = experiment.to_toml() if dirty or path is None else None
    where = Path(os.path.abspath(Path(path).expanduser())) if path is not None else None
    base = Path(os.path.abspath(experiment.base_dir)) if copy is not None else None
    state = Recent(where, bool(dirty), copy, base, time.time() if now is None else now, runs_key(runs_dir))
    atomic_write_text(state_file(runs_dir, folder), json.dumps(state.to_dict(), indent=1) + "\n")
    return state


@dataclass(frozen=True)
class Reopened:
    """What `kerminal` with no arguments opens: the experiment (None: the default one), its
    file, whether it has unsaved changes, and a one-line notice ("" when there is nothing to
    say: no state yet)."""

    experiment: Experiment | None = None
    path: Path | None = None
    dirty: bool = False
    notice: str = ""
    failed: bool = False  # the notice says why the last experiment could not be reopened


def reopen(folder: str | os.PathLike[str] | None = None, runs_dir: str | os.PathLike[str] | None = None) -> Reopened:
    """The experiment open last with the runs folder (default: the app's; with none of its
    own, the newest of any, said), as `remember` left it: its unsaved changes from the
    copy, else its file as saved; the default experiment, with a notice saying which file
    and why, when it cannot be read."""
    state, notice = read_recent(folder, runs_dir)
    if state is None and not notice:
        state = newest_state(folder)
        if state is not None:
            back = _reopen(state)
            where = f" (with runs in {state.runs_dir})" if state.runs_dir is not None else ""
            return replace(back, notice=f"{back.notice.rstrip('.')}{where}." if back.notice and not back.failed else back.notice)
    if state is None:
        return Reopened(notice=f"{notice} Opened the default experiment." if notice else "", failed=bool(notice))
    return _reopen(state)


def _reopen(state: Recent) -> Reopened:
    name = state.path.name if state.path is not None else ""
    problem = ""
    if state.recovery is not None and (state.dirty or state.path is None):
        try:
            exp = loads(state.recovery, state.base_dir)
        except (ValueError, KerminalError) as exc:
            problem = f"its unsaved changes could not be read: {_why(exc)}"
        else:
            if state.path is None:
                said = "" if not state.dirty and _is_default(exp) else f"Reopened {exp.name or 'the experiment'}, not saved to a file yet{' (unsaved changes kept)' if state.dirty else ''}."
                return Reopened(exp, None, state.dirty, said)
            return Reopened(exp, state.path, True, f"Reopened {name} with its unsaved changes (Ctrl+S saves them).")
    if state.path is None:
        return Reopened(notice=f"Could not reopen the last experiment: {problem}. Opened the default experiment.", failed=True)
    try:
        exp = load(state.path)
    except (OSError, KerminalError) as exc:
        why = "the file is gone (moved or deleted)" if not state.path.exists() else _why(exc).removeprefix(f"{state.path}: ")
        first = f"{problem}; " if problem else ""
        return Reopened(notice=f"Could not reopen {state.path}: {first}{why}. Opened the default experiment.", failed=True)
    if problem:
        return Reopened(exp, state.path, False, f"Reopened {name} as last saved: {problem}.", failed=True)
    return Reopened(exp, state.path, False, f"Reopened {name}, the experiment open last.")


def _why(exc: BaseException) -> str:
    """The reason, in a few words, without its closing full stop."""
    if isinstance(exc, KerminalError):
        text = exc.problem
    elif isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    else:
        text = str(exc)[:120]
    return text.rstrip(". ")


def _is_default(exp: Experiment) -> bool:
    """The app's untouched start (nothing to say when it comes back)."""
    from engine.layers import default_experiment  # TF-free; only read when there is a copy

    return exp == default_experiment()  # base_dir is not compared
