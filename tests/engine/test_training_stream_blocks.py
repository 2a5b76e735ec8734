"""The order a streamed epoch reads its ids in (engine/training/row_blocks.py): blocks of rows
in a shuffled order, rows shuffled within a window of blocks; every row once per epoch, a new
order each epoch, the same orders for the same seed, a known number of batches."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.training import row_blocks
from engine.training.row_blocks import RowReader, epoch_order, runs, windows


def rng(seed: int, epoch: int) -> np.random.Generator:
    return np.random.default_rng([seed, epoch])


@pytest.mark.parametrize(("n", "block", "window"), [(10_007, 37, 5), (1, 37, 5), (64, 8, 64), (100, 100, 1), (999, 1, 7)])
def test_every_row_is_read_once_per_epoch(n, block, window):
    for epoch in range(3):
        order = epoch_order(n, block, rng(3, epoch), window)
        assert np.array_equal(np.sort(order), np.arange(n))
    assert np.array_equal(epoch_order(n, block, None, window), np.arange(n))  # not shuffled: as stored


def test_each_epoch_has_an_order_of_its_own_and_a_seed_gives_the_same_orders():
    orders = [epoch_order(5_000, 40, rng(7, e), 4) for e in range(3)]
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])
    assert all(np.array_equal(a, epoch_order(5_000, 40, rng(7, e), 4)) for e, a in enumerate(orders))
    assert not np.array_equal(orders[0], epoch_order(5_000, 40, rng(8, 0), 4))


def test_a_window_holds_at_most_its_blocks_and_reads_them_forward():
    for starts, order in windows(10_000, 30, rng(1, 0), 6):
        assert len(starts) <= 6 and np.all(np.diff(starts) > 0)
        assert order is not None and len(order) <= 6 * 30


def test_a_file_sorted_by_class_still_gives_windows_of_both_classes():
    """A class folder is read one class after the other: blocks from all over the file
    mix in every window."""
    n = 60_000
    y = (np.arange(n) >= n // 2).astype(np.int64)
    order = epoch_order(n, 300, rng(0, 0), 64)
    shares = [y[order[i : i + 300 * 64]].mean() for i in range(0, n - 300 * 64, 300 * 64)]
    assert all(0.3 < s < 0.7 for s in shares), shares
    batch_shares = y[order[: 32 * 500]].reshape(500, 32).mean(axis=1)
    assert 0.0 < batch_shares.min() and batch_shares.max() < 1.0


def test_runs_are_whole_batches_but_the_last_and_carry_each_row_with_its_label(tmp_path, monkeypatch):
    monkeypatch.setattr(row_blocks, "BLOCK_BYTES", 7 * 20)  # blocks of 7 rows, windows of 2: runs of 14 rows, carried over
    monkeypatch.setattr(row_blocks, "WINDOW_BLOCKS", 2)
    n, length = 1_001, 5
    path = tmp_path / "ids.npy"
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.int32, shape=(n, length))
    out[:] = np.arange(n, dtype=np.int32)[:, None] * 10 + np.arange(length, dtype=np.int32)
    out.flush()
    del out
    reader = RowReader(np.load(path, mmap_mode="r"))
    assert reader.fd >= 0  # read with pread, not through the map
    y = np.arange(n, dtype=np.int64) % 3
    for r in (rng(2, 0), None):
        got = list(runs(reader, y, 32, r))
        assert all(len(x) % 32 == 0 for x, _ in got[:-1]) and len(got[-1][0]) == n % 32
        assert sum(len(x) // 32 for x, _ in got) + 1 == math.ceil(n / 32)
        rows = np.concatenate([x[:, 0] // 10 for x, _ in got])
        assert np.array_equal(np.sort(rows), np.arange(n))
        assert all(np.array_equal(yy, x[:, 0] // 10 % 3) and np.array_equal(x % 10, np.broadcast_to(np.arange(length), x.shape)) for x, yy in got)
        assert (r is None) == bool(np.array_equal(rows, np.arange(n)))


def test_the_pipeline_reads_each_row_once_in_a_new_order_each_epoch(tmp_path, monkeypatch):
    from engine.training.streamed import ids_dataset

    monkeypatch.setattr(row_blocks, "BLOCK_BYTES", 16 * 4)  # blocks of 16 rows: many windows
    monkeypatch.setattr(row_blocks, "WINDOW_BLOCKS", 4)
    n = 1_000
    path = tmp_path / "ids.npy"
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.int32, shape=(n, 4))
    out[:] = np.arange(n, dtype=np.int32)[:, None]
    out.flush()
    del out
    ids = np.load(path, mmap_mode="r")
    y = np.arange(n, dtype=np.int64)

    def epochs(ds, count=2):
        return [np.concatenate([x.numpy()[:, 0] for x, _ in ds]) for _ in range(count)]

    ds = ids_dataset(ids, y, 32, seed=5, shuffle=True)
    assert int(ds.cardinality()) == math.ceil(n / 32)
    first = epochs(ds)
    assert all(np.array_equal(np.sort(e), np.arange(n)) for e in first)
    assert not np.array_equal(first[0], first[1])
    again = epochs(ids_dataset(ids, y, 32, seed=5, shuffle=True))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert np.array_equal(epochs(ids_dataset(ids, y, 32, seed=5, shuffle=False), 1)[0], np.arange(n))
    shapes = [(len(x), np.array_equal(x.numpy()[:, 0], yy.numpy())) for x, yy in ids_dataset(ids, y, 32, seed=5, shuffle=True)]
    assert shapes == [(32, True)] * (n // 32) + [(n % 32, True)]
