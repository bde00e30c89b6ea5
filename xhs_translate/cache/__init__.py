"""The translation cache: what is stored, under which keys, in which backend.

Two tables. ``segments``: one guarded model output per (model package and version, language pair, decoding and
engine options, glossary, normalised segment), so a re-run, or the same ``哈哈哈`` in a thousand comments, costs
the model nothing, and a new model version or decoding setting is never served an old answer. ``comments``: one
whole result per (settings fingerprint, source and target mode, text, @mentions), looked up in one batch before
any analysis, so a warm re-run in a new process skips span splitting, detection and reassembly too.

Keys and value encodings live here, not in the backends (SQLite for one machine, Redis for a fleet), so that every
backend stores the same entries; the layout versions are part of every key, so a change of encoding never reads old
values.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .._types import CacheArg
from ..detection import Detection
from ..errors import CacheError
from ..results import STATUS_BY_VALUE, ModelOutput, Translation
from ..segment import normalize_segment
from .base import TABLES, BackendBase, CacheBackend, CacheWarning
from .memory import MemoryCache
from .redis import RedisCache, is_redis_address, parse_ttl, redact
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
    "RedisCache",
    "SqliteCache",
    "comment_key",
    "decode_comment",
    "decode_segment",
    "default_cache_path",
    "encode_comment",
    "encode_segment",
    "open_cache",
    "parse_ttl",
    "segment_key",
]

_SURROGATE = re.compile("[\ud800-\udfff]")
SEGMENT_LAYOUT = "scored-v2"  # segment values: [guarded text, flags, log-prob sum, tokens]
# comment values: [translation, source, target, status, flags, model pieces, confidence, detection], the detection
# as [language, confidence, script, mixed, shares] (or null)
COMMENT_LAYOUT = "comment-v3"


def _digest(parts: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def segment_key(package_id: str, source_lang: str, target_lang: str, decode_fp: str, engine_fp: str,
                glossary_fp: str, segment: str) -> str:
    """The key of one model output: a hash of everything that decides it."""
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


def encode_segment(output: ModelOutput) -> str:
    return _json([output.text, list(output.flags), output.log_prob, output.tokens])


def decode_segment(value: str | None) -> ModelOutput | None:
    """A stored segment value back into its model output; None for an absent or unreadable value (a miss)."""
    try:
        text, flags, log_prob, tokens = json.loads(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return None
    if (not isinstance(text, str) or not _words(flags) or type(tokens) is not int
            or not (log_prob is None or type(log_prob) is float)):
        return None
    return ModelOutput(text, tuple(flags), log_prob, tokens)


def encode_comment(result: Translation, model_pieces: int) -> str:
    """A whole-comment result without its text (the key holds it), and how many model pieces it took."""
    found = result.detection
    detection = None if found is None else [found.lang, found.confidence, found.script, found.mixed, found.shares]
    return _json([result.translation, result.source_lang, result.target_lang, result.status.value,
                  list(result.flags), model_pieces, result.confidence, detection])


def decode_comment(value: str | None, text: str) -> tuple[Translation, int] | None:
    """A stored comment value back into (result for ``text``, model pieces); None when absent or unreadable.
    A warm re-run decodes one of these per comment, so the checks are the cheap ones that reject any value this
    module did not write."""
    if value is None:
        return None
    try:
        entry, end = _SCAN(value, 0)  # the C scanner without json.loads' checks: ~40% less per value
        translation, source, target, status, flags, pieces, confidence, detection = entry
        status = STATUS_BY_VALUE[status]
        found = None if detection is None else _detection(*detection)
    except (ValueError, TypeError, KeyError, StopIteration):
        return None
    if end != len(value):
        return None
    if (type(source) is not str or type(pieces) is not int or not (translation is None or type(translation) is str)
            or not (target is None or type(target) is str) or not _words(flags)
            or not (confidence is None or type(confidence) is float)):
        return None
    return Translation(text, translation, source, target, status, tuple(flags), confidence, detection=found), pieces


def _detection(lang: Any, confidence: Any, script: Any, mixed: Any, shares: Any) -> Detection:
    """A stored detection back; ValueError for anything ``encode_comment`` did not write."""
    if (type(lang) is not str or type(confidence) not in (float, int) or not (script is None or type(script) is str)
            or type(mixed) is not bool or not isinstance(shares, list)
            or not all(type(s) is list and len(s) == 2 and type(s[0]) is str and type(s[1]) in (float, int)
                       for s in shares)):
        raise ValueError("not a stored detection")
    return Detection(lang, float(confidence), script, mixed, tuple((s[0], float(s[1])) for s in shares))


# scan_once is set by JSONDecoder.__init__, which typeshed does not declare
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _words(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def open_cache(cache: CacheArg = None, *, ttl: str | int | None = None) -> CacheBackend | None:
    """The backend for a ``cache=`` option: False -> None (no cache); None or True -> the default SQLite file;
    a path -> that SQLite file; a ``redis://``, ``rediss://`` or ``unix://`` address -> that Redis (a CacheError
    here when it does not answer); a backend object -> itself. ``ttl`` (seconds, or ``30d``): entries expire,
    which only Redis does."""
    if ttl is not None and not is_redis_address(cache):
        raise CacheError("a cache TTL needs a Redis cache (redis://...); SQLite entries are kept until cleared")
    if cache is False:
        return None
    if cache is None or cache is True:
        return SqliteCache(default_cache_path())
    if is_redis_address(cache):
        return RedisCache(cache, ttl=ttl)
    if isinstance(cache, (str, Path)):
        text = str(cache)
        if "://" in text:
            raise CacheError(f"unsupported cache address {redact(text)!r}: give a file path or a redis://, rediss:// "
                             "or unix:// address")
        return SqliteCache(cache)
    if all(hasattr(cache, name) for name in ("get_many", "put_many", "stats", "clear", "close")):
        return cache
    raise CacheError(f"cache must be False, None, a file path, a Redis address or a cache backend, "
                     f"got {type(cache).__name__}")
