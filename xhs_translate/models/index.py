"""A small reader of the Argos online package index, so installing by pair does not need argostranslate (and torch)."""

from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..errors import PackageIndexError, PackageIndexHTTPError, PackageIndexUnreachableError
from .packages import normalize_version

INDEX_ENV = "ARGOS_PACKAGE_INDEX"
DEFAULT_INDEX_URL = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json"
DEFAULT_TIMEOUT = 15.0


@dataclass(frozen=True)
class IndexEntry:
    """One package the index offers; field names follow the index's own JSON keys."""

    from_code: str
    to_code: str
    package_version: str
    links: tuple[str, ...]
    name: str = ""
    code: str = ""
    from_name: str = ""
    to_name: str = ""
    argos_version: str = ""


def resolve_index_url(index_url: str | None = None) -> str:
    """The index URL: the argument, else $ARGOS_PACKAGE_INDEX, else Argos' default.

    Like argostranslate, a value that does not end in ``.json`` is a repository base and gets ``/index.json``
    appended, so an ``ARGOS_PACKAGE_INDEX`` set for argostranslate works here unchanged.
    """
    url = index_url or os.environ.get(INDEX_ENV) or DEFAULT_INDEX_URL
    if not url.endswith(".json"):
        url = url.rstrip("/") + "/index.json"
    return url


def offline_help(url: str, reason: object, from_code: str = "zh", to_code: str = "en") -> str:
    """The message for an unreachable index: what failed and how to install from a file instead."""
    example = f"translate-{from_code}_{to_code}-1_9.argosmodel"
    return (
        f"the Argos package index at {url} could not be reached ({reason}). "
        f"Install from a file instead: on a machine with internet, download {example} "
        f"(the index at {DEFAULT_INDEX_URL} lists the download links, e.g. https://argos-net.com/v1/{example}), "
        f"copy it here and run `xhs-translate models install /path/to/{example}`."
    )


def http_answer(exc: urllib.error.HTTPError) -> str:
    """What a server answered, for messages: ``not found (404)``, ``HTTP 503 Service Unavailable``."""
    return "not found (404)" if exc.code == 404 else f"HTTP {exc.code} {exc.reason}".rstrip()


@contextmanager
def open_url(
    url: str, answered: Callable[[str], str], unreachable: Callable[[object], str], timeout: float = DEFAULT_TIMEOUT
) -> Iterator[Any]:
    """``urlopen`` with our errors. A server that answered an HTTP error was reached, so that is not an offline
    problem (HTTPError is a URLError): ``PackageIndexHTTPError(answered(answer))``. A failed connection, or a body
    cut off while it is read, is ``PackageIndexUnreachableError(unreachable(reason))``. The caller keeps local
    file errors out of the ``with`` body (they are not the network's fault)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            yield response
    except urllib.error.HTTPError as exc:
        raise PackageIndexHTTPError(answered(http_answer(exc)), url=url, status=exc.code) from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:  # IncompleteRead: cut off
        reason = getattr(exc, "reason", None) or exc
        raise PackageIndexUnreachableError(unreachable(reason), url=url, reason=reason) from exc


def load_index(index_url: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> list[IndexEntry]:
    """Fetch and parse the index (http(s) or file:// URL). Entries without a language pair are skipped."""
    url = resolve_index_url(index_url)
    answered = f"the package index at {url} answered: {{}}; check the URL (${INDEX_ENV} or index_url)".format
    with open_url(url, answered, lambda reason: offline_help(url, reason), timeout) as response:
        raw = response.read()
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PackageIndexError(f"the package index at {url} is not valid JSON: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("packages"), list):
        data = data["packages"]
    if not isinstance(data, list):
        raise PackageIndexError(f"the package index at {url} is not a JSON list of packages")
    return [entry for entry in map(_parse_entry, data) if entry is not None]


def _parse_entry(item: object) -> IndexEntry | None:
    if not isinstance(item, dict):
        return None
    from_code, to_code = item.get("from_code"), item.get("to_code")
    if not (isinstance(from_code, str) and from_code and isinstance(to_code, str) and to_code):
        return None
    links = item.get("links") or ()
    if isinstance(links, str):  # one link written as a string: not a sequence of one-character links
        links = (links,)
    return IndexEntry(
        from_code=from_code,
        to_code=to_code,
        package_version=normalize_version(item.get("package_version")),
        links=tuple(str(link) for link in links if isinstance(link, str)),
        name=str(item.get("name", "") or ""),
        code=str(item.get("code", "") or ""),
        from_name=str(item.get("from_name", "") or ""),
        to_name=str(item.get("to_name", "") or ""),
        argos_version=str(item.get("argos_version", "") or ""),
    )
