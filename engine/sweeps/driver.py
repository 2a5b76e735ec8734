"""The loop that runs a sweep's trials on this machine: ask the study for a trial, start it
as an ordinary run (engine.runs.launch.start: its own process, folder, events and
checkpoints), tag it, and tell the study its result when the run ends. Up to `parallel`
trials at once. The driver started by `kerminal sweep` and each `--join` worker run this same
loop against the same storage; no process is in charge of the others.

What each ended run tells the study: its best value of the monitored metric (finished, or
stopped by hand), PRUNED (the run's TrialReporter was told to stop), or FAIL with the run's
message (a bad combination of settings, a crash): the sweep goes on. A trial stopped because
the sweep was stopped stays RUNNING in the study: `kerminal sweep --resume` continues it.

On start (and so on --resume) the driver takes over the trials a stopped sweep released and
those whose worker on this machine is gone (kill -9, a crash): a run still training is watched again; a run that was stopped or
interrupted after at least one saved epoch is continued from its last epoch with `train
--resume` semantics (its folder holds last.keras and the epochs so far, and continuing loses
nothing); one with no saved epoch, or whose folder is not consistent, is re-run as a new
trial with the same values, since there is nothing to continue from. Each case is said in
the output and in the run's note.

Where trials run (gpus.py): with several GPUs each running trial gets its own through
CUDA_VISIBLE_DEVICES. What an ended trial keeps (unless the sweep was made with --keep-all):
best.keras, not last.keras nor temporary checkpoints, deleted only once the study has its
result (a trial stopped with the sweep keeps last.keras, so --resume continues it). A trial
that fails for a full disk stops the sweep from starting more (every next one would fail
the same way); the trials running finish.

A warm spare (engine.runs.spare; off with `kerminal sweep --no-warm`): the driver keeps one
trial process started ahead of need, its TensorFlow imported while the current trials train,
and hands it the next trial's run (the trial is then the same ordinary run, started in about
the time its own setup takes). At most one spare; the next one starts as soon as one is
handed its trial, and only while more trials will be asked. A spare still importing is
handed a trial only when no other trial waits to start (waiting on it holds up the loop);
one that died meanwhile is said, the trial starts in a new process as without spares, and
a new spare is started. Its output goes to SWEEP/spare-PID-N.txt until it has a run (then
to the run's process.txt); the sweep's end, a stop or the driver's death ends it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import KerminalError
from engine.runs import commands, labels, launch, reader
from engine.runs import folder as F
from engine.runs import spare as warm
from engine.runs.liveness import HOST, live_status, process_alive
from engine.runs.status import LIVE, Status
from engine.sweeps import space as S
from engine.sweeps import storage as St
from engine.sweeps.gpus import Placement, visible_gpus
from engine.sweeps.pruners import ENV, PRUNED_AT
from engine.sweeps.space import SweepError
from engine.sweeps.sweep import DRIVER, STOP, Sweep, counted

POLL_S = 0.5  # how often the driver looks at its runs (a read of metrics.json each)


@dataclass
class Live:
    number: int
    trial_id: int
    path: Path
    gpu: str | None = None


class Driver:
    def __init__(self, sweep: Sweep, out: Callable[[str], None] = print, main: bool = True) -> None:
        self.sweep, self.out, self.main = sweep, out, main
        self.worker = f"{HOST}:{os.getpid()}"
        self.live: dict[int, Live] = {}
        self.base = sweep.experiment()
        self.parallel = int(sweep.config.get("parallel", 1))
        self.wanted = int(sweep.config["trials"])
        self.starting: int | None = None  # the trial id being started (its run not yet live)
        self.keep_all = bool(sweep.config.get("keep_all", False))
        self.gpus = Placement(visible_gpus())
        self.disk_full = ""  # why no more trials start: a trial failed for a full disk
        self.warm = bool(sweep.config.get("warm", True))  # keep a warm spare (--no-warm: not)
        self.spare: warm.Spare | None = None
        self._spares = 0  # spares started (names their logs)

    # ---- the loop ------------------------------------------------------------------------
    def run(self) -> str:
        """Drive the sweep until it has all its trials (or is stopped); returns "ended" or
        "stopped"."""
        import optuna

        study = self.sweep.study()
        beats = St.heartbeats(study._storage)
        quiet = threading.Event()
        if beats:
            threading.Thread(target=self._beat, args=(study._storage, quiet), name="sweep-heartbeat", daemon=True).start()
        if self.main:
            self._record("running")
        self.out(self.gpus.said(self.parallel))
        try:
            self._adopt(study)
            last_check = 0.0
            while True:
                if not self.sweep.folder.is_dir():  # removed under it: nothing left to drive or record
                    self._folder_gone()
                    return "stopped"
                self._reap(study)
                stopping = (self.sweep.folder / STOP).exists()
                if beats and time.monotonic() - last_check >= St.HEARTBEAT_S:
                    last_check = time.monotonic()
                    optuna.storages.fail_stale_trials(study)
                if stopping or self.disk_full:
                    self._drop_spare()
                    if not self.live:
                        state = "stopped"
                        break
                elif len(self.live) < self.parallel and self._may_ask(study):
                    self._start_one(study)
                    self._keep_spare(study)
                    continue
                elif not self.live and not self._may_ask(study):
                    state = "ended"
                    break
                if not stopping and not self.disk_full:
                    self._keep_spare(study)
                time.sleep(POLL_S)
        except BaseException as exc:
            if self.main:
                with contextlib.suppress(OSError):  # a full disk: the driver's record stays "running", read as interrupted
                    self._record("interrupted")
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):  # the study's journal, on a full disk
                raise SweepError(
                    f"The sweep could not write its study or folder: {exc.strerror} ({exc.filename or St.describe(self.sweep.storage)}).",
                    f"Free some space, then `kerminal sweep --resume {self.sweep.name}` continues it (trials still running go on; it takes them over).",
                ) from None
            raise
        finally:
            quiet.set()
            self._drop_spare()
        if self.main:
            with contextlib.suppress(OSError):
                self._record(state)
        self.sweep.write_summary(study)
        return state

    def _beat(self, storage: Any, quiet: threading.Event) -> None:
        """Beat for this worker's trials from a thread of its own: a trial's start (a process
        and its imports) can take longer than the grace period on a loaded machine, and a
        worker whose loop was busy was taken for dead and its trial failed under it."""
        while not quiet.wait(St.HEARTBEAT_S):
            ids = [live.trial_id for live in list(self.live.values())] + ([self.starting] if self.starting is not None else [])
            for trial_id in ids:
                try:
                    storage.record_heartbeat(trial_id)
                except Exception:  # a storage hiccup: the next beat tries again
                    continue

    def _record(self, state: str) -> None:
        from engine.experiment import atomic_write_text

        atomic_write_text(self.sweep.folder / DRIVER, json.dumps({"pid": os.getpid(), "host": HOST, "state": state, "at": time.strftime("%Y-%m-%dT%H:%M:%S")}))

    def _may_ask(self, study: Any) -> bool:
        from optuna.trial import TrialState

        trials = counted(study.get_trials(deepcopy=False))
        waiting = any(t.state == TrialState.WAITING for t in trials)
        return waiting or sum(t.state != TrialState.WAITING for t in trials) < self.wanted

    # ---- the warm spare ------------------------------------------------------------------
    def _keep_spare(self, study: Any) -> None:
        """One spare started, while more trials will be asked here (a dead one replaced)."""
        if self.spare is not None and not self.spare.alive():
            self._gone(self.spare, "a new one is started")
            self.spare = None
        if not self.warm or self.spare is not None or not self._may_ask(study):
            return
        self._spares += 1
        log = self.sweep.folder / f"spare-{os.getpid()}-{self._spares}.txt"
        try:
            self.spare = warm.start(log, launch.child_env(), launch.run_nice())
        except OSError as exc:  # no spare: trials start the ordinary way
            self.warm = False
            self.out(f"sweep {self.sweep.name}: no warm process could be started ({exc.strerror or exc}); each trial starts a process of its own.")

    def _take_spare(self, number: int) -> warm.Spare | None:
        """The spare for trial `number`, if it can take it without holding up another
        trial's start; a dead one is said and dropped (a new one follows)."""
        spare = self.spare
        if spare is None:
            return None
        if not spare.alive():
            self.spare = None
            self._gone(spare, f"trial {number} starts in a new process, and a new warm process after it")
            return None
        if not spare.ready() and len(self.live) + 1 < self.parallel:
            return None  # another trial waits to start: not held up by this one's imports
        self.spare = None
        return spare

    def _gone(self, spare: warm.Spare, then: str) -> None:
        spare.kill()  # reaped
        self.out(f"the warm process {spare.pid} had ended ({spare.how_ended()}; its output: {spare.log}); {then}.")

    def _drop_spare(self) -> None:
        if self.spare is not None:
            self.spare.close()
            with contextlib.suppress(OSError):
                if self.spare.log.stat().st_size == 0:
                    self.spare.log.unlink()
            self.spare = None

    # ---- one trial -----------------------------------------------------------------------
    def _start_one(self, study: Any) -> None:
        import optuna

        trial = study.ask()
        try:
            self._start_trial(study, trial)
        except optuna.exceptions.UpdateFinishedTrialError:
            # The study ended it meanwhile (another worker took it for a dead worker's, or
            # the sweep filled): its retry, if any, is another trial; a run started for it
            # is stopped and its GPU freed.
            live = next((lv for lv in self.live.values() if lv.trial_id == trial._trial_id), None)
            if live is not None:
                del self.live[live.number]
                self.gpus.release(live.gpu)
                with contextlib.suppress(KerminalError):  # ended meanwhile
                    commands.post(live.path, "stop")
            self.out(f"trial {trial.number}: ended by the study while it started here; left to its retry.")
        finally:
            self.starting = None

    def _start_trial(self, study: Any, trial: Any) -> None:
        from optuna.trial import TrialState

        self.starting = trial._trial_id
        if St.heartbeats(study._storage):
            study._storage.record_heartbeat(trial._trial_id)
        if "fixed_params" not in study._storage.get_trial_system_attrs(trial._trial_id):  # a fresh trial: did another worker fill the sweep first?
            firsts = sorted(t.number for t in counted(study.get_trials(deepcopy=False)) if t.state != TrialState.WAITING)[: self.wanted]
            if trial.number not in firsts:
                trial.set_user_attr("surplus", True)
                study.tell(trial, state=TrialState.FAIL)
                return
        trial.set_user_attr("worker", self.worker)
        values = {p.path: _suggest(trial, p) for p in self.sweep.space.params}
        shown = ", ".join(f"{k}={_short(v)}" for k, v in values.items())
        gpu = self.gpus.take()
        spare = self._take_spare(trial.number)
        try:
            exp = S.apply(self.base, values)
            exp.name = f"{self.sweep.name} trial {trial.number}"
            path = launch.start(exp, self.sweep.runs_dir, env={ENV: self._env(trial), **self.gpus.env(gpu)}, spare=spare)
        except KerminalError as exc:
            if spare is not None and not spare.handed:  # no run to hand: it waits for the next trial
                self.spare, spare = spare, None
            self.gpus.release(gpu)
            trial.set_user_attr("note", str(exc))
            study.tell(trial, state=TrialState.FAIL)
            self.out(f"trial {trial.number}: failed before it started ({shown}): {exc}")
            self._check_disk(str(exc))
            return
        self.live[trial.number] = Live(trial.number, trial._trial_id, path, gpu)
        trial.set_user_attr("run", path.name)
        if gpu is not None:
            trial.set_user_attr("gpu", gpu)
        self._label(path, trial.number)
        how = "" if spare is None else f", in a new process: {spare.why_not}" if spare.why_not else f", in warm process {spare.pid}"
        self.out(f"trial {trial.number}: run {path.name} ({shown})" + (f" on GPU {gpu}" if gpu is not None else "") + how)

    def _env(self, trial: Any) -> str:
        return json.dumps({"storage": self.sweep.storage, "study": self.sweep.name, "trial": trial._trial_id, "number": trial.number, "pruner": self.sweep.config["pruner"], "monitor": self.sweep.monitor})

    def _label(self, path: Path, number: int, note: str = "") -> None:
        try:
            labels.set_tags(path, [f"sweep:{self.sweep.name}", f"trial:{number}"])
            if note:
                labels.set_note(path, note)
        except KerminalError:  # labels are a view: never lose a trial over one
            return

    def _folder_gone(self) -> None:
        """The sweep's folder was deleted while it ran: its trials still running are stopped
        (their own folders may be gone too) and the driver ends, rather than polling forever
        for runs that can no longer end."""
        for live in self.live.values():
            with contextlib.suppress(KerminalError, OSError):
                commands.post(live.path, "stop")
            self.gpus.release(live.gpu)
        self.live.clear()
        self.out(f"The sweep's folder {self.sweep.folder} was removed: no more trials start here, and the running ones were asked to stop.")

    def _reap(self, study: Any) -> None:
        for number, live in list(self.live.items()):
            status: str
            if not live.path.is_dir():  # deleted while it trained: it can never be read as ended
                meta, status = {"message": f"its run folder {live.path} was removed"}, Status.FAILED
            else:
                meta = reader.read_meta(live.path) or {}
                status = live_status(meta, live.path) if meta else Status.STARTING
            if status in LIVE:
                continue
            del self.live[number]
            self.gpus.release(live.gpu)
            self._tell(study, live, meta, status)
            self.sweep.write_summary(study)

    def _tell(self, study: Any, live: Live, meta: dict[str, Any], status: str) -> None:
        from optuna.trial import TrialState

        frozen = study._storage.get_trial(live.trial_id)
        if frozen.state.is_finished():
            self.out(f"trial {live.number}: already ended in the study ({frozen.state.name.lower()}); its run {live.path.name} is left as it is.")
            return
        value = (meta.get("best") or {}).get("value")
        epochs = int(meta.get("epochs", 0) or 0)
        if frozen.user_attrs.get(PRUNED_AT):
            study.tell(live.number, state=TrialState.PRUNED)
            self.out(f"trial {live.number}: {meta.get('message') or 'pruned'}")
        elif status == Status.STOPPED and (self.sweep.folder / STOP).exists():
            study._storage.set_trial_user_attr(live.trial_id, "worker", "")  # released: --resume takes it
            self.out(f"trial {live.number}: stopped with the sweep after {epochs} epochs; `kerminal sweep --resume {self.sweep.name}` continues it.")
            return  # its last.keras stays: --resume continues from it
        elif status in (Status.FINISHED, Status.STOPPED) and isinstance(value, (int, float)) and math.isfinite(value):
            study.tell(live.number, float(value))
            self.out(f"trial {live.number}: {status}, best {self.sweep.monitor} {value:.4g} after {epochs} epochs")
        else:
            why = str(meta.get("message") or status)
            study._storage.set_trial_user_attr(live.trial_id, "note", why)
            study.tell(live.number, state=TrialState.FAIL)
            if not self._check_disk(why):
                self.out(f"trial {live.number}: failed ({why}); the sweep goes on")
        if not self.keep_all:
            trim(live.path)

    def _check_disk(self, why: str) -> bool:
        """A failure for a full disk stops the sweep from starting trials (each would fail
        the same way, one after the other). True if it was one."""
        if not any(words in why for words in DISK_FULL):
            return False
        if not self.disk_full:
            self.disk_full = why
            self.out(f"sweep {self.sweep.name}: a trial failed for lack of disk space ({why}); no more trials start. Free some space and continue with `kerminal sweep --resume {self.sweep.name}`.")
        return True

    # ---- taking over a gone worker's trials ----------------------------------------------
    def _adopt(self, study: Any) -> None:
        from optuna.trial import TrialState

        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            worker = str(t.user_attrs.get("worker", ""))
            host, _, pid = worker.partition(":")
            if worker and (host != HOST or worker == self.worker or pid.isdigit() and process_alive(int(pid))):
                continue
            if "worker" not in t.user_attrs and _younger_than(t, UNTAGGED_S):  # just asked by a worker that has yet to tag it
                continue
            study._storage.set_trial_user_attr(t._trial_id, "worker", self.worker)
            run = str(t.user_attrs.get("run", ""))
            path = self.sweep.runs_dir / run if run else None
            meta = reader.read_meta(path) if path is not None else None
            if path is None or meta is None:
                self._rerun(study, t, "its run was never started (the worker died first)")
                continue
            status = live_status(meta, path)
            gpu = t.user_attrs.get("gpu")
            live = Live(t.number, t._trial_id, path, str(gpu) if gpu is not None else None)
            epochs = int(meta.get("epochs", 0) or 0)
            if status in LIVE:
                self.gpus.hold(live.gpu)
                self.live[t.number] = live
                self.out(f"trial {t.number}: run {path.name} is still training; watching it again.")
            elif status in (Status.STOPPED, Status.INTERRUPTED) and epochs >= 1 and (path / F.LAST).is_file() and not t.user_attrs.get(PRUNED_AT):
                self._continue(study, t, live, epochs)
            elif status == Status.FINISHED or t.user_attrs.get(PRUNED_AT):
                self._tell(study, live, meta, status)
            else:
                self._rerun(study, t, f"its run {path.name} ended {status} with no saved epoch to continue from")
        self.sweep.write_summary(study)

    def _continue(self, study: Any, t: Any, live: Live, epochs: int) -> None:
        note = f"sweep {self.sweep.name}, trial {t.number}: continued from epoch {epochs} (train --resume: its folder holds last.keras and {epochs} epoch{'s' if epochs != 1 else ''}, so nothing is trained twice)."
        live.gpu = self.gpus.take()
        try:
            launch.resume(live.path, env={ENV: self._env(t), **self.gpus.env(live.gpu)})
        except KerminalError as exc:
            self.gpus.release(live.gpu)
            if "has trained all" in exc.problem:
                self._tell(study, live, reader.read_meta(live.path) or {}, Status.FINISHED)
                return
            self._rerun(study, t, f"its run {live.path.name} could not be continued ({exc.problem})")
            return
        self._label(live.path, t.number, note)
        self.live[t.number] = live
        self.out(f"trial {t.number}: {note}")

    def _rerun(self, study: Any, t: Any, why: str) -> None:
        from optuna.trial import TrialState

        note = f"re-run as a new trial with the same values: {why}."
        study._storage.set_trial_user_attr(t._trial_id, "replaced", True)
        study._storage.set_trial_user_attr(t._trial_id, "note", note)
        study.tell(t.number, state=TrialState.FAIL)
        study.enqueue_trial(dict(t.params), user_attrs={"rerun_of": t.number})
        self.out(f"trial {t.number}: {note}")


# A trial is tagged with its worker a moment after it is asked; one still untagged this long
# after its start lost its worker in between (one released by a stopped sweep has an empty tag).
UNTAGGED_S = 30.0


def _younger_than(t: Any, seconds: float) -> bool:
    import datetime

    start = t.datetime_start
    return start is not None and (datetime.datetime.now() - start).total_seconds() < seconds


DISK_FULL = ("No space left on device", "Disk quota exceeded")  # engine.runs.saving.disk_error's words


def trim(run: Path) -> None:
    """What an ended trial keeps: best.keras, without last.keras (when there is a best to
    keep), temporary checkpoints or streamed ids. A file that will not go stays."""
    import shutil

    from engine.runs.damage import regular
    from engine.training.streamed import ids_folder

    doomed = [p for p in run.glob(F.TEMP_GLOB) if p.is_file() and not p.is_symlink()]
    if regular(run / F.BEST) and regular(run / F.LAST):
        doomed.append(run / F.LAST)
    for p in doomed:
        with contextlib.suppress(OSError):
            p.unlink()
    ids = ids_folder(run)
    if ids.is_dir() and not ids.is_symlink():
        shutil.rmtree(ids, ignore_errors=True)


def _suggest(trial: Any, p: S.Param) -> Any:
    d = p.distribution()
    if p.choices:
        return trial.suggest_categorical(p.path, list(p.choices))
    if p.type == "int":
        return trial.suggest_int(p.path, d.low, d.high, step=d.step, log=d.log)
    return trial.suggest_float(p.path, d.low, d.high, step=d.step, log=d.log)


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
