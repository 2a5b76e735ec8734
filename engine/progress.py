"""Saying what a long step is doing while it runs: "reading files 12,000/25,000".

A step that can take long before a run's first batch (reading a folder of files, parsing a
table, adapting the vectorizer, vectorizing the texts) takes an `OnPhase`: a function it
calls with what it is doing now, in words. The run's writer puts that into metrics.json's
`phase` (watchers show it), `kerminal train` prints it. Nothing here is global: a caller that
passes none gets `silent`, so the loaders stay usable alone.
"""

from __future__ import annotations

from typing import Callable

OnPhase = Callable[[str], None]


def silent(doing: str) -> None:
    """The default listener: nobody asked."""


class Counter:
    """Reports "what done/total" to `on_phase` when `done` passes each hundredth of `total`
    (and at the end), so a loop over 25,000 files says it 101 times, not 25,000."""

    def __init__(self, on_phase: OnPhase, what: str, total: int, steps: int = 100) -> None:
        self.on_phase, self.what, self.total = on_phase, what, int(total)
        self._every = max(1, self.total // max(1, steps))
        self._next = 0

    def __call__(self, done: int) -> None:
        if done >= self._next or done == self.total:
            self._next = (done // self._every + 1) * self._every
            self.on_phase(f"{self.what} {done:,}/{self.total:,}")


def complete(doing: str) -> bool:
    """Whether `doing` ends in a count that is done ("vectorizing texts 240/240"): a listener
    that skips counts says this one, so the last word is never a step half done."""
    done, _, total = (doing.split() or [""])[-1].partition("/")
    return bool(total) and done == total


def step_of(doing: str) -> str:
    """What is done without how far it got: "reading files 12,000/25,000" -> "reading files",
    so a listener that says only so much a second can still say every new step at once."""
    return " ".join(word for word in doing.split() if not any(ch.isdigit() for ch in word))
