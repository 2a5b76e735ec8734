"""How much of a text the model reads: the character cap applied before vectorizing.

A vectorizer keeps `vectorize.length` tokens of a text, but it tokenizes the whole text first,
and the vectorize-once pipeline pads a chunk of 512 texts to its longest: one 50 MB review
asked TensorFlow for a (512, 8,854,874) int64 tensor (36 GB). So every text is cut to a
character cap first, the same way at training, evaluation and prediction:

- words: max(MIN_WORDS_CHARS, CHARS_PER_WORD x length) characters. A kept token needs at least
  two characters (itself and a space), so the cap leaves 25 times the room `length` tokens
  need, and a text under 100,000 characters (seven times the longest IMDB review) is never
  touched: for every text with `length` tokens within the cap the ids are the same as uncut.
- chars: CHARS_ROOM x length characters (one step per character, so `length` would do; twice
  over is room to spare).
- ngrams: NGRAMS_CHARS characters (a bag of n-grams has no length: a million characters,
  about 170,000 words, is a book; a bag of them is already a bag of everything).

The cut keeps the end of the text the vectorizer keeps: its first characters when
vectorize.truncation is "post", its last when it is "pre" (the tokens kept are the last
`length`), so what the model sees does not change.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from engine.dataset import Dataset
    from engine.experiment import VectorizeConfig

MIN_WORDS_CHARS = 100_000
CHARS_PER_WORD = 50
CHARS_ROOM = 2
NGRAMS_CHARS = 1_000_000


def text_cap(config: VectorizeConfig) -> int:
    """The most characters of one text the vectorizer is given."""
    if config.kind == "ngrams":
        return NGRAMS_CHARS
    if config.kind == "chars":
        return max(1, CHARS_ROOM * int(config.length))
    return max(MIN_WORDS_CHARS, CHARS_PER_WORD * int(config.length))


def keeps_end(config: VectorizeConfig) -> bool:
    """Whether the cut keeps a long text's end (truncation "pre") rather than its start."""
    return config.kind != "ngrams" and config.truncation == "pre"


def cap_text(text: str, config: VectorizeConfig) -> str:
    """`text` cut to the cap (unchanged when it is shorter)."""
    cap = text_cap(config)
    if len(text) <= cap:
        return text
    return text[-cap:] if keeps_end(config) else text[:cap]


def cap_texts(texts: Sequence[str], config: VectorizeConfig) -> tuple[list[str], int]:
    """The texts cut to the cap, and how many were cut."""
    cap = text_cap(config)
    out = [cap_text(t, config) if len(t) > cap else t for t in texts]
    return out, sum(1 for t in texts if len(t) > cap)


def cap_dataset(ds: Dataset, config: VectorizeConfig) -> tuple[Dataset, int]:
    """The dataset with every split's texts cut to the cap (the same object when none is
    longer), and how many texts were cut."""
    cap = text_cap(config)
    if not any(len(t) > cap for split in ds.splits().values() for t in split.texts):
        return ds, 0
    cut = 0
    splits = {}
    for name, split in ds.splits().items():
        texts, n = cap_texts(split.texts, config)
        splits[name] = replace(split, texts=texts)
        cut += n
    return replace(ds, train=splits["train"], validation=splits["validation"], test=splits["test"]), cut


def cut_note(cut: int, config: VectorizeConfig) -> str:
    """For the run's pipeline line: how many texts were cut, and where."""
    if not cut:
        return ""
    where = "last" if keeps_end(config) else "first"
    return f"{cut:,} text{'s' if cut != 1 else ''} longer than {text_cap(config):,} characters cut to their {where} {text_cap(config):,}"
