"""Run every benchmark and print one table: `python -m bench [--quick] [--json PATH] [--only NAME]`.

Every `bench/bench_<topic>.py` module is discovered and run in its own Python process
(so one benchmark's TensorFlow state, threads and memory never colour another's, and a
crash or hang is contained), through its `run(quick) -> list[dict]`. A module that raises,
returns malformed rows, or runs past its time limit is reported in the table as FAILED with
its error; nothing is hidden. The table shows each measure with kerminal's median, the
baseline's median measured in the same run, their ratio, the goal and whether it was met,
then the machine line. The same results go to a JSON file (default
`bench/results/latest.json`) for comparison between versions (`--compare OLD.json`).

Stopping it (Ctrl+C, SIGTERM) ends every process it started: each module's process gets a
token in its environment that every program it starts inherits (the app in its own pty
session, detached training runs in theirs), and once the module ends, however it ends
(rows, a crash, its time limit, the runner interrupted), every process still carrying the
token is ended (bench/procs.py). The runner then exits 130 (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Sequence

from bench import common, procs

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_JSON = BENCH_DIR / "results" / "latest.json"
# Per-module wall-clock limits (seconds), unless a module sets QUICK_LIMIT_S / FULL_LIMIT_S.
QUICK_TIMEOUT = 150
FULL_TIMEOUT = 3600


def discover(package_dir: Path = BENCH_DIR) -> list[str]:
    """Module names (`bench_<topic>`) of the benchmark modules in package_dir, sorted."""
    return sorted(p.stem for p in Path(package_dir).glob("bench_*.py") if p.is_file())


def select(names: Sequence[str], only: Sequence[str] | None) -> list[str]:
    """The modules named by --only (`load`, `bench_load` or a comma list); all when empty."""
    if not only:
        return list(names)
    wanted = []
    for item in only:
        wanted += [w.strip() for w in item.split(",") if w.strip()]
    picked, unknown = [], []
    for w in wanted:
        name = w if w.startswith("bench_") else f"bench_{w}"
        name = name.removesuffix(".py")
        (picked if name in names else unknown).append(name)
    if unknown:
        known = ", ".join(n.removeprefix("bench_") for n in names) or "none"
        raise SystemExit(f"bench: no benchmark named {', '.join(unknown)} (known: {known})")
    return [n for n in names if n in picked]


# ---------------------------------------------------------------------------------------
# One module, in a child process


def check_rows(rows: Any) -> list[dict[str, Any]]:
    """The rows a module returned, or ValueError naming what is wrong with them."""
    if not isinstance(rows, list):
        raise ValueError(f"run() returned {type(rows).__name__}, not a list of dicts")
    if not rows:
        raise ValueError("run() returned no rows")
    for i, r in enumerate(rows, 1):
        if not isinstance(r, dict):
            raise ValueError(f"row {i} is a {type(r).__name__}, not a dict")
        missing = [k for k in common.ROW_KEYS if k not in r]
        if missing:
            raise ValueError(f"row {i} ({r.get('measure', '?')}) lacks the keys {', '.join(missing)}")
    return rows


def child(module: str, package_dir: Path, quick: bool, out: Path) -> int:
    """Import package.module, call run(quick), write {"rows": [...]} or {"error": ...} to out."""
    package_dir = Path(package_dir).resolve()
    sys.path.insert(0, str(package_dir.parent))
    t0 = time.perf_counter()
    payload: dict[str, Any]
    code = 0
    try:
        import importlib

        mod = importlib.import_module(f"{package_dir.name}.{module}")
        if not callable(getattr(mod, "run", None)):
            raise AttributeError(f"{module} has no run(quick) function")
        rows = check_rows(mod.run(quick))
        payload = {"rows": rows}
    except BaseException as exc:  # the parent reports it: every failure is a table row
        payload = {"error": f"{type(exc).__name__}: {exc}".strip(), "traceback": traceback.format_exc()}
        code = 1
    payload["seconds"] = time.perf_counter() - t0
    if "tensorflow" in sys.modules:  # it is loaded anyway: say what it sees
        payload["gpus"] = common.gpus()
    common.write_json(out, payload)
    return code


class Interrupted(BaseException):
    """SIGTERM (or SIGHUP) reached the runner: it unwinds as KeyboardInterrupt does."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_interrupted(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def _shielded():
    """Ctrl+C and SIGTERM held off while the processes a module started are being ended
    (the first signal already brought the runner here); one that arrives meanwhile is
    raised afterwards unless the runner is unwinding already."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    old = {s: signal.signal(s, lambda n, f: got.append(n)) for s in (signal.SIGINT, signal.SIGTERM)}
    unwinding = sys.exc_info()[0] is not None
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if got and not unwinding:
        if got[0] == signal.SIGINT:
            raise KeyboardInterrupt
        raise Interrupted(got[0])


def run_module(module: str, quick: bool, timeout: float, package_dir: Path = BENCH_DIR, echo: bool = True) -> dict[str, Any]:
    """Run one module in a child process; a dict with name, status, seconds, rows, error.
    Every process it started is ended before this returns or raises."""
    result: dict[str, Any] = {"name": module, "status": "ok", "seconds": None, "rows": [], "error": ""}
    token = procs.new_token()
    with tempfile.TemporaryDirectory(prefix="kerminal-bench-") as tmp:
        # The module's temporary folders go inside this one, so that they are removed
        # with it even when the module's process is killed before it can remove them.
        (Path(tmp) / "tmp").mkdir()
        env = {**common.python_env(), procs.TOKEN_VAR: token, "TMPDIR": str(Path(tmp) / "tmp")}
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "bench.run", "--child", module, "--package-dir", str(package_dir), "--out", str(out)]
        if quick:
            cmd.append("--quick")
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=common.ROOT, env=env, capture_output=True, text=True, timeout=timeout)
            stderr, stdout = proc.stderr, proc.stdout
            rc: int | None = proc.returncode
        except subprocess.TimeoutExpired as exc:
            stderr = (exc.stderr or b"").decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            stdout = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            rc = None
        finally:
            # subprocess.run has ended the module's own process; the app, training runs and
            # any other program it started (in sessions of their own) are ended here.
            with _shielded():
                left = procs.end(token)
            if left and echo:
                print(f"bench: {module} left {len(left)} process(es) running; ended them", file=sys.stderr, flush=True)
        result["seconds"] = time.perf_counter() - t0
        if echo and stdout.strip():
            print(_indent(stdout.strip(), f"  [{module}] "), file=sys.stderr)
        payload: dict[str, Any] = {}
        if out.is_file():
            try:
                payload = json.loads(out.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                payload = {"error": f"unreadable result file: {exc}"}
        if rc is None:
            result.update(status="failed", error=f"timed out after {timeout:.0f} s")
        elif payload.get("error"):
            result.update(status="failed", error=payload["error"], traceback=payload.get("traceback", ""))
        elif rc != 0 or "rows" not in payload:
            tail = " | ".join(stderr.strip().splitlines()[-3:])
            result.update(status="failed", error=f"exit code {rc}: {tail or 'no output'}")
        else:
            result["rows"] = payload["rows"]
        if payload.get("gpus") is not None:
            result["gpus"] = payload["gpus"]
    return result


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


# ---------------------------------------------------------------------------------------
# The suite


def module_limit(name: str, quick: bool, package_dir: Path = BENCH_DIR) -> float:
    """A module's own limit: its QUICK_LIMIT_S / FULL_LIMIT_S (read from its source, so
    nothing is imported here), else the suite's default. Each module sizes its limit to its
    work with room to spare; one shared limit either failed the longest or hid a hang."""
    import ast

    key = "QUICK_LIMIT_S" if quick else "FULL_LIMIT_S"
    default = QUICK_TIMEOUT if quick else FULL_TIMEOUT
    try:
        tree = ast.parse((package_dir / f"{name}.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return default
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == key for t in node.targets):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, (int, float)):
                return float(node.value.value)
    return default


def collect(names: Sequence[str], quick: bool, timeout: float | None = None, package_dir: Path = BENCH_DIR, echo: bool = True) -> list[dict[str, Any]]:
    """Run each module in turn; the per-module results (ok or failed)."""
    results = []
    for name in names:
        if echo:
            print(f"bench: running {name} ...", file=sys.stderr, flush=True)
        limit = timeout or module_limit(name, quick, package_dir)
        res = run_module(name, quick, limit, package_dir, echo)
        if echo:
            state = "ok" if res["status"] == "ok" else f"FAILED ({res['error']})"
            print(f"bench: {name} {state} in {res['seconds']:.1f} s", file=sys.stderr, flush=True)
        results.append(res)
    return results


def table_rows(results: Sequence[dict[str, Any]], previous: dict[tuple[str, str], Any] | None = None) -> list[dict[str, Any]]:
    """Flat rows for the table and the JSON: each with its module and verdict."""
    rows = []
    for res in results:
        module = res["name"].removeprefix("bench_")
        if res["status"] != "ok":
            rows.append({"module": module, "measure": "(module failed)", "unit": "", "kerminal": None, "baseline": None,
                         "ratio": None, "goal": "", "note": res["error"], "result": "FAILED"})
            continue
        for r in res["rows"]:
            j = common.judge(r)
            verdict = {True: "met", False: "MISSED", None: "-" if not r.get("goal") else "?"}[j]
            out = {"module": module, **{k: r.get(k) for k in common.ROW_KEYS}, "result": verdict}
            if previous is not None:
                out["previous"] = previous.get((module, str(r.get("measure"))))
            rows.append(out)
    return rows


def load_previous(path: Path) -> dict[tuple[str, str], Any]:
    """(module, measure) -> kerminal figure, from an earlier JSON result."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {(r.get("module", ""), str(r.get("measure"))): r.get("kerminal") for r in data.get("rows", [])}


def summary(rows: Sequence[dict[str, Any]]) -> str:
    counts = {k: sum(1 for r in rows if r["result"] == k) for k in ("met", "MISSED", "FAILED", "?")}
    text = f"goals: {counts['met']} met, {counts['MISSED']} missed"
    if counts["?"]:
        text += f", {counts['?']} unreadable"
    if counts["FAILED"]:
        text += f"; {counts['FAILED']} module(s) FAILED"
    return text


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description="Run kerminal's benchmarks against plain Keras baselines and print one table.")
    ap.add_argument("--quick", action="store_true", help="smaller sizes and fewer repetitions: the whole suite in under 8 minutes on 2 cores")
    ap.add_argument("--json", metavar="PATH", type=Path, default=DEFAULT_JSON, help=f"where to write the results as JSON (default {DEFAULT_JSON.relative_to(common.ROOT)})")
    ap.add_argument("--only", metavar="NAME", action="append", help="run only this benchmark (load, train, ... ; repeat or comma-separate)")
    ap.add_argument("--compare", metavar="OLD_JSON", type=Path, help="show an earlier result's kerminal figures beside this run's")
    ap.add_argument("--timeout", metavar="S", type=float, help=f"one limit in seconds for every module (default: each module's QUICK_LIMIT_S / FULL_LIMIT_S, else {QUICK_TIMEOUT} quick, {FULL_TIMEOUT} full)")
    ap.add_argument("--list", action="store_true", help="list the benchmark modules and exit")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--package-dir", type=Path, default=BENCH_DIR, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        return child(args.child, args.package_dir, args.quick, args.out)

    names = discover(args.package_dir)
    if args.list:
        print("\n".join(n.removeprefix("bench_") for n in names))
        return 0
    if not names:
        print(f"bench: no bench_*.py modules in {args.package_dir}", file=sys.stderr)
        return 1
    names = select(names, args.only)
    previous = load_previous(args.compare) if args.compare else None

    t0 = time.perf_counter()
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1` prints where it is
    # Ctrl+C stops the runner even when it was started with SIGINT ignored, as a shell's
    # background job (and all it starts: pytest, CI) is; Python then leaves SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_interrupted)
    try:
        results = collect(names, args.quick, args.timeout, args.package_dir)
    except (KeyboardInterrupt, Interrupted) as exc:
        sig = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        print(f"\nbench: stopped by {signal.Signals(sig).name}; every process it started has ended", file=sys.stderr, flush=True)
        return 128 + sig
    finally:
        for signum in (signal.SIGTERM, signal.SIGHUP):  # nothing is left running to end
            signal.signal(signum, signal.SIG_DFL)
    total = time.perf_counter() - t0
    machine = common.machine_info(probe_gpu=False)
    seen = next((r["gpus"] for r in results if "gpus" in r), None)
    machine["gpus"] = seen if seen is not None else common.gpus()
    machine["gpu"] = bool(machine["gpus"]) and not str(machine["gpus"][0]).startswith("unknown")

    rows = table_rows(results, previous)
    mode = "quick" if args.quick else "full"
    print()
    print(f"kerminal benchmarks ({mode} run, {total:.0f} s; medians; ratio = kerminal / baseline)")
    print(common.format_table(rows, extra=("module",) + (("previous",) if previous is not None else ())))
    print()
    print(common.machine_line(machine))
    print(summary(rows))
    payload = {
        "date": common.now_iso(),
        "command": "python -m bench" + (" --quick" if args.quick else "") + "".join(f" --only {o}" for o in args.only or []),
        "mode": mode,
        "seconds": total,
        "machine": machine,
        "modules": [{k: v for k, v in r.items() if k != "rows"} for r in results],
        "rows": rows,
    }
    path = common.write_json(args.json, payload)
    print(f"results written to {os.path.relpath(path)}")
    return 1 if any(r["status"] != "ok" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
