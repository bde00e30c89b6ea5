"""``GET /spec``: an OpenAPI 3.0 description of every route, built from the routes themselves.

Nothing is written twice: each route's methods come from the router, its summary and description from its
endpoint's docstring, and its parameters from what the endpoint declares with :func:`params` beside its code
(enumerations from the constants the endpoint checks against, language codes from the installed packages).
LibreTranslate serves its own (Swagger) description at the same path.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .. import __version__

#: A parameter: (JSON schema, description, required).
Param = tuple[dict[str, Any], str, bool]
JSON_AND_FORMS = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
_ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
_ERRORS = {
    "400": "a missing or invalid parameter, an unsupported language, an unreadable body, a limit exceeded, or no key",
    "403": "an unknown API key, or a page from an origin that may not call this server",
    "408": "the request did not arrive within --request-timeout",
    "413": "the body is larger than --body-limit",
    "429": "over the key's or the address's requests per minute",
    "503": "more connections than --max-connections, or the server is shutting down",
}


def params(body: dict[str, Param], media: tuple[str, ...] = JSON_AND_FORMS, **answer: Any) -> Callable:
    """Declare an endpoint's body parameters (and optionally its answer's JSON schema, ``schema=...``)."""

    def mark(endpoint: Callable) -> Callable:
        endpoint.openapi_body = (body, media)  # type: ignore[attr-defined]
        endpoint.openapi_answer = answer.get("schema")  # type: ignore[attr-defined]
        return endpoint

    return mark


def text_or_list(description: str) -> Param:
    return ({"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}, description, True)


def _operation(endpoint: Callable, method: str) -> dict[str, Any]:
    doc = inspect.getdoc(endpoint) or ""
    summary, _, description = doc.partition("\n\n")
    operation: dict[str, Any] = {"summary": " ".join(summary.split()), "operationId": f"{endpoint.__name__}_{method}"}
    if description:
        operation["description"] = description
    body, media = getattr(endpoint, "openapi_body", ({}, ()))
    if body and method == "post":
        schema = {
            "type": "object",
            "properties": {name: {**schema, "description": text} for name, (schema, text, _) in body.items()},
            "required": [name for name, (_, _, required) in body.items() if required],
        }
        operation["requestBody"] = {"required": True, "content": {m: {"schema": schema} for m in media}}
    answer = getattr(endpoint, "openapi_answer", None)
    ok: dict[str, Any] = {"description": "OK"}
    if answer is not None:
        ok["content"] = {"application/json": {"schema": answer}}
    operation["responses"] = {"200": ok, **{code: {"description": text, "content": {
        "application/json": {"schema": _ERROR}}} for code, text in _ERRORS.items()}}
    return operation


def openapi(routes: list, title: str = "xhs-translate") -> dict[str, Any]:
    """The OpenAPI document of ``routes`` (Starlette Routes)."""
    paths: dict[str, Any] = {}
    for route in routes:
        methods = sorted(m.lower() for m in (route.methods or ()) if m != "HEAD")
        paths[route.path] = {method: _operation(route.endpoint, method) for method in methods}
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": __version__,
                 "description": "LibreTranslate's API (offline zh <-> en) plus /thread, /health and /metrics."},
        "paths": paths,
        "components": {"securitySchemes": {"api_key": {"type": "apiKey", "in": "query", "name": "api_key"}}},
    }
