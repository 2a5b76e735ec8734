"""The app driven with the pilot: panes, bindings, dialogs, bad input (no TensorFlow here;
training is in test_workflow.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Select, Static, TabbedContent

from engine.experiment import LayerSpec, load
from tests.tui.conftest import answer_prompt, open_export_dialog, settle, text_of, tiny_experiment, wait_until
from tui.commands import KerminalCommands, all_commands
from tui.dialogs import ChoiceDialog, ConfirmDialog, FilePicker, FormDialog
from tui.help import HelpScreen
from tui.panes.data import DataDialog
from tui.panes.layers import LayerEditor


def status(app) -> str:
    return " ".join(text_of(app.query_one(f"#status-{k}", Static)).strip() for k in ("experiment", "data", "tf"))


async def open_data_dialog(pilot) -> DataDialog:
    """Press `o` on the Data pane; the Data source dialog is on top."""
    await pilot.press("o")
    await pilot.pause()
    assert isinstance(pilot.app.screen, DataDialog)
    return pilot.app.screen


async def open_table_file(app, pilot, path: str) -> DataDialog:
    """Once the app has settled: the Data dialog on source "csv" with `path` typed in."""
    await settle(app, pilot)
    dialog = await open_data_dialog(pilot)
    dialog.field_widget("source").value = "csv"
    dialog.field_widget("path").value = path
    await settle(app, pilot)
    return dialog


@pytest.mark.slow
async def test_opens_on_data_and_number_keys_switch_panes(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        tabs = app.query_one(TabbedContent)
        assert tabs.active == "data"
        assert "290 train · 2 classes · sample" in status(app)
        assert "TF on demand" in status(app)
        # F1-F5 work too, also from a text field (the Predict prompt takes digits)
        for key, pane in (("2", "layers"), ("3", "train"), ("4", "predict"), ("f5", "runs"), ("4", "predict"), ("escape", "predict"), ("1", "data")):
            await pilot.press(key)
            await pilot.pause()
            assert tabs.active == pane
            assert app.focused is not None and app.pane(pane) in app.focused.ancestors
        # A key right after a number key reaches the new pane (focus moves at once).
        await pilot.press("2", "c")
        await pilot.pause()
        assert [layer.type for layer in app.experiment.layers][:2] == ["Embedding", "Embedding"]
        assert app.first_screen_s is not None and app.first_screen_s > 0


@pytest.mark.slow
async def test_layer_editing_validates_undo_redo(app_factory):
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        pane = app.pane("layers")
        table = pane.table
        assert table.row_count == 3
        summary = text_of(app.query_one("#layers-summary", Static))
        assert "Total params: 8,009" in summary and "ok" in summary

        # add (after the selected layer): pick Dropout, the editor refuses a bad rate in place
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        options = app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index("Dropout")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LayerEditor)
        editor = app.screen
        editor.field_widget("rate").value = "1.5"
        await pilot.pause()
        assert "out of range" in text_of(editor.query_one("#field-rate-error", Static))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is editor  # refused
        editor.field_widget("rate").value = "0.25"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, LayerEditor)
        assert [(s.type, s.params) for s in app.experiment.layers][1] == ("Dropout", {"rate": 0.25})
        assert table.row_count == 4

        # move down and up, duplicate, delete
        table.move_cursor(row=1)
        await pilot.press("shift+down")
        await pilot.pause()
        assert app.experiment.layers[2].type == "Dropout" and table.cursor_row == 2
        await pilot.press("shift+up")
        await pilot.pause()
        assert app.experiment.layers[1].type == "Dropout"
        await pilot.press("c")
        await pilot.pause()
        assert [s.type for s in app.experiment.layers].count("Dropout") == 2
        await pilot.press("d", "d")
        await pilot.pause()
        assert [s.type for s in app.experiment.layers] == ["Embedding", "Dropout", "Dense"]
        # a stack that does not fit: the 3-D output reaches the end -> an inline error
        messages = text_of(app.query_one("#layers-help", Static)) + text_of(app.query_one("#layers-messages", Static))
        assert "✗" in messages
        assert "error" in text_of(app.query_one("#layers-summary", Static))

        # undo twice, redo once
        await pilot.press("ctrl+z", "ctrl+z")
        await pilot.pause()
        assert [s.type for s in app.experiment.layers] == ["Embedding", "Dropout", "Dropout", "GlobalAveragePooling1D", "Dense"]
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert [s.type for s in app.experiment.layers] == ["Embedding", "Dropout", "GlobalAveragePooling1D", "Dense"]
        assert app.dirty and "*" in status(app)

        # edit (Enter) the Dense layer: the form shows every parameter with its default
        table.move_cursor(row=3)
        await pilot.press("enter")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, LayerEditor)
        assert editor.field_widget("units").value == "1"
        assert isinstance(editor.field_widget("activation"), Select)
        editor.field_widget("units").value = "0"
        await pilot.pause()
        assert "out of range" in text_of(editor.query_one("#field-units-error", Static))
        editor.field_widget("units").value = "2"
        editor.field_widget("activation").value = "softmax"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.experiment.layers[3].params == {"units": 2, "activation": "softmax"}
        # Escape cancels an edit
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.experiment.layers[3].params == {"units": 2, "activation": "softmax"}

        # insert before; a layer without parameters needs no form
        table.move_cursor(row=0)
        await pilot.press("i")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index("Flatten")
        await pilot.press("enter")
        await pilot.pause()
        assert app.experiment.layers[0].type == "Flatten"
        assert "✗" in text_of(app.query_one("#layers-help", Static)) + text_of(app.query_one("#layers-messages", Static))


@pytest.mark.slow
async def test_compile_settings_dialog(app_factory):
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "o")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormDialog)
        form.field_widget("learning_rate").value = "abc"
        await pilot.pause()
        assert "not a number" in text_of(form.query_one("#field-learning_rate-error", Static))
        form.field_widget("learning_rate").value = "0.01"
        form.field_widget("optimizer").value = "adam"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.experiment.compile.optimizer == "adam"
        assert app.experiment.compile.learning_rate == 0.01
        assert "adam lr 0.01" in text_of(app.query_one("#layers-summary", Static))


@pytest.mark.slow
async def test_data_source_reber_and_bad_csv_path(app_factory, tmp_path):
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        dialog = await open_data_dialog(pilot)
        assert not dialog.query_one("#field-size-box").display  # sample uses no size
        dialog.field_widget("source").value = "reber"
        await pilot.pause()
        assert dialog.query_one("#field-size-box").display
        dialog.field_widget("size").value = "300"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.experiment.data.source == "reber" and app.experiment.data.size == 300
        assert app.dataset is not None and app.dataset.symbols
        assert "reber" in status(app)

        # a csv that does not exist: the error shows inline and as a notification; no crash
        dialog = await open_data_dialog(pilot)
        dialog.field_widget("source").value = "csv"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog  # csv needs a path
        assert "needs a path" in text_of(dialog.query_one("#form-error", Static))
        dialog.field_widget("path").value = "missing.csv"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.dataset is None and "missing.csv" in app.data_error
        assert "missing.csv" in text_of(app.query_one("#data-stats", Static))
        assert "data error" in status(app)
        # pressing train with no data is refused politely
        await pilot.press("3", "t")
        await pilot.pause()
        assert not app.pane("train").training
        # undo goes back to the Reber data
        await pilot.press("ctrl+z")
        await settle(app, pilot)
        assert app.experiment.data.source == "reber" and app.dataset is not None


@pytest.mark.slow
async def test_folder_source_merges_its_own_test_split_on_request(app_factory, runs_dir):
    # aclImdb's layout: train/ and test/ with one subfolder per class (10 + 10 files each)
    for split in ("train", "test"):
        for label in ("neg", "pos"):
            folder = Path("imdb") / split / label
            folder.mkdir(parents=True)
            for i in range(10):
                (folder / f"{i}_1.txt").write_text(f"{label} review number {i} of {split}", encoding="utf-8")
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        dialog = await open_data_dialog(pilot)
        assert not dialog.query_one("#field-merge_test-box").display  # the sample has no test split of its own
        dialog.field_widget("source").value = "folder"
        await pilot.pause()
        assert dialog.query_one("#field-merge_test-box").display
        dialog.field_widget("path").value = "imdb"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        ds = app.dataset
        assert ds is not None and len(ds.test) == 20  # test/ kept as the test split
        assert len(ds.train) + len(ds.validation) == 20

        dialog = await open_data_dialog(pilot)
        dialog.field_widget("merge_test").value = True
        dialog.field_widget("validation").value = "0.2"
        dialog.field_widget("test").value = "0.25"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.experiment.data.split.merge_test
        ds = app.dataset
        assert (len(ds.train), len(ds.validation), len(ds.test)) == (22, 8, 10)  # 40 rows pooled, 55/20/25

        # seed 002's split: validate on the test split's first rows; both switches on is refused
        dialog = await open_data_dialog(pilot)
        dialog.field_widget("validation_from_test").value = True
        await pilot.press("ctrl+s")
        await pilot.pause()
        # the form says what the experiment file's rule says (engine.config.RULES)
        assert app.screen is dialog and "so validation_from_test has no test split" in text_of(dialog.query_one("#form-error", Static))
        dialog.field_widget("merge_test").value = False
        dialog.field_widget("limit").value = "12"
        dialog.field_widget("validation_limit").value = "5"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        ds = app.dataset
        assert (len(ds.train), len(ds.validation), len(ds.test)) == (12, 5, 12)
        assert all(" of test" in t for t in ds.validation.texts)


@pytest.mark.slow
async def test_csv_column_pickers_preselect_guesses(app_factory, runs_dir):
    Path("news.csv").write_text("id,title,topic\n" + "".join(f"{i},some longer headline number {i},{'a' if i % 2 else 'b'}\n" for i in range(40)), encoding="utf-8")
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await open_table_file(app, pilot, "news.csv")
        await wait_until(pilot, lambda: dialog.field_widget("text").value == "title", 10, "the guessed text column")
        assert dialog.field_widget("label").value == "topic"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.experiment.data.text == "title" and app.experiment.data.label == "topic"
        assert app.dataset is not None and sorted(app.dataset.class_names) == ["a", "b"]


@pytest.mark.slow
async def test_vectorizer_dialog_and_browse(app_factory):
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("v")
        await pilot.pause()
        form = app.screen
        form.field_widget("length").value = "0"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        form.field_widget("length").value = "5"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.experiment.vectorize.length == 5
        assert "length 5" in text_of(app.query_one("#data-summary", Static))
        assert "length 5 cuts" in text_of(app.query_one("#data-stats", Static))
        await pilot.press("n", "r")
        await settle(app, pilot)
        # b opens the file picker; Escape cancels it
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, FilePicker)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, FilePicker)


@pytest.mark.slow
async def test_fit_settings_and_probes(app_factory):
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "f")
        await pilot.pause()
        form = app.screen
        form.field_widget("epochs").value = "3"
        form.field_widget("batch_size").value = "16"
        form.field_widget("patience").value = "2"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert (app.experiment.fit.epochs, app.experiment.fit.batch_size, app.experiment.fit.early_stopping.patience) == (3, 16, 2)
        assert "epochs 3 · batch 16" in text_of(app.query_one("#train-settings", Static))
        await pilot.press("b")
        await pilot.pause()
        form = app.screen
        form.field_widget("probe1").value = "a wonderful film"
        form.field_widget("probe2").value = "dull"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.experiment.probes == ["a wonderful film", "dull"]
        assert "a wonderful film" in text_of(app.query_one("#train-probes", Static))
        # stop / pause do nothing while idle
        await pilot.press("x", "space")
        await pilot.pause()
        assert not app.pane("train").training


@pytest.mark.slow
async def test_save_open_and_quit_offers_to_save(app_factory, runs_dir):
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "c")
        await pilot.pause()
        assert app.dirty
        await pilot.press("ctrl+s")  # never saved: asks for a path
        await answer_prompt(pilot, "exp.toml")
        assert not app.dirty and Path("exp.toml").is_file()
        assert len(load("exp.toml").layers) == 4
        await pilot.press("d")  # change it again, then open the saved file
        await pilot.pause()
        assert len(app.experiment.layers) == 3
        await pilot.press("ctrl+o")  # unsaved changes: asked first (tests/tui/test_keep_work.py)
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#choice-discard")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, FilePicker)
        picker.query_one("#picker-path", Input).value = "exp.toml"
        picker.query_one("#picker-path", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert len(app.experiment.layers) == 4 and not app.dirty
        # Ctrl+N saves under a new name
        await pilot.press("ctrl+n")
        await answer_prompt(pilot, "copy.toml")
        assert Path("copy.toml").is_file() and app.experiment_path == Path("copy.toml")
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one("#picker-path", Input).value = "exp.toml"
        app.screen.query_one("#picker-path", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        # open a file that is not an experiment: a notification, nothing changes
        Path("bad.toml").write_text("version = 1\nlayerz = 3\n", encoding="utf-8")
        assert not app.open_experiment(Path("bad.toml"))
        assert len(app.experiment.layers) == 4
        # quit with unsaved changes: asked; Cancel keeps the app, Save writes and quits
        await pilot.press("d")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.click("#choice-save")
        await pilot.pause()
    assert len(load("exp.toml").layers) == 3


@pytest.mark.slow
async def test_help_screen_lists_every_binding_and_palette_has_commands(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = text_of(app.screen.query_one("#help-body Static", Static))
        for command in all_commands():
            assert command.help.split(" (")[0][:30] in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)

        titles = [c.title for c in all_commands()]
        for needed in ("Layers: Add", "Train: Train", "Train: Stop run", "Predict: Use run…", "Runs: Evaluate", "Data: Source…", "Undo", "Save"):
            assert needed in titles
        # run a pane command through the palette's provider
        provider = KerminalCommands(app.screen)
        hits = [hit async for hit in provider.search("Layers: Duplicate")]
        assert hits
        await hits[0].command()
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "layers"
        assert len(app.experiment.layers) == 4
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CommandPalette"


@pytest.mark.slow
async def test_runs_pane_empty_and_predict_without_model(app_factory):
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await pilot.pause()
        assert "no runs yet" in text_of(app.query_one("#runs-summary", Static))
        await pilot.press("e", "d", "c", "r", "enter")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "runs"
        await pilot.press("4")
        await pilot.pause()
        await pilot.press(*"hello", "enter")
        await pilot.pause()
        assert app.pane("predict").predictions == []
        await pilot.press("ctrl+r", "ctrl+l", "escape")
        await pilot.pause()
        assert app.focused is app.query_one("#predict-history")


@pytest.mark.slow
async def test_wide_terminal_shows_two_panes_side_by_side(app_factory):
    app = app_factory()
    async with app.run_test(size=(180, 40)) as pilot:
        await settle(app, pilot)
        data, layers = app.query_one("#data"), app.query_one("#layers")
        assert app.pair == ("data", "layers")
        assert data.display and layers.display and not app.query_one("#train").display
        assert layers.region.x >= 90 and layers.region.y == data.region.y
        # keys go to the active pane; number keys pick a pane and its companion
        await pilot.press("3")
        await pilot.pause()
        assert app.pair == ("train", "predict") and not data.display
        assert app.query_one("#predict").region.x >= 90
        # focus moving into the companion (a click, say) makes it the active pane
        app.query_one("#predict-input").focus()
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "predict" and app.pair == ("train", "predict")
        await pilot.press("escape", "5")
        await pilot.pause()
        assert app.pair == ("runs", "predict")
        # F6: one pane, its parts side by side; F6 again: two panes
        await pilot.press("1", "f6")
        await pilot.pause()
        assert app.pair is None and not layers.display
        preview, side = app.query_one("#data-preview"), app.query_one("#data-side")
        assert side.region.x > preview.region.x and side.region.y == preview.region.y
        await pilot.press("2")
        await pilot.pause()
        assert app.query_one("#layers-side").region.x > app.query_one("#layers-table").region.x
        await pilot.press("f6")
        await pilot.pause()
        assert app.pair == ("layers", "data") and data.display


@pytest.mark.slow
async def test_narrow_terminal_shows_one_pane_and_says_why_side_by_side_waits(app_factory):
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.pair is None and not app.query_one("#layers").display
        await pilot.press("f6")
        await pilot.pause()
        assert app.pair is None and "160 columns" in " ".join(str(n.message) for n in app.notices.notices)
        # widening the terminal brings the second pane; narrowing it with a dialog open, back to one
        await pilot.press("f6")
        await pilot.resize_terminal(180, 40)
        await pilot.pause()
        assert app.pair == ("data", "layers") and app.query_one("#layers").display
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.pair is None and not app.query_one("#layers").display


@pytest.mark.slow
async def test_bidirectional_wrapped_layer_is_edited_as_a_table(app_factory):
    exp = tiny_experiment_with([LayerSpec("Embedding", {"output_dim": 8}), LayerSpec("Bidirectional", {"layer": {"type": "LSTM", "units": 4}}), LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})])
    app = app_factory(exp)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "down", "e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, LayerEditor)
        box = editor.field_widget("layer")
        assert box.value == '{ type = "LSTM", units = 4 }'
        box.value = '{ type = "Dense", units = 4 }'
        await pilot.pause()
        assert "can wrap only" in text_of(editor.query_one("#field-layer-error", Static))
        box.value = "{ type = "
        await pilot.pause()
        assert "not a TOML value" in text_of(editor.query_one("#field-layer-error", Static))
        box.value = '{ type = "GRU", units = 6 }'
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.experiment.layers[1].params["layer"] == {"type": "GRU", "units": 6}
        assert app.validate()[0].ok


def tiny_experiment_with(layers):
    exp = tiny_experiment()
    exp.layers = layers
    return exp


def test_run_with_a_bad_experiment_file_says_so(tmp_path, capsys):
    from tui.app import run

    assert run([str(tmp_path / "missing.toml")]) == 1
    assert "No experiment file" in capsys.readouterr().out


@pytest.mark.slow
async def test_export_offers_only_what_the_run_allows(app_factory, runs_dir):
    """A folder-source run has no script export: the dialog offers SavedModel and says why."""
    from engine.experiment import save
    from tests.engine.hand_made_runs import hand_made_run

    run = hand_made_run(runs_dir, "20260101-000000-folders", "folders")
    exp = load(run / "experiment.toml")
    exp.data.source, exp.data.path = "folder", "reviews"
    save(exp, run / "experiment.toml")
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_export_dialog(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert not app.screen.query("#choice-script") and app.screen.query("#choice-saved_model")
        assert "No script" in text_of(app.screen.query_one(".dialog-text", Static))
        await pilot.press("escape")


async def test_export_offers_no_script_when_the_runs_data_record_is_damaged(app_factory, runs_dir):
    """Issue 19: a run's data_format.json that cannot be read leaves the script out, and says why."""
    from tests.engine.hand_made_runs import hand_made_run

    run = hand_made_run(runs_dir, "20260101-000000-damaged", "damaged")
    (run / "data_format.json").write_text("{not json", encoding="utf-8")
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_export_dialog(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert not app.screen.query("#choice-script") and app.screen.query("#choice-saved_model")
        assert "data_format.json" in text_of(app.screen.query_one(".dialog-text", Static))
        await pilot.press("escape")
