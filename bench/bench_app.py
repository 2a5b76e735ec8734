"""App-level benchmarks: the real `kerminal` program in a pseudo-terminal of 120x40.

- time to the first screen: from launching `kerminal EXPERIMENT.toml` until its first frame
  (the status line naming the experiment) has been written to the terminal, against
  `python -c "import tensorflow"` (goal: under 1 s, whatever TensorFlow costs);
- key-to-screen latency while a run trains: `?` pressed while the app watches its run,
  timed until the help screen's title has been written to the terminal (p50 and p95; goal
  p95 under 50 ms);
- bytes written to the terminal per second while the app watches a run (epochs 2..N, no key
  pressed: what an SSH link must carry; goal under 10 KB/s at 120x40, truecolor);
- the app's CPU while it watches one live run (the whole app process, all threads; the run
  is its own process): goal under 3 % of a core;
- the app answering keys, idle, at 80x24 (TensorFlow loaded): the Data source dialog's
  first frame after `o` (goal p95 under 100 ms), a pane switch (`2`/`1`, until the new
  pane's text is written; goal p95 under 50 ms), and `?` to the help screen;
- training speed of a run started in the app (keys `3`, `t`), samples per second from the
  run's own epoch records (training samples over whole-epoch time, validation included,
  first epoch left out), against `kerminal train` of the same file in the foreground, timed
  the same way (goal >= 0.99), and against a plain `model.fit` of the same model
  (engine.layers.build), data and batch size in its own process (the tutorial's way).

The terminal is read by a thread that timestamps every chunk; escape sequences are stripped
before looking for text.

    python -m bench.bench_app [--quick]
    python -m bench.bench_app --busy [--presses 15] [--run-nice N]   (bench/busy_keys.py)
    python -m bench.bench_app --beside-sweep [--presses 15]          (the same keys beside 2 sweep trials)
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path
from typing import Any

from bench import common

# bench.run's limits for this module (seconds): the quick run took 309 s on 2 cores at load
# 4.5-6 (see run(); 600 s and more before), the full run about 900 s.
QUICK_LIMIT_S = 420
FULL_LIMIT_S = 2400
COLS, ROWS = 120, 40
NAME = "benchapp"  # the experiment's name: the status line shows it on the first screen
HELP_TITLE = "kerminal keys"  # the help screen's title
MODELS = {
    "SimpleRNN": {"type": "SimpleRNN", "units": 32},
    "LSTM": {"type": "LSTM", "units": 32},
    "BiLSTM": {"type": "Bidirectional", "layer": {"type": "LSTM", "units": 32}},
}
ANSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1bP.*?\x1b\\|\x1b[@-Z\\-_]|\x1b[()][0-9A-Za-z]", re.S)


# ---------------------------------------------------------------------------------------
# A program in a pseudo-terminal


class PtyProgram:
    """Runs argv in a new pty of cols x rows; a reader thread timestamps what it writes."""

    def __init__(self, argv: list[str], cwd: Path, cols: int = COLS, rows: int = ROWS, env: dict[str, str] | None = None):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = dict(env or common.python_env())
        env.update(TERM="xterm-256color", COLORTERM="truecolor", COLUMNS=str(cols), LINES=str(rows))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True, close_fds=True)
        os.close(slave)
        self.fd = master
        self.buf = bytearray()
        self.chunks: list[tuple[float, int]] = []  # (arrival time, buffer length after it)
        self.cond = threading.Condition()
        self.closed = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def press_until(self, key: str, needle: str, timeout: float = 10.0) -> float:
        """Seconds from sending `key` until `needle` is written after it."""
        start = self.size
        t = self.send(key)
        return self.wait_for(needle, start, timeout=timeout) - t

    def wait_output(self, start: int, timeout: float = 30.0) -> None:
        """Until the program wrote something after byte `start`."""
        deadline = time.perf_counter() + timeout
        while self.size <= start and time.perf_counter() < deadline:
            time.sleep(0.01)

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            now = time.perf_counter()
            with self.cond:
                if not data:
                    self.closed = True
                    self.cond.notify_all()
                    return
                self.buf += data
                self.chunks.append((now, len(self.buf)))
                self.cond.notify_all()

    @property
    def size(self) -> int:
        with self.cond:
            return len(self.buf)

    def send(self, keys: str) -> float:
        t = time.perf_counter()
        os.write(self.fd, keys.encode())
        return t

    def text(self, start: int = 0) -> str:
        with self.cond:
            raw = bytes(self.buf[start:])
        return ANSI.sub(b"", raw).decode("utf-8", errors="replace")

    def wait_for(self, needle: str, start: int = 0, timeout: float = 30.0) -> float:
        """The arrival time of the chunk that completed `needle` (searched from buffer
        offset `start`, escape sequences stripped). TimeoutError if it never comes."""
        deadline = time.perf_counter() + timeout
        target = needle.encode()
        checked = start
        with self.cond:
            while True:
                if len(self.buf) > checked:
                    # Search the stripped text; each new chunk is checked as it arrives.
                    if target in ANSI.sub(b"", bytes(self.buf[start:])):
                        return self.chunks[-1][0]
                    checked = len(self.buf)
                if self.closed:
                    raise RuntimeError(f"kerminal exited before showing {needle!r}: {self._tail()}")
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise TimeoutError(f"{needle!r} did not appear within {timeout:.0f} s; the screen ends with: {self._tail()}")
                self.cond.wait(min(left, 0.05))

    def _tail(self) -> str:
        return " ".join(ANSI.sub(b"", bytes(self.buf[-3000:])).decode("utf-8", errors="replace").split())[-300:]

    def bytes_between(self, t0: float, t1: float) -> int:
        with self.cond:
            before = [n for t, n in self.chunks if t < t0]
            upto = [n for t, n in self.chunks if t <= t1]
        return (upto[-1] if upto else 0) - (before[-1] if before else 0)

    def close(self, quit_keys: str = "\x11", timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            try:
                self.send(quit_keys)
                self.proc.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.reader.join(2)
        try:
            os.close(self.fd)
        except OSError:
            pass


def kerminal_argv(*args: str) -> list[str]:
    """The installed console script beside this Python, else `python -m tui.entry`."""
    script = Path(sys.executable).parent / "kerminal"
    if script.is_file():
        return [str(script), *args]
    found = shutil.which("kerminal")
    return [found, *args] if found else [sys.executable, "-m", "tui.entry", *args]


# ---------------------------------------------------------------------------------------
# The experiments


def write_experiment(folder: Path, recurrent: dict[str, Any], n: int, epochs: int) -> Path:
    """Words, 100 tokens, Embedding(32) -> recurrent -> Dense(1, sigmoid), batch 32, on a
    synthetic review CSV of n rows (80/20 split)."""
    from bench.bench_memory import write_corpus
    from engine.experiment import CompileConfig, DataConfig, Experiment, FitConfig, LayerSpec, SplitConfig, VectorizeConfig, save

    csv = folder / "reviews.csv"
    if not csv.is_file():
        write_corpus(csv, n, mean_words=120)
    params = dict(recurrent)
    kind = params.pop("type")
    exp = Experiment(
        name=NAME,
        data=DataConfig(source="csv", path=str(csv), text="review", label="sentiment", split=SplitConfig(0.2, 0.0, 42)),
        vectorize=VectorizeConfig(kind="words", max_tokens=10000, length=100),
        layers=[LayerSpec("Embedding", {"output_dim": 32}), LayerSpec(kind, params), LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})],
        compile=CompileConfig(optimizer="rmsprop", loss="binary_crossentropy"),
        fit=FitConfig(epochs=epochs, batch_size=32, seed=42),
    )
    path = folder / f"{NAME}-{kind.lower()}.toml"
    save(exp, path)
    return path


def read_events(runs_dir: Path) -> list[dict[str, Any]]:
    out = []
    for f in sorted(runs_dir.glob("*/events.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line being written
    return out


def wait_events(runs_dir: Path, pred: Any, timeout: float, app: PtyProgram) -> list[dict[str, Any]]:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        evs = read_events(runs_dir)
        if pred(evs):
            return evs
        if app.proc.poll() is not None:
            raise RuntimeError(f"kerminal exited while training: {app._tail()}")
        time.sleep(0.05)
    raise TimeoutError(f"training did not get there within {timeout:.0f} s; the screen ends with: {app._tail()}")


def epoch_rates(evs: list[dict[str, Any]]) -> list[float]:
    """Training samples / whole-epoch seconds, for each epoch after the first."""
    started = next(e for e in evs if e["event"] == "Started")
    full = started["steps_per_epoch"]
    return [started["samples"] / e["duration_s"] for e in evs
            if e["event"] == "EpochEnd" and e["epoch"] >= 2 and e["duration_s"] and e.get("steps", full) == full]


# ---------------------------------------------------------------------------------------
# Measures


def first_screen(exp_path: Path, folder: Path, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        app = PtyProgram(kerminal_argv(str(exp_path), "--runs-dir", str(folder / "runs-fs")), cwd=folder)
        try:
            t = app.wait_for(NAME, timeout=60)
            times.append(t - app.started)
            app.wait_for("TF ", timeout=30)  # let it settle before quitting
        finally:
            app.close()
    return times


def ui_latencies(exp_path: Path, folder: Path, presses: int) -> dict[str, list[float]]:
    """Idle key-to-screen times at 80x24 once TensorFlow has loaded, `presses` of each, in
    seconds: `o` until the Data source dialog's title is written (Esc closes it), `2`/`1`
    until the Layers/Data pane's first line is written, `?` until the help screen's title."""
    app = PtyProgram(kerminal_argv(str(exp_path), "--runs-dir", str(folder / "runs-ui")), cwd=folder, cols=80, rows=24)
    out: dict[str, list[float]] = {"dialog": [], "pane": [], "help": []}

    def timed(key: str, needle: str) -> float:
        return app.press_until(key, needle, 10)

    try:
        app.wait_for("TF ready", timeout=120)
        app.wait_for("2 classes", timeout=60)
        time.sleep(0.5)
        for _ in range(presses):
            out["dialog"].append(timed("o", "Data source"))
            time.sleep(0.15)
            app.send("\x1b")
            time.sleep(0.25)
            out["pane"].append(timed("2", "Total params"))
            time.sleep(0.15)
            out["pane"].append(timed("1", "Vectorizer:"))
            time.sleep(0.15)
            out["help"].append(timed("?", HELP_TITLE))
            time.sleep(0.15)
            app.send("\x1b")
            time.sleep(0.25)
    finally:
        app.close()
    return out


def import_tensorflow(repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import tensorflow"], env=common.python_env(), check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


def ui_thread_cpu(pid: int) -> float | None:
    """CPU seconds used so far by the process's main thread (Textual's event loop, where
    the app draws); None where /proc is not there to tell."""
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def process_cpu(pid: int) -> float | None:
    """CPU seconds used so far by the whole process (all its threads); None without /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cli_train(exp_path: Path, folder: Path, epochs: int) -> list[float]:
    """samples/s per epoch (after the first) of `kerminal train EXP` in the foreground, run
    as the app runs it (the file's own epoch count, so the same XLA choice) and stopped with
    Ctrl+C after `epochs` epochs."""
    runs = folder / f"runs-cli-{exp_path.stem}"
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(kerminal_argv("train", str(exp_path), "--runs-dir", str(runs), "--json"),
                            cwd=folder, env=common.python_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.perf_counter() + 1800
        while sum(e["event"] == "EpochEnd" for e in read_events(runs)) < epochs:
            if proc.poll() is not None:
                raise RuntimeError(f"kerminal train ended early: {' | '.join((proc.stderr.read() or '').strip().splitlines()[-3:])}")
            if time.perf_counter() > deadline:
                raise TimeoutError("kerminal train did not finish its epochs in 30 minutes")
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return epoch_rates([e for e in read_events(runs) if e["event"] != "EpochEnd" or e["epoch"] <= epochs])


def train_in_app(exp_path: Path, folder: Path, epochs: int, probes: int) -> dict[str, Any]:
    """Train in the app (keys `3`, `t`). Epochs 2..`epochs` run with no key pressed: their
    speed and the bytes written meanwhile are measured; then `?` is pressed `probes` times
    while training goes on, and `x` stops it."""
    runs = folder / f"runs-{exp_path.stem}"
    folder.mkdir(parents=True, exist_ok=True)
    app = PtyProgram(kerminal_argv(str(exp_path), "--runs-dir", str(runs)), cwd=folder)
    out: dict[str, Any] = {"latencies": [], "bytes_per_s": None}

    def epochs_done(evs: list[dict[str, Any]]) -> int:
        return sum(e["event"] == "EpochEnd" for e in evs)

    try:
        app.wait_for("TF ready", timeout=120)
        app.wait_for("2 classes", timeout=60)
        app.send("3")
        time.sleep(0.5)
        app.send("t")
        wait_events(runs, lambda evs: epochs_done(evs) >= 1, 300, app)
        t0, ui0, cpu0 = time.perf_counter(), ui_thread_cpu(app.proc.pid), process_cpu(app.proc.pid)
        evs = wait_events(runs, lambda evs: epochs_done(evs) >= epochs, 900, app)
        t1, ui1, cpu1 = time.perf_counter(), ui_thread_cpu(app.proc.pid), process_cpu(app.proc.pid)
        out["bytes_per_s"] = app.bytes_between(t0, t1) / (t1 - t0)
        if ui0 is not None and ui1 is not None:
            out["ui_cpu"] = (ui1 - ui0) / (t1 - t0)
        if cpu0 is not None and cpu1 is not None:
            out["app_cpu"] = (cpu1 - cpu0) / (t1 - t0)
        out["rates"] = epoch_rates(evs)
        for _ in range(probes):
            if any(e["event"] in ("Finished", "Stopped", "Failed") for e in read_events(runs)):
                break
            start = app.size
            t_key = app.send("?")
            out["latencies"].append(app.wait_for(HELP_TITLE, start, timeout=10) - t_key)
            time.sleep(0.15)
            closed = app.size
            app.send("\x1b")
            app.wait_output(closed)  # Esc and the next key in one read would be Alt+x
            time.sleep(0.35)
        app.send("x")
        time.sleep(0.2)
        app.send("x")  # x x: stop without the question `x` asks once the partial epoch is a few seconds old
        evs = wait_events(runs, lambda evs: any(e["event"] in ("Finished", "Stopped", "Failed") for e in evs), 120, app)
        failed = [e for e in evs if e["event"] == "Failed"]
        if failed:
            raise RuntimeError(f"training failed in the app: {failed[0].get('message')}")
    finally:
        app.close()
    return out


def plain_fit(exp_path: Path, epochs: int) -> list[float]:
    """samples/s per epoch (after the first) of a plain model.fit, in its own process."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_app", "--child-fit", str(exp_path), "--epochs", str(epochs)],
        cwd=common.ROOT, env=common.python_env(), capture_output=True, text=True, timeout=900,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"plain model.fit failed: {' | '.join(proc.stderr.strip().splitlines()[-3:])}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["rates"]


def child_fit(exp_path: Path, epochs: int) -> None:
    """The baseline, as the tutorials train: the texts vectorized once into integer arrays,
    then model.fit of the same layers (engine.layers.build's stack) compiled with Keras's
    defaults, with nothing added but an epoch timer."""
    import keras

    from engine.data import load_dataset
    from engine.experiment import load
    from engine.layers import build, loss_plan
    from engine.training import numeric
    from engine.training.prepare import encode_labels

    exp = load(exp_path)
    ds = load_dataset(exp)
    keras.utils.set_random_seed(exp.fit.seed)
    parts = numeric.split_model(build(exp, ds))
    model = parts.stack
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    plan = loss_plan(exp, ds.num_classes)
    x, y = numeric.vectorize(parts, ds.train.texts), encode_labels(ds.train.labels, plan.labels, ds.num_classes)
    xv, yv = numeric.vectorize(parts, ds.validation.texts), encode_labels(ds.validation.labels, plan.labels, ds.num_classes)
    durations: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            durations.append(time.perf_counter() - self.t0)

    model.fit(x, y, batch_size=exp.fit.batch_size, epochs=epochs, validation_data=(xv, yv), callbacks=[Timer()], verbose=0)
    print(json.dumps({"rates": [len(ds.train) / d for d in durations[1:]]}))


def ui_rows(path: Path, folder: Path, presses: int = 30) -> list[dict[str, Any]]:
    rows = []
    ui = ui_latencies(path, folder, presses)
    for key, what, goal, how in (
        ("dialog", "Data source dialog opens (o), idle", "kerminal < 100 ms", "`o` -> the dialog's title written; Esc between"),
        ("pane", "pane switch (2 / 1), idle", "kerminal < 50 ms", "`2` -> 'Total params', `1` -> 'Vectorizer:' written"),
        ("help", "key-to-screen (?), idle", "kerminal < 50 ms", "`?` -> help title written; Esc between"),
    ):
        ms = [x * 1000 for x in ui[key]]
        rows.append(common.row(f"{what}, p50", "ms", common.percentile(ms, 50), None, "", f"pty 80x24, TensorFlow loaded, {len(ms)} presses; {how}"))
        rows.append(common.row(f"{what}, p95", "ms", common.percentile(ms, 95), None, goal, f"{len(ms)} presses; max {max(ms, default=float('nan')):.0f} ms"))
    return rows


def run(quick: bool, ui_only: bool = False) -> list[dict[str, Any]]:
    if ui_only:
        with tempfile.TemporaryDirectory(prefix="kerminal-bench-app-") as tmp:
            return ui_rows(write_experiment(Path(tmp), MODELS["LSTM"], 2000, 5), Path(tmp))
    # Quick answers the same questions with less of each: the LSTM only; 3 first screens (and
    # 3 TensorFlow imports); 10 presses of each idle key (30 in the full run: quick's p95 is
    # close to its max); 2 rounds (app then `kerminal train`, then the other way round) of 3
    # epochs on 16,000 rows, whose epochs 2..3 are pooled: 4 epochs of each side, about 2.5 s
    # each on 2 idle cores, 5 s at load 5 (the ratio's range is in the note); 10 `?` presses
    # while a run trains. The full run: every model, 3 rounds of 6 epochs on 30,000 rows
    # (epochs of about 3 s, where 1 s epochs had swung the ratio 0.67-1.06 for the same
    # code), 7 first screens, 30 and 40 presses.
    if quick:
        n, epochs, fs_repeat, presses, probes, rounds, models = 16000, 3, 3, 10, 10, 2, ["LSTM"]
    else:
        n, epochs, fs_repeat, presses, probes, rounds, models = 30000, 6, 7, 30, 40, 3, list(MODELS)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kerminal-bench-app-") as tmp:
        folder = Path(tmp)
        paths = {name: write_experiment(folder, MODELS[name], n, 1000) for name in models}

        fs = first_screen(paths["LSTM"], folder, fs_repeat)
        tf = import_tensorflow(fs_repeat)
        rows.append(common.row("time to first screen", "s", common.median(fs), common.median(tf), "kerminal < 1 s",
                               f"pty {COLS}x{ROWS}, `kerminal EXP.toml` until its first frame; baseline `python -c \"import tensorflow\"`; {fs_repeat} runs each"))

        rows += ui_rows(paths["LSTM"], folder, presses)

        for name, path in paths.items():
            measure_keys = name == "LSTM"
            # Epochs of a second or two vary by +-10% here; alternating the order over rounds
            # and pooling the epochs keeps drift (a busy neighbour, a warm cache) out of the ratio.
            app_rates: list[float] = []
            cli: list[float] = []
            base: list[float] = []
            for r in range(rounds):
                if r % 2:
                    cli += cli_train(path, folder / f"round{r}", epochs)
                res_r = train_in_app(path, folder / f"round{r}", epochs, probes if measure_keys and r == 0 else 0)
                app_rates += res_r["rates"]
                if r == 0:
                    res = res_r
                if not r % 2:
                    cli += cli_train(path, folder / f"round{r}", epochs)
            base += plain_fit(path, epochs)
            spread = f"app {common.median(app_rates):,.0f} ({min(app_rates):,.0f}-{max(app_rates):,.0f}), kerminal train {common.median(cli):,.0f} ({min(cli):,.0f}-{max(cli):,.0f}) samples/s"
            rows.append(common.row(f"run started in the app, {name}", "samples/s", common.median(app_rates), common.median(cli), "ratio >= 0.99",
                                   f"{int(n * 0.8):,} samples, batch 32, 100 tokens; epochs 2..{epochs}, {rounds} round(s) in alternating order, against `kerminal train` in the foreground; {spread}"))
            rows.append(common.row(f"run started in the app vs plain model.fit, {name}", "samples/s", common.median(app_rates), common.median(base), "",
                                   "the tutorial's way (ids made once, model.fit, Keras defaults) in its own process, once"))
            if measure_keys:
                lat = [x * 1000 for x in res["latencies"]]
                rows.append(common.row("key-to-screen while a run trains, p50", "ms", common.percentile(lat, 50), None, "",
                                       f"`?` -> help screen written to the pty, {len(lat)} presses while the app watches an LSTM run"))
                rows.append(common.row("key-to-screen while a run trains, p95", "ms", common.percentile(lat, 95), None, "kerminal < 50 ms",
                                       f"{len(lat)} presses at {COLS}x{ROWS}; max {max(lat, default=float('nan')):.0f} ms"))
                rows.append(common.row("terminal output while a run trains", "B/s", res["bytes_per_s"], None, "kerminal < 10 KB/s",
                                       f"{COLS}x{ROWS}, truecolor, over epochs 2..{epochs} of an LSTM run, no keys"))
                if res.get("app_cpu") is not None:
                    rows.append(common.row("app CPU while watching a run (% of a core)", "%", 100 * res["app_cpu"], None, "kerminal < 3 %",
                                           f"the whole app process (all threads), /proc, over epochs 2..{epochs}; the run is its own process"))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bench_app")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--ui-only", action="store_true", help="only the idle key-to-screen rows (dialog, pane switch, help)")
    ap.add_argument("--busy", action="store_true", help="only keys while a run trains beside one busy process per core (bench/busy_keys.py)")
    ap.add_argument("--beside-sweep", action="store_true", help="only keys beside a sweep training two trials at once (bench/busy_keys.py)")
    ap.add_argument("--presses", type=int, default=15, help="--busy, --beside-sweep: presses of each key")
    ap.add_argument("--run-nice", type=int, default=None, help="--busy: start the run this many steps below the app (default: kerminal's own)")
    ap.add_argument("--child-fit", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--epochs", type=int, default=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_fit:
        child_fit(args.child_fit, args.epochs)
        return 0
    if args.busy or args.beside_sweep:
        from bench import busy_keys

        common.print_rows(busy_keys.rows(args.presses, args.run_nice, sweep=args.beside_sweep))
        return 0
    common.print_rows(run(args.quick, args.ui_only))
    return 0


if __name__ == "__main__":
    sys.exit(main())
