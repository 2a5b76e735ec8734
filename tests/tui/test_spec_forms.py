"""Every setting is reachable in the app, in a form, where it applies (issue 19)."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from engine import SETTINGS, ExperimentError
from engine.experiment import LayerSpec
from engine.layers import get_preset
from tests.tui.conftest import settle, text_of, tiny_experiment, wait_until
from tui.app import make_app
from tui.dialogs import FormDialog

# The dialog each group of settings lives in: (pane, key that opens it, field of a path).
DIALOGS = {
    "vectorize.": ("data", "v"),
    "data.": ("data", "o"),
    "compile.": ("layers", "o"),
    "fit.": ("train", "f"),
    "probes": ("train", "b"),
}
FIELD_NAMES = {"data.clean": "clean_html", "probes": "probe1"}  # one field per item


def dialog_of(path: str) -> tuple[str, str]:
    return next(where for prefix, where in DIALOGS.items() if path.startswith(prefix))


async def open_dialog(app, pilot, pane: str, key: str) -> FormDialog:
    app.action_show_pane(pane)
    await pilot.pause()
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(app.screen, FormDialog), (pane, key)
    return app.screen


@pytest.mark.slow
async def test_every_setting_has_a_field_where_it_applies(app_factory):
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        for s in SETTINGS:
            pane, key = dialog_of(s.path)
            form = await open_dialog(app, pilot, pane, key)
            # A configuration where the setting applies, chosen in the form itself.
            for controller, allowed in (("source", s.sources), ("kind", s.kinds)):
                if allowed:
                    form.field_widget(controller).value = allowed[0]
                    await pilot.pause()
            name = FIELD_NAMES.get(s.path, s.path.rsplit(".", 1)[-1])
            assert form.query_one(f"#field-{name}-box").display, s.path
            await pilot.press("escape")
            await pilot.pause()


@pytest.mark.slow
async def test_ngram_settings_show_for_ngrams_only_and_apply(app_factory):
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        form = await open_dialog(app, pilot, "data", "v")
        shown = lambda name: form.query_one(f"#field-{name}-box").display  # noqa: E731
        assert not shown("ngrams") and not shown("output_mode") and shown("length") and not shown("alphabet")
        assert "ngrams" in text_of(form.query_one("#field-kind-box .field-help", Static))  # the help says what n-grams are
        form.field_widget("kind").value = "ngrams"
        await pilot.pause()
        assert shown("ngrams") and shown("output_mode") and not shown("length") and not shown("padding")
        form.field_widget("ngrams").value = "4"
        await pilot.pause()
        assert "at most 3" in text_of(form.query_one("#field-ngrams-error", Static))
        form.field_widget("ngrams").value = "3"
        form.field_widget("output_mode").value = "count"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        v = app.experiment.vectorize
        assert (v.kind, v.ngrams, v.output_mode, v.length) == ("ngrams", 3, "count", 24)  # length kept as it was
        summary = text_of(app.query_one("#data-summary", Static))
        assert "ngrams up to 3" in summary and "length" not in summary.split("Vectorizer:")[1]
        assert " cuts " not in text_of(app.query_one("#data-stats", Static))  # n-grams have no length


@pytest.mark.parametrize(("field", "value"), [("xla", "off"), ("devices", "all")])
async def test_fit_settings_hold_xla_and_devices(app_factory, field, value):
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        form = await open_dialog(app, pilot, "train", "f")
        form.field_widget(field).value = value
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert getattr(app.experiment.fit, field) == value


async def test_the_imdb_ngram_preset_shows_its_ngram_size_at_80x24(runs_dir, monkeypatch, tmp_path):
    from engine.data import keras_datasets

    # No IMDB here: the Data pane says so at once instead of probing the network.
    monkeypatch.setattr(keras_datasets, "cache_dirs", lambda: [tmp_path / "no-keras-cache"])
    monkeypatch.setattr(keras_datasets, "_host_answers", lambda *a, **k: False)
    exp = get_preset("imdb-ngram")
    app = make_app(exp, runs_dir=runs_dir, load_tensorflow=False, pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        form = await open_dialog(app, pilot, "data", "v")
        box = form.query_one("#field-ngrams-box")
        assert box.display and form.field_widget("ngrams").value == str(exp.vectorize.ngrams) == "2"
        form.query_one("#form-fields").scroll_to_widget(box, animate=False)
        await pilot.pause()
        assert form.field_widget("ngrams").region.height > 0 and form.field_widget("ngrams").region.bottom <= 24
        assert form.field_widget("output_mode").value == exp.vectorize.output_mode


def test_the_ngram_view_shows_an_examples_ngrams_by_weight_not_ids():
    from tui.panes.data import ngram_lines

    vocab = ["[UNK]", "good", "movie", "good movie", "bad"]
    lines = ngram_lines([0.0, 1.5, 0.7, 2.25, 0.0], vocab, "tf_idf")
    assert lines[0] == "n-grams (3 of 5, tf_idf): good movie 2.25 · good 1.5 · movie 0.7"
    assert "no padding" in lines[1]


def test_the_nb_view_shows_an_examples_strongest_ngrams_either_way_and_the_vocabularys_extremes():
    from tui.panes.data import ngram_lines

    vocab = ["[UNK]", "good", "movie", "good movie", "bad", "awful", "[unused 0]"]
    ratios = [0.1, 1.2, 0.05, 2.0, -1.5, -2.5, 0.0]
    lines = ngram_lines([0.0, 1.2, 0.05, 0.0, -1.5, 0.0, 0.0], vocab, "nb", shown=4, ratios=ratios, classes=["neg", "pos"])
    assert lines[0] == "n-grams (3 of 7, nb): bad -1.5 · good 1.2 · movie 0.05"
    assert lines[2] == "nb ratios, most 'pos': good movie 2 · good 1.2; most 'neg': awful -2.5 · bad -1.5"


async def test_a_form_refuses_with_the_files_own_rule_message(app_factory):
    from engine.experiment import loads

    exp = app_factory().experiment.copy()
    exp.data.split.test = 0.3
    app = app_factory(exp)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        form = await open_dialog(app, pilot, "train", "f")
        form.field_widget("validation").value = "0.8"
        await pilot.press("ctrl+s")
        await pilot.pause()
        with pytest.raises(ExperimentError) as from_file:  # the same rule, read from a file
            loads("[data.split]\nvalidation = 0.8\ntest = 0.3\n")
        assert app.screen is form and from_file.value.problem in text_of(form.query_one("#form-error", Static))
        assert app.experiment.data.split.validation == 0.2


@pytest.mark.slow
async def test_the_data_pane_shows_an_nb_examples_ngrams_and_the_most_positive_and_negative(app_factory):
    exp = tiny_experiment()
    exp.vectorize.kind, exp.vectorize.output_mode, exp.vectorize.max_tokens = "ngrams", "nb", 300
    exp.layers = [LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})]
    app = app_factory(exp, load_tensorflow=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await wait_until(pilot, lambda: "nb ratios" in text_of(app.query_one("#data-vectorizer")), 120, "the nb view")
        text = text_of(app.query_one("#data-vectorizer"))
        assert ", nb):" in text and "most 'positive':" in text and "most 'negative':" in text, text
        example = next(line for line in text.splitlines() if ", nb):" in line).split("nb): ")[1]
        weights = [float(cell.rsplit(" ", 1)[1]) for cell in example.rstrip(" …").split(" · ")]
        assert weights and not all(w == int(w) for w in weights), example  # presence times the ratios, not presence
