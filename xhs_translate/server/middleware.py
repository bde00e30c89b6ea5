"""Pure ASGI middleware: CORS (with Private Network Access), the body-size limit, and request metrics.

CORS: the userscript runs on xiaohongshu.com / rednote.com and calls this server on 127.0.0.1, so those origins
are allowed by default (``--cors-origin`` replaces the list; ``*`` allows any). Preflights are answered here,
including Chrome's Private Network Access question (``Access-Control-Request-Private-Network: true`` gets
``Access-Control-Allow-Private-Network: true``). A request from any other site's page (it carries an ``Origin``
that is neither allowed nor this server's own) is refused with 403: otherwise any web page could make the
visitor's browser spend this machine's CPU.

Body limit: the whole body is read (up to the limit) before the app sees it; a larger ``Content-Length`` is
refused at once and a chunked body as soon as it passes the limit, with 413.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from .api import json_bytes

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

ALLOW_METHODS = "GET, POST, OPTIONS"
#: Browser extensions (xhs-translate's own background worker, whatever its id; Immersive Translate, Kiss
#: Translator) fetch with their own origin, which no web page can take, and reach this server only with the host
#: permission their user granted: a reader's installed translator may call the server as the userscript does.
EXTENSION_SCHEMES = ("chrome-extension://", "moz-extension://", "safari-web-extension://")
DEFAULT_ALLOW_HEADERS = "Content-Type, Authorization"
PREFLIGHT_MAX_AGE = "600"


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _is_address(host: str) -> bool:
    """``localhost``, ``127.0.0.1:5000``, ``[::1]:5000``, ``192.168.1.5``: a host named without DNS."""
    name = host[1:].split("]", 1)[0] if host.startswith("[") else host.split(":", 1)[0]
    if name == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


async def send_json(send: Send, status: int, payload: Any, extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
    body = json_bytes(payload)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Cors:
    """Allow the configured origins (and same-origin pages), answer preflights, refuse other sites."""

    def __init__(self, app: App, origins: tuple[str, ...]):
        self.app = app
        self.any_origin = "*" in origins
        self.origins = frozenset(origins)

    def allowed(self, origin: str, host: str) -> bool:
        """A configured origin, or this server's own page reached by address (``http://127.0.0.1:5000``): not by a
        domain name, which a DNS-rebinding page could point at this machine."""
        if self.any_origin or origin in self.origins or origin.startswith(EXTENSION_SCHEMES):
            return True
        return origin in (f"http://{host}", f"https://{host}") and _is_address(host)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        origin = headers.get("origin")
        if origin is None:  # not from a browser page: servers (Mastodon, Discourse), curl, libretranslatepy
            return await self.app(scope, receive, send)
        if not self.allowed(origin, headers.get("host", "")):
            return await send_json(send, 403, {"error": f"Origin {origin} is not allowed (see --cors-origin)"})
        vary = [(b"vary", b"Origin")]
        allow = [(b"access-control-allow-origin", origin.encode("latin-1")), *vary]
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            extra = [
                *allow,
                (b"access-control-allow-methods", ALLOW_METHODS.encode()),
                (b"access-control-allow-headers",
                 headers.get("access-control-request-headers", DEFAULT_ALLOW_HEADERS).encode("latin-1")),
                (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
            ]
            if headers.get("access-control-request-private-network", "").lower() == "true":
                extra.append((b"access-control-allow-private-network", b"true"))
            await send({"type": "http.response.start", "status": 204, "headers": extra})
            return await send({"type": "http.response.body", "body": b""})

        async def send_with_cors(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *allow]}
            await send(message)

        await self.app(scope, receive, send_with_cors)


class BodyLimit:
    """Read the whole body first (at most ``limit`` bytes), then hand it to the app; 413 beyond the limit."""

    def __init__(self, app: App, limit: int):
        self.app = app
        self.limit = limit

    def _too_large(self, size: int | str) -> dict:
        return {"error": f"Request body too large: {size} bytes, the limit is {self.limit} bytes"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = _headers(scope).get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            return await send_json(send, 413, self._too_large(length), [(b"connection", b"close")])
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return await send_json(send, 413, self._too_large(f"more than {self.limit}"),
                                       [(b"connection", b"close")])
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # after the body only the disconnect can come: run_blocking waits for it

        await self.app(scope, replay, send)


class RequestMetrics:
    """Count every answer (after CORS and body checks too) by endpoint and status, time it, and track how many
    are in flight (``metrics.in_flight``, which the drain message on SIGTERM reads)."""

    def __init__(self, app: App, metrics: Any, endpoints: frozenset[str]):
        self.app = app
        self.metrics = metrics
        self.endpoints = endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        endpoint = scope["path"] if scope["path"] in self.endpoints else "other"
        status = 499  # client closed the connection before an answer started
        started = time.perf_counter()

        answering = True

        def answered() -> None:
            nonlocal answering
            if answering:
                answering = False
                self.metrics.in_flight -= 1
                self.metrics.in_progress.labels(endpoint).dec()

        async def record(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # answered once its last bytes are handed over, not when the app returns after them: a client that
                # has read its answer (a /metrics poll, then SIGTERM) is not counted as in flight by the drain
                answered()
            await send(message)

        self.metrics.in_flight += 1
        self.metrics.in_progress.labels(endpoint).inc()
        try:
            await self.app(scope, receive, record)
        except Exception:
            status = 500
            raise
        finally:
            answered()
            self.metrics.observe_request(endpoint, status, time.perf_counter() - started)
