"""The grammar generator of seed 002 and its checker."""

from __future__ import annotations

import pytest

from engine.data import reber


@pytest.mark.parametrize("s", ["BTXSE", "BPVVE", "BTSSXXTVVE", "BPTTVPXVPSE", "BTXXVPSE"])
def test_known_reber_strings_are_valid(s):
    assert reber.is_valid(s)


@pytest.mark.parametrize("s", ["", "BTXS", "TXSE", "BTXSEE", "BPXSE", "BTVE", "BXXSE"])
def test_known_non_reber_strings_are_invalid(s):
    assert not reber.is_valid(s)


def test_embedded_wraps_a_reber_string_with_a_long_range_pair():
    assert reber.is_valid("BTBTXSEPE", embedded=True)  # seed 002's table: T ... P
    assert reber.is_valid("BPBPVVETE", embedded=True)  # and P ... T
    assert not reber.is_valid("BTBTXSETE", embedded=True)
    assert not reber.is_valid("BTBTXSPPE", embedded=True)
    assert not reber.is_valid("BTXSE", embedded=True)


@pytest.mark.parametrize("embedded", [False, True])
def test_generate_is_half_valid_seeded_and_correctly_labelled(embedded):
    strings, labels = reber.generate(501, embedded=embedded, seed=7)
    assert len(strings) == 501 and sum(labels) == 250
    assert all(reber.is_valid(s, embedded) == bool(y) for s, y in zip(strings, labels, strict=True))
    assert set("".join(strings)) <= set(reber.SYMBOLS)
    assert (strings, labels) == reber.generate(501, embedded=embedded, seed=7)
    assert strings != reber.generate(501, embedded=embedded, seed=8)[0]


@pytest.mark.parametrize("embedded", [False, True])
def test_each_corrupted_string_is_one_substitution_from_a_valid_one(embedded):
    strings, labels = reber.generate(200, embedded=embedded, seed=3)
    for s, y in zip(strings, labels, strict=True):
        if not y:
            repairs = (s[:i] + c + s[i + 1 :] for i in range(len(s)) for c in reber.SYMBOLS if c != s[i])
            assert any(reber.is_valid(r, embedded) for r in repairs), s
