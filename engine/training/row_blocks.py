"""The order a streamed epoch reads its memory-mapped ids in: blocks of consecutive rows.

A row at a time (a pread each, in a Python loop) cost a third of the training speed at 1x
IMDB; a shuffle buffer of row numbers grew with the rows. Instead, each epoch shuffles the
order of the blocks (BLOCK_BYTES of rows each, one read), takes them WINDOW_BLOCKS at a time,
and shuffles the rows of those blocks together: every row once per epoch, a fresh order each
epoch (seeded by the seed and the epoch), and only one window of rows in memory at a time.
A window holds rows from blocks all over the file, so a file sorted by class (a class folder
read in order) still gives batches of every class.
"""

from __future__ import annotations

import os
import weakref
from typing import Iterator

import numpy as np

BLOCK_BYTES = 128 << 10  # one read: 327 rows of 100 int32 ids
WINDOW_BLOCKS = 64  # blocks whose rows are shuffled together: 8 MB of ids, 21,000 rows at length 100


def block_rows(row_bytes: int) -> int:
    """Rows in a block of ids `row_bytes` each."""
    return max(1, BLOCK_BYTES // max(1, row_bytes))


def windows(n: int, block: int, rng: np.random.Generator | None, window: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """One epoch over `n` rows in blocks of `block`: per window, the blocks' first rows (in
    file order, so the page cache reads forward) and the order of the window's rows (None: as
    read, without `rng`)."""
    window = window or WINDOW_BLOCKS
    starts = np.arange(0, n, block, dtype=np.int64)
    if rng is not None:
        starts = rng.permutation(starts)
    for i in range(0, len(starts), window):
        chosen = np.sort(starts[i : i + window])
        rows = int(np.minimum(chosen + block, n).sum() - chosen.sum())
        yield chosen, (rng.permutation(rows) if rng is not None else None)


def epoch_order(n: int, block: int, rng: np.random.Generator | None, window: int | None = None) -> np.ndarray:
    """Every row number of an epoch in the order `windows` gives them (for tests and checks:
    it is as long as the data)."""
    parts = []
    for chosen, order in windows(n, block, rng, window):
        rows = np.concatenate([np.arange(s, min(s + block, n)) for s in chosen])
        parts.append(rows if order is None else rows[order])
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


class RowReader:
    """Rows of a memory-mapped .npy read with pread instead of through the map. A page read
    through a map stays resident, and the kernel maps its cached neighbours with it: a
    shuffled pass over 2,000,000 reviews' ids (40x IMDB) held 470 MB of them at a time, and
    the run's peak RSS went from 1.36 GB at 10x to 2.19 GB. Read this way they live in the
    page cache only. An array that is not a whole .npy file is indexed as it is."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids, self.fd, self.offset = ids, -1, 0
        self.row = int(ids.shape[1]) * ids.itemsize if ids.ndim == 2 else 0
        name, offset = getattr(ids, "filename", None), getattr(ids, "offset", None)
        self.name = str(name)
        if self.row and name and offset is not None and ids.flags.c_contiguous:
            try:
                fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return
            if os.fstat(fd).st_size == offset + self.row * len(ids):  # the whole file: rows at known places
                self.fd, self.offset = fd, int(offset)
                weakref.finalize(self, os.close, fd)
            else:
                os.close(fd)

    def read(self, starts: np.ndarray, block: int) -> np.ndarray:
        """The rows of the blocks starting at `starts` (each `block` rows, the last one
        shorter), one after the other, as an array of their own: one read per block."""
        n = len(self.ids)
        spans = [(int(s), min(int(s) + block, n)) for s in starts]
        out = np.empty((sum(b - a for a, b in spans), *self.ids.shape[1:]), dtype=self.ids.dtype)
        done = 0
        for a, b in spans:
            if self.fd < 0:
                out[done : done + b - a] = self.ids[a:b]
            else:
                data = os.pread(self.fd, self.row * (b - a), self.offset + self.row * a)
                if len(data) != self.row * (b - a):
                    raise OSError(f"{self.name}: {len(data):,} of {self.row * (b - a):,} bytes read at row {a:,}: the file was cut short")
                out[done : done + b - a] = np.frombuffer(data, dtype=self.ids.dtype).reshape(b - a, -1)
            done += b - a
        return out


def runs(reader: RowReader, y: np.ndarray, batch: int, rng: np.random.Generator | None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of (ids, labels) in the order `windows` gives (as stored without `rng`), a
    window at a time: runs of whole batches of `batch` rows, then the rest. Cut into batches
    (by tf.data, without Python per batch), they are ceil(rows / batch) batches, the last
    one shorter."""
    n = len(reader.ids)
    block = block_rows(reader.row)
    carry_x, carry_y = np.empty((0, *reader.ids.shape[1:]), dtype=reader.ids.dtype), y[:0]
    for starts, order in windows(n, block, rng):
        x = reader.read(starts, block)
        yy = y[np.concatenate([np.arange(s, min(int(s) + block, n)) for s in starts])]
        if order is not None:
            x, yy = x[order], yy[order]
        if len(carry_x):
            x, yy = np.concatenate([carry_x, x]), np.concatenate([carry_y, yy])
        whole = len(x) - len(x) % batch
        if whole:
            yield x[:whole], yy[:whole]
        carry_x, carry_y = x[whole:], yy[whole:]
    if len(carry_x):
        yield carry_x, carry_y
