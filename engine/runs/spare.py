"""A warm spare: a training process started before its trial is known (issue 22).

Why: a sweep's trial is an ordinary run, its own `python -m engine.cli train` process, and
such a process spends its first seconds importing TensorFlow and Keras (4 s for a bare
import on a 2-core machine), more than the whole per-trial goal (3 s from the trial to its
first batch). Those imports do not depend on the trial, so the sweep's driver starts the
next trial's process ahead of need, while the current trials train: `train --spare FD`
imports everything costly (IMPORTS), then blocks on FD until it is handed its trial. From
then on it is exactly `train --into RUN --lock-fd N`: same code, same run folder, lock,
events and checkpoints, so `watch`, `stop`, compare and a sweep's adoption of a dead
worker's trials see an ordinary run.

The protocol, over a socketpair made at spawn (SOCK_SEQPACKET: one message per send, and
end of file when the other side closes):
- spare -> launcher: {"ready": seconds} once its imports are done (for the record only);
- launcher -> spare: {"args": [...], "env": {...}, "log": PATH} with the run lock's
  descriptor attached (SCM_RIGHTS, socket.send_fds): train's arguments (`--into RUN ...`),
  the trial's environment (engine.sweeps.pruning's variable; CUDA_VISIBLE_DEVICES, which
  CUDA reads when TensorFlow first touches a device, and no import here does), and the
  spare's own log, copied into RUN/process.txt before its standard error is pointed there;
- spare -> launcher: {"took": pid}. Until this answer the launcher keeps the lock: a spare
  that died or never answers leaves the run to the ordinary start (launch._spawn).
The launcher's end closed before a trial came means "no trial will come": the spare exits
at once and quietly, so it never outlives the sweep that started it (a driver killed with
kill -9 included: the kernel closes its end).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.runs import folder as F
from engine.runs import safe

FLAG = "--spare"  # train's hidden option: the spare's end of the socketpair
# What a trial's process imports before its first batch that no trial setting changes.
IMPORTS = ("tensorflow", "keras", "optuna", "engine.training.trainer", "engine.training.prepare", "engine.prepared", "engine.keras_layers", "engine.sweeps.pruning")
ANSWER_S = 120.0  # how long the launcher waits for a spare still importing to take its trial
MESSAGE_MAX = 1 << 16


@dataclass
class Spare:
    """The launcher's handle on one spare process (engine.sweeps.driver keeps at most one)."""

    proc: subprocess.Popen[bytes]
    sock: socket.socket
    log: Path
    spawned: float  # time.time() when it was started
    ready_s: float | None = None  # its imports' seconds, once it said so
    why_not: str = ""  # why a hand-over failed, for the output
    handed: bool = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def ready(self) -> bool:
        """Whether it has said its imports are done (reads what it sent, never blocks)."""
        if self.ready_s is None:
            with contextlib.suppress(BlockingIOError, OSError, ValueError):
                data = self.sock.recv(MESSAGE_MAX, socket.MSG_DONTWAIT)
                self.ready_s = float(json.loads(data).get("ready", 0.0)) if data else None
        return self.ready_s is not None

    def hand(self, args: list[str], lock_fd: int, env: dict[str, str]) -> int | None:
        """Give this spare its trial: train `args` with the run lock `lock_fd` and `env`
        added. The spare's pid once it took them (the caller may then let the lock go), or
        None with `why_not` said: it died, or did not answer in ANSWER_S (then it is killed
        so that it can never take the run later). Once either way: a spare serves one trial."""
        self.handed = True
        message = json.dumps({"args": args, "env": env, "log": str(self.log)}).encode()
        try:
            socket.send_fds(self.sock, [message], [lock_fd])
            deadline = time.monotonic() + ANSWER_S
            while True:
                self.sock.settimeout(max(0.0, deadline - time.monotonic()))
                data = self.sock.recv(MESSAGE_MAX)
                if not data:
                    raise ConnectionResetError
                answer = json.loads(data)
                if "ready" in answer:
                    self.ready_s = float(answer["ready"])
                    continue
                return int(answer["took"])
        except (BrokenPipeError, ConnectionResetError):  # it died before it could take the trial
            self.why_not = f"the warm process {self.pid} had ended ({self.how_ended()}; its output: {self.log})"
            self.kill()
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:  # TimeoutError is an OSError
            self.why_not = f"the warm process {self.pid} did not take its trial ({exc or type(exc).__name__})"
            self.kill()
            return None
        finally:
            self.sock.close()

    def how_ended(self) -> str:
        """"exit 1", "killed by signal 9" (or "still running"), for the output."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(1)
        code = self.proc.returncode
        return "still running" if code is None else f"killed by signal {-code}" if code < 0 else f"exit {code}"

    def kill(self) -> None:
        """End a spare that was not handed a trial (or did not take it)."""
        self.sock.close()
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)

    def close(self) -> None:
        """No trial will come: the spare sees its socket closed and exits (killed, when it
        is still importing and would only notice later)."""
        if not self.handed:
            self.kill()


def start(log: Path, env: dict[str, str], nice: int) -> Spare:
    """A new spare (`train --spare FD`), its standard error in `log` until its trial comes;
    OSError when it could not be started. `env`, the working folder and the priority are a
    run's (launch.child_env, launch.lower_priority)."""
    from engine.runs.launch import lower_priority

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        with safe.open_append(log, binary=True) as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "engine.cli", "train", FLAG, str(theirs.fileno())],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                start_new_session=True, close_fds=True, pass_fds=(theirs.fileno(),), env=env, cwd=os.getcwd(),
            )
    except OSError:
        ours.close()
        raise
    finally:
        theirs.close()
    lower_priority(proc.pid, nice)
    return Spare(proc, ours, log, time.time())


# ---- the spare's side: inside `train --spare FD` ------------------------------------------
@dataclass
class Trial:
    """What a spare was handed: train's arguments (`--lock-fd` included) and the record of
    the warm start (metrics.json's "warm")."""

    argv: list[str]
    facts: dict[str, Any] = field(default_factory=dict)


def serve(fd: int) -> Trial | None:
    """Import, tell the launcher, wait for the trial; None when none will come."""
    import importlib

    spawned = process_start()
    t0 = time.monotonic()
    sock = socket.socket(fileno=fd)
    for name in IMPORTS:
        importlib.import_module(name)
    ready_s = time.monotonic() - t0
    try:
        sock.send(json.dumps({"ready": round(ready_s, 3)}).encode())
        data, fds, _flags, _addr = socket.recv_fds(sock, MESSAGE_MAX, 1)
    except OSError:  # the launcher is gone
        return None
    waited_s = time.monotonic() - t0 - ready_s
    if not data:
        for extra in fds:
            os.close(extra)
        return None
    message = json.loads(data)
    if len(fds) != 1:
        raise SystemExit(f"kerminal train --spare: handed {len(fds)} descriptors, not the run's lock")
    sock.send(json.dumps({"took": os.getpid()}).encode())
    sock.close()
    os.environ.update({str(k): str(v) for k, v in dict(message.get("env") or {}).items()})
    argv = [str(a) for a in message["args"]]
    _point_stderr(Path(argv[argv.index("--into") + 1]), Path(str(message.get("log") or "")))
    return Trial([*argv, "--lock-fd", str(fds[0])], {"pid": os.getpid(), "spawned": spawned, "handed": round(time.time(), 3), "imports_s": round(ready_s, 3), "waited_s": round(waited_s, 3)})


def _point_stderr(run_dir: Path, log: Path) -> None:
    """From here on the spare's standard error is the run's process.txt, as a launched run's
    is; what it wrote before (its own log) goes there first, and its log is removed."""
    sys.stderr.flush()
    with safe.open_append(run_dir / F.PROCESS_LOG, binary=True) as out:
        if log.name:
            with contextlib.suppress(OSError):
                out.write(log.read_bytes())
                log.unlink()
        out.flush()
        os.dup2(out.fileno(), sys.stderr.fileno())


def process_start(pid: int | str = "self") -> float:
    """When process `pid` started (time.time()), from its age in /proc (start ticks against
    CLOCK_BOOTTIME: /proc/stat's btime is whole seconds); now where /proc cannot say."""
    try:
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
        return round(time.time() - age, 3)
    except (OSError, ValueError, IndexError, AttributeError):
        return round(time.time(), 3)
