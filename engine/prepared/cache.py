"""One run's use of the prepared-data cache: its loaded data, its adapted vectorizer and its
vectorized ids, each read from the cache when an entry of the same key is there, else made
and written for the next run.

The cache never fails a run: a folder it cannot use, an entry that does not read back
(dropped and built again), a full disk (the partial entry removed) or a lock held too long
by another run each turn it off for what remains, and `note()` says so in the run's
pipeline line (the Started event, events.jsonl, `kerminal train`'s output).
"""

from __future__ import annotations

import errno
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from engine.dataset import Dataset, Split
from engine.experiment import Experiment
from engine.memory import format_bytes
from engine.prepared import codec
from engine.prepared.key import FORMAT, DataKey, NoKey, data_key, ids_key, section, vectorizer_key
from engine.prepared.store import CACHE_ENV, Store, Unusable, max_bytes
from engine.progress import OnPhase, silent

if TYPE_CHECKING:  # pragma: no cover
    from engine.vectorize import VectorizerState

SPLITS = ("train", "validation", "test")


def settings_summary(exp: Experiment, vectorize: bool) -> str:
    d, v = exp.data, exp.vectorize
    text = f"{d.source} {d.path or d.name or ''}".strip()
    if vectorize:
        text += f"; {v.kind}, {v.max_tokens:,} tokens" + (f", {v.ngrams}-grams {v.output_mode}" if v.kind == "ngrams" else f", length {v.length}")
    return text


class PreparedCache:
    """The cache as one run uses it. `enabled` False: every step prepares afresh (`--no-cache`)."""

    def __init__(self, exp: Experiment, root: str | Path | None = None, enabled: bool = True, lock_wait_s: float | None = None) -> None:
        self.exp = exp
        self.store = Store(Path(root) if root is not None else None)
        self.lock_wait_s = lock_wait_s
        self.said: dict[str, str] = {}  # data | vectorizer | ids -> what the cache did
        self.warning = ""  # a full disk, an unusable folder: said once
        self._off = "" if enabled else "off (--no-cache)"
        self._key: DataKey | None = None
        if enabled:
            try:
                self.store.ready()
            except Unusable as exc:
                self._off = f"not used: {exc}"
                self.warning = f"the prepared-data cache is not used: {exc}. Set {CACHE_ENV} to a folder of your own."

    # ---- what the run is told ------------------------------------------------------------
    def note(self) -> str:
        if self._off and not self.said:
            return f"prepared-data cache {self._off}"
        parts = [f"{kind} {what}" for kind, what in self.said.items()]
        text = "prepared-data cache: " + ", ".join(parts) if parts else ""
        return text + (f" ({self.warning})" if self.warning else "")

    @property
    def on(self) -> bool:
        return not self._off

    def _stop(self, exc: OSError) -> None:
        """A write failed (removed by the store): no more writes in this run, said once."""
        where = self.store.root
        if exc.errno == errno.ENOSPC:
            self.warning = f"the cache folder {where} is full; the run goes on without caching. Free space there, or run `kerminal cache --clear`"
        else:
            self.warning = f"could not write to the cache folder {where} ({exc.strerror or exc}); the run goes on without caching"
        self._off = "off: " + self.warning

    def _write(self, kind: str, name: str, fill: Any) -> None:
        if not self.on:
            return
        try:
            size = self.store.write(name, fill)
        except OSError as exc:
            self._stop(exc)
            self.said[kind] += ", not kept"
            return
        if not size:
            self.said[kind] += f", not kept (larger than the cache's cap, {format_bytes(max_bytes())})"
        else:
            self.said[kind] += f", cached ({format_bytes(size)})"

    def _read(self, kind: str, name: str, read: Any) -> Any:
        """An entry read back and validated, or None (a damaged one is dropped, and said)."""
        folder = self.store.entry(name)
        if folder is None:
            return None
        try:
            meta = codec.read_json(folder / "meta.json")
            if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("name") != name:
                raise codec.Corrupt("meta.json does not describe this entry")
            value = read(folder, meta)
        except (codec.Corrupt, KeyError, TypeError, ValueError, IndexError) as exc:
            self.store.drop(name)
            self.said[kind] = f"rebuilt (the cached entry was unreadable: {str(exc)[:120]})"
            return None
        self.store.touch(name)
        return value

    def _meta(self, name: str, kind: str, vectorize: bool, **more: Any) -> dict[str, Any]:
        key = self._key
        return {
            "format": FORMAT, "name": name, "kind": kind, "created": time.time(),
            "data": self.exp.data.name or self.exp.data.path or self.exp.data.source,
            "source": key.source if key else "", "data_key": key.key if key else "", "summary": settings_summary(self.exp, vectorize),
            "settings": {"data": section(self.exp, "data"), **({"vectorize": section(self.exp, "vectorize")} if vectorize else {})},
            **more,
        }

    def _stale(self) -> str:
        """On a miss: entries of the same files and settings but another size or mtime are an
        older file's (its data, vectorizer and ids); they are removed, and the miss says why."""
        if self._key is None:
            return "not cached yet"
        older = False
        for e in self.store.entries():
            made_from = e.meta.get("data_key") or (e.name[2:] if e.name[0] == "d" else self._key.key)  # entries before data_key: their data's own
            if e.meta.get("source") == self._key.source and made_from != self._key.key:
                self.store.drop(e.name)
                older = True
        return "rebuilt (the data's files changed since they were cached: size or modification time differ)" if older else "not cached yet"

    # ---- the loaded data -----------------------------------------------------------------
    def load_dataset(self, on_phase: OnPhase = silent) -> Dataset:
        """The experiment's data: from the cache, else loaded (engine.data.load_dataset) and kept.
        A data folder is walked once for the streaming choice and the key (engine.data.listing)."""
        from engine.data.listing import once

        with once():
            return self._load_dataset(on_phase)

    def _load_dataset(self, on_phase: OnPhase) -> Dataset:
        from engine.data import load_dataset

        if not self.on:
            return load_dataset(self.exp, on_phase)
        from engine.data.stream.choose import choose

        if choose(self.exp)[0]:  # read in chunks: keeping its rows here would hold them all
            self.said["data"] = "not cached (streamed data is read in chunks in every run)"
            try:  # its vectorizer and ids are cached, under the data's key
                self._key = data_key(self.exp)
            except NoKey:
                self._key = None
            return load_dataset(self.exp, on_phase)
        on_phase("looking for prepared data in the cache")
        try:
            self._key = data_key(self.exp)
        except NoKey as exc:
            self.said["data"] = f"not cached ({exc})"
            return load_dataset(self.exp, on_phase)
        name = f"d-{self._key.key}"
        ds = self._read("data", name, _read_dataset)
        if ds is not None:
            self.said["data"] = "from the cache"
            on_phase(f"using prepared data from the cache ({sum(len(s) for s in ds.splits().values()):,} rows)")
            return ds
        why = self.said.get("data") or self._stale()
        with self.store.building(name, self.lock_wait_s) as held:
            if held:
                ds = self._read("data", name, _read_dataset)
                if ds is not None:  # another run prepared it while this one waited
                    self.said["data"] = "from the cache (prepared by another run meanwhile)"
                    return ds
            ds = load_dataset(self.exp, on_phase)
            self.said["data"] = why
            if not held:
                self.said["data"] += ", not kept (another run was preparing the same data)"
                return ds
            on_phase("writing the prepared data to the cache")
            self._write("data", name, lambda folder: _write_dataset(folder, ds, self._meta(name, "data", False)))
        return ds

    # ---- the adapted vectorizer ----------------------------------------------------------
    def _vectorizer_name(self) -> str | None:
        return f"v-{vectorizer_key(self._key, self.exp)}" if self.on and self._key is not None else None

    def vectorizer(self) -> VectorizerState | None:
        """The adapted vectorizer's state for this data and these vectorize settings, if cached."""
        name = self._vectorizer_name()
        if name is None:
            return None
        state = self._read("vectorizer", name, lambda folder, meta: _read_vectorizer(folder, meta, self.exp.vectorize.kind, self.exp.vectorize.max_tokens))
        if state is not None:
            self.said["vectorizer"] = "from the cache"
        elif "vectorizer" not in self.said:
            self.said["vectorizer"] = self._stale()
        return state

    def refuse_vectorizer(self) -> None:
        """Keras would not make a vectorizer of the cached state: dropped, made afresh."""
        name = self._vectorizer_name()
        if name is not None:
            self.store.drop(name)
            self.said["vectorizer"] = "rebuilt (Keras refused the cached vocabulary)"

    def keep_vectorizer(self, state: Callable[[], VectorizerState]) -> None:
        """Keep the adapted vectorizer's `state()`, made only when the cache did not give it."""
        name = self._vectorizer_name()
        if name is None or self.said.get("vectorizer", "").startswith("from the cache"):
            return
        with self.store.building(name, self.lock_wait_s) as held:
            if held:
                self._write("vectorizer", name, lambda folder: _write_vectorizer(folder, state(), self._meta(name, "vectorizer", True)))

    # ---- the vectorized ids --------------------------------------------------------------
    def _ids_name(self, vocabulary: list[str]) -> str | None:
        vname = self._vectorizer_name()
        return f"i-{ids_key(vname, vocabulary)}" if vname is not None else None

    def ids(self, vocabulary: list[str], rows: tuple[int, int], length: int, vocab_size: int, labels: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """The cached (train, validation) ids for these texts and this vocabulary, memory-mapped.
        `labels`: streamed data's, which its entry holds too (rows that do not carry them are
        not these rows)."""
        name = self._ids_name(vocabulary)
        if name is None:
            return None

        def read(folder: Path, meta: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
            out = []
            for i, (split, n) in enumerate(zip(("train", "validation"), rows, strict=True)):
                a = codec.read_array(folder / f"{split}.npy", "int32", 2, mmap=True)
                if a.shape != (n, length) or (a.size and (int(a.min()) < 0 or int(a.max()) >= vocab_size)):
                    raise codec.Corrupt(f"{split}.npy holds {a.shape} ids, not ({n}, {length}) below {vocab_size}")
                if labels is not None and not np.array_equal(codec.read_array(folder / f"{split}.labels.npy", "int64", 1), labels[i]):
                    raise codec.Corrupt(f"{split}.labels.npy does not hold the labels of these rows")
                out.append(a)
            return out[0], out[1]

        got = self._read("ids", name, read)
        if got is not None:
            self.said["ids"] = "from the cache"
        else:
            self.said.setdefault("ids", "not cached yet")
        return got

    def keep_ids(self, vocabulary: list[str], x: np.ndarray, xv: np.ndarray) -> None:
        name = self._ids_name(vocabulary)
        if name is None:
            return

        def fill(folder: Path) -> dict[str, Any]:
            codec.write_array(folder / "train.npy", x.astype(np.int32, copy=False))
            codec.write_array(folder / "validation.npy", xv.astype(np.int32, copy=False))
            return self._meta(name, "ids", True, rows=[len(x), len(xv)])

        with self.store.building(name, self.lock_wait_s) as held:
            if held:
                self._write("ids", name, fill)


    def keep_stream_ids(self, vocabulary: list[str], labels: tuple[np.ndarray, np.ndarray], length: int, write: Callable[[Path, Path], None]) -> tuple[np.ndarray, np.ndarray] | None:
        """Streamed data's ids, written by `write(train.npy, validation.npy)` straight into a
        new entry (no copy), with their labels, and read back memory-mapped; None when they are
        not kept (the cache off, the cap, a full disk, another run preparing them): the caller
        writes them where it would without the cache."""
        name = self._ids_name(vocabulary)
        if name is None:
            return None
        rows = (len(labels[0]), len(labels[1]))
        if 4 * sum(rows) * length > max_bytes():
            self.said["ids"] += f", not kept (larger than the cache's cap, {format_bytes(max_bytes())})"
            return None

        def fill(folder: Path) -> dict[str, Any]:
            write(folder / "train.npy", folder / "validation.npy")
            for split, y in zip(("train", "validation"), labels, strict=True):
                codec.write_array(folder / f"{split}.labels.npy", np.asarray(y, dtype=np.int64))
            return self._meta(name, "ids", True, rows=list(rows), streamed=True)

        with self.store.building(name, self.lock_wait_s) as held:
            if not held:
                self.said["ids"] += ", not kept (another run was preparing the same ids)"
                return None
            said = self.said["ids"]
            got = self.ids(vocabulary, rows, length, max(len(vocabulary), 1), labels)
            if got is not None:  # another run wrote them while this one waited for the lock
                self.said["ids"] = "from the cache (prepared by another run meanwhile)"
                return got
            self.said["ids"] = said
            self._write("ids", name, fill)
        if self.store.entry(name) is None:
            return None
        said = self.said["ids"]
        got = self.ids(vocabulary, rows, length, max(len(vocabulary), 1), labels)
        self.said["ids"] = said
        return got


# ---- entries' contents -----------------------------------------------------------------------
def _write_dataset(folder: Path, ds: Dataset, meta: dict[str, Any]) -> dict[str, Any]:
    for split, part in ds.splits().items():
        codec.write_texts(folder, split, part.texts)
        codec.write_array(folder / f"{split}.labels.npy", np.asarray(part.labels, dtype=np.int64))
    meta["dataset"] = {
        "name": ds.name, "class_names": list(ds.class_names), "symbols": bool(ds.symbols), "notes": list(ds.notes),
        "read_as": ds.read_as, "rows": {split: len(part) for split, part in ds.splits().items()},
    }
    return meta


def _read_dataset(folder: Path, meta: dict[str, Any]) -> Dataset:
    d = meta["dataset"]
    names, notes, rows = d["class_names"], d["notes"], d["rows"]
    if not (isinstance(names, list) and all(isinstance(n, str) for n in names) and len(names) >= 2):
        raise codec.Corrupt("the class names are not a list of texts")
    if not (isinstance(notes, list) and all(isinstance(n, str) for n in notes)) or not isinstance(d["read_as"], dict) or not isinstance(d["name"], str):
        raise codec.Corrupt("the notes, name or read_as are malformed")
    splits = {}
    for split in SPLITS:
        n = rows[split]
        if not isinstance(n, int) or n < 0:
            raise codec.Corrupt(f"{split}: a row count that is not a count")
        splits[split] = Split(codec.read_texts(folder, split, n), codec.read_labels(folder / f"{split}.labels.npy", n, len(names)))
    return Dataset(d["name"], list(names), splits["train"], splits["validation"], splits["test"], bool(d["symbols"]), list(notes), dict(d["read_as"]))


def _write_vectorizer(folder: Path, state: VectorizerState, meta: dict[str, Any]) -> dict[str, Any]:
    codec.write_texts(folder, "vocabulary", state.vocabulary)
    for name, weights in (("idf", state.idf), ("nb", state.nb)):
        if weights is not None:
            codec.write_array(folder / f"{name}.npy", np.asarray(weights, dtype=np.float32))
        meta[name] = weights is not None
    meta["vocabulary"] = len(state.vocabulary)
    return meta


def _read_vectorizer(folder: Path, meta: dict[str, Any], kind: str, max_tokens: int) -> VectorizerState:
    from engine.vectorize import VectorizerState

    n = meta["vocabulary"]
    if not isinstance(n, int) or n < 1 or (kind != "chars" and n > max_tokens):
        raise codec.Corrupt(f"a vocabulary of {n!r} entries")
    vocab = codec.read_texts(folder, "vocabulary", n)
    if len(set(vocab)) != n:
        raise codec.Corrupt("the vocabulary repeats an entry")
    weights = {}
    for name in ("idf", "nb"):  # an entry written before nb existed has no "nb"
        if meta.get(name, False):
            w = codec.read_array(folder / f"{name}.npy", "float32", 1)
            if len(w) != n or not np.all(np.isfinite(w)):
                raise codec.Corrupt(f"{name}.npy holds {len(w)} weights for {n} entries, or one that is not finite")
            weights[name] = np.array(w)
    return VectorizerState(vocab, **weights)
