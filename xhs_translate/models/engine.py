"""Running one direction of an installed model: its family's tokenizer + ``ctranslate2.Translator``, with
fixed-band token batching, on the CPU or a CUDA GPU.

Argos itself translates 32 sentences per call whatever their length; padding short comments to the longest
one wastes most of the work. Here texts are grouped into bands of similar token length (``PADDED_LENGTHS``) and
packed into buckets under a token budget, and each bucket gets a decoding-length bound derived from its band.

Why fixed bands, padded to the band's length whatever else is in the batch: padding changes CTranslate2's float
arithmetic. On the base-size fixture models (int8, CPU), 3 of 100 segments decoded differently when batched
with one longer segment than alone, and 5 of 300 inside one batch padded to its longest source, while segments
batched with others of their own length decoded exactly as they did alone (tokens and scores): batch size does
not change a row's arithmetic, padding does. So with buckets padded to their longest source, a segment's
translation depended on what else was in the call: an interrupted run resumed from the cache, which batches only
the remaining segments, gave different bytes from a fresh run. Buckets of one exact length fixed that but cut a
server's batches of concurrent requests to near one text each. Now every source of a band is decoded padded to
the band's length: a bucket whose longest source is shorter gets a filler source of exactly that length
(``padded_sources``; its output is dropped), and the bound depends on the band alone. Measured on the base
models: 0 of 279 segments changed between alone, in their band's full batch and in shuffled sub-batches (4 of 218
changed when padded to the batch's longest). A segment's output is the same whatever it is batched with (on CPU;
tested in tests/test_engine.py; on CUDA not verified, as no GPU was at hand). The budget then decides cost, never
output, so it stays out of the cache key. The cost, measured with benchmarks/translate_throughput.py, is in the
README's "Performance" section.

Threads and budget, measured on a 2-core CPU with base-size (6+6 layers, d_model 512) int8 models over
~1,000 distinct comment segments (target tokens/s, higher is better): inter_threads 1 x intra_threads 2 with
buckets called one after another: ~780 at a 4,096-token budget, ~920-980 at 2,048, ~1,010 at 1,024;
inter_threads 2 x intra_threads 1 with every bucket submitted at once (``asynchronous=True``) so both
workers always have a bucket to decode: ~1,140 at 2,048, ~1,210 at 1,024, ~1,130 at 512. Short comments
decode in few steps, so one big batch per core beats one core-shared batch: per-step synchronisation
between intra-op threads costs more than it saves on such small matrices. Hence the CPU defaults: a
1,024-token budget, ``inter_threads`` = min(2, cores) replicas, each with cores // inter_threads threads,
and all buckets queued at once (results are collected in order; a failing bucket still fails alone). On CUDA
one replica takes buckets of up to 16,384 tokens, since a GPU is fed by wide batches rather than by more
replicas: a chosen setting, not measured (no GPU was at hand).

Device and compute type: ``device="auto"`` is CUDA when ``ctranslate2.get_cuda_device_count() > 0``, else the
CPU; ``compute_type="auto"`` is int8 on the CPU (Argos ships int8 weights) and int8_float16, else float16, on
CUDA, whichever ``ctranslate2.get_supported_compute_types`` lists first. Both go into the engine's signature.

Scores: every hypothesis comes back with CTranslate2's score (``return_scores=True``). CTranslate2 documents it
as normalised by length, ``hypothesis_score /= hypothesis_length ** length_penalty`` (TranslationOptions in
translation.h), where the sum runs over the generated tokens and the end token, and the length counts the
forced target prefix too (checked against ``Translator.score_batch`` in tests/test_engine.py). The engine undoes
that normalisation into ``log_probs`` (the sum) and ``scored_tokens``, so that callers can weight segments by
their tokens: a comment's confidence is exp(sum of log-probs / sum of tokens), ``results.token_weighted_confidence``.

Length: a source longer than ``Engine.max_source_tokens`` is decoded in pieces, so that no text fails for its length
(a 2,000-character comment without punctuation, or 225 rare characters that become byte tokens, made CTranslate2
raise "No position encodings are defined for positions >= 512" on the demo models). The limit is the encoder's
position table, read from ``model.bin`` (:func:`position_tables`), and at most ``DEFAULT_SOURCE_TOKENS``, which is
also the limit of a model without a table; ``segment.split_to_fit`` cuts by this direction's own tokenizer, at a
sentence end, clause mark or space where it can, and the pieces' outputs are joined (with a space unless the target
is written without them). The decoding bound never exceeds the decoder's table either.

Loaded models live in an explicit process-wide cache (``load_engine`` / ``clear_engine_cache``): loading a
model costs far more than translating a comment, ``ctranslate2.Translator`` is safe to share across threads,
and the directions of one multilingual folder share one loaded model.
"""

from __future__ import annotations

import bisect
import functools
import math
import os
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeGuard, TypeVar

from ..config import DEVICES, PADDED_LENGTHS, DecodeOptions
from ..errors import InputError, PackageError, UnsupportedPackageError
from ..results import token_weighted_confidence
from ..segment import split_to_fit
from .families.base import SentencePieceTokenizer
from .packages import ModelPackage

# A failing translate_batch raises one of these (CTranslate2 reports bad input and resource limits as
# RuntimeError/ValueError); anything else is a bug in this module and should propagate.
_BATCH_ERRORS = (RuntimeError, ValueError, MemoryError)
_COMPUTE_PREFERENCE = {"cpu": ("int8", "float32"), "cuda": ("int8_float16", "float16", "float32")}


@dataclass(frozen=True)
class EngineResult:
    """Per item, in input order; ``None`` where that item's batch failed (see ``errors``) or, for scores, where
    the text was blank and not decoded.

    ``scores``: CTranslate2's hypothesis score, as returned: sum of the token log-probs (end token included) /
    (tokens + forced prefix tokens) ** length_penalty. ``log_probs``: that sum, un-normalised, and
    ``scored_tokens``: how many tokens it covers (the generated tokens and the end token; 0 where not decoded).
    ``confidences``: exp(log_probs / scored_tokens), the geometric-mean token probability, in (0, 1].
    """

    translations: tuple[str | None, ...]
    batches: int
    source_tokens: int
    target_tokens: int
    errors: tuple[str, ...] = ()
    scores: tuple[float | None, ...] = ()
    log_probs: tuple[float | None, ...] = ()
    scored_tokens: tuple[int, ...] = ()

    @property
    def confidences(self) -> tuple[float | None, ...]:
        return tuple(
            token_weighted_confidence([(lp, n)]) if lp is not None else None
            for lp, n in zip(self.log_probs, self.scored_tokens)
        )


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim``, or None elsewhere (musl, macOS, Windows): looked up once."""
    import ctypes  # here, not at import: the CLI's start-up pays for what it uses

    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def release_free_memory() -> None:
    """Hand the heap memory that decoding freed back to the system. CTranslate2's worker threads allocate in
    glibc arenas of their own, which glibc does not shrink by itself: without this a 100k-comment call kept
    ~60 MiB it no longer used (benchmarks/memory_streaming.py, API row). A no-op where glibc is absent."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


#: Source tokens (padded) an engine decodes between two trims. Trimming after every call made a server's small
#: calls fault their working memory back in each time: 120 calls of 3 comments took 185-239k minor page faults
#: and 11-16% more CPU than without trimming (4k faults), for 17 MiB less RSS. A bulk call of ~900 comments
#: still trims once at its end (its RSS after: 216-238 MiB trimmed, 311 MiB not). Base models, /tmp script
#: recorded in the README's "Performance" section.
TRIM_EVERY_TOKENS = 8192




def padded_length(tokens: int) -> int:
    """The length a source of ``tokens`` tokens is decoded at: its band's."""
    i = bisect.bisect_left(PADDED_LENGTHS, tokens)
    return PADDED_LENGTHS[i] if i < len(PADDED_LENGTHS) else tokens


def plan_batches(lengths: Sequence[int], max_batch_tokens: int) -> tuple[tuple[int, ...], ...]:
    """Group item indices into buckets of one band each (``padded_length``), shortest first, at most
    ``max_batch_tokens`` padded tokens per bucket with the filler counted; an item longer than the budget gets a
    bucket of its own."""
    if max_batch_tokens < 1:
        raise InputError(f"max_batch_tokens must be >= 1, got {max_batch_tokens}")
    by_band: dict[int, list[int]] = {}
    for index in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        by_band.setdefault(padded_length(max(1, lengths[index])), []).append(index)
    buckets: list[tuple[int, ...]] = []
    for band, indices in by_band.items():
        per_bucket = max(1, max_batch_tokens // band - 1)  # a slot for the filler
        buckets.extend(tuple(indices[k : k + per_bucket]) for k in range(0, len(indices), per_bucket))
    return tuple(buckets)


def padded_sources(sources: Sequence[Sequence[str]]) -> list[list[str]]:
    """One bucket's sources, plus a filler of the band's length when none of them has it (the filler repeats the
    first source's tokens; its output is dropped): CTranslate2 pads a batch to its longest source, so this makes
    every batch of the band padded alike."""
    band = padded_length(max(len(s) for s in sources))
    out = [list(s) for s in sources]
    if max(len(s) for s in sources) < band:
        first = out[0] or ["."]
        out.append((first * (band // len(first) + 1))[:band])
    return out


def check_texts(texts: Sequence[str]) -> None:
    """Every item of ``texts`` is a str (the engine and the batching engine take the same input)."""
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise InputError(f"texts[{i}] must be a str, got {type(text).__name__}")


def decoding_length(source_tokens: int, options: DecodeOptions) -> int:
    """Decoding bound for a bucket: proportional to its band's length, never above the options' cap."""
    return min(options.max_decoding_length, math.ceil(options.length_ratio * padded_length(source_tokens))
               + options.length_extra)


#: The longest source, in tokens, decoded whole where the model's position table allows more or where it has none
#: (sinusoidal positions, computed for any length): attention cost grows with the square of the length, and the
#: decoder writes at most ``DecodeOptions.max_decoding_length`` (256) tokens, so a longer source would come back cut
#: short. A model's learned table is a hard limit (CTranslate2 raises "No position encodings are defined for
#: positions >= N" past it): the demo models' 512, NLLB's and M2M100's 1,024, OpenNMT-py's 5,000.
DEFAULT_SOURCE_TOKENS = 256
#: Targets written without spaces between words: the translations of a long text's pieces are joined without one.
_UNSPACED = frozenset({"zh", "zt", "ja", "yue"})
_POSITION_VARIABLES = ("encoder/position_encodings/encodings", "decoder/position_encodings/encodings")


def source_token_limit(encoder_positions: int | None) -> int:
    """The longest source an engine decodes whole: under the encoder's position table where it has one, and never
    over DEFAULT_SOURCE_TOKENS."""
    return min(encoder_positions or DEFAULT_SOURCE_TOKENS, DEFAULT_SOURCE_TOKENS)


def position_tables(model_dir) -> tuple[int | None, int | None]:
    """The rows of the encoder's and the decoder's position tables in a CTranslate2 ``model.bin`` (None where the
    model has none: sinusoidal positions computed for any length). Read from the variable headers, seeking past
    the weights, as CTranslate2's own loader lays them out (``ModelSpec._serialize``: binary version, name,
    revision, variable count, then per variable its name, rank, dimensions, type, byte count and bytes). A layout
    this reader does not know reads as no table: the model loaded, and a source past a table fails its own batch."""
    try:
        return _read_position_tables(os.path.join(str(model_dir), "model.bin"))
    except (struct.error, UnicodeDecodeError):
        return None, None


def _read_position_tables(path: str) -> tuple[int | None, int | None]:
    found: dict[str, int] = {}
    with open(path, "rb") as model:
        def read(fmt: str):
            return struct.unpack(fmt, model.read(struct.calcsize(fmt)))

        def string() -> str:
            (length,) = read("H")
            return model.read(length).rstrip(b"\0").decode("utf-8")

        read("I")
        string()
        (_revision, variables) = read("II")
        for _ in range(variables):
            name = string()
            (rank,) = read("B")
            shape = read(f"{rank}I")
            _dtype, size = read("=BI")
            if name in _POSITION_VARIABLES and shape:
                found[name] = shape[0]
            model.seek(size, os.SEEK_CUR)
    return found.get(_POSITION_VARIABLES[0]), found.get(_POSITION_VARIABLES[1])


class _Translator(Protocol):
    """What the engine needs of a loaded model: ``ctranslate2.Translator`` (untyped), shared by the engines of
    one model's directions."""

    def translate_batch(self, source: list[list[str]], **options: Any) -> Any: ...


class Engine:
    """One direction of one loaded model. Build it with :func:`load_engine`, which caches it; ``translate`` is
    thread-safe."""

    def __init__(
        self, package: ModelPackage, *, device: str = "auto", compute_type: str = "auto",
        inter_threads: int | None = None, intra_threads: int | None = None, model: _Translator | None = None,
        max_source_tokens: int | None = None,
    ):
        """``max_source_tokens``: the longest source decoded whole; None reads it from the model
        (:func:`source_token_limit`)."""
        _check_supported(package)
        import ctranslate2

        self.package = package
        self.device = resolve_device(device)
        self.compute_type = resolve_compute_type(compute_type, self.device)
        self.threads = resolve_threads(inter_threads, intra_threads, self.device)
        self._untrimmed = 0  # padded source tokens decoded since the last trim
        self._trim_lock = threading.Lock()
        self.signature = (f"{package.package_id} {package.pair} {self.device}/{self.compute_type} "
                          f"ctranslate2-{ctranslate2.__version__}")
        try:
            self._translator = model if model is not None else _load_model(package, self.device, self.compute_type,
                                                                            self.threads)
            self.tokenizer = SentencePieceTokenizer(package)
            self.positions = position_tables(package.model_dir)
        except (RuntimeError, ValueError, OSError) as exc:
            raise PackageError(f"cannot load package {package.package_id} from {package.path}: {exc}") from exc

        self.max_source_tokens = max_source_tokens or source_token_limit(self.positions[0])

    def __repr__(self) -> str:
        return f"Engine({self.signature})"

    def translate(self, texts: Sequence[str], options: DecodeOptions = DecodeOptions(),
                  encoded: Sequence[list[str]] | None = None) -> EngineResult:
        """Translate ``texts`` in buckets of one padded length. Blank texts come back as themselves undecoded; a text
        longer than ``max_source_tokens`` is translated in pieces (``split_to_fit``) whose outputs are joined.
        ``encoded``: each text's tokens as ``tokenizer.encode_each`` gives them, where the caller has them already
        (the batcher measured its texts with them), so that no text is tokenised twice."""
        check_texts(texts)
        size = len(texts)
        translations: list[str | None] = [text if not text.strip() else None for text in texts]
        scores: list[float | None] = [None] * size
        log_probs: list[float | None] = [None] * size
        scored: list[int] = [0] * size
        todo = [i for i, text in enumerate(texts) if text.strip()]
        owners, tokens, prefix = self._units([texts[i] for i in todo],
                                             None if encoded is None else [encoded[i] for i in todo])
        errors: list[str] = []
        target_tokens = 0
        unit_text: list[str | None] = [None] * len(tokens)
        # per unit: CTranslate2's score, its log-prob sum, the tokens scored, the length it was normalised by
        unit_score: list[tuple[float, float, int, int] | None] = [None] * len(tokens)
        buckets = plan_batches([len(t) for t in tokens], options.batch_tokens(self.device))
        # Queue every bucket first (the workers decode them in parallel), then collect them in order.
        submitted = [self._submit([tokens[j] for j in bucket], prefix, options) for bucket in buckets]
        for bucket, (source, limit, pending) in zip(buckets, submitted):
            try:
                if isinstance(pending, BaseException):
                    raise pending
                results = [item.result() for item in pending][: len(source)]  # the filler's comes last
            except _BATCH_ERRORS as exc:
                errors.append(
                    f"batch of {len(source)} texts (padded to {padded_length(max(map(len, source)))} tokens) failed: "
                    f"{type(exc).__name__}: {exc}"
                )
                continue
            hypotheses = [result.hypotheses[0] for result in results]
            for j, text, hypothesis, result in zip(bucket, self.tokenizer.decode(hypotheses), hypotheses, results):
                forced = len(prefix) if tuple(hypothesis[: len(prefix)]) == prefix else 0
                length = len(hypothesis) + (len(hypothesis) < limit)  # + the end token, unless cut at the bound
                target_tokens += len(hypothesis) - forced
                unit_text[j] = text
                score = result.scores[0]
                unit_score[j] = (score, score * length**options.length_penalty, length - forced, length)
        joiner = "" if self.package.to_code.split("_")[0] in _UNSPACED else " "
        groups: list[list[int]] = [[] for _ in todo]
        for j, owner in enumerate(owners):
            groups[owner].append(j)
        for i, units in zip(todo, groups):
            decoded = [unit_text[j] for j in units]
            parts = [unit_score[j] for j in units]
            if not _all_set(decoded) or not _all_set(parts):
                continue  # a piece failed: the whole text did
            translations[i] = joiner.join(decoded)
            log_probs[i] = sum(p[1] for p in parts)
            scored[i] = sum(p[2] for p in parts)
            # a text decoded in pieces: its score normalised as one hypothesis of all their tokens would be
            length = sum(p[3] for p in parts)
            scores[i] = parts[0][0] if len(parts) == 1 else log_probs[i] / length**options.length_penalty
        self._trim_when_due(sum(padded_length(len(t)) for t in tokens))
        return EngineResult(
            translations=tuple(translations),
            batches=len(buckets),
            source_tokens=sum(len(t) for t in tokens),
            target_tokens=target_tokens,
            errors=tuple(errors),
            scores=tuple(scores),
            log_probs=tuple(log_probs),
            scored_tokens=tuple(scored),
        )

    def _units(self, texts: list[str], given: list[list[str]] | None = None
               ) -> tuple[list[int], list[list[str]], tuple[str, ...]]:
        """What the model decodes: each text's tokens, or, for a text over ``max_source_tokens``, its pieces'
        (``split_to_fit`` by this direction's tokenizer, edge whitespace left out). Returns (index of the text each
        unit belongs to, the units' tokens, the target prefix)."""
        if given is None:
            tokens, prefix = self.tokenizer.encode(texts)
        else:
            tokens, prefix = given, self.tokenizer.target_prefix
        limit = self.max_source_tokens
        if all(len(t) <= limit for t in tokens):
            return list(range(len(texts))), tokens, prefix
        owners: list[int] = []
        units: list[list[str]] = []

        def count(piece: str) -> int:
            return self.tokenizer.count([piece.strip()])[0]

        for k, (text, encoded) in enumerate(zip(texts, tokens)):
            if len(encoded) <= limit:
                owners.append(k)
                units.append(encoded)
                continue
            cores = [piece.strip() for piece in split_to_fit(text, count, limit) if piece.strip()]
            owners.extend([k] * len(cores))
            units.extend(self.tokenizer.encode(cores)[0])
        return owners, units, prefix

    def _trim_when_due(self, tokens: int) -> None:
        """``release_free_memory`` once ``TRIM_EVERY_TOKENS`` source tokens were decoded since the last time: after
        each big call, after every few hundred of a server's small ones."""
        with self._trim_lock:
            self._untrimmed += tokens
            due = self._untrimmed >= TRIM_EVERY_TOKENS
            if due:
                self._untrimmed = 0
        if due:
            release_free_memory()

    def _submit(self, source: list[list[str]], prefix: tuple[str, ...], options: DecodeOptions) -> tuple:
        """Queue one bucket, with its filler: (source, decoding bound, its async results (the filler's last), or
        the error CTranslate2 raised at once)."""
        padded = padded_sources(source)
        limit = decoding_length(max(len(s) for s in source), options) + len(prefix)
        if self.positions[1] is not None:
            limit = min(limit, self.positions[1])  # the decoder's own table bounds what it can write
        try:
            pending = self._translator.translate_batch(
                padded,
                target_prefix=[list(prefix)] * len(padded) if prefix else None,
                max_batch_size=0,  # one batch, as planned: CTranslate2 must not re-split or re-order it
                beam_size=options.beam_size,
                max_input_length=0,  # never truncate silently; callers split long text into sentences
                max_decoding_length=limit,
                repetition_penalty=options.repetition_penalty,
                no_repeat_ngram_size=options.no_repeat_ngram_size,
                length_penalty=options.length_penalty,
                return_scores=True,
                asynchronous=True,
            )
        except _BATCH_ERRORS as exc:
            pending = exc
        return source, limit, pending


_T = TypeVar("_T")


def _all_set(items: Sequence[_T | None]) -> TypeGuard[Sequence[_T]]:
    """Whether every piece of a text was decoded (a failed batch leaves its pieces None)."""
    return all(item is not None for item in items)


def _check_supported(package: ModelPackage) -> None:
    if package.tokenizer != "sentencepiece":
        raise UnsupportedPackageError(
            f"package {package.package_id} at {package.path} uses a {package.tokenizer!r} tokenizer "
            f"({package.tokenizer_path.name}); xhs-translate runs only SentencePiece packages "
            "(sentencepiece.model), which is what the Argos zh<->en packages ship"
        )


def resolve_device(requested: str = "auto") -> str:
    """``auto`` is ``cuda`` when CTranslate2 sees a CUDA device, else ``cpu``; ``cuda`` without one is an error."""
    import ctranslate2

    if requested not in DEVICES:
        raise InputError(f"device must be one of {', '.join(DEVICES)}, got {requested!r}")
    gpus = ctranslate2.get_cuda_device_count()
    if requested == "auto":
        return "cuda" if gpus > 0 else "cpu"
    if requested == "cuda" and gpus == 0:
        raise InputError("device 'cuda' was asked for, but CTranslate2 sees no CUDA device here; use 'auto' or 'cpu'")
    return requested


def resolve_compute_type(requested: str = "auto", device: str = "cpu") -> str:
    """``auto``: the first of int8, float32 (CPU) or int8_float16, float16, float32 (CUDA) the device supports."""
    import ctranslate2

    supported = ctranslate2.get_supported_compute_types(device)
    if requested == "auto":
        return next(c for c in _COMPUTE_PREFERENCE[device] if c in supported)
    if requested not in supported and requested != "default":
        raise InputError(
            f"compute_type {requested!r} is not supported on this {device.upper()}; choose one of "
            f"{sorted(supported)} or 'auto'"
        )
    return requested


def resolve_threads(inter_threads: int | None = None, intra_threads: int | None = None,
                    device: str = "cpu") -> tuple[int, int]:
    """``None`` picks the measured CPU default (module docstring): min(2, cores) replicas sharing the cores; on
    CUDA one replica (the GPU does the work) with CTranslate2's own CPU thread count (0).

    An explicit ``intra_threads=0`` keeps CTranslate2's own meaning (its default thread count)."""
    cores = os.cpu_count() or 1
    inter = inter_threads if inter_threads is not None else (min(2, cores) if device == "cpu" else 1)
    if not isinstance(inter, int) or isinstance(inter, bool) or inter < 1:
        raise InputError(f"inter_threads must be a positive integer or None, got {inter_threads!r}")
    intra = intra_threads if intra_threads is not None else (max(1, cores // inter) if device == "cpu" else 0)
    if not isinstance(intra, int) or isinstance(intra, bool) or intra < 0:
        raise InputError(f"intra_threads must be an integer >= 0 or None, got {intra_threads!r}")
    return inter, intra


# Process-wide caches, explicit and documented; clear_engine_cache() empties both. The lock makes concurrent
# first calls load a model once. Models: (model folder, version, device, compute type, threads) ->
# ctranslate2.Translator, shared by the directions of a multilingual folder. Engines: that key + direction.
_MODELS: dict[tuple, _Translator] = {}
_ENGINES: dict[tuple, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _model_key(package: ModelPackage, device: str, compute_type: str, threads: tuple[int, int]) -> tuple:
    return (str(package.model_dir.resolve()), package.package_version, device, compute_type, *threads)


def _load_model(package: ModelPackage, device: str, compute_type: str, threads: tuple[int, int]) -> _Translator:
    import ctranslate2

    return ctranslate2.Translator(str(package.model_dir), device=device, compute_type=compute_type,
                                  inter_threads=threads[0], intra_threads=threads[1])


def load_engine(
    package: ModelPackage, *, device: str = "auto", compute_type: str = "auto", inter_threads: int | None = None,
    intra_threads: int | None = None,
) -> Engine:
    """Return the cached Engine for ``package``'s direction and these settings, loading the model on first use."""
    _check_supported(package)
    device = resolve_device(device)
    compute_type = resolve_compute_type(compute_type, device)
    threads = resolve_threads(inter_threads, intra_threads, device)
    model_key = _model_key(package, device, compute_type, threads)
    key = (*model_key, package.from_code, package.to_code)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = Engine(package, device=device, compute_type=compute_type, inter_threads=threads[0],
                            intra_threads=threads[1], model=_MODELS.get(model_key))
            _MODELS[model_key] = engine._translator
            _ENGINES[key] = engine
        return engine


def clear_engine_cache() -> None:
    """Forget every loaded engine and model (their memory is freed once no caller holds them)."""
    with _ENGINES_LOCK:
        _ENGINES.clear()
        _MODELS.clear()

