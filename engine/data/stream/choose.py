"""Whether a source is streamed: data.stream, else auto (its bytes on disk against a share of
the free memory), with the reason in words for the run's notes ("streaming big.csv: 9.1 GB on
disk, 6.0 GB free" / "in memory: big.csv is 65.0 MB on disk"). A folder's bytes come from the
run's one walk of it (engine/data/listing.py), which the prepared-data cache's key reads too."""

from __future__ import annotations

import os
from pathlib import Path

from engine.config import STREAM_SHARE, STREAM_SOURCES
from engine.experiment import Experiment
from engine.memory import format_bytes, free_memory_bytes

PARQUET_GROWTH = 3  # a Parquet file's in-memory size over its bytes on disk, when its metadata does not say


def source_bytes(path: Path, stop_above: float | None = None) -> int:
    """What a source takes: a file's size (a Parquet file's uncompressed size, from its
    metadata, else 3x), or the sum of a folder's file sizes (walked lazily; the walk stops
    once the sum passes `stop_above`)."""
    if path.is_dir():
        total = 0
        stack = [str(path)]
        while stack:
            with os.scandir(stack.pop()) as entries:
                for e in entries:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            stack.append(e.path)
                        elif e.is_file():
                            total += e.stat().st_size
                            if stop_above is not None and total > stop_above:
                                return total
                    except OSError:
                        continue
        return total
    size = path.stat().st_size
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(path).metadata
            return max(size, sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)))
        except Exception:  # not readable as Parquet: the loader says why
            return size * PARQUET_GROWTH
    return size


def choose(exp: Experiment, free: int | None = None) -> tuple[bool, str]:
    """(stream?, why). Only the csv and folder sources stream; data.stream = true on another
    source says it is read into memory."""
    d = exp.data
    if d.source not in STREAM_SOURCES:
        return False, (f"data.stream applies to the {' and '.join(STREAM_SOURCES)} sources; {d.source} is read into memory" if d.stream else "")
    if d.stream is False:
        return False, ""
    if not d.path:
        return bool(d.stream), ""
    path = exp.resolve(d.path)
    free = free_memory_bytes() if free is None else free
    try:
        if path.is_dir():  # the run's one walk of the folder, shared with the cache's key
            from engine.data.listing import folder_listing

            listing = folder_listing(path)
            if listing.unreadable:
                raise OSError(listing.problem)
            size = listing.bytes
        else:
            size = source_bytes(path)
    except OSError:
        return bool(d.stream), ""  # the loader says what is wrong with the path
    if d.stream:
        return True, f"streaming {path.name}: {format_bytes(size)} on disk (data.stream = true)"
    if free is not None and size > STREAM_SHARE * free:
        return True, f"streaming {path.name}: {format_bytes(size)} on disk, {format_bytes(free)} free (data.stream = auto streams above {STREAM_SHARE:.0%} of free memory)"
    return False, f"in memory: {path.name} is {format_bytes(size)} on disk"
