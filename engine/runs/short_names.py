"""Run names cut to a width without losing what tells them apart: one rule for the compare
view's legend and table and `kerminal compare --plot`'s legend.

Derived names share most of their parts ("imdb-dev-10k · Dense(32) · lr 1e-3" and "… lr
3e-3"): cut from the right, both read "imdb-dev-10k · Dense(32) · …". So a name too long
for `width` first loses the parts (between " · ") that every other name has too, from the
left, one at a time until it fits ("… Dense(32) · lr 1e-3"; a gap in the middle reads "sms
… lr 1e-3"); then the parts the most other names have, as long as what is left still tells
it from each of them (two n-gram runs beside an LSTM run keep their learning rates); a name
without parts loses the words every name starts with, as few as make it fit; only then is
it cut from the right. Names that fit stay whole. TF-free.
"""

from __future__ import annotations

from typing import Sequence

from engine.runs.labels import SEP

GAP = "…"
BOUNDARIES = " -_·/"  # where a shared beginning is dropped (never in a word or a number)


def tell_apart(names: Sequence[str], width: int) -> list[str]:
    """Each of `names` at most `width` characters, keeping what differs among them. Cheap
    for a Runs pane of hundreds: only names too long do any work."""
    split = [name.split(SEP) for name in names]
    holders = _Holders(split)
    prefix = _shared_start(names) if all(len(parts) == 1 for parts in split) else 0
    return [_fit(name, parts, holders, prefix, width) for name, parts in zip(names, split, strict=True)]


class _Holders:
    """Which of the distinct names hold each part."""

    def __init__(self, split: list[list[str]]) -> None:
        distinct = list(dict.fromkeys(tuple(p) for p in split))
        self.index = {parts: k for k, parts in enumerate(distinct)}
        self.of: dict[str, set[int]] = {}
        for k, parts in enumerate(distinct):
            for part in parts:
                self.of.setdefault(part, set()).add(k)

    def drop_order(self, parts: list[str]) -> list[int]:
        """The positions of a name's parts that other names have too, in the order they may go:
        those the most other names have first (every other name: the shared ones), each from
        the left. A part no other name has is what tells it apart and never goes."""
        if len(self.index) < 2:
            return []
        count = [len(self.of[part]) - 1 for part in parts]
        return sorted((i for i in range(len(parts)) if count[i] > 0), key=lambda i: (-count[i], i))

    def tells_apart(self, parts: list[str], kept: list[str]) -> bool:
        """No other name holds every one of `kept` (a name's parts)."""
        others = set.intersection(*(self.of[part] for part in kept)) if kept else set(self.index.values())
        return not others - {self.index[tuple(parts)]}


def _shared_start(names: Sequence[str]) -> int:
    """How many characters every name starts with, back to a word's start (0: none worth
    dropping)."""
    if len(set(names)) < 2:
        return 0
    first, last = min(names), max(names)
    n = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), min(len(first), len(last)))
    while n > 0 and first[n - 1] not in BOUNDARIES:
        n -= 1
    return n if n >= 4 else 0


def _fit(name: str, parts: list[str], holders: _Holders, prefix: int, width: int) -> str:
    if len(name) <= width:
        return name
    if prefix:  # as few of the shared words as make it fit
        cuts = [i + 1 for i in range(prefix) if name[i] in BOUNDARIES]
        name = next((c for c in (f"{GAP} {name[i:]}" for i in cuts) if len(c) <= width), f"{GAP} {name[prefix:]}")
    else:
        dropped: set[int] = set()
        for i in holders.drop_order(parts):
            if len(name) <= width:
                break
            kept = [p for j, p in enumerate(parts) if j not in dropped | {i}]
            if kept and holders.tells_apart(parts, kept):  # what is left still tells it from each other name
                dropped.add(i)
                name = _join(parts, dropped)
    return name if len(name) <= width else name[: max(width - 1, 0)] + GAP


def _join(parts: list[str], dropped: set[int]) -> str:
    """The kept parts joined by " · ", each run of dropped ones one "…" between spaces."""
    tokens: list[str] = []
    for i, part in enumerate(parts):
        if i not in dropped:
            tokens.append(part)
        elif not tokens or tokens[-1] is not GAP:
            tokens.append(GAP)
    out = tokens[0]
    for before, token in zip(tokens, tokens[1:], strict=False):
        out += (" " if GAP in (before, token) else SEP) + token
    return out
