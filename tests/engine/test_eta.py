"""The one ETA estimator (engine/runs/eta.py), with clock readings passed in: no sleeping."""

from __future__ import annotations

import pytest

from engine.cli.watch_cmd import progress_line
from engine.runs import events as ev
from engine.runs.eta import MIN_STEPS, Eta, format_eta
from engine.runs.watcher import Progress


def test_no_pace_yet_is_estimating():
    eta = Eta()
    eta.start_epoch(0.0)
    assert eta.seconds_left(1.0, epoch=1, step=MIN_STEPS - 1, steps=10, target=3) is None
    assert format_eta(None) == "ETA estimating…" and format_eta(None, short=True) == "ETA …"


def test_the_epoch_in_progress_sets_the_pace_once_enough_steps_ran():
    eta = Eta()
    eta.start_epoch(10.0)
    # 5 steps in 2 s: 0.4 s a step; 5 left in this epoch and 2 epochs of 10 after it
    assert eta.seconds_left(12.0, epoch=1, step=5, steps=10, target=3) == pytest.approx(25 * 0.4)
    assert eta.seconds_left(10.0, epoch=1, step=5, steps=10, target=3) is None  # no time passed: no pace


def test_whole_epochs_set_the_pace_and_the_first_one_is_left_out_once_another_is_there():
    eta = Eta()
    assert eta.epoch_ended(30.0, epochs_left=4) == pytest.approx(4 * 30.0)  # the only one there is
    assert eta.epoch_ended(10.0, epochs_left=3) == pytest.approx(3 * 10.0)  # the first traced: left out
    eta.epoch_ended(12.0, epochs_left=2)
    eta.epoch_ended(14.0, epochs_left=1)
    assert eta.epoch_ended(16.0, epochs_left=1) == pytest.approx((12.0 + 14.0 + 16.0) / 3)  # the last three
    assert eta.epoch_ended(0.0, epochs_left=2) == pytest.approx(2 * 14.0)  # an epoch not measured adds nothing
    assert eta.epoch_ended(20.0, epochs_left=0) == 0.0


def test_before_enough_steps_the_last_epochs_pace_counts():
    eta = Eta()
    eta.epoch_ended(20.0, epochs_left=1, now=100.0)  # 10 steps an epoch: 2 s a step
    assert eta.seconds_left(101.0, epoch=2, step=2, steps=10, target=2) == pytest.approx(8 * 2.0)
    assert eta.seconds_left(109.0, epoch=2, step=6, steps=10, target=2) == pytest.approx(4 * 9.0 / 6)


def test_a_watcher_and_the_run_say_the_same_eta_at_an_epoch_end():
    p = Progress()
    p.fold(ev.Started("r", epochs=3, steps_per_epoch=10, samples=100), now=0.0)
    assert p.eta_s is None
    p.fold(ev.BatchEnd(1, 2, 10), now=1.0)
    assert p.eta_s is None and progress_line(p).endswith("ETA estimating…")
    p.fold(ev.BatchEnd(1, 5, 10), now=2.0)
    assert p.eta_s == pytest.approx(25 * 2.0 / 5)
    run = Eta()  # what the run's ProgressReporter computes
    durations = (12.0, 8.0)
    for epoch, duration in enumerate(durations, 1):
        said = run.epoch_ended(duration, 3 - epoch) or 0.0
        p.fold(ev.EpochEnd(epoch, 3, {"loss": 0.5}, duration, 10.0, eta_s=said), now=10.0 * epoch)
        assert p.eta_s == pytest.approx(said)
    assert progress_line(p).endswith(format_eta(p.eta_s)) and format_eta(p.eta_s) == "ETA 8.0s"
    p.fold(ev.Finished("r", 3), now=40.0)
    assert p.eta_s == 0.0


def test_a_continuation_starts_a_new_estimate():
    p = Progress()
    p.fold(ev.Started("r", epochs=1, steps_per_epoch=10, samples=100), now=0.0)
    p.fold(ev.EpochEnd(1, 1, {"loss": 0.5}, 100.0, 10.0), now=100.0)
    p.fold(ev.Stopped("r", 1), now=100.0)
    p.fold(ev.Started("r", epochs=3, steps_per_epoch=10, samples=100, initial_epoch=1), now=200.0)
    p.fold(ev.BatchEnd(2, 1, 10), now=201.0)
    assert p.eta_s is None  # the old run's epochs do not set the new one's pace


def test_an_epoch_line_writes_its_eta_the_one_way():
    line = ev.describe(ev.EpochEnd(1, 3, {"loss": 0.5}, 2.0, 100.0, eta_s=65.0))
    assert "ETA 1m05s" in line
    assert "ETA" not in ev.describe(ev.EpochEnd(3, 3, {"loss": 0.5}, 2.0, 100.0))
