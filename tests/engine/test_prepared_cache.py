"""The prepared-data cache without TensorFlow: keys, hits, stale and damaged entries, a full
disk, two processes at once, the size cap (engine.prepared)."""

from __future__ import annotations

import errno
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pytest

from engine.data import load_dataset
from engine.experiment import DataConfig, Experiment
from engine.prepared import PreparedCache, Store
from engine.prepared import codec as codec_mod
from engine.prepared.key import data_key, vectorizer_key
from engine.prepared.store import parse_size


def imdb_like(root: Path, n: int = 6) -> Path:
    """An aclImdb-shaped folder: train/ and test/ of pos/ and neg/ (id_rating.txt), and unsup/."""
    for split in ("train", "test"):
        for cls, word in (("pos", "great"), ("neg", "awful")):
            folder = root / split / cls
            folder.mkdir(parents=True)
            for i in range(n):
                (folder / f"{i}_{7 if cls == 'pos' else 2}.txt").write_text(f"{word} film number {i} of {split} é")
    (root / "train" / "unsup").mkdir()
    (root / "train" / "unsup" / "0_0.txt").write_text("unlabelled")
    return root


def experiment(tmp_path: Path, **data) -> Experiment:
    folder = tmp_path / "aclImdb"
    if not folder.exists():
        imdb_like(folder)
    return Experiment(name="c", data=DataConfig(source="folder", path=str(folder), **data), base_dir=tmp_path)


def same(a, b) -> None:
    assert a.name == b.name and a.class_names == b.class_names and a.notes == b.notes and a.read_as == b.read_as
    for (name, x), (_, y) in zip(a.splits().items(), b.splits().items(), strict=True):
        assert x.texts == y.texts, name
        np.testing.assert_array_equal(x.labels, y.labels)


def entries(root: Path, kind: str = "d") -> list[Path]:
    return sorted(p for p in root.iterdir() if p.name.startswith(f"{kind}-"))


def test_a_second_load_is_a_hit_with_the_same_rows(tmp_path):
    exp = experiment(tmp_path)
    first = PreparedCache(exp, root=tmp_path / "cache")
    ds = first.load_dataset()
    assert first.said["data"].startswith("not cached yet") and "cached (" in first.said["data"]
    second = PreparedCache(exp, root=tmp_path / "cache")
    again = second.load_dataset()
    assert second.said["data"] == "from the cache"
    same(ds, again)
    same(ds, load_dataset(exp))
    assert oct(os.stat(tmp_path / "cache").st_mode & 0o777) == "0o700"


def test_unsup_is_not_in_the_key_but_a_touched_review_is(tmp_path):
    exp = experiment(tmp_path)
    key = data_key(exp).key
    (tmp_path / "aclImdb" / "train" / "unsup" / "1_0.txt").write_text("more unlabelled")
    assert data_key(exp).key == key
    review = tmp_path / "aclImdb" / "train" / "pos" / "0_7.txt"
    os.utime(review, ns=(1, 1))
    assert data_key(exp).key != key


def test_a_changed_file_is_rebuilt_and_said(tmp_path):
    exp = experiment(tmp_path)
    PreparedCache(exp, root=tmp_path / "cache").load_dataset()
    old = entries(tmp_path / "cache")
    review = tmp_path / "aclImdb" / "train" / "pos" / "0_7.txt"
    review.write_text("great film, edited since")
    cache = PreparedCache(exp, root=tmp_path / "cache")
    ds = cache.load_dataset()
    assert "changed since they were cached" in cache.said["data"]
    assert "great film, edited since" in ds.train.texts + ds.validation.texts
    assert entries(tmp_path / "cache") != old and len(entries(tmp_path / "cache")) == 1


def test_settings_that_shape_the_data_key_it_and_others_do_not(tmp_path):
    exp = experiment(tmp_path)
    key = data_key(exp).key
    vkey = vectorizer_key(data_key(exp), exp)
    other = exp.copy()
    other.fit.epochs, other.compile.learning_rate, other.layers = 99, 0.5, []
    assert data_key(other).key == key and vectorizer_key(data_key(other), other) == vkey
    for change in (lambda e: setattr(e.data, "limit", 3), lambda e: setattr(e.data.split, "seed", 7), lambda e: setattr(e.data, "clean", ["lower"])):
        changed = exp.copy()
        change(changed)
        assert data_key(changed).key != key
    words = exp.copy()
    words.vectorize.max_tokens = 77
    assert data_key(words).key == key and vectorizer_key(data_key(words), words) != vkey


@pytest.mark.parametrize("damage", ["truncate", "garbage", "dtype", "symlink", "offsets", "meta"])
def test_a_damaged_entry_is_dropped_and_rebuilt(tmp_path, damage):
    exp = experiment(tmp_path)
    ds = PreparedCache(exp, root=tmp_path / "cache").load_dataset()
    (entry,) = entries(tmp_path / "cache")
    elsewhere = tmp_path / "elsewhere.utf8"
    if damage == "truncate":
        blob = (entry / "train.utf8").read_bytes()
        (entry / "train.utf8").write_bytes(blob[: len(blob) // 2])
    elif damage == "garbage":
        (entry / "train.labels.npy").write_bytes(os.urandom(200))
    elif damage == "dtype":
        np.save(entry / "train.labels.npy", np.zeros(len(ds.train), dtype=np.float64))
    elif damage == "symlink":
        elsewhere.write_bytes((entry / "train.utf8").read_bytes())
        (entry / "train.utf8").unlink()
        (entry / "train.utf8").symlink_to(elsewhere)
    elif damage == "offsets":
        np.save(entry / "train.offsets.npy", np.arange(len(ds.train) + 1, dtype=np.int64)[::-1].copy())
    else:
        (entry / "meta.json").write_text('{"format": 1, "name": "d-nope"}')
    cache = PreparedCache(exp, root=tmp_path / "cache")
    again = cache.load_dataset()
    assert cache.said["data"].startswith("rebuilt (the cached entry was unreadable")
    same(ds, again)
    cache = PreparedCache(exp, root=tmp_path / "cache")
    cache.load_dataset()
    assert cache.said["data"] == "from the cache"


def test_a_link_planted_as_an_entry_is_removed_not_followed(tmp_path):
    exp = experiment(tmp_path)
    PreparedCache(exp, root=tmp_path / "cache").load_dataset()
    (entry,) = entries(tmp_path / "cache")
    real = tmp_path / "planted"
    entry.rename(real)
    entry.symlink_to(real)
    cache = PreparedCache(exp, root=tmp_path / "cache")
    cache.load_dataset()
    assert not cache.said["data"].startswith("from the cache")
    assert not entry.is_symlink() and entry.is_dir() and real.is_dir()


def test_a_cache_folder_that_is_a_link_is_not_used(tmp_path):
    exp = experiment(tmp_path)
    (tmp_path / "real").mkdir()
    (tmp_path / "cache").symlink_to(tmp_path / "real")
    cache = PreparedCache(exp, root=tmp_path / "cache")
    ds = cache.load_dataset()
    assert len(ds.train) and "symbolic link" in cache.note() and not any((tmp_path / "real").iterdir())


def test_a_full_disk_leaves_no_entry_and_the_run_goes_on(tmp_path, monkeypatch):
    exp = experiment(tmp_path)

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(codec_mod, "write_bytes", full)
    cache = PreparedCache(exp, root=tmp_path / "cache")
    ds = cache.load_dataset()
    assert len(ds.train)
    assert "is full" in cache.note() and "kerminal cache --clear" in cache.note() and str(tmp_path / "cache") in cache.note()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["locks"]
    assert cache.vectorizer() is None  # off for the rest of the run


def test_an_entry_over_the_cap_is_not_kept_and_old_ones_are_evicted(tmp_path, monkeypatch):
    exp = experiment(tmp_path)
    monkeypatch.setenv("KERMINAL_CACHE_MAX", "10")
    cache = PreparedCache(exp, root=tmp_path / "cache")
    cache.load_dataset()
    assert "not kept (larger than the cache's cap" in cache.said["data"] and not entries(tmp_path / "cache")
    monkeypatch.delenv("KERMINAL_CACHE_MAX")
    PreparedCache(exp, root=tmp_path / "cache").load_dataset()
    (first,) = entries(tmp_path / "cache")
    os.utime(first, (1, 1))  # used long ago
    other = exp.copy()
    other.data.limit = 2
    size = codec_mod.folder_bytes(first)
    monkeypatch.setenv("KERMINAL_CACHE_MAX", str(size + 10))
    PreparedCache(other, root=tmp_path / "cache").load_dataset()
    assert first not in entries(tmp_path / "cache") and len(entries(tmp_path / "cache")) == 1


def test_sizes_read_as_people_write_them():
    assert parse_size("10G") == parse_size("10 GB") == 10 * 1000**3 and parse_size("2GiB") == 2 * 1024**3
    assert parse_size("500m") == 500 * 1000**2 and parse_size("2048") == 2048
    with pytest.raises(ValueError):
        parse_size("lots")


def _prepare(exp_dict: dict, root: str, base: str, out) -> None:
    from engine.experiment import from_dict

    cache = PreparedCache(from_dict(exp_dict, Path(base)), root=root)
    ds = cache.load_dataset()
    out.put((cache.said["data"], len(ds.train)))


def test_two_processes_preparing_the_same_entry_write_it_once(tmp_path):
    exp = experiment(tmp_path)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_prepare, args=(exp.to_dict(), str(tmp_path / "cache"), str(tmp_path), out)) for _ in range(2)]
    for p in procs:
        p.start()
    said = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert [n for _, n in said] == [said[0][1]] * 2
    # Whichever came second either waited for the first's entry or found it there.
    assert sum("cached (" in s for s, _ in said) == 1, said
    assert len(entries(tmp_path / "cache")) == 1


def test_a_store_lists_and_clears_by_prefix(tmp_path):
    exp = experiment(tmp_path)
    PreparedCache(exp, root=tmp_path / "cache").load_dataset()
    other = exp.copy()
    other.data.limit = 2
    PreparedCache(other, root=tmp_path / "cache").load_dataset()
    store = Store(tmp_path / "cache")
    listed = store.entries()
    assert len(listed) == 2 and all(e.kind == "data" and e.bytes > 0 for e in listed)
    assert store.clear(listed[0].name[2:8]) == [listed[0].name]
    assert store.clear() == [listed[1].name]


@pytest.mark.parametrize("stream", [None, True])
def test_a_run_walks_its_data_folder_once(tmp_path, monkeypatch, stream):
    """The streaming choice and the cache's key share one walk (engine/data/listing.py): a
    second run on aclImdb's 100,000 files would otherwise stat them twice before its first batch."""
    from engine.data import listing

    real, walks = listing._walk, []

    def counted(root):
        walks.append(root)
        return real(root)

    monkeypatch.setattr(listing, "_walk", counted)
    exp = experiment(tmp_path, stream=stream)
    cache = PreparedCache(exp, root=tmp_path / "cache")
    cache.load_dataset()
    assert len(walks) == 1 and (cache._key is not None)  # a streamed source is keyed too (its vectorizer and ids)
    cache.load_dataset()  # a later run walks again: a file edited in place changes no folder's mtime
    assert len(walks) == 2
    with listing.once():
        assert listing.folder_listing(tmp_path / "aclImdb") is listing.folder_listing(tmp_path / "aclImdb")
    whole = listing.folder_listing(tmp_path / "aclImdb")
    assert whole.files == 4 * 6 and whole.bytes == sum(p.stat().st_size for p in (tmp_path / "aclImdb").rglob("*.txt"))
