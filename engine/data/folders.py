"""One subfolder of .txt files per class, optionally under train/ and test/ (aclImdb layout).

Class folders are the subfolders that hold .txt files; with train/ and test/, the classes
are those present in train/ (and test/ when it has class folders). Folders of unlabelled
texts (`unsup/` in aclImdb) and every other stray file or folder are ignored and counted.
Files are read as bytes and decoded as UTF-8, replacing (and counting) invalid bytes; .txt
files that cannot be read (a link loop, no permission) are skipped and named in the notes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.raw import Raw, check_exists
from engine.errors import DataError
from engine.experiment import Experiment
from engine.progress import Counter, OnPhase, silent

UNLABELLED = {"unsup", "unlabeled", "unlabelled"}


def entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError as exc:
        raise DataError(f"{folder} could not be listed: {exc.strerror or exc}.", "Check the folder's permissions, or move it out of data.path.") from None


def _txt_files(folder: Path) -> tuple[list[str], int]:
    """Sorted paths of the .txt entries directly in `folder` that are not folders (links
    that loop or dangle included: reading them fails and is counted), and how many others."""
    files, other = [], 0
    for e in entries(folder):
        try:
            is_dir = e.is_dir()
        except OSError:  # a symbolic link loop: not a folder, and reading it will say why
            is_dir = False
        if e.name.endswith(".txt") and not is_dir:
            files.append(e.path)
        else:
            other += 1
    files.sort()
    return files, other


def class_dirs(root: Path) -> tuple[dict[str, list[str]], list[str], int]:
    """class name -> files, ignored folder names, and the count of ignored files."""
    classes: dict[str, list[str]] = {}
    ignored_dirs: list[str] = []
    ignored_files = 0
    for entry in sorted(root / e.name for e in entries(root)):
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


def _read(paths: list[str], failed: list[tuple[str, str]], tick: Counter, start: int = 0) -> tuple[list[str], np.ndarray, int]:
    """Texts of the files that can be read, decoded as UTF-8 with invalid bytes replaced;
    which paths they are (a mask); and how many bytes were replaced. Files that cannot be
    read (a symbolic link loop, a dangling link, no permission) are appended to `failed`.
    `tick` is told how many files were read (`start` of them before these)."""
    blobs, ok = [], np.ones(len(paths), dtype=bool)
    for i, p in enumerate(paths):
        try:
            with open(p, "rb") as fh:
                blobs.append(fh.read())
        except OSError as exc:
            ok[i] = False
            failed.append((p, exc.strerror or type(exc).__name__))
        tick(start + i + 1)
    try:
        return [b.decode("utf-8") for b in blobs], ok, 0
    except UnicodeDecodeError:
        texts = [b.decode("utf-8", errors="replace") for b in blobs]
        replaced = sum(t.count("\ufffd") for t in texts) - sum(b.count("\ufffd".encode()) for b in blobs)
        return texts, ok, replaced


def _load_split(root: Path, class_names: list[str], classes: dict[str, list[str]], failed: list[tuple[str, str]], tick: Counter, start: int = 0) -> tuple[pd.Series, np.ndarray, int]:
    paths: list[str] = []
    labels = []
    for i, cls in enumerate(class_names):
        files = classes.get(cls, [])
        paths += files
        labels.append(np.full(len(files), i, dtype=np.int64))
    texts, ok, replaced = _read(paths, failed, tick, start)
    return pd.Series(texts, dtype=object), np.concatenate(labels)[ok], replaced


def failed_note(root: Path, failed: list[tuple[str, str]]) -> str:
    shown = "; ".join(f"{os.path.relpath(p, root)} ({why})" for p, why in failed[:5]) + (" ..." if len(failed) > 5 else "")
    n = len(failed)
    return f"{root.name}: skipped {n} .txt file{'s' * (n != 1)} that could not be read: {shown}"


def folder_root(exp: Experiment) -> Path:
    """data.path of the folder source, checked to be a folder."""
    if not exp.data.path:
        raise DataError("data.path is empty: the folder source needs a folder.", 'Set data.path = "aclImdb" (one subfolder of .txt files per class).')
    root = exp.resolve(exp.data.path)
    check_exists(root, "folder")
    if not root.is_dir():
        raise DataError(f"{root} is a file, not a folder.", 'For a table file use source = "csv"; for folders give the folder that holds one subfolder per class.')
    return root


def load_folder(exp: Experiment, on_phase: OnPhase = silent) -> Raw:
    """Read the class folders under data.path; `on_phase` hears "reading files n/total"."""
    root = folder_root(exp)
    notes: list[str] = []
    train_root, test_root = root / "train", root / "test"
    has_splits = train_root.is_dir()
    classes, ignored_dirs, ignored_files = class_dirs(train_root if has_splits else root)
    test_classes: dict[str, list[str]] = {}
    if has_splits:
        top_other = [e.name for e in entries(root) if e.name not in ("train", "test")]
        ignored_files += sum(1 for n in top_other if not (root / n).is_dir())
        ignored_dirs += [f"{n}" for n in top_other if (root / n).is_dir()]
        if test_root.is_dir():
            test_classes, t_dirs, t_files = class_dirs(test_root)
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
    # Unreadable files are skipped and named in a note rather than refused: one bad link
    # among 50,000 reviews should not block the rest, and the note keeps it from going unseen.
    failed: list[tuple[str, str]] = []
    n_train = sum(len(classes[c]) for c in class_names)
    tick = Counter(on_phase, "reading files", n_train + sum(len(test_classes.get(c, [])) for c in class_names))
    texts, labels, replaced = _load_split(train_root if has_splits else root, class_names, classes, failed, tick)
    test = None
    if test_classes:
        t_texts, t_labels, t_replaced = _load_split(test_root, class_names, test_classes, failed, tick, n_train)
        test = (t_texts, t_labels)
        replaced += t_replaced
    if failed and not len(texts):
        raise DataError(
            f"{where}: none of its .txt files could be read. {failed_note(root, failed).split(': ', 1)[1]}.",
            "Check the files' permissions and symbolic links, or point data.path at a folder of readable .txt files.",
        )
    if failed:
        notes.append(failed_note(root, failed))
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
