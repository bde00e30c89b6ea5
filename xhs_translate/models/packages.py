"""Reading installed Argos packages, so that packages installed by argospm or LibreTranslate are reused as they are.

Upgrades never pull a package from under a process about to load it. ``find_package``, which loaders call,
takes a shared ``flock`` on the folder it returns and holds it for the life of the process (one descriptor per
package, an explicit per-process registry). An install that supersedes a version removes the old folder only
when it can take an exclusive lock on it, that is when no running process has found it; otherwise the old
version stays (``models list`` marks it superseded) and a later install or remove in that models dir deletes
it once those processes have ended. A loader that lists the folder just before it goes finds it gone when it
takes the lock, and looks again, onto the new version. ``remove_package`` removes at once: the caller asked for it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelNotInstalledError, PackageError
from ..staging import open_folder, remove_leftovers, still_there

try:
    import fcntl
except ImportError:  # Windows: no locks, so superseded versions are removed at once, as before
    fcntl = None  # type: ignore[assignment]

METADATA_FILE = "metadata.json"
SENTENCEPIECE_FILE = "sentencepiece.model"
BPE_FILE = "bpe.model"

MODELS_DIR_ENV = "XHS_TRANSLATE_MODELS_DIR"
ARGOS_PACKAGES_DIR_ENV = "ARGOS_PACKAGES_DIR"
# The directory argospm and LibreTranslate install into, so their packages are reused as they are.
DEFAULT_MODELS_DIR = Path("~/.local/share/argos-translate/packages")
UNKNOWN_VERSION = "0"  # what a package without a package_version is taken to be
DEMO_KEY = "xhs_translate_demo"  # metadata.json: true for the random-weight packages of `models install --demo`


class PackageWarning(UserWarning):
    """A folder in the models directory was skipped because it is not a usable package."""


@dataclass(frozen=True)
class ModelPackage:
    """One installed (or extracted) Argos package folder and what its metadata.json says."""

    path: Path
    from_code: str
    to_code: str
    package_version: str
    name: str = ""
    argos_version: str = ""
    target_prefix: str = ""
    tokenizer: str = "sentencepiece"  # "sentencepiece" or "bpe"
    demo: bool = False  # a random-weight package of ``models install --demo``: its output is gibberish

    @property
    def package_id(self) -> str:
        """Stable id used in cache keys and signatures, e.g. ``translate-zh_en@1.9``."""
        return f"translate-{self.from_code}_{self.to_code}@{self.package_version}"

    @property
    def model_dir(self) -> Path:
        return self.path / "model"

    @property
    def tokenizer_path(self) -> Path:
        return self.path / (SENTENCEPIECE_FILE if self.tokenizer == "sentencepiece" else BPE_FILE)


def read_package(path: str | Path) -> ModelPackage:
    """Parse one package folder; raise PackageError when it is not a usable Argos package."""
    path = Path(path)
    meta_path = path / METADATA_FILE
    try:
        raw = meta_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackageError(f"{path} is not an Argos package: it has no {METADATA_FILE}") from None
    except OSError as exc:
        raise PackageError(f"cannot read {meta_path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise PackageError(f"{meta_path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise PackageError(f"{meta_path} is not valid JSON: {exc}") from exc
    except (ValueError, RecursionError) as exc:  # an integer of 5,000 digits, nesting 1,000 levels deep
        raise PackageError(f"{meta_path} is not usable metadata: {exc}") from None
    if not isinstance(meta, dict):
        raise PackageError(f"{meta_path} must hold a JSON object")
    missing = [key for key in ("from_code", "to_code") if not isinstance(meta.get(key), str) or not meta.get(key)]
    if missing:
        raise PackageError(f"{meta_path} lacks {', '.join(missing)}")
    if (path / SENTENCEPIECE_FILE).is_file():
        tokenizer = "sentencepiece"
    elif (path / BPE_FILE).is_file():
        tokenizer = "bpe"
    else:
        raise PackageError(f"{path} has neither {SENTENCEPIECE_FILE} nor {BPE_FILE}")
    if not (path / "model" / "model.bin").is_file():
        raise PackageError(f"{path} has no model/model.bin (CTranslate2 model)")
    return ModelPackage(
        path=path,
        from_code=meta["from_code"],
        to_code=meta["to_code"],
        package_version=normalize_version(meta.get("package_version")),
        name=str(meta.get("name", "")),
        argos_version=str(meta.get("argos_version", "")),
        target_prefix=str(meta.get("target_prefix", "") or ""),
        tokenizer=tokenizer,
        demo=meta.get(DEMO_KEY) is True,
    )


def resolve_models_dir(models_dir: str | Path | None = None) -> Path:
    """Where packages live: the argument, else $XHS_TRANSLATE_MODELS_DIR, else $ARGOS_PACKAGES_DIR, else Argos' default."""
    for candidate in (models_dir, os.environ.get(MODELS_DIR_ENV), os.environ.get(ARGOS_PACKAGES_DIR_ENV)):
        if candidate is not None and str(candidate) != "":
            return Path(candidate).expanduser()
    return DEFAULT_MODELS_DIR.expanduser()


def normalize_version(value: object) -> str:
    """A ``package_version`` from metadata or the index as a str: missing, null or blank is "0", older than any
    release (so any real version upgrades it), never the string "None"."""
    text = "" if value is None else str(value).strip()
    return text or UNKNOWN_VERSION


def version_key(version: object) -> tuple[tuple[int, int | str], ...]:
    """Sort key that compares versions numerically ("1.10" > "1.9"); trailing zeros do not count ("1.0" == "1").
    A missing version (None) sorts as "0"."""
    parts = [(1, int(p)) if p.isdigit() else (0, p) for p in re.findall(r"\d+|[A-Za-z]+", normalize_version(version))]
    while parts and parts[-1] == (1, 0):
        parts.pop()
    return tuple(parts)


def list_packages(models_dir: str | Path | None = None) -> list[ModelPackage]:
    """Every usable package folder in the models dir, sorted by folder name.

    A folder that is not a package is skipped with a PackageWarning rather than an error, because one stray
    folder must not make every installed package unusable. Hidden entries (our own in-progress installs) are
    skipped silently.
    """
    root = resolve_models_dir(models_dir)
    if not root.is_dir():
        return []
    packages = []
    for child in sorted(root.iterdir()):
        if child.name.startswith(".") or not child.is_dir():
            continue
        try:
            packages.append(read_package(child))
        except PackageError as exc:
            warnings.warn(f"ignoring {child}: {exc}", PackageWarning, stacklevel=2)
    return packages


def find_package(from_code: str, to_code: str, models_dir: str | Path | None = None) -> ModelPackage | None:
    """The newest installed package for the pair, or None. Traditional Chinese packages use Argos' code "zt".

    The folder returned is held (see the module docstring): an upgrade by another process cannot remove it
    while this process runs."""
    for _ in range(_FIND_ATTEMPTS):
        package = newest_package(from_code, to_code, models_dir)
        if package is None or _hold(package.path):
            return package
    return package  # removed under us every time: let loading say what is wrong


def newest_package(from_code: str, to_code: str, models_dir: str | Path | None = None) -> ModelPackage | None:
    """The newest installed package for the pair, or None, without holding it (for installers)."""
    matches = [p for p in list_packages(models_dir) if p.from_code == from_code and p.to_code == to_code]
    return max(matches, key=lambda p: version_key(p.package_version), default=None)


def superseded(packages: list[ModelPackage]) -> list[ModelPackage]:
    """The packages of ``packages`` for which a newer version of the same pair is among them."""
    newest: dict[tuple[str, str], ModelPackage] = {}
    for p in packages:
        best = newest.get((p.from_code, p.to_code))
        if best is None or version_key(p.package_version) > version_key(best.package_version):
            newest[(p.from_code, p.to_code)] = p
    return [p for p in packages if newest[(p.from_code, p.to_code)] is not p]


def remove_package(
    package: ModelPackage | str, to_code: str | None = None, models_dir: str | Path | None = None
) -> list[Path]:
    """Remove one package (``remove_package(pkg)``) or every version of a pair (``remove_package("zh", "en")``).

    Each folder is first renamed to a hidden name, so that it disappears from the models dir at once and a
    crash half-way through deletion never leaves a half-package that looks installed (the next install or remove
    deletes what a killed one left). Returns the removed paths.
    """
    if isinstance(package, ModelPackage):
        if not package.path.is_dir():
            raise ModelNotInstalledError(
                package.from_code, package.to_code, package.path.parent,
                message=f"{package.path} is not installed (no such folder)",
            )
        targets = [package.path]
    else:
        if to_code is None:
            raise TypeError("remove_package(from_code, to_code) needs both language codes")
        targets = [
            p.path for p in list_packages(models_dir) if p.from_code == package and p.to_code == to_code
        ]
        if not targets:
            root = resolve_models_dir(models_dir)
            raise ModelNotInstalledError(package, to_code, root,
                                         message=f"no {package}->{to_code} package is installed in {root}; nothing to remove")
    for path in targets:
        _delete(path, force=True)
    prune(targets[0].parent)
    return targets


def prune(root: Path) -> list[Path]:
    """Delete what no process needs any more: superseded versions that no running process holds, and the
    leftovers of killed installs and removals. Returns the package folders deleted."""
    remove_leftovers(root, r"\.(install|download)-.{8}|\.remove-.+")
    deleted = []
    for package in superseded(list_packages(root)):
        if _delete(package.path, force=False):
            deleted.append(package.path)
    return deleted


# --- holding packages ---------------------------------------------------------------------------------------
_FIND_ATTEMPTS = 5
_HELD: dict[str, int] = {}  # package folder -> the descriptor this process holds its shared lock on
_HELD_LOCK = threading.Lock()


def _open_folder(path: Path) -> int | None:
    try:
        return open_folder(path)
    except OSError:
        return None


def _hold(path: Path) -> bool:
    """Hold a shared lock on the package folder for the life of this process; False when the folder went away
    (an upgrade removed it) before the lock was taken."""
    if fcntl is None:
        return True
    key = str(path)
    with _HELD_LOCK:
        fd = _HELD.get(key)
        if fd is not None and still_there(fd, path):
            return True
        if fd is not None:  # the folder was replaced (removed, then installed again): hold the new one
            os.close(fd)
            del _HELD[key]
        fd = _open_folder(path)
        if fd is None:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)  # waits while a remover holds it, which then has renamed it away
        except OSError:
            os.close(fd)
            return True  # no locks on this file system: carry on unprotected, as before
        if not still_there(fd, path):
            os.close(fd)
            return False
        _HELD[key] = fd
        return True


def _delete(path: Path, force: bool) -> bool:
    """Rename a package folder away and delete it. An upgrade (not ``force``) gives up, leaving the folder, when
    a running process holds the package; an explicit removal (``force``) deletes it anyway. True when deleted."""
    fd = _open_folder(path)
    if fd is None:
        return False
    try:
        if force:
            with _HELD_LOCK:  # this process's own hold must not keep it from removing what it was asked to
                held = _HELD.pop(str(path), None)
            if held is not None:
                os.close(held)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held while deleting: no leftover for others
            except BlockingIOError:
                if not force:
                    return False
            except OSError:
                pass  # no locks on this file system
        if not still_there(fd, path):
            return False
        trash = path.with_name(f".remove-{path.name}-{os.urandom(4).hex()}")
        try:
            os.replace(path, trash)
        except OSError as exc:
            raise PackageError(f"cannot remove {path}: {exc.strerror or exc}") from exc
        shutil.rmtree(trash, ignore_errors=True)
        return True
    finally:
        os.close(fd)
