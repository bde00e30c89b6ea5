"""``Translator``: detect, protect, segment, dedupe, cache and batch-translate comment threads, losing nothing.

Pipeline for one call (a whole thread, or a list of texts):

1. flatten the thread (``thread.py``) and split every text into protected spans and text runs (``spans.py``);
2. cut runs into sentences (``segment.py``), keeping each sentence's edge whitespace outside the model;
3. detect each sentence's language (``detection.py``) and route it: a sentence already in the target
   language, or with no letters, stays verbatim; Traditional Chinese goes to a ``zt`` package when one is
   installed, else through OpenCC t2s to the zh package; other languages need their own package;
4. cut glossary terms out of every routed sentence (their target forms are spliced back in later);
5. dedupe the remaining pieces across the whole call, look them up in the cache in one batch per model,
   send only the misses to the engine (a few large, length-bucketed calls), store the results;
6. guard each output against repetition loops, then reassemble every comment: protected spans and
   glossary targets verbatim, in their original order and places, whatever the model emitted.

Statuses (``translation_status``), decided per comment:

- ``no_text``: the text is missing, None, blank, or has no letters (emoji, codes, mentions, numbers only);
- ``same_language``: every sentence with letters is already in the target language;
- ``unsupported_language``: sentences need translating, but no installed package serves any of them;
- ``failed``: a needed zh/en model is missing (``errors="mark"``), the text is not a str (``errors="mark"``),
  or the model failed on one of the comment's sentences; ``translation`` is then None;
- ``translated``: the comment has a translation;
- ``cached``: only with ``Translator(mark_cached=True)``: a translated comment whose every model piece was
  served by the cache (disk, memory or the per-comment memo) rather than decoded in this call.

By default (``mark_cached=False``) a cache hit reports ``translated``, so the output never depends on the
state of the cache: a thread translated twice, or a CLI run interrupted and resumed from the cache, gives
byte-identical output. ``stats()`` still counts cache hits.

Model outputs are guarded against repetition loops once, when decoded, and the cache stores the guarded text
with its flags (a JSON pair), so a cache hit gives exactly what the model path gave, flags included, without
re-running the guard. In front of the segment cache, each Translator with a cache keeps a bounded LRU memo of
whole-comment results (``memo_size`` entries, keyed by text, @mentions, source and target mode; cleared when
the decoding options, glossary, models dir, compute type or zh variant change): a repeated comment or thread
skips splitting, detection and reassembly. Results with status ``failed`` are never memoised.

``translation`` is None for every status but ``translated`` and ``cached``.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .cache import TranslationCache, default_cache_path, make_key
from .errors import InputError, ModelNotInstalledError
from .glossary import Glossary
from .segment import GuardResult, guard_output, has_words, normalize_segment, split_edges, split_long, split_sentences
from .thread import TRANSLATION_FIELDS, added_fields, flatten_thread, rebuild_thread

TRANSLATED = "translated"
CACHED = "cached"
SAME_LANGUAGE = "same_language"
NO_TEXT = "no_text"
UNSUPPORTED_LANGUAGE = "unsupported_language"
FAILED = "failed"
STATUSES = (TRANSLATED, CACHED, SAME_LANGUAGE, NO_TEXT, UNSUPPORTED_LANGUAGE, FAILED)

GLOSSARY_APPLIED = "glossary_applied"
PARTIALLY_TRANSLATED = "partially_translated"
TRADITIONAL_CONVERTED = "traditional_converted"

CORE_LANGS = frozenset({"zh", "en"})  # a missing package for these is an error, for others "unsupported"
TARGET_MODES = ("auto", "en", "zh")
UND = "und"
MAX_SEGMENT_CHARS = 300
MEMO_SIZE = 20_000  # default per-Translator memo of whole-comment results (a few MiB for short comments)
# Part of every cache key: entries hold guarded (text, flags) pairs, never raw outputs of an older layout.
_CACHE_LAYOUT = "guarded-v1"
# Where a translated English piece meets other text without whitespace, a space goes in, except next to these.
_NO_SPACE_BEFORE = set(",.!?;:)]}%'\"，。！？；：）」』、…~～")
_NO_SPACE_AFTER = set("([{（「『")


@dataclass(frozen=True, slots=True)
class Translation:
    """The result for one text: ``translation`` is None unless ``status`` is translated or cached."""

    text: Any
    translation: str | None
    source_lang: str
    target_lang: str | None
    status: str
    flags: tuple[str, ...] = ()

    def as_fields(self, names: Sequence[str] = TRANSLATION_FIELDS) -> dict[str, Any]:
        """The fields added to a comment dict, under ``names``: ``TRANSLATION_FIELDS`` or, with a field prefix,
        ``added_fields(TRANSLATION_FIELDS, prefix)`` (computed once per Translator, not per comment)."""
        return dict(zip(names, (self.source_lang, self.target_lang, self.translation, self.status, list(self.flags))))


@dataclass(frozen=True)
class _Route:
    """How a (language, target) pair is served: a package, plus OpenCC conversions before and after."""

    package: Any  # ModelPackage
    source_lang: str  # logical languages, for glossaries
    target_lang: str
    before: str | None = None  # OpenCC config applied to the source ("t2s")
    after: str | None = None  # OpenCC config applied to the output ("s2t")


@dataclass(frozen=True)
class _Job:
    """One deduplicated model input."""

    route: _Route
    text: str  # normalised, as sent to the model


@dataclass
class _Plan:
    """One text's pieces and what happened to it; filled while planning, then while translating."""

    text: Any
    source_lang: str = UND
    target_lang: str | None = None
    pieces: list = field(default_factory=list)  # str (verbatim) | ("glossary", target) | _Job
    flags: list = field(default_factory=list)
    linguistic: int = 0  # sentences with a detected language
    needs: int = 0  # sentences that needed translating
    unsupported: int = 0
    failed: bool = False
    done: Translation | None = None  # set when decided without the model


@lru_cache(maxsize=None)
def _opencc(config: str) -> Any:
    import opencc

    return opencc.OpenCC(config)


def _convert(text: str, config: str | None) -> str:
    return _opencc(config).convert(text) if config else text


def join_pieces(parts: Sequence[tuple[str, bool]], spaced: bool) -> str:
    """Concatenate (text, translated) parts; when ``spaced`` (English output) put a space where a translated
    part would otherwise touch its neighbour, as in ``[笑哭R]So funny`` -> ``[笑哭R] So funny``."""
    out: list[str] = []
    prev, prev_translated = "", False
    for text, translated in parts:
        if not text:
            continue
        if (
            spaced
            and prev
            and (translated or prev_translated)
            and not prev[-1].isspace()
            and not text[0].isspace()
            and text[0] not in _NO_SPACE_BEFORE
            and prev[-1] not in _NO_SPACE_AFTER
        ):
            out.append(" ")
        out.append(text)
        prev, prev_translated = text, translated
    return "".join(out)


class Translator:
    """Holds models, cache and options; safe to share across threads.

    ``cache``: a path, ``None`` for the default file (``$XHS_TRANSLATE_CACHE`` or the user cache folder),
    or ``False`` for no cache. ``target``: ``auto`` (zh -> en, en -> zh, others -> en), ``en`` or ``zh``.
    ``glossary``: a :class:`Glossary`, a TSV/CSV file path (zh -> en unless its rows say otherwise), or a
    ``{source: target}`` zh -> en mapping; merged over the built-in slang list unless ``builtin_glossary=False``.
    ``errors``: ``raise`` (missing model or non-str text raises) or ``mark`` (those comments get ``failed``).
    ``mark_cached``: report ``cached`` instead of ``translated`` for comments served wholly from the cache
    (off by default, so that output never depends on cache state). ``inter_threads``/``intra_threads``:
    CTranslate2 threads, None for the measured default of ``models.engine.resolve_threads``. ``memo_size``: entries of the per-comment
    result memo (0 turns it off; there is none without a cache). ``field_prefix``: put in front of the names of
    the added fields (``"xhs_"`` gives ``xhs_translation``, ...); a comment that already has an added field
    raises FieldCollisionError rather than lose it. ``device``: ``auto`` (CUDA when CTranslate2 sees a GPU, else
    the CPU), ``cpu`` or ``cuda``; the resolved device and compute type are in the signature and the cache key.
    ``models``: which installed model serves a direction where several do: a name (family, model id or folder
    name, e.g. ``"quickmt"``) taken for every direction it serves, or ``{"zh-en": name}`` pinning a direction
    (``zt-en`` is its own; without a zt model, Traditional text goes through the zh-en one); otherwise
    ``models.packages.PREFERENCE`` decides.
    ``engine_provider``: called like ``models.engine.load_engine(package, device=, compute_type=, inter_threads=,
    intra_threads=)`` to get the object whose
    ``translate(texts, options) -> EngineResult`` decodes the cache misses (default: ``load_engine``); the server
    passes one that merges the misses of concurrent requests into shared batches.
    """

    def __init__(
        self,
        models_dir: str | Path | None = None,
        cache: str | Path | None | bool = None,
        target: str = "auto",
        glossary: Glossary | str | Path | Mapping[str, str] | None = None,
        builtin_glossary: bool = True,
        zh_variant: str = "Hans",
        errors: str = "raise",
        decode_options: Any = None,
        compute_type: str = "auto",
        device: str = "auto",
        models: str | Mapping[str, str] | None = None,
        inter_threads: int | None = None,
        intra_threads: int | None = None,
        id_field: str = "comment_id",
        text_field: str = "content",
        parent_field: str = "parent_comment_id",
        mark_cached: bool = False,
        memo_size: int = MEMO_SIZE,
        field_prefix: str = "",
        engine_provider: Any = None,
    ):
        from .models.engine import DecodeOptions, resolve_compute_type, resolve_device
        from .models.packages import model_choices

        _check_target(target)
        if zh_variant not in ("Hans", "Hant"):
            raise InputError(f"zh_variant must be 'Hans' or 'Hant', got {zh_variant!r}")
        if errors not in ("raise", "mark"):
            raise InputError(f"errors must be 'raise' or 'mark', got {errors!r}")
        self.models_dir = models_dir
        self.target = target
        self.zh_variant = zh_variant
        self.errors = errors
        self.mark_cached = bool(mark_cached)
        self.decode_options = decode_options if decode_options is not None else DecodeOptions()
        self.device = resolve_device(device)  # "auto" -> what runs, for signatures and cache keys
        self.compute_type = resolve_compute_type(compute_type, self.device)
        self.models = model_choices(models)
        self.inter_threads = inter_threads
        self.intra_threads = intra_threads
        self._engine_provider = engine_provider
        self.id_field, self.text_field, self.parent_field = id_field, text_field, parent_field
        self.field_prefix = field_prefix
        self._added_fields = added_fields(TRANSLATION_FIELDS, field_prefix)
        self.glossary = _build_glossary(glossary, builtin_glossary)
        if cache is False:
            self.cache: TranslationCache | None = None
        elif cache is None or cache is True:
            self.cache = TranslationCache(default_cache_path())
        else:
            self.cache = TranslationCache(cache)
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str, bool], _Route | None] = {}
        self._stats: Counter[str] = Counter()
        # Per-comment memo: (text, mentions, source, mode) -> (result as "translated", model pieces).
        self._memo: OrderedDict[tuple, tuple[Translation, int]] = OrderedDict()
        self._memo_size = memo_size if self.cache is not None else 0
        self._memo_settings: tuple = ()

    # --- public API -----------------------------------------------------------------------------------
    def translate_thread(self, comments: Iterable[Any], target: str | None = None) -> list[dict]:
        """New comment dicts (same order and nesting, originals deep-copied) with the translation fields added.

        A comment that already has one of those fields raises FieldCollisionError before any work is done."""
        mode = self.target if target is None else target
        _check_target(mode)
        thread = flatten_thread(comments, self.id_field, self.text_field, self.parent_field, added=self._added_fields)
        items = [(c.text, c.mentions, c.comment_id) for c in thread.comments]
        results = self._run(items, "auto", mode)
        return rebuild_thread(thread, [r.as_fields(self._added_fields) for r in results])

    def translate(self, text: str, source: str = "auto", target: str = "en") -> Translation:
        """Translate one text (see the module docstring for statuses)."""
        return self.translate_many([text], source=source, target=target)[0]

    def translate_many(self, texts: Iterable[str], source: str = "auto", target: str = "en") -> list[Translation]:
        """Translate texts together: duplicates and cache look-ups are shared, the model runs in few batches."""
        _check_target(target)
        if isinstance(texts, str):
            raise InputError("translate_many expects an iterable of texts, not one str; use translate()")
        return self._run([(t, (), i) for i, t in enumerate(texts)], source, target)

    def stats(self) -> dict[str, Any]:
        """Counters since this Translator was made: comments, segments, segments_translated, cache_hits, ..."""
        with self._lock:
            counts = dict(self._stats)
        out = {
            key: counts.get(key, 0)
            for key in (
                "comments",
                "segments",
                "unique_segments",
                "segments_translated",
                "cache_hits",
                "cache_misses",
                "model_batches",
                "source_tokens",
                "target_tokens",
                "failed_segments",
                "glossary_terms",
                "memo_hits",
            )
        }
        out["statuses"] = {status: counts.get(f"status:{status}", 0) for status in STATUSES}
        return out

    @property
    def signature(self) -> dict[str, Any]:
        """What decides the output, for run summaries: packages used so far (id@version), options, glossary, cache."""
        with self._lock:
            routes = {k: r for k, r in self._routes.items() if r is not None}
        return {
            "models": sorted({r.package.package_id for r in routes.values()}),
            "routes": {f"{k[0]}{'-Hant' if k[2] else ''}->{k[1]}": r.package.package_id for k, r in sorted(routes.items())},
            "decode_options": self.decode_options.fingerprint(),
            "device": self.device,
            "compute_type": self.compute_type,
            "model_choice": dict(self.models),
            "glossary": {"entries": len(self.glossary), "zh->en": self.glossary.fingerprint("zh", "en")},
            "zh_variant": self.zh_variant,
            "target": self.target,
            "cache": str(self.cache.path) if self.cache is not None else None,
        }

    # --- planning ---------------------------------------------------------------------------------------
    def _run(self, items: Sequence[tuple[Any, tuple[str, ...], str]], source: str, mode: str) -> list[Translation]:
        from .detection import detect_many
        from .spans import split_spans

        memo_keys = [(t, m, source, mode) if type(t) is str else None for t, m, _ in items]
        results: list[Translation | None] = self._recall(memo_keys)
        plans: list[_Plan] = []
        sentences: list[list[tuple[str] | str]] = []  # per item: verbatim str | (sentence core,)
        for (text, mentions, comment_id), recalled in zip(items, results):
            if recalled is not None:
                continue
            plan = _Plan(text)
            plans.append(plan)
            parts: list[tuple[str] | str] = []
            sentences.append(parts)
            if text is None:
                plan.done = Translation(text, None, UND, None if mode == "auto" else mode, NO_TEXT)
                continue
            if not isinstance(text, str):
                if self.errors == "raise":
                    raise InputError(
                        f"comment {comment_id!r}: text must be a str, got {type(text).__name__}", comment_id=comment_id
                    )
                plan.done = Translation(text, None, UND, None if mode == "auto" else mode, FAILED, ("invalid_text",))
                continue
            for span in split_spans(text, mentions):
                if span.protected:
                    parts.append(span.text)
                    continue
                for sentence in split_sentences(span.text):
                    for piece in split_long(sentence, MAX_SEGMENT_CHARS):
                        lead, core, trail = split_edges(piece)
                        parts.extend([lead, (core,), trail] if has_words(core) else [piece])
        # Detect every comment and every sentence in one batched call.
        comment_texts = [
            "".join(p[0] if isinstance(p, tuple) else " " for p in parts) for parts in sentences
        ]
        cores = [p[0] for parts in sentences for p in parts if isinstance(p, tuple)]
        detections = iter(detect_many(comment_texts + cores))
        comment_dets = [next(detections) for _ in comment_texts]
        for plan, parts, det in zip(plans, sentences, comment_dets):
            if plan.done is not None:
                continue
            self._route_plan(plan, parts, det, detections, source, mode)
        outputs = self._translate_jobs(plans)
        fresh = iter(plans)
        for i, recalled in enumerate(results):
            if recalled is None:
                plan = next(fresh)
                if plan.done is None:
                    results[i] = self._finish(plan, outputs, memo_keys[i])
                else:
                    results[i] = plan.done
                    if plan.done.status != FAILED:
                        self._remember(memo_keys[i], plan.done, 0)
        with self._lock:
            self._stats["comments"] += len(results)
            self._stats.update(f"status:{r.status}" for r in results)
        return results

    def _recall(self, keys: Sequence[tuple | None]) -> list[Translation | None]:
        """Memoised results for ``keys`` (None where absent); clears the memo first if a setting that decides results changed."""
        if not self._memo_size:
            return [None] * len(keys)
        settings = (self.decode_options, self.glossary, self.models_dir, self.device, self.compute_type,
                    self.zh_variant, tuple(self.models.items()))
        out: list[Translation | None] = []
        served = 0
        with self._lock:
            if settings != self._memo_settings:
                self._memo.clear()
                self._memo_settings = settings
            memo = self._memo
            for key in keys:
                entry = memo.get(key) if key is not None else None
                if entry is None:
                    out.append(None)
                    continue
                memo.move_to_end(key)
                result, pieces = entry
                served += pieces
                out.append(replace(result, status=CACHED) if pieces and self.mark_cached else result)
            hits = len(keys) - out.count(None)
            self._stats.update(memo_hits=hits, segments=served, cache_hits=served)
        return out

    def _remember(self, key: tuple | None, result: Translation, pieces: int) -> None:
        if key is None or not self._memo_size:
            return
        with self._lock:
            self._memo[key] = (result, pieces)
            if len(self._memo) > self._memo_size:
                self._memo.popitem(last=False)

    def _route_plan(self, plan: _Plan, parts: list, det: Any, detections: Iterable[Any], source: str, mode: str) -> None:
        """Decide each sentence's fate and fill ``plan.pieces``."""
        comment_lang = det.lang if source == "auto" else source
        plan.source_lang = comment_lang
        plan.target_lang = _target_for(comment_lang, mode)
        for part in parts:
            if not isinstance(part, tuple):
                plan.pieces.append(part)
                continue
            core = part[0]
            seg = next(detections)
            lang = seg.lang if source == "auto" or seg.lang == UND else source
            target = plan.target_lang or _target_for(lang, mode)
            plan.linguistic += lang != UND
            if lang == UND or lang == target or target is None:
                plan.pieces.append(core)
                continue
            plan.needs += 1
            hant = lang == "zh" and (seg.script == "Hant" or (seg.script is None and det.script == "Hant"))
            route = self._route(lang, target, hant)
            if route is None:
                plan.unsupported += 1
                plan.pieces.append(core)
                continue
            if route.before:
                core = _convert(core, route.before)
                if TRADITIONAL_CONVERTED not in plan.flags:
                    plan.flags.append(TRADITIONAL_CONVERTED)
            self._plan_segment(plan, core, route)
        if plan.needs == 0:
            status = SAME_LANGUAGE if plan.linguistic else NO_TEXT
            plan.done = Translation(plan.text, None, comment_lang, plan.target_lang, status)
        elif plan.unsupported == plan.needs:
            plan.done = Translation(plan.text, None, comment_lang, plan.target_lang, UNSUPPORTED_LANGUAGE)
        elif plan.failed:
            plan.done = Translation(plan.text, None, comment_lang, plan.target_lang, FAILED, ("model_not_installed",))

    def _plan_segment(self, plan: _Plan, core: str, route: _Route) -> None:
        """Cut glossary terms out of a routed sentence; the rest becomes model jobs."""
        if route.package is None:  # missing zh/en model under errors="mark"
            plan.failed = True
            return
        pos = 0
        for match in self.glossary.find(core, route.source_lang, route.target_lang):
            self._plan_text(plan, core[pos : match.start], route)
            plan.pieces.append(("glossary", _convert(match.target, route.after)))
            pos = match.end
            if GLOSSARY_APPLIED not in plan.flags:
                plan.flags.append(GLOSSARY_APPLIED)
        self._plan_text(plan, core[pos:], route)

    def _plan_text(self, plan: _Plan, text: str, route: _Route) -> None:
        lead, core, trail = split_edges(text)
        if has_words(core):
            plan.pieces.extend([lead, _Job(route, normalize_segment(core)), trail])
        else:
            plan.pieces.append(text)

    def _route(self, lang: str, target: str, hant: bool) -> _Route | None:
        """The route for a pair (memoised per Translator); a placeholder route without package for a missing zh/en model under ``mark``."""
        key = (lang, target, hant)
        with self._lock:
            if key in self._routes:
                route = self._routes[key]
                return route if route is not None else self._missing(lang, target)
        route = self._find_route(lang, target, hant)
        with self._lock:
            self._routes[key] = route
        return route if route is not None else self._missing(lang, target)

    def _missing(self, lang: str, target: str) -> _Route | None:
        if not {lang, target} <= CORE_LANGS:
            return None  # unsupported_language
        if self.errors == "raise":
            from .models.packages import resolve_models_dir

            raise ModelNotInstalledError(lang, target, resolve_models_dir(self.models_dir))
        return _Route(None, lang, target)

    def _find_route(self, lang: str, target: str, hant: bool) -> _Route | None:
        from .models.packages import find_package

        def find(a: str, b: str) -> Any:
            return find_package(a, b, self.models_dir, model=self.models.get(f"{a}-{b}"), prefer=self.models.get("*"))

        if lang == "zh" and hant:
            package = find("zt", target)
            if package is not None:
                return _Route(package, lang, target)
            package = find("zh", target)
            return _Route(package, lang, target, before="t2s") if package is not None else None
        if target == "zh" and self.zh_variant == "Hant":
            package = find(lang, "zt")
            if package is not None:
                return _Route(package, lang, target)
            package = find(lang, "zh")
            return _Route(package, lang, target, after="s2t") if package is not None else None
        package = find(lang, target)
        return _Route(package, lang, target) if package is not None else None

    # --- translating --------------------------------------------------------------------------------------
    def _translate_jobs(self, plans: Sequence[_Plan]) -> dict[_Job, tuple[GuardResult | None, bool]]:
        """Dedupe every job, serve what the cache has, translate the rest per model: job -> (guarded output, from cache).

        Outputs are guarded once, as they leave the model, and cached guarded, flags included."""
        from .models.engine import load_engine

        all_jobs = [p for plan in plans if plan.done is None for p in plan.pieces if isinstance(p, _Job)]
        unique = list(dict.fromkeys(all_jobs))
        outputs: dict[_Job, tuple[GuardResult | None, bool]] = {}
        counts: Counter[str] = Counter(segments=len(all_jobs), unique_segments=len(unique))
        options_fp = f"{self.decode_options.fingerprint()}/{self.device}/{self.compute_type}/{_CACHE_LAYOUT}"  # they change outputs
        by_route: dict[_Route, list[_Job]] = {}
        for job in unique:
            by_route.setdefault(job.route, []).append(job)
        for route, jobs in by_route.items():
            package = route.package
            glossary_fp = self.glossary.fingerprint(route.source_lang, route.target_lang)
            keys = {
                job: make_key(package.package_id, package.from_code, package.to_code, options_fp, glossary_fp, job.text)
                for job in jobs
            }
            hits = self.cache.get_many(keys.values()) if self.cache is not None else {}
            if self.cache is not None:
                counts["cache_hits"] += len(hits)
                counts["cache_misses"] += len(jobs) - len(hits)
            misses = []
            for job in jobs:
                guarded = _decode_cached(hits.get(keys[job]))
                if guarded is not None:
                    outputs[job] = (guarded, True)
                else:
                    misses.append(job)
            if not misses:
                continue
            engine = (self._engine_provider or load_engine)(
                package, device=self.device, compute_type=self.compute_type, inter_threads=self.inter_threads,
                intra_threads=self.intra_threads
            )
            result = engine.translate([job.text for job in misses], self.decode_options)
            counts.update(
                segments_translated=len(misses),
                model_batches=result.batches,
                source_tokens=result.source_tokens,
                target_tokens=result.target_tokens,
                failed_segments=sum(output is None for output in result.translations),
            )
            new = {}
            for job, output in zip(misses, result.translations):
                guarded = guard_output(job.text, output) if output is not None else None
                outputs[job] = (guarded, False)
                if guarded is not None:
                    new[keys[job]] = json.dumps([guarded.text, guarded.flags], ensure_ascii=False)
            if self.cache is not None:
                self.cache.put_many(new)
        with self._lock:
            self._stats.update(counts)
        return outputs

    def _finish(self, plan: _Plan, outputs: Mapping[_Job, tuple[GuardResult | None, bool]], memo_key: tuple | None) -> Translation:
        """Reassemble one text: verbatim pieces and glossary targets as they are, model outputs guarded; memoise it."""
        parts: list[tuple[str, bool]] = []
        flags = list(plan.flags)
        from_cache: list[bool] = []
        glossary_terms = 0
        for piece in plan.pieces:
            if isinstance(piece, str):
                parts.append((piece, False))
            elif isinstance(piece, tuple):  # ("glossary", target form)
                parts.append((piece[1], True))
                glossary_terms += 1
            else:
                guarded, cached = outputs[piece]
                if guarded is None:
                    return Translation(plan.text, None, plan.source_lang, plan.target_lang, FAILED, ("model_failed",))
                flags.extend(f for f in guarded.flags if f not in flags)
                parts.append((_convert(guarded.text, piece.route.after), True))
                from_cache.append(cached)
        if plan.unsupported:
            flags.append(PARTIALLY_TRANSLATED)
        with self._lock:
            self._stats["glossary_terms"] += glossary_terms
        text = join_pieces(parts, spaced=plan.target_lang == "en")
        result = Translation(plan.text, text, plan.source_lang, plan.target_lang, TRANSLATED, tuple(flags))
        self._remember(memo_key, result, len(from_cache))
        if self.mark_cached and from_cache and all(from_cache):
            return replace(result, status=CACHED)
        return result


def _decode_cached(value: str | None) -> GuardResult | None:
    """A cache value back into the guarded output it stores; None for an absent or unreadable value (a miss)."""
    if value is None:
        return None
    try:
        text, flags = json.loads(value)
    except (ValueError, TypeError):
        return None
    if not isinstance(text, str) or not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
        return None
    return GuardResult(text, tuple(flags))


def _check_target(target: Any) -> None:
    if not isinstance(target, str) or not target:
        raise InputError(f"target must be one of {', '.join(TARGET_MODES)} (or a language code), got {target!r}")


def _target_for(lang: str, mode: str) -> str | None:
    """The language a text in ``lang`` goes into: in auto mode zh -> en, en -> zh, others -> en, und -> None."""
    if mode != "auto":
        return mode
    if lang == UND:
        return None
    return "zh" if lang == "en" else "en"


def _build_glossary(glossary: Glossary | str | Path | Mapping[str, str] | None, builtin: bool) -> Glossary:
    base = Glossary.builtin() if builtin else Glossary()
    if glossary is None:
        return base
    if isinstance(glossary, Glossary):
        extra = glossary
    elif isinstance(glossary, (str, Path)):
        extra = Glossary.from_file(glossary)
    elif isinstance(glossary, Mapping):
        extra = Glossary.from_mapping(glossary)
    else:
        raise InputError(f"glossary must be a Glossary, a file path or a mapping, got {type(glossary).__name__}")
    return base.merged(extra)


# --- module-level convenience, like httpx.get over httpx.Client -------------------------------------------
_DEFAULT: Translator | None = None
_DEFAULT_LOCK = threading.Lock()


def default_translator() -> Translator:
    """The process-wide default Translator (default models dir and cache), created on first use.

    It is an explicit, documented cache: it keeps loaded models and the cache connection for the life of
    the process. Build your own :class:`Translator` to control models, cache or options.
    """
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Translator()
        return _DEFAULT


def translate_thread(comments: Iterable[Any], target: str | None = None, **kwargs: Any) -> list[dict]:
    """Translate a comment thread with the default Translator; any other keyword makes a one-off Translator."""
    translator = Translator(**kwargs) if kwargs else default_translator()
    return translator.translate_thread(comments, target=target)
