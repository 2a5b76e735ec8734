"""The whole workflow with real (tiny) training: Reber data -> preset seed002-reber -> train
one epoch (a run process the Train pane follows) -> predict -> the run in Runs (curves,
evaluate, predict with it, delete); pause, resume, learning rate, more epochs and stop steer a
live run and its answers show in the log; a failed training shows in the log and the app
carries on."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, OptionList, RichLog, TabbedContent

from tests.tui.conftest import answer_number, answer_prompt, settle, text_of, tiny_experiment, training, wait_until
from tui.app import make_app
from tui.dialogs import AgainDialog, ChoiceDialog, ConfirmDialog, TextPrompt


def log_text(app) -> str:
    return "\n".join(line.text for line in app.query_one("#train-log", RichLog).lines)


async def test_no_arguments_opens_the_default_experiment_on_sample_data(runs_dir):
    app = make_app(runs_dir=runs_dir, load_tensorflow=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.experiment.preset == "sample-gru"
        assert app.dataset is not None and app.dataset.name == "sample"
        assert app.validate()[0].ok


@pytest.mark.slow
async def test_reber_preset_train_predict_runs(app_factory):
    app = app_factory(load_tensorflow=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.tf_state == "ready"
        # Data: Reber strings
        await pilot.press("1", "o")
        await pilot.pause()
        app.screen.field_widget("source").value = "reber"
        await pilot.pause()
        app.screen.field_widget("size").value = "400"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.dataset.name.startswith("reber")
        # Layers: the preset seed002-reber (it brings embedded-Reber data; keep it tiny)
        await pilot.press("2", "p")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        options = app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index("seed002-reber")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.click("#choice-whole")  # the whole preset, its data included
        await pilot.pause()
        await pilot.click("#choice-discard")  # the Reber data setting above was not saved
        await settle(app, pilot)
        assert app.experiment.preset == "seed002-reber"
        assert "Total params: 53" in text_of(app.query_one("#layers-summary"))
        await pilot.press("1", "o")
        await pilot.pause()
        app.screen.field_widget("size").value = "400"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "vectorizer" not in app.data_error
        vec = text_of(app.query_one("#data-vectorizer"))
        assert "one-hot over 7 symbols" in vec, vec
        # Train: one epoch
        await pilot.press("3", "f")
        await pilot.pause()
        app.screen.field_widget("epochs").value = "1"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("t")
        train = app.pane("train")
        await wait_until(pilot, lambda: train.progress is not None and train.progress.end is not None, 120, "one epoch of training")
        await pilot.pause()
        assert train.epoch_lines == 1 and not train.training
        assert "finished after 1 epoch" in log_text(app)
        assert "Probes after epoch 1" in text_of(app.query_one("#train-probes"))  # scored by the run
        assert train.history["loss"] and train.history["val_loss"]
        assert app.samples_per_second > 0
        # Predict with the model just trained
        predict = app.pane("predict")
        await wait_until(pilot, lambda: predict.predictor is not None, 60, "the predictor")
        await pilot.press("4")
        await pilot.press(*"BTBTSSXXTVVETE", "enter")
        await wait_until(pilot, lambda: predict.predictions, 30, "a prediction")
        assert app.query_one("#predict-input").value == ""  # cleared for the next text
        assert f"run {train.watcher.id} · last (epoch 1)" in text_of(app.query_one("#predict-model"))
        p = predict.predictions[0]
        assert set(p.probabilities) == set(app.dataset.class_names)
        assert abs(sum(p.probabilities.values()) - 1) < 1e-4
        assert app.query_one("#predict-history", DataTable).row_count == 1
        # Runs: the run is listed; curves, evaluation, predict with it, delete
        await pilot.press("escape", "5")
        await pilot.pause()
        runs = app.pane("runs")
        assert len(runs.runs) == 1 and runs.runs[0].preset == "seed002-reber"
        assert app.query_one("#runs-table", DataTable).row_count == 1
        await pilot.press("c", "e")
        await wait_until(pilot, lambda: runs.evaluation is not None, 60, "the evaluation")
        await pilot.pause()
        shown = text_of(app.query_one("#runs-eval"))
        assert "confusion" in shown and "precision" in shown and "misclassified" in shown
        await pilot.press("p")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "predict"
        await wait_until(pilot, lambda: predict.source.startswith("run "), 60, "the saved run's predictor")
        assert "· best (epoch 1)" in text_of(app.query_one("#predict-model"))
        # Ctrl+R in the Predict pane picks a saved run too
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("enter")
        await wait_until(pilot, lambda: predict.source.startswith("run ") and not predict.loading, 60, "the run picked with Ctrl+R")
        await pilot.press("escape", "5", "d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # cancel keeps it
        await pilot.pause()
        assert len(runs.runs) == 1
        await pilot.press("d")
        await pilot.pause()
        await pilot.click("#choice-delete")
        await pilot.pause()
        assert runs.runs == []


@pytest.mark.slow
async def test_keys_steer_the_live_run_and_its_answers_show_in_the_log(app_factory):
    async with training(app_factory, 500) as (app, pilot, train, path):
        assert app.tf_state == "not loaded"  # training is another process: no TensorFlow here
        # keys answer while training: switch panes and back
        await pilot.press("2")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "layers"
        assert train.training
        await pilot.press("3", "space")
        status = app.query_one("#train-status")
        # (the status line may follow the log by a refresh)
        await wait_until(pilot, lambda: "pause: paused at" in log_text(app) and train.paused and str(status.content).startswith("paused"), 30, "the pause")
        lines = train.epoch_lines
        await pilot.pause(0.8)
        assert train.epoch_lines <= lines + 1  # at most the epoch that was ending
        await pilot.press("space")
        await wait_until(pilot, lambda: "resume: resumed at" in log_text(app) and not train.paused, 30, "the resume")
        await pilot.press("l")
        await answer_prompt(pilot, "0.003")
        await wait_until(pilot, lambda: "lr: " in log_text(app) and train.progress.learning_rates, 30, "the new learning rate")
        assert train.progress.learning_rates[-1][1] == pytest.approx(0.003)
        await pilot.press("l")
        await answer_prompt(pilot, "fast")  # not a number: a notification, nothing sent
        assert not any(isinstance(s, TextPrompt) for s in app.screen_stack)
        assert train.training
        target = train.progress.target
        await pilot.press("m")  # asks how many (the run's own count first)
        await answer_number(pilot, 2)
        await wait_until(pilot, lambda: "more: training to epoch" in log_text(app) and train.progress.target == target + 2, 30, "more epochs")
        await pilot.press("t")  # one followed run at a time: t says why it does nothing
        await pilot.pause()
        assert len(list(Path("runs").iterdir())) == 1
        await pilot.press("x")
        await pilot.pause()
        if isinstance(app.screen, AgainDialog):  # its epoch ran over STOP_ASK_S (a loaded machine): x again stops
            await pilot.press("x")
        await wait_until(pilot, lambda: not train.training, 60, "the stop")
        assert "stop: stopping at the end" in log_text(app)
        assert "stopped after" in log_text(app)
        assert train.epoch_lines < 500
        assert "stopped after" in str(app.query_one("#train-status").content)
        # m on a run that has ended continues it in a new process, still followed
        await pilot.press("m")
        await answer_number(pilot, 1)
        await wait_until(pilot, lambda: not train.training and "continuing to epoch" in log_text(app), 90, "the continued run")
        assert train.progress.status == "finished"
        assert len(app.pane("runs").runs) == 1


@pytest.mark.slow
async def test_failed_training_shows_in_the_log_and_the_app_carries_on(app_factory):
    exp = tiny_experiment()
    exp.fit.monitor = "val_precision"  # not a metric this model logs
    app = app_factory(exp)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.reload_data()  # t while the data loads: training starts once it has loaded
        await pilot.press("3", "t")
        train = app.pane("train")
        await wait_until(pilot, lambda: "failed" in log_text(app), 60, "the failure")
        assert "val_precision" in log_text(app)
        assert not train.training
        await pilot.press("2")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "layers"
