"""The request shapes of the page translators readers already have, over the same service as ``/translate``.

A reader who has Immersive Translate, Kiss Translator, a DeepL or DeepLX client, a Google Cloud Translation v2
client or Selection Translator (划词翻译) points its "custom service" setting at this server and gets what
``/translate`` gives: offline zh<->en, per-item detection, sticker codes, mentions and hashtags kept, the slang
glossary, shared model batches and the cache. The paths are MTranServer's (``/imme``, ``/kiss``, ``/deepl``,
``/google/language/translate/v2``, ``/hcfy``), so a reader moving from it changes only the host; DeepL's and
Google's own paths (``/v2/translate``, ``/language/translate/v2``) serve clients that only let you change the
host. DeepLX's own path is ``/translate``, which is LibreTranslate's here, so DeepLX is ``/deeplx`` (its clients
take a full URL).

Each handler only translates shapes: it reads the client's fields, asks the same gate (keys file, per-minute
limits), the same limits (``--char-limit``, ``--batch-limit``), the same language check and the same
``TranslationService.translate`` as ``/translate`` (a list is one call, hence one batch), and answers in the
client's shape, errors included (DeepL ``{"message"}``, Google ``{"error": {code, message, errors, status}}``,
DeepLX ``{"code", "message"}``, the others ``{"error"}``). Keys are taken the way each client sends them:
``Authorization: DeepL-Auth-Key K`` or ``Bearer K`` (or a bare ``K``), Kiss's ``KEY`` header, Google's
``X-Goog-Api-Key`` header, or ``key``/``token``/``api_key``/``auth_key`` in the query or body.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .api import ApiError, client_address, read_params, run_blocking
from .api import JsonResponse as JSONResponse  # lone surrogates escaped, never a 500 (issue 19 §2)
from .languages import AUTO, model_code
from .libretranslate import _texts as checked_texts
from .libretranslate import resolve_pair
from .service import Translated

#: A tag as HTML writes one (``<b0></b0>``, ``<a href=...>``, ``<br/>``): such an item is translated as HTML.
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_SCHEMES = ("bearer", "deepl-auth-key")
_KEY_HEADERS = ("key", "x-goog-api-key")  # Kiss Translator v1 (as MTranServer reads it), Google
_KEY_PARAMS = ("key", "token", "api_key", "auth_key")
#: Selection Translator names languages in Chinese.
_HCFY_NAMES = {"中文(简体)": "zh-Hans", "中文(繁体)": "zh-Hant", "英语": "en"}
_GOOGLE_STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 413: "INVALID_ARGUMENT",
                  429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


# --- codes --------------------------------------------------------------------------------------------------


def google_code(public: str) -> str:
    """A public code as Google, Immersive Translate and Kiss Translator write it: ``zh-Hans`` -> ``zh-CN``."""
    return {"zh-Hans": "zh-CN", "zh-Hant": "zh-TW"}.get(public, public)


def deepl_code(public: str) -> str:
    """A public code as DeepL writes a (detected) source language: ``zh-Hans`` -> ``ZH``, ``en`` -> ``EN``."""
    return "ZH" if public.startswith("zh") else public.upper()


def hcfy_name(public: str) -> str:
    return next((name for name, code in _HCFY_NAMES.items() if code == public), public)


def looks_like_markup(text: str) -> bool:
    return _TAG.search(text) is not None


def formats_of(texts: Sequence[str]) -> list[str]:
    """Per item: ``html`` where it holds tags (a translator's placeholders or rich text), else ``text``."""
    return ["html" if looks_like_markup(t) else "text" for t in texts]


# --- what every adapter shares ------------------------------------------------------------------------------


def presented_key(request: Request, params: dict[str, Any]) -> str | None:
    """The key the client sent, whichever of its ways; None when it sent none (Kiss sends ``Bearer `` then)."""
    auth = request.headers.get("authorization", "").split(None, 1)
    if len(auth) == 2 and auth[0].lower() in _SCHEMES:
        candidates = [auth[1]]
    else:
        candidates = [auth[0]] if len(auth) == 1 and auth[0].lower() not in _SCHEMES else []
    candidates += [request.headers.get(name) for name in _KEY_HEADERS]
    candidates += [params.get(name) for name in _KEY_PARAMS]
    for value in candidates:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


async def _params(request: Request, repeated: str | None = None) -> dict[str, Any]:
    """The request's parameters as ``/translate`` reads them; ``repeated`` names the field a form or a query
    string may give several times (DeepL's ``text``, Google's ``q``), which then becomes a list."""
    params, is_json = await read_params(request)
    if repeated and not is_json:
        values = request.query_params.getlist(repeated)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media in ("", "application/x-www-form-urlencoded"):
            body = (await request.body()).decode("utf-8", "replace")  # read_params has checked it is UTF-8
            values += [v for k, v in parse_qsl(body, keep_blank_values=True) if k == repeated]
        if len(values) > 1:
            params[repeated] = values
    return params


def _admit(request: Request, params: dict[str, Any], missing: int | None = None, invalid: int | None = None) -> None:
    """The gate of ``/translate`` (keys file, per-minute limits); a refused key gets the client's own status."""
    try:
        request.app.state.ctx.gate.check(presented_key(request, params), client_address(request))
    except ApiError as exc:
        if exc.status == 400 and missing:
            raise ApiError(missing, str(exc)) from None
        if exc.status == 403 and invalid:
            raise ApiError(invalid, str(exc)) from None
        raise


def _required(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if value is None or value == "" or value == []:
        raise ApiError(400, f"Invalid request: missing {name} parameter")
    return value


def _text_list(value: Any, name: str) -> list[str]:
    texts = value if isinstance(value, list) else [value]
    if not all(isinstance(t, str) for t in texts):
        raise ApiError(400, f"Invalid request: {name} must be a string or a list of strings")
    return texts


def _code(value: Any, name: str) -> str:
    """A language field; empty or absent is ``auto`` (Kiss sends ``""`` for auto-detect)."""
    if value is None or value == "":
        return AUTO
    if not isinstance(value, str):
        raise ApiError(400, f"Invalid request: {name} must be a language code")
    return _HCFY_NAMES.get(value.strip(), value)


async def translate(request: Request, texts: list[str], source: str, target: str,
                    formats: str | Sequence[str] = "text") -> list[Translated]:
    """``/translate``'s checks and work for ``texts``: the limits, the language pair, one service call."""
    ctx = request.app.state.ctx
    texts, _ = checked_texts(texts, ctx)
    src, tgt = resolve_pair(source, target, ctx.service.served)
    return await run_blocking(request, ctx.executor, ctx.service.translate, texts, src, tgt, formats)


Handler = Callable[[Request], Awaitable[Response]]


def speaking(error: Callable[[int, str], Any]) -> Callable[[Handler], Handler]:
    """Answer the handler's ApiErrors (gate, limits, fields, languages) in the client's own error body."""

    def wrap(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as exc:
                return JSONResponse(error(exc.status, str(exc)), status_code=exc.status)

        endpoint.__name__, endpoint.__doc__ = handler.__name__, handler.__doc__  # /spec reads the docstring
        return endpoint

    return wrap


def _plain_error(status: int, message: str) -> dict:
    return {"error": message}


# --- Immersive Translate --------------------------------------------------------------------------------------


@speaking(_plain_error)
async def immersive(request: Request) -> Response:
    """Custom API: ``{source_lang, target_lang, text_list}`` -> ``{translations: [{detected_source_lang, text}]}``.
    Items holding tags (its reserved placeholders ``<b0></b0>``, or HTML) get ``format=html``'s rules."""
    params = await _params(request)
    _admit(request, params)
    texts = _text_list(_required(params, "text_list"), "text_list")
    items = await translate(request, texts, _code(params.get("source_lang"), "source_lang"),
                            _code(_required(params, "target_lang"), "target_lang"), formats_of(texts))
    return JSONResponse({"translations": [{"detected_source_lang": google_code(i.language), "text": i.text}
                                          for i in items]})


# --- Kiss Translator ------------------------------------------------------------------------------------------


@speaking(_plain_error)
async def kiss(request: Request) -> Response:
    """Custom interface: ``{texts, from, to}`` -> ``[{text, src}]`` (batch), ``{text, from, to}`` -> ``{text, src,
    from}`` (one text; v1 compares ``from`` with ``to`` to hide a translation into the text's own language). Items
    holding tags (its rich-text placeholders) get the markup rules, as Immersive Translate's do."""
    params = await _params(request)
    _admit(request, params)
    batch = "texts" in params
    texts = _text_list(_required(params, "texts" if batch else "text"), "texts" if batch else "text")
    items = await translate(request, texts, _code(params.get("from"), "from"), _code(_required(params, "to"), "to"),
                            formats_of(texts))  # its rich-text mode sends placeholder tags
    if batch:
        return JSONResponse([{"text": i.text, "src": google_code(i.language)} for i in items])
    src = google_code(items[0].language)
    return JSONResponse({"text": items[0].text, "src": src, "from": src})


# --- DeepL API v2 and DeepLX ------------------------------------------------------------------------------------


@speaking(lambda status, message: {"message": message})
async def deepl(request: Request) -> Response:
    """``POST /v2/translate``: ``text`` (a list; repeated in a form), ``target_lang``, ``source_lang``,
    ``tag_handling`` (``html``/``xml``: markup rules) -> ``{translations: [{detected_source_language, text,
    billed_characters}]}``. A refused key is a 403, as DeepL answers it."""
    params = await _params(request, repeated="text")
    _admit(request, params, missing=403, invalid=403)
    texts = _text_list(_required(params, "text"), "text")
    markup = params.get("tag_handling") in ("html", "xml")
    items = await translate(request, texts, _code(params.get("source_lang"), "source_lang"),
                            _code(_required(params, "target_lang"), "target_lang"), "html" if markup else "text")
    return JSONResponse({"translations": [
        {"detected_source_language": deepl_code(i.language), "text": i.text, "billed_characters": len(t)}
        for i, t in zip(items, texts)
    ]})


@speaking(lambda status, message: {"code": status, "message": message})
async def deeplx(request: Request) -> Response:
    """DeepLX: ``{text, source_lang, target_lang}`` (one string) -> ``{code, id, data, source_lang, target_lang,
    alternatives, method}``."""
    params = await _params(request)
    _admit(request, params)
    text = _required(params, "text")
    if not isinstance(text, str):
        raise ApiError(400, "Invalid request: text must be a string")
    target = _code(_required(params, "target_lang"), "target_lang")
    item, = await translate(request, [text], _code(params.get("source_lang"), "source_lang"), target)
    return JSONResponse({"code": 200, "id": secrets.randbelow(10**10), "data": item.text, "alternatives": [],
                         "source_lang": deepl_code(item.language), "target_lang": target.upper(), "method": "Free"})


# --- Google Cloud Translation v2 ------------------------------------------------------------------------------


def _google_error(status: int, message: str) -> dict:
    reason = {403: "forbidden", 429: "rateLimitExceeded"}.get(status, "invalid" if status < 500 else "backendError")
    return {"error": {"code": status, "message": message, "status": _GOOGLE_STATUS.get(status, "UNKNOWN"),
                      "errors": [{"message": message, "domain": "global", "reason": reason}]}}


@speaking(_google_error)
async def google(request: Request) -> Response:
    """``/language/translate/v2``: ``q`` (repeated or a list), ``target``, ``source``, ``format`` (``html`` by
    default, as Google's), ``key`` -> ``{data: {translations: [{translatedText, detectedSourceLanguage}]}}``
    (the detected language only without ``source``). Keys answer as Google's: none 403, unknown 400."""
    params = await _params(request, repeated="q")
    _admit(request, params, missing=403, invalid=400)
    texts = _text_list(_required(params, "q"), "q")
    fmt = params.get("format") or "html"
    if fmt not in ("html", "text"):
        raise ApiError(400, f"Invalid value at 'format' ({fmt}): html or text")
    source = _code(params.get("source"), "source")
    items = await translate(request, texts, source, _code(_required(params, "target"), "target"), fmt)
    entries = [{"translatedText": i.text, **({"detectedSourceLanguage": google_code(i.language)}
                                             if source == AUTO else {})} for i in items]
    return JSONResponse({"data": {"translations": entries}})


# --- Selection Translator (划词翻译) ----------------------------------------------------------------------------


@speaking(_plain_error)
async def hcfy(request: Request) -> Response:
    """Custom source: ``{name, text, destination: [first, second], source}`` -> ``{text, from, to, result}``; the
    text goes to ``destination[0]``, or to ``destination[1]`` when it is already in the first; one paragraph per
    line, translated as one list."""
    params = await _params(request)
    _admit(request, params)
    text = _required(params, "text")
    destination = _required(params, "destination")
    names = destination if isinstance(destination, list) else [None]
    if not isinstance(text, str) or not all(isinstance(d, str) for d in names):
        raise ApiError(400, "Invalid request: text is a string and destination a list of language names")
    ctx = request.app.state.ctx
    source = detected = _code(params.get("source"), "source")
    if source == AUTO:
        found, = await run_blocking(request, ctx.executor, ctx.service.detect, [text])
        detected = found[0]["language"]
    name = destination[0]
    if len(destination) > 1 and model_code(_code(name, "destination")) == model_code(detected):
        name = destination[1]
    items = await translate(request, text.split("\n"), source, _code(name, "destination"))
    return JSONResponse({"text": text, "from": hcfy_name(detected), "to": name, "result": [i.text for i in items]})


def routes() -> list[Route]:
    return [
        Route("/imme", immersive, methods=["POST"]),
        Route("/kiss", kiss, methods=["POST"]),
        Route("/v2/translate", deepl, methods=["POST"]),
        Route("/deepl", deepl, methods=["POST"]),
        Route("/deeplx", deeplx, methods=["POST"]),
        Route("/language/translate/v2", google, methods=["GET", "POST"]),
        Route("/google/language/translate/v2", google, methods=["GET", "POST"]),
        Route("/hcfy", hcfy, methods=["POST"]),
    ]
