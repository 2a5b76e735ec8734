"""Events and TrainControl: TF-free, fast."""

from __future__ import annotations

import json
import math
import threading
import time

import pytest

from engine.runs import events as ev
from engine.training import control as C


def test_events_round_trip_through_json():
    items = [
        ev.Started("runs/x", 5, 10, 320, 0, 80, 32, "val_loss", 1.0),
        ev.BatchEnd(1, 3, 10, {"loss": 0.5, "accuracy": 0.75}),
        ev.EpochEnd(1, 5, {"loss": 0.5, "val_loss": math.nan}, 1.2, 250.0, 10, True, 4.8),
        ev.Finished("runs/x", 5, {"loss": 0.1}),
        ev.Stopped("runs/x", 2, {}, "stopped on request."),
        ev.Failed("runs/x", 1, "The loss became NaN."),
    ]
    for item in items:
        raw = json.loads(json.dumps(ev.to_dict(item)))  # NaN becomes null: strict JSON
        assert raw["event"] == type(item).__name__
        back = ev.from_dict(raw)
        assert type(back) is type(item)
        if isinstance(item, ev.EpochEnd):
            assert math.isnan(back.metrics["val_loss"]) and back.metrics["loss"] == 0.5
        else:
            assert back == item
        assert ev.describe(item)


def test_from_dict_rejects_unknown_events():
    with pytest.raises(ValueError):
        ev.from_dict({"event": "Nope"})


def test_epoch_line_has_metrics_duration_and_eta():
    line = ev.describe(ev.EpochEnd(2, 5, {"loss": 0.25, "val_accuracy": 0.9}, 1.5, 1000.0, 10, False, 75.0))
    assert "epoch 2/5" in line and "loss 0.2500" in line and "val_accuracy 0.9000" in line
    assert "1.5s" in line and "ETA 1m15s" in line


def test_pause_blocks_until_resume():
    ctl = C.TrainControl()
    assert ctl.checkpoint() is False  # running: returns at once
    ctl.pause()
    assert ctl.paused
    done = threading.Event()

    def loop():
        ctl.checkpoint()
        done.set()

    t = threading.Thread(target=loop)
    t.start()
    assert not done.wait(0.2), "checkpoint() must block while paused"
    ctl.resume()
    assert done.wait(2.0)
    t.join()
    assert ctl.take_paused_seconds() >= 0.15


def test_stop_releases_a_pause_and_reset_forgets_it():
    ctl = C.TrainControl()
    ctl.pause()
    result = []
    t = threading.Thread(target=lambda: result.append(ctl.checkpoint()))
    t.start()
    time.sleep(0.05)
    ctl.stop("user asked")
    t.join(2.0)
    assert result == [True] and ctl.stop_requested and ctl.reason == "user asked"
    ctl.pause()  # a stopped run cannot be paused again
    assert not ctl.paused
    ctl.reset()
    assert not ctl.stop_requested and ctl.checkpoint() is False
