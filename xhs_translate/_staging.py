"""Our temporary files and folders (a half-written output, a package being installed), and cleaning up after
runs that were killed before they could remove theirs.

Each one is created under an exclusive ``flock`` that its process holds until it finishes or dies (the kernel
drops the locks of a dead process). A later run removes the ones of our own naming whose lock nobody holds: a
killed run's leftovers, never the work of a run still going. Where ``flock`` is missing (not POSIX), nothing is
locked and nothing is cleaned.
"""

from __future__ import annotations

import os
import re
import shutil
import string
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

_NAME_CHARS = string.ascii_lowercase + string.digits + "_"
_TOKEN_LENGTH = 8  # as tempfile's names, so that leftovers of older versions (tempfile.mkstemp) match too
TOKEN_PATTERN = f"[{re.escape(_NAME_CHARS)}]{{{_TOKEN_LENGTH}}}"


def _token() -> str:
    """A random name part (uniqueness is what counts: files are created exclusively); os.urandom rather than
    ``secrets``, whose hmac import the CLI's start-up would pay for."""
    return "".join(_NAME_CHARS[byte % len(_NAME_CHARS)] for byte in os.urandom(_TOKEN_LENGTH))


def _lock(fd: int, blocking: bool) -> bool:
    """Take an exclusive lock on ``fd``; False when another holds it (non-blocking) or locks are unsupported."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except OSError:
        return False
    return True


def still_there(fd: int, path: Path) -> bool:
    """True when ``path`` is still the file or folder open as ``fd`` (a cleaner did not remove it first)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


def create_file(directory: Path, prefix: str, suffix: str, mode: int = 0o666) -> tuple[int, Path]:
    """Create ``directory/{prefix}{8 random characters}{suffix}`` exclusively, locked; return (fd, path).

    ``mode`` goes through the umask, as for any new file. Raises OSError when the directory refuses it."""
    while True:
        path = directory / f"{prefix}{_token()}{suffix}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode)
        except FileExistsError:
            continue
        _lock(fd, blocking=True)
        if fcntl is None or still_there(fd, path):
            return fd, path
        os.close(fd)  # a cleaner took it for a leftover between creation and lock: take another name


def open_folder(path: Path) -> int:
    """A descriptor of the folder ``path``, to lock (``flock`` works on folders too). Raises OSError."""
    return os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))


@contextmanager
def locked_folder(parent: Path, prefix: str) -> Iterator[Path]:
    """A new folder ``parent/{prefix}{random}``, locked while the block runs and removed after it (like
    ``tempfile.TemporaryDirectory``, but a killed run's folder is recognisably a leftover). Raises OSError when
    ``parent`` refuses it."""
    while True:
        path = parent / f"{prefix}{_token()}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        fd = open_folder(path)
        _lock(fd, blocking=True)
        if fcntl is None or still_there(fd, path):
            break
        os.close(fd)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def remove_leftovers(directory: Path, pattern: str) -> list[Path]:
    """Remove the entries of ``directory`` whose whole name matches the regular expression ``pattern`` and whose
    lock nobody holds (leftovers of killed runs); return them. Errors are ignored: cleaning is a courtesy."""
    if fcntl is None:
        return []
    matcher = re.compile(pattern)
    removed = []
    try:
        names = [name for name in os.listdir(directory) if matcher.fullmatch(name)]
    except OSError:
        return []
    for name in names:
        path = directory / name
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if not _lock(fd, blocking=False) or not still_there(fd, path):
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed
