"""Text from files (run ids, paths, names, event messages) made safe to show on a terminal.

    printable(text) -> text with every control character escaped

A folder name or a message can hold an ESC sequence (which retitles or repaints a terminal),
a newline or carriage return (which fakes rows of a table or lines of a log), or bidi
override characters (which show text in an order other than its own). `printable` writes
each of them as a Python-style escape, `\\x1b`, `\\n`, `\\u202e`, and leaves every other
character alone: emoji (with their joiners), right-to-left letters, CJK.

Escaped: C0 controls (tab and newline included), DEL, C1 controls (U+0085 included), the line
and paragraph separators U+2028/U+2029, the bidi embedding, override, isolate and mark
characters, and lone surrogates (a file name that was not UTF-8).
"""

from __future__ import annotations

import re

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# Bidi controls: ALM, LRM, RLM, LRE..RLO (U+202A-202E), LRI..PDI (U+2066-2069).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with control, line-separator and bidi-override characters escaped (see module)."""
    return _UNSAFE.sub(_escape, str(text))


__all__ = ["printable"]
