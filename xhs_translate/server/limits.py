"""API keys and per-minute request limits, with LibreTranslate's option names and error messages.

``--api-keys FILE`` holds one key a line, optionally ``key<TAB>requests-per-minute`` (blank lines and ``#``
comments are skipped). With a file, every rate-limited endpoint needs a key: a missing one is a 400 (as
LibreTranslate answers it), an unknown one a 403. Each key has its own window, so one key's traffic never
blocks another's; without keys, each client address has its own window under ``--req-limit``.

The window slides over the last 60 seconds (LibreTranslate's "moving window"): a request is let in when fewer
than ``limit`` requests of the same key (or address) were let in during the minute before it. Windows of keys
or addresses that stayed quiet for a minute are dropped, so memory follows the active clients only.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from .api import ApiError
from .config import NO_LIMIT

WINDOW_SECONDS = 60.0
MISSING_KEY = "Please contact the server operator to get an API key"  # LibreTranslate's words


@dataclass(frozen=True)
class ApiKeys:
    """Known keys and their own per-minute limits (None: the server's ``--req-limit``)."""

    limits: dict[str, int | None]

    @classmethod
    def from_file(cls, path: str | Path) -> ApiKeys:
        """Read ``key`` or ``key<TAB>requests-per-minute`` lines; raise InputError naming the bad line. A UTF-8 BOM
        (Windows editors write one) is not part of the first key; a key given twice is an error, not a silent
        override of its limit."""
        if Path(path).is_dir():
            raise InputError(f"the API keys file {path} is a folder: give the file inside it")
        try:
            lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the API keys file {path}: {exc}") from exc
        limits: dict[str, int | None] = {}
        lines_of: dict[str, int] = {}
        for number, line in enumerate(lines, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, _, limit = line.partition("\t")
            key, limit = key.strip(), limit.strip()
            if not key or any(c.isspace() for c in key):
                raise InputError(f"{path}:{number}: a key is one word, optionally followed by a TAB and a number")
            if limit and not (limit.isascii() and limit.isdigit() and int(limit) > 0):  # "²".isdigit() too
                raise InputError(f"{path}:{number}: requests per minute must be a positive integer, got {limit!r}")
            if key in lines_of:
                raise InputError(f"{path}:{number}: the key on this line is on line {lines_of[key]} already")
            lines_of[key] = number
            limits[key] = int(limit) if limit else None
        if not limits:
            raise InputError(f"the API keys file {path} holds no key")
        return cls(limits)


class RateLimiter:
    """Sliding one-minute windows per key (or client address). Thread-safe; ``clock`` is injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}
        self._last_sweep = clock()

    def admit(self, who: str, limit: int) -> bool:
        """Count a request of ``who`` and return True, or return False when ``limit`` is reached (not counted)."""
        if limit == NO_LIMIT:
            return True
        now = self._clock()
        with self._lock:
            if now - self._last_sweep > WINDOW_SECONDS:
                self._sweep(now)
            window = self._windows.setdefault(who, deque())
            while window and window[0] <= now - WINDOW_SECONDS:
                window.popleft()
            if len(window) >= limit:
                return False
            window.append(now)
            return True

    def _sweep(self, now: float) -> None:
        self._windows = {who: w for who, w in self._windows.items() if w and w[-1] > now - WINDOW_SECONDS}
        self._last_sweep = now


@dataclass
class Gate:
    """Who may call: keys (when configured) and the per-minute limits. ``check`` raises :class:`ApiError`."""

    keys: ApiKeys | None = None
    req_limit: int = NO_LIMIT
    limiter: RateLimiter = field(default_factory=RateLimiter)

    def check_unparsed(self, query_key: str | None, body: bytes, client: str) -> None:
        """What can be checked before the body is parsed: without keys, the address's limit (the whole check);
        with keys, that a key is there at all (in the query string, or the words ``api_key`` in the body)."""
        if self.keys is None:
            self.check(None, client)
        elif not query_key and b"api_key" not in body:
            raise ApiError(400, MISSING_KEY)

    def check_known(self, api_key: object) -> str:
        """A known key, not counted (for reading /metrics and /status); 400 without one, 403 for another (any key
        is unknown without keys configured)."""
        if api_key is None or api_key == "":
            raise ApiError(400, MISSING_KEY)
        if not isinstance(api_key, str) or self.keys is None or api_key not in self.keys.limits:
            raise ApiError(403, "Invalid API key")
        return api_key

    def check_key(self, api_key: object, client: str) -> str | None:
        """The rest of :meth:`check` after :meth:`check_unparsed`: the key and its limit (nothing without keys)."""
        return self.check(api_key, client) if self.keys is not None else None

    def check(self, api_key: object, client: str) -> str | None:
        """The caller's key (None without keys); raises 400 for a missing key, 403 for an unknown one, 429 over
        the limit."""
        key: str | None = None
        if self.keys is not None:
            key = self.check_known(api_key)
            own = self.keys.limits[key]
            limit = own if own is not None else self.req_limit
            who = f"key:{key}"
        else:
            limit, who = self.req_limit, f"addr:{client}"
        if not self.limiter.admit(who, limit):
            raise ApiError(429, f"Slowdown: {limit} per 1 minute")
        return key
