"""An in-process LRU in front of any backend, so that a segment repeated across a thread is read from disk (or
Redis) once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from .base import CacheBackend


class MemoryCache:
    """``backend`` with an LRU of ``size`` entries for the ``tables`` given. Other tables pass straight through
    (whole-comment results have their own decoded memo in the Translator)."""

    def __init__(self, backend: CacheBackend, size: int = 50_000, tables: tuple[str, ...] = ("segments",)):
        self.backend = backend
        self.description = backend.description
        self._size = size
        self._tables = tables
        self._lru: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.backend.enabled

    @property
    def error_count(self) -> int:
        return self.backend.error_count

    def get_many(self, table: str, keys: Iterable[str]) -> dict[str, str]:
        if table not in self._tables:
            return self.backend.get_many(table, keys)
        found: dict[str, str] = {}
        missing: list[str] = []
        with self._lock:
            for key in dict.fromkeys(keys):
                value = self._lru.get((table, key))
                if value is None:
                    missing.append(key)
                else:
                    self._lru.move_to_end((table, key))
                    found[key] = value
        if missing:
            stored = self.backend.get_many(table, missing)
            self._remember(table, stored)
            found.update(stored)
        return found

    def put_many(self, table: str, items: Mapping[str, str]) -> None:
        if table in self._tables:
            self._remember(table, items)
        self.backend.put_many(table, items)

    def _remember(self, table: str, items: Mapping[str, str]) -> None:
        with self._lock:
            for key, value in items.items():
                self._lru[(table, key)] = value
                self._lru.move_to_end((table, key))
            while len(self._lru) > self._size:
                self._lru.popitem(last=False)

    def stats(self) -> dict[str, Any]:
        return {**self.backend.stats(), "memory_entries": len(self._lru)}

    def clear(self) -> int:
        with self._lock:
            self._lru.clear()
        return self.backend.clear()

    def close(self) -> None:
        self.backend.close()

    def __repr__(self) -> str:
        return f"MemoryCache({self.backend!r})"
