"""Paths in messages, fitted to a width from the left: `…/experiments/sms-lstm.toml`.

A message names a file so the user can find it; its end (the folder and the file's name) is
what tells it apart, so a long path loses its start, whole folders at a time, never its end
(a toast once read "Wrote …" and stopped mid-name). Every notification that names a path
goes through `fit_path` (or `with_path`, which gives the path what the words leave).
"""

from __future__ import annotations

import os

from engine import printable

ELLIPSIS = "…"
MIN_PATH = 24  # a path gets at least this many columns, however long the words around it


def fit_path(path: str | os.PathLike[str], width: int) -> str:
    """`path` as text of at most `width` columns: whole when it fits, else `…/` and as many
    of its last parts as fit; a last part longer than that alone keeps its right end."""
    text = printable(str(path))
    if len(text) <= width:
        return text
    parts = text.split(os.sep)
    kept = parts[-1]
    for part in reversed(parts[:-1]):
        if len(ELLIPSIS) + len(os.sep) + len(part) + len(os.sep) + len(kept) > width:
            break
        kept = part + os.sep + kept
    short = ELLIPSIS + os.sep + kept
    if len(short) > width:  # the file's own name is too long: its end still says what it is
        short = ELLIPSIS + text[-max(width - len(ELLIPSIS), 1) :]
    return short


def with_path(template: str, path: str | os.PathLike[str], width: int) -> str:
    """`template` with `{path}` replaced by `path` fitted to what the words leave of `width`
    (at least MIN_PATH columns: a long sentence wraps rather than leave the path no room)."""
    words = len(template) - len("{path}")
    return template.replace("{path}", fit_path(path, max(width - words, MIN_PATH)))
