"""Keras's IMDB and Reuters word-index datasets, decoded back to text.

The files are Keras's own: `imdb.npz` (x_train, y_train, x_test, y_test) and `reuters.npz`
(x, y) hold object arrays of word-index lists, and `imdb_word_index.json` /
`reuters_word_index.json` map each word to its index. `keras.datasets.imdb.load_data`
shifts every stored index by `index_from=3` (0 = padding, 1 = start, 2 = out of
vocabulary) and inverts the word index as `{i + index_from: word}`; decoding the stored
indices through the word index directly gives the same words, so the texts go through the
same vectorizer path as every other source.

Files are looked up in the Keras cache (`$KERAS_HOME/datasets`, else `~/.keras/datasets`,
and Keras's fallback `/tmp/.keras/datasets`). A missing file is downloaded the way Keras
does (`keras.utils.get_file`, through `keras.datasets.<name>`) only when the download host
answers within a few seconds; otherwise a DataError names the file and how to get it, at
once. Set KERMINAL_OFFLINE=1 to never try the network.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import threading
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.raw import Raw
from engine.errors import DataError
from engine.experiment import Experiment

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
NAMES = ("imdb", "reuters")
PROBE_TIMEOUT_S = 3.0
INDEX_FROM = 3
SEED = 113  # keras.datasets.*.load_data's default shuffling seed
REUTERS_TEST_SPLIT = 0.2  # keras.datasets.reuters.load_data's default

# Only numpy arrays may be unpickled from a dataset file (as keras.src.datasets.npz_utils does).
_ALLOWED = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: ANN201
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset file")


def _read_npy(buffer: io.BytesIO) -> np.ndarray:
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:
        buffer.seek(0)
        major, _ = np.lib.format.read_magic(buffer)
        if major == 1:
            np.lib.format.read_array_header_1_0(buffer)
        else:
            np.lib.format.read_array_header_2_0(buffer)
        return _RestrictedUnpickler(buffer).load()


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an .npz file, unpickling nothing but numpy arrays."""
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.endswith(".npy"):
                    arrays[member[:-4]] = _read_npy(io.BytesIO(archive.read(member)))
    except (zipfile.BadZipFile, pickle.UnpicklingError, ValueError, EOFError) as exc:
        raise DataError(f"{path} is not a valid Keras dataset file ({exc}).", f"Delete it and download it again ({ORIGIN}{path.name}).") from None
    return arrays


def cache_dirs() -> list[Path]:
    """Where Keras keeps downloaded datasets, in the order Keras uses them."""
    home = os.environ.get("KERAS_HOME")
    dirs = [Path(home).expanduser() / "datasets"] if home else [Path("~/.keras").expanduser() / "datasets"]
    dirs.append(Path("/tmp/.keras/datasets"))
    return dirs


def find_cached(fname: str) -> Path | None:
    for d in cache_dirs():
        if (d / fname).is_file():
            return d / fname
    return None


def _host_answers(url: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether the download host answers within `timeout` seconds (DNS included)."""
    answered = threading.Event()

    def probe() -> None:
        try:
            req = urllib.request.Request(url, method="HEAD")
            with urllib.request.urlopen(req, timeout=timeout):
                answered.set()
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            return

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return answered.is_set()


def _how_to_get(name: str, files: list[str]) -> str:
    target = cache_dirs()[0]
    urls = " and ".join(f"{ORIGIN}{f}" for f in files)
    return (
        f"On a machine with network run `python -c \"import keras; keras.datasets.{name}.load_data(); "
        f"keras.datasets.{name}.get_word_index()\"`, or download {urls} into {target}/."
    )


def _download(name: str) -> None:
    import keras

    module = getattr(keras.datasets, name)
    module.load_data()
    module.get_word_index()


def locate(name: str) -> tuple[Path, Path]:
    """The cached .npz and word-index files of `name`, downloading them if that answers fast."""
    files = [f"{name}.npz", f"{name}_word_index.json"]
    found = [find_cached(f) for f in files]
    if all(found):
        return found[0], found[1]  # type: ignore[return-value]
    missing = [f for f, p in zip(files, found, strict=True) if p is None]
    looked = ", ".join(str(d) for d in cache_dirs())
    offline = os.environ.get("KERMINAL_OFFLINE", "") not in ("", "0")
    if offline or not _host_answers(ORIGIN + missing[0]):
        why = "KERMINAL_OFFLINE is set" if offline else f"{ORIGIN} did not answer within {PROBE_TIMEOUT_S:.0f} s"
        raise DataError(f"The Keras dataset file {', '.join(missing)} is not in the Keras cache ({looked}) and {why}.", _how_to_get(name, files))
    try:
        _download(name)
    except Exception as exc:  # noqa: BLE001 - a failed download becomes the same clear error
        raise DataError(f"Downloading {', '.join(missing)} failed: {exc}.", _how_to_get(name, files)) from None
    found = [find_cached(f) for f in files]
    if not all(found):
        raise DataError(f"Downloading {', '.join(missing)} did not leave it in {looked}.", _how_to_get(name, files))
    return found[0], found[1]  # type: ignore[return-value]


def _decoder(index_path: Path) -> np.ndarray:
    """An array mapping each stored index to its word ('' for indices without a word)."""
    try:
        word_index = json.loads(index_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{index_path} is not a valid word index ({exc}).", f"Delete it and download it again ({ORIGIN}{index_path.name}).") from None
    size = max(word_index.values(), default=0) + 1
    vocab = np.full(size, "", dtype=object)
    vocab[np.fromiter(word_index.values(), dtype=np.int64, count=len(word_index))] = list(word_index.keys())
    return vocab


def decode(sequences: np.ndarray, vocab: np.ndarray) -> tuple[list[str], int]:
    """Texts from word-index lists; indices the word index does not know are dropped (counted)."""
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    if not len(sequences) or not lengths.sum():
        return ["" for _ in sequences], 0
    flat = np.concatenate([np.asarray(s, dtype=np.int64) for s in sequences])
    known = (flat >= 0) & (flat < len(vocab))
    words = np.full(len(flat), "", dtype=object)
    words[known] = vocab[flat[known]]
    unknown = int((words == "").sum())
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    wl = words.tolist()
    texts = [" ".join(w for w in wl[a:b] if w) if unknown else " ".join(wl[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return texts, unknown


def _labels(y: np.ndarray) -> np.ndarray:
    return np.asarray(y, dtype=np.int64).reshape(-1)


def load_keras(exp: Experiment) -> Raw:
    name = exp.data.name.lower()
    if name not in NAMES:
        raise DataError(f"data.name: {exp.data.name!r} is not a Keras text dataset kerminal reads.", f'Set data.name to one of {", ".join(NAMES)}.')
    npz_path, index_path = locate(name)
    arrays = load_npz(npz_path)
    vocab = _decoder(index_path)
    notes = [f"keras {name}: decoded {npz_path.name} through {index_path.name}"]
    rng = np.random.RandomState(SEED)
    need: tuple[str, ...]
    if name == "imdb":
        need = ("x_train", "y_train", "x_test", "y_test")
    else:
        need = ("x", "y")
    lacking = [k for k in need if k not in arrays]
    if lacking:
        raise DataError(f"{npz_path} lacks the arrays {', '.join(lacking)} of Keras's {name} format.", f"Delete it and download it again ({ORIGIN}{npz_path.name}).")
    if name == "imdb":
        x_train, y_train = arrays["x_train"], _labels(arrays["y_train"])
        x_test, y_test = arrays["x_test"], _labels(arrays["y_test"])
        class_names = ["negative", "positive"]
    else:
        xs, ys = arrays["x"], _labels(arrays["y"])
        order = np.arange(len(xs))
        rng.shuffle(order)  # as keras.datasets.reuters.load_data: shuffle, then 80/20
        xs, ys = xs[order], ys[order]
        cut = int(len(xs) * (1 - REUTERS_TEST_SPLIT))
        x_train, y_train, x_test, y_test = xs[:cut], ys[:cut], xs[cut:], ys[cut:]
        class_names = reuters_label_names(int(ys.max()) + 1 if len(ys) else 0)
    train_texts, unknown = decode(x_train, vocab)
    test_texts, unknown_test = decode(x_test, vocab)
    if unknown + unknown_test:
        notes.append(f"keras {name}: dropped {unknown + unknown_test} word indices that {index_path.name} does not know")
    test = (pd.Series(test_texts, dtype=object), y_test) if len(test_texts) else None
    return Raw(name=f"keras-{name}", texts=pd.Series(train_texts, dtype=object), labels=y_train, class_names=class_names, test=test, notes=notes)


def reuters_label_names(n: int) -> list[str]:
    """Keras's names of the Reuters topics (keras.datasets.reuters.get_label_names)."""
    from keras.datasets import reuters

    names = list(reuters.get_label_names())
    return [names[i] if i < len(names) else f"topic-{i}" for i in range(n)]
