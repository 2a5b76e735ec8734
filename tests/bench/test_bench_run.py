"""The benchmark harness: discovery, rows collected, failing modules shown, goals judged."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench import common, run

ROOT = Path(__file__).resolve().parents[2]


def _fake_package(tmp_path: Path) -> Path:
    pkg = tmp_path / "fakebench"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bench_good.py").write_text(textwrap.dedent("""
        from bench.common import row

        def run(quick):
            return [row("speed", "samples/s", 97.0, 100.0, goal="ratio >= 0.95", note="quick" if quick else "full"),
                    row("latency p95", "ms", 150.0, 40.0, goal="kerminal < 100 ms")]
    """))
    (pkg / "bench_broken.py").write_text("def run(quick):\n    raise RuntimeError('the data folder is missing')\n")
    (pkg / "bench_badrows.py").write_text("def run(quick):\n    return [{'measure': 'x'}]\n")
    (pkg / "bench_crash.py").write_text("import os\n\ndef run(quick):\n    os._exit(3)\n")
    (pkg / "helper.py").write_text("")  # not a benchmark: not discovered
    return pkg


def test_discover_and_select(tmp_path):
    pkg = _fake_package(tmp_path)
    names = run.discover(pkg)
    assert names == ["bench_badrows", "bench_broken", "bench_crash", "bench_good"]
    assert run.select(names, ["good"]) == ["bench_good"]
    assert run.select(names, ["bench_broken,good"]) == ["bench_broken", "bench_good"]
    with pytest.raises(SystemExit, match="no benchmark named bench_nope"):
        run.select(names, ["nope"])


def test_collect_keeps_rows_and_marks_failures(tmp_path):
    pkg = _fake_package(tmp_path)
    results = run.collect(run.discover(pkg), quick=True, timeout=60, package_dir=pkg, echo=False)
    by = {r["name"]: r for r in results}
    assert by["bench_good"]["status"] == "ok"
    assert [r["measure"] for r in by["bench_good"]["rows"]] == ["speed", "latency p95"]
    assert by["bench_good"]["rows"][0]["note"] == "quick"
    assert by["bench_broken"]["status"] == "failed"
    assert "RuntimeError: the data folder is missing" in by["bench_broken"]["error"]
    assert by["bench_badrows"]["status"] == "failed" and "lacks the keys" in by["bench_badrows"]["error"]
    assert by["bench_crash"]["status"] == "failed" and "exit code 3" in by["bench_crash"]["error"]

    rows = run.table_rows(results)
    verdicts = {(r["module"], r["measure"]): r["result"] for r in rows}
    assert verdicts[("good", "speed")] == "met"
    assert verdicts[("good", "latency p95")] == "MISSED"
    assert verdicts[("broken", "(module failed)")] == "FAILED"
    table = common.format_table(rows, extra=("module",))
    assert "FAILED" in table and "the data folder is missing" in table and " 0.97 " in table
    assert run.summary(rows) == "goals: 1 met, 1 missed; 3 module(s) FAILED"


@pytest.mark.slow
def test_timeout_is_a_failure(tmp_path):
    pkg = tmp_path / "slowbench"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bench_slow.py").write_text("import threading\n\ndef run(quick):\n    threading.Event().wait()  # never returns: the runner's time limit ends it\n")
    res = run.run_module("bench_slow", True, timeout=3, package_dir=pkg, echo=False)
    assert res["status"] == "failed" and res["error"] == "timed out after 3 s"


@pytest.mark.slow
def test_main_prints_table_and_writes_json(tmp_path):
    pkg = _fake_package(tmp_path)
    out = tmp_path / "res.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--package-dir", str(pkg), "--only", "good,broken", "--json", str(out)],
        cwd=ROOT, env=common.python_env(), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr  # a failed module fails the run
    assert "machine: " in proc.stdout and "TensorFlow" in proc.stdout
    assert "(module failed)" in proc.stdout and "speed" in proc.stdout
    data = json.loads(out.read_text())
    assert data["mode"] == "quick" and data["machine"]["cpus"] >= 1
    assert [m["status"] for m in data["modules"]] == ["failed", "ok"]
    assert {r["measure"] for r in data["rows"]} == {"(module failed)", "speed", "latency p95"}
    # comparing against it shows the earlier figures
    proc2 = subprocess.run(
        [sys.executable, "-m", "bench", "--package-dir", str(pkg), "--only", "good", "--json", str(tmp_path / "b.json"), "--compare", str(out)],
        cwd=ROOT, env=common.python_env(), capture_output=True, text=True, timeout=120,
    )
    assert proc2.returncode == 0, proc2.stderr
    assert "previous" in proc2.stdout
    assert json.loads((tmp_path / "b.json").read_text())["rows"][0]["previous"] == 97.0


@pytest.mark.parametrize(
    ("r", "expected"),
    [
        (common.row("a", "samples/s", 96, 100, goal="ratio >= 0.97"), False),
        (common.row("a", "samples/s", 98, 100, goal="≥ 0.97"), True),
        (common.row("a", "s", 0.8, 4.0, goal="kerminal < 1 s"), True),
        (common.row("a", "ms", 1200, 4000, goal="< 1 s"), False),
        (common.row("a", "B/s", 15000, None, goal="< 20 KB/s"), True),
        (common.row("a", "ms", 8, 30, goal="p50 < 10 ms"), True),
        (common.row("a", "MB", 500, 400, goal="<= 1.2x"), False),
        (common.row("a", "s", 1, 2, goal=""), None),
        (common.row("a", "s", None, 2, goal="ratio <= 1.2"), None),
        ({**common.row("a", "s", 1, 2, goal="something odd"), "met": True}, True),
    ],
)
def test_judge(r, expected):
    assert common.judge(r) is expected


def test_percentiles_and_median():
    vals = list(range(1, 101))
    assert common.median(vals) == 50.5
    assert common.percentile(vals, 95) == pytest.approx(95.05)
    assert common.percentile([3.0], 50) == 3.0
    assert common.row("x", "s", 2, 4)["ratio"] == 0.5
