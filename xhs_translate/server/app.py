"""``create_app(config)``: the Starlette application; ``serve(config)``: run it on uvicorn until SIGTERM or Ctrl-C.

Nothing is built at import time (no module-level app): each ``create_app`` makes its own service, metrics
registry and worker threads, so tests can run several servers in one process.

Layers, outermost first: request metrics -> CORS -> body-size limit -> routes. Every error is JSON
``{"error": "..."}``: ``ApiError`` carries its status, any other ``XhsTranslateError`` raised by the library
for a request (bad comments, a missing model) is a 400, routing errors keep their 404/405, and an unexpected
exception is a 500 whose body names no Python internals (the traceback goes to the server log).

Shutdown: on SIGTERM uvicorn stops accepting connections and waits (up to ``drain_timeout``) for the requests
in flight, which the batching threads keep serving; then the lifespan closes the batching engines (their
queues are empty by then) and the worker threads.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import InputError, ModelNotInstalledError, XhsTranslateError
from ..models.batching import EngineClosedError, TranslationCancelled
from ..results import DEMO_NOTICE
from . import adapters, libretranslate, threads, ui
from .api import ApiError, ClientGone, JsonResponse, check_private
from .config import ServerConfig
from .limits import ApiKeys, Gate
from .metrics import CONTENT_TYPE, Metrics
from .middleware import BodyLimit, Cors, RequestMetrics
from .protocol import uvicorn_options
from .service import TranslationService
from .spec import openapi

log = logging.getLogger("xhs_translate.server")


@dataclass
class AppContext:
    """What the endpoints share, at ``request.app.state.ctx``."""

    config: ServerConfig
    service: TranslationService
    gate: Gate
    metrics: Metrics
    executor: ThreadPoolExecutor


# /health and /metrics run on the loop's default executor, not the translation threads: they answer under load.
# With keys on, a caller beyond loopback without a key gets /health's status only (for load balancers), not the
# models and the cache's path; /metrics and /status need the key (check_private).
async def health(request: Request) -> JsonResponse:
    """Models loaded, languages, cache reachable: 200, or 503 when no model is loaded or the cache failed."""
    ctx = request.app.state.ctx
    report = await asyncio.get_running_loop().run_in_executor(None, ctx.service.health)
    status = 200 if report["status"] == "ok" else 503
    try:
        check_private(request)
    except ApiError:
        return JsonResponse({"status": report["status"]}, status_code=status)
    return JsonResponse(report, status_code=status)


async def metrics(request: Request) -> Response:
    """Prometheus text: requests, errors, durations, batches, queue waits, cache hits (key needed beyond loopback
    when keys are on)."""
    ctx = request.app.state.ctx
    check_private(request)
    body = await asyncio.get_running_loop().run_in_executor(None, ctx.metrics.render)
    return Response(body, media_type=CONTENT_TYPE)


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status_code=status)


async def _api_error(request: Request, exc: ApiError) -> JsonResponse:
    return _error(exc.status, str(exc))


async def _library_error(request: Request, exc: XhsTranslateError) -> Response:
    if isinstance(exc, TranslationCancelled):
        return Response(status_code=499)  # the client is gone; nobody reads this
    if isinstance(exc, EngineClosedError):
        return _error(503, "The server is shutting down")
    if isinstance(exc, (InputError, ModelNotInstalledError)):
        return _error(400, f"Invalid request: {exc}")
    # the server's own fault (a broken package, a cache or a model that failed): one line, no traceback
    log.error("%s answering %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
    return _error(500, f"Translation failed: {exc}")


async def _http_error(request: Request, exc: HTTPException) -> JsonResponse:
    return _error(exc.status_code, str(exc.detail))


async def _client_gone(request: Request, exc: ClientGone) -> Response:
    return Response(status_code=499)


async def _unexpected(request: Request, exc: Exception) -> JsonResponse:
    log.error("unexpected error answering %s %s", request.method, request.url.path, exc_info=exc)
    return _error(500, "Internal error; the server log has the details")


def create_app(config: ServerConfig | None = None) -> Starlette:
    """The application for ``config`` (its models are loaded when the app starts, in its lifespan)."""
    config = config or ServerConfig()
    executor = ThreadPoolExecutor(max_workers=config.request_threads, thread_name_prefix="xhs-request")
    # the service reports batches to the metrics, which read its counters
    app_metrics = Metrics(lambda: service.stats())
    service = TranslationService(config, on_batch=app_metrics.on_batch)
    keys = ApiKeys.from_file(config.api_keys) if config.api_keys else None
    ctx = AppContext(config, service, Gate(keys, config.req_limit), app_metrics, executor)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        await asyncio.get_running_loop().run_in_executor(executor, service.load)  # serve() has loaded them already
        yield
        await asyncio.get_running_loop().run_in_executor(None, service.close)
        executor.shutdown(wait=True)

    routes = [
        *libretranslate.routes(),
        *adapters.routes(),  # Immersive Translate, Kiss, DeepL, DeepLX, Google v2, Selection Translator
        Route("/thread", threads.thread, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *ui.routes(),  # the page, the userscript and the page's status
    ]

    async def spec(request: Request) -> JsonResponse:
        """This OpenAPI document, generated from the routes (LibreTranslate serves its own at /spec too)."""
        return JsonResponse(document)

    routes.append(Route("/spec", spec, methods=["GET"]))
    document = openapi(routes)
    # each handler receives its own class: Callable[..., ...] says so, where Starlette's type says Exception
    handlers: dict[type[Exception], Callable[..., Awaitable[Response]]] = {
        ApiError: _api_error,
        ClientGone: _client_gone,
        XhsTranslateError: _library_error,
        HTTPException: _http_error,
        Exception: _unexpected,
    }
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestMetrics, metrics=app_metrics, endpoints=frozenset(route.path for route in routes)),
            Middleware(Cors, origins=config.cors_origins),
            Middleware(BodyLimit, limit=config.body_limit),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    return app


def serve(config: ServerConfig) -> None:
    """Run the server in this thread until SIGTERM or Ctrl-C, draining requests in flight before it returns."""
    app = create_app(config)
    uv_config = uvicorn.Config(
        app, host=config.host, port=config.port, lifespan="on", access_log=False, log_level="info",
        # uvicorn annotates an int but hands it to asyncio.timeout, which takes seconds as a float
        timeout_graceful_shutdown=config.drain_timeout,  # type: ignore[arg-type]
        server_header=False, **uvicorn_options(config),
    )
    app.state.ctx.service.load()  # before listening: a package that cannot load is a one-line error, not a traceback
    server = _Server(uv_config, app.state.ctx)
    main_thread = threading.current_thread() is threading.main_thread()
    # uvicorn re-raises a signal it handled once it has shut down; with its own handler in place, that re-raise
    # is a no-op (the server is stopping already) instead of the caller's handler (the CLI's KeyboardInterrupt).
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, server.handle_exit) for sig in signals} if main_thread else {}
    try:
        server.run()
    except SystemExit as exc:  # uvicorn exits when it cannot bind or start; it has logged why
        raise XhsTranslateError(f"the server could not start on {config.host}:{config.port} (exit {exc.code}; "
                                "see the log above)") from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _address(server: uvicorn.Server) -> str | None:
    """Where the server listens (the real port when it was asked for port 0)."""
    for listener in getattr(server, "servers", []):
        for sock in listener.sockets:
            host, port = sock.getsockname()[:2]
            return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    return None


class _Server(uvicorn.Server):
    """uvicorn's server, saying where it listens once it does, and how many requests a SIGTERM drains."""

    def __init__(self, config: uvicorn.Config, ctx: AppContext):
        super().__init__(config)
        self.ctx = ctx

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        address = _address(self)
        if self.started and address:
            models = ", ".join(self.ctx.service.models()) or "none"
            print(f"xhs-translate: serving on {address} (models: {models})", file=sys.stderr, flush=True)
            if self.ctx.service.models(demo_only=True):
                print(f"xhs-translate: {DEMO_NOTICE}", file=sys.stderr, flush=True)

    def handle_exit(self, sig: int, frame: Any) -> None:
        if not self.should_exit:
            print(f"xhs-translate: {signal.Signals(sig).name} received; finishing {self.ctx.metrics.in_flight} "
                  "request(s) in flight, then stopping", file=sys.stderr, flush=True)
            # no request will join the queued texts now: dispatch them without waiting out the coalescing window
            # (in a thread: a signal handler must not wait for the batcher's lock)
            threading.Thread(target=self.ctx.service.provider.hurry, name="drain", daemon=True).start()
        super().handle_exit(sig, frame)
