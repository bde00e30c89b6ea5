"""``Translator``: one config, a cache and an engine provider, chaining the stages over whole threads.

For one call (a whole thread, or a list of texts):

1. whole-comment results come from the in-memory memo, then from the cache's ``comments`` table in one batched
   look-up, before any analysis (a warm re-run in a new process costs a query, not a pipeline);
2. the rest go through in chunks of ``CHUNK_COMMENTS``: split into protected spans and sentences
   (``_planning.split_text``), detected (``detection.detect_many``, per comment, and per sentence only where
   Latin and CJK mix), routed (``routing.Router``) and planned (``_planning.plan_text``);
3. the chunk's model jobs are deduplicated, served from the cache's ``segments`` table where it has them, and
   the misses decoded in few large calls per model (``models.engine``, or the caller's ``engine_provider``);
   outputs are guarded against repetition loops once, as they leave the model, and cached guarded;
4. each text is reassembled (``_assembly.assemble``): protected spans and glossary targets verbatim.

Chunks keep memory flat for 100k-comment threads while still filling the engine's token budget many times over.

Statuses (``results.Status``), decided per comment:

- ``no_text``: the text is missing, None, blank, or has no letters (emoji, codes, mentions, numbers only);
- ``same_language``: every sentence with letters is already in the target language;
- ``unsupported_language``: sentences need translating, but no installed package serves any of them;
- ``failed`` (``errors="mark"``; ``"raise"`` raises instead): a needed zh/en model is missing, the text is not a
  str, or the model failed on one of the comment's sentences (``TranslationFailedError``); ``translation`` is then
  None and ``Translation.error`` says why (written into the record as ``translation_error``);
- ``translated``: the comment has a translation;
- ``cached``: only with ``mark_cached=True``: a translated comment whose every model piece was served by the cache
  rather than decoded in this call.

By default (``mark_cached=False``) a cache hit reports ``translated``, so the output never depends on the state of
the cache: a thread translated twice, or a CLI run interrupted and resumed from the cache, gives the same output.
``failed`` results are never cached.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._assembly import assemble
from ._memo import CommentMemo, Entry, MemoKey
from ._planning import UND, Job, Plan, Sentence, content_of, plan_text, sentences_need_detection, split_text
from ._signature import Signature, settings_fingerprint
from ._types import CacheArg, Comment, Record
from .cache import MemoryCache, decode_segment, encode_segment, open_cache, segment_key
from .config import TARGET_MODES, TranslatorConfig, check_choice
from .errors import InputError, MissingFieldError, TranslationFailedError
from .glossary import Glossary
from .models.settings import EngineSettings
from .results import ERROR_SUFFIX, Flag, ModelOutput, Stats, Status, Translation
from .routing import Router
from .segment import guard_output
from .thread import flatten_thread, rebuild_thread

if TYPE_CHECKING:
    from .detection import Detection

# Comments planned and decoded together. The engine buckets each chunk's segments by length band under its token
# budget (engine.plan_batches), so smaller chunks leave more buckets part-full (chunks of 2,000 cost the base-model
# benchmark's 5,000 comments 17% more CPU than one call, measured when buckets held one exact length each); 8,000
# keeps a 100k-comment thread's working state to a few MiB per chunk.
CHUNK_COMMENTS = 8_000
_STAT_NAMES = (
    "comments",
    "segments",
    "unique_segments",
    "segments_translated",
    "cache_hits",
    "cache_misses",
    "comment_hits",
    "model_batches",
    "source_tokens",
    "target_tokens",
    "failed_segments",
    "glossary_terms",
)
_Item = tuple  # (text, mentions, comment id)


class Translator:
    """Holds a :class:`TranslatorConfig` (or builds one from flat options, named as on the command line), a cache
    and an engine provider; safe to share across threads. Settings are fixed at creation: make a new Translator
    (``Translator(translator.config.replace(target="en"))``) to change them.

    ``cache``: a path, ``None`` for the default file (``$XHS_TRANSLATE_CACHE`` or the user cache folder), ``False``
    for none, or a backend object (``xhs_translate.cache.CacheBackend``). ``engine_provider``: called like
    ``models.engine.load_engine(package, device=, compute_type=, inter_threads=, intra_threads=)`` to get the object
    whose ``translate(texts, options)`` decodes the cache misses (the server passes one that batches across requests).
    Use it as a context manager, or call :meth:`close`, to release the cache's connections.
    """

    def __init__(self, config: TranslatorConfig | None = None, *, cache: CacheArg = None,
                 engine_provider: Callable[..., Any] | None = None, **options: Any):
        if config is None:
            config = TranslatorConfig.from_options(**options)
        elif not isinstance(config, TranslatorConfig):
            raise InputError(f"config must be a TranslatorConfig, got {type(config).__name__}")
        elif options:
            config = config.replace(**options)
        self.config = config
        self.glossary = _build_glossary(config.glossary, config.builtin_glossary)
        backend = open_cache(cache)
        self.cache: MemoryCache | None = MemoryCache(backend) if backend is not None else None
        self._router = Router(config.models_dir, config.zh_variant, config.model_pairs)
        self._engine_provider = engine_provider
        self._engine_settings = EngineSettings(config.engine)  # "auto" resolved on first need
        self._memo = CommentMemo(self.cache, config.memo_size,
                                 lambda: settings_fingerprint(config, self.glossary, self._engine_settings),
                                 config.mark_cached)
        self._lock = threading.Lock()
        self._stats: Counter[str] = Counter()

    # --- public API -----------------------------------------------------------------------------------
    def translate_thread(self, comments: Iterable[Comment], target: str | None = None) -> list[Record]:
        """New comment dicts (same order and nesting, originals copied) with the translation fields added.

        A comment that already has one of those fields raises FieldCollisionError, and a thread in which no
        comment has the text field raises MissingFieldError, before any work is done."""
        mode = self._mode(target)
        schema = self.config.fields
        fields = schema.text_fields
        errors = tuple(schema.fields_for(field)[2] + ERROR_SUFFIX for field in fields)  # written on failures only
        thread = flatten_thread(comments, schema.id_field, fields[0], schema.parent_field,
                                added=(*schema.all_translation_fields, *errors))
        for field in fields:
            if thread.comments and all(field not in c.source for c in thread.comments):
                raise MissingFieldError(field, thread.comments[0].source)
        items = [(c.text, c.mentions, c.comment_id) for c in thread.comments]
        for field in fields[1:]:  # the other text fields, translated together with the first
            items.extend((c.source.get(field), c.mentions, c.comment_id) for c in thread.comments)
        results = self._run(items, "auto", mode)
        return rebuild_thread(thread, _AddedFields(results, [schema.fields_for(field) for field in fields]))

    def translate(self, text: str, source: str = "auto", target: str | None = None) -> Translation:
        """Translate one text (see the module docstring for statuses); ``target`` defaults to the config's."""
        return self.translate_many([text], source=source, target=target)[0]

    def translate_many(self, texts: Iterable[str], source: str = "auto", target: str | None = None
                       ) -> list[Translation]:
        """Translate texts together: duplicates and cache look-ups are shared, the model runs in few batches."""
        mode = self._mode(target)
        if not isinstance(source, str) or not source:
            raise InputError(f"source must be 'auto' or a language code, got {source!r}")
        if isinstance(texts, (str, bytes)):
            raise InputError("translate_many expects an iterable of texts, not one str; use translate()")
        return self._run([(t, (), i) for i, t in enumerate(texts)], source, mode)

    def stats(self) -> Stats:
        """Counters since this Translator was made (they add up with ``+``): comments, segments,
        segments_translated, cache_hits, ... ``comment_hits``: whole-comment results served from the memo or the
        cache; ``cache_errors``: failures of the cache backend (after the first, the run went on without it);
        ``statuses`` and ``flags``: how many results had each status and each flag; ``failures``: how many failed
        for each reason."""
        with self._lock:
            counts = dict(self._stats)
        out: dict[str, Any] = {name: counts.get(name, 0) for name in _STAT_NAMES}
        out["cache_errors"] = self.cache.error_count if self.cache is not None else 0
        out["statuses"] = {status.value: counts.get(f"status:{status.value}", 0) for status in Status}
        out["flags"] = {name[5:]: n for name, n in sorted(counts.items()) if name.startswith("flag:")}
        out["failures"] = {name[6:]: n for name, n in sorted(counts.items()) if name.startswith("error:")}
        return Stats(out)

    @property
    def signature(self) -> Signature:
        """The packages used so far (id@version), options, glossary and cache: what decides the output."""
        return Signature.of(self.config, self.glossary, self._engine_settings, self._router.used(),
                            self.cache.description if self.cache is not None else None)

    def packages(self) -> tuple[Any, ...]:
        """Every package its routes can use: per installed direction, the one its model choice picks."""
        return self._router.packages()

    def engines(self) -> list[Any]:
        """The engines of :meth:`packages`, loaded (once) as this Translator asks for them when it translates: a
        server loads them before its first request."""
        return [self._engine_settings.load(package, self._engine_provider) for package in self.packages()]

    def close(self) -> None:
        """Close the cache's connections (it reopens on next use)."""
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> Translator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the run ----------------------------------------------------------------------------------------
    def _mode(self, target: str | None) -> str:
        mode = self.config.target if target is None else target
        check_choice("target", mode, TARGET_MODES)
        return mode

    def _run(self, items: Sequence[_Item], source: str, mode: str) -> list[Translation]:
        keys: list[MemoKey | None] = [(t, m, source, mode) if type(t) is str else None for t, m, _ in items]
        results, hits, served = self._memo.recall(keys)
        with self._lock:
            self._stats.update(comment_hits=hits, segments=served, cache_hits=served)
        todo = [i for i, r in enumerate(results) if r is None]
        decoded: dict[Job, tuple[ModelOutput | str, bool]] = {}  # without a cache: dedupe across chunks too
        for start in range(0, len(todo), CHUNK_COMMENTS):
            chunk = todo[start : start + CHUNK_COMMENTS]
            self._translate_chunk(items, keys, chunk, results, source, mode, decoded if self.cache is None else {})
        done: list[Translation] = results  # type: ignore[assignment]  # every chunk filled its results
        with self._lock:
            self._stats["comments"] += len(done)
            self._stats.update(f"status:{r.status.value}" for r in done)
            self._stats.update(f"flag:{flag}" for r in done if r.flags for flag in r.flags)
            self._stats.update(f"error:{r.error}" for r in done if r.error is not None)
        return done

    def _translate_chunk(self, items: Sequence[_Item], keys: Sequence[MemoKey | None], chunk: list[int],
                         results: list[Translation | None], source: str, mode: str,
                         decoded: dict[Job, tuple[ModelOutput | str, bool]]) -> None:
        plans, detections = self._plan(items, chunk, source, mode)
        missing = set().union(*(plan.missing for plan in plans.values()))
        if missing and self.config.errors == "raise":
            raise self._router.missing_error(missing | self._missing_for_mode(mode))
        outputs = self._decode(plans.values(), decoded)
        remembered: list[tuple[MemoKey, Entry]] = []
        glossary_terms = 0
        for i, plan in plans.items():
            if plan.done is not None:
                result, jobs = plan.done, []
                if Flag.MODEL_NOT_INSTALLED in result.flags:
                    pairs = ", ".join(f"{a}->{b}" for a, b in sorted(plan.missing))
                    result = replace(result, error=f"no model installed for {pairs}")
            else:
                jobs = plan.jobs()
                result = assemble(plan, {job: _output(outputs[job][0]) for job in jobs},
                                  self.config.confidence_threshold)
                glossary_terms += plan.glossary_terms()
                if result.status is Status.FAILED:
                    reason = next(reason for job in jobs if isinstance(reason := outputs[job][0], str))
                    if self.config.errors == "raise":
                        raise TranslationFailedError(items[i][2], reason)
                    result = replace(result, error=reason)
            if i in detections:
                result = replace(result, detection=detections[i])
            reported = result
            if (result.status is Status.TRANSLATED and jobs and self.config.mark_cached
                    and all(outputs[j][1] for j in jobs)):
                reported = replace(result, status=Status.CACHED)
            results[i] = reported
            key = keys[i]
            if result.status is not Status.FAILED and key is not None:
                remembered.append((key, (result, len(jobs))))
        with self._lock:
            self._stats["glossary_terms"] += glossary_terms
        self._memo.remember(remembered)

    def _plan(self, items: Sequence[_Item], chunk: list[int], source: str, mode: str
              ) -> tuple[dict[int, Plan], dict[int, Detection]]:
        """Split, detect (one batched call) and plan every text of a chunk: (plans, each str text's detection)."""
        from .detection import detect_many

        plans: dict[int, Plan] = {}
        split: dict[int, list] = {}
        for i in chunk:
            text, mentions, comment_id = items[i]
            if isinstance(text, str):
                split[i] = split_text(text, mentions, self.config.hashtags)
            else:
                plans[i] = Plan(text, UND, None, done=self._not_text(text, comment_id, mode))
        contents = {i: content_of(parts) for i, parts in split.items()}
        per_sentence = {i: None for i, parts in split.items() if sentences_need_detection(parts)}  # ordered
        cores = [p.core for i in per_sentence for p in split[i] if type(p) is Sentence]
        # the planner took the protected spans out already: detection need not look for them again
        found = iter(detect_many([*contents.values(), *cores], languages=self.config.languages, stripped=True))
        comment_detections = {i: next(found) for i in contents}
        for i, parts in split.items():  # the per-sentence detections follow in the same order
            sentences = found if i in per_sentence else None
            plans[i] = plan_text(items[i][0], parts, comment_detections[i], sentences, source, mode,
                                 self._router.route, self.glossary)
        return plans, comment_detections

    def _not_text(self, text: Any, comment_id: Any, mode: str) -> Translation:
        target = None if mode == "auto" else mode
        if text is None:
            return Translation(text, None, UND, target, Status.NO_TEXT)
        if self.config.errors == "raise":
            raise InputError(f"comment {comment_id!r}: text must be a str, got {type(text).__name__}",
                             comment_id=comment_id)
        return Translation(text, None, UND, target, Status.FAILED, (Flag.INVALID_TEXT,),
                           error=f"text must be a str, got {type(text).__name__}")

    def _missing_for_mode(self, mode: str) -> set[tuple[str, str]]:
        """The other zh/en models this mode can need that are missing too, so one message names them all."""
        from .routing import pairs_for_mode

        return {(a, b) for a, b in pairs_for_mode(mode)
                if (route := self._router.route(a, b, False)) is not None and route.package is None}

    def _decode(self, plans: Iterable[Plan], decoded: dict[Job, tuple[ModelOutput | str, bool]]
                ) -> dict[Job, tuple[ModelOutput | str, bool]]:
        """Every job of ``plans``, deduplicated, from ``decoded`` (this call), the cache or the model, added to
        ``decoded`` as (guarded output, or why the model failed on it; from the cache)."""
        all_jobs = [job for plan in plans if plan.done is None for job in plan.jobs()]
        unique = [job for job in dict.fromkeys(all_jobs) if job not in decoded]
        counts: Counter[str] = Counter(segments=len(all_jobs), unique_segments=len(unique))
        by_route: dict[Any, list[Job]] = {}
        for job in unique:
            by_route.setdefault(job.route, []).append(job)
        for route, jobs in by_route.items():
            self._decode_route(route, jobs, decoded, counts)
        with self._lock:
            self._stats.update(counts)
        return decoded

    def _decode_route(self, route: Any, jobs: list[Job], decoded: dict[Job, tuple[ModelOutput | str, bool]],
                      counts: Counter[str]) -> None:
        package = route.package
        keys: dict[Job, str] = {}
        if self.cache is not None:
            glossary_fp = self.glossary.fingerprint(route.source_lang, route.target_lang)
            decode_fp = self.config.decode_options.fingerprint()
            engine_fp = f"{self._engine_settings.device}/{self._engine_settings.compute_type}"  # both change outputs
            keys = {job: segment_key(package.package_id, package.from_code, package.to_code, decode_fp, engine_fp,
                                     glossary_fp, job.text) for job in jobs}
            hits = self.cache.get_many("segments", keys.values())
            counts.update(cache_hits=len(hits), cache_misses=len(jobs) - len(hits))
        else:
            hits = {}
        misses = []
        for job in jobs:
            stored = decode_segment(hits.get(keys[job])) if hits else None
            if stored is not None:
                decoded[job] = (stored, True)
            else:
                misses.append(job)
        if not misses:
            return
        engine = self._engine_settings.load(package, self._engine_provider)
        result = engine.translate([job.text for job in misses], self.config.decode_options)
        counts.update(segments_translated=len(misses), model_batches=result.batches, source_tokens=result.source_tokens,
                      target_tokens=result.target_tokens,
                      failed_segments=sum(output is None for output in result.translations))
        new = {}
        scores = zip(result.log_probs, result.scored_tokens) if result.log_probs else ((None, 0) for _ in misses)
        reason = "; ".join(dict.fromkeys(result.errors)) or "the model gave no output"
        for job, text, (log_prob, tokens) in zip(misses, result.translations, scores):
            if text is None:
                decoded[job] = (reason, False)  # why it failed, in place of an output
                continue
            guarded = guard_output(job.text, text)
            flags = (*guarded.flags, Flag.DEMO_MODEL) if package.demo else guarded.flags
            output = ModelOutput(guarded.text, flags, log_prob, tokens)
            decoded[job] = (output, False)
            if keys:
                new[keys[job]] = encode_segment(output)
        if new:
            self.cache.put_many("segments", new)  # type: ignore[union-attr]


def _output(decoded: ModelOutput | str) -> ModelOutput | None:
    """A decoded job's output, or None where the model failed on it (``_decode`` stores the reason instead)."""
    return decoded if isinstance(decoded, ModelOutput) else None


class _AddedFields(Sequence[dict[str, Any]]):
    """Each comment's added fields, built when ``rebuild_thread`` reaches it: a 100k-comment thread never holds 100k
    of these dicts besides the output. ``results`` holds one run of the comments per text field, in the order of
    ``names`` (each text field's added names)."""

    def __init__(self, results: Sequence[Translation], names: Sequence[Sequence[str]]):
        self._results = results
        self._names = names
        self._count = len(results) // len(names)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i: int) -> dict[str, Any]:  # type: ignore[override]  # ints only: rebuild_thread's use
        first, *others = self._names
        fields = self._results[i].as_fields(first)
        for k, names in enumerate(others, 1):
            fields.update(self._results[k * self._count + i].as_fields(names))
        return fields


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


def translate_thread(comments: Iterable[Comment], target: str | None = None, **options: Any) -> list[Record]:
    """Translate a comment thread with the default Translator; any option makes a one-off Translator."""
    if not options:
        return default_translator().translate_thread(comments, target=target)
    with Translator(**options) as translator:
        return translator.translate_thread(comments, target=target)
