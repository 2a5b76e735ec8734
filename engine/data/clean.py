"""Text cleaning (data.clean) and the standardization TextVectorization applies by default.

All operations are vectorized pandas string operations over a whole column.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

# Any tag, e.g. the `<br />` line breaks of the IMDB reviews (seed 004 replaces them by spaces).
HTML_TAG = r"<[^>]*>"
# The punctuation TextVectorization strips with its default standardize="lower_and_strip_punctuation".
PUNCTUATION = r"""[!"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~']"""

CLEANERS = ("html", "lower", "punctuation")


def clean_texts(texts: pd.Series, options: Iterable[str]) -> pd.Series:
    """Apply the chosen cleaners in a fixed order: html, then lower, then punctuation."""
    chosen = set(options)
    if "html" in chosen:
        texts = texts.str.replace(HTML_TAG, " ", regex=True)
    if "lower" in chosen:
        texts = texts.str.lower()
    if "punctuation" in chosen:
        texts = texts.str.replace(PUNCTUATION, "", regex=True)
    return texts


def standardize(texts: pd.Series) -> pd.Series:
    """What TextVectorization does before splitting on whitespace: lower-case, strip punctuation."""
    return texts.str.lower().str.replace(PUNCTUATION, "", regex=True)
