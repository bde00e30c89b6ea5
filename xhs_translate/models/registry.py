"""One view of the installed models per models folder, shared by routing, the cache fingerprint, the server and
the CLI.

Reading a folder is not free: besides its metadata, every non-Argos family hashes its vocabularies, tokenizers
and the first 2 MiB of ``model.bin`` for its version (12.9 ms for a tiny NLLB folder), and one Translator asked
3 to 6 times. So each models folder is read once into a :class:`Snapshot`, and read again only when a stat of
the folder says it changed: the models folder itself, each package folder and each entry at the top of a
package folder (name, inode, size, mtime). Installs, removals and upgrades rename whole folders in and out, and
manifests and metadata are the top-level files, so each of them changes the stamp; a file rewritten deeper
inside a folder (``model/model.bin`` of an Argos package) is not seen, as it changes no version either.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import PackageError
from .families import read_folder
from .families.base import ModelPackage

__all__ = ["Snapshot", "snapshot"]

Stamp = tuple[tuple, ...]


@dataclass(frozen=True)
class Snapshot:
    """The usable packages of one models folder, by folder name, and the folders skipped with why."""

    root: Path
    stamp: Stamp
    packages: tuple[ModelPackage, ...]
    skipped: tuple[tuple[Path, str], ...]  # (folder, message) for each folder that is not a usable model


_SNAPSHOTS: dict[Path, Snapshot] = {}  # models folder -> its last snapshot
_LOCK = threading.Lock()  # one reader per process at a time: a second caller waits and takes the fresh snapshot


def snapshot(root: Path) -> Snapshot:
    """The installed packages of ``root`` (resolved by the caller), read again only if the folder changed."""
    stamp = _stamp(root)
    with _LOCK:
        current = _SNAPSHOTS.get(root)
        if current is not None and current.stamp == stamp:
            return current
        stamp = _stamp(root)  # another thread may have changed it while this one waited
        current = _read(root, stamp)
        _SNAPSHOTS[root] = current
        return current


def _folders(root: Path) -> list[os.DirEntry]:
    """The visible sub-folders of the models folder, by name (hidden ones are our own installs in progress)."""
    try:
        with os.scandir(root) as entries:
            return sorted((e for e in entries if not e.name.startswith(".") and e.is_dir()), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _stat(path: str | os.DirEntry) -> tuple:
    try:
        st = path.stat() if isinstance(path, os.DirEntry) else os.stat(path)
    except OSError:
        return ()
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _stamp(root: Path) -> Stamp:
    """What a change to the installed set changes: the stats of the folder, its package folders and their
    top-level entries. Stats only: no file is read."""
    parts: list[tuple] = [("", _stat(str(root)))]
    for folder in _folders(root):
        parts.append((folder.name, _stat(folder)))
        try:
            with os.scandir(folder.path) as entries:
                parts.extend((folder.name, e.name, _stat(e)) for e in sorted(entries, key=lambda e: e.name))
        except OSError:
            continue
    return tuple(parts)


def _read(root: Path, stamp: Stamp) -> Snapshot:
    packages: list[ModelPackage] = []
    skipped: list[tuple[Path, str]] = []
    for folder in _folders(root):
        path = Path(folder.path)
        try:
            packages.extend(read_folder(path))
        except PackageError as exc:
            skipped.append((path, str(exc)))
    return Snapshot(root, stamp, tuple(packages), tuple(skipped))
