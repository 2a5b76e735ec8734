"""The live curve widget: stepped axes, line-by-line redraws, no work while hidden."""

from __future__ import annotations

import math

from textual.app import App, ComposeResult

from tui.widgets.curves import CurvePlot, _grow_limits, _round_epochs


def test_x_axis_ends_on_round_epochs_but_not_past_the_run():
    assert [_round_epochs(e, None) for e in (1, 5, 6, 7, 9, 11, 13, 16, 21, 31, 41, 61, 81, 101)] == [5, 5, 6, 8, 10, 12, 15, 20, 25, 40, 50, 80, 100, 120]
    assert _round_epochs(7, 7) == 7  # a 7-epoch run ends its axis at 7
    assert _round_epochs(3, 4) == 4
    assert _round_epochs(9, 10) == 10


def test_y_limits_only_grow_and_stay_in_zero_one_for_accuracies():
    lim = _grow_limits(None, [0.6, 0.7])
    assert 0.0 <= lim[0] <= 0.6 and 0.7 <= lim[1] <= 1.0
    assert _grow_limits(lim, [0.65]) == lim  # inside: unchanged, so the plot does not jump
    wider = _grow_limits(lim, [0.2, 0.95])
    assert wider[0] <= 0.2 and wider[1] >= 0.95 and wider[1] <= 1.0
    loss = _grow_limits(None, [2.5, 1.2])
    assert loss[0] >= 0.0 and loss[1] >= 2.5  # losses above 1 are not capped
    assert _grow_limits(lim, [math.nan, math.inf]) == lim
    assert _grow_limits(None, []) is None


class Two(App):
    def compose(self) -> ComposeResult:
        yield CurvePlot("loss", live=True, id="shown")
        yield CurvePlot("accuracy", live=True, id="hidden")


async def test_replot_refreshes_only_changed_lines_and_skips_hidden_plots(monkeypatch):
    app = Two()
    async with app.run_test(size=(80, 40)) as pilot:
        shown, hidden = app.query_one("#shown", CurvePlot), app.query_one("#hidden", CurvePlot)
        hidden.display = False
        await pilot.pause()
        for plot in (shown, hidden):
            plot.epochs = 20
            plot.set_series({"train": [0.9, 0.7, 0.6], "validation": [0.95, 0.8, 0.75]})
            plot.replot()
        await pilot.pause()
        assert shown._lines and any("loss" in line for line in shown._lines)

        regions = []
        built = []
        real_refresh, real_build = CurvePlot.refresh, CurvePlot._build
        monkeypatch.setattr(CurvePlot, "refresh", lambda self, *r, **k: (regions.append((self.id, r)), real_refresh(self, *r, **k))[1])
        monkeypatch.setattr(CurvePlot, "_build", lambda self: (built.append(self.id), real_build(self))[1])
        # one more batch point of the current epoch: a few lines change, not the whole plot
        for plot in (shown, hidden):
            plot.set_trace([3.1, 3.2], [0.58, 0.57])
            plot.replot()
        shown_regions = [r for pid, r in regions if pid == "shown"]
        assert built == ["shown"]  # the hidden plot built nothing
        assert len(shown_regions) == 1 and 0 < len(shown_regions[0]) < shown.size.height
        assert all(region.height == 1 for region in shown_regions[0])
        # nothing new: nothing refreshed
        regions.clear()
        shown.replot()
        assert [r for pid, r in regions if pid == "shown"] == []
        # shown again, the hidden plot draws its current data
        hidden.display = True
        await pilot.pause()
        assert any("accuracy" in line for line in hidden._lines)
