"""The translation cache: what is stored, under which keys, in which backend.

Two tables. ``segments``: one guarded model output per (model package and version, language pair, decoding and
engine options, glossary, normalised segment), so a re-run, or the same ``哈哈哈`` in a thousand comments, costs
the model nothing, and a new model version or decoding setting is never served an old answer. ``comments``: one
whole result per (settings fingerprint, source and target mode, text, @mentions), looked up in one batch before
any analysis, so a warm re-run in a new process skips span splitting, detection and reassembly too.

Keys and value encodings live here, not in the backends (SQLite here, Redis for a fleet), so that every backend
stores the same entries; the layout versions are part of every key, so a change of encoding never reads old values.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Sequence

from ..errors import CacheError
from ..results import STATUS_BY_VALUE, Translation
from ..segment import GuardResult, normalize_segment
from .base import TABLES, BackendBase, CacheBackend, CacheWarning
from .memory import MemoryCache
from .sqlite import CACHE_ENV, CACHE_FILE, SqliteCache, default_cache_path

__all__ = [
    "CACHE_ENV",
    "CACHE_FILE",
    "COMMENT_LAYOUT",
    "SEGMENT_LAYOUT",
    "TABLES",
    "BackendBase",
    "CacheBackend",
    "CacheWarning",
    "MemoryCache",
    "SqliteCache",
    "comment_key",
    "decode_comment",
    "decode_segment",
    "default_cache_path",
    "encode_comment",
    "encode_segment",
    "open_cache",
    "segment_key",
]

_SURROGATE = re.compile("[\ud800-\udfff]")
SEGMENT_LAYOUT = "guarded-v1"  # segment values: [guarded text, flags]
COMMENT_LAYOUT = "comment-v1"  # comment values: [translation, source, target, status, flags, model pieces]


def _digest(parts: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def segment_key(package_id: str, source_lang: str, target_lang: str, decode_fp: str, engine_fp: str,
                glossary_fp: str, segment: str) -> str:
    """The key of one model output: a hash of everything that decides it (the same keys as earlier releases for
    the same settings, so their cache files stay warm)."""
    options = f"{decode_fp}/{engine_fp}/{SEGMENT_LAYOUT}"
    return _digest((package_id, source_lang, target_lang, options, glossary_fp, normalize_segment(segment)))


def comment_key(settings_fp: str, source: str, mode: str, text: str, mentions: Sequence[str]) -> str:
    """The key of one whole-comment result under a Translator's settings fingerprint."""
    return _digest((COMMENT_LAYOUT, settings_fp, source, mode, text, str(len(mentions)), *mentions))


def _json(value: list) -> str:
    """JSON text SQLite can store: a lone surrogate (a protected span of a comment that had one) is escaped, as
    UTF-8 cannot hold it; everything else stays raw unicode, a third of the size of escapes."""
    text = json.dumps(value, ensure_ascii=False)
    return json.dumps(value) if _SURROGATE.search(text) else text


def encode_segment(guarded: GuardResult) -> str:
    return _json([guarded.text, list(guarded.flags)])


def decode_segment(value: str | None) -> GuardResult | None:
    """A stored segment value back into its guarded output; None for an absent or unreadable value (a miss)."""
    try:
        text, flags = json.loads(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return None
    if not isinstance(text, str) or not _words(flags):
        return None
    return GuardResult(text, tuple(flags))


def encode_comment(result: Translation, model_pieces: int) -> str:
    """A whole-comment result without its text (the key holds it), and how many model pieces it took."""
    return _json([result.translation, result.source_lang, result.target_lang, result.status.value,
                  list(result.flags), model_pieces])


def decode_comment(value: str | None, text: str) -> tuple[Translation, int] | None:
    """A stored comment value back into (result for ``text``, model pieces); None when absent or unreadable.
    A warm re-run decodes one of these per comment, so the checks are the cheap ones that reject any value this
    module did not write."""
    try:
        translation, source, target, status, flags, pieces = json.loads(value)  # type: ignore[arg-type]
        status = STATUS_BY_VALUE[status]
    except (ValueError, TypeError, KeyError):
        return None
    if (type(source) is not str or type(pieces) is not int or not (translation is None or type(translation) is str)
            or not (target is None or type(target) is str) or not _words(flags)):
        return None
    return Translation(text, translation, source, target, status, tuple(flags)), pieces


def _words(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def open_cache(cache: Any = None) -> CacheBackend | None:
    """The backend for a ``cache=`` option: False -> None (no cache); None or True -> the default SQLite file;
    a path -> that SQLite file; a backend object -> itself."""
    if cache is False:
        return None
    if cache is None or cache is True:
        return SqliteCache(default_cache_path())
    if isinstance(cache, (str, Path)):
        text = str(cache)
        if "://" in text:
            raise CacheError(f"unsupported cache address {text!r}: give a file path")
        return SqliteCache(cache)
    if all(hasattr(cache, name) for name in ("get_many", "put_many", "stats", "clear", "close")):
        return cache
    raise CacheError(f"cache must be False, None, a file path or a cache backend, got {type(cache).__name__}")
