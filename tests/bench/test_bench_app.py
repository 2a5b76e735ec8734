"""bench_app's pseudo-terminal harness, the epoch-rate reading, and the real first screen."""

from __future__ import annotations

import sys

import pytest

from bench import bench_app, common


def test_pty_program_timestamps_text_and_counts_bytes(tmp_path):
    code = (
        "import sys, time, shutil\n"
        "print(shutil.get_terminal_size())\n"
        "sys.stdout.write('\\x1b[1;31mhel\\x1b[0mlo\\n'); sys.stdout.flush()\n"
        "line = sys.stdin.readline()\n"
        "print('got', line.strip()); sys.stdout.flush()\n"
    )
    app = bench_app.PtyProgram([sys.executable, "-c", code], cwd=tmp_path, cols=120, rows=40)
    try:
        t = app.wait_for("hello", timeout=20)  # escape sequences in between are stripped
        assert t >= app.started
        assert "columns=120, lines=40" in app.text()
        start = app.size
        t_key = app.send("ping\n")
        assert app.wait_for("got ping", start, timeout=20) >= t_key
        assert app.bytes_between(app.started, t_key + 20) == app.size
        with pytest.raises(RuntimeError, match="exited before showing"):
            app.wait_for("never", timeout=20)
    finally:
        app.close()


def test_epoch_rates_skip_the_first_and_the_cut_epoch():
    evs = [
        {"event": "Started", "samples": 1000, "steps_per_epoch": 32},
        {"event": "EpochEnd", "epoch": 1, "duration_s": 5.0, "steps": 32},
        {"event": "EpochEnd", "epoch": 2, "duration_s": 0.5, "steps": 32},
        {"event": "EpochEnd", "epoch": 3, "duration_s": 0.25, "steps": 32},
        {"event": "EpochEnd", "epoch": 4, "duration_s": 0.01, "steps": 3},  # stopped mid-epoch
        {"event": "Stopped"},
    ]
    assert bench_app.epoch_rates(evs) == [2000.0, 4000.0]


@pytest.mark.slow
def test_first_screen_of_the_real_app(tmp_path):
    exp = bench_app.write_experiment(tmp_path, bench_app.MODELS["SimpleRNN"], 200, 1)
    (seconds,) = bench_app.first_screen(exp, tmp_path, 1)
    assert 0 < seconds < 30
    assert common.median([seconds]) == seconds


def test_ui_thread_cpu_reads_this_process_main_thread():
    import os
    import time

    before = bench_app.ui_thread_cpu(os.getpid())
    assert before is not None  # Linux's /proc (where kerminal and its CI run)
    t = time.process_time()
    while time.process_time() - t < 0.2:
        pass
    after = bench_app.ui_thread_cpu(os.getpid())
    assert after - before >= 0.1  # the busy loop ran on this (main) thread
    assert bench_app.ui_thread_cpu(2**22 + 12345) is None
