"""``POST /thread``: a whole comment thread in, exactly what ``Translator.translate_thread`` returns out.

Body: ``{"comments": [...], "target": "auto"|"en"|"zh", ...}`` plus the CLI's field options under the API's
names (``id_field``, ``text_field``, ``parent_field``, ``field_prefix``, ``zh_variant``, ``errors``,
``mark_cached``). Answer: ``{"comments": [...], "stats": {"comments": N, "statuses": {...}}}``. The models,
cache, glossary and engine settings are the server's. An unknown option is an error rather than ignored, so
that a typo cannot silently change the output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..results import TRANSLATION_FIELDS, added_fields
from ..thread import reply_lists, walk_tree
from .api import ApiError, admit, json_bytes, run_blocking
from .config import NO_LIMIT
from .spec import params

OPTIONS = ("id_field", "text_field", "parent_field", "field_prefix", "zh_variant", "errors", "mark_cached")
TARGETS = ("auto", "en", "zh")


def _walk(comments: list) -> Iterator[dict]:
    """Every comment dict of a thread, replies included (``thread.walk_tree``: threads can be deep)."""
    return walk_tree([c for c in comments if isinstance(c, dict)], _dict_replies)


def _dict_replies(comment: dict) -> list[dict]:
    return [reply for _, replies in reply_lists(comment) for reply in replies if isinstance(reply, dict)]


def _check_limits(comments: list, options: dict[str, Any], config: Any) -> None:
    """``--batch-limit`` counts comments (replies included), ``--char-limit`` their text, as for ``/translate``."""
    if config.batch_limit == NO_LIMIT and config.char_limit == NO_LIMIT:
        return
    text_field = options.get("text_field", "content")
    found = list(_walk(comments))
    if config.batch_limit != NO_LIMIT and len(found) > config.batch_limit:
        raise ApiError(400, f"Invalid request: request ({len(found)}) exceeds text limit ({config.batch_limit})")
    chars = sum(len(c[text_field]) for c in found if isinstance(c.get(text_field), str))
    if config.char_limit != NO_LIMIT and chars > config.char_limit:
        raise ApiError(400, f"Invalid request: request ({chars}) exceeds text limit ({config.char_limit})")


def _answer(service: Any, comments: list, target: str, options: dict[str, Any]) -> bytes:
    """The translated thread and its statuses, rendered to JSON in the worker thread (large threads)."""
    out = service.thread(comments, target, options)
    status_field = added_fields(TRANSLATION_FIELDS, options.get("field_prefix", ""))[3]
    statuses = Counter(c.get(status_field) for c in _walk(out))
    stats = {"comments": sum(statuses.values()), "statuses": dict(sorted(statuses.items()))}
    answer = {"comments": out, "stats": stats}
    return json_bytes(answer)


@params({
    "comments": ({"type": "array", "items": {"type": "object"}}, "comment objects, nested or flat", True),
    "target": ({"type": "string", "enum": list(TARGETS), "default": "auto"}, "auto: zh <-> en", False),
    **{name: ({"type": "boolean" if name == "mark_cached" else "string"}, "as the CLI's option of that name", False)
       for name in OPTIONS},
    "api_key": ({"type": "string"}, "the API key, when the server has --api-keys", False),
}, media=("application/json",), schema={"type": "object", "properties": {
    "comments": {"type": "array", "items": {"type": "object"}}, "stats": {"type": "object"}}})
async def thread(request: Request) -> Response:
    """Translate a whole comment thread: exactly what ``Translator.translate_thread`` returns, with statuses."""
    ctx, params, is_json = await admit(request)
    if not is_json:
        raise ApiError(400, "Invalid request: /thread takes a JSON body")
    comments = params.pop("comments", None)
    if not isinstance(comments, list):
        raise ApiError(400, "Invalid request: comments must be a list of comment objects")
    target = params.pop("target", "auto")
    if target not in TARGETS:
        raise ApiError(400, f"Invalid request: target must be one of {', '.join(TARGETS)}, got {target!r}")
    unknown = sorted(set(params) - set(OPTIONS) - set(request.query_params))
    if unknown:
        known = ", ".join(("target", *OPTIONS))
        raise ApiError(400, f"Invalid request: unknown option(s) {', '.join(unknown)}; known: {known}")
    options = {name: params[name] for name in OPTIONS if name in params}
    for name, value in options.items():
        if not isinstance(value, bool if name == "mark_cached" else str):
            raise ApiError(400, f"Invalid request: {name} must be a {'boolean' if name == 'mark_cached' else 'string'}")
    _check_limits(comments, options, ctx.config)
    body = await run_blocking(request, ctx.executor, _answer, ctx.service, comments, target, options)
    return Response(body, media_type="application/json")
