"""Installed model folders of every family (``families/``), and which one serves a direction.

Argos packages installed by argospm or LibreTranslate are reused as they are; quickmt, OPUS-MT, NLLB and M2M100
CTranslate2 folders sit beside them in the same models directory.

Where several installed models serve a direction, ``find_package`` takes the one the caller names (``model=``,
the CLI's ``--model``), else the first family in :data:`PREFERENCE` (newest version first within a family). The
order follows the published FLORES-200 devtest scores quoted in the README ("Models"), best first: zh->en by COMET
quickmt 86.3, OPUS-MT 84.4, NLLB-200 600M 84.2 (BLEU 24.0), Argos 84.2 (BLEU 23.3); en->zh quickmt 85.3, Argos
83.3, OPUS-MT 82.4, NLLB unpublished there. M2M100 has no published figure in those tables and comes last.
"""

from __future__ import annotations

import os
import shutil
import uuid
import warnings
from pathlib import Path
from typing import Mapping

from ..errors import ModelChoiceError, ModelNotInstalledError, PackageError
from .families import read_folder
from .families.argos import BPE_FILE, METADATA_FILE, SENTENCEPIECE_FILE, normalize_version, version_key
from .families.base import MANIFEST_FILE, UNKNOWN_VERSION, Manifest, ModelPackage, parse_pair

__all__ = [
    "BPE_FILE", "MANIFEST_FILE", "METADATA_FILE", "PREFERENCE", "SENTENCEPIECE_FILE", "UNKNOWN_VERSION", "Manifest",
    "ModelPackage", "PackageWarning", "find_package", "list_packages", "matches_model", "model_choices",
    "normalize_version", "parse_pair", "read_folder", "read_package", "remove_package", "resolve_models_dir",
    "version_key",
]

MODELS_DIR_ENV = "XHS_TRANSLATE_MODELS_DIR"
ARGOS_PACKAGES_DIR_ENV = "ARGOS_PACKAGES_DIR"
# The directory argospm and LibreTranslate install into, so their packages are reused as they are.
DEFAULT_MODELS_DIR = Path("~/.local/share/argos-translate/packages")
ANY_DIRECTION = "*"

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
    """Where packages live: the argument, else $XHS_TRANSLATE_MODELS_DIR, else $ARGOS_PACKAGES_DIR, else Argos' default."""
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
    """
    root = resolve_models_dir(models_dir)
    if not root.is_dir():
        return []
    packages: list[ModelPackage] = []
    for child in sorted(root.iterdir()):
        if child.name.startswith(".") or not child.is_dir():
            continue
        try:
            packages.extend(read_folder(child))
        except PackageError as exc:
            warnings.warn(f"ignoring {child}: {exc}", PackageWarning, stacklevel=2)
    return packages


def matches_model(package: ModelPackage, name: str) -> bool:
    """Whether ``name`` (from ``--model``) designates the package: its family, model id, folder name, or package id
    with or without the version (``quickmt``, ``quickmt-zh-en``, ``quickmt:quickmt-zh-en@sha-...``)."""
    family_model = package.package_id.rsplit("@", 1)[0]
    return name in (package.family, package.model_id, package.path.name, package.package_id, family_model)


def model_choices(models: str | Mapping[str, str] | None) -> dict[str, str]:
    """The ``models=`` option as ``{"zh-en": NAME, "*": NAME}``: a str names the model for every direction it
    serves; a mapping's keys are directions (``"zh-en"``) or ``"*"``."""
    if models is None:
        return {}
    if isinstance(models, str):
        models = {ANY_DIRECTION: models}
    if not isinstance(models, Mapping):
        raise TypeError(f"models must be a model name or a {{'zh-en': name}} mapping, got {type(models).__name__}")
    out = {}
    for key, name in models.items():
        if not isinstance(name, str) or not name.strip():
            raise TypeError(f"models[{key!r}] must be a model name (str), got {name!r}")
        direction = key if key == ANY_DIRECTION else "-".join(parse_pair(key))
        out[direction] = name.strip()
    return out


def find_package(
    from_code: str, to_code: str, models_dir: str | Path | None = None, model: str | None = None,
    prefer: str | None = None,
) -> ModelPackage | None:
    """The installed package that serves the direction, or None. Traditional Chinese uses Argos' code "zt".

    ``model`` pins one (ModelChoiceError when no installed model of that name serves the direction, listing those
    that do);
    ``prefer`` names a model to take where it serves the direction, falling back to the preference order.
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
                f"no installed model named {name!r} translates {from_code}->{to_code} in {resolve_models_dir(models_dir)}; "
                f"models that do: {served}"
            )
    order = PREFERENCE.get(to_code, _INTO_ENGLISH)
    best = sorted(candidates, key=lambda p: p.path.name)
    best.sort(key=lambda p: version_key(p.package_version), reverse=True)
    best.sort(key=lambda p: order.index(p.family) if p.family in order else len(order))
    return best[0] if best else None


def remove_package(
    package: ModelPackage | str, to_code: str | None = None, models_dir: str | Path | None = None
) -> list[Path]:
    """Remove one package's folder (``remove_package(pkg)``) or every folder of a pair (``remove_package("zh", "en")``).

    Each folder is first renamed to a hidden name, so that it disappears from the models dir at once and a
    crash half-way through deletion never leaves a half-package that looks installed. Returns the removed paths.
    A multilingual folder also serves other directions: removing it by pair is refused with a message naming them.
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
        installed = list_packages(models_dir)
        targets = list(dict.fromkeys(p.path for p in installed if p.from_code == package and p.to_code == to_code))
        if not targets:
            raise ModelNotInstalledError(package, to_code, resolve_models_dir(models_dir))
        for path in targets:
            others = sorted({p.pair for p in installed if p.path == path} - {f"{package}-{to_code}"})
            if others:
                raise PackageError(
                    f"{path} also translates {', '.join(others)}; to remove it for every direction, delete the folder"
                )
    for path in targets:
        trash = path.with_name(f".remove-{path.name}-{uuid.uuid4().hex[:8]}")
        os.replace(path, trash)
        shutil.rmtree(trash)
    return targets
