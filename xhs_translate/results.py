"""Typed results: what one text's translation came to, its confidence, and the one list of status, flag and
added field names.

Statuses and flags are written into every output record, shown by the HTML page and returned by the server; they
are named here once so that no module spells them out again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:  # a type only: results stays a leaf module
    from .detection import Detection

from .errors import InputError


class Status(str, Enum):
    """A comment's ``translation_status``. A ``str`` subclass, so it compares equal to (and serialises as) its value."""

    TRANSLATED = "translated"
    CACHED = "cached"  # only with mark_cached: a translated comment served wholly from the cache
    SAME_LANGUAGE = "same_language"
    NO_TEXT = "no_text"
    UNSUPPORTED_LANGUAGE = "unsupported_language"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


STATUSES = tuple(status.value for status in Status)
STATUS_BY_VALUE = {status.value: status for status in Status}  # Status(value) without the Enum call's cost


class Flag:
    """The words of ``translation_flags``: notes on how a translation came about."""

    GLOSSARY_APPLIED = "glossary_applied"
    PARTIALLY_TRANSLATED = "partially_translated"  # some sentences are in a language no installed model serves
    TRADITIONAL_CONVERTED = "traditional_converted"  # Traditional Chinese went through OpenCC around a zh model
    REPETITION_GUARDED = "repetition_guarded"  # a model loop was collapsed
    LENGTH_ANOMALY = "length_anomaly"  # the output is far longer (or emptier) than the source
    MODEL_NOT_INSTALLED = "model_not_installed"
    MODEL_FAILED = "model_failed"
    INVALID_TEXT = "invalid_text"  # the text field holds something other than a str
    LOW_CONFIDENCE = "low_confidence"  # the model's score is below the threshold (issue 15); the HTML page dims it
    DEMO_MODEL = "demo_model"  # a random-weight package of `models install --demo` wrote it: gibberish, say so


#: What every place that shows or stores a demo translation says (server start, /health, the HTML page, the browser).
DEMO_NOTICE = ("DEMO: random-weight models (models install --demo) wrote these translations; they are gibberish. "
               "Install real models for real translations.")


@dataclass(frozen=True, slots=True)
class ModelOutput:
    """One segment's model output after the repetition guard, with CTranslate2's own score for it: the sum of
    its token log-probabilities and how many tokens that covers (None and 0 where the model gave no score)."""

    text: str
    flags: tuple[str, ...] = ()
    log_prob: float | None = None
    tokens: int = 0


def token_weighted_confidence(parts: Iterable[tuple[float, int]]) -> float:
    """exp(sum of log-probs / sum of tokens) over (log-prob sum, token count) parts: several segments of one comment
    weighted by their tokens. Parts that count as certain (glossary terms, protected spans) are (0.0, tokens).
    1.0 when there are no tokens at all."""
    total, count = 0.0, 0
    for log_prob, tokens in parts:
        total += log_prob
        count += tokens
    return math.exp(min(0.0, total / count)) if count else 1.0


@dataclass(frozen=True, slots=True)
class Translation:
    """The result for one text: ``translation`` is None unless ``status`` is translated or cached.
    ``confidence``: exp(mean token log-probability) over the text's model pieces, weighted by tokens, where each
    protected span and glossary term counts as one certain token; None without a translation.
    ``detection``: the whole text's detected language as the pipeline found it (None for a text that is not a
    str), so a caller that reports it (the server's ``detectedLanguage``) need not detect again."""

    text: Any
    translation: str | None
    source_lang: str
    target_lang: str | None
    status: Status
    flags: tuple[str, ...] = ()
    confidence: float | None = None
    error: str | None = None  # why a failed result failed
    detection: Detection | None = None

    @property
    def shown(self) -> Any:
        """The text to show: the translation, or the original where there is none (same language, no text,
        failed)."""
        return self.translation if self.translation is not None else self.text

    def as_fields(self, names: Sequence[str]) -> dict[str, Any]:
        """The fields added to a comment dict, under ``names`` (``FieldSchema.translation_fields``), as plain JSON
        values; a failed result also gets its reason, under the translation field's name + ``_error``."""
        source, target, translation, status, flags, confidence = names  # a literal: it runs once per comment
        fields = {source: self.source_lang, target: self.target_lang, translation: self.translation,
                  status: self.status._value_, flags: list(self.flags), confidence: self.confidence}
        if self.error is not None:
            fields[translation + ERROR_SUFFIX] = self.error
        return fields


#: A failed result's reason goes into the record under its translation field's name + this (``translation_error``).
ERROR_SUFFIX = "_error"


class Stats(dict[str, Any]):
    """Counters that add up: ``a + b`` adds them name by name, nested groups (``statuses``, ``flags``, ``failures``)
    group by group, a name missing on one side counting 0; ``sum(parts, Stats())`` adds many. One type for the
    Translator's, the batching engines' and the server's counters, and for the CLI's and Ray's sums of them.
    A read-only dict, so it prints, compares, pickles and serialises to JSON as the plain counters it holds."""

    def __init__(self, counts: Mapping[str, Any] = {}, /) -> None:
        super().__init__((k, Stats(v) if isinstance(v, Mapping) else v) for k, v in counts.items())

    def __add__(self, other: Mapping[str, Any]) -> Stats:
        total = dict(self)
        for key, value in other.items():
            mine = total.get(key)
            if isinstance(value, Mapping):
                total[key] = (mine if isinstance(mine, Stats) else Stats()) + value
            else:
                total[key] = (mine or 0) + value
        return Stats(total)

    def __radd__(self, other: Any) -> Stats:
        return self if other == 0 else Stats(other) + self  # sum() starts from 0

    def only(self, names: Sequence[str]) -> Stats:
        """These counters alone (0 where absent), in this order."""
        return Stats({name: self.get(name, 0) for name in names})

    def __reduce__(self) -> tuple[Any, ...]:
        return Stats, (dict(self),)

    def _read_only(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("Stats are read-only: add them with +")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _read_only

FLAGS_FIELD = "translation_flags"  # a list of plain words (CSV joins it with ";")
CONFIDENCE_FIELD = "translation_confidence"  # the model's confidence in 0-1 (None without a translation)
#: The fields ``Translator.translate_thread`` adds to each comment, in this order (``Translation.as_fields``).
TRANSLATION_FIELDS = ("source_lang", "target_lang", "translation", "translation_status", FLAGS_FIELD, CONFIDENCE_FIELD)
#: The fields ``xhs-translate detect`` adds to each record.
DETECTION_FIELDS = ("source_lang", "confidence", "script", "mixed")


def added_fields(names: Sequence[str], prefix: str = "") -> tuple[str, ...]:
    """``names`` as they are added to comments: each with ``prefix`` (the ``field_prefix`` option) in front."""
    if not isinstance(prefix, str):
        raise InputError(f"field_prefix must be a str, got {type(prefix).__name__}")
    return tuple(prefix + name for name in names)
