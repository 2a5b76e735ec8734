"""A streamed split's texts kept on disk for the run's process, so that every epoch can read them in a shuffled
order (row_blocks.py) instead of the source's.

A bag of n-grams is too big to store per text, so the ngrams pipeline reads texts in every
batch. Read from the source in file order through a shuffle buffer, a file sorted by class
(a class folder read in order, a CSV sorted by its label) gave batches of one class for
thousands of rows: on 10,000 real IMDB reviews sorted by label, with the buffer a sixth of
the training rows, validation accuracy fell from 0.90 to 0.75. Written here once (the texts
one after another in UTF-8; where each starts stays in memory), a block of rows is one read,
and a window of blocks from all over the file is shuffled together, as for the ids.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

import numpy as np

from engine.progress import Counter
from engine.training.row_blocks import BLOCK_BYTES, windows

ENCODING = ("utf-8", "surrogatepass")  # any str a loader gives comes back the same


def write(chunks: Iterable[list[str]], n: int, folder: Path, name: str, tick: Counter) -> TextReader:
    """The `n` texts of `chunks` into `name`.utf8 in `folder` (made), read back through a
    TextReader. The file is removed as soon as it is open: the run reads it through its open
    descriptor, and its space comes back when the process ends, however it ends (a kept copy
    of a 2.5 GB corpus in every run folder would fill the disk). Memory: one chunk, and where
    each of the `n` texts starts."""
    folder.mkdir(parents=True, exist_ok=True)
    offsets = np.zeros(n + 1, dtype=np.int64)
    path = folder / f"{name}.utf8"
    done = end = 0
    try:
        with _create(path) as fh:
            for chunk in chunks:
                for text in chunk[: n - done]:
                    end += fh.write(text.encode(*ENCODING))
                    done += 1
                    offsets[done] = end
                tick(done)
                if done >= n:
                    break
        if done != n:
            raise OSError(f"{path}: {done:,} of {n:,} texts were written")
        return TextReader(path, offsets)
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def _create(path: Path) -> BinaryIO:
    """A new file of this user's only (a link planted in its place is refused, not followed)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    return os.fdopen(fd, "wb", buffering=1 << 20)


class TextReader:
    """Texts stored by `write`, read a block of consecutive rows at a time (one pread)."""

    def __init__(self, path: Path, offsets: np.ndarray) -> None:
        self.path, self.offsets = path, offsets
        self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        weakref.finalize(self, os.close, self.fd)
        size = os.fstat(self.fd).st_size
        if size != int(offsets[-1]):
            raise OSError(f"{path}: {size:,} bytes where {int(offsets[-1]):,} were written")

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def size(self) -> int:
        """Bytes on disk."""
        return int(self.offsets[-1])

    def block_rows(self) -> int:
        """Rows in a block: about BLOCK_BYTES of texts (at least one)."""
        mean = int(self.offsets[-1]) / max(1, len(self))
        return max(1, int(BLOCK_BYTES // max(1.0, mean)))

    def read(self, a: int, b: int) -> list[str]:
        """Texts a..b-1."""
        start = int(self.offsets[a])
        data = os.pread(self.fd, int(self.offsets[b]) - start, start)
        if len(data) != int(self.offsets[b]) - start:
            raise OSError(f"{self.path}: the file was cut short while it was read (row {a:,})")
        cuts = self.offsets[a : b + 1] - start
        return [data[int(cuts[i]) : int(cuts[i + 1])].decode(*ENCODING) for i in range(b - a)]


def shuffled(reader: TextReader, y: np.ndarray, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of (texts, labels), every row once, a window of blocks at a time in the
    order row_blocks.windows gives (a fresh one for each `rng`)."""
    n = len(reader)
    block = reader.block_rows()
    for starts, order in windows(n, block, rng):
        rows = np.concatenate([np.arange(s, min(int(s) + block, n)) for s in starts])
        texts = np.empty(len(rows), dtype=object)
        texts[:] = [t for s in starts for t in reader.read(int(s), min(int(s) + block, n))]
        pick = order if order is not None else slice(None)
        yield texts[pick], y[rows][pick]
