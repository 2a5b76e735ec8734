"""What model.fit gets for streamed data (engine.data.stream): a tf.data pipeline whose
number of batches is known from the first pass, so the progress bar and ETA are right from
epoch 1, and whose memory does not grow with the rows.

- words / chars (a model that splits, numeric.py): the texts go through the vectorizer once,
  a chunk at a time, into an int32 memory-mapped .npy per split: an entry of the
  prepared-data cache (engine.prepared, keyed on the data's files and the data and vectorize
  settings, so a later run on the same data does not vectorize again), else (`--no-cache`,
  the cache unusable or full, the ids over its cap) the ids folder (`ids_folder`); fit
  reads batches of rows from it in a shuffled order, a block of rows per read
  (row_blocks.py: nothing in memory grows with the rows).
- ngrams (a bag of max_tokens floats per text, too big to store): the texts stream through
  the string model in every batch, shuffled in a buffer of TEXT_SHUFFLE texts; more training
  texts than that are first kept on disk for the run's process, beside where ids would go
  (text_store.py), and read in a shuffled order of blocks, so a file sorted by class still
  mixes. An nb bag's ratios take one counting pass over the labelled training texts when
  the model is built (engine.vectorize.nb_ratios: two count vectors in memory, whatever the
  rows).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from engine import text_cap
from engine.data.stream.from_iterator import from_iterator
from engine.errors import DataError
from engine.experiment import Experiment
from engine.memory import format_bytes
from engine.progress import Counter, OnPhase
from engine.training import numeric
from engine.training.failures import vectorize_failure

if TYPE_CHECKING:  # pragma: no cover
    import keras
    import tensorflow as tf

    from engine.data.stream import StreamedDataset, StreamTexts
    from engine.layers.report import LossPlan
    from engine.prepared import PreparedCache
    from engine.training.text_store import TextReader

TEXT_SHUFFLE = 10_000  # texts in the shuffle buffer of the ngrams pipeline
IDS_FOLDER = "stream-ids"


def ids_folder(run_dir: Path) -> Path:
    """Where a run keeps its streamed ids: the one place to point them elsewhere (a shared cache)."""
    return run_dir / IDS_FOLDER


def ids_dir(given: Path | None, run_dir: Path | None, runs_dir: Path) -> tuple[Path, Path | None]:
    """The folder for a run's ids, and the temporary one it is when the run folder is not open
    yet (the Trainer moves it into the run folder once it is, or removes it)."""
    if given is not None:
        return given, None
    if run_dir is not None:
        return ids_folder(run_dir), None
    runs_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".stream-ids-", dir=runs_dir))
    return tmp, tmp


def fit_inputs(exp: Experiment, ds: StreamedDataset, model: keras.Model, plan: LossPlan, phase: OnPhase, ids_dir: Callable[[], Path], prepared: PreparedCache | None = None) -> tuple[Any, keras.Model, str]:
    """(x, None, (validation, None) or None), the model fit trains, the pipeline in words.
    `prepared`: the prepared-data cache that holds or keeps the ids; `ids_dir()`: where they
    are written when it does not (made only then)."""
    from engine.training.prepare import encode_labels

    bs = exp.fit.batch_size
    y = encode_labels(ds.train.labels, plan.labels, ds.num_classes)
    yv = encode_labels(ds.validation.labels, plan.labels, ds.num_classes) if len(ds.validation) else None
    train_texts: Any = ds.train.texts
    val_texts: Any = ds.validation.texts
    parts = numeric.split_model(model)
    note = f"; texts longer than {text_cap.text_cap(exp.vectorize):,} characters are cut as they are read"
    if parts is not None:
        rows = len(ds.train) + len(ds.validation)
        try:
            ids, vids = _ids(parts, ds, model, phase, ids_dir, prepared)
        except (DataError, OSError):
            raise
        except Exception as exc:
            raise vectorize_failure(exc) from None
        x = ids_dataset(ids, y, bs, exp.fit.seed, shuffle=True)
        val = (ids_dataset(vids, yv, bs, exp.fit.seed, shuffle=False), None) if yv is not None else None
        how = "read from the prepared-data cache" if prepared is not None and prepared.said.get("ids", "").startswith("from the cache") else "vectorized once into"
        pipeline = f"{ds.why or 'streamed'}; texts {how} {format_bytes(numeric.cache_bytes(rows, parts.length))} of memory-mapped ids"
        said = f"; {prepared.note()}" if prepared is not None and prepared.note() else ""
        return (x, None, val), parts.stack, pipeline + note + said
    store = None
    if len(ds.train) > TEXT_SHUFFLE:  # more than the buffer mixes: kept on disk for the run, read in a shuffled order
        from engine.training import text_store

        store = text_store.write(train_texts.chunks(), len(ds.train), ids_dir(), "train-texts", Counter(phase, "keeping the training texts", len(ds.train)))
    x = texts_dataset(train_texts, y, bs, exp.fit.seed, shuffle=True, store=store)
    val = (texts_dataset(val_texts, yv, bs, exp.fit.seed, shuffle=False), None) if yv is not None else None
    from engine.vectorize import NGRAM_ADAPT_ROWS, uses_nb

    adapted = ""
    if exp.vectorize.kind == "ngrams" and not (prepared is not None and prepared.said.get("vectorizer") == "from the cache"):
        adapted = f"; the n-gram vocabulary adapted on the first {min(NGRAM_ADAPT_ROWS, len(ds.train)):,} of {len(ds.train):,} training texts"
        if uses_nb(exp.vectorize):
            adapted += ", its nb ratios counted over all of them (one more pass)"
    order = f"kept on disk for this run ({format_bytes(store.size())}), read in a shuffled order of blocks" if store is not None else f"shuffled in a buffer of {TEXT_SHUFFLE:,}"
    pipeline = f"{ds.why or 'streamed'}; texts read and vectorized in every batch ({order}){adapted}"
    said = f"; {prepared.note()}" if prepared is not None and prepared.note() else ""
    return (x, None, val), model, pipeline + note + said


def _ids(parts: numeric.NumericModel, ds: StreamedDataset, model: keras.Model, phase: OnPhase, ids_dir: Callable[[], Path], prepared: PreparedCache | None) -> tuple[np.ndarray, np.ndarray]:
    """The training and validation ids: from the prepared-data cache (memory-mapped), else
    written once into a new entry of it, else (the cache off, full, or the ids over its cap)
    into `ids_dir()`."""
    rows = (len(ds.train), len(ds.validation))
    tick = Counter(phase, "writing ids", sum(rows))

    texts: tuple[Any, Any] = (ds.train.texts, ds.validation.texts)  # StreamTexts (a Split types them as lists)

    def write(train: Path, validation: Path) -> None:
        write_ids(parts, texts[0], train, tick)
        write_ids(parts, texts[1], validation, tick, start=rows[0])

    if prepared is not None and prepared.on:
        vocab = [str(t) for t in model.get_layer("vectorize").get_vocabulary()]
        labels = (np.asarray(ds.train.labels, dtype=np.int64), np.asarray(ds.validation.labels, dtype=np.int64))
        cached = prepared.ids(vocab, rows, parts.length, max(len(vocab), 1), labels)
        if cached is not None:
            phase(f"using the vectorized texts from the cache ({sum(rows):,} texts, no pass over the data)")
            return cached
        kept = prepared.keep_stream_ids(vocab, labels, parts.length, write)
        if kept is not None:
            return kept
    folder = ids_dir()
    folder.mkdir(parents=True, exist_ok=True)
    write(folder / "train.npy", folder / "validation.npy")
    return np.load(folder / "train.npy", mmap_mode="r"), np.load(folder / "validation.npy", mmap_mode="r")


def write_ids(parts: numeric.NumericModel, texts: StreamTexts, path: Path, tick: Counter, start: int = 0, batch: int = 512) -> np.ndarray:
    """Every text through the vectorizer once, a chunk at a time, into an (n, length) int32
    memory-mapped .npy at `path`; opened again read-only."""
    import tensorflow as tf

    if parts._fn is None:
        parts._fn = tf.function(lambda t: parts.vectorizer(t, training=False), input_signature=[tf.TensorSpec([None, 1], tf.string)])
    n = len(texts)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.int32, shape=(n, parts.length))
    done = 0
    for chunk in texts.chunks():
        for i in range(0, len(chunk), batch):
            part = np.asarray(chunk[i : i + batch], dtype=object).reshape(-1, 1)
            out[done : done + len(part)] = parts._fn(tf.constant(part, dtype=tf.string)).numpy()
            done += len(part)
            tick(start + done)
        out.flush()
        release(out)
    out.flush()
    del out
    return np.load(path, mmap_mode="r")


def release(array: np.ndarray) -> None:
    """Drop the pages of a memory-mapped array from this process's resident set (written
    ones must be flushed first); they stay in the page cache, which the kernel frees when it
    needs to."""
    import mmap

    mapped = getattr(array, "_mmap", None)
    if mapped is not None and hasattr(mapped, "madvise"):
        with contextlib.suppress(OSError, ValueError):
            mapped.madvise(mmap.MADV_DONTNEED)


def ids_dataset(ids: np.ndarray, y: np.ndarray, batch: int, seed: int, shuffle: bool) -> tf.data.Dataset:
    """Batches of (ids, labels) read from the memory-mapped ids a block of rows at a time
    (row_blocks.py), a known number of them; shuffled, each epoch in an order of its own."""
    import tensorflow as tf

    from engine.training import row_blocks

    reader = row_blocks.RowReader(ids)
    epochs = itertools.count()

    def gen() -> Any:
        rng = np.random.default_rng([seed, next(epochs)]) if shuffle else None
        yield from row_blocks.runs(reader, y, batch, rng)

    spec = (tf.TensorSpec([None, ids.shape[1]], tf.as_dtype(ids.dtype)), tf.TensorSpec([None, *y.shape[1:]], tf.as_dtype(y.dtype)))
    # from_iterator, not from_generator: see engine/data/stream/from_iterator.py
    ds = from_iterator(gen, spec).flat_map(lambda x, yy: tf.data.Dataset.from_tensor_slices((x, yy)).batch(batch))
    return ds.apply(tf.data.experimental.assert_cardinality(math.ceil(len(ids) / batch))).prefetch(2)


def texts_dataset(texts: StreamTexts, y: np.ndarray, batch: int, seed: int, shuffle: bool, store: TextReader | None = None) -> tf.data.Dataset:
    """Batches of ((batch, 1) strings, labels) read from the source, a known number of them
    (a source that gives another number of rows stops the run with an error). `store`: the
    same texts kept on disk (text_store.py), read in a shuffled order each epoch instead."""
    import tensorflow as tf

    epochs = itertools.count()

    def gen() -> Any:
        if store is not None:
            from engine.training import text_store

            yield from text_store.shuffled(store, y, np.random.default_rng([seed, next(epochs)]))
            return
        done = 0
        for chunk in texts.chunks():
            yield np.asarray(chunk, dtype=object), y[done : done + len(chunk)]
            done += len(chunk)

    spec = (tf.TensorSpec([None], tf.string), tf.TensorSpec([None, *y.shape[1:]], tf.as_dtype(y.dtype)))
    ds = from_iterator(gen, spec).unbatch()  # not from_generator: see engine/data/stream/from_iterator.py
    if shuffle and store is None:
        ds = ds.shuffle(TEXT_SHUFFLE, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch).map(lambda t, yy: (tf.reshape(t, [-1, 1]), yy))
    return ds.apply(tf.data.experimental.assert_cardinality(math.ceil(len(texts) / batch))).prefetch(2)
