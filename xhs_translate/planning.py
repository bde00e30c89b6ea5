"""Planning: cut one text into the pieces of its translation, as pure functions of the text, its detections and
the routes it is given.

A text becomes parts (verbatim text, such as protected spans and edge whitespace, and sentences), then, once its
language is known, pieces: verbatim text, glossary targets and model jobs. Sentences are the unit of caching and
batching. Nothing here touches a model or a cache: ``route_for`` is passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence, Union

from .detection import _CJK_CHARS, _LATIN_CHARS, UND, Detection
from .glossary import Glossary
from .results import Flag, Status, Translation
from .routing import Route, convert
from .segment import has_words, normalize_segment, split_edges, split_long, split_sentences
from .spans import split_spans

MAX_SEGMENT_CHARS = 300  # longer sentences are cut at a comma or space: models are trained on sentences

# A comment whose letters are all Latin, or all CJK, is one language throughout: its sentences take the comment's
# detection instead of being detected again (most comments; mixed ones are detected sentence by sentence).
_LATIN = re.compile(f"[{_LATIN_CHARS}]")
_CJK = re.compile(f"[{_CJK_CHARS}]")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A translatable sentence: its core, without edge whitespace."""

    core: str


@dataclass(frozen=True, slots=True)
class Protected:
    """A protected span (emoji, code, hashtag, mention, URL, ...): kept verbatim, and counted as certain."""

    text: str


Part = Union[str, Sentence, Protected]


@dataclass(frozen=True, slots=True)
class GlossaryTerm:
    """A glossary match, already in its target form."""

    target: str


@dataclass(frozen=True, slots=True)
class Job:
    """One model input (normalised), and the route that serves it; equal jobs are decoded once."""

    route: Route
    text: str


Piece = Union[str, GlossaryTerm, Job]


@dataclass(frozen=True, slots=True)
class Plan:
    """What one text's translation is made of; ``done`` is set when it is decided without a model."""

    text: Any
    source_lang: str
    target_lang: str | None
    pieces: tuple[Piece, ...] = ()
    flags: tuple[str, ...] = ()
    partial: bool = False  # some sentences are in a language no installed package serves
    certain: int = 0  # protected spans and glossary terms: pieces whose output is certain
    missing: frozenset[tuple[str, str]] = frozenset()  # zh/en pairs it needs whose model is not installed
    done: Translation | None = None

    def jobs(self) -> list[Job]:
        """The model jobs, in order, repeats included."""
        return [piece for piece in self.pieces if isinstance(piece, Job)]

    def glossary_terms(self) -> int:
        return sum(isinstance(piece, GlossaryTerm) for piece in self.pieces)


def split_text(text: str, mentions: Sequence[str] = ()) -> list[Part]:
    """Protected spans as ``Protected``, whitespace and text without letters verbatim, sentences (long ones cut) as
    ``Sentence``; joins back to ``text``."""
    parts: list[Part] = []
    for span in split_spans(text, mentions):
        if span.protected:
            parts.append(Protected(span.text))
            continue
        for sentence in split_sentences(span.text):
            for piece in split_long(sentence, MAX_SEGMENT_CHARS):
                lead, core, trail = split_edges(piece)
                parts.extend([lead, Sentence(core), trail] if has_words(core) else [piece])
    return parts


def content_of(parts: Sequence[Part]) -> str:
    """The text that detection sees for the whole comment: sentences, with a space for everything else."""
    return "".join(p.core if type(p) is Sentence else " " for p in parts)


def sentences_need_detection(content: str) -> bool:
    """True when the comment mixes Latin and CJK letters, so its sentences may differ in language."""
    return bool(_LATIN.search(content) and _CJK.search(content))


def target_for(lang: str, mode: str) -> str | None:
    """The language a text in ``lang`` goes into: in auto mode zh -> en, en -> zh, others -> en, und -> None."""
    if mode != "auto":
        return mode
    if lang == UND:
        return None
    return "zh" if lang == "en" else "en"


def plan_text(
    text: str,
    parts: Sequence[Part],
    comment: Detection,
    sentences: Iterator[Detection] | None,
    source: str,
    mode: str,
    route_for: Callable[[str, str, bool], Route | None],
    glossary: Glossary,
) -> Plan:
    """Decide each sentence's fate: verbatim (already in the target language, or no language), unsupported, or
    routed, with glossary terms cut out and the rest made into jobs. ``sentences`` yields one detection per
    ``Sentence`` part, or is None to give every sentence the comment's detection."""
    comment_lang = comment.lang if source == "auto" else source
    comment_target = target_for(comment_lang, mode)
    pieces: list[Piece] = []
    flags: list[str] = []
    linguistic = needs = unsupported = certain = 0
    missing: set[tuple[str, str]] = set()
    for part in parts:
        if isinstance(part, Protected):
            pieces.append(part.text)
            certain += 1
            continue
        if not isinstance(part, Sentence):
            pieces.append(part)
            continue
        found = next(sentences) if sentences is not None else comment
        lang = found.lang if source == "auto" or found.lang == UND else source
        target = comment_target or target_for(lang, mode)
        linguistic += lang != UND
        if lang == UND or lang == target or target is None:
            pieces.append(part.core)
            continue
        needs += 1
        hant = lang == "zh" and (found.script == "Hant" or (found.script is None and comment.script == "Hant"))
        route = route_for(lang, target, hant)
        if route is None:
            unsupported += 1
            pieces.append(part.core)
            continue
        if route.package is None:
            missing.add((lang, target))
            continue
        core = part.core
        if route.before:
            core = convert(core, route.before)
            _add(flags, Flag.TRADITIONAL_CONVERTED)
        terms = _plan_sentence(pieces, core, route, glossary)
        if terms:
            _add(flags, Flag.GLOSSARY_APPLIED)
            certain += terms
    status = None
    if needs == 0:
        status = Status.SAME_LANGUAGE if linguistic else Status.NO_TEXT
    elif unsupported == needs:
        status = Status.UNSUPPORTED_LANGUAGE
    elif missing:
        done = Translation(text, None, comment_lang, comment_target, Status.FAILED, (Flag.MODEL_NOT_INSTALLED,))
        return Plan(text, comment_lang, comment_target, missing=frozenset(missing), done=done)
    if status is not None:
        return Plan(text, comment_lang, comment_target, done=Translation(text, None, comment_lang, comment_target, status))
    return Plan(text, comment_lang, comment_target, tuple(pieces), tuple(flags), partial=unsupported > 0,
                certain=certain)


def _plan_sentence(pieces: list[Piece], core: str, route: Route, glossary: Glossary) -> int:
    """Cut glossary terms out of a routed sentence (their target forms go in as they are); the rest becomes
    jobs. Returns how many terms were found."""
    pos = 0
    matches = glossary.find(core, route.source_lang, route.target_lang)
    for match in matches:
        _plan_run(pieces, core[pos : match.start], route)
        pieces.append(GlossaryTerm(convert(match.target, route.after)))
        pos = match.end
    _plan_run(pieces, core[pos:], route)
    return len(matches)


def _plan_run(pieces: list[Piece], text: str, route: Route) -> None:
    lead, core, trail = split_edges(text)
    if has_words(core):
        pieces.extend([lead, Job(route, normalize_segment(core)), trail])
    else:
        pieces.append(text)


def _add(flags: list[str], flag: str) -> None:
    if flag not in flags:
        flags.append(flag)
