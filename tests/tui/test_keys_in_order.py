"""Keys typed at full speed right after the key that opens a field reach it, all of them,
in order: the held-keys replay (tui/keys.py) must neither lose nor reorder one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.tui.conftest import settle, tiny_experiment, type_fast, wait_until

SAMPLE = Path(__file__).resolve().parents[2] / "assets" / "sample.csv"

# A path typed with slips and backspaces; the field must end with exactly EXPECTED.
TYPED = [*"runs/xx", "backspace", *"//y", "backspace", "backspace", *"sms-lstm.toml"]
EXPECTED = "runs/x/sms-lstm.toml"

# How each kind of field is opened (keys from the Data pane), and the field that gets the text.
FIELDS = {
    "save-as": (["ctrl+n"], "#prompt-input"),
    "open": (["ctrl+o", "ctrl+l"], "#picker-path"),
    "data-source": (["o", "tab"], "#field-path"),
    "layer-edit": (["2", "e"], None),  # the layer's first field
    "predict": (["4"], "#predict-input"),
}


def field_of(app, selector: str | None) -> Input:
    if selector is None:
        return app.screen.query("#form-fields Input").first()
    return app.screen.query_one(selector, Input)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["press", "burst"])
@pytest.mark.parametrize("kind", list(FIELDS))
async def test_a_path_typed_at_full_speed_arrives_whole_and_in_order(app_factory, kind, how):
    openers, selector = FIELDS[kind]
    exp = tiny_experiment()
    if kind == "data-source":  # a source with a path field (the sample's has none)
        shutil.copy(SAMPLE, "sample.csv")
        exp.data.source, exp.data.path = "csv", "sample.csv"
    app = app_factory(exp)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        if how == "press":  # the pilot's own pace: one key, then the app idles
            await pilot.press(*openers, *TYPED)
        else:  # a terminal's pace: the whole burst queued before the app handles any of it
            type_fast(app, *openers, *TYPED)

        def typed() -> bool:
            try:
                return field_of(app, selector).value == EXPECTED
            except Exception:  # the field's screen is not up yet
                return False

        try:
            await wait_until(pilot, typed, what=f"{EXPECTED!r} in the {kind} field")
        except AssertionError:
            got = field_of(app, selector).value if app.screen.query(selector or "#form-fields Input") else f"(no field; screen {app.screen!r})"
            raise AssertionError(f"{kind}: typed {EXPECTED!r}, the field holds {got!r}") from None


@pytest.mark.slow
async def test_panes_switched_at_full_speed_leave_the_focus_in_the_last(app_factory):
    # Several bursts: news of a switch (a pane hidden, a pane focused) arriving after the
    # next switch failed about one burst in three beside a busy core, before the app
    # ignored it (tui/layout.py, tui/app.py `_focus_into_shown_pane`).
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        for burst, last in ((("2", "3", "5", "3"), "train"), (("5", "2", "3", "2"), "layers"), (("3", "5", "3", "5"), "runs"), (("2", "3", "5", "3"), "train")):
            type_fast(app, *burst)
            pane = app.pane(last)
            try:
                await wait_until(pilot, lambda last=last: app.query_one("TabbedContent").active == last and not app._held_keys, what=f"the {last} pane shown")
            except AssertionError:
                shown, held = app.query_one("TabbedContent").active, [k.key for k in app._held_keys]
                raise AssertionError(f"{' '.join(burst)} typed: {shown} shown, keys held {held}, focus on {app.focused}") from None
            await settle(app, pilot)  # what the switches scheduled has run
            assert app.focused is not None and pane in app.focused.ancestors, (burst, app.focused)
