"""What every endpoint shares: the error type, reading parameters from any body, and running a blocking call
(the Translator, CTranslate2) in a worker thread without ever blocking the event loop.

Parameters come as LibreTranslate reads them: a JSON object, or a form (``application/x-www-form-urlencoded``
or ``multipart/form-data``), with the query string filling in what the body lacks (``?api_key=...``). A JSON
body sent as ``text/plain`` (what ``fetch`` sends for a string body, which needs no CORS preflight) is read as
JSON too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import math
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response

from ..errors import XhsTranslateError
from ..models.batching import RequestScope

_FORM = "application/x-www-form-urlencoded"
PARSE_ON_LOOP = 64 * 1024  # bytes of JSON parsed on the event loop (well under a millisecond); larger: in a thread
_MULTIPART = "multipart/form-data"


class ApiError(XhsTranslateError):
    """A request the server answers with an error: the HTTP ``status`` and LibreTranslate's ``{"error": message}``."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


class ClientGone(Exception):
    """The client closed the connection before its answer was ready; nobody is left to answer."""


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    """A JSON number as a float; ``1e999`` is refused (it would be infinity, which no answer could carry back)."""
    value = float(text)
    if value in (math.inf, -math.inf):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def parse_json(body: bytes) -> Any:
    """Strict JSON (no NaN, Infinity or numbers beyond a float's range, which no answer could carry back);
    ApiError 400 otherwise."""
    try:
        return json.loads(body, parse_constant=_reject_constant, parse_float=_finite)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"Invalid request: the body is not valid JSON ({exc})") from None
    except RecursionError:
        raise ApiError(400, "Invalid request: the JSON is nested too deeply") from None


async def read_params(request: Any) -> tuple[dict[str, Any], bool]:
    """``(parameters, is_json)`` of a request; ApiError 400 for a body that cannot be read."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    params: dict[str, Any] = dict(request.query_params)
    if media == _MULTIPART:
        try:
            form = await request.form()
        except Exception as exc:
            raise ApiError(400, f"Invalid request: cannot read the multipart form ({exc})") from None
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
        return params, False
    is_json = media == "application/json" or media.endswith("+json")
    if not is_json and media != _FORM and body.lstrip()[:1] in (b"{", b"["):
        is_json = True  # text/plain or no type, holding JSON
    if is_json:
        if not body.strip():
            return params, True
        if len(body) > PARSE_ON_LOOP:  # a big body is parsed in a thread: the loop keeps answering meanwhile
            data = await asyncio.get_running_loop().run_in_executor(None, parse_json, body)
        else:
            data = parse_json(body)
        if not isinstance(data, dict):
            raise ApiError(400, "Invalid JSON format")  # LibreTranslate's words
        params.update(data)
        return params, True
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "Invalid request: the form is not UTF-8") from None
    fields: dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        fields.setdefault(key, value)  # a repeated field: the first value, as LibreTranslate takes it
    params.update(fields)
    return params, False


def json_bytes(value: Any) -> bytes:
    """``value`` as UTF-8 JSON. A lone surrogate (``"\\ud800"`` in a request, which the library keeps) cannot be
    UTF-8: such an answer is written with ``\\u`` escapes instead, so the client reads back what it sent."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


class JsonResponse(Response):
    """Starlette's JSONResponse, rendered by :func:`json_bytes` (every JSON answer of the server is one)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else json_bytes(content)


def client_address(request: Any) -> str:
    """The peer's address (uvicorn rewrites it from X-Forwarded-For for ``--forwarded-allow-ips`` proxies only)."""
    return request.client.host if request.client else "unknown"


def private_key(request: Any) -> str | None:
    """The key a ``GET /metrics`` or ``/status`` caller gives: ``?api_key=`` or ``Authorization: Bearer KEY`` (what
    Prometheus sends with ``authorization: {credentials: KEY}``)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.query_params.get("api_key")


def check_private(request: Any) -> None:
    """``/metrics`` and ``/status`` show the server's internals (the cache's path, the traffic): with keys on, a
    caller beyond loopback needs a key (400 without, 403 unknown). Without keys they are as open as the rest."""
    gate = request.app.state.ctx.gate
    if gate.keys is not None and not _loopback(client_address(request)):
        gate.check_known(private_key(request))


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


async def admit(request: Any) -> tuple[Any, dict[str, Any], bool]:
    """``(ctx, parameters, is_json)`` of a request that passed the gate. What needs no parsing is checked first
    (the address's rate limit; a key that is nowhere in the request), so a big body without a key costs a scan,
    not a parse."""
    ctx = request.app.state.ctx
    client = client_address(request)
    body = await request.body()
    ctx.gate.check_unparsed(request.query_params.get("api_key"), body, client)
    params, is_json = await read_params(request)
    ctx.gate.check_key(params.pop("api_key", None), client)
    return ctx, params, is_json


async def _disconnected(receive: Callable[[], Any]) -> None:
    """Return once the client has closed the connection (the body was read already, so only that can come)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def run_blocking(request: Any, executor: Executor, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in a worker thread, inside a :class:`RequestScope`; if the client goes away first, cancel the
    scope (its texts leave the model's queue) and raise :class:`ClientGone`."""
    scope = RequestScope()

    def call() -> Any:
        with scope:
            return fn(*args)

    work = asyncio.get_running_loop().run_in_executor(executor, call)
    gone = asyncio.ensure_future(_disconnected(request.receive))
    try:
        await asyncio.wait({work, gone}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        scope.cancel()
        gone.cancel()
        raise
    if work.done():
        gone.cancel()
        return work.result()
    scope.cancel()
    work.add_done_callback(lambda future: future.exception())  # retrieved: nobody awaits it any more
    raise ClientGone()
