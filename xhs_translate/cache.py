"""Translation cache: SQLite in WAL mode, shared by threads and processes, with an in-process LRU in front.

One row per (model package+version, language pair, decoding options, glossary, normalised segment), so
a re-run of a thread, or the same ``哈哈哈`` in a thousand comments, costs the model nothing, and a new
model version or decoding setting can never be served an old answer: they are part of the key.

The cache is an optimisation, never a point of failure: a corrupt, locked-out or unwritable file turns
the persistent layer off with one ``CacheWarning`` and translation goes on (the LRU keeps working).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Iterable, Mapping

from .segment import normalize_segment

CACHE_ENV = "XHS_TRANSLATE_CACHE"
CACHE_FILE = "translations.sqlite3"
_SCHEMA = "CREATE TABLE IF NOT EXISTS translations (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL) WITHOUT ROWID"
_CHUNK = 500  # host parameters per SELECT, well under SQLite's limit


class CacheWarning(UserWarning):
    """The persistent cache was turned off for this process; translations are unaffected."""


def default_cache_path() -> Path:
    """``$XHS_TRANSLATE_CACHE``, else ``translations.sqlite3`` in the platform's user cache folder."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("xhs-translate")) / CACHE_FILE


def make_key(package_id: str, source_lang: str, target_lang: str, options_fp: str, glossary_fp: str, segment: str) -> str:
    """The cache key: a hash of everything that decides a segment's model output."""
    parts = (package_id, source_lang, target_lang, options_fp, glossary_fp, normalize_segment(segment))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


class TranslationCache:
    """A key -> raw model output store. Thread-safe (one connection per thread) and process-safe (WAL + busy timeout)."""

    def __init__(self, path: str | Path, lru_size: int = 50_000, timeout: float = 30.0):
        self._path = Path(path).expanduser()
        self._lru: OrderedDict[str, str] = OrderedDict()
        self._lru_size = lru_size
        self._timeout = timeout
        self._lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._disabled_reason: str | None = None

    @property
    def path(self) -> Path:
        return self._path

    @property
    def enabled(self) -> bool:
        """False once the persistent layer has been turned off after an error."""
        return self._disabled_reason is None

    # --- persistent layer -----------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection | None:
        if self._disabled_reason is not None:
            return None
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(self._path), timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            self._setup(conn)
        except (sqlite3.Error, OSError) as exc:
            self._disable(exc)
            return None
        self._local.conn = conn
        with self._lock:
            self._connections.append(conn)
        return conn

    def _setup(self, conn: sqlite3.Connection) -> None:
        """WAL mode and the table. Retried while another connection is doing the same: SQLite answers some of
        these races (two first-time schema writers, a journal-mode switch) with an immediate "locked"."""
        conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("BEGIN IMMEDIATE")  # take the write lock first, so the busy timeout applies
                conn.execute(_SCHEMA)
                conn.execute("COMMIT")
                return
            except sqlite3.OperationalError as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                transient = "locked" in str(exc) or "busy" in str(exc)
                if not transient or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _disable(self, exc: BaseException) -> None:
        with self._lock:
            first = self._disabled_reason is None
            self._disabled_reason = f"{type(exc).__name__}: {exc}"
        if first:
            warnings.warn(
                f"translation cache {self._path} cannot be used ({exc}); continuing without the persistent cache",
                CacheWarning,
                stacklevel=4,
            )

    # --- API ----------------------------------------------------------------------------------------
    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        """The cached values among ``keys`` (LRU first, then one SELECT per chunk of misses)."""
        found: dict[str, str] = {}
        missing: list[str] = []
        with self._lock:
            for key in dict.fromkeys(keys):
                value = self._lru.get(key)
                if value is None:
                    missing.append(key)
                else:
                    self._lru.move_to_end(key)
                    found[key] = value
        conn = self._connection() if missing else None
        if conn is None:
            return found
        from_db: dict[str, str] = {}
        try:
            for i in range(0, len(missing), _CHUNK):
                chunk = missing[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                from_db.update(conn.execute(f"SELECT key, value FROM translations WHERE key IN ({marks})", chunk).fetchall())
        except sqlite3.Error as exc:
            self._disable(exc)
        self._remember(from_db)
        found.update(from_db)
        return found

    def put_many(self, items: Mapping[str, str]) -> None:
        """Store values in the LRU and, in one transaction, on disk."""
        if not items:
            return
        self._remember(items)
        conn = self._connection()
        if conn is None:
            return
        now = time.time()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT OR REPLACE INTO translations (key, value, created) VALUES (?, ?, ?)",
                    [(k, v, now) for k, v in items.items()],
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except (sqlite3.Error, UnicodeEncodeError) as exc:
            self._disable(exc)

    def _remember(self, items: Mapping[str, str]) -> None:
        with self._lock:
            for key, value in items.items():
                self._lru[key] = value
                self._lru.move_to_end(key)
            while len(self._lru) > self._lru_size:
                self._lru.popitem(last=False)

    def stats(self) -> dict:
        """Entries and size on disk, for ``xhs-translate cache stats``."""
        conn = self._connection()
        entries = None
        if conn is not None:
            try:
                entries = conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
            except sqlite3.Error as exc:
                self._disable(exc)
        size = sum(p.stat().st_size for p in self._files() if p.exists())
        return {
            "path": str(self._path),
            "enabled": self.enabled,
            "disabled_reason": self._disabled_reason,
            "entries": entries,
            "size_bytes": size,
            "memory_entries": len(self._lru),
        }

    def clear(self) -> int:
        """Delete every entry (disk and memory); returns how many rows were on disk."""
        with self._lock:
            self._lru.clear()
        conn = self._connection()
        if conn is None:
            return 0
        try:
            removed = conn.execute("DELETE FROM translations").rowcount
            conn.execute("VACUUM")
        except sqlite3.Error as exc:
            self._disable(exc)
            return 0
        return removed

    def close(self) -> None:
        """Close every thread's connection (a closed cache reopens on next use)."""
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:  # opened with check_same_thread=False; each is only used by its own thread
            conn.close()
        self._local = threading.local()

    def _files(self) -> list[Path]:
        return [self._path, self._path.with_name(self._path.name + "-wal"), self._path.with_name(self._path.name + "-shm")]

    def __repr__(self) -> str:
        return f"TranslationCache({str(self._path)!r})"
