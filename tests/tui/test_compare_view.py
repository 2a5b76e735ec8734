"""Issue 20's compare view: `c` in the Runs pane with two or more runs marked opens it (fewer:
the selected run's curves, as before); one plot per metric with each run in its session
colour and marker, a legend with the best epochs, `p` pins a run on top, the settings that
differ, the best metrics, the layer diff, the disagreements in a worker; Esc closes."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import DataTable, Static

from engine.runs import PALETTE
from tests.engine.many_runs import many_run
from tests.tui.conftest import quiet, settle, text_of, tiny_experiment, wait_until
from tui.app import make_app
from tui.compare import MAX_DRAWN, CompareCurves, CompareScreen, style


def two_runs(runs_dir):
    many_run(runs_dir, 1, val_accuracy=0.9, kind="ngrams", lr=3e-4)
    many_run(runs_dir, 2, val_accuracy=0.8, kind="words", lr=1e-3)


def app_on_runs(runs_dir):
    return make_app(tiny_experiment(), runs_dir=runs_dir, load_tensorflow=False, pane="runs")


async def mark_and_compare(app, pilot, count: int) -> CompareScreen:
    await settle(app, pilot)
    await pilot.press(*["space"] * count, "c")
    await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.ready, 10, "the compare view")
    await pilot.pause()
    assert isinstance(app.screen, CompareScreen)
    return app.screen


async def test_c_with_fewer_than_two_marked_shows_the_curves(runs_dir):
    two_runs(runs_dir)
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("space", "c")  # one marked: the curves, no compare view
        await pilot.pause()
        assert not isinstance(app.screen, CompareScreen)
        assert app.query_one("#runs-curves").display


async def test_compare_view_of_two_runs(runs_dir, monkeypatch):
    two_runs(runs_dir)
    import engine.training

    release = threading.Event()

    def slow_disagreement(a, b, examples=20, on_phase=None):
        from engine.training import Disagreement

        on_phase("predicting with the first run 1/2")
        release.wait(20)  # the view answers keys meanwhile
        return Disagreement(a.id, b.id, reason="they are trained on different data: vectorize is not data.")

    monkeypatch.setattr(engine.training, "disagreement", slow_disagreement)
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await mark_and_compare(app, pilot, 2)
        runs = screen.comparison.runs
        ids = [r.id for r in runs]
        plots = {p.metric: p for p in screen.query(CompareCurves)}
        assert list(plots) == ["loss", "val_loss", "accuracy", "val_accuracy"]
        assert [line[2:] for line in plots["loss"].lines] == [style(0), style(1)]  # a colour and a marker each
        assert style(0)[1] != style(1)[1]
        legend = text_of(screen.query_one("#compare-legend", Static))
        assert all(i in legend for i in ids) and "best epoch 3 (val_loss)" in legend
        settings = screen.query_one("#compare-settings", DataTable)
        paths = [str(settings.get_row_at(i)[0]) for i in range(settings.row_count)]
        assert "compile.learning_rate" in paths and "vectorize.kind" in paths
        best = screen.query_one("#compare-runs", DataTable)
        cells = [[str(c) for c in best.get_row_at(i)] for i in range(best.row_count)]
        assert "0.8 (2)" in cells[0] and "0.9 (2)" in cells[1]  # the best, not the last (newest marked first)
        assert "layer" in text_of(screen.query_one("#compare-layers", Static))

        # The disagreement is still being computed: progress shown, p answers.
        await wait_until(pilot, lambda: "predicting" in text_of(screen.query_one("#compare-disagree", Static)), 10, "progress")
        await pilot.press("down", "p")
        assert screen.pinned == ids[1] and [r.id for r in screen.drawn()][-1] == ids[1]  # drawn last: on top
        assert "pinned" in text_of(screen.query_one("#compare-legend", Static))
        release.set()
        await wait_until(pilot, lambda: screen.disagreement is not None, 20, "the disagreement")
        assert "cannot be compared" in text_of(screen.query_one("#compare-disagree", Static))
        await pilot.press("p")
        assert screen.pinned == ""
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CompareScreen)


async def test_a_run_keeps_its_colour_for_the_session(runs_dir):
    for i in range(1, 4):
        many_run(runs_dir, i)
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await mark_and_compare(app, pilot, 2)  # newest first: runs 3 and 2
        first = {r.id: screen.style_of(r.id) for r in screen.comparison.runs}
        await pilot.press("escape")
        pane = app.pane("runs")
        await pilot.press("escape")  # clear the marks
        pane.table.move_cursor(row=1)
        screen = await mark_and_compare(app, pilot, 2)  # runs 2 and 1
        again = {r.id: screen.style_of(r.id) for r in screen.comparison.runs}
        shared = set(first) & set(again)
        assert shared and all(first[i] == again[i] for i in shared)
        assert len(set(first.values()) | set(again.values())) == 3
        assert "Mark exactly two" not in text_of(screen.query_one("#compare-disagree", Static))


async def test_fifty_marked_the_legend_says_which_are_drawn(runs_dir):
    for i in range(50):
        many_run(runs_dir, i)
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("A", "c")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.ready, 20, "the compare view")
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert len(screen.drawn()) == MAX_DRAWN
        assert all(len(p.lines) == MAX_DRAWN for p in screen.query(CompareCurves))
        legend = text_of(screen.query_one("#compare-legend", Static))
        assert f"Drawn: {MAX_DRAWN} of 50" in legend and "Not drawn" in legend
        assert "Mark exactly two" in text_of(screen.query_one("#compare-disagree", Static))
        styles = {screen.style_of(r.id) for r in screen.comparison.runs}
        assert len(styles) == 50  # colour and marker together tell every run apart


async def test_a_marked_run_deleted_meanwhile_is_said_and_nothing_opens(runs_dir):
    import shutil

    two_runs(runs_dir)
    app = app_on_runs(runs_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("space", "space")
        shutil.rmtree(app.pane("runs").runs[0].path)
        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(app.screen, CompareScreen)
        assert any(n.title == "Compare" for n in app.notices.notices)


def test_the_palette_is_declared_once():
    from engine.cli import compare_plot

    assert compare_plot.PALETTE is PALETTE


SIZES = [(80, 24), (160, 48)]


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_compare_view_snapshot(snap_compare, runs_dir, size):
    paths = [many_run(runs_dir, 1, kind="ngrams", lr=3e-4), many_run(runs_dir, 2, kind="ngrams", lr=1e-3), many_run(runs_dir, 3, kind="words", lr=1e-2)]
    for k, path in enumerate(paths):  # curves apart from each other: each run learns at its own pace
        rows = [f"{e},{0.7 - 0.05 * e * (k + 1):.3f},{0.5 + 0.04 * e * (k + 1):.3f},{0.72 - 0.04 * e * (k + 1) + 0.01 * e * e:.3f},{0.5 + 0.05 * e * (k + 1) - 0.01 * e * e:.3f}" for e in range(1, 6)]
        (path / "history.csv").write_text("epoch,loss,accuracy,val_loss,val_accuracy\n" + "\n".join(rows) + "\n", encoding="utf-8")
    app = app_on_runs(runs_dir)

    async def ready(pilot) -> None:
        await settle(pilot.app, pilot)
        await pilot.press("space", "space", "space", "c")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen) and pilot.app.screen.ready, 10, "the compare view")
        await quiet(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=size)


def test_the_disagreements_read_both_ways_most_confident_first():
    from engine.training import Disagreement
    from engine.training.disagree import Example
    from tui.compare import disagreement_text

    d = Disagreement("run-a", "run-b", split="validation", total=200, a_only=7, b_only=3, examples=[
        Example("free entry\nto win", "spam", "spam", 0.91, "ham", 0.97, right="a"),
        Example("see you at 5", "ham", "spam", 0.8, "ham", 0.6, right="b"),
    ])
    shown = disagreement_text(d).plain
    assert "On 200 validation examples: 7 right by run-a only, 3 right by run-b only." in shown
    assert shown.index("free entry to win") < shown.index("see you at 5")  # the texts in the given order, on one line
    assert "run-a: spam 0.91 · run-b: ham 0.97 · right: run-a" in shown
    assert "cannot be compared: their classes differ" in disagreement_text(Disagreement("a", "b", reason="their classes differ.")).plain


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_legend_keeps_what_tells_runs_apart(runs_dir, size):
    from engine.runs import rename_run

    names = ["imdb-dev-10k · Dense(32) · lr 1e-3", "imdb-dev-10k · Dense(32) · lr 3e-3"]
    for i, name in enumerate(names, 1):
        rename_run(many_run(runs_dir, i, kind="ngrams"), name)
    app = app_on_runs(runs_dir)
    async with app.run_test(size=size) as pilot:
        screen = await mark_and_compare(app, pilot, 2)
        legend = text_of(screen.query_one("#compare-legend", Static))
        rows = [str(screen.query_one("#compare-runs", DataTable).get_row_at(i)[1]) for i in range(2)]
        for lr in ("lr 1e-3", "lr 3e-3"):
            assert lr in legend and any(lr in row for row in rows)
        app.save_screenshot(f"compare-legend-{size[0]}x{size[1]}.svg", str(runs_dir.parent))
