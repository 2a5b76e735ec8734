"""The app keeps work (issue 10, finding 11) and honours KERMINAL_RUNS_DIR (finding 6).

Ctrl+O, a whole preset, a run's experiment and quitting ask about unsaved changes; undo of an
open gives back the file name with the experiment; a preset can bring only its layers and
training; the Runs pane tells runs apart by their data; the Predict pane clears its input,
refuses an empty text and says which model answered. No TensorFlow: run folders are written
by hand (metrics.json + experiment.toml, all a listing reads) and the predictor is a stand-in.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, OptionList, Static

from engine.experiment import Experiment, load, save
from engine.runs.reader import data_summary, read_info
from engine.training.predictor import Prediction
from tests.tui.conftest import answer_prompt, settle, text_of, tiny_experiment
from tui.app import make_app
from tui.dialogs import ChoiceDialog, ConfirmDialog, FilePicker, TextPrompt
from tui.messages import PredictorReady


def write_run(root: Path, run_id: str, exp: Experiment, epochs: int = 2, best_epoch: int = 1) -> Path:
    """A finished run folder as a listing sees it (no model files: nothing here loads one)."""
    path = root / run_id
    path.mkdir(parents=True)
    save(exp, path / "experiment.toml")
    metrics = {
        "kerminal_run": 1, "name": exp.name, "preset": exp.preset, "created": "2024-05-01T10:00:00",
        "status": "finished", "epochs": epochs, "best": {"monitor": "val_loss", "value": 0.25, "epoch": best_epoch},
        "metrics": {"loss": 0.2}, "class_names": ["ham", "spam"],
    }
    (path / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    return path


def with_data(source: str, path: str = "", name: str = "") -> Experiment:
    exp = tiny_experiment()
    exp.preset = "sample-gru"
    exp.data.source = source
    exp.data.path = path
    exp.data.name = name
    return exp


async def open_via_picker(app, pilot, path: str) -> None:
    assert isinstance(app.screen, FilePicker)
    box = app.screen.query_one("#picker-path", Input)
    box.value = path
    box.focus()
    await pilot.press("enter")
    await settle(app, pilot)


# ---- KERMINAL_RUNS_DIR (finding 6) -------------------------------------------------------


@pytest.mark.slow
async def test_app_uses_kerminal_runs_dir_for_runs_pane_and_ctrl_r(runs_dir, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    write_run(elsewhere, "20240501-100000-tiny", with_data("sample"))
    monkeypatch.setenv("KERMINAL_RUNS_DIR", str(elsewhere))
    app = make_app(tiny_experiment(), load_tensorflow=False)  # no runs_dir: the variable decides
    assert app.runs_dir == elsewhere
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await pilot.pause()
        assert [r.id for r in app.pane("runs").runs] == ["20240501-100000-tiny"]
        assert str(elsewhere) in text_of(app.query_one("#runs-summary", Static))
        await pilot.press("4", "ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        options = app.screen.query_one(OptionList)
        assert "20240501-100000-tiny" in str(options.get_option_at_index(0).prompt)
    # an explicit runs folder still wins over the variable
    assert make_app(tiny_experiment(), runs_dir="mine", load_tensorflow=False).runs_dir == Path("mine")


# ---- Ctrl+O asks; undo restores the file too (finding 11) --------------------------------


@pytest.mark.slow
async def test_ctrl_o_asks_first_and_undo_of_an_open_restores_the_file(runs_dir):
    a, b = tiny_experiment(), tiny_experiment()
    a.name, b.name = "a", "b"
    b.layers = b.layers[:1] + b.layers  # b has 4 layers, a has 3
    save(a, Path("a.toml"))
    save(b, Path("b.toml"))
    b_text = Path("b.toml").read_text(encoding="utf-8")
    app = make_app("a.toml", runs_dir=runs_dir, load_tensorflow=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "c")  # duplicate a layer: unsaved
        await pilot.pause()
        assert app.dirty and len(app.experiment.layers) == 4
        # Cancel: no picker, nothing changes
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "unsaved changes" in text_of(app.screen.query_one(".dialog-text", Static))
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, (ConfirmDialog, FilePicker))
        assert app.dirty and app.experiment.name == "a"
        # Save: a.toml is written, then the picker opens
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.click("#choice-save")
        await pilot.pause()
        assert len(load("a.toml").layers) == 4
        await open_via_picker(app, pilot, "b.toml")
        assert app.experiment.name == "b" and app.experiment_path == Path("b.toml") and not app.dirty
        # Ctrl+Z gives back a *and* its file name; Ctrl+S writes a.toml, never b.toml
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert app.experiment.name == "a" and app.experiment_path == Path("a.toml")
        assert "(a.toml)" in text_of(app.query_one("#status-experiment", Static))
        # redo the open: b under b.toml again; undo it once more
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert app.experiment.name == "b" and app.experiment_path == Path("b.toml")
        await pilot.press("ctrl+z")
        await pilot.pause()
        await pilot.press("d")  # a back to 3 layers
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert Path("b.toml").read_text(encoding="utf-8") == b_text
        assert len(load("a.toml").layers) == 3
        # Discard: the picker opens and a.toml keeps what was saved
        await pilot.press("d")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.click("#choice-discard")
        await pilot.pause()
        await open_via_picker(app, pilot, "a.toml")
        assert app.experiment.name == "a" and len(app.experiment.layers) == 3
        assert Path("b.toml").read_text(encoding="utf-8") == b_text


@pytest.mark.slow
async def test_ctrl_o_save_of_a_never_saved_experiment_asks_for_a_path_then_opens(app_factory):
    save(tiny_experiment(), Path("other.toml"))
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "c", "ctrl+o")
        await pilot.pause()
        await pilot.click("#choice-save")
        await answer_prompt(pilot, "mine.toml")
        assert len(load("mine.toml").layers) == 4
        await open_via_picker(app, pilot, "other.toml")
        assert app.experiment_path == Path("other.toml")
        # a file that is not an experiment: a message, the app and the experiment stay
        Path("broken.toml").write_text("version = 1\n[data\n", encoding="utf-8")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await open_via_picker(app, pilot, "broken.toml")
        assert app.is_running and app.experiment_path == Path("other.toml")


# ---- presets ------------------------------------------------------------------------------


async def choose_preset(app, pilot, name: str, part: str) -> None:
    await pilot.press("2", "p")
    await pilot.pause()
    assert isinstance(app.screen, ChoiceDialog)
    options = app.screen.query_one(OptionList)
    options.highlighted = options.get_option_index(name)
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, ConfirmDialog)
    assert "Layers and training only" in str(app.screen.query_one("#choice-model").label)
    await pilot.click(f"#choice-{part}")
    await pilot.pause()


@pytest.mark.slow
async def test_preset_layers_and_training_only_keeps_the_data_settings(runs_dir):
    exp = tiny_experiment()
    exp.data.source, exp.data.size, exp.data.limit = "reber", 300, 120
    save(exp, Path("mine.toml"))
    app = make_app("mine.toml", runs_dir=runs_dir, load_tensorflow=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await choose_preset(app, pilot, "sample-gru", "model")
        await settle(app, pilot)
        new = app.experiment
        assert new.preset == "sample-gru" and new.layers != exp.layers
        assert (new.data.source, new.data.size, new.data.limit) == ("reber", 300, 120)
        assert new.name == "tiny" and app.experiment_path == Path("mine.toml") and app.dirty
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert app.experiment.layers == exp.layers


@pytest.mark.slow
async def test_whole_preset_asks_about_unsaved_changes_and_undo_restores_the_file(runs_dir):
    exp = tiny_experiment()
    exp.data.source, exp.data.size = "reber", 300
    save(exp, Path("mine.toml"))
    app = make_app("mine.toml", runs_dir=runs_dir, load_tensorflow=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "c")
        await choose_preset(app, pilot, "sample-gru", "whole")
        assert isinstance(app.screen, ConfirmDialog)  # unsaved changes: asked
        await pilot.press("escape")
        await pilot.pause()
        assert app.experiment.preset != "sample-gru" and app.dirty
        await choose_preset(app, pilot, "sample-gru", "whole")
        await pilot.click("#choice-discard")
        await settle(app, pilot)
        assert app.experiment.preset == "sample-gru" and app.experiment.data.source == "sample"
        assert app.experiment_path is None and not app.dirty  # a new experiment: Ctrl+S asks where
        assert load("mine.toml").data.source == "reber"
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert app.experiment_path == Path("mine.toml") and len(app.experiment.layers) == 4


# ---- the Runs pane ------------------------------------------------------------------------


def test_run_info_names_the_data_source(tmp_path):
    cases = {
        "csv": (with_data("csv", "/data/SMSSpamCollection"), "csv SMSSpamCollection"),
        "folder": (with_data("folder", "/data/aclImdb/"), "folder aclImdb"),
        "keras": (with_data("keras", name="imdb"), "keras imdb"),
        "sample": (with_data("sample"), "sample"),
    }
    for run_id, (exp, expected) in cases.items():
        assert read_info(write_run(tmp_path, run_id, exp)).data == expected
    (tmp_path / "sample" / "experiment.toml").write_text("[data\n", encoding="utf-8")
    assert data_summary(tmp_path / "sample" / "experiment.toml") == ""  # a listing never fails
    assert data_summary(tmp_path / "absent.toml") == ""


@pytest.mark.slow
async def test_runs_pane_shows_each_runs_data_and_opens_a_runs_experiment(app_factory, runs_dir):
    write_run(runs_dir, "20240501-100000-sms", with_data("csv", "/data/SMSSpamCollection"))
    run_dir = write_run(runs_dir, "20240502-100000-imdb", with_data("folder", "/data/aclImdb"))
    run_toml = (run_dir / "experiment.toml").read_text(encoding="utf-8")
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await pilot.pause()
        table = app.query_one("#runs-table", DataTable)
        assert [str(table.get_cell(r.id, "data")) for r in app.pane("runs").runs] == ["folder aclImdb", "csv SMSSpamCollection"]
        # o: the selected run's experiment, after asking about unsaved changes
        app.set_experiment(app.experiment.copy(), "an edit")
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#choice-discard")
        await settle(app, pilot)  # its data is missing here: a message, the app carries on
        assert app.is_running and app.experiment.data.source == "folder"
        assert app.experiment_path is None and not app.dirty
        await pilot.press("ctrl+s")  # no file yet: asks where, never into the run folder
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("escape")
        assert (run_dir / "experiment.toml").read_text(encoding="utf-8") == run_toml


# ---- the Predict pane ---------------------------------------------------------------------


class StandInPredictor:
    """Answers like engine.training.Predictor, without TensorFlow."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.class_names = ["negative", "positive"]

    def predict(self, text: str) -> Prediction:
        self.seen.append(text)
        p = 0.9 if "good" in text else 0.2
        neg, pos = self.class_names
        return Prediction(text, pos if p > 0.5 else neg, {neg: 1 - p, pos: p}, 1.5)


@pytest.mark.slow
async def test_predict_clears_input_refuses_empty_text_and_names_the_model(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        pane = app.pane("predict")
        stand_in = StandInPredictor()
        pane.post_message(PredictorReady(stand_in, "run 20240501-100000-sms · best (epoch 2)"))
        await pilot.press("4")
        await pilot.pause()
        assert "run 20240501-100000-sms · best (epoch 2)" in text_of(app.query_one("#predict-model", Static))
        box = app.query_one("#predict-input", Input)
        await pilot.press(*"a good film", "enter")
        await settle(app, pilot)
        assert box.value == ""  # the next sentence is not appended to this one
        await pilot.press(*"dull", "enter")
        await settle(app, pilot)
        assert stand_in.seen == ["a good film", "dull"]
        table = app.query_one("#predict-history", DataTable)
        assert [table.get_row_at(i)[:3] for i in range(2)] == [["a good film", "positive", "0.900"], ["dull", "negative", "0.800"]]
        assert table.get_row_at(0)[3] == "1.5"
        # an empty (or blank) text is refused with a message, not a probability
        await pilot.press("space", "space", "enter")
        await settle(app, pilot)
        assert stand_in.seen == ["a good film", "dull"]
        assert "Nothing to classify" in text_of(app.query_one("#predict-label", Static))
        # a long text and a long label still fit 80 columns (no sideways scrolling)
        stand_in.class_names = ["negative", "positive and then some more words"]
        await pilot.press(*("good " * 40), "enter")
        await settle(app, pilot)
        assert table.row_count == 3 and table.get_row_at(2)[0].endswith("…") and table.get_row_at(2)[1].endswith("…")
        assert table.virtual_size.width <= table.size.width
