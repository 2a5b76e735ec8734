"""Shared helpers for the benchmarks: machine line, timing statistics, rows, goals, JSON.

A benchmark module `bench/bench_<topic>.py` exposes `run(quick: bool) -> list[dict]`; each
dict is one row with the keys of `ROW_KEYS` (medians; the baseline measured in the same
run). `row(...)` builds one and fills the ratio. A goal is a short string that `judge()`
can check:

- "ratio >= 0.97", ">= 0.97" (a bare comparison is about the ratio), "ratio <= 1.2";
- "kerminal < 1 s", "p95 < 100 ms", "< 20 KB/s": a comparison of kerminal's own figure,
  converted to the row's unit when the goal names another unit of the same kind;
- "" or None: no goal (the row is informative only).

A row may also carry `met: bool` when a module judges its own goal.
"""

from __future__ import annotations

import functools
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

ROOT = Path(__file__).resolve().parents[1]
ROW_KEYS = ("measure", "unit", "kerminal", "baseline", "ratio", "goal", "note")


# ---------------------------------------------------------------------------------------
# The machine


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def gpus() -> list[str]:
    """GPU devices TensorFlow sees (imports TensorFlow: call it from a benchmark run)."""
    try:
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    except Exception as exc:  # a broken TF install is a fact about the machine, not a crash
        return [f"unknown ({type(exc).__name__})"]


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine_info(probe_gpu: bool = True) -> dict[str, Any]:
    """CPU count, memory, Python, TensorFlow/Keras/Textual versions, GPU or not."""
    info: dict[str, Any] = {
        "cpus": cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": _memory_gb(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "tensorflow": _version("tensorflow"),
        "keras": _version("keras"),
        "textual": _version("textual"),
        "kerminal": _version("kerminal"),
        "commit": git_commit(),
    }
    info["gpus"] = gpus() if probe_gpu else []
    info["gpu"] = bool(info["gpus"]) and not info["gpus"][0].startswith("unknown")
    return info


def machine_line(info: dict[str, Any]) -> str:
    gpu = ", ".join(info.get("gpus") or []) if info.get("gpu") else "no GPU"
    mem = f", {info['memory_gb']:.0f} GB RAM" if info.get("memory_gb") else ""
    model = f" ({info['cpu_model']})" if info.get("cpu_model") else ""
    return (
        f"machine: {info['cpus']} CPU{'s' if info['cpus'] != 1 else ''}{model}{mem}, {gpu}; "
        f"Python {info['python']}, TensorFlow {info['tensorflow']}, Keras {info['keras']}, "
        f"Textual {info['textual']}; kerminal {info['kerminal']} @ {info['commit']}"
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _memory_gb() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        return 0.0


# ---------------------------------------------------------------------------------------
# Timing


def median(values: Iterable[float]) -> float:
    vals = [float(v) for v in values]
    return statistics.median(vals) if vals else math.nan


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between closest ranks."""
    vals = sorted(float(v) for v in values)
    if not vals:
        return math.nan
    if len(vals) == 1:
        return vals[0]
    k = (len(vals) - 1) * q / 100.0
    lo = math.floor(k)
    hi = min(lo + 1, len(vals) - 1)
    return vals[lo] + (vals[hi] - vals[lo]) * (k - lo)


def time_calls(fn: Callable[[], Any], repeat: int, warmup: int = 1) -> list[float]:
    """Seconds per call of fn, `repeat` times after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


class Stopwatch:
    """`with Stopwatch() as sw: ...` then `sw.seconds`."""

    def __enter__(self) -> "Stopwatch":
        self.start = time.perf_counter()
        self.seconds = math.nan
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def python_env() -> dict[str, str]:
    """Environment for benchmark subprocesses: quiet TensorFlow, the repo importable."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("KERAS_BACKEND", "tensorflow")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH", "")])])
    # The apps a bench starts remember their (temporary) experiment as the last one open:
    # in a state folder of their own, not the user's, whose next `kerminal` would reopen it.
    env.setdefault("KERMINAL_STATE_DIR", str(_bench_state_dir()))
    return env


@functools.cache
def _bench_state_dir() -> Path:
    """One empty state folder per bench process: no app it starts reopens another's experiment."""
    import tempfile

    return Path(tempfile.mkdtemp(prefix="kerminal-bench-state-"))


# ---------------------------------------------------------------------------------------
# Rows and goals


def row(
    measure: str,
    unit: str,
    kerminal: float | None,
    baseline: float | None = None,
    goal: str = "",
    note: str = "",
    ratio: float | None = None,
) -> dict[str, Any]:
    """One result row; the ratio is kerminal / baseline unless given."""
    if ratio is None and _num(kerminal) and _num(baseline) and baseline != 0:
        ratio = float(kerminal) / float(baseline)
    return {
        "measure": measure,
        "unit": unit,
        "kerminal": None if kerminal is None else float(kerminal),
        "baseline": None if baseline is None else float(baseline),
        "ratio": None if ratio is None else float(ratio),
        "goal": goal or "",
        "note": note,
    }


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


_OPS = {
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "≤": lambda a, b: a <= b,
    "≥": lambda a, b: a >= b,
}
_GOAL = re.compile(r"^\s*(?P<lhs>[A-Za-z_][\w ]*?)?\s*(?P<op><=|>=|<|>|≤|≥)\s*(?P<num>[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*(?P<unit>[^\s].*?)?\s*$")
# Units of one kind, in a common base (seconds, bytes, bytes/s, samples/s).
_SCALE = {
    "s": ("time", 1.0), "sec": ("time", 1.0), "ms": ("time", 1e-3), "us": ("time", 1e-6), "µs": ("time", 1e-6),
    "b": ("bytes", 1.0), "kb": ("bytes", 1e3), "mb": ("bytes", 1e6), "gb": ("bytes", 1e9),
    "kib": ("bytes", 1024.0), "mib": ("bytes", 1024.0**2), "gib": ("bytes", 1024.0**3),
    "b/s": ("rate", 1.0), "kb/s": ("rate", 1e3), "mb/s": ("rate", 1e6), "kib/s": ("rate", 1024.0),
    "x": ("ratio", 1.0), "×": ("ratio", 1.0),
}


def judge(r: dict[str, Any]) -> bool | None:
    """Whether the row meets its goal: True, False, or None (no goal, no figure, or a goal
    this function cannot read)."""
    if isinstance(r.get("met"), bool):
        return r["met"]
    goal = str(r.get("goal") or "").strip()
    if not goal:
        return None
    m = _GOAL.match(goal)
    if not m:
        return None
    op, target, gunit = m["op"], float(m["num"]), (m["unit"] or "").strip()
    # A bare comparison is about the ratio, unless it names a unit ("< 1 s").
    lhs = (m["lhs"] or ("kerminal" if gunit and gunit.lower() not in ("x", "×") else "ratio")).strip().lower()
    if lhs == "ratio" or gunit.lower() in ("x", "×"):
        value = r.get("ratio")
    else:
        value = r.get("kerminal")
        if gunit:
            scaled = _convert(target, gunit, str(r.get("unit") or ""))
            if scaled is None:
                return None
            target = scaled
    if not _num(value):
        return None
    return bool(_OPS[op](float(value), target))


def _convert(value: float, from_unit: str, to_unit: str) -> float | None:
    a, b = _SCALE.get(from_unit.lower()), _SCALE.get(to_unit.lower())
    if from_unit.lower() == to_unit.lower():
        return value
    if a is None or b is None or a[0] != b[0]:
        return None
    return value * a[1] / b[1]


def fmt(x: Any) -> str:
    """A figure for the table: 3 significant digits, thousands separated."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        return str(x)
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    if ax == 0:
        return "0"
    return f"{x:.3g}"


def print_rows(rows: Sequence[dict[str, Any]], file: Any = None) -> None:
    """Print rows as a plain table (for `python -m bench.bench_<topic>`)."""
    print(format_table(rows), file=file or sys.stdout)


def format_table(rows: Sequence[dict[str, Any]], extra: Sequence[str] = ()) -> str:
    """The table: measure, unit, kerminal, baseline, ratio, goal, met/missed, note.
    `extra` adds a leading column holding row[key] for each key given."""
    head = [*extra, "measure", "unit", "kerminal", "baseline", "ratio", "goal", "result", "note"]
    body = []
    for r in rows:
        verdict = r.get("result")
        if verdict is None:
            j = judge(r)
            verdict = {True: "met", False: "MISSED", None: "-" if not r.get("goal") else "?"}[j]
        body.append([
            *(str(r.get(k, "")) for k in extra),
            str(r.get("measure", "")),
            str(r.get("unit", "") or ""),
            fmt(r.get("kerminal")),
            fmt(r.get("baseline")),
            fmt(r.get("ratio")),
            str(r.get("goal") or "-"),
            verdict,
            str(r.get("note") or ""),
        ])
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    widths[-1] = len(head[-1])  # the note is last and not padded
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths).rstrip())
    for b in body:
        lines.append("  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)).rstrip())
    return "\n".join(lines)


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def write_json(path: str | os.PathLike[str], payload: Any) -> Path:
    """Write JSON atomically (temporary file, then rename); NaN becomes null."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_text(json.dumps(_clean(payload), indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, p)
    return p


def _clean(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if hasattr(x, "item") and callable(x.item):  # numpy scalars
        try:
            return _clean(x.item())
        except (TypeError, ValueError):
            return str(x)
    if isinstance(x, Path):
        return str(x)
    return x


def main_for(run: Callable[[bool], list[dict[str, Any]]], argv: Sequence[str] | None = None) -> int:
    """`python -m bench.bench_<topic> [--quick]`: run one module and print its rows."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer repetitions")
    args = ap.parse_args(argv)
    rows = run(args.quick)
    print_rows(rows)
    return 0


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def progress_lines(raw: bytes, at: float, steps: dict[str, float], first_batch: float | None) -> tuple[str, float | None]:
    """Read a run's terminal output (`raw`, seen `at` seconds after its start): the first
    time each preparing step ("starting: ...", numbers blanked) shows goes into `steps`;
    returns the text without ANSI codes and when `epoch 1 step` first showed (or None)."""
    text = ANSI.sub("", raw.decode(errors="replace")).replace("\r", "\n")
    for line in (x.strip() for x in text.split("\n")):
        step = re.sub(r"[\d,.]+(/[\d,]+)?", "N", line.removeprefix("starting: "))[:70]
        if line.startswith("starting: ") and step not in steps:
            steps[step] = at
        if first_batch is None and re.match(r"epoch 1 step \d+/", line):
            first_batch = at
    return text, first_batch
