"""xhs-translate: offline zh<->en translation of Xiaohongshu comment threads.

Importing this package is cheap on purpose: models, fastText and CTranslate2 load on first use only.
Public names resolve lazily through ``__getattr__``; type checkers read the same names from the ``TYPE_CHECKING``
imports below (a test keeps the two lists equal). Modules and names starting with ``_`` are private.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import (
    CacheError,
    CacheTableError,
    DetectorError,
    ExtensionError,
    FieldCollisionError,
    FormatError,
    GlossaryError,
    InputError,
    MissingFieldError,
    ModelChoiceError,
    ModelError,
    ModelNotInstalledError,
    OptionConflictError,
    OptionError,
    OutputError,
    OutputPathError,
    PackageError,
    PackageIndexError,
    PackageIndexHTTPError,
    PackageIndexUnreachableError,
    RayClusterError,
    RecordTooLongError,
    ThreadMismatchError,
    TranslationFailedError,
    UnknownFormatError,
    UnsupportedPackageError,
    WorkerError,
    XhsTranslateError,
)

if TYPE_CHECKING:
    from .cache import open_cache
    from .cache.base import CacheBackend
    from .config import DecodeOptions, FieldSchema, TranslatorConfig
    from .detection import Detection, detect, detect_many
    from .glossary import Glossary, GlossaryEntry
    from .jobs import DetectReport, JobReport, detect_file, translate_file
    from .models.families.base import ModelPackage
    from .models.install import AutoInstaller, ensure_models, install_model, install_package, install_pair
    from .models.packages import find_package, list_packages, remove_package
    from .results import Flag, Stats, Status, Translation
    from .routing import pairs_for_mode
    from .translator import Translator, translate_thread

__version__ = "0.1.0"

#: public name -> the module that defines it, imported on first access
_LAZY = {
    "open_cache": "xhs_translate.cache",
    "CacheBackend": "xhs_translate.cache.base",
    "FieldSchema": "xhs_translate.config",
    "TranslatorConfig": "xhs_translate.config",
    "Detection": "xhs_translate.detection",
    "detect": "xhs_translate.detection",
    "detect_many": "xhs_translate.detection",
    "Glossary": "xhs_translate.glossary",
    "GlossaryEntry": "xhs_translate.glossary",
    "DecodeOptions": "xhs_translate.config",
    "ModelPackage": "xhs_translate.models.families.base",
    "AutoInstaller": "xhs_translate.models.install",
    "ensure_models": "xhs_translate.models.install",
    "install_model": "xhs_translate.models.install",
    "install_package": "xhs_translate.models.install",
    "install_pair": "xhs_translate.models.install",
    "find_package": "xhs_translate.models.packages",
    "list_packages": "xhs_translate.models.packages",
    "remove_package": "xhs_translate.models.packages",
    "DetectReport": "xhs_translate.jobs",
    "JobReport": "xhs_translate.jobs",
    "detect_file": "xhs_translate.jobs",
    "translate_file": "xhs_translate.jobs",
    "Flag": "xhs_translate.results",
    "Stats": "xhs_translate.results",
    "Status": "xhs_translate.results",
    "Translation": "xhs_translate.results",
    "pairs_for_mode": "xhs_translate.routing",
    "Translator": "xhs_translate.translator",
    "translate_thread": "xhs_translate.translator",
}

__all__ = [
    "AutoInstaller",
    "CacheBackend",
    "CacheError",
    "CacheTableError",
    "DecodeOptions",
    "DetectReport",
    "Detection",
    "DetectorError",
    "ExtensionError",
    "FieldCollisionError",
    "FieldSchema",
    "Flag",
    "FormatError",
    "Glossary",
    "GlossaryEntry",
    "GlossaryError",
    "InputError",
    "JobReport",
    "MissingFieldError",
    "ModelChoiceError",
    "ModelError",
    "ModelNotInstalledError",
    "ModelPackage",
    "OptionConflictError",
    "OptionError",
    "OutputError",
    "OutputPathError",
    "PackageError",
    "PackageIndexError",
    "PackageIndexHTTPError",
    "PackageIndexUnreachableError",
    "RayClusterError",
    "RecordTooLongError",
    "Stats",
    "Status",
    "ThreadMismatchError",
    "Translation",
    "TranslationFailedError",
    "Translator",
    "TranslatorConfig",
    "UnknownFormatError",
    "UnsupportedPackageError",
    "WorkerError",
    "XhsTranslateError",
    "__version__",
    "detect",
    "detect_file",
    "detect_many",
    "ensure_models",
    "find_package",
    "install_model",
    "install_package",
    "install_pair",
    "list_packages",
    "open_cache",
    "pairs_for_mode",
    "remove_package",
    "translate_file",
    "translate_thread",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'xhs_translate' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
