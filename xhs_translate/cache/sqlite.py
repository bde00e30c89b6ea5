"""The SQLite cache backend: one file in WAL mode, shared by the threads and processes of one machine.

The cache is an optimisation, never a point of failure: a corrupt, locked-out or unwritable file turns the
backend off with one ``CacheWarning``, counts the error, and translation goes on.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import CacheTableError
from .base import TABLES, BackendBase

CACHE_ENV = "XHS_TRANSLATE_CACHE"
CACHE_FILE = "translations.sqlite3"
# Table names on disk: segment entries keep the name earlier releases gave them, so old files stay warm.
_TABLE_NAMES = {"segments": "translations", "comments": "comments"}
_SCHEMA = [
    f"CREATE TABLE IF NOT EXISTS {name} (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL)"
    " WITHOUT ROWID"
    for name in _TABLE_NAMES.values()
]
_CHUNK = 500  # host parameters per SELECT, well under SQLite's limit


def _table_name(table: str) -> str:
    try:
        return _TABLE_NAMES[table]
    except KeyError:
        raise CacheTableError(f"no cache table {table!r}: one of {', '.join(TABLES)}") from None


def default_cache_path() -> Path:
    """``$XHS_TRANSLATE_CACHE``, else ``translations.sqlite3`` in the platform's user cache folder."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("xhs-translate")) / CACHE_FILE


class SqliteCache(BackendBase):
    """Thread-safe (one connection per thread) and process-safe (WAL + busy timeout)."""

    def __init__(self, path: str | Path, timeout: float = 30.0):
        super().__init__(str(Path(path).expanduser()))
        self._path = Path(path).expanduser()
        self._timeout = timeout
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []

    @property
    def path(self) -> Path:
        return self._path

    def _connection(self) -> sqlite3.Connection | None:
        if not self.enabled:
            return None
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self._path), timeout=self._timeout, isolation_level=None,
                                   check_same_thread=False)
            self._setup(conn)
        except (sqlite3.Error, OSError) as exc:
            self._disable(exc)
            return None
        self._local.conn = conn
        with self._lock:
            self._connections.append(conn)
        return conn

    def _setup(self, conn: sqlite3.Connection) -> None:
        """WAL mode and the tables. Retried while another connection is doing the same: SQLite answers some of
        these races (two first-time schema writers, a journal-mode switch) with an immediate "locked"."""
        conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("BEGIN IMMEDIATE")  # take the write lock first, so the busy timeout applies
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute("COMMIT")
                return
            except sqlite3.OperationalError as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                transient = "locked" in str(exc) or "busy" in str(exc)
                if not transient or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def get_many(self, table: str, keys: Iterable[str]) -> dict[str, str]:
        """The stored values among ``keys``, one SELECT per chunk."""
        name = _table_name(table)
        wanted = list(dict.fromkeys(keys))
        conn = self._connection() if wanted else None
        found: dict[str, str] = {}
        if conn is None:
            return found
        try:
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                found.update(conn.execute(f"SELECT key, value FROM {name} WHERE key IN ({marks})", chunk).fetchall())
        except sqlite3.Error as exc:
            self._disable(exc)
        return found

    def put_many(self, table: str, items: Mapping[str, str]) -> None:
        """Store values in one transaction."""
        name = _table_name(table)
        conn = self._connection() if items else None
        if conn is None:
            return
        now = time.time()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    f"INSERT OR REPLACE INTO {name} (key, value, created) VALUES (?, ?, ?)",
                    [(k, v, now) for k, v in items.items()],
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except (sqlite3.Error, UnicodeEncodeError) as exc:
            self._disable(exc)

    def stats(self) -> dict[str, Any]:
        """Entries per table (None when the file cannot be read) and size on disk."""
        conn = self._connection()
        entries: dict[str, int] | None = None
        if conn is not None:
            try:
                entries = {t: conn.execute(f"SELECT COUNT(*) FROM {_TABLE_NAMES[t]}").fetchone()[0] for t in TABLES}
            except sqlite3.Error as exc:
                self._disable(exc)
                entries = None
        size = sum(p.stat().st_size for p in self._files() if p.exists())
        return {**self._base_stats(), "path": str(self._path), "entries": entries, "size_bytes": size}

    def clear(self) -> int:
        """Delete every entry and give the space back; returns how many there were. VACUUM alone writes the
        compacted database into the WAL, which then holds as much as the file did until the last connection closes
        (a 46 MB cache stayed 46 MB, file and WAL, until then): the TRUNCATE checkpoint shrinks both now."""
        conn = self._connection()
        if conn is None:
            return 0
        try:
            removed = sum(conn.execute(f"DELETE FROM {name}").rowcount for name in _TABLE_NAMES.values())
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
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
        return [self._path, *(self._path.with_name(self._path.name + suffix) for suffix in ("-wal", "-shm"))]
