"""Screens kept installed and shown again and again (the Data source dialog, the help)."""

from __future__ import annotations

from textual import events


class StyledOnce:
    """Textual restyles every widget of a screen each time it is shown. A screen kept
    installed was styled when it was built and restyles itself as its classes change; only
    a new theme makes its styles stale. Skipping the rest was most of what opening the
    Data source dialog (about 20 fields) cost: p95 164 ms for `o` before."""

    _styled_under: str | None = None  # the theme the screen was last shown under

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        theme = self.app.theme  # type: ignore[attr-defined]
        if self._styled_under == theme:
            event.refresh_styles = False  # read by Screen's own handler, which runs next
        self._styled_under = theme
