"""A worker that raises is said once, where it belongs, never as a traceback: the app's one
handler (Worker.StateChanged) formats it and asks the pane that started the worker first."""

from __future__ import annotations

from textual import work

from tests.tui.conftest import settle, text_of, wait_until
from tui.panes.base import Pane


async def test_a_failing_run_load_is_said_on_the_model_line(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.pane("predict")
        pane.use_run("no-such-run")
        await wait_until(pilot, lambda: not pane.loading, what="the failure")
        line = text_of(pane.query_one("#predict-model"))
        assert "run no-such-run (best) could not be loaded" in line
        assert "Traceback" not in line
        assert app.is_running
        assert any("no-such-run" in n.message for n in app.notices.notices)  # whole in the log (F7): too long for a toast


async def test_a_worker_no_pane_answers_for_is_notified_by_the_app(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.pane("layers")
        assert isinstance(pane, Pane)

        @work(thread=True, exit_on_error=False, description="do something odd")
        def boom(self) -> None:
            raise ZeroDivisionError("odd")

        boom(pane)
        await wait_until(pilot, lambda: any("odd" in n.message for n in app.notices.notices), what="the notification")
        note = next(n for n in app.notices.notices if "odd" in n.message)
        assert note.message == "ZeroDivisionError: odd" and note.title == "Could not do something odd"
        assert note.severity == "error" and app.is_running


async def test_a_failing_evaluation_is_said_in_the_runs_pane(app_factory, runs_dir):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.pane("runs")
        pane.evaluating = "no-such-run"
        pane._evaluate(str(runs_dir), "no-such-run")
        box = pane.query_one("#runs-eval")
        await wait_until(pilot, lambda: "Could not evaluate" in text_of(box), what="the failure")
        assert "Could not evaluate no-such-run:" in text_of(box) and app.is_running
