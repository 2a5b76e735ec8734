"""Key-to-screen latency of the real `kerminal` in tmux, idle or while training.

Sends a pane-switch key (the heaviest common key: a whole pane is laid out and drawn) and
polls `tmux capture-pane` until the new pane's text is on the screen; alternates Layers and
Train. Prints median, p95 and max in milliseconds (the poll adds a few ms).

    .venv/bin/python scripts/tmux_key_latency.py [--train] [--presses 40] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", action="store_true", help="measure while the default model trains")
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--kerminal", default=str(ROOT / ".venv/bin/kerminal"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not shutil.which("tmux"):
        print("tmux is needed (apt-get install -y tmux)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    from engine.experiment import save
    from engine.layers.presets import default_experiment

    work = Path(tempfile.mkdtemp())
    exp = default_experiment()
    exp.fit.epochs = 1000  # longer than the measurement
    save(exp, work / "latency.toml")
    session = f"kerminal-latency-{int(time.time())}"
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30",
         f"cd '{work}' && TF_CPP_MIN_LOG_LEVEL=3 '{args.kerminal}' latency.toml --runs-dir runs; sleep 5")

    def wait(text: str, limit: float = 60.0) -> float:
        t0 = time.perf_counter()
        while text not in tmux("capture-pane", "-p", "-t", session):
            if time.perf_counter() - t0 > limit:
                raise SystemExit(f"timed out waiting for {text!r}")
            time.sleep(0.002)
        return time.perf_counter() - t0

    try:
        wait("TF ready")
        if args.train:
            tmux("send-keys", "-t", session, "3")
            time.sleep(0.5)
            tmux("send-keys", "-t", session, "t")
            wait("epoch 2/")
        samples = []
        for i in range(args.presses):
            key, text = ("2", "Total params") if i % 2 == 0 else ("3", "batch 32 · val")
            t0 = time.perf_counter()
            tmux("send-keys", "-t", session, key)
            wait(text)
            samples.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.15)
    finally:
        tmux("send-keys", "-t", session, "x")
        tmux("kill-session", "-t", session)
        shutil.rmtree(work, ignore_errors=True)
    samples.sort()
    row = {
        "measure": "key to screen (pane switch)" + (" while training" if args.train else ""),
        "unit": "ms",
        "median": round(statistics.median(samples), 1),
        "p95": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
        "max": round(samples[-1], 1),
        "presses": len(samples),
    }
    print(json.dumps(row) if args.json else f"{row['measure']}: median {row['median']} ms, p95 {row['p95']} ms, max {row['max']} ms ({row['presses']} presses)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
