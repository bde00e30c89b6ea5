"""Frozen configuration: what a Translator is set up with, checked once, with named defaults.

A Translator derives all its state (glossary, routes, cache keys) from one ``TranslatorConfig`` when it is made,
so a setting can never be half-changed afterwards: make a new Translator (``config.replace(...)`` gives the new
config). The CLI, the server and Ray workers build configs from their arguments with ``from_options``, whose
flat names are the CLI's option names. Nothing heavy is imported here, and no stage: the stages (detection, the
engine) take their settings and checks from here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .errors import InputError, OptionError, PackageError
from .results import TRANSLATION_FIELDS, added_fields

if TYPE_CHECKING:
    from ._types import GlossaryArg, ModelsArg

TARGET_MODES = ("auto", "en", "zh")  # auto: zh -> en, en -> zh, other languages -> en
ZH_VARIANTS = ("Hans", "Hant")
HASHTAG_MODES = ("translate", "keep")  # translate: the words of #…[话题]#, #…#, #word, markers kept; keep: verbatim
ERROR_MODES = ("raise", "mark")
DEVICES = ("auto", "cpu", "cuda")
#: The domain prior of detection (``detection.detect``): the languages a RedNote comment section holds.
DEFAULT_LANGUAGES = ("zh", "en")
#: Token budget per bucket when DecodeOptions.max_batch_tokens is None (models/engine.py's docstring).
DEFAULT_BATCH_TOKENS = {"cpu": 1024, "cuda": 16384}
MEMO_SIZE = 20_000  # per-Translator memo of whole-comment results (a few MiB for short comments)
#: Below this confidence (exp of the mean token log-prob) a translation is flagged ``low_confidence``. A starting
#: point, not calibrated on real models here: fluent NMT output scores about 0.45-0.75 per token, loops and
#: garbage below 0.3.
CONFIDENCE_THRESHOLD = 0.3


_PAIR = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")
ANY_DIRECTION = "*"  # the key of models= that names the model for every direction

def parse_pair(value: str) -> tuple[str, str]:
    """``"zh-en"`` -> ``("zh", "en")``; a clear PackageError for anything else."""
    match = _PAIR.match(value.strip().lower()) if isinstance(value, str) else None
    if not match or match.group(1) == match.group(2):
        raise PackageError(f"{value!r} is not a translation direction; write it FROM-TO, e.g. zh-en, en-zh or zt-en")
    return match.group(1), match.group(2)


def model_choices(models: str | Mapping[str, str] | None) -> dict[str, str]:
    """The ``models=`` option as ``{"zh-en": NAME, "*": NAME}``: a str names the model for every direction it
    serves; a mapping's keys are directions (``"zh-en"``) or ``"*"``."""
    if models is None:
        return {}
    if isinstance(models, str):
        models = {ANY_DIRECTION: models}
    if not isinstance(models, Mapping):
        raise OptionError(f"models must be a model name or a {{'zh-en': name}} mapping, got {type(models).__name__}")
    out = {}
    for key, name in models.items():
        if not isinstance(name, str) or not name.strip():
            raise OptionError(f"models[{key!r}] must be a model name (str), got {name!r}")
        try:
            direction = key if key == ANY_DIRECTION else "-".join(parse_pair(key))
        except PackageError as exc:
            raise InputError(f"models: {key!r} is not a direction such as 'zh-en' ({exc})") from None
        out[direction] = name.strip()
    return out


def check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InputError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


def _field_name(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise InputError(f"{name} must be a non-empty str, got {value!r}")


def _optional_int(name: str, value: Any, minimum: int) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < minimum):
        raise InputError(f"{name} must be an integer >= {minimum} or None, got {value!r}")


def expected_languages(languages: Collection[str] | str | None) -> frozenset[str] | None:
    """``languages`` checked and normalised: a frozenset of codes, or None for the open world (``None`` or "all")."""
    if languages is DEFAULT_LANGUAGES:
        return _DEFAULT_EXPECTED
    if languages is None or languages == "all":
        return None
    if isinstance(languages, str) or not isinstance(languages, Iterable):
        raise InputError(
            f"languages must be a sequence of language codes such as ('zh', 'en'), 'all' or None; got {languages!r}"
        )
    codes = tuple(languages)
    if not codes or not all(isinstance(c, str) and c.isascii() and c.isalpha() and c.islower() for c in codes):
        raise InputError(f"languages must hold lower-case language codes such as 'zh' and 'en'; got {languages!r}")
    return frozenset(codes)


_DEFAULT_EXPECTED = frozenset(DEFAULT_LANGUAGES)


#: The lengths a source is decoded at. A segment of n tokens is always padded to the first of these that is >= n
#: (a longer one to its own length), whatever else is in its batch; a batch that lacks a source of that length
#: gets a filler of it, whose output is dropped (``padded_sources``). So every batch of a band is padded to the
#: same length, and a segment decodes the same with any batch mates (module docstring).
#: Coarse bands (issue 24): a server's batches are the texts its concurrent requests have waiting, so each band
#: it has to serve separately cuts them smaller. The old 27 bands (4, 6, 8, ... 512) put 16 clients' comments
#: into ~1.3 segments per model call. Since then the first band is 16, not 8 (86% of real Chinese segments were
#: 8 or 16): padding a short segment to 16 costs no measurable CPU (a batch's decoding steps carry the cost,
#: not the source length), and the server's 16 clients got 5.3 texts per model call instead of 4.3, all else
#: equal (one run of 3 repeats).
#: Bulk decoding did not get slower either time: 700 zh + 350 en comments took 29.5 CPU s against 29.3 with 8
#: (benchmarks/band_costs.py, base models, medians of 3 interleaved runs). The bands change outputs, so they are
#: in the cache fingerprint (``DecodeOptions.fingerprint``).
PADDED_LENGTHS = (16, 32, 48, 64, 96, 128, 192, 256, 384, 512)

#: Seconds a text may wait for other callers' texts to share its model batch before it is dispatched anyway
#: (``BatchingEngine``'s ``max_wait``; ``serve --coalesce-ms``).
DEFAULT_MAX_WAIT = 0.005
#: Seconds a batching worker waits, after a dispatch that answered several calls, for as many calls to come
#: (``BatchingEngine``'s ``regroup_wait``; ``serve --regroup-ms``). A server answers those callers one after another
#: (~2.5 ms of Python each on 2 cores), so their next texts came 2-22 ms after the batch ended at 16 clients; with
#: 5 ms most of them missed the next batch (README "Performance").
DEFAULT_REGROUP_WAIT = 0.02


@dataclass(frozen=True)
class DecodeOptions:
    """How to decode. Every field but ``max_batch_tokens`` goes into :meth:`fingerprint`, so cached translations
    follow option changes; the budget only decides how many segments of a band share a call, which changes
    cost, never output (module docstring).

    ``no_repeat_ngram_size=4`` stops the known Argos loops (``(掌声) (掌声) (掌声) ...``, one word repeated
    dozens of times) at the second occurrence of any 4-token sequence, while a legitimate short repeat such as
    哈哈哈 or "very very" (at most 3 tokens of a kind in a row) still decodes. ``repetition_penalty`` stays
    at 1.0 (off): it would also penalise every reuse of ordinary words like "the" or 的.
    """

    beam_size: int = 2
    max_batch_tokens: int | None = None  # None: DEFAULT_BATCH_TOKENS for the engine's device
    length_ratio: float = 2.0
    length_extra: int = 10
    max_decoding_length: int = 256
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 4
    length_penalty: float = 1.0

    def __post_init__(self) -> None:
        budget = ("max_batch_tokens",) if self.max_batch_tokens is not None else ()
        positive = ("beam_size", "max_decoding_length", *budget)
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"DecodeOptions.{name} must be a positive integer, got {value!r}")
        if not isinstance(self.length_extra, int) or self.length_extra < 0:
            raise InputError(f"DecodeOptions.length_extra must be an integer >= 0, got {self.length_extra!r}")
        if not isinstance(self.no_repeat_ngram_size, int) or self.no_repeat_ngram_size < 0:
            raise InputError(
                "DecodeOptions.no_repeat_ngram_size must be an integer >= 0 (0 = off), "
                f"got {self.no_repeat_ngram_size!r}"
            )
        if not self.length_ratio > 0:
            raise InputError(f"DecodeOptions.length_ratio must be > 0, got {self.length_ratio!r}")
        if not self.repetition_penalty > 0:
            raise InputError(f"DecodeOptions.repetition_penalty must be > 0, got {self.repetition_penalty!r}")

    def fingerprint(self) -> str:
        """Stable short hash of every option that can change an output, for cache keys."""
        fields = {k: v for k, v in asdict(self).items() if k != "max_batch_tokens"}
        payload = json.dumps({**fields, "bands": PADDED_LENGTHS}, sort_keys=True)  # bands change outputs too
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def batch_tokens(self, device: str) -> int:
        return self.max_batch_tokens if self.max_batch_tokens is not None else DEFAULT_BATCH_TOKENS[device]


@dataclass(frozen=True)
class FieldSchema:
    """The names of a record's id, text and parent fields, and the prefix put in front of the fields we add.

    ``text_field`` is one field name, or several (``("title", "desc")``: a note's title and body, a post's title
    and content), each translated on its own into fields of its own: ``title_translation``, ``desc_translation``,
    ... (``{prefix}{field}_{name}``). One field keeps the plain names (``translation``, ...)."""

    id_field: str = "comment_id"
    text_field: str | tuple[str, ...] = "content"
    parent_field: str = "parent_comment_id"
    prefix: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.text_field, (list, tuple)):
            names = tuple(dict.fromkeys(self.text_field))
            if not names:
                raise InputError("text_field must name at least one field")
            for name in names:
                _field_name("text_field", name)
            object.__setattr__(self, "text_field", names[0] if len(names) == 1 else names)
        for name in ("id_field", "text_field", "parent_field"):
            if name != "text_field" or isinstance(self.text_field, str):
                _field_name(name, getattr(self, name))
        if not isinstance(self.prefix, str):
            raise InputError(f"field_prefix must be a str, got {type(self.prefix).__name__}")

    @property
    def text_fields(self) -> tuple[str, ...]:
        """The text fields, one or more."""
        return (self.text_field,) if isinstance(self.text_field, str) else self.text_field

    def fields_for(self, text_field: str) -> tuple[str, ...]:
        """The fields ``translate_thread`` adds for one text field, prefixed: source_lang, target_lang, translation,
        status, flags, confidence (with several text fields, each name has its field's name in front)."""
        if len(self.text_fields) == 1:
            return added_fields(TRANSLATION_FIELDS, self.prefix)
        return added_fields(TRANSLATION_FIELDS, f"{self.prefix}{text_field}_")

    @cached_property
    def translation_fields(self) -> tuple[str, ...]:
        """The fields ``translate_thread`` adds for the (first) text field."""
        return self.fields_for(self.text_fields[0])

    @cached_property
    def all_translation_fields(self) -> tuple[str, ...]:
        """Every field ``translate_thread`` adds, text field by text field."""
        return tuple(name for field in self.text_fields for name in self.fields_for(field))


@dataclass(frozen=True)
class EngineConfig:
    """How CTranslate2 runs: device (``auto``: CUDA when CTranslate2 sees a GPU, else the CPU) and compute type
    (``auto``: int8 on the CPU, int8_float16 or float16 on CUDA), both resolved when first needed, and threads
    (None: the engine's measured default, see ``models.engine.resolve_threads``)."""

    compute_type: str = "auto"
    inter_threads: int | None = None
    intra_threads: int | None = None
    device: str = "auto"

    def __post_init__(self) -> None:
        _field_name("compute_type", self.compute_type)
        check_choice("device", self.device, DEVICES)
        _optional_int("inter_threads", self.inter_threads, 1)
        _optional_int("intra_threads", self.intra_threads, 0)


# Flat option names (as on the command line) of the nested configs: field -> (class, {flat name: its field}).
_NESTED: dict[str, tuple[Any, dict[str, str]]] = {
    "engine": (EngineConfig, {"compute_type": "compute_type", "inter_threads": "inter_threads",
                              "intra_threads": "intra_threads", "device": "device"}),
    "fields": (FieldSchema, {"id_field": "id_field", "text_field": "text_field", "parent_field": "parent_field",
                             "field_prefix": "prefix"}),
    "decode_options": (DecodeOptions, {"beam_size": "beam_size"}),
}


@dataclass(frozen=True)
class TranslatorConfig:
    """Every option that decides what a Translator does (the cache and engine provider are resources, given to
    the Translator itself). ``glossary``: a ``Glossary``, a TSV/CSV path or a ``{source: target}`` zh -> en
    mapping, merged over the built-in slang list unless ``builtin_glossary=False``. ``languages``: the languages
    detection leans to (None: no domain prior). ``errors``: ``raise`` or ``mark`` (failed comments are marked).
    ``mark_cached``: report ``cached`` for comments served wholly from the cache. ``memo_size``: whole-comment
    results kept in memory (0: none). ``languages``: the domain prior of detection (``detection.detect``): the
    languages comments are expected in, default zh and en; None or ``"all"`` for none. ``models``: which installed
    model serves a direction where several do: a name (family, model id or folder name, e.g. ``"quickmt"``) taken
    for every direction it serves, or ``{"zh-en": name}`` pinning a direction (``zt-en`` is its own); kept as
    ``(("zh-en", name), ...)`` pairs, ``"*"`` for the name of every direction; otherwise
    ``models.packages.PREFERENCE`` decides. ``hashtags``: ``"translate"`` (the words of a hashtag are translated, its
    markers ``#``, ``#`` and ``[话题]#`` kept: ``#超级棒`` -> ``#Super great``) or ``"keep"`` (verbatim, for apps that
    re-render the original markup)."""

    models_dir: str | Path | None = None
    target: str = "auto"
    glossary: GlossaryArg = None
    builtin_glossary: bool = True
    zh_variant: str = "Hans"
    errors: str = "raise"
    decode_options: DecodeOptions = field(default_factory=DecodeOptions)
    engine: EngineConfig = field(default_factory=EngineConfig)
    fields: FieldSchema = field(default_factory=FieldSchema)
    mark_cached: bool = False
    memo_size: int = MEMO_SIZE
    confidence_threshold: float = CONFIDENCE_THRESHOLD
    languages: tuple[str, ...] | None = DEFAULT_LANGUAGES
    models: ModelsArg = ()
    hashtags: str = "translate"

    @property
    def model_pairs(self) -> tuple[tuple[str, str], ...]:
        """``models`` as ``__post_init__`` leaves it, whatever shape it was given in: sorted (direction, name)
        pairs, ``("*", name)`` for every direction."""
        return cast(tuple[tuple[str, str], ...], self.models)

    def __post_init__(self) -> None:
        check_choice("target", self.target, TARGET_MODES)
        check_choice("hashtags", self.hashtags, HASHTAG_MODES)
        check_choice("zh_variant", self.zh_variant, ZH_VARIANTS)
        check_choice("errors", self.errors, ERROR_MODES)
        if self.models_dir is not None and not isinstance(self.models_dir, (str, Path)):
            raise InputError(f"models_dir must be a path or None, got {type(self.models_dir).__name__}")
        for name, kind in (("decode_options", DecodeOptions), ("engine", EngineConfig), ("fields", FieldSchema)):
            if not isinstance(getattr(self, name), kind):
                raise InputError(f"{name} must be a {kind.__name__}, got {getattr(self, name)!r}")
        for name in ("builtin_glossary", "mark_cached"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(f"{name} must be True or False, got {getattr(self, name)!r}")
        _optional_int("memo_size", self.memo_size, 0)
        threshold = self.confidence_threshold
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
            raise InputError(f"confidence_threshold must be a number from 0 to 1, got {threshold!r}")
        if expected_languages(self.languages) is None:
            object.__setattr__(self, "languages", None)
        else:
            object.__setattr__(self, "languages", tuple(dict.fromkeys(self.languages)))  # type: ignore[arg-type]
        try:
            choices = dict(self.models) if isinstance(self.models, tuple) else self.models
        except (TypeError, ValueError):
            raise InputError(f"models must be a model name, a {{'zh-en': name}} mapping or (direction, name) pairs, "
                             f"got {self.models!r}") from None
        object.__setattr__(self, "models", tuple(sorted(model_choices(choices or None).items())))

    @classmethod
    def option_names(cls) -> frozenset[str]:
        """Every flat option name ``from_options`` takes (the CLI's argument names)."""
        return frozenset({f.name for f in fields(cls)} | {flat for _, names in _NESTED.values() for flat in names})

    @classmethod
    def from_options(cls, **options: Any) -> TranslatorConfig:
        """A config from flat options, named as on the command line: the fields above plus ``compute_type``,
        ``inter_threads``, ``intra_threads`` (EngineConfig), ``id_field``, ``text_field``, ``parent_field``,
        ``field_prefix`` (FieldSchema) and ``beam_size`` (DecodeOptions). An unknown name is an OptionError (a
        TypeError)."""
        known = cls.option_names()
        unknown = sorted(set(options) - known)
        if unknown:
            raise OptionError(f"unknown Translator option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        own = {f.name for f in fields(cls)}
        top = {name: value for name, value in options.items() if name in own}
        for name, (kind, names) in _NESTED.items():
            flat = {inner: options[outer] for outer, inner in names.items() if outer in options}
            if flat:
                base = top.get(name, kind())
                if not isinstance(base, kind):
                    raise InputError(f"{name} must be a {kind.__name__}, got {base!r}")
                top[name] = dataclasses.replace(base, **flat)
        return cls(**top)

    def replace(self, **options: Any) -> TranslatorConfig:
        """This config with some flat options changed (the names of ``from_options``)."""
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        return TranslatorConfig.from_options(**{**current, **options})

