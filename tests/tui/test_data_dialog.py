"""The Data source dialog on table files as found in the wild (issue 10, finding 2): format,
header and quoting choices, and columns by position for a file without a header."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Select

from tests.engine.real_files import write_uci_sms
from tests.tui.conftest import settle, wait_until
from tests.tui.test_app import open_data_dialog, open_table_file


@pytest.mark.slow
async def test_uci_file_without_header_offers_columns_by_position(app_factory, runs_dir):
    write_uci_sms(Path("."), ham=40, spam=12)
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        dialog = await open_data_dialog(pilot)
        dialog.field_widget("source").value = "csv"
        await pilot.pause()
        for name in ("format", "header", "quotes"):
            assert dialog.query_one(f"#field-{name}-box").display and dialog.field_widget(name).value == "auto"
        dialog.field_widget("path").value = "SMSSpamCollection"
        await settle(app, pilot)
        await wait_until(pilot, lambda: dialog.field_widget("text").value == 2, 10, "the guessed text column by position")
        assert dialog.field_widget("label").value == 1
        labels = [str(prompt) for prompt, _value in dialog.field_widget("text")._options]
        assert "1: ham" in labels and any(p.startswith("2: Go until jurong point") for p in labels)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        d = app.experiment.data
        assert (d.source, d.path, d.text, d.label, d.format, d.header, d.quotes) == ("csv", "SMSSpamCollection", 2, 1, "", None, None)
        assert app.dataset is not None and app.dataset.class_names == ["ham", "spam"]
        assert sum(len(s) for s in app.dataset.splits().values()) == 52
        assert 'text = 2' in app.experiment.to_toml() and "header" not in app.experiment.to_toml()


@pytest.mark.slow
async def test_format_and_header_choices_are_kept(app_factory, runs_dir):
    write_uci_sms(Path("."), ham=20, spam=8, name="sms.data")
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await open_table_file(app, pilot, "sms.data")
        dialog.field_widget("format").value = "tsv"
        dialog.field_widget("header").value = "no"
        dialog.field_widget("quotes").value = "no"
        await settle(app, pilot)
        await wait_until(pilot, lambda: dialog.field_widget("label").value == 1, 10, "the columns by position")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        d = app.experiment.data
        assert (d.format, d.header, d.quotes, d.text, d.label) == ("tsv", False, False, 2, 1)
        assert app.dataset is not None and app.dataset.class_names == ["ham", "spam"]
        # header = yes: the first message becomes a column name, offered by name
        dialog = await open_data_dialog(pilot)
        assert dialog.field_widget("header").value == "no" and dialog.field_widget("format").value == "tsv"
        dialog.field_widget("header").value = "yes"
        await settle(app, pilot)
        await wait_until(pilot, lambda: dialog.field_widget("label").value == "ham", 10, "the columns by name")
        assert isinstance(dialog.field_widget("text"), Select)
        await pilot.press("escape")
