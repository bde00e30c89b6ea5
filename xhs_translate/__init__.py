"""xhs-translate: offline zh<->en translation of Xiaohongshu comment threads.

Importing this package is cheap on purpose: models, fastText and CTranslate2 load on first use only.
Public names resolve lazily through ``__getattr__``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

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

__version__ = "0.1.0"

_LAZY = {
    "detect": "xhs_translate.detection",
    "detect_many": "xhs_translate.detection",
    "Detection": "xhs_translate.detection",
    "Translator": "xhs_translate.translator",
    "TranslatorConfig": "xhs_translate.config",
    "Translation": "xhs_translate.results",
    "Status": "xhs_translate.results",
    "translate_thread": "xhs_translate.translator",
}

__all__ = [
    "__version__",
    "CacheError",
    "CacheTableError",
    "DetectorError",
    "ExtensionError",
    "FieldCollisionError",
    "FormatError",
    "GlossaryError",
    "InputError",
    "MissingFieldError",
    "ModelChoiceError",
    "ModelError",
    "ModelNotInstalledError",
    "OptionError",
    "OutputError",
    "OutputPathError",
    "PackageError",
    "PackageIndexError",
    "PackageIndexHTTPError",
    "PackageIndexUnreachableError",
    "RayClusterError",
    "RecordTooLongError",
    "ThreadMismatchError",
    "TranslationFailedError",
    "UnknownFormatError",
    "UnsupportedPackageError",
    "WorkerError",
    "XhsTranslateError",
    *_LAZY,
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
