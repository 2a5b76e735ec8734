"""Keys while a run trains on a busy machine (issue 20; `python -m bench.bench_app --busy`):
one busy process per core (a Python loop, at the app's priority) beside a run started in the
app, and the app's key-to-screen latency meanwhile: `?` until the help screen's title is
written, and pane switches (`2` until the Layers pane's 'Total params', `1` until the Data
pane's 'Vectorizer:'), at 80x24. The run is started with the keys `3` `t` and measured once
it trains (its first BatchEnd); `--run-nice N` starts it N steps below the app instead of
kerminal's own choice (engine.runs.launch.RUN_NICE; 0: the app's priority, as before).

`--beside-sweep` (issue 22) measures the same keys with no busy processes and no run of the
app's own, beside a sweep of that experiment running two trials at once (`kerminal sweep
--parallel 2 --detach`), once both trials train.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import common

BUSY = "while True: pass"


def busy_processes(count: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", BUSY], stdin=subprocess.DEVNULL, start_new_session=True) for _ in range(count)]


def _training_runs(runs: Path) -> int:
    """Run folders (a sweep's trials) whose events hold a BatchEnd."""
    return sum(any('"BatchEnd"' in line for line in f.read_text(encoding="utf-8", errors="replace").splitlines()) for f in runs.glob("*/events.jsonl"))


def measure(presses: int, run_nice: int | None, sweep: bool = False) -> dict[str, Any]:
    from bench.bench_app import HELP_TITLE, MODELS, PtyProgram, kerminal_argv, read_events, wait_events, write_experiment

    out: dict[str, Any] = {"help": [], "pane": [], "cores": os.cpu_count() or 1}
    env = dict(common.python_env())
    if run_nice is not None:
        env["KERMINAL_RUN_NICE"] = str(run_nice)
    with tempfile.TemporaryDirectory(prefix="kerminal-bench-busy-") as tmp:
        folder = Path(tmp)
        exp = write_experiment(folder, MODELS["LSTM"], 16000, 1000)
        runs = folder / "runs"
        busy = [] if sweep else busy_processes(out["cores"])
        if sweep:  # two trials at once, each an ordinary run in `runs`
            argv = kerminal_argv("sweep", str(exp), "--param", "compile.learning_rate=1e-4..1e-2:log", "--trials", "4", "--parallel", "2", "--prune", "none", "--name", "keys")
            subprocess.run([*argv, "--runs-dir", str(runs), "--detach"], env=env, cwd=folder, check=True, capture_output=True)
        app = PtyProgram(kerminal_argv(str(exp), "--runs-dir", str(runs)), cwd=folder, cols=80, rows=24, env=env)

        def timed(key: str, needle: str) -> float:
            return app.press_until(key, needle, 30)

        try:
            try:
                app.wait_for("TF ready", timeout=120)
            except TimeoutError:  # a toast about the live runs can cover the status line's right end when it is written
                print("bench: 'TF ready' not seen on the screen within 120 s; measuring anyway (the import is long over by then)", file=sys.stderr)
            app.wait_for("2 classes", timeout=120)
            if sweep:
                deadline = time.monotonic() + 600
                while _training_runs(runs) < 2 and time.monotonic() < deadline:
                    time.sleep(0.5)
                if _training_runs(runs) < 2:
                    raise RuntimeError("the sweep's two trials did not both start training within 600 s")
            else:
                app.send("3")
                time.sleep(0.5)
                app.send("t")
                wait_events(runs, lambda evs: any(e["event"] == "BatchEnd" for e in evs), 600, app)
            out["load_at_start"] = os.getloadavg()[0]
            for _ in range(presses):
                out["help"].append(timed("?", HELP_TITLE))
                time.sleep(0.15)
                closed = app.size
                app.send("\x1b")
                app.wait_output(closed)  # Esc and the next key in one read would be Alt+2
                time.sleep(0.3)
                out["pane"].append(timed("2", "Total params"))
                time.sleep(0.15)
                out["pane"].append(timed("1", "Vectorizer:"))
                time.sleep(0.3)
            out["load_at_end"] = os.getloadavg()[0]
            out["epochs_meanwhile"] = sum(e["event"] == "EpochEnd" for e in read_events(runs))
            if sweep:
                return out
            app.send("3")
            time.sleep(0.5)
            app.send("x")
            time.sleep(0.2)
            app.send("x")  # x x: stop without the question
            with contextlib.suppress(TimeoutError, RuntimeError):
                wait_events(runs, lambda evs: any(e["event"] in ("Stopped", "Finished", "Failed") for e in evs), 120, app)
        finally:
            app.close()
            if sweep:  # also when the measure failed: the detached sweep would go on starting trials
                subprocess.run(kerminal_argv("stop", "keys", "--runs-dir", str(runs)), env=env, cwd=folder, capture_output=True, timeout=120)
            for p in busy:
                p.kill()
                p.wait()
            for meta in runs.glob("*/metrics.json"):  # a run the stop did not reach: ended here
                with contextlib.suppress(OSError, ValueError, TypeError):
                    pid = json.loads(meta.read_text()).get("pid")
                    if isinstance(pid, int) and pid > 0:
                        os.kill(pid, signal.SIGKILL)
    return out


def rows(presses: int, run_nice: int | None, sweep: bool = False) -> list[dict[str, Any]]:
    res = measure(presses, run_nice, sweep)
    nice = "kerminal's default" if run_nice is None else f"KERMINAL_RUN_NICE={run_nice}"
    if sweep:
        where, during, goal = f"a sweep's 2 trials training at once (LSTM runs, {nice}), nothing else; load {res['load_at_start']:.1f}-{res['load_at_end']:.1f}", "beside 2 sweep trials", "kerminal < 100 ms"
    else:
        where = f"{res['cores']} busy process(es) (one per core) beside an LSTM run started in the app ({nice}); load {res['load_at_start']:.1f}-{res['load_at_end']:.1f}"
        where, during, goal = f"{where}; {res['epochs_meanwhile']} epoch(s) ended by the end", "while a run trains, busy machine", "kerminal < 150 ms"
    out = []
    for key, what, how in (("help", f"key-to-screen (?) {during}", "`?` -> help title written; Esc between"),
                           ("pane", f"pane switch (2 / 1) {during}", "`2` -> 'Total params', `1` -> 'Vectorizer:' written")):
        ms = [x * 1000 for x in res[key]]
        out.append(common.row(f"{what}, p50", "ms", common.percentile(ms, 50), None, "", f"pty 80x24, {len(ms)} presses; {how}; {where}"))
        out.append(common.row(f"{what}, p95", "ms", common.percentile(ms, 95), None, goal, f"{len(ms)} presses; max {max(ms, default=float('nan')):.0f} ms"))
    return out
