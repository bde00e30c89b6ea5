"""Installed model folders of every family (``families/``), and which one serves a direction.

Argos packages installed by argospm or LibreTranslate are reused as they are; quickmt, OPUS-MT, NLLB and M2M100
CTranslate2 folders sit beside them in the same models directory.

Where several installed models serve a direction, ``find_package`` takes the one the caller names (``model=``,
the CLI's ``--model``), else the first family in :data:`PREFERENCE` (newest version first within a family). The
order follows the published FLORES-200 devtest scores quoted in the README ("Models"), best first: zh->en by COMET
quickmt 86.3, OPUS-MT 84.4, NLLB-200 600M 84.2 (BLEU 24.0), Argos 84.2 (BLEU 23.3); en->zh quickmt 85.3, Argos
83.3, OPUS-MT 82.4, NLLB unpublished there. M2M100 has no published figure in those tables and comes last.

Upgrades never pull a package from under a process about to load it. ``find_package``, which loaders call,
takes a shared ``flock`` on the folder it returns and holds it for the life of the process (one descriptor per
package, an explicit per-process registry). An install that supersedes a version removes the old folder only
when it can take an exclusive lock on it, that is when no running process has found it; otherwise the old
version stays (``models list`` marks it superseded) and a later install or remove in that models dir deletes
it once those processes have ended. A loader that lists the folder just before it goes finds it gone when it
takes the lock, and looks again, onto the new version. ``remove_package`` removes at once: the caller asked for it.
Versions are ordered within the Argos family only (the others' versions are content hashes), so only Argos
packages are ever superseded.
"""

from __future__ import annotations

import os
import shutil
import threading
import warnings
from collections.abc import Mapping
from pathlib import Path

from .._staging import open_folder, remove_leftovers, still_there
from ..errors import ModelChoiceError, ModelNotInstalledError, OptionError, PackageError

try:
    import fcntl
except ImportError:  # Windows: no locks, so superseded versions are removed at once, as before
    fcntl = None  # type: ignore[assignment]
from .families import read_folder
from .families.argos import BPE_FILE, DEMO_KEY, METADATA_FILE, SENTENCEPIECE_FILE, normalize_version, version_key
from .families.base import MANIFEST_FILE, UNKNOWN_VERSION, Manifest, ModelPackage
from .registry import snapshot

__all__ = [
    "BPE_FILE", "DEMO_KEY", "MANIFEST_FILE", "METADATA_FILE", "PREFERENCE", "SENTENCEPIECE_FILE", "UNKNOWN_VERSION",
    "Manifest", "ModelPackage", "PackageWarning", "find_package", "list_packages", "matches_model",
    "newest_package", "normalize_version", "prune", "read_folder", "read_package", "remove_package",
    "resolve_models_dir", "select_package", "superseded", "version_key",
]

MODELS_DIR_ENV = "XHS_TRANSLATE_MODELS_DIR"
ARGOS_PACKAGES_DIR_ENV = "ARGOS_PACKAGES_DIR"
# The directory argospm and LibreTranslate install into, so their packages are reused as they are.
DEFAULT_MODELS_DIR = Path("~/.local/share/argos-translate/packages")

_INTO_ENGLISH = ("quickmt", "opus-mt", "nllb", "argos", "m2m100")
_FROM_ENGLISH = ("quickmt", "argos", "opus-mt", "nllb", "m2m100")
#: Family preference per target language (module docstring); zt directions follow zh's.
PREFERENCE: Mapping[str, tuple[str, ...]] = {"en": _INTO_ENGLISH, "zh": _FROM_ENGLISH, "zt": _FROM_ENGLISH}


class PackageWarning(UserWarning):
    """A folder in the models directory was skipped because it is not a usable model."""


def read_package(path: str | Path) -> ModelPackage:
    """The package of a one-direction folder (an Argos package, a bilingual quickmt or OPUS-MT model)."""
    packages = read_folder(path)
    if len(packages) != 1:
        pairs = ", ".join(p.pair for p in packages)
        raise PackageError(f"{path} serves several directions ({pairs}); use read_folder() for all of them")
    return packages[0]


def resolve_models_dir(models_dir: str | Path | None = None) -> Path:
    """Where packages live: the argument, else $XHS_TRANSLATE_MODELS_DIR, else $ARGOS_PACKAGES_DIR, else Argos'
    default."""
    for candidate in (models_dir, os.environ.get(MODELS_DIR_ENV), os.environ.get(ARGOS_PACKAGES_DIR_ENV)):
        if candidate is not None and str(candidate) != "":
            return Path(candidate).expanduser()
    return DEFAULT_MODELS_DIR.expanduser()


def list_packages(models_dir: str | Path | None = None) -> list[ModelPackage]:
    """Every direction served by a usable model folder in the models dir, by folder name (a multilingual folder
    gives one package per direction).

    A folder that is not a model is skipped with a PackageWarning rather than an error, because one stray
    folder must not make every installed model unusable. Hidden entries (our own in-progress installs) are
    skipped silently.

    Every caller shares one snapshot per models dir (``registry.py``), read again only when the folder changes.
    """
    found = snapshot(resolve_models_dir(models_dir))
    for path, message in found.skipped:
        warnings.warn(f"ignoring {path}: {message}", PackageWarning, stacklevel=2)
    return list(found.packages)


def matches_model(package: ModelPackage, name: str) -> bool:
    """Whether ``name`` (from ``--model``) designates the package: its family, model id, folder name, or package id
    with or without the version (``quickmt``, ``quickmt-zh-en``, ``quickmt:quickmt-zh-en@sha-...``)."""
    family_model = package.package_id.rsplit("@", 1)[0]
    return name in (package.family, package.model_id, package.path.name, package.package_id, family_model)



def find_package(
    from_code: str, to_code: str, models_dir: str | Path | None = None, model: str | None = None,
    prefer: str | None = None,
) -> ModelPackage | None:
    """The installed package that serves the direction (:func:`select_package`), or None. Traditional Chinese
    uses Argos' code "zt".

    The folder returned is held (see the module docstring): an upgrade by another process cannot remove it
    while this process runs."""
    for _ in range(_FIND_ATTEMPTS):
        package = select_package(from_code, to_code, models_dir, model=model, prefer=prefer)
        if package is None or _hold(package.path):
            return package
    return package  # removed under us every time: let loading say what is wrong


def select_package(
    from_code: str, to_code: str, models_dir: str | Path | None = None, model: str | None = None,
    prefer: str | None = None,
) -> ModelPackage | None:
    """The package that serves the direction, without holding it.

    ``model`` pins one (ModelChoiceError when no installed model of that name serves the direction, listing those
    that do); ``prefer`` names a model to take where it serves the direction, falling back to the preference order.
    Otherwise: :data:`PREFERENCE` by family, then the newest version, then the folder name.
    """
    candidates = [p for p in list_packages(models_dir) if p.from_code == from_code and p.to_code == to_code]
    for name, strict in ((model, True), (prefer, False)):
        if name is None:
            continue
        chosen = [p for p in candidates if matches_model(p, name)]
        if chosen:
            candidates = chosen
        elif strict:
            served = ", ".join(sorted({f"{p.family}:{p.model_id} ({p.path.name})" for p in candidates})) or "none"
            raise ModelChoiceError(
                f"no installed model named {name!r} translates {from_code}->{to_code} in "
                f"{resolve_models_dir(models_dir)}; "
                f"models that do: {served}"
            )
    order = PREFERENCE.get(to_code, _INTO_ENGLISH)
    best = sorted(candidates, key=lambda p: p.path.name)
    best.sort(key=lambda p: version_key(p.package_version), reverse=True)
    best.sort(key=lambda p: order.index(p.family) if p.family in order else len(order))
    return best[0] if best else None


def newest_package(from_code: str, to_code: str, models_dir: str | Path | None = None) -> ModelPackage | None:
    """The newest installed Argos package for the pair, or None, without holding it (for installers: versions
    compare within the Argos family only)."""
    matches = [p for p in list_packages(models_dir)
               if p.family == "argos" and p.from_code == from_code and p.to_code == to_code]
    return max(matches, key=lambda p: version_key(p.package_version), default=None)


def superseded(packages: list[ModelPackage]) -> list[ModelPackage]:
    """The Argos packages of ``packages`` for which a newer version of the same pair is among them."""
    argos = [p for p in packages if p.family == "argos"]
    newest: dict[tuple[str, str], ModelPackage] = {}
    for p in argos:
        best = newest.get((p.from_code, p.to_code))
        if best is None or version_key(p.package_version) > version_key(best.package_version):
            newest[(p.from_code, p.to_code)] = p
    return [p for p in argos if newest[(p.from_code, p.to_code)] is not p]


def remove_package(
    package: ModelPackage | str, to_code: str | None = None, models_dir: str | Path | None = None
) -> list[Path]:
    """Remove one package's folder (``remove_package(pkg)``) or every folder of a pair (``remove_package("zh", "en")``).

    Each folder is first renamed to a hidden name, so that it disappears from the models dir at once and a
    crash half-way through deletion never leaves a half-package that looks installed (the next install or remove
    deletes what a killed one left). Returns the removed paths. A multilingual folder also serves other
    directions: removing it by pair is refused with a message naming them.
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
            raise OptionError("remove_package(from_code, to_code) needs both language codes")
        installed = list_packages(models_dir)
        targets = list(dict.fromkeys(p.path for p in installed if p.from_code == package and p.to_code == to_code))
        if not targets:
            root = resolve_models_dir(models_dir)
            raise ModelNotInstalledError(
                package, to_code, root,
                message=f"no {package}->{to_code} package is installed in {root}; nothing to remove")
        for path in targets:
            others = sorted({p.pair for p in installed if p.path == path} - {f"{package}-{to_code}"})
            if others:
                raise PackageError(
                    f"{path} also translates {', '.join(others)}; to remove it for every direction, delete the folder"
                )
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
