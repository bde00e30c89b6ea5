"""The Redis cache backend: one cache for every worker of a fleet and every run, under a key prefix.

It stores exactly the SQLite file's entries (the cache package makes the keys and values), as plain strings
under ``<prefix>:<table>:<key>`` (``xhs-translate:v1:segments:<sha256>``), so ``clear`` removes ours and only
ours (SCAN + UNLINK under the prefix, never FLUSHDB) and a Redis shared with other applications is safe.
Every call is one round trip: a look-up is one MGET (several in one pipeline for a huge one), a write one
MSET, or one pipeline of ``SET ... EX`` when entries expire (``ttl``, or ``?ttl=30d`` in the address).

A Redis that cannot be reached when the backend is made is a CacheError naming the address (never its
password); one that goes away later turns the backend off with one CacheWarning (``BackendBase``) and the run
goes on without it, as with SQLite. The ``redis`` client comes from the ``distributed`` extra and is imported
only when a backend is made. Redis Cluster is not supported (an MGET spans hash slots).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeGuard
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

from ..errors import CacheError, CacheTableError
from .base import TABLES, BackendBase

SCHEMES = ("redis", "rediss", "unix")
PREFIX = "xhs-translate:v1"
TTL_PARAM = "ttl"
_BATCH = 10_000  # keys per MGET/MSET/UNLINK; one pipeline carries all of a call's batches
_SCAN_COUNT = 1_000
_TTL = re.compile(r"\s*(\d+)\s*([smhdw]?)\s*", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}


def parse_ttl(value: str | int | None) -> int | None:
    """Seconds from ``3600``, ``90s``, ``15m``, ``12h``, ``30d`` or ``2w`` (None: entries never expire)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    else:
        match = _TTL.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise CacheError(
                f"a cache TTL is a number of seconds or a number with s, m, h, d or w (30d), got {value!r}")
        seconds = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if seconds < 1:
        raise CacheError(f"a cache TTL must be at least one second, got {value!r}")
    return seconds


def is_redis_address(value: object) -> TypeGuard[str]:
    """True for a ``redis://``, ``rediss://`` or ``unix://`` address."""
    return isinstance(value, str) and value.split("://", 1)[0].lower() in SCHEMES and "://" in value


_SECRET_PARAM = "password"  # redis-py's query parameter for the password (how unix:// addresses give one)
_USERINFO = re.compile(r"(?<=://)[^/?#]*@")
_SECRET_QUERY = re.compile(r"(?i)([?&])pass(?:word|%77ord)=[^&#]*&?")


def redact(url: str) -> str:
    """``url`` without its password, in every form an address holds one: ``redis://user:PASSWORD@host``,
    ``?password=PASSWORD`` (``unix:///path/redis.sock?password=...``), or both (for messages, stats and
    signatures). Never raises: from an address that does not parse, every user part and ``password=`` goes."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "redis://[::1/0": no structure to trust
        return _SECRET_QUERY.sub(lambda m: m.group(1), _USERINFO.sub("", url)).rstrip("?&")
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}@{host}" if user else host
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(name.lower() == _SECRET_PARAM for name, _ in pairs):
        query = urlencode([(name, value) for name, value in pairs if name.lower() != _SECRET_PARAM])
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return _join(parts, netloc, query)


def _join(parts: SplitResult, netloc: str, query: str) -> str:
    """An address from its parts, by hand: ``urlunsplit`` writes ``unix:///path`` as ``unix:/path``, which the
    client refuses."""
    return (f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")
            + (f"#{parts.fragment}" if parts.fragment else ""))


def _checked(url: str) -> str:
    """``url`` when it parses as an address (its port a number); else a CacheError naming it without secrets."""
    try:
        _ = urlsplit(url).port  # reading the port raises for one that is not a number
    except ValueError as exc:
        raise CacheError(f"invalid Redis address {redact(url)!r} ({exc}): expected redis://[[USER]:PASSWORD@]HOST"
                         "[:PORT][/DB], rediss://... or unix:///PATH/redis.sock[?password=...]") from None
    return url


def _split_ttl(url: str) -> tuple[str, str | None]:
    """The address without our ``ttl`` query parameter (the client would refuse it), and that parameter."""
    parts = urlsplit(_checked(url))
    query = parse_qsl(parts.query, keep_blank_values=True)
    ttl = [value for name, value in query if name == TTL_PARAM]
    rest = [(name, value) for name, value in query if name != TTL_PARAM]
    return _join(parts, parts.netloc, urlencode(rest)), (ttl[-1] if ttl else None)


def _without_secrets(exc: BaseException, url: str) -> str:
    """The client's message, with any password of ``url`` in it replaced by ``***``."""
    text = str(exc)
    parts = urlsplit(url)
    secrets = [parts.password, *(v for n, v in parse_qsl(parts.query) if n.lower() == _SECRET_PARAM)]
    for secret in filter(None, secrets):
        text = text.replace(secret, "***")
    return text


class RedisCache(BackendBase):
    """The cache in the Redis at ``url`` (``redis://[user:password@]host:port/db``, ``rediss://`` for TLS,
    ``unix:///path/redis.sock``). ``ttl``: seconds (or ``30d``) before an entry expires, overriding ``?ttl=``
    in the address; None keeps entries until cleared. Thread-safe (a connection pool); a closed backend
    reconnects on next use."""

    def __init__(self, url: str, *, ttl: str | int | None = None, prefix: str = PREFIX, timeout: float = 10.0):
        address, url_ttl = _split_ttl(url)
        super().__init__(redact(address))
        self.ttl = parse_ttl(ttl if ttl is not None else url_ttl)
        self.prefix = prefix
        try:
            import redis
        except ImportError:
            raise CacheError(f"the cache {self.description} needs the redis client: "
                             "pip install 'xhs-translate[distributed]'") from None
        self._errors_caught = (redis.RedisError, OSError)
        try:
            # Values are JSON text; surrogatepass round-trips a lone surrogate that a comment may hold.
            self._client = redis.Redis.from_url(address, decode_responses=True, encoding_errors="surrogatepass",
                                                socket_timeout=timeout, socket_connect_timeout=timeout)
            self._client.ping()
        except (*self._errors_caught, ValueError) as exc:
            raise CacheError(
                f"cannot use the Redis cache at {self.description}: {_without_secrets(exc, address)}") from None

    def _key(self, table: str, key: str) -> str:
        if table not in TABLES:
            raise CacheTableError(f"no cache table {table!r}: one of {', '.join(TABLES)}")
        return f"{self.prefix}:{table}:{key}"

    def get_many(self, table: str, keys: Iterable[str]) -> dict[str, str]:
        """The stored values among ``keys``: one MGET per 10,000 keys, all in one round trip."""
        wanted = list(dict.fromkeys(keys))
        if not wanted or not self.enabled:
            return {}
        names = [self._key(table, key) for key in wanted]
        try:
            pipe = self._client.pipeline(transaction=False)
            for i in range(0, len(names), _BATCH):
                pipe.mget(names[i : i + _BATCH])
            values = [value for batch in pipe.execute() for value in batch]
        except self._errors_caught as exc:
            self._disable(exc)
            return {}
        return {key: value for key, value in zip(wanted, values) if value is not None}

    def put_many(self, table: str, items: Mapping[str, str]) -> None:
        """Store values in one round trip: MSET, or ``SET key value EX ttl`` per entry when they expire."""
        if not items or not self.enabled:
            return
        entries = [(self._key(table, key), value) for key, value in items.items()]
        try:
            pipe = self._client.pipeline(transaction=False)
            if self.ttl is None:
                for i in range(0, len(entries), _BATCH):
                    pipe.mset(dict(entries[i : i + _BATCH]))
            else:
                for name, value in entries:
                    pipe.set(name, value, ex=self.ttl)
            pipe.execute()
        except self._errors_caught as exc:
            self._disable(exc)

    def _scan(self, pattern: str) -> Iterator[list[str]]:
        """Our keys matching ``pattern``, in batches (SCAN never blocks the server like KEYS would)."""
        batch: list[str] = []
        for name in self._client.scan_iter(match=pattern, count=_SCAN_COUNT):
            batch.append(name)
            if len(batch) >= _BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    def _pattern(self, table: str = "*") -> str:
        return re.sub(r"([*?\[\]\\])", r"\\\1", self.prefix) + f":{table}:*"

    def stats(self) -> dict[str, Any]:
        """Entries per table (counted with SCAN under the prefix; None when Redis cannot be read), the address
        and the TTL."""
        entries: dict[str, int] | None = None
        if self.enabled:
            try:
                entries = {table: sum(len(b) for b in self._scan(self._pattern(table))) for table in TABLES}
            except self._errors_caught as exc:
                self._disable(exc)
        return {**self._base_stats(), "url": self.description, "prefix": self.prefix, "ttl": self.ttl,
                "entries": entries}

    def clear(self) -> int:
        """Remove every key under our prefix (and nothing else); return how many there were."""
        if not self.enabled:
            return 0
        removed = 0
        try:
            for batch in self._scan(self._pattern()):
                removed += self._client.unlink(*batch)
        except self._errors_caught as exc:
            self._disable(exc)
        return removed

    def close(self) -> None:
        """Close the pool's connections (the next call reconnects)."""
        self._client.close()
