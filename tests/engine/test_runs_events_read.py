"""Issue 18, finding 4 (events.jsonl lines that crash `watch` and the app, a 200 MB log read
whole) and finding 9 ("a kill between an epoch's commit and its event leaves `watch` showing
epochs 1 and 3")."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.runs import RunWatcher, read_events, safe
from engine.runs import events as ev
from engine.runs import folder as F

GOOD_EPOCH = {"event": "EpochEnd", "epoch": 1, "epochs": 3, "metrics": {"loss": 0.5}, "duration_s": 1.0, "samples_per_s": 10.0}


def run_folder(tmp_path: Path, status: str = "finished", epochs: int = 3) -> Path:
    path = tmp_path / "runs" / "20260101-000000-r"
    path.mkdir(parents=True)
    (path / F.METRICS).write_text(json.dumps({"kerminal_run": F.FORMAT, "status": status, "epochs": epochs, "target": 3}))
    return path


def write_lines(path: Path, lines: list) -> None:
    with open(path / F.EVENTS, "a", encoding="utf-8") as fh:
        for line in lines:
            fh.write((line if isinstance(line, str) else json.dumps(line)) + "\n")


JUNK = [
    [1, 2, 3],
    42,
    "text",
    None,
    {"event": "EpochEnd"},  # its required fields missing
    {**GOOD_EPOCH, "epoch": "3"},
    {**GOOD_EPOCH, "epoch": 10**12},  # would grow the history by a trillion rows
    {**GOOD_EPOCH, "epoch": -1},
    {**GOOD_EPOCH, "epoch": True},
    {**GOOD_EPOCH, "metrics": [0.5]},
    {**GOOD_EPOCH, "metrics": {"loss": "low"}},
    {**GOOD_EPOCH, "metrics": {"loss": {"a": 1}}},
    {**GOOD_EPOCH, "probes": "x"},
    {**GOOD_EPOCH, "probes": [["s"]]},
    {**GOOD_EPOCH, "probes": [[1, {"a": "b"}]]},
    {**GOOD_EPOCH, "duration_s": "1s"},
    {**GOOD_EPOCH, "learning_rate": [1]},
    {"event": "BatchEnd", "epoch": 1, "step": "2", "steps": 4},
    {"event": "Started", "run_dir": 5, "epochs": 3, "steps_per_epoch": 4, "samples": 10},
    {"event": "Steered", "id": "1", "command": "more", "value": "lots"},
    {"event": "Steered", "id": "1", "command": "more", "value": 1e300},
    {"event": "Finished", "run_dir": "r", "epochs": {"n": 1}},
    {"event": "Failed", "run_dir": "r", "epochs": 1, "message": ["x"]},
    '{"event": "EpochEnd", "epoch": 1e400}',
    "[" * 50_000 + "]" * 50_000,
    "\x00\xff not json",
]


@pytest.mark.parametrize("line", JUNK, ids=[repr(j)[:40] for j in JUNK])
def test_an_event_line_of_the_wrong_shape_is_skipped_not_a_crash(tmp_path, line):
    path = run_folder(tmp_path)
    write_lines(path, [line, GOOD_EPOCH])
    found, offset = read_events(path)
    assert [type(e).__name__ for e in found] == ["EpochEnd"] and found[0].epoch == 1
    assert offset == (path / F.EVENTS).stat().st_size
    watcher = RunWatcher(path)
    watcher.poll()
    assert watcher.progress.history == {"loss": [0.5]}


def test_watch_prints_the_good_lines_around_a_junk_one(tmp_path, capsys):
    path = run_folder(tmp_path, epochs=1)
    write_lines(path, [[1, 2], {**GOOD_EPOCH, "epoch": "3"}, GOOD_EPOCH, {"event": "Finished", "run_dir": str(path), "epochs": 1}])
    assert main(["watch", str(path)]) == 0
    out = capsys.readouterr().out
    assert "epoch 1/3" in out and "finished after 1 epoch" in out


def test_one_poll_reads_at_most_a_chunk_of_a_long_log(tmp_path, monkeypatch):
    monkeypatch.setattr(safe, "EVENTS_CHUNK", 64 * 1024)
    path = run_folder(tmp_path)
    line = json.dumps({"event": "BatchEnd", "epoch": 1, "step": 1, "steps": 4, "metrics": {"loss": 0.5}})
    count = 4 * safe.EVENTS_CHUNK // (len(line) + 1) + 10
    (path / F.EVENTS).write_text((line + "\n") * count)
    size = (path / F.EVENTS).stat().st_size
    reads: list[int] = []
    real = os.pread
    monkeypatch.setattr(os, "pread", lambda fd, n, at: reads.append(n) or real(fd, n, at))
    watcher = RunWatcher(path)
    seen = 0
    for _ in range(10):
        seen += len(watcher.poll())
        assert watcher.offset <= size
    assert seen == count and watcher.offset == size
    assert reads and max(reads) <= safe.EVENTS_CHUNK and len(reads) >= 5


def test_a_line_longer_than_the_cap_is_skipped_and_reading_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(safe, "EVENTS_CHUNK", 64 * 1024)
    monkeypatch.setattr(safe, "LINE_CAP", 16 * 1024)
    path = run_folder(tmp_path)
    long = json.dumps({**GOOD_EPOCH, "epoch": 2, "message": "x" * (3 * safe.EVENTS_CHUNK)})
    write_lines(path, [GOOD_EPOCH, long, {**GOOD_EPOCH, "epoch": 3}])
    watcher = RunWatcher(path)
    epochs = []
    for _ in range(10):
        epochs += [e.epoch for e in watcher.poll()]
    assert epochs == [1, 3]


def test_a_gap_in_the_epochs_is_filled_from_history_and_watch_says_so(tmp_path, capsys):
    # killed between epoch 2's commit and its event: events say 1 then 3, history.csv has all
    path = run_folder(tmp_path)
    (path / F.HISTORY).write_text("epoch,loss,val_loss\n1,0.9,0.95\n2,0.7,0.75\n3,0.5,0.55\n")
    e1 = {**GOOD_EPOCH, "metrics": {"loss": 0.9, "val_loss": 0.95}}
    e3 = {**GOOD_EPOCH, "epoch": 3, "metrics": {"loss": 0.5, "val_loss": 0.55}}
    write_lines(path, [e1, e3, {"event": "Finished", "run_dir": str(path), "epochs": 3}])
    watcher = RunWatcher(path)
    found = watcher.poll()
    assert watcher.progress.history == {"loss": [0.9, 0.7, 0.5], "val_loss": [0.95, 0.75, 0.55]}
    epochs = [e for e in found if isinstance(e, ev.EpochEnd)]
    assert [e.epoch for e in epochs] == [1, 2, 3] and epochs[1].metrics == {"loss": 0.7, "val_loss": 0.75}
    assert main(["watch", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    two = next(line for line in lines if line.startswith("epoch 2/3"))
    assert "from history.csv" in two and "loss 0.7000" in two
    assert [line.split()[1] for line in lines if line.startswith("epoch ")] == ["1/3", "2/3", "3/3"]


def test_a_gap_without_history_rows_stays_a_gap_and_nothing_breaks(tmp_path):
    path = run_folder(tmp_path)
    write_lines(path, [GOOD_EPOCH, {**GOOD_EPOCH, "epoch": 3}])
    watcher = RunWatcher(path)
    assert [e.epoch for e in watcher.poll()] == [1, 3]


@pytest.mark.parametrize("meta", ['{"kerminal_run": 1, "status": "running", "target": "x", "pid": 1}', '{"kerminal_run": 1, "status": "running", "pid": 1e400, "heartbeat": 10e400}', "[1]"])
def test_a_watcher_survives_a_damaged_metrics_json(tmp_path, meta):
    path = run_folder(tmp_path)
    (path / F.METRICS).write_text(meta)
    write_lines(path, [GOOD_EPOCH])
    watcher = RunWatcher(path)
    assert len(watcher.poll()) == 1


@pytest.mark.skipif(sys.platform != "linux", reason="/dev/zero")
def test_an_events_file_linked_to_dev_zero_is_not_read(tmp_path):
    path = run_folder(tmp_path)
    (path / F.EVENTS).symlink_to("/dev/zero")
    watcher = RunWatcher(path)
    assert watcher.poll() == []


def test_watch_reads_an_ended_runs_long_log_to_its_end_chunk_by_chunk(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(safe, "EVENTS_CHUNK", 16 * 1024)
    path = run_folder(tmp_path, epochs=40)
    batch = json.dumps({"event": "BatchEnd", "epoch": 1, "step": 1, "steps": 4, "metrics": {"loss": 0.5}})
    lines = []
    for n in range(1, 41):
        lines += [batch] * 100 + [json.dumps({**GOOD_EPOCH, "epoch": n, "epochs": 40})]
    write_lines(path, [*lines, {"event": "Finished", "run_dir": str(path), "epochs": 40}])
    assert (path / F.EVENTS).stat().st_size > 20 * safe.EVENTS_CHUNK
    assert main(["watch", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in out if line.startswith("epoch ")] == [f"{n}/40" for n in range(1, 41)]
    assert "finished after 40 epochs" in out[-1]
