"""``ServerConfig``: every setting of ``xhs-translate serve``, with named defaults. No heavy imports.

Translation settings are a ``TranslatorConfig`` (the CLI builds it with ``from_options`` from the same option
names as ``translate``); the rest are the server's own: address, cache, keys and limits, CORS, batching.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..config import DEFAULT_MAX_WAIT, DEFAULT_REGROUP_WAIT, EngineConfig, TranslatorConfig
from ..errors import InputError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000  # LibreTranslate's
#: The sites the userscript runs on (issue 13); ``*`` allows any origin.
DEFAULT_CORS_ORIGINS = ("https://www.xiaohongshu.com", "https://www.rednote.com")
DEFAULT_BODY_LIMIT = 8 * 1024 * 1024  # bytes: a 5,000-comment /thread export is ~3 MiB
NO_LIMIT = -1  # LibreTranslate's value for "no limit"
#: One CTranslate2 replica per direction, with half the cores each (at least one), not the library's min(2, cores)
#: replicas on every core: the server keeps both directions' engines busy at once, each with small shared batches
#: (a few texts per waiting request). On the 2-core build machine (16 single-comment clients, base packages,
#: alternating runs, README "Performance") one thread per direction took 12-24% less CPU per request than one
#: replica with 2 threads per direction, whose OpenMP teams (4 threads on 2 cores) wait on each other: three runs
#: with only the layout changed, p99 better in two of them. Two single-thread replicas per direction split the
#: batches and did worse in earlier runs. More cores were not measured: there each direction gets cores // 2
#: threads in one replica.
SERVER_REPLICAS = 1


def server_intra_threads() -> int:
    """Threads of each direction's one replica: half the cores, at least one (``SERVER_REPLICAS``)."""
    import os

    return max(1, (os.cpu_count() or 1) // 2)


#: The environment ``xhs-translate serve`` runs CTranslate2 in, set before CTranslate2 is first imported (libgomp
#: reads it once, when it loads) and only where the user has not set it. PASSIVE: OpenMP threads sleep between
#: calls instead of spinning. A server's calls are small and come in bursts; spinning workers burnt CPU that the
#: request threads (HTTP, SentencePiece) and the other direction's engine needed (README "Performance").
SERVER_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}


def apply_server_env() -> None:
    """Put ``SERVER_ENV`` into this process's environment where unset; call it before anything loads CTranslate2."""
    import os

    for name, value in SERVER_ENV.items():
        os.environ.setdefault(name, value)


def default_translator_config() -> TranslatorConfig:
    """The library's defaults, but ``SERVER_REPLICAS`` CTranslate2 replica per direction with
    ``server_intra_threads()`` threads."""
    return TranslatorConfig(engine=EngineConfig(inter_threads=SERVER_REPLICAS, intra_threads=server_intra_threads()))


@dataclass(frozen=True)
class ServerConfig:
    """Settings of the HTTP service. Limits use LibreTranslate's names and ``-1`` for none.

    ``translator``: models, glossary, decoding and engine options of every request (a request chooses only its
    target, source, and for ``/thread`` the field names). ``cache``: as ``Translator(cache=)``: a path, None for
    the default file, False for none; one cache is shared by every Translator of the server.
    ``coalesce_ms``: how long a text may wait for others to share its model batch; ``regroup_ms``: how long, after a
    model batch that answered several requests, that direction's model waits for as many requests to reach it
    (their clients' next texts: ``BatchingEngine``'s ``regroup_wait``); ``coalesce_tokens``: the token budget that
    flushes a batch at once (None: ``DecodeOptions.max_batch_tokens``).
    ``request_threads``: translation calls running at once (each waits for its batch in a worker thread).
    ``drain_timeout``: seconds SIGTERM waits for requests in flight before it cancels them.
    ``request_timeout``: seconds a request may take to arrive, headers and body (then 408).
    ``max_connections``: open connections held at once, more are answered 503 (None: half the file descriptors,
    at most 1,024). ``forwarded_allow_ips``: proxies whose ``X-Forwarded-For`` names the client (none: the
    peer's own address counts, for rate limits and for the loopback check of ``/metrics`` and ``/status``).
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    translator: TranslatorConfig = field(default_factory=default_translator_config)
    cache: str | Path | bool | None = None
    api_keys: str | Path | None = None
    req_limit: int = NO_LIMIT
    char_limit: int = NO_LIMIT
    batch_limit: int = NO_LIMIT
    body_limit: int = DEFAULT_BODY_LIMIT
    cors_origins: tuple[str, ...] = DEFAULT_CORS_ORIGINS
    coalesce_ms: float = DEFAULT_MAX_WAIT * 1000
    regroup_ms: float = DEFAULT_REGROUP_WAIT * 1000
    coalesce_tokens: int | None = None
    request_threads: int = 32
    drain_timeout: float = 60.0
    request_timeout: float = 60.0
    max_connections: int | None = None
    forwarded_allow_ips: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("req_limit", "char_limit", "batch_limit"):
            value = getattr(self, name)
            if not isinstance(value, int) or (value < 1 and value != NO_LIMIT):
                raise InputError(f"{name} must be a positive integer or {NO_LIMIT} (no limit), got {value!r}")
        for name in ("port", "body_limit", "request_threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InputError(f"{name} must be an integer, got {value!r}")
        if self.body_limit < 1 or self.request_threads < 1:
            raise InputError("body_limit and request_threads must be positive")
        if self.max_connections is not None and (isinstance(self.max_connections, bool) or not isinstance(
                self.max_connections, int) or self.max_connections < 1):
            raise InputError(f"max_connections must be a positive integer, got {self.max_connections!r}")
        ips = self.forwarded_allow_ips
        if isinstance(ips, str) or not all(isinstance(ip, str) and ip for ip in ips):
            raise InputError(f"forwarded_allow_ips must be a sequence of addresses, got {self.forwarded_allow_ips!r}")
        object.__setattr__(self, "forwarded_allow_ips", tuple(self.forwarded_allow_ips))
        if isinstance(self.request_timeout, bool) or not isinstance(self.request_timeout, (int, float)) or \
                not 0 < self.request_timeout < math.inf:
            raise InputError(f"request_timeout must be a finite number > 0, got {self.request_timeout!r}")
        for name in ("coalesce_ms", "regroup_ms", "drain_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
                raise InputError(f"{name} must be a finite number >= 0, got {value!r}")
        if not isinstance(self.translator, TranslatorConfig):
            raise InputError(f"translator must be a TranslatorConfig, got {self.translator!r}")
        if not 0 <= self.port <= 65535:
            raise InputError(f"port must be between 0 and 65535, got {self.port}")
        origins = self.cors_origins
        if isinstance(origins, str) or not all(isinstance(o, str) and o for o in origins):
            raise InputError(
                f"cors_origins must be a sequence of origins such as 'https://example.org', got {origins!r}")
        object.__setattr__(self, "cors_origins", tuple(o.rstrip("/") for o in origins))

    @property
    def loopback_only(self) -> bool:
        """Whether ``host`` can be reached from this machine only (a warning is due otherwise without keys)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False
