"""engine.prepared: data prepared once, for every run that shares it.

A run's loaded data, its adapted vectorizer and its vectorized ids are kept on disk, keyed on
the data's files (size and modification time) and the data and vectorize settings, so a
second run, a `--resume` or a sweep's trial on the same data skips reading, adapting and
vectorizing. `PreparedCache` is one run's use of it (key.py: the keys; store.py: the folder,
its lock and size cap; codec.py: the entries' files, read back without trusting them).
`kerminal cache` lists and clears it. No TensorFlow at import, no UI.
"""

from __future__ import annotations

from engine.prepared.cache import PreparedCache
from engine.prepared.store import DEFAULT_MAX, Entry, Store, cache_dir, max_bytes

__all__ = ["DEFAULT_MAX", "Entry", "PreparedCache", "Store", "cache_dir", "max_bytes"]
