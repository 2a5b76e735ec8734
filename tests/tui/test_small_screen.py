"""80x24 first-class, every key answered at once, every state said (issue 14).

No TensorFlow: runs are written by hand (metrics.json + experiment.toml, all a listing
reads), evaluations and progress are stand-ins.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console
from rich.text import Text
from textual import events
from textual.widgets import DataTable, Static
from textual.widgets._footer import FooterKey
from textual.widgets._select import SelectOverlay

from engine.experiment import Experiment, LayerSpec
from engine.training.evaluate import Evaluation, Misclassified
from tests.tui.conftest import settle, text_of, tiny_experiment, wait_until
from tests.tui.test_keep_work import write_run
from tui.app import make_app
from tui.dialogs import Field, FormDialog, OnOff
from tui.panes.data import DATA_DIALOG, DataDialog
from tui.panes.layers import _cut
from tui.panes.runs import evaluation_renderable
from tui.panes.tabs import PANES
from tui.panes.train_text import status_line
from tui.widgets.curves import CurvePlot, Histogram, length_bins

CLASSES = [f"topic-{name}" for name in (
    "world-politics", "business-markets", "science-space", "sport-football", "technology-ai",
    "health-medicine", "entertainment-film", "travel-europe", "education-schools", "climate-energy",
    "law-courts", "motoring", "food-drink", "fashion", "gaming", "music", "books", "property", "weather", "religion",
)]
LONG_DIR = "data/corpora/news-headlines-2024-q3-cleaned-deduplicated"


def write_news(root: Path, rows_per_class: int = 6) -> Path:
    """A 20-class headline CSV under a long relative path."""
    folder = root / LONG_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "headlines-twenty-topics-train-and-validation.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["headline", "topic"])
        for i in range(rows_per_class):
            for j, c in enumerate(CLASSES):
                w.writerow([f"headline number {i} about {c.split('-', 1)[1].replace('-', ' ')} with some words {j} " * (1 + (i + j) % 3), c])
    return path


def long_experiment(data: Path | None = None) -> Experiment:
    """Real-looking long values: a long name, a deep data path, long layer settings."""
    exp = tiny_experiment()
    exp.name = "news-topics-bidirectional-lstm-with-dropout-experiment"
    if data is not None:
        exp.data.source = "csv"
        exp.data.path = str(data.relative_to(Path.cwd()))
        exp.data.text, exp.data.label = "headline", "topic"
    exp.vectorize.max_tokens = 20000
    exp.vectorize.length = 40
    exp.layers = [
        LayerSpec("Embedding", {"output_dim": 64, "mask_zero": True}),
        LayerSpec("Bidirectional", {"layer": {"type": "LSTM", "units": 48, "dropout": 0.25, "recurrent_dropout": 0.1, "return_sequences": True}}),
        LayerSpec("GlobalMaxPooling1D", {}),
        LayerSpec("Dense", {"units": 64, "activation": "relu"}),
        LayerSpec("Dropout", {"rate": 0.5}),
        LayerSpec("Dense", {"units": len(CLASSES) if data is not None else 1, "activation": "softmax" if data is not None else "sigmoid"}),
    ]
    exp.probes = ["central bank raises interest rates again", "striker scores twice in cup final"]
    return exp


def write_long_runs(root: Path, exp: Experiment) -> list[str]:
    ids = []
    for i, status in enumerate(("finished", "stopped", "failed")):
        run_id = f"2024-05-0{i + 1}T10-00-0{i}-news-topics-bidirectional-lstm-{i:03d}"
        path = write_run(root, run_id, exp, epochs=12 + i, best_epoch=9 + i)
        meta = path / "metrics.json"
        meta.write_text(meta.read_text(encoding="utf-8").replace('"finished"', f'"{status}"'), encoding="utf-8")
        ids.append(run_id)
    return ids


async def test_footer_keeps_help_and_each_panes_main_action_at_80(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for pane_id, _title, cls in PANES:
            app.action_show_pane(pane_id)
            main = cls.BINDINGS[0].action
            await wait_until(pilot, lambda main=main: main in [k.action for k in app.screen.query(FooterKey)], 10, f"the footer of {pane_id}: {main} in {[k.action for k in app.screen.query(FooterKey)]}")
            keys = list(app.screen.query(FooterKey))
            actions = [k.action for k in keys]
            # (On Predict the prompt has the focus and takes `?` as a character.)
            assert ("help" in actions) == (pane_id != "predict"), (pane_id, actions)
            assert main in actions, (pane_id, main, actions)
            assert "command_palette" in actions[-1]
            # every key whole: the footer's keys fit its width
            assert all(k.region.right <= 80 for k in keys), [(k.action, k.region) for k in keys]


async def test_runs_table_shows_status_epochs_and_best_whole_at_80(runs_dir):
    exp = long_experiment()
    ids = write_long_runs(runs_dir, exp)
    app = make_app(exp, runs_dir=runs_dir, load_tensorflow=False, pane="runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table = app.query_one("#runs-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == len(ids), 10, "the runs listed")
        await pilot.pause()  # laid out
        keys = [c.key.value for c in table.ordered_columns]
        assert keys[:5] == ["mark", "name", "status", "epochs", "best"]  # the mark column first, then the name, not the id (issue 20)
        assert table.virtual_size.width <= table.scrollable_content_region.width + 2  # no column past the edge
        for run_id, status, epochs in zip(ids, ("finished", "stopped", "failed"), ("12", "13", "14"), strict=True):
            row = table.get_row(run_id)
            cells = {k: str(getattr(c, "plain", c)) for k, c in zip(keys, row, strict=True)}  # cells may be rich Text
            assert cells["status"] == status and cells["epochs"] == epochs
            assert cells["best"].startswith("0.2500 (ep ")
            assert "id" not in cells  # the id is in the detail line, the name tells them apart
            name = app.pane("runs")._by_id[run_id].name
            assert cells["name"] == name or (cells["name"].endswith("…") and name.startswith(cells["name"][:-1]))  # cut, if at all, at the end
        x = 0
        for column in table.ordered_columns:
            x += column.get_render_width(table)
            if column.key.value == "best":
                assert x <= table.scrollable_content_region.width


async def test_status_line_keeps_the_tensorflow_state_whole_at_80(runs_dir):
    exp = long_experiment()
    app = make_app(exp, runs_dir=runs_dir, load_tensorflow=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.tf_state, app.tf_seconds = "ready", 12.3
        app.update_status()
        await pilot.pause()
        tf = app.query_one("#status-tf", Static)
        assert text_of(tf).strip() == "TF ready (12.3s)"
        assert tf.region.right <= 80 and tf.region.width >= len("TF ready (12.3s)")


def test_progress_line_shortens_without_cutting_numbers():
    p = SimpleNamespace(status="running", epoch=12, target=100, step=1234, steps=1250, eta_s=365.0, samples_per_s=12345.6, epochs=11, message="")
    long = status_line(p)
    assert "12,346 samples/s" in long
    for width in (80, 55, 45, 38):
        line = status_line(p, width)
        assert len(line) <= width or width < 30, (width, line)
        assert "12/100" in line and "1234/1250" in line and "6m05s" in line
    assert "12,346" in status_line(p, 45)


def test_layer_settings_cut_after_a_whole_setting():
    text = "1000x64, mask_zero=True, embeddings_initializer=uniform"
    assert _cut(text, 200) == text
    assert _cut(text, 30) == "1000x64, mask_zero=True, …"
    assert _cut("abcdefghijklmnop", 8) == "abcdefg…"


def evaluation_of(classes: list[str]) -> Evaluation:
    n = len(classes)
    confusion = [[(40 + i) if i == j else (i * j) % 4 for j in range(n)] for i in range(n)]
    per_class = {c: {"precision": 0.912, "recall": 0.875, "f1": 0.893, "support": 48} for c in classes}
    wrong = [Misclassified("a headline that was put in the wrong topic by the model " * 2, classes[0], classes[-1], 0.97)]
    return Evaluation(0.4321, 0.8765, confusion, per_class, wrong, list(classes), 960, "test")


def test_evaluation_of_twenty_classes_fits_80_columns():
    console = Console(width=74, file=io.StringIO(), record=True, color_system=None)  # the detail's room at 80
    console.print(evaluation_renderable(evaluation_of(CLASSES)))
    lines = console.export_text().splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 74
    matrix = [line for line in lines if re.match(r"\s*\d+ topic-", line)]
    assert len(matrix) >= 20
    row20 = next(line for line in lines if line.strip().startswith("20 topic-"))
    assert row20.split()[-1] == str(40 + 19)  # the last cell of the last row, whole


def test_length_histogram_bins_over_lengths():
    xs, counts, _w = length_bins([3, 4, 4, 5, 9])
    assert xs[0] == 3 and xs[-1] == 9 and counts[1] == 2 and sum(counts) == 5
    xs, counts, _w = length_bins(list(range(0, 1000, 7)))
    assert len(xs) == 30 and sum(counts) == len(range(0, 1000, 7))


async def test_data_histogram_marks_the_sequence_length(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        hist = app.query_one(Histogram)
        assert hist.mark == 24 and hist.unit == "words" and hist.values
        built = hist.plt.build()
        assert "words per example" in built and "length 24" in built


@pytest.mark.slow
async def test_keys_typed_while_a_screen_opens_reach_it(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        # Ctrl+N, a path and Enter as one burst (a fast typist, a slow link): nothing lost.
        for key, char in [("ctrl+n", None), *[(c if c.isalnum() else {".": "full_stop", "/": "slash", "-": "minus"}[c], c) for c in "saved-at-once.toml"], ("enter", None)]:
            app.post_message(events.Key(key, char))
        await wait_until(pilot, lambda: app.experiment_path is not None, 10, "the typed path saved")
        assert str(app.experiment_path).endswith("saved-at-once.toml")
        # `o` and at once Esc: the dialog opens and closes.
        app.post_message(events.Key("o", "o"))
        app.post_message(events.Key("escape", None))
        await wait_until(pilot, lambda: app.is_screen_installed(DATA_DIALOG) and len(app.screen_stack) == 1, 10, "the dialog opened and closed")
        await settle(app, pilot)
        assert not isinstance(app.screen, DataDialog)


@pytest.mark.slow
async def test_data_dialog_is_built_once_and_shows_the_current_settings(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("o")
        first = app.screen
        assert isinstance(first, DataDialog)
        await pilot.press("escape")
        exp = app.experiment.copy()
        exp.data.split.seed = 7
        app.set_experiment(exp, "seed")
        await settle(app, pilot)
        await pilot.press("o")
        assert app.screen is first and first.field_widget("seed").value == "7"
        assert first.focused is first.field_widget("source")
        await pilot.press("escape")


def write_table(path: Path, header: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for i in range(12):
            w.writerow([f"a longer text of row {i} with words", "yes" if i % 2 else "no"][: len(header)])


@pytest.mark.slow
async def test_data_dialog_offers_the_columns_of_the_file_it_names(app_factory):
    write_table(Path("a.csv"), ["review", "sentiment"])
    write_table(Path("b.csv"), ["message", "spam"])
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("o")
        dialog = app.screen
        dialog.field_widget("source").value = "csv"
        dialog.field_widget("path").value = "a.csv"
        await wait_until(pilot, lambda: dialog.field_widget("text").value == "review", 10, "a.csv's columns")

        def offered() -> list:
            return [value for _prompt, value in dialog.field_widget("text")._options if isinstance(value, (str, int))]

        assert "sentiment" in offered()
        dialog.field_widget("path").value = "b.csv"
        await wait_until(pilot, lambda: "message" in offered(), 10, "b.csv's columns")
        assert "review" not in offered() and "sentiment" not in offered()
        dialog.field_widget("path").value = "missing.csv"
        await wait_until(pilot, lambda: offered() == [""], 10, "only (guess): no columns of an earlier file")
        await pilot.press("escape")


@pytest.mark.slow
async def test_probes_are_cleared_undoably_when_the_classes_change(app_factory):
    exp = tiny_experiment()
    exp.probes = ["a great film", "a dull film"]
    app = app_factory(exp)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.dataset.class_names == ["negative", "positive"]
        new = app.experiment.copy()
        new.data.source = "reber"
        app.set_experiment(new, "reber")
        await settle(app, pilot)
        await pilot.pause()
        assert app.experiment.probes == []
        assert any("probe sentences for the old ones were cleared" in n.message for n in app.notices.notices)
        await pilot.press("ctrl+z")
        await settle(app, pilot)
        assert app.experiment.probes == ["a great film", "a dull film"] and app.experiment.data.source == "reber"
        # A change that keeps the classes keeps the probes.
        new = app.experiment.copy()
        new.data.source = "embedded-reber"
        app.set_experiment(new, "embedded reber")
        await settle(app, pilot)
        assert app.experiment.probes == ["a great film", "a dull film"]


async def test_one_toast_per_event(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for _ in range(2):
            app.notify("No data loaded.", title="Train", severity="error")
        app.notify("Something else.", title="Train")
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["No data loaded.", "Something else."]


async def test_switches_say_on_and_off():
    form = FormDialog("t", [Field("flag", "bool", False, False, label="restore best")])
    app = make_app(tiny_experiment(), runs_dir="runs", load_tensorflow=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(form)
        await pilot.pause()
        box = form.query_one(OnOff)
        assert str(box.label).startswith("[ ] off") and "restore best" in str(box.label)
        await pilot.press("space")
        await pilot.pause()
        assert box.value and str(box.label).startswith("[x] on")
        await pilot.press("escape")


async def test_screenshots_from_a_key_and_the_palette(app_factory, tmp_path, monkeypatch):
    shots = tmp_path / "shots"
    monkeypatch.setenv("KERMINAL_SCREENSHOTS", str(shots))
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        first = app.last_screenshot
        assert first is not None and first.parent == shots and first.suffix == ".svg"
        assert first.read_text(encoding="utf-8").lstrip().startswith("<svg")
        assert any(n.message.endswith(first.name) for n in app._notifications)  # the path fitted from the left: its end whole
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Screenshot")
        first.unlink()
        command.callback()
        await wait_until(pilot, lambda: app.last_screenshot is not None and app.last_screenshot.is_file(), 5, "the palette's screenshot")
        assert app.last_screenshot.read_text(encoding="utf-8").lstrip().startswith("<svg")


# ---- plots take the free height, their legend outside the data (issue 14) ---------------

HISTORY = {"train": [0.9, 0.7, 0.6, 0.55, 0.5, 0.48], "validation": [0.95, 0.8, 0.7, 0.66, 0.64, 0.63]}


def plot_lines(plot: CurvePlot) -> list[str]:
    """The plot's lines as drawn now, plain text: the caption, then plotext's lines."""
    _key, lines = plot._build()
    return [plot._caption.plain, *(Text.from_ansi(line).plain for line in lines[1:])]


def canvas_of(lines: list[str]) -> list[str]:
    """The lines inside the plot's frame (the data area)."""
    top = next(i for i, line in enumerate(lines) if "┌" in line)
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    return lines[top + 1 : bottom]


async def plot_heights(runs_dir: Path, pane: str, size: tuple[int, int]) -> list[tuple[int, int]]:
    """(widget rows, canvas rows) of each plot of `pane` at `size`, with a history and a
    batch trace drawn; asserts the series are named on the first line and not in the frame."""
    app = make_app(tiny_experiment(), runs_dir=runs_dir, load_tensorflow=False, pane=pane)
    out = []
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        plots = list(app.pane(pane).query(CurvePlot))
        assert len(plots) == 2
        for plot in plots:
            plot.set_series(HISTORY)
            plot.set_trace([6.2, 6.5], [0.47, 0.46])
            plot.replot()
        await pilot.pause()
        for plot in plots:
            lines = plot_lines(plot)
            canvas = canvas_of(lines)
            assert "train" in lines[0] and "val" in lines[0], lines[0]
            assert lines[0].startswith(plot.title)
            for line in canvas:
                assert not any(word in line for word in ("train", "val", "batch", "epoch")), line
            assert not any("epoch" in line for line in lines[1:]), "no x label line: the caption says it"
            out.append((plot.size.height, len(canvas)))
    return out


@pytest.mark.slow
async def test_plots_take_the_free_height_with_the_legend_outside_the_data(runs_dir):
    for pane in ("train", "runs"):
        small = await plot_heights(runs_dir, pane, (80, 24))
        taller = await plot_heights(runs_dir, pane, (100, 40))
        wide = await plot_heights(runs_dir, pane, (120, 40))
        for (h24, c24), (h40, c40), (_h, c120) in zip(small, taller, wide, strict=True):
            assert h40 > h24 and c40 > c24, (pane, small, taller)
            assert c120 > 5 and c40 > 5, (pane, taller, wide)
            assert c24 >= 5, (pane, small)  # 80x24: at least 5 rows of data


def test_caption_names_each_series_in_its_colour_and_shortens_to_fit():
    plot = CurvePlot("accuracy")
    plot._legend = ["train", "validation", "batches"]
    assert plot.caption(80).plain == "accuracy by epoch  ━ train  ━ validation  • batches"
    assert plot.caption(44).plain == "accuracy  ━ train  ━ validation  • batches"
    assert plot.caption(38).plain == "accuracy ━ train ━ val • batch"
    assert plot.caption(24).plain == "accuracy ━ train ━ val"
    assert plot.caption(9).plain == "accuracy"
    colours = {span.style for span in plot.caption(80).spans}
    assert "rgb(0,130,200)" in colours and "rgb(60,180,75)" in colours


# ---- an open Select leaves the form's hint line in sight (issue 14) ----------------------


# The layer editor's activation list is 12 rows: at the bottom of the dialog's hint line it
# covered the hint; above the fields nothing can (a list opens below its field, and is
# pushed up only as far as the screen's bottom needs: at most 12 rows, to row 12 at 80x24).
@pytest.mark.slow
@pytest.mark.parametrize(("pane", "keys", "field"), [("layers", ["down", "down", "e"], "activation"), ("train", ["f"], "monitor"), ("data", ["v"], "padding")])
async def test_an_open_select_leaves_the_form_hint_visible(app_factory, pane, keys, field):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.action_show_pane(pane)
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        form = app.screen
        assert isinstance(form, FormDialog)
        select = form.field_widget(field)
        select.focus()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert select.expanded
        overlay = select.query_one(SelectOverlay)
        hint = form.query_one("#form-hint", Static)
        assert overlay.region.height >= 2 and hint.region.height == 1  # (compact: no border)
        assert not overlay.region.overlaps(hint.region), (overlay.region, hint.region)
        for x in range(hint.region.x, hint.region.right):  # what is drawn there is the hint
            assert form.get_widget_at(x, hint.region.y)[0] is hint
        await pilot.press("escape")
        await pilot.press("escape")


# ---- the form dialogs are built once and refilled (issue 14: each opens at once) ---------


@pytest.mark.slow
async def test_fit_probe_and_vectorizer_dialogs_are_reused_with_current_values(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for pane, key, field, change, shown in (
            ("train", "f", "epochs", lambda e: setattr(e.fit, "epochs", 7), "7"),
            ("train", "b", "probe1", lambda e: setattr(e, "probes", ["a fresh probe"]), "a fresh probe"),
            ("data", "v", "length", lambda e: setattr(e.vectorize, "length", 33), "33"),
        ):
            app.action_show_pane(pane)
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
            first = app.screen
            assert isinstance(first, FormDialog)
            await pilot.press("escape")
            await pilot.pause()
            exp = app.experiment.copy()
            change(exp)
            app.set_experiment(exp, "change")
            await settle(app, pilot)
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is first, key
            assert first.field_widget(field).value == shown
            assert first.focused is first.query("#form-fields Input, #form-fields Select, #form-fields Checkbox").first()
            await pilot.press("ctrl+s")  # applies the values shown: nothing changes
            await settle(app, pilot)
            assert app.screen is not first
        assert app.experiment.fit.epochs == 7 and app.experiment.probes == ["a fresh probe"] and app.experiment.vectorize.length == 33
