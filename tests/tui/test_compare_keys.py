"""The compare view's keys (issue 20): t draws by epoch or training time (the axis label
says which; runs with no times fall back to epochs with a note), s cycles the smoothing
(named in each plot's title; the table's best values stay raw), l toggles log y (refused,
with a message, for a value at or below 0), the probes table (every run's answer to each
probe sentence, in a worker), 1-5 close the view and show that pane, q closes; and the view
opens with 10 and with 50 runs marked."""

from __future__ import annotations

import json

import numpy as np
import pytest
from textual.widgets import DataTable, Static

from engine.runs import events
from engine.training import disagree
from tests.engine.many_runs import many_run
from tests.tui.conftest import text_of, wait_until
from tests.tui.test_compare_view import app_on_runs, mark_and_compare, two_runs
from tui.compare import CompareCurves, CompareScreen


def _times(path, durations: list[float]) -> None:
    lines = [json.dumps(events.to_dict(events.EpochEnd(e, len(durations), {}, d, 100.0))) for e, d in enumerate(durations, 1)]
    (path / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _plots(screen: CompareScreen) -> dict[str, CompareCurves]:
    return {p.metric: p for p in screen.query(CompareCurves)}


async def test_t_draws_by_training_time_and_back(runs_dir):
    for i, path in enumerate([many_run(runs_dir, 1), many_run(runs_dir, 2)]):
        _times(path, [10.0 * (i + 1)] * 3)
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await mark_and_compare(app, pilot, 2)
        loss = _plots(screen)["loss"]
        assert loss.x_label == "epoch" and [line[0] for line in loss.lines] == [[1.0, 2.0, 3.0]] * 2
        await pilot.press("t")
        assert loss.x_label == "training time (s)"
        assert sorted(line[0] for line in loss.lines) == [[10.0, 20.0, 30.0], [20.0, 40.0, 60.0]]
        await pilot.press("t")
        assert loss.x_label == "epoch"


async def test_t_with_a_run_without_times_stays_by_epoch_and_says_why(runs_dir):
    _times(many_run(runs_dir, 1), [5.0] * 3)
    untimed = many_run(runs_dir, 2)  # no events.jsonl
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await mark_and_compare(app, pilot, 2)
        await pilot.press("t")
        assert _plots(screen)["loss"].x_label == "epoch" and screen.options.x == "time"
        assert f"{untimed.name} recorded no epoch times" in text_of(screen.query_one("#compare-legend", Static))


async def test_s_cycles_the_smoothing_and_the_best_values_stay_raw(runs_dir):
    two_runs(runs_dir)
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await mark_and_compare(app, pilot, 2)
        best = screen.query_one("#compare-runs", DataTable)
        before = [[str(c) for c in best.get_row_at(i)] for i in range(best.row_count)]
        val_loss = _plots(screen)["val_loss"]
        titles = []
        for _ in range(3):
            await pilot.press("s")
            titles.append(val_loss.heading)
        assert titles == ["val_loss · EMA 0.6", "val_loss · EMA 0.9", "val_loss"]
        await pilot.press("s")
        assert val_loss.lines[0][1] == pytest.approx([0.7, 0.66, 0.596])  # 0.7, 0.6, 0.5 smoothed
        assert [[str(c) for c in best.get_row_at(i)] for i in range(best.row_count)] == before


async def test_l_toggles_log_y_and_refuses_a_value_at_or_below_zero(runs_dir):
    two_runs(runs_dir)
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await mark_and_compare(app, pilot, 2)
        await pilot.press("l")
        assert screen.options.log_y and _plots(screen)["loss"].heading == "loss · log y"
        await pilot.press("l")
        assert not screen.options.log_y and _plots(screen)["loss"].heading == "loss"
    bad = many_run(runs_dir, 3)
    (bad / "history.csv").write_text("epoch,loss,accuracy,val_loss,val_accuracy\n1,0.5,0.5,0.6,0.5\n2,0.0,0.6,0.5,0.6\n3,0.1,0.7,0.4,0.7\n", encoding="utf-8")
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await mark_and_compare(app, pilot, 2)  # runs 3 and 2
        await pilot.press("l")
        assert not screen.options.log_y and _plots(screen)["loss"].heading == "loss"
        assert any(n.title == "Log y" and f"loss of {bad.name} is 0 at epoch 2" in n.message for n in app.notices.notices)


def _fake_probes(monkeypatch, by_run: dict[str, list[list[float]]]) -> list:
    calls: list = []

    def fake(r, texts, on_phase=None, cache=None):
        calls.append(r.id)
        return np.asarray(by_run[r.id], "float32")[: len(texts)]

    monkeypatch.setattr(disagree, "predictions", fake)
    return calls


def _probe_cells(screen: CompareScreen) -> list[list[str]]:
    grid = screen.query_one("#compare-probes", DataTable)
    return [[str(c) for c in grid.get_row_at(i)] for i in range(grid.row_count)]


async def test_probes_side_by_side_two_runs(runs_dir, monkeypatch):
    from tests.tui.conftest import tiny_experiment
    from tui.app import make_app

    a, b = many_run(runs_dir, 1), many_run(runs_dir, 2)
    _fake_probes(monkeypatch, {a.name: [[0.9, 0.1], [0.3, 0.7]], b.name: [[0.2, 0.8], [0.6, 0.4]]})
    exp = tiny_experiment()
    exp.probes = ["a great film", "so bad"]
    app = make_app(exp, runs_dir=runs_dir, load_tensorflow=False, pane="runs")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await mark_and_compare(app, pilot, 2)  # newest first: b, a
        await wait_until(pilot, lambda: screen.probe_table is not None, 10, "the probes")
        assert _probe_cells(screen) == [["a great film", "b 0.80", "a 0.90"], ["so bad", "a 0.60", "b 0.70"]]
        assert "2 probe sentence(s)" in text_of(screen.query_one("#compare-probes-note", Static))


async def test_probes_three_runs_with_other_classes_and_one_without_a_model(runs_dir, monkeypatch):
    a, b, c = many_run(runs_dir, 1), many_run(runs_dir, 2), many_run(runs_dir, 3)
    meta = json.loads((c / "metrics.json").read_text(encoding="utf-8"))
    meta["class_names"] = ["ham", "spam"]
    (c / "metrics.json").write_text(json.dumps(meta), encoding="utf-8")
    for p in (a, b, c):  # the runs' own probe sentences
        text = (p / "experiment.toml").read_text(encoding="utf-8")
        (p / "experiment.toml").write_text('probes = ["free prize"]\n' + text, encoding="utf-8")
    calls = _fake_probes(monkeypatch, {a.name: [[0.9, 0.1]], c.name: [[0.05, 0.95]]})
    original = disagree.predictions

    def b_breaks(r, texts, on_phase=None, cache=None):
        if r.id == b.name:
            raise ValueError("the model file is damaged")
        return original(r, texts, on_phase, cache)

    monkeypatch.setattr(disagree, "predictions", b_breaks)
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await mark_and_compare(app, pilot, 3)  # c, b, a
        await wait_until(pilot, lambda: screen.probe_table is not None, 10, "the probes")
        assert _probe_cells(screen) == [["free prize", "spam 0.95", "–", "a 0.90"]]
        note = " ".join(text_of(screen.query_one("#compare-probes-note", Static)).split())
        assert "different classes" in note and "ham, spam" in note
        assert f"{b.name} cannot answer: ValueError: the model file is damaged" in note
        assert sorted(calls) == sorted([a.name, c.name])


async def test_no_probe_sentences_says_so(runs_dir):
    two_runs(runs_dir)
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await mark_and_compare(app, pilot, 2)
        assert "No probe sentences" in text_of(screen.query_one("#compare-probes-note", Static))
        assert screen.probe_table is None


@pytest.mark.parametrize("key, pane", [("1", "data"), ("3", "train"), ("5", "runs")])
async def test_pane_keys_close_the_view_and_show_that_pane(runs_dir, key, pane):
    from textual.widgets import TabbedContent

    two_runs(runs_dir)
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await mark_and_compare(app, pilot, 2)
        await pilot.press(key)
        await wait_until(pilot, lambda: not isinstance(app.screen, CompareScreen) and app.query_one(TabbedContent).active == pane, 10, f"the {pane} pane")


async def test_q_closes(runs_dir):
    two_runs(runs_dir)
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await mark_and_compare(app, pilot, 2)
        await pilot.press("q")
        await wait_until(pilot, lambda: not isinstance(app.screen, CompareScreen), 10, "the view closed")


@pytest.mark.parametrize("count", [10, 50])
async def test_opens_with_many_runs(runs_dir, count):
    for i in range(count):
        many_run(runs_dir, i)
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        from tests.tui.conftest import settle

        await settle(app, pilot)
        await pilot.press("A", "c")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.ready, 20, "the compare view")
        screen = app.screen
        assert isinstance(screen, CompareScreen) and screen.first_frame is not None
        assert screen.query_one("#compare-runs", DataTable).row_count == count
        assert screen.query_one("#compare-settings", DataTable).row_count >= 2
        assert all(len(p.lines) == min(count, 8) for p in screen.query(CompareCurves))
