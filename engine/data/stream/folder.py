"""Class folders read a chunk of files at a time, with folders.py's rules (which subfolders
are classes, train/ and test/, unreadable files skipped and named, invalid UTF-8 replaced).

The paths are listed (folders.py's `class_dirs`), the texts are not: a path costs about
150 bytes of memory (1,000,000 files: about 150 MB), said in the notes above 100,000 files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.folders import class_dirs, entries, failed_note, folder_root
from engine.errors import DataError
from engine.experiment import Experiment
from engine.memory import format_bytes

CHUNK_FILES = 2000
PATH_BYTES = 150  # a listed path's memory, about
NOTE_FILES = 100_000


@dataclass
class FolderStream:
    """The files of one split (train/ or test/, or the folder itself), by class."""

    root: Path
    class_names: list[str]
    files: dict[str, list[str]]
    failed: list[tuple[str, str]] = field(default_factory=list)
    replaced: int = 0

    def __len__(self) -> int:
        return sum(len(self.files.get(c, [])) for c in self.class_names)

    def chunks(self) -> Iterator[tuple[pd.Series, np.ndarray]]:
        self.failed, self.replaced = [], 0
        for i, cls in enumerate(self.class_names):
            paths = self.files.get(cls, [])
            for start in range(0, len(paths), CHUNK_FILES):
                texts = []
                for p in paths[start : start + CHUNK_FILES]:
                    try:
                        with open(p, "rb") as fh:
                            blob = fh.read()
                    except OSError as exc:
                        self.failed.append((p, exc.strerror or type(exc).__name__))
                        continue
                    try:
                        texts.append(blob.decode("utf-8"))
                    except UnicodeDecodeError:
                        text = blob.decode("utf-8", errors="replace")
                        self.replaced += text.count("\ufffd") - blob.count("\ufffd".encode())
                        texts.append(text)
                yield pd.Series(texts, dtype=object), np.full(len(texts), i, dtype=np.int64)


def open_folder(exp: Experiment) -> tuple[list[str], FolderStream, FolderStream | None, list[str]]:
    """Class names, the training files, the test/ files (or None) and notes."""
    root = folder_root(exp)
    train_root, test_root = root / "train", root / "test"
    has_splits = train_root.is_dir()
    classes, ignored_dirs, ignored_files = class_dirs(train_root if has_splits else root)
    test_classes: dict[str, list[str]] = {}
    if has_splits:
        ignored_dirs += [e.name for e in entries(root) if e.name not in ("train", "test") and e.is_dir()]
        if test_root.is_dir():
            test_classes, t_dirs, t_files = class_dirs(test_root)
            ignored_dirs += [f"test/{n}" for n in t_dirs]
            ignored_files += t_files
    where = f"{root}/train" if has_splits else str(root)
    if len(classes) < 2:
        raise DataError(
            f"{where} has {'only one class folder' if classes else 'no class subfolders with .txt files'}; a classifier needs at least two.",
            "Put each class's texts in its own subfolder (e.g. pos/ and neg/), optionally under train/ and test/.",
        )
    class_names = sorted(classes)
    notes = []
    if ignored_dirs or ignored_files:
        notes.append(f"{root.name}: ignored {len(ignored_dirs)} folders and {ignored_files} files that are not class folders or .txt files")
    train = FolderStream(train_root if has_splits else root, class_names, classes)
    test = FolderStream(test_root, class_names, test_classes) if test_classes else None
    n = len(train) + (len(test) if test else 0)
    if n > NOTE_FILES:
        notes.append(f"{root.name}: {n:,} files listed (their paths take about {format_bytes(n * PATH_BYTES)} of memory; their texts are read a chunk at a time)")
    return class_names, train, test, notes


def pass_notes(root: Path, streams: list[FolderStream]) -> list[str]:
    failed = [f for s in streams for f in s.failed]
    replaced = sum(s.replaced for s in streams)
    notes = [failed_note(root, failed)] if failed else []
    if replaced:
        notes.append(f"{root.name}: replaced {replaced} bytes that are not UTF-8 with U+FFFD (save the files as UTF-8 to keep them)")
    return notes



