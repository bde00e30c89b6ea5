"""Running one Argos package: SentencePiece + ``ctranslate2.Translator``, with exact-length token batching.

Argos itself translates 32 sentences per call whatever their length; padding short comments to the longest
one wastes most of the work. Here texts are grouped by their exact token length and packed into buckets under
a token budget, and each bucket gets a decoding-length bound derived from that length.

Why exact lengths, not length bands: padding changes CTranslate2's float arithmetic. On the base-size fixture
models (int8, CPU), 3 of 100 segments decoded differently when batched with one longer segment than alone,
and 5 of 300 inside one padded batch, while 283 of 283 segments batched only with segments of their own
length decoded exactly as they did alone (tokens and scores). So with padded buckets a segment's translation
depended on what else was in the call: an interrupted run resumed from the cache, which batches only the
remaining segments, gave different bytes from a fresh run. With buckets of one source length there is no
padding, and the bound depends on the segment alone: a segment's output is the same whatever it is batched
with (on CPU; tested in tests/test_engine.py). The cost, measured with benchmarks/translate_throughput.py,
is in the README's "Performance" section.

Threads and budget, measured on a 2-core CPU with base-size (6+6 layers, d_model 512) int8 models over
~1,000 distinct comment segments (target tokens/s, higher is better): inter_threads 1 x intra_threads 2 with
buckets called one after another: ~780 at a 4,096-token budget, ~920-980 at 2,048, ~1,010 at 1,024;
inter_threads 2 x intra_threads 1 with every bucket submitted at once (``asynchronous=True``) so both
workers always have a bucket to decode: ~1,140 at 2,048, ~1,210 at 1,024, ~1,130 at 512. Short comments
decode in few steps, so one big batch per core beats one core-shared batch: per-step synchronisation
between intra-op threads costs more than it saves on such small matrices. Hence the defaults: a
1,024-token budget, ``inter_threads`` = min(2, cores) replicas, each with cores // inter_threads threads,
and all buckets queued at once (results are collected in order; a failing bucket still fails alone).

Loaded engines live in an explicit process-wide cache (``load_engine`` / ``clear_engine_cache``): loading a
model costs far more than translating a comment, and ``ctranslate2.Translator`` is safe to share across threads.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from dataclasses import asdict, dataclass
from typing import Sequence

from ..errors import InputError, PackageError, UnsupportedPackageError
from .packages import ModelPackage

# A failing translate_batch raises one of these (CTranslate2 reports bad input and resource limits as
# RuntimeError/ValueError); anything else is a bug in this module and should propagate.
_BATCH_ERRORS = (RuntimeError, ValueError, MemoryError)


@dataclass(frozen=True)
class DecodeOptions:
    """How to decode. Every field goes into :meth:`fingerprint`, so cached translations follow option changes.

    ``no_repeat_ngram_size=4`` stops the known Argos loops (``(掌声) (掌声) (掌声) ...``, one word repeated
    dozens of times) at the second occurrence of any 4-token sequence, while a legitimate short repeat such as
    哈哈哈 or "very very" (at most 3 tokens of a kind in a row) still decodes. ``repetition_penalty`` stays
    at 1.0 (off): it would also penalise every reuse of ordinary words like "the" or 的.
    """

    beam_size: int = 2
    max_batch_tokens: int = 1024  # see the module docstring: smaller buckets keep both workers busy
    length_ratio: float = 2.0
    length_extra: int = 10
    max_decoding_length: int = 256
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 4
    length_penalty: float = 1.0

    def __post_init__(self) -> None:
        positive = ("beam_size", "max_batch_tokens", "max_decoding_length")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"DecodeOptions.{name} must be a positive integer, got {value!r}")
        if not isinstance(self.length_extra, int) or self.length_extra < 0:
            raise InputError(f"DecodeOptions.length_extra must be an integer >= 0, got {self.length_extra!r}")
        if not isinstance(self.no_repeat_ngram_size, int) or self.no_repeat_ngram_size < 0:
            raise InputError(
                f"DecodeOptions.no_repeat_ngram_size must be an integer >= 0 (0 = off), got {self.no_repeat_ngram_size!r}"
            )
        if not self.length_ratio > 0:
            raise InputError(f"DecodeOptions.length_ratio must be > 0, got {self.length_ratio!r}")
        if not self.repetition_penalty > 0:
            raise InputError(f"DecodeOptions.repetition_penalty must be > 0, got {self.repetition_penalty!r}")

    def fingerprint(self) -> str:
        """Stable short hash of every option, for cache keys."""
        payload = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class EngineResult:
    """Translations in input order; ``None`` where that item's batch failed (see ``errors``).

    ``scores``: per item, the score CTranslate2 returned for the hypothesis (``return_scores=True``); None for a
    blank or failed item."""

    translations: tuple[str | None, ...]
    batches: int
    source_tokens: int
    target_tokens: int
    errors: tuple[str, ...] = ()
    scores: tuple[float | None, ...] = ()


def plan_batches(lengths: Sequence[int], max_batch_tokens: int) -> tuple[tuple[int, ...], ...]:
    """Group item indices into buckets of one exact length each, at most ``max_batch_tokens`` tokens per bucket.

    Buckets never mix lengths, so CTranslate2 pads nothing and an item decodes the same whatever else is in
    the call (module docstring). Shortest first; an item longer than the budget gets a bucket of its own.
    """
    if max_batch_tokens < 1:
        raise InputError(f"max_batch_tokens must be >= 1, got {max_batch_tokens}")
    by_length: dict[int, list[int]] = {}
    for index in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        by_length.setdefault(lengths[index], []).append(index)
    buckets: list[tuple[int, ...]] = []
    for length, indices in by_length.items():
        per_bucket = max(1, max_batch_tokens // max(1, length))
        buckets.extend(tuple(indices[k : k + per_bucket]) for k in range(0, len(indices), per_bucket))
    return tuple(buckets)


def decoding_length(max_source_tokens: int, options: DecodeOptions) -> int:
    """Decoding bound for a bucket: proportional to its (one) source length, never above the options' cap."""
    return min(options.max_decoding_length, math.ceil(options.length_ratio * max_source_tokens) + options.length_extra)


class Engine:
    """One loaded package. Build it with :func:`load_engine`, which caches it; ``translate`` is thread-safe."""

    def __init__(
        self, package: ModelPackage, *, compute_type: str = "auto", inter_threads: int | None = None,
        intra_threads: int | None = None
    ):
        _check_supported(package)
        import ctranslate2
        import sentencepiece

        self.package = package
        self.compute_type = resolve_compute_type(compute_type)
        inter_threads, intra_threads = resolve_threads(inter_threads, intra_threads)
        self.threads = (inter_threads, intra_threads)
        self.signature = f"{package.package_id} {self.compute_type} ctranslate2-{ctranslate2.__version__}"
        try:
            self._translator = ctranslate2.Translator(
                str(package.model_dir),
                device="cpu",
                compute_type=self.compute_type,
                inter_threads=inter_threads,
                intra_threads=intra_threads,
            )
            self._sp = sentencepiece.SentencePieceProcessor(model_file=str(package.tokenizer_path))
        except (RuntimeError, ValueError, OSError) as exc:
            raise PackageError(f"cannot load package {package.package_id} from {package.path}: {exc}") from exc
        self._prefix = [package.target_prefix] if package.target_prefix else []

    def __repr__(self) -> str:
        return f"Engine({self.signature})"

    def translate(self, texts: Sequence[str], options: DecodeOptions = DecodeOptions()) -> EngineResult:
        """Translate ``texts`` in length buckets. Blank texts come back as themselves without decoding."""
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise InputError(f"texts[{i}] must be a str, got {type(text).__name__}")
        translations: list[str | None] = [text if not text.strip() else None for text in texts]
        scores: list[float | None] = [None] * len(texts)
        todo = [i for i, text in enumerate(texts) if text.strip()]
        pieces = self._sp.encode([texts[i] for i in todo], out_type=str) if todo else []
        errors: list[str] = []
        target_tokens = 0
        buckets = plan_batches([len(p) for p in pieces], options.max_batch_tokens)
        # Queue every bucket first (the workers decode them in parallel), then collect them in order.
        submitted = [self._submit([pieces[j] for j in bucket], options) for bucket in buckets]
        for bucket, (source, pending) in zip(buckets, submitted):
            longest = max(len(s) for s in source)
            try:
                if isinstance(pending, BaseException):
                    raise pending
                results = [item.result() for item in pending]
            except _BATCH_ERRORS as exc:
                errors.append(
                    f"batch of {len(source)} texts (longest {longest} tokens) failed: {type(exc).__name__}: {exc}"
                )
                continue
            hypotheses = [self._strip_prefix(result.hypotheses[0]) for result in results]
            target_tokens += sum(len(h) for h in hypotheses)
            for j, text, result in zip(bucket, self._sp.decode(hypotheses), results):
                translations[todo[j]] = text
                scores[todo[j]] = result.scores[0]
        return EngineResult(
            translations=tuple(translations),
            batches=len(buckets),
            source_tokens=sum(len(p) for p in pieces),
            target_tokens=target_tokens,
            errors=tuple(errors),
            scores=tuple(scores),
        )

    def _submit(self, source: list[list[str]], options: DecodeOptions) -> tuple[list[list[str]], object]:
        """Queue one bucket: (source, its async results), or (source, the error) when CTranslate2 refuses it at once."""
        try:
            return source, self._translator.translate_batch(
                source,
                target_prefix=[self._prefix] * len(source) if self._prefix else None,
                max_batch_size=options.max_batch_tokens,
                batch_type="tokens",
                beam_size=options.beam_size,
                max_input_length=0,  # never truncate silently; callers split long text into sentences
                max_decoding_length=decoding_length(max(len(s) for s in source), options) + len(self._prefix),
                repetition_penalty=options.repetition_penalty,
                no_repeat_ngram_size=options.no_repeat_ngram_size,
                length_penalty=options.length_penalty,
                return_scores=True,
                asynchronous=True,
            )
        except _BATCH_ERRORS as exc:
            return source, exc

    def _strip_prefix(self, tokens: list[str]) -> list[str]:
        n = len(self._prefix)
        return tokens[n:] if n and tokens[:n] == self._prefix else tokens


def _check_supported(package: ModelPackage) -> None:
    if package.tokenizer != "sentencepiece":
        raise UnsupportedPackageError(
            f"package {package.package_id} at {package.path} uses a {package.tokenizer!r} tokenizer "
            f"({package.tokenizer_path.name}); xhs-translate runs only SentencePiece packages "
            "(sentencepiece.model), which is what the Argos zh<->en packages ship"
        )


def resolve_compute_type(requested: str = "auto") -> str:
    """``auto`` means int8 where this CPU supports it (Argos packages are int8 already), else float32."""
    import ctranslate2

    supported = ctranslate2.get_supported_compute_types("cpu")
    if requested == "auto":
        return "int8" if "int8" in supported else "float32"
    if requested not in supported and requested != "default":
        raise InputError(f"compute_type {requested!r} is not supported on this CPU; choose one of {sorted(supported)} or 'auto'")
    return requested


def resolve_threads(inter_threads: int | None = None, intra_threads: int | None = None) -> tuple[int, int]:
    """``None`` picks the measured default (module docstring): min(2, cores) replicas sharing the cores.

    An explicit ``intra_threads=0`` keeps CTranslate2's own meaning (its default thread count)."""
    cores = os.cpu_count() or 1
    inter = inter_threads if inter_threads is not None else min(2, cores)
    if not isinstance(inter, int) or inter < 1:
        raise InputError(f"inter_threads must be a positive integer or None, got {inter_threads!r}")
    intra = intra_threads if intra_threads is not None else max(1, cores // inter)
    if not isinstance(intra, int) or intra < 0:
        raise InputError(f"intra_threads must be an integer >= 0 or None, got {intra_threads!r}")
    return inter, intra


# Process-wide engine cache: (package path, version, compute type, threads) -> Engine. Explicit and documented;
# clear_engine_cache() empties it. The lock makes concurrent first calls load a package once.
_ENGINES: dict[tuple, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def load_engine(
    package: ModelPackage, *, compute_type: str = "auto", inter_threads: int | None = None,
    intra_threads: int | None = None
) -> Engine:
    """Return the cached Engine for ``package`` and these settings, loading it on first use."""
    _check_supported(package)
    resolved = resolve_compute_type(compute_type)
    inter_threads, intra_threads = resolve_threads(inter_threads, intra_threads)
    key = (str(package.path.resolve()), package.package_version, resolved, inter_threads, intra_threads)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = Engine(package, compute_type=resolved, inter_threads=inter_threads, intra_threads=intra_threads)
            _ENGINES[key] = engine
        return engine


def clear_engine_cache() -> None:
    """Forget every loaded engine (their memory is freed once no caller holds them)."""
    with _ENGINES_LOCK:
        _ENGINES.clear()
