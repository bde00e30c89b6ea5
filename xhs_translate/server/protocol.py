"""uvicorn's HTTP/1.1 protocol (h11) with the two bounds it lacks: a deadline for a request to arrive, and a cap on
open connections.

uvicorn times out idle keep-alive connections only: a client that sends half a request line, half its headers or
half its body holds its connection (a file descriptor, and on SIGTERM the drain) forever. Here every request must
arrive whole, headers and body, within ``request_timeout`` seconds of its connection opening or of the previous
answer; otherwise it gets 408 and the connection is closed (a body still coming is a disconnect to the app). On
SIGTERM, a request still arriving is answered 503 at once instead of holding the drain.

Connections beyond ``max_connections`` are answered 503 and closed as soon as they are accepted, so a flood of
idle sockets cannot use up the process's file descriptors and starve ``/health``.
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from .api import json_bytes

_REASONS = {408: b"Request Timeout", 503: b"Service Unavailable"}


def default_max_connections() -> int:
    """Half the process's file descriptors (the other half for models, cache and log files), at most 1,024."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 1024 if soft == resource.RLIM_INFINITY else max(8, min(1024, soft // 2))


def bounded_protocol(request_timeout: float, max_connections: int) -> type[asyncio.Protocol]:
    """The protocol class for ``uvicorn.Config(http=...)`` with these bounds."""

    class BoundedH11Protocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._deadline: asyncio.TimerHandle | None = None
            self._between = False  # answered a request, and nothing of the next one has come yet
            if len(self.connections) > max_connections:
                self._refuse(503, f"Too many connections: this server holds {max_connections} at once "
                                  "(--max-connections); try again shortly")
                return
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(request_timeout, self._timed_out)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _arriving(self) -> bool:
            """Whether a request has begun and not yet fully arrived (no cycle: its headers are incomplete)."""
            cycle = self.cycle
            return cycle is None or cycle.response_complete or cycle.more_body

        def data_received(self, data: bytes) -> None:
            self._between = False
            super().data_received(data)

        def handle_events(self) -> None:
            super().handle_events()
            if not self._arriving():
                self._disarm()  # the request is in: the app takes whatever time it needs to answer

        def on_response_complete(self) -> None:
            self._between = True
            self._arm()  # for the next request on this connection (idle ones close at uvicorn's keep-alive)
            super().on_response_complete()  # a pipelined request already in disarms it again

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def shutdown(self) -> None:
            cycle = self.cycle
            if cycle is not None and cycle.more_body and not cycle.response_started:
                self._refuse(503, "The server is shutting down")  # a body still coming would hold the drain
                return
            super().shutdown()

        def _timed_out(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            if self._between:  # an idle kept-alive connection: closed without a word, as uvicorn's keep-alive does,
                self.transport.close()  # so that a client reusing it never reads a 408 for its next request
                return
            self._refuse(408, f"The request did not arrive within {request_timeout:g} seconds (--request-timeout)")

        def _refuse(self, status: int, message: str) -> None:
            """Answer ``status`` (unless an answer has begun) and close; the app sees a disconnect."""
            self._disarm()
            cycle = self.cycle
            if cycle is None or not cycle.response_started or cycle.response_complete:
                body = json_bytes({"error": message})
                head = (f"HTTP/1.1 {status} ".encode() + _REASONS[status] + b"\r\ncontent-type: application/json\r\n"
                        + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode())
                self.transport.write(head + body)
            if cycle is not None and not cycle.response_complete:
                cycle.disconnected = True
                cycle.message_event.set()
            self.transport.close()

    return BoundedH11Protocol


def uvicorn_options(config: Any) -> dict[str, Any]:
    """The uvicorn.Config keywords for a ServerConfig's network bounds and trusted proxies."""
    return {
        "http": bounded_protocol(config.request_timeout, config.max_connections or default_max_connections()),
        # X-Forwarded-For / -Proto rewrite the client's address only when the peer is a named proxy; uvicorn
        # trusts 127.0.0.1 by default, which let any local client (or a tunnel) pick its rate-limit address
        "proxy_headers": bool(config.forwarded_allow_ips),
        "forwarded_allow_ips": list(config.forwarded_allow_ips) or None,
    }
