"""``TranslationService``: the server's translation work, without HTTP. Its methods block; the endpoints run them
in worker threads.

One Translator (thread-safe) serves every LibreTranslate request, over one ``BatchingProvider``, so that the
cache misses of concurrent requests share model batches. Requests that need other Translator settings (a
``zh-Hant`` target, ``/thread`` field names) get a Translator of their own, made once per distinct setting and
kept (a few at most: each holds only its options, a memo and a cache connection); all of them share the same
provider, hence the same engines and batches, and the same cache file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from ..detection import Detection
from ..models.batching import BatchingProvider, BatchReport
from ..results import DEMO_NOTICE, Flag, Stats
from .config import ServerConfig
from .languages import AUTO, HANS, HANT, Served, public_code
from .markup import join_markup, markup_text, split_markup, texts_to_translate

log = logging.getLogger("xhs_translate.server")
_DEFAULT_KEY = (("errors", "mark"),)  # the options of the default Translator, as translator() keys them
# distinct settings kept; beyond that the least recently used is dropped (requests using it finish)
MAX_TRANSLATORS = 16
_STAT_KEYS = ("comments", "segments", "segments_translated", "cache_hits", "cache_misses", "comment_hits",
              "model_batches")


@dataclass(frozen=True)
class Translated:
    """One item of ``q``: its translation (the original where nothing needed translating, or where the model failed
    on it), its detection, the model's confidence in the translation (0-1; for HTML the lowest of its text nodes';
    None where the model translated nothing), and why it failed."""

    text: str
    language: str  # public code of the detected language
    confidence: float  # 0-100
    translation_confidence: float | None = None
    demo: bool = False  # a demo (random-weight) package wrote the translations of this request: gibberish
    error: str | None = None  # why the item came back untranslated (the model failed on it), else None


def _failure(result: Any) -> str | None:
    """Why a text came back untranslated (its ``failed`` status and flags), or None."""
    if result.status != "failed":
        return None
    return f"translation failed ({', '.join(str(f) for f in result.flags) or 'no reason given'})"


def detection_entry(detection: Detection) -> dict[str, Any]:
    """A detection as LibreTranslate gives it; no language at all is ``en`` with confidence 0, as there."""
    if detection.lang == "und":
        return {"confidence": 0.0, "language": "en"}
    return {"confidence": round(detection.confidence * 100, 1),
            "language": public_code(detection.lang, detection.script)}


def detection_candidates(detection: Detection) -> list[dict[str, Any]]:
    """``/detect``'s list: the language, then for a mixed text the other language with its share."""
    entries = [detection_entry(detection)]
    for lang, share in detection.shares:
        if lang != detection.lang:
            entries.append({"confidence": round(share * 100, 1), "language": public_code(lang)})
    return entries


class TranslationService:
    """Translators, the batching provider and the served languages, built from a :class:`ServerConfig`."""

    def __init__(self, config: ServerConfig, on_batch: Callable[[BatchReport], None] | None = None):
        from ..cache import open_cache
        from ..models.packages import list_packages

        self.config = config
        self.provider = BatchingProvider(
            max_wait=config.coalesce_ms / 1000, regroup_wait=config.regroup_ms / 1000,
            max_batch_tokens=config.coalesce_tokens, on_batch=on_batch,
        )
        self.served = Served.from_packages(list_packages(config.translator.models_dir))
        self._cache = open_cache(config.cache)  # one backend (SQLite connections) for every Translator
        self._lock = threading.Lock()
        self._translators: dict[tuple, Any] = {}
        self._retired = Stats()  # counters of translators dropped beyond MAX_TRANSLATORS
        self._loaded = False
        # LibreTranslate requests: an item the model fails on is marked and comes back as it came, never failing
        # the request's other items (a /thread request chooses its own ``errors``)
        self.default = self.translator(**dict(_DEFAULT_KEY))

    # --- translators ----------------------------------------------------------------------------------------
    def translator(self, **options: Any) -> Any:
        """The Translator for these flat options (``zh_variant``, field names, ``errors``, ``mark_cached``) over the
        server's config, made once."""
        from ..translator import Translator

        key = tuple(sorted(options.items()))
        with self._lock:
            translator = self._translators.pop(key, None)
            if translator is None:
                config = self.config.translator.replace(**options) if options else self.config.translator
                cache = self._cache if self._cache is not None else False
                translator = Translator(config, cache=cache, engine_provider=self.provider)
                if len(self._translators) >= MAX_TRANSLATORS:  # forget the least recently used, never the default
                    retired = self._translators.pop(next(k for k in self._translators if k != _DEFAULT_KEY))
                    self._retired += retired.stats()  # its counts stay in stats(), so the metrics never go down
            self._translators[key] = translator  # most recently used last
            return translator

    def load(self) -> None:
        """Load the engines the routes use and the detector before the first request, so none of them waits for
        it: the Translator's own engines (``Translator.engines``: per direction, the one package its routing picks,
        not every installed version). Idempotent; a package that cannot be loaded raises its PackageError here,
        before the server listens."""
        from ..detection import detect_many

        with self._lock:
            if self._loaded:
                return
            self.default.engines()
            detect_many(["你好，世界。", "繁體中文的句子", "hello world", "bonjour tout le monde"])
            self._loaded = True

    def models(self, demo_only: bool = False) -> list[str]:
        """The packages the Translator routes to (id@version), which :meth:`load` loads; with ``demo_only``, the
        random-weight demo ones (gibberish output)."""
        return sorted(p.package_id for p in self.default.packages() if p.demo or not demo_only)

    # --- LibreTranslate -------------------------------------------------------------------------------------
    def translate(self, texts: Sequence[str], source: str, target: str, fmt: str | Sequence[str]) -> list[Translated]:
        """Translate ``texts`` (plain text or HTML: one ``fmt`` for all, or one per text) from ``source`` (an Argos
        code or ``auto``) into ``target``.

        Every text goes through the Translator's pipeline in one call (per-sentence detection, protected spans,
        glossary, cache, shared batches); for HTML only the translatable text nodes do. Errors are the library's
        own (``XhsTranslateError``); the app's error mapping answers them in HTTP (``server/app.py``)."""
        from ..detection import detect_many

        formats = [fmt] * len(texts) if isinstance(fmt, str) else list(fmt)
        if {source, target} == {HANS, HANT}:
            return self._convert(texts, source, target, formats)
        translator = self.translator(zh_variant="Hant", errors="mark") if target == HANT else self.default
        source_mode = AUTO if source == AUTO else ("zh" if source in (HANS, HANT) else source)
        target_mode = "zh" if target in (HANS, HANT) else target
        documents = [split_markup(text) if f == "html" else None for text, f in zip(texts, formats)]
        nodes = [texts_to_translate(doc) if doc is not None else [text] for text, doc in zip(texts, documents)]
        units = [node for doc_nodes in nodes for node in doc_nodes]
        results = translator.translate_many(units, source=source_mode, target=target_mode)
        ends = list(accumulate(len(doc_nodes) for doc_nodes in nodes))
        per_text = [results[end - len(doc_nodes) : end] for end, doc_nodes in zip(ends, nodes)]
        translated, confidences, errors = [], [], []
        for doc, own in zip(documents, per_text):  # a node without a translation stays as it came
            translated.append(own[0].shown if doc is None else join_markup(doc, [r.translation for r in own]))
            confidences.append(min((r.confidence for r in own if r.confidence is not None), default=None))
            errors.append(next((failure for r in own if (failure := _failure(r))), None))
        for index, error in enumerate(errors):
            if error:  # the item comes back as it came; the others are not held back by it
                log.warning("item %d of %d came back untranslated: %s", index + 1, len(texts), error)
        demo = any(Flag.DEMO_MODEL in r.flags for r in results)
        if source != AUTO:
            return [Translated(text, public_code(source), 100.0, score, demo, error)
                    for text, score, error in zip(translated, confidences, errors)]
        # a plain text's detection comes with its result; an HTML document's nodes were translated one by one, so
        # the document is detected on its whole prose
        pages = [markup_text(doc) for doc in documents if doc is not None]
        found = iter(detect_many(pages, languages=translator.config.languages) if pages else ())
        detections: list[Any] = [own[0].detection if doc is None else next(found)
                                 for doc, own in zip(documents, per_text)]
        entries = [detection_entry(d) for d in detections]
        return [Translated(text, e["language"], e["confidence"], score, demo, error)
                for text, e, score, error in zip(translated, entries, confidences, errors)]

    @staticmethod
    def _convert(texts: Sequence[str], source: str, target: str, formats: Sequence[str]) -> list[Translated]:
        """Simplified <-> Traditional Chinese by OpenCC alone (no model: no translation confidence); for HTML only
        the translatable text nodes."""
        from ..routing import convert

        config = "s2t" if target == HANT else "t2s"
        converted = []
        for text, f in zip(texts, formats):
            if f == "html":
                doc = split_markup(text)
                converted.append(join_markup(doc, [convert(node, config) for node in texts_to_translate(doc)]))
            else:
                converted.append(convert(text, config))
        return [Translated(text, public_code(source), 100.0) for text in converted]

    def detect(self, texts: Sequence[str]) -> list[list[dict[str, Any]]]:
        from ..detection import detect_many

        return [detection_candidates(d) for d in detect_many(list(texts), languages=self.config.translator.languages)]

    # --- /thread --------------------------------------------------------------------------------------------
    def thread(self, comments: list, target: str, options: dict[str, Any]) -> list[dict]:
        """Exactly ``Translator(**options).translate_thread(comments, target)`` (with the server's models and cache)."""
        return self.translator(**options).translate_thread(comments, target=target)

    # --- health and stats -----------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """Models loaded and cache reachable; ``ok`` is False when no model is loaded or the cache failed."""
        models = self.models()
        cache = self._cache
        if cache is None:
            cache_state: dict[str, Any] = {"enabled": False}
        else:
            cache.get_many("segments", ["xhs-translate-health-check"])  # one read through the connection
            cache_state = {"enabled": True, "where": cache.description, "reachable": cache.enabled}
        ok = bool(models) and cache_state.get("reachable", True)
        return {
            "status": "ok" if ok else "degraded",
            "models": models,
            **({"demo": DEMO_NOTICE, "demo_models": demo} if (demo := self.models(demo_only=True)) else {}),
            "languages": [public_code(code) for code in self.served.codes],
            "cache": cache_state,
        }

    def stats(self) -> Stats:
        """Translator counters summed over every Translator, plus the batching engines' counters (``batching_``)."""
        with self._lock:
            translators = list(self._translators.values())
            retired = self._retired
        total = sum((translator.stats() for translator in translators), retired).only(_STAT_KEYS)
        cache_errors = self._cache.error_count if self._cache is not None else 0  # one backend for all
        batching = {f"batching_{key}": value for key, value in self.provider.stats().items()}
        return Stats({**total, "cache_errors": cache_errors, **batching})

    def close(self) -> None:
        """Finish queued work and stop the batching threads; close the cache connections."""
        self.provider.close()
        with self._lock:
            translators = list(self._translators.values())
        for translator in translators:
            translator.close()
        if self._cache is not None:
            self._cache.close()
