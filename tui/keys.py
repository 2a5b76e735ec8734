"""Keys in the order typed: the App base class that holds a bound key until the focused
widget has handled the keys typed before it.

Textual forwards a key to the focused widget's queue; a key the widget does not take
(Backspace or Enter in an Input, `o` in a table) comes back up to the app, which runs its
binding then: after keys typed later, which went straight to the widget (a path typed fast
lost letters where its Backspaces landed late), or to the screen they left. So a bound key
waits until the focused widget has handled what came before it, and then acts; the keys
behind it wait until its action is done (a dialog mounted, a deferred focus moved) and go on
in order. tests/tui/test_keys_in_order.py and test_small_screen.py hold it to that.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from textual import events
from textual.app import App
from textual.widget import Widget
from textual.widgets import Input

HOLD_LIMIT_S = 30.0  # longest that typed keys wait for a screen being built (2 s lost keys under load)


class KeysInOrderApp(App):
    """An App whose bound keys act in the order they were typed (see the module's doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held_keys: list[events.Key] = []  # keys waiting their turn (see on_event)
        self._release_task: asyncio.Task | None = None
        self._settling = False  # a key's action just ran: what it scheduled goes first

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._held_keys or self._settling or self._screen_opening():
                self._hold(event)
                return
            if self._bound(event):
                target = self.focused or self.screen
                if target.message_queue_size:  # keys sent to it are still on their way
                    self._hold(event)  # acts once the focused widget has caught up
                    return
                await self._act(event)
                # What the action scheduled (a deferred focus, a screen's mounting) comes
                # before the keys typed after it.
                self._settling = True
                self.call_later(self._settled)
                return
        await super().on_event(event)

    def _settled(self) -> None:
        self._settling = False
        if self._held_keys and self._release_task is None:
            self._release_task = asyncio.create_task(self._release_keys())

    async def _act(self, key: events.Key) -> None:
        self.app_focus = True  # as Textual's own key handling does
        if not await self._check_bindings(key.key, priority=True) and not await self._check_bindings(key.key):
            (self.focused or self.screen)._forward_event(key)  # a binding that declined: Textual's way

    def _screen_opening(self) -> bool:
        return len(self.screen_stack) > 1 and not self.screen.is_mounted

    def _bound(self, key: events.Key) -> bool:
        """Whether a binding (not the focused widget itself) handles `key`."""
        chain = self.screen._binding_chain
        if any(b.priority for _, bindings in chain for b in bindings.key_to_bindings.get(key.key, ())):
            return True
        target = self.focused
        if target is not None and (target.check_consume_key(key.key, key.character) or not (type(target)._on_key is Widget._on_key or isinstance(target, Input))):
            return False  # the widget takes it (an Input its printable keys), or may: Textual's way
        return any(not b.priority for _, bindings in self.screen._modal_binding_chain for b in bindings.key_to_bindings.get(key.key, ()))

    def _hold(self, key: events.Key) -> None:
        self._held_keys.append(key)
        if self._release_task is None and not self._settling:
            self._release_task = asyncio.create_task(self._release_keys())

    async def _release_keys(self) -> None:
        """Wait for the screen being built and for the focused widget to handle the keys
        sent to it (however slow a loaded machine makes them; but never for ever: after
        HOLD_LIMIT_S keys go where Textual sends them); then the app takes the held keys,
        in order, in its own queue (see `_replay`)."""
        deadline = time.monotonic() + HOLD_LIMIT_S
        screen = self.screen
        while self._screen_opening() and self.screen is screen and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(screen._mounted_event.wait(), 0.5)
        target = self.focused or self.screen
        caught_up = asyncio.Event()
        if target.call_later(caught_up.set):  # runs after the keys already in its queue
            while not caught_up.is_set() and target.is_attached and time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(caught_up.wait(), 0.5)
        self.call_later(self._replay)

    async def _replay(self) -> None:
        """Held keys, in order: forwarded ones up to the next bound one; that one acts if
        the focused widget has had everything before it, else after it has; what follows
        an action waits again (the action may open a screen or move the focus later)."""
        self._release_task = None
        forwarded = False
        while self._held_keys and not self._screen_opening():
            key = self._held_keys[0]
            if self._bound(key):
                if forwarded:
                    break  # the widget first handles the keys just forwarded to it
                self._held_keys.pop(0)
                await self._act(key)
                break
            self._held_keys.pop(0)
            await super().on_event(key)
            forwarded = True
        if self._held_keys:
            self._release_task = asyncio.create_task(self._release_keys())
