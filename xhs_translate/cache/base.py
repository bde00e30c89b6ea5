"""What every cache backend shares: the table names, and turning itself off with one warning after an error."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

#: The two kinds of entries: one model output per segment, one result per whole comment.
TABLES = ("segments", "comments")


class CacheBackend(Protocol):
    """A key -> value store of opaque strings in the ``TABLES``. Keys, value encoding and the layout version are the
    cache package's (``xhs_translate.cache``), so every backend stores exactly the same entries."""

    description: str

    @property
    def enabled(self) -> bool: ...

    @property
    def error_count(self) -> int: ...

    def get_many(self, table: str, keys: Iterable[str]) -> dict[str, str]:
        """The stored values among ``keys``, in one round trip (or a few), never one per key."""

    def put_many(self, table: str, items: Mapping[str, str]) -> None: ...

    def stats(self) -> dict[str, Any]:
        """At least ``enabled``, ``disabled_reason``, ``errors`` and ``entries`` ({table: count}, or None)."""

    def clear(self) -> int:
        """Remove our entries (never anybody else's); return how many there were."""

    def close(self) -> None: ...


class CacheWarning(UserWarning):
    """The persistent cache was turned off for this process; translations are unaffected."""


class BackendBase:
    """Error bookkeeping for a backend: the first failure warns once and turns the backend off; every failure is
    counted, so ``Translator.stats()`` can say the cache was lost part-way."""

    def __init__(self, description: str):
        self.description = description  # a path, or a URL without its password: for messages and signatures
        self._lock = threading.Lock()
        self._disabled_reason: str | None = None
        self._errors = 0

    @property
    def enabled(self) -> bool:
        """False once the backend has been turned off after an error."""
        return self._disabled_reason is None

    @property
    def error_count(self) -> int:
        return self._errors

    def _disable(self, exc: BaseException) -> None:
        with self._lock:
            first = self._disabled_reason is None
            self._disabled_reason = f"{type(exc).__name__}: {exc}"
            self._errors += 1
        if first:
            warnings.warn(
                f"translation cache {self.description} cannot be used ({exc}); continuing without it",
                CacheWarning,
                stacklevel=4,
            )

    def _base_stats(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "disabled_reason": self._disabled_reason, "errors": self._errors}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r})"
