"""engine.data: every source loads into one Dataset (texts, integer labels, class names, splits).

`load_dataset(exp)` reads exp.data.source, cleans the texts (data.clean), drops rows with
missing or empty text (counted in the notes), splits by class with the seed (a source's own
test split is kept, or validated on with data.split.validation_from_test), and keeps at most
data.limit rows per split (data.validation_limit, data.test_limit for those two). A source
larger than a share of the free memory (or data.stream = true) is streamed instead: see
engine.data.stream.
`dataset_stats` describes a Dataset for choosing vectorizer settings. No TensorFlow, no UI.

Importing this package is cheap: pandas loads when data does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.data.sample import sample_path
from engine.dataset import Dataset, Split
from engine.errors import DataError
from engine.experiment import Experiment, VectorizeConfig
from engine.progress import OnPhase, silent

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from engine.data.stats import DatasetStats

__all__ = ["DatasetStats", "dataset_stats", "guess_label_column", "guess_text_column", "load_dataset", "positional", "read_table", "sample_path"]


def dataset_stats(ds: Dataset, vcfg: VectorizeConfig | None = None) -> DatasetStats:
    """Rows per class and split, length percentiles, vocabulary, OOV rate, samples (see stats)."""
    if ds.streamed:  # one pass over the texts, memory bounded in rows
        from engine.data.stream.stats import streamed_stats

        vcfg = vcfg or VectorizeConfig()
        return streamed_stats(ds, vcfg, ds.symbols or vcfg.kind == "chars")
    from engine.data.stats import dataset_stats as compute

    return compute(ds, vcfg)


# Reading tables (pandas), for a UI that shows a file's columns: loaded on first use.
_COLUMNS = ("guess_label_column", "guess_text_column", "positional")


def __getattr__(name: str) -> Any:
    if name == "DatasetStats":
        from engine.data.stats import DatasetStats

        return DatasetStats
    if name in _COLUMNS:
        from engine.data import table_columns

        return getattr(table_columns, name)
    if name == "read_table":
        from engine.data.table_read import read_table

        return read_table
    raise AttributeError(f"module 'engine.data' has no attribute {name!r}")


def _split(texts: pd.Series, labels: np.ndarray, idx: np.ndarray) -> Split:
    import numpy as np

    return Split(texts.iloc[idx].tolist() if len(idx) else [], labels[idx].astype(np.int64))


def load_dataset(exp: Experiment, on_phase: OnPhase = silent) -> Dataset:
    """Load, clean, split and limit the data of an experiment. Raises DataError. `on_phase`
    hears what it is doing ("reading files 12,000/25,000"), for a run's watchers."""
    import numpy as np
    import pandas as pd

    from engine.data.raw import tidy
    from engine.data.sources import load_raw
    from engine.data.split import limit_rows, shuffled, stratified_split
    from engine.data.stream.choose import choose

    streamed, why = choose(exp)  # data.stream, else the source's size against the free memory
    if streamed:
        from engine.data.stream import load_streamed

        return load_streamed(exp, on_phase, why)
    d = exp.data
    raw = load_raw(exp, on_phase)
    on_phase(f"cleaning and splitting {len(raw.labels):,} rows")
    notes = list(raw.notes)
    texts = raw.texts
    clean = [] if raw.symbols else d.clean
    texts, labels = tidy(texts, raw.labels, raw.name, notes, clean)
    if not len(texts):
        raise DataError(f"{raw.name}: no rows with text are left.", "Check data.text names the column that holds the texts.")
    present = np.unique(labels)
    if len(present) < 2:
        raise DataError(
            f"{raw.name}: every row with text belongs to one class ({raw.class_names[int(present[0])]!r}); a classifier needs at least two.",
            "Point data.label at the column that holds the classes, or add rows of the other classes.",
        )
    seed = d.split.seed
    if raw.test is not None and d.split.merge_test:
        test_texts, test_labels = tidy(raw.test[0], raw.test[1], f"{raw.name} test split", notes, clean)
        notes.append(
            f"{raw.name}: its own test split ({len(test_texts)} rows) was pooled with the {len(texts)} training rows "
            f"and split {1 - d.split.validation - d.split.test:.0%}/{d.split.validation:.0%}/{d.split.test:.0%} (data.split.merge_test)"
        )
        texts = pd.concat([texts, test_texts], ignore_index=True)
        labels = np.concatenate([labels, test_labels])
    val_texts, val_labels = texts, labels
    if raw.test is not None and not d.split.merge_test:
        test_texts, test_labels = raw.test
        test_texts, test_labels = tidy(test_texts, test_labels, f"{raw.name} test split", notes, clean)
        if d.split.validation_from_test:
            train_idx = shuffled(len(texts), seed)
            order = shuffled(len(test_texts), seed)
            n_val = d.validation_limit or d.limit or len(order)
            val_idx, test_idx = order[:n_val], order[n_val:]
            val_texts, val_labels = test_texts, test_labels
            notes.append(
                f"{raw.name}: validating on {min(n_val, len(order))} rows of its own test split (data.split.validation_from_test); "
                f"data.split.validation = {d.split.validation} is not used"
            )
        else:
            train_idx, val_idx, _ = stratified_split(labels, d.split.validation, 0.0, seed)
            test_idx = shuffled(len(test_texts), seed)
        if d.split.test > 0:
            notes.append(f"{raw.name} has its own test split ({len(test_texts)} rows); data.split.test = {d.split.test} is not used")
    else:
        if d.split.validation_from_test:
            notes.append(f"{raw.name} has no test split of its own; data.split.validation_from_test is not used")
        train_idx, val_idx, test_idx = stratified_split(labels, d.split.validation, d.split.test, seed)
        test_texts, test_labels = texts, labels
    limits = (d.limit, d.validation_limit or d.limit, d.test_limit or d.limit)
    if any(limits):
        total = len(train_idx) + len(val_idx) + len(test_idx)
        train_idx, val_idx, test_idx = (limit_rows(i, n) for i, n in zip((train_idx, val_idx, test_idx), limits, strict=True))
        kept = len(train_idx) + len(val_idx) + len(test_idx)
        if kept < total:
            notes.append(
                f"data limits: kept {kept} of {total} rows ({len(train_idx)} train, {len(val_idx)} validation, {len(test_idx)} test; "
                f"at most {' / '.join(str(n) if n else 'all' for n in limits)})"
            )
    return Dataset(
        name=raw.name,
        class_names=list(raw.class_names),
        train=_split(texts, labels, train_idx),
        validation=_split(val_texts, val_labels, val_idx),
        test=_split(test_texts, test_labels, test_idx),
        symbols=raw.symbols,
        notes=notes,
        read_as=raw.read_as,
        why=why,
    )
