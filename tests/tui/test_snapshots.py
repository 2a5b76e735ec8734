"""Each pane at 80x24 and 160x48 (pytest-textual-snapshot). Deterministic: no TensorFlow
(the status line says it loads on demand), a relative empty runs folder, no cursor blink."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.tui.conftest import quiet, tiny_experiment
from tui.app import make_app

PANES = ["data", "layers", "train", "predict", "runs"]
SIZES = [(80, 24), (160, 48)]


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("pane", PANES)
def test_pane_snapshot(snap_compare, runs_dir, pane, size):
    app = make_app(tiny_experiment(), runs_dir=runs_dir, load_tensorflow=False, pane=pane)

    async def ready(pilot) -> None:
        for box in pilot.app.query(Input):
            box.cursor_blink = False
        await quiet(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=size)


# ---- 80x24 with long, real-looking values (issue 14): every pane and every dialog --------

async def _long_ready(pilot) -> None:
    app = pilot.app

    await quiet(pilot)
    for box in [*app.query(Input), *app.screen.query(Input)]:  # a dialog is a screen of its own
        box.cursor_blink = False
    await quiet(pilot)


def _long_app(runs_dir, pane: str = "data"):
    from pathlib import Path

    from tests.tui.test_small_screen import long_experiment, write_long_runs, write_news

    exp = long_experiment(write_news(Path.cwd()))
    write_long_runs(runs_dir, exp)
    return make_app(exp, runs_dir=runs_dir, load_tensorflow=False, pane=pane)


LONG_SCENES = {
    "data": ("data", []),
    "layers": ("layers", []),
    "layers-error": ("layers", ["error"]),
    "train": ("train", []),
    "predict": ("predict", ["predict"]),
    "runs": ("runs", []),
    "runs-evaluation": ("runs", ["evaluate"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("scene", list(LONG_SCENES))
def test_pane_80x24_long_values(snap_compare, runs_dir, scene):
    pane, steps = LONG_SCENES[scene]
    app = _long_app(runs_dir, pane)

    async def ready(pilot) -> None:
        from types import SimpleNamespace

        from engine.experiment import LayerSpec
        from engine.training.predictor import Prediction
        from tests.tui.test_small_screen import CLASSES, evaluation_of
        from tui.messages import EvaluationReady, PredictionReady, PredictorReady

        await _long_ready(pilot)
        app = pilot.app
        if "error" in steps:  # a stack error with its fix: a Dense on a sequence, then Flatten
            exp = app.experiment.copy()
            exp.layers.insert(2, LayerSpec("Flatten", {}))
            app.set_experiment(exp, "flatten")
        if "predict" in steps:
            predict = app.pane("predict")
            predict.show_latency = False
            predict.post_message(PredictorReady(SimpleNamespace(class_names=CLASSES), "run 2024-05-01T10-00-00-news-topics-bidirectional-lstm-000 · best (epoch 9)"))
            probabilities = {c: (0.62 if i == 3 else 0.38 / 19) for i, c in enumerate(CLASSES)}
            sentence = "striker scores twice in the cup final as the home side wins the league"
            predict.post_message(PredictionReady(sentence, Prediction(sentence, CLASSES[3], probabilities, 1.5)))
        if "evaluate" in steps:
            runs = app.pane("runs")
            runs.post_message(EvaluationReady(runs.selected().id, evaluation_of(CLASSES)))
        await _long_ready(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=(80, 24))


# Each dialog: (pane, keys that open it). The file picker is left out: its DirectoryTree's
# loader worker never completes, and the snapshot plugin waits for every worker.
DIALOGS = {
    "data-source": ("data", ["o"]),
    "vectorizer": ("data", ["v"]),
    "layer-choice": ("layers", ["a"]),
    "layer-editor": ("layers", ["down", "e"]),
    "preset": ("layers", ["p"]),
    "compile": ("layers", ["o"]),
    "fit-settings": ("train", ["f"]),
    "probes": ("train", ["b"]),
    "help": ("data", ["question_mark"]),
    "save-as": ("data", ["ctrl+n"]),
    "confirm-delete": ("runs", ["d"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("dialog", list(DIALOGS))
def test_dialog_80x24_long_values(snap_compare, runs_dir, dialog):
    pane, keys = DIALOGS[dialog]
    app = _long_app(runs_dir, pane)

    async def ready(pilot) -> None:
        await _long_ready(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await _long_ready(pilot)
        # The temporary folder's absolute path varies: a fixed, real-looking one instead.
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False
            if str(box.value).startswith("/"):
                box.value = "/home/ana/experiments/" + box.value.rsplit("/", 1)[-1]
                box.cursor_position = len(box.value)
        await quiet(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=(80, 24))
