"""Issue 22 in the Runs pane: `g` then `sweep` groups a sweep's trials (runs tagged
`sweep:NAME`) under a heading with its progress and best trial, read from its study by a
worker; the trials come best first with the best starred, their swept values as columns, and
marked trials open the compare view. The trials here are written by hand (no training) and
told to the study as the driver would."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from engine.experiment import save
from engine.runs import labels
from engine.sweeps import Sweep
from tests.engine.many_runs import many_run
from tests.tui.conftest import answer_prompt, settle, text_of, tiny_experiment, wait_until
from tests.tui.test_sweep_dialog import shoot
from tui.app import make_app
from tui.compare import CompareScreen
from tui.panes.runs_sweeps import BEST_SIGN

ACCURACIES = {1: 0.7, 2: 0.91, 3: 0.8}  # trial number: its best val_accuracy


def sweep_with_trials(runs_dir: Path) -> Sweep:
    """A sweep of the learning rate with three ended trials of 4 wanted (runs tagged as the
    driver tags them), and one run of no sweep."""
    exp_path = runs_dir.parent / "tiny.toml"
    exp = tiny_experiment()
    exp.fit.monitor = "val_accuracy"
    save(exp, exp_path)
    sweep = Sweep.create(exp_path, ["compile.learning_rate=1e-4..1e-2:log"], runs_dir, trials=4, sampler="random", name="lr-sweep")
    study = sweep.study()
    dist = sweep.space.params[0].distribution()
    for n, acc in ACCURACIES.items():
        lr = (3e-4, 1e-3, 3e-3)[n - 1]
        path = many_run(runs_dir, n, val_accuracy=acc, lr=lr)
        labels.set_tags(path, [f"sweep:{sweep.name}", f"trial:{n - 1}"])
        trial = study.ask({"compile.learning_rate": dist})
        trial.set_user_attr("run", path.name)
        study.tell(trial, acc)
    many_run(runs_dir, 9, val_accuracy=0.6)  # not a trial
    return sweep


def cells(table: DataTable, row: int) -> dict[str, str]:
    return {c.key.value: str(v) for c, v in zip(table.ordered_columns, table.get_row_at(row), strict=True)}


async def grouped(app, pilot):
    await settle(app, pilot)
    pane = app.pane("runs")
    await wait_until(pilot, lambda: pane._differing[1], 20, "the differing columns")
    await pilot.press("g")
    await answer_prompt(pilot, "sweep")
    await wait_until(pilot, lambda: "lr-sweep" in pane.sweep_status, 60, "the sweep's status")
    await wait_until(pilot, lambda: cells(app.query_one("#runs-table", DataTable), 0)["status"] == "trial 3/4", 20, "the heading with the progress")
    return pane, app.query_one("#runs-table", DataTable)


async def test_g_sweep_groups_the_trials_best_first_with_the_sweeps_progress(runs_dir):
    sweep_with_trials(runs_dir)
    app = make_app(tiny_experiment(), runs_dir=runs_dir, load_tensorflow=False, pane="runs")
    async with app.run_test(size=(160, 48)) as pilot:
        pane, table = await grouped(app, pilot)
        assert [g.value for g in pane.groups] == ["lr-sweep", None]
        assert [s.id[9:15] for s in pane.groups[0].runs] == ["000002", "000003", "000001"]  # best val_accuracy first
        heading = cells(table, 0)
        assert heading["name"] in ("▾ sweep lr-sweep", "▾ lr-sweep") and heading["best"].startswith("val_accuracy")  # not the runs' val_loss: named
        assert [cells(table, row)["name"] for row in (1, 2, 3)] == [f"{BEST_SIGN} trial 1", "trial 2", "trial 0"]  # the heading names the sweep, not each run
        assert "compile.learning_rate" in [c.key.value for c in table.ordered_columns]  # the swept value, a column
        table.move_cursor(row=0)
        await pilot.pause()
        which = text_of(app.query_one("#runs-which", Static))
        assert "trial 3/4" in which and "best val_accuracy 0.9100 (trial 1)" in which
        shoot(app, "sweep-runs-160x48")
        await pilot.press("space")  # the heading: marks the sweep's three trials
        assert len(pane.marked) == 3
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen), 30, "the compare view")


async def test_the_grouped_sweep_fits_80x24(runs_dir):
    sweep_with_trials(runs_dir)
    app = make_app(tiny_experiment(), runs_dir=runs_dir, load_tensorflow=False, pane="runs")
    async with app.run_test(size=(80, 24)) as pilot:
        _, table = await grouped(app, pilot)
        keys = [c.key.value for c in table.ordered_columns]
        assert {"name", "status", "best"} <= set(keys)
        shoot(app, "sweep-runs-80x24")
