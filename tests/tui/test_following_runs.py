"""Runs are processes the app follows (issue 12): Enter in Runs shows a finished run's whole
history in the Train pane; quitting while a run trains asks, and "Leave it running" leaves it
to finish on its own; a followed run killed with SIGKILL shows as interrupted (also in Runs)."""

from __future__ import annotations

import os
import signal

import pytest
from textual.widgets import DataTable, RichLog, Static, TabbedContent

from engine.runs import RunWatcher, start_run
from tests.tui.conftest import open_export_dialog, run_meta, settle, text_of, tiny_experiment, training, wait_until
from tui.dialogs import ConfirmDialog


def log_text(app) -> str:
    return "\n".join(line.text for line in app.query_one("#train-log", RichLog).lines)


@pytest.mark.slow
async def test_enter_on_a_finished_run_shows_its_whole_history(app_factory, runs_dir):
    exp = tiny_experiment()
    exp.fit.epochs = 3
    exp.probes = ["a wonderful film"]
    path = start_run(exp, runs_dir)
    assert RunWatcher(path).wait(timeout=120).status == "finished"
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await pilot.pause()
        table = app.query_one("#runs-table", DataTable)
        assert str(table.get_cell(path.name, "status")) == "finished" and str(table.get_cell(path.name, "epochs")) == "3"
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "train"
        train = app.pane("train")
        assert train.watcher.path == path
        assert train.epoch_lines == 3 and len(train.history["loss"]) == 3
        assert not train.training
        log = log_text(app)
        assert "training to epoch 3" in log and "epoch 3/3" in log and "finished after 3 epochs" in log
        assert "finished after 3 epochs" in str(app.query_one("#train-status").content)
        assert f"run {path.name} finished" in text_of(app.query_one("#train-settings", Static))
        assert "Probes after epoch 3" in text_of(app.query_one("#train-probes", Static))
        plot = app.query_one("#loss-plot")
        await wait_until(pilot, lambda: plot.series.get("train") == train.history["loss"], 10, "the curves drawn (within CURVES_S)")
        # attaching an ended run does not replace the Predict pane's model
        assert app.pane("predict").predictor is None and not app.pane("predict").loading


# Enough that the run is still training through two dialogs on a loaded machine (6 had ended).
EPOCHS_LEFT_RUNNING = 40


@pytest.mark.slow
async def test_quit_while_training_asks_and_leave_it_running_lets_it_finish(app_factory):
    async with training(app_factory, EPOCHS_LEFT_RUNNING) as (app, pilot, train, path):
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert path.name in text_of(app.screen.query_one(".dialog-text", Static))
        await pilot.press("escape")  # Cancel: the app stays, the run goes on
        await pilot.pause()
        assert app.is_running and train.training
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.screen.focused.id == "choice-leave"  # the default
        await pilot.press("enter")
        await pilot.pause()
    assert not app.is_running
    progress = RunWatcher(path).wait(timeout=300)
    assert progress.status == "finished" and progress.epochs == EPOCHS_LEFT_RUNNING
    meta = run_meta(path)
    assert meta["status"] == "finished" and meta["epochs"] == EPOCHS_LEFT_RUNNING


@pytest.mark.slow
async def test_quit_stop_it_stops_the_run(app_factory):
    exp = tiny_experiment()
    exp.fit.epochs = 500
    exp.fit.batch_size = 8
    app = app_factory(exp)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "t")
        train = app.pane("train")
        await wait_until(pilot, lambda: train.progress.status == "running", 90, "the run to start")
        path = train.watcher.path
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.click("#choice-stop")
        await pilot.pause()
    progress = RunWatcher(path).wait(timeout=60)
    assert progress.status == "stopped" and progress.epochs < 500


@pytest.mark.slow
async def test_a_followed_run_killed_shows_interrupted(app_factory):
    async with training(app_factory, 500) as (app, pilot, train, path):
        await pilot.press("5")
        table = app.query_one("#runs-table", DataTable)
        await wait_until(pilot, lambda: str(table.get_cell(path.name, "status")) == "running", 10, "running in Runs")
        assert str(table.get_cell(path.name, "epochs")).endswith("/500")
        os.kill(run_meta(path)["pid"], signal.SIGKILL)
        await wait_until(pilot, lambda: train.progress.status == "interrupted", 10, "interrupted")
        await wait_until(pilot, lambda: str(table.get_cell(path.name, "status")) == "interrupted", 10, "interrupted in Runs")
        await pilot.press("3")
        await pilot.pause()
        assert not train.training
        assert "interrupted after" in str(app.query_one("#train-status").content)
        assert f"run {path.name} is interrupted" in log_text(app)
        await pilot.press("x")  # nothing to stop: the key is disabled, nothing breaks
        await pilot.pause()
        assert app.is_running


@pytest.mark.slow
async def test_export_from_the_runs_pane_writes_a_script_and_says_where(app_factory, runs_dir, tmp_path):
    """Issue 13: `x` in Runs exports the selected run; a bad place is a message, not a crash."""
    from tests.tui.conftest import answer_prompt

    path = start_run(tiny_experiment(), runs_dir)
    assert RunWatcher(path).wait(timeout=120).status == "finished"
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_export_dialog(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#choice-script")
        out = tmp_path / "exported.py"
        await answer_prompt(pilot, str(out))
        await wait_until(pilot, lambda: out.is_file(), 60, "the script")
        from tests.engine.test_export import imported_modules

        modules = imported_modules(out.read_text())
        assert "keras" in modules and not {m for m in modules if m.split(".")[0] in ("engine", "tui")}
        await pilot.press("x")
        await pilot.pause()
        await pilot.click("#choice-script")
        await answer_prompt(pilot, str(tmp_path / "no" / "such" / "folder" / "x.py"))
        await wait_until(pilot, lambda: any("Export failed" in (n.title or "") for n in app.notices.notices), 60, "the failure")
        assert app.is_running
