"""The browser side of the server: ``GET /`` (paste a comment or a thread and read it translated, with the models
and cache status), its script and style, ``GET /xhs-translate.user.js`` (the userscript for xiaohongshu.com and
rednote.com, with this server's address written into it) and ``GET /status`` (what ``/health`` says, plus the
translation counters, for the page).

The files are package data under ``server/static``: plain HTML, CSS and JavaScript, no build step and nothing
fetched from elsewhere, so the page works offline. The page is sent with a Content-Security-Policy that allows
only this server's own script, style and API, so nothing it shows can run code.
"""

from __future__ import annotations

import asyncio
import json
import re
from functools import cache
from importlib.resources import files
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import __version__
from .api import ApiError, JsonResponse, check_private

USERSCRIPT = "xhs-translate.user.js"
#: Served path -> (file in server/static, media type).
PAGES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/app.css": ("app.css", "text/css; charset=utf-8"),
}
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
#: Counters of ``TranslationService.stats()`` that the page shows.
STATUS_COUNTERS = ("comments", "segments_translated", "cache_hits", "cache_misses")
# The tokens the userscript's template holds; the server writes its address, version and key over them.
SERVER_TOKEN, HOST_TOKEN = "__XHS_TRANSLATE_SERVER__", "__XHS_TRANSLATE_HOST__"
VERSION_TOKEN = "__XHS_TRANSLATE_VERSION__"
DOWNLOAD_TOKEN, KEY_LITERAL = "__XHS_TRANSLATE_DOWNLOAD__", "'__XHS_TRANSLATE_API_KEY__'"
PLATFORM_LITERAL = "'__XHS_TRANSLATE_PLATFORM__'"  # 'extension' in `xhs-translate extension`'s build of the same file
# A Host header as browsers send it: a name or an address, an optional port. Anything else (quotes, spaces, a
# path) never reaches the script: the socket's own address is used instead.
_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


@cache
def static_text(name: str) -> str:
    """A file of ``server/static`` (read once per process: package data does not change while it runs)."""
    return (files("xhs_translate.server") / "static" / name).read_text(encoding="utf-8")


def server_address(request: Request) -> str:
    """This server's address as the browser reached it (``http://127.0.0.1:5000``): the Host header when it is a
    plain host[:port], else the address of the socket the request came in on."""
    host = request.headers.get("host", "")
    if not _HOST.fullmatch(host):
        ip, port = request.scope.get("server") or ("127.0.0.1", 5000)
        host = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
    scheme = "https" if request.url.scheme == "https" else "http"
    return f"{scheme}://{host}"


def userscript_for(address: str, api_key: str = "") -> str:
    """The userscript, set up for the server at ``address``: its requests, ``@connect`` and update URL point there,
    and its requests carry ``api_key`` when one is given."""
    host = urlsplit(address).hostname or "127.0.0.1"  # @connect takes a host name, without port or brackets
    download = f"{address}/{USERSCRIPT}" + (f"?api_key={quote(api_key, safe='')}" if api_key else "")
    return (static_text(USERSCRIPT)
            .replace(DOWNLOAD_TOKEN, download).replace(KEY_LITERAL, json.dumps(api_key))
            .replace(PLATFORM_LITERAL, "'userscript'")
            .replace(SERVER_TOKEN, address).replace(HOST_TOKEN, host).replace(VERSION_TOKEN, __version__))


async def userscript(request: Request) -> Response:
    """The userscript; with ``--api-keys``, ``?api_key=KEY`` (a known key, else 403) writes the key into it."""
    keys = request.app.state.ctx.gate.keys
    api_key = request.query_params.get("api_key", "") if keys is not None else ""
    if api_key and api_key not in keys.limits:
        raise ApiError(403, "Invalid API key")
    return Response(userscript_for(server_address(request), api_key), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "no-cache"})


async def page(request: Request) -> Response:
    """The page (paste a comment or a thread, read it translated), its script and style."""
    name, media = PAGES[request.url.path]
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if media.startswith("text/html"):
        headers["Content-Security-Policy"] = PAGE_CSP
    return Response(static_text(name), media_type=media, headers=headers)


async def status(request: Request) -> JsonResponse:
    """``/health``'s report (models, languages, cache) with the version and a few counters, always 200: the page
    shows a degraded server rather than failing on it."""
    ctx = request.app.state.ctx
    check_private(request)

    def report() -> dict:
        stats = ctx.service.stats()
        return {**ctx.service.health(), "version": __version__, "stats": {k: stats[k] for k in STATUS_COUNTERS}}

    return JsonResponse(await asyncio.get_running_loop().run_in_executor(ctx.executor, report))


def routes() -> list[Route]:
    return [
        *(Route(path, page, methods=["GET"]) for path in PAGES),
        Route(f"/{USERSCRIPT}", userscript, methods=["GET"]),
        Route("/status", status, methods=["GET"]),
    ]
