"""The panes as tabs, shown one at a time or two side by side.

A terminal at least WIDE columns across shows two panes side by side (F6 toggles it): the
active one and its companion, each laid out as in 80 columns. The pair stays put while the
active pane is one of its two.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import ContentSwitcher, TabbedContent, TabPane

WIDE = 160
COMPANIONS = {"data": "layers", "layers": "data", "train": "predict", "predict": "train", "runs": "predict"}


class Panes(TabbedContent):
    """The panes as tabs; a new size may show one pane or two (`show_panes`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.side_by_side = True  # two panes at once when the terminal is WIDE (F6)
        self.pair: tuple[str, str] | None = None  # the two panes shown side by side now

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        # Textual makes the pane whose widget got the focus the active one, but says so with
        # a message that can arrive after the next pane was shown (2 then 3 typed at once):
        # the stale message showed the pane left. Only the pane that holds the focus now counts.
        focused = self.screen.focused
        if focused is None or event.tab_pane not in focused.ancestors_with_self:
            event.prevent_default()
            event.stop()

    def on_resize(self) -> None:
        # The app's own Resize is consumed by Textual before a handler would see it; this
        # widget spans the terminal, so its Resize is the terminal's.
        self.show_panes()

    def show_panes(self) -> None:
        """Show the active pane alone, or (a WIDE terminal, side by side on) with its
        companion: the pair stays put while the active pane is one of its two."""
        switcher = self.query_one(ContentSwitcher)
        active = self.active
        wide = self.app.size.width >= WIDE
        if wide and self.side_by_side and active:
            if not self.pair or active not in self.pair:
                self.pair = (active, COMPANIONS[active])
        else:
            self.pair = None
        shown = [p.id for p in switcher.children if p.id == active or (self.pair and p.id in self.pair)]
        with self.app.batch_update():
            switcher.set_class(self.pair is not None, "-paired")
            switcher.set_class(wide and self.pair is None, "-roomy")
            for pane in switcher.children:
                pane.display = pane.id in shown
                pane.set_class(len(shown) == 2 and pane.id == shown[1], "-right")

    def toggle_side_by_side(self) -> None:
        """F6: two panes side by side (in a WIDE terminal), or one using the whole width;
        a notification says why a narrower terminal still shows one."""
        self.side_by_side = not self.side_by_side
        self.show_panes()
        width = self.app.size.width
        if width < WIDE:
            self.notify(f"Side by side needs a terminal of {WIDE} columns or more (this one has {width}); it is now {'on' if self.side_by_side else 'off'}.", title="Layout")
