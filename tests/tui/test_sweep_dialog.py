"""Issue 22 in the app: the Sweep dialog (`w` in Layers and Train) lists the open experiment's
sweepable settings with SPECs pre-filled from their declarations, shows a bad SPEC under its
row without closing, and creates a sweep whose driver runs detached."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select, Static

from engine.experiment import save
from engine.sweeps import Sweep, sweepable
from engine.sweeps.space import parse
from tests.tui.conftest import answer_prompt, settle, text_of, tiny_experiment, wait_until
from tui.app import make_app
from tui.dialogs import OnOff
from tui.sweep_dialog import SweepDialog, current_value, default_spec, row_id

SHOTS = Path(os.environ.get("KERMINAL_TEST_SHOTS", "/tmp/sweepui"))


def saved_tiny(folder: Path, epochs: int = 1) -> Path:
    exp = tiny_experiment()
    exp.fit.epochs = epochs
    path = folder / "tiny.toml"
    save(exp, path)
    return path


async def open_dialog(app, pilot, pane_key: str) -> SweepDialog:
    await settle(app, pilot)
    await pilot.press(pane_key)
    await pilot.press("w")
    await wait_until(pilot, lambda: isinstance(app.screen, SweepDialog), 20, "the Sweep dialog")
    await pilot.pause()
    return app.screen


def shoot(app, name: str) -> Path:
    """An SVG of the screen and its PNG (rsvg-convert), to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    svg = SHOTS / f"{name}.svg"
    app.save_screenshot(svg.name, str(SHOTS))
    subprocess.run(["rsvg-convert", "-o", str(svg.with_suffix(".png")), str(svg)], check=True, timeout=60)
    return svg


def test_the_palette_offers_the_sweep_in_layers_and_train():
    from tui.commands import all_commands

    assert {(c.pane, c.key) for c in all_commands() if c.action == "sweep"} == {("layers", "w"), ("train", "w")}


def test_every_prefilled_spec_passes_the_engines_check():
    exp = tiny_experiment()
    exp.layers[0].params["output_dim"] = 32
    for s in sweepable(exp):
        text = default_spec(s, current_value(exp, s.path))
        if s.path != "data.source":  # its other sources need files this experiment has not
            parse(f"{s.path}={text}", exp)
    specs = {s.path: default_spec(s, current_value(exp, s.path)) for s in sweepable(exp)}
    assert specs["compile.learning_rate"] == "0.0001..0.01:log"
    assert specs["layers.1.output_dim"] == "16,32,64"
    assert specs["vectorize.kind"] == "words,chars,ngrams"
    assert specs["fit.early_stopping.restore_best"] == "true,false"


@pytest.mark.parametrize("pane_key", ["2", "3"])
async def test_w_opens_the_dialog_from_layers_and_train_with_the_settings_listed(runs_dir, pane_key):
    app = make_app(saved_tiny(runs_dir.parent), runs_dir=runs_dir, load_tensorflow=False)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(app, pilot, pane_key)
        paths = [s.path for s in dialog.rows]
        assert "compile.learning_rate" in paths and "layers.1.output_dim" in paths
        assert dialog.query_one(f"#{row_id('compile.learning_rate')}", Input).value == "0.0001..0.01:log"
        assert dialog.query_one(f"#{row_id('layers.1.output_dim')}", Input).value == "4,8,16"
        assert dialog.chosen() == ["compile.learning_rate=0.0001..0.01:log"]  # on at first
        first = dialog.focused
        await pilot.press("down", "space")  # the second row's switch
        assert dialog.focused is not first and dialog.chosen() == [f"{dialog.rows[1].path}={dialog.spec_of(dialog.rows[1].path).value}", "compile.learning_rate=0.0001..0.01:log"]
        if pane_key == "2":
            shoot(app, "sweep-dialog-80x24")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, SweepDialog), 10, "the dialog closed")
        assert not (runs_dir / "sweeps").exists()


async def test_a_bad_spec_is_said_under_its_row_and_the_dialog_stays(runs_dir):
    app = make_app(saved_tiny(runs_dir.parent), runs_dir=runs_dir, load_tensorflow=False)
    async with app.run_test(size=(160, 48)) as pilot:
        dialog = await open_dialog(app, pilot, "2")
        dialog.query_one(f"#{row_id('compile.learning_rate')}", Input).value = "0.1..0.01"
        await pilot.press("ctrl+s")
        error = dialog.query_one(f"#{row_id('compile.learning_rate')}-error", Static)
        await wait_until(pilot, lambda: error.display, 60, "the SPEC's message")
        assert "compile.learning_rate" in text_of(error) and "low end" in text_of(error)
        assert app.screen is dialog and not dialog.busy
        dialog.query_one("#sweep-parallel", Input).value = "99"  # more than the cores: said, nothing created
        dialog.query_one(f"#{row_id('compile.learning_rate')}", Input).value = "1e-4..1e-2:log"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "parallel" in text_of(dialog.query_one("#sweep-error", Static)) and app.screen is dialog
        shoot(app, "sweep-dialog-160x48")
        assert not any((runs_dir / "sweeps").glob("*/sweep.json"))


async def test_an_unsaved_change_is_saved_before_the_sweep_reads_the_file(runs_dir, monkeypatch):
    started = []
    monkeypatch.setattr("tui.sweep_dialog.start_driver", started.append)  # no driver: this test is about the file
    path = saved_tiny(runs_dir.parent)
    app = make_app(path, runs_dir=runs_dir, load_tensorflow=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        changed = app.experiment.copy()
        changed.fit.batch_size = 16
        app.set_experiment(changed, "batch size")
        assert app.dirty
        dialog = await open_dialog(app, pilot, "3")
        dialog.query_one("#sweep-trials", Input).value = "2"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is not dialog, 60, "the sweep created")
        assert not app.dirty and "batch_size = 16" in path.read_text(encoding="utf-8")
        (sweep,) = started
        assert sweep.config["trials"] == 2 and sweep.experiment().fit.batch_size == 16
        assert [p["path"] for p in json.loads((sweep.folder / "sweep.json").read_text())["space"]] == ["compile.learning_rate"]


def cells(table: DataTable, row: int) -> dict[str, str]:
    return {c.key.value: str(v) for c, v in zip(table.ordered_columns, table.get_row_at(row), strict=True)}


def ended(folder: Path) -> int:
    """Trials the sweep's summary.json (rewritten by the driver as each ends) says ended."""
    try:
        rows = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["rows"]
    except (OSError, ValueError, KeyError):  # being replaced right now: the next poll reads it
        return 0
    return sum(r["state"] in ("complete", "pruned", "failed") for r in rows)


@pytest.mark.slow
async def test_apply_creates_a_sweep_whose_detached_driver_runs_its_trials(runs_dir):
    app = make_app(saved_tiny(runs_dir.parent), runs_dir=runs_dir, load_tensorflow=False)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(app, pilot, "2")
        dialog.query_one("#sweep-trials", Input).value = "2"
        dialog.query_one(f"#{row_id('compile.learning_rate')}-on", OnOff).value = False
        dialog.query_one(f"#{row_id('layers.1.output_dim')}-on", OnOff).value = True
        dialog.query_one("#sweep-sampler", Select).value = "grid"  # two distinct values: a column of their own
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is not dialog, 120, "the sweep created and its driver started")
        (folder,) = (runs_dir / "sweeps").iterdir()
        await wait_until(pilot, lambda: any(folder.name in n.message and "kerminal sweep --status" in n.message for n in app.notices.notices), 10, "the toast")
        await wait_until(pilot, lambda: ended(folder) >= 2, 600, "the detached driver's two trials")
        # the Runs pane groups them under the sweep, the best starred
        await pilot.press("5")
        await pilot.press("g")
        await answer_prompt(pilot, "sweep")
        pane = app.pane("runs")
        await wait_until(pilot, lambda: folder.name in pane.sweep_status, 60, "the sweep's status read")
        assert [g.value for g in pane.groups] == [folder.name] and len(pane.groups[0].runs) == 2
        await wait_until(pilot, lambda: "layers.1.output_dim" in pane._differing[1], 30, "the swept setting's column")
        assert sorted(cells(app.query_one("#runs-table", DataTable), row)["name"].lstrip("★ ") for row in (1, 2)) == ["trial 0", "trial 1"]
        shoot(app, "sweep-runs-real-80x24")
    status = Sweep.open(folder.name, runs_dir).status(importances=False)
    assert {r.state for r in status.rows} <= {"complete", "pruned"} and all(r.run for r in status.rows)
    assert {r.values["layers.1.output_dim"] for r in status.rows} <= {4, 8, 16}


async def test_up_and_down_still_pick_in_the_sampler_list(runs_dir):
    app = make_app(saved_tiny(runs_dir.parent), runs_dir=runs_dir, load_tensorflow=False)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(app, pilot, "2")
        sampler = dialog.query_one("#sweep-sampler", Select)
        sampler.focus()
        await pilot.press("enter", "down", "enter")  # the rows' ↑/↓ are for the rows only
        await wait_until(pilot, lambda: sampler.value == "random", 10, "random picked")
