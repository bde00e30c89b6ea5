"""LibreTranslate's endpoints: ``/translate``, ``/detect``, ``/languages`` and ``/frontend/settings``.

Request parsing and error mapping only; the work is ``TranslationService``'s. Shapes, status codes and error
messages follow LibreTranslate 1.9.6 (``libretranslate/app.py``), so that its clients (Mastodon, Discourse,
Weblate, Nextcloud, Misskey, ``libretranslatepy``) work unchanged. Where this server differs, it is on purpose:

- ``detectedLanguage`` is per item for a list ``q`` (LibreTranslate detects one language for the whole list);
- ``--char-limit`` counts all items of a request together, and a request costs 1 against ``--req-limit``
  whatever its size (LibreTranslate charges a list per item);
- ``alternatives`` is accepted and answered with empty lists (there are none to give);
- a text with nothing to translate (already in the target language, emoji only, another language no package
  serves) comes back as it was.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from .api import ApiError, JsonResponse, admit, run_blocking
from .config import NO_LIMIT
from .languages import AUTO, language_name, model_code, not_available, public_code
from .spec import Param, params, text_or_list

FORMATS = ("text", "html")


def _missing(name: str) -> ApiError:
    return ApiError(400, f"Invalid request: missing {name} parameter")


def _require_q(q: Any) -> None:
    if q is None or q == "" or q == []:
        raise _missing("q")


def _texts(q: Any, ctx: Any) -> tuple[list[str], bool]:
    """``q`` as a list of texts plus whether it was a list; the batch and character limits checked."""
    _require_q(q)
    batch = isinstance(q, list)
    texts = q if batch else [q]
    if not all(isinstance(t, str) for t in texts):
        raise ApiError(400, "Invalid request: q must be a string or a list of strings")
    limits = ctx.config
    if batch and limits.batch_limit != NO_LIMIT and len(texts) > limits.batch_limit:
        raise ApiError(400, f"Invalid request: request ({len(texts)}) exceeds text limit ({limits.batch_limit})")
    chars = sum(len(t) for t in texts)
    if limits.char_limit != NO_LIMIT and chars > limits.char_limit:
        raise ApiError(400, f"Invalid request: request ({chars}) exceeds text limit ({limits.char_limit})")
    return texts, batch


def _language(params: dict, name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise _missing(name)
    if not isinstance(value, str):
        raise ApiError(400, f"Invalid request: {name} must be a language code")
    return value


def resolve_pair(source: str, target: str, served: Any) -> tuple[str, str]:
    """The Argos codes of a request's source (or ``auto``) and target, in any accepted spelling; ApiError 400 with
    LibreTranslate's message where the installed packages do not serve them. Every endpoint asks this."""
    src, tgt = model_code(source), model_code(target)
    if src != AUTO and src not in served.codes:
        raise ApiError(400, f"{source} is not supported")
    if tgt not in served.target_codes:
        raise ApiError(400, f"{target} is not supported")
    if src != AUTO and (src, tgt) not in served.pairs:
        raise ApiError(400, not_available(src, tgt))
    return src, tgt


_KEY: Param = (
    {"type": "string"}, "the API key, when the server has --api-keys (also accepted in the query string)", False
)


@params({
    "q": text_or_list("the text, or a list of texts (one answer each)"),
    "source": ({"type": "string"}, "'auto', or a code of GET /languages", True),
    "target": ({"type": "string"}, "a code of GET /languages", True),
    "format": ({"type": "string", "enum": list(FORMATS), "default": "text"}, "html: only prose text nodes", False),
    "alternatives": ({"type": "integer", "default": 0}, "accepted; answered with empty lists", False),
    "api_key": _KEY,
}, schema={"type": "object", "properties": {
    "translatedText": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "detectedLanguage": {"description": "with source=auto: {language, confidence 0-100}, per item for a list"},
    "translationConfidence": {"description": "the model's score 0-1 per item; null where nothing was translated"},
    "translationError": {"description": "only when an item failed: why, per item (null for the others)"},
    "alternatives": {"type": "array"}}, "required": ["translatedText"]})
async def translate(request: Request) -> JsonResponse:
    """Translate a text or a list of texts (LibreTranslate's /translate).

    Plain text or HTML; with source=auto each item is detected on its own. A text already in the target
    language comes back unchanged; zh-Hans <-> zh-Hant is converted by OpenCC."""
    ctx, params, is_json = await admit(request)
    q = params.get("q")
    _require_q(q)  # the parameters are checked in LibreTranslate's order: q, source, target, alternatives
    source, target = _language(params, "source"), _language(params, "target")
    try:
        alternatives = max(0, int(params.get("alternatives", 0) or 0))
    except (TypeError, ValueError):
        raise ApiError(400, "Invalid request: alternatives parameter is not a number") from None
    if not is_json and isinstance(q, str):
        q = q.replace("\r\n", "\n")  # browsers send form text with CRLF line ends; LibreTranslate normalises too
    texts, batch = _texts(q, ctx)
    fmt = params.get("format") or "text"
    if fmt not in FORMATS:
        raise ApiError(400, f"{fmt} format is not supported")
    src, tgt = resolve_pair(source, target, ctx.service.served)
    items = await run_blocking(request, ctx.executor, ctx.service.translate, texts, src, tgt, fmt)
    detected = [{"confidence": item.confidence, "language": item.language} for item in items]
    result: dict[str, Any] = {"translatedText": [i.text for i in items] if batch else items[0].text}
    scores = [i.translation_confidence for i in items]  # ours; LibreTranslate's clients ignore unknown fields
    result["translationConfidence"] = scores if batch else scores[0]
    if any(i.error for i in items):  # ours too: which items came back as they were, and why
        errors = [i.error for i in items]
        result["translationError"] = errors if batch else errors[0]
    if any(i.demo for i in items):
        result["demo"] = True  # ours: the page says DEMO beside these translations
    if src == AUTO:
        result["detectedLanguage"] = detected if batch else detected[0]
    if alternatives > 0:
        result["alternatives"] = [[] for _ in items] if batch else []
    return JsonResponse(result)


@params({"q": text_or_list("the text, or a list of texts"), "api_key": _KEY})
async def detect(request: Request) -> JsonResponse:
    """Detect the language of a text: ``[{language, confidence}]``, a mixed text's second language listed too."""
    ctx, params, _ = await admit(request)
    texts, batch = _texts(params.get("q"), ctx)
    found = await run_blocking(request, ctx.executor, ctx.service.detect, texts)
    return JsonResponse(found if batch else found[0])


@params({}, schema={"type": "array", "items": {"type": "object", "properties": {
    "code": {"type": "string"}, "name": {"type": "string"},
    "targets": {"type": "array", "items": {"type": "string"}}}}})
async def languages(request: Request) -> JsonResponse:
    """The languages served: LibreTranslate's entries (en, zh-Hans, zh-Hant), then the Chinese codes its clients
    look up (zh, zh-CN, zh-TW, zh-HK, zh_Hant)."""
    return JsonResponse(request.app.state.ctx.service.served.listing())


async def frontend_settings(request: Request) -> JsonResponse:
    """LibreTranslate's settings object: limits, whether keys are needed, the default languages."""
    ctx = request.app.state.ctx
    served = ctx.service.served
    target = "en" if "en" in served.codes else (served.codes[0] if served.codes else "en")
    return JsonResponse({
        "charLimit": ctx.config.char_limit,
        "frontendTimeout": 500,
        "apiKeys": ctx.gate.keys is not None,
        "keyRequired": ctx.gate.keys is not None,
        "suggestions": False,
        "filesTranslation": False,
        "supportedFilesFormat": [],
        "language": {
            "source": {"code": AUTO, "name": "Auto Detect"},
            "target": {"code": public_code(target), "name": language_name(target)},
        },
    })


def routes() -> list[Route]:
    return [
        Route("/translate", translate, methods=["POST"]),
        Route("/detect", detect, methods=["POST"]),
        Route("/languages", languages, methods=["GET", "POST"]),
        Route("/frontend/settings", frontend_settings, methods=["GET"]),
    ]
