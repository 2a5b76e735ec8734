"""Reber and embedded-Reber grammar strings, as seed 002 generates them.

`generate(n, embedded, seed)` returns half valid strings (label 1) and half strings with one
symbol substituted so that they break the grammar (label 0), shuffled, from a seeded
generator. `is_valid(s, embedded)` says whether a string belongs to the grammar.

The tables below are seed 002's own. Its embedded grammar goes B, then T or P, then a Reber
string, then the *other* one of P or T, then E (BT<reber>PE or BP<reber>TE): the symbol
after B fixes the second-to-last one, a long-range dependency a model must carry across the
inner string. (The textbook embedded Reber grammar repeats the same symbol instead; the
difficulty is the same.)
"""

from __future__ import annotations

import random

SYMBOLS = "BTSXPVE"

# state -> [(symbol, next state)], None = end of string (seed 002's default_reber_grammar)
REBER: list[list[tuple[str, int | None]]] = [
    [("B", 1)],
    [("T", 2), ("P", 3)],
    [("X", 5), ("S", 2)],
    [("T", 3), ("V", 4)],
    [("V", 6), ("P", 5)],
    [("X", 3), ("S", 6)],
    [("E", None)],
]

# seed 002's embedded_reber_grammar: a nested list stands for a whole Reber string
EMBEDDED = [
    [("B", 1)],
    [("T", 2), ("P", 3)],
    [(REBER, 4)],
    [(REBER, 5)],
    [("P", 6)],
    [("T", 6)],
    [("E", None)],
]

CLASS_NAMES = ["corrupted", "valid"]  # label 0, label 1 (seed 002: y = 1 for valid strings)


def _valid_string(grammar: list, rng: random.Random) -> str:
    state: int | None = 0
    out = []
    while state is not None:
        symbol, state = rng.choice(grammar[state])
        out.append(_valid_string(symbol, rng) if isinstance(symbol, list) else symbol)
    return "".join(out)


def _corrupted_string(grammar: list, embedded: bool, rng: random.Random) -> str:
    """A valid string with one symbol replaced by another symbol, so that it is invalid."""
    while True:
        good = _valid_string(grammar, rng)
        i = rng.randrange(len(good))
        bad_symbol = rng.choice(sorted(set(SYMBOLS) - {good[i]}))
        bad = good[:i] + bad_symbol + good[i + 1 :]
        if not is_valid(bad, embedded):  # a substitution can rarely land on another valid string
            return bad


def generate(n: int, embedded: bool = False, seed: int = 0) -> tuple[list[str], list[int]]:
    """n strings (n // 2 valid, the rest corrupted), shuffled; labels 1 = valid, 0 = corrupted."""
    rng = random.Random(seed)
    grammar = EMBEDDED if embedded else REBER
    n_valid = n // 2
    strings = [_valid_string(grammar, rng) for _ in range(n_valid)]
    strings += [_corrupted_string(grammar, embedded, rng) for _ in range(n - n_valid)]
    labels = [1] * n_valid + [0] * (n - n_valid)
    order = list(range(n))
    rng.shuffle(order)
    return [strings[i] for i in order], [labels[i] for i in order]


def _reber_valid(s: str) -> bool:
    state: int | None = 0
    for symbol in s:
        if state is None:
            return False
        moves = dict(REBER[state])
        if symbol not in moves:
            return False
        state = moves[symbol]
    return state is None


def is_valid(s: str, embedded: bool = False) -> bool:
    """Whether `s` belongs to the (embedded) Reber grammar of seed 002."""
    if not embedded:
        return _reber_valid(s)
    if len(s) < 4 or s[0] != "B" or s[-1] != "E" or s[1] not in "TP":
        return False
    closing = "P" if s[1] == "T" else "T"
    return s[-2] == closing and _reber_valid(s[2:-2])
