"""The app's own key bindings (the panes have theirs): one list for the app, the command
palette and the help screen, in a module that imports no pane and not the app."""

from __future__ import annotations

from textual.binding import Binding, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding("1,f1", "show_pane('data')", "Data", show=False, tooltip="Show the Data pane."),
    Binding("2,f2", "show_pane('layers')", "Layers", show=False, tooltip="Show the Layers pane."),
    Binding("3,f3", "show_pane('train')", "Train", show=False, tooltip="Show the Train pane."),
    Binding("4,f4", "show_pane('predict')", "Predict", show=False, tooltip="Show the Predict pane."),
    Binding("5,f5", "show_pane('runs')", "Runs", show=False, tooltip="Show the Runs pane."),
    Binding("f6", "toggle_side_by_side", "Side by side", show=False, tooltip="In a terminal of 160 columns or more: two panes side by side, or one pane using the whole width."),
    Binding("f7", "messages", "Messages", show=False, tooltip="Every message the app gave, whole (a toast too long for its corner points here)."),
    Binding("question_mark", "help", "Help", key_display="?", tooltip="List every key binding."),
    Binding("ctrl+s", "save", "Save", tooltip="Save the experiment file."),
    Binding("ctrl+o", "open", "Open", tooltip="Open an experiment file."),
    Binding("ctrl+n", "save_as", "Save as", show=False, tooltip="Save the experiment to a new file."),
    Binding("ctrl+z", "undo", "Undo", tooltip="Undo the last change to the experiment."),
    Binding("ctrl+y", "redo", "Redo", tooltip="Redo the change just undone."),
    Binding("ctrl+t", "screenshot", "Screenshot", show=False, tooltip="Save an SVG of the screen in $KERMINAL_SCREENSHOTS, else the current folder (the message names the file)."),
    Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Quit (offers to save an unsaved experiment)."),
]
