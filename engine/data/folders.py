"""One subfolder of .txt files per class, optionally under train/ and test/ (aclImdb layout).

Class folders are the subfolders that hold .txt files; with train/ and test/, the classes
are those present in train/ (and test/ when it has class folders). Folders of unlabelled
texts (`unsup/` in aclImdb) and every other stray file or folder are ignored and counted.
Files are read as bytes and decoded as UTF-8, replacing (and counting) invalid bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.sources import Raw, check_exists
from engine.errors import DataError
from engine.experiment import Experiment

UNLABELLED = {"unsup", "unlabeled", "unlabelled"}


def _txt_files(folder: Path) -> tuple[list[str], int]:
    """Sorted paths of the .txt files directly in `folder`, and how many other entries."""
    files, other = [], 0
    with os.scandir(folder) as entries:
        for e in entries:
            if e.name.endswith(".txt") and e.is_file():
                files.append(e.path)
            else:
                other += 1
    files.sort()
    return files, other


def _class_dirs(root: Path) -> tuple[dict[str, list[str]], list[str], int]:
    """class name -> files, ignored folder names, and the count of ignored files."""
    classes: dict[str, list[str]] = {}
    ignored_dirs: list[str] = []
    ignored_files = 0
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and not entry.name.startswith("."):
            if entry.name in UNLABELLED:
                ignored_dirs.append(entry.name)
                continue
            files, other = _txt_files(entry)
            if files:
                classes[entry.name] = files
                ignored_files += other
            else:
                ignored_dirs.append(entry.name)
        else:
            ignored_files += 1
    return classes, ignored_dirs, ignored_files


def _read(paths: list[str]) -> tuple[list[str], int]:
    """Texts of the files, decoded as UTF-8 with invalid bytes replaced; and how many."""
    blobs = []
    for p in paths:
        with open(p, "rb") as fh:
            blobs.append(fh.read())
    try:
        return [b.decode("utf-8") for b in blobs], 0
    except UnicodeDecodeError:
        texts = [b.decode("utf-8", errors="replace") for b in blobs]
        replaced = sum(t.count("\ufffd") for t in texts) - sum(b.count("\ufffd".encode()) for b in blobs)
        return texts, replaced


def _load_split(root: Path, class_names: list[str], classes: dict[str, list[str]]) -> tuple[pd.Series, np.ndarray, int]:
    paths: list[str] = []
    labels = []
    for i, cls in enumerate(class_names):
        files = classes.get(cls, [])
        paths += files
        labels.append(np.full(len(files), i, dtype=np.int64))
    texts, replaced = _read(paths)
    return pd.Series(texts, dtype=object), np.concatenate(labels), replaced


def load_folder(exp: Experiment) -> Raw:
    d = exp.data
    if not d.path:
        raise DataError("data.path is empty: the folder source needs a folder.", 'Set data.path = "aclImdb" (one subfolder of .txt files per class).')
    root = exp.resolve(d.path)
    check_exists(root, "folder")
    if not root.is_dir():
        raise DataError(f"{root} is a file, not a folder.", 'For a table file use source = "csv"; for folders give the folder that holds one subfolder per class.')
    notes: list[str] = []
    train_root, test_root = root / "train", root / "test"
    has_splits = train_root.is_dir()
    classes, ignored_dirs, ignored_files = _class_dirs(train_root if has_splits else root)
    test_classes: dict[str, list[str]] = {}
    if has_splits:
        top_other = [e.name for e in root.iterdir() if e.name not in ("train", "test")]
        ignored_files += sum(1 for n in top_other if not (root / n).is_dir())
        ignored_dirs += [f"{n}" for n in top_other if (root / n).is_dir()]
        if test_root.is_dir():
            test_classes, t_dirs, t_files = _class_dirs(test_root)
            ignored_dirs += [f"test/{n}" for n in t_dirs]
            ignored_files += t_files
    where = f"{root}/train" if has_splits else str(root)
    if not classes:
        raise DataError(
            f"{where} has no class subfolders with .txt files.",
            "Put each class's texts in its own subfolder (e.g. pos/ and neg/), optionally under train/ and test/.",
        )
    if len(classes) < 2:
        raise DataError(
            f"{where} has only one class folder ({next(iter(classes))}/); a classifier needs at least two.",
            "Add a subfolder of .txt files for each other class.",
        )
    class_names = sorted(classes)
    extra = sorted(set(test_classes) - set(classes))
    if extra:
        ignored_dirs += [f"test/{n}" for n in extra]
    texts, labels, replaced = _load_split(train_root if has_splits else root, class_names, classes)
    test = None
    if test_classes:
        t_texts, t_labels, t_replaced = _load_split(test_root, class_names, test_classes)
        test = (t_texts, t_labels)
        replaced += t_replaced
    if ignored_dirs or ignored_files:
        shown = ", ".join(f"{n}/" for n in ignored_dirs[:5]) + (" ..." if len(ignored_dirs) > 5 else "")
        nd, nf = len(ignored_dirs), ignored_files
        notes.append(
            f"{root.name}: ignored {nd} folder{'s' * (nd != 1)} that {'are' if nd != 1 else 'is'} not a class folder"
            + (f" ({shown})" if ignored_dirs else "")
            + f" and {nf} file{'s' * (nf != 1)} that {'are' if nf != 1 else 'is'} not a .txt file in a class folder"
        )
    if replaced:
        notes.append(f"{root.name}: replaced {replaced} bytes that are not UTF-8 with U+FFFD (save the files as UTF-8 to keep them)")
    return Raw(name=root.name, texts=texts, labels=labels, class_names=class_names, test=test, notes=notes)
