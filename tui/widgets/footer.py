"""The footer: the keys that matter first, and only as many as fit whole.

Textual's Footer lists the focused widget's bindings, then its parents', then the app's, and
cuts the row at the terminal's edge (at 80 columns `? Help` fell off and the last key read
`^q Q`). This one puts `?` first, then the active pane's keys in their order (its main
action first), then the app's (save, open, undo, redo, quit); it shows only the keys that
fit whole beside the palette key (`^p`, docked right), so nothing is cut mid-word. The help
screen (`?`) and the palette list every key.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

FIRST = ("help",)  # actions shown before any other
PALETTE_WIDTH = 14  # " ^p palette " and its border


class KerminalFooter(Footer):
    _shown: list[tuple[str, str, str, str, bool, str, str]] = []  # what compose yielded last

    def on_resize(self) -> None:
        if self.is_attached and self._bindings_ready:
            self.call_after_refresh(self.recompose)

    def ranked(self) -> list[tuple[Binding, bool, str]]:
        """(binding, enabled, tooltip) of the shown bindings, most important first."""
        active = self.screen.active_bindings
        palette = self.app.COMMAND_PALETTE_BINDING
        rows: list[tuple[int, int, Binding, bool, str]] = []
        seen: set[str] = set()
        for order, (key, (node, binding, enabled, tooltip)) in enumerate(active.items()):
            if not binding.show or key == palette or binding.action in seen:
                continue
            seen.add(binding.action)
            if binding.action in FIRST:
                rank = 0
            elif getattr(node, "IS_PANE", False):
                rank = 1
            elif node is self.app:
                rank = 4 if binding.priority else 3  # Ctrl+Q last
            else:
                rank = 2  # a focused widget's own keys
            rows.append((rank, order, binding, enabled, tooltip))
        # A pane's key that the focused widget binds but does not show (Enter on a table):
        # the pane's meaning is the one to show.
        for namespace, bindings in self.screen._modal_binding_chain:
            if not getattr(namespace, "IS_PANE", False):
                continue
            for key, binding in bindings:
                shown = active.get(key)
                if binding.show and binding.action not in seen and shown is not None and not shown.binding.show:
                    seen.add(binding.action)
                    rows.append((1, -1, binding, True, binding.tooltip))
        rows.sort(key=lambda r: (r[0], r[1]))
        return [(b, e, t) for _r, _o, b, e, t in rows]

    def items(self) -> list[tuple[str, str, str, str, bool, str, str]]:
        """(key, key display, description, action, disabled, tooltip, classes) of each key
        shown, in order."""
        if not self._bindings_ready:
            return []
        out = []
        room = (self.size.width or self.app.size.width) - PALETTE_WIDTH
        for binding, enabled, tooltip in self.ranked():
            display = self.app.get_key_display(binding)
            width = len(display) + len(binding.description) + 3  # " k " + "desc "
            if width > room:
                continue  # a shorter one further on may still fit
            room -= width
            out.append((binding.key, display, binding.description, binding.action, not enabled, tooltip, ""))
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if palette is not None:  # a screen may hide the palette's key
                _node, binding, enabled, _tooltip = palette
                out.append((binding.key, self.app.get_key_display(binding), binding.description, binding.action, not enabled, binding.tooltip or binding.description, "-command-palette"))
        return out

    async def recompose(self) -> None:
        # Textual rebuilds the footer on every change of the screen's bindings (a focus
        # move, a pane switch): removing and mounting a dozen keys styled each one anew, a
        # third of a pane switch's time. The same keys shown: nothing to do; other keys:
        # the mounted ones are rewritten in place and only the difference in their number
        # is mounted or removed.
        shown = self.items()
        if shown and shown == self._shown:
            return
        if not self.is_attached or not self._shown or not shown:
            await super().recompose()
            return
        await self._rewrite(shown)

    async def _rewrite(self, shown: list[tuple[str, str, str, str, bool, str, str]]) -> None:
        keys = [k for k in self.query_children(FooterKey) if not k.has_class("-command-palette")]
        palette = [k for k in self.query_children(FooterKey) if k.has_class("-command-palette")]
        wanted = [item for item in shown if not item[6]]
        wanted_palette = [item for item in shown if item[6]]
        if len(palette) != len(wanted_palette):  # the palette's key came or went: rare
            await super().recompose()
            return
        self._shown = shown
        with self.app.batch_update():
            for widget, item in zip(keys, wanted, strict=False):
                _rewrite_key(widget, item)
            for widget, item in zip(palette, wanted_palette, strict=True):
                _rewrite_key(widget, item)
            if len(keys) > len(wanted):
                await self.remove_children(keys[len(wanted) :])
            elif len(wanted) > len(keys):
                new = [self._key(*item) for item in wanted[len(keys) :]]
                await self.mount_all(new, before=palette[0] if palette else None)

    def _key(self, key: str, display: str, description: str, action: str, disabled: bool, tooltip: str, classes: str) -> FooterKey:
        if classes:
            return FooterKey(key, display, description, action, classes=classes, disabled=disabled, tooltip=tooltip)
        return FooterKey(key, display, description, action, disabled=disabled, tooltip=tooltip).data_bind(compact=Footer.compact)

    def compose(self) -> ComposeResult:
        self._shown = self.items()
        for item in self._shown:
            yield self._key(*item)


def _rewrite_key(widget: FooterKey, item: tuple[str, str, str, str, bool, str, str]) -> None:
    """A mounted key made to show another binding: its text, action, dimming and tooltip."""
    key, display, description, action, disabled, tooltip, _classes = item
    changed = (widget.key_display, widget.description) != (display, description)
    widget.key, widget.key_display, widget.description, widget.action = key, display, description, action
    widget._disabled = disabled
    widget.set_class(disabled, "-disabled")
    widget.tooltip = tooltip or None
    if changed:
        widget.refresh(layout=True)  # its width follows its text
