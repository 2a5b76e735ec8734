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
    """Each of `names` at most `width` characters, keeping what differs among them."""
    split = [name.split(SEP) for name in names]
    order = _drop_order(split)
    prefix = _shared_start(names) if all(len(parts) == 1 for parts in split) else 0
    return [_fit(name, parts, drop, prefix, width) for name, parts, drop in zip(names, split, order, strict=True)]


def _drop_order(split: list[list[str]]) -> list[tuple[list[int], list[set[str]]]]:
    """For each name, the positions of its parts that other names have too, in the order they
    may go: those every other name has first, then those the most others have, each from the
    left. A part no other name has is what tells it apart and never goes."""
    distinct = {tuple(p) for p in split}
    if len(distinct) < 2:
        return [([], []) for _ in split]
    out = []
    for parts in split:
        others = [set(p) for p in distinct if list(p) != parts]
        count = [sum(part in o for o in others) for part in parts]
        out.append((sorted((i for i in range(len(parts)) if count[i]), key=lambda i: (-count[i], i)), others))
    return out


def _tells_apart(kept: list[str], others: list[set[str]]) -> bool:
    return all(not set(kept) <= o for o in others)


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


def _fit(name: str, parts: list[str], plan: tuple[list[int], list[set[str]]], prefix: int, width: int) -> str:
    shared, others = plan
    if len(name) <= width:
        return name
    if prefix:  # as few of the shared words as make it fit
        cuts = [i + 1 for i in range(prefix) if name[i] in BOUNDARIES]
        name = next((c for c in (f"{GAP} {name[i:]}" for i in cuts) if len(c) <= width), f"{GAP} {name[prefix:]}")
    elif shared:
        dropped: set[int] = set()
        for i in shared:
            if len(name) <= width:
                break
            kept = [p for j, p in enumerate(parts) if j not in dropped | {i}]
            if kept and _tells_apart(kept, others):  # what is left still tells it from each other name
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
