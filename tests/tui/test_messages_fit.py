"""Issue 20, messages that fit: at 80×24 a toast covers at most a third of the screen (one
toast and all of them together); a long error is whole only in the Messages screen (F7) and
its toast is one line pointing there; paths in messages lose their start, never their end."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import RichLog

from tests.tui.conftest import settle
from tui.notices import POINTER, SHOWN, TOAST_LINES, TOAST_TEXT, MessagesScreen, toast_lines
from tui.shorten import fit_path, with_path

LONG = "/home/someone/projects/text-classifiers/2026/experiments/sms-lstm.toml"


def test_a_path_is_shortened_from_the_left_by_whole_folders():
    assert fit_path(LONG, 200) == LONG
    short = fit_path(LONG, 30)
    assert short == "…/experiments/sms-lstm.toml" and len(short) <= 30
    assert fit_path(LONG, 12).endswith("lstm.toml") and len(fit_path(LONG, 12)) <= 12  # a name too long alone keeps its end
    said = with_path("Wrote {path}", LONG, TOAST_TEXT)
    assert said.startswith("Wrote …/") and said.endswith("/sms-lstm.toml") and len(said) <= TOAST_TEXT


def toasts(app):
    from textual.widgets._toast import Toast  # Textual's toast widget (not exported)

    return list(app.screen.query(Toast))


async def test_a_long_error_goes_to_the_messages_screen_with_a_one_line_toast(app_factory):
    app = app_factory()
    error = "\n".join(f"line {i}: the stack does not validate because of layer {i}" for i in range(20))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        app.notify(error, title="Could not train", severity="error", timeout=30)
        await pilot.pause()
        (toast,) = toasts(app)
        shown = str(toast._notification.message)
        assert shown.startswith("line 0: the stack") and shown.endswith(POINTER) and len(toast_lines(shown)) <= TOAST_LINES
        assert toast.region.height <= TOAST_LINES + 1 and toast.region.area <= 80 * 24 / 3
        assert app.notices.notices[-1].message == error  # whole, its lines kept
        await pilot.press("f7")
        await pilot.pause()
        assert isinstance(app.screen, MessagesScreen)
        log = app.screen.query_one("#messages-log", RichLog)
        text = "\n".join(line.text for line in log.lines)
        assert "line 0:" in text and "line 19:" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MessagesScreen)


async def test_toasts_together_cover_at_most_a_third_of_80x24(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        for i in range(6):
            app.notify(f"message {i}: " + "a fairly long sentence " * 5, title=f"title {i}", timeout=30)
        await pilot.pause()
        await pilot.pause()
        shown = toasts(app)
        assert len(shown) <= SHOWN and shown[-1]._notification.title == "title 5"  # the newest stays
        assert sum(t.region.area for t in shown) <= 80 * 24 / 3
        assert all(t.region.height <= 4 for t in shown)
        assert len(app.notices) == 6  # the older ones are in the log


async def test_saved_names_the_file_by_its_end(app_factory, tmp_path):
    app = app_factory()
    folder = tmp_path / "a-folder-with-a-long-name" / "and-another-one-below-it" / "experiments"
    folder.mkdir(parents=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.save_to(folder / "sms-lstm.toml")
        said = app.notices.notices[-1].message
        assert said.endswith("/experiments/sms-lstm.toml") and said.startswith("Saved …/") and len(said) <= TOAST_TEXT
        assert Path(folder / "sms-lstm.toml").is_file()


def test_a_long_message_s_toast_is_its_first_line_cut_and_the_pointer():
    from tui.notices import toast_text

    text, long = toast_text("The model does not validate: " + "layer 3 wants 3-D input " * 20 + "\nmore\nand more\nand more")
    assert long and text.startswith("The model does not validate:") and text.endswith(POINTER)
    assert len(toast_lines(text)) <= TOAST_LINES and "…" in text
    assert toast_text("short") == ("short", False)
