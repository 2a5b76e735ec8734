"""The panes in tab order: (id, title, class). The app lays them out; the command palette and
the help screen list their bindings."""

from __future__ import annotations

from tui.panes.base import Pane
from tui.panes.data import DataPane
from tui.panes.layers import LayersPane
from tui.panes.predict import PredictPane
from tui.panes.runs import RunsPane
from tui.panes.train import TrainPane

PANES: list[tuple[str, str, type[Pane]]] = [
    ("data", "Data", DataPane),
    ("layers", "Layers", LayersPane),
    ("train", "Train", TrainPane),
    ("predict", "Predict", PredictPane),
    ("runs", "Runs", RunsPane),
]
