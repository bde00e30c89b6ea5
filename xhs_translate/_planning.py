"""Planning: cut one text into the pieces of its translation, as pure functions of the text, its detections and
the routes it is given.

A text becomes parts (verbatim text, such as protected spans and edge whitespace, and sentences), then, once its
language is known, pieces: verbatim text, glossary targets and model jobs. Sentences are the unit of caching and
batching. Nothing here touches a model or a cache: ``route_for`` is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from ._scripts import CJK_CHARS, HAN, LATIN_CHARS, LATIN_WORD
from .detection import MIXED_MIN_HAN, UND, Detection, unstyled
from .glossary import Glossary
from .results import Flag, Status, Translation
from .routing import Route, convert
from .segment import has_words, normalize_segment, split_edges, split_sentences
from .spans import HASHTAG, hashtag_parts, split_spans

# A bilingual post carries its own English: a sentence is cut between a Latin run of at least this many words and a
# Han run of at least MIN_HAN_RUN characters (detection's bar for a bilingual text), so that each side is detected,
# and kept or translated, on its own. Shorter Han runs are words quoted in an English sentence ("I already know 3
# words: 你好, 谢谢, 哈哈哈"), which an English reader wants as they are.
MIN_LATIN_RUN_WORDS = 3
MIN_HAN_RUN = MIXED_MIN_HAN
_LATIN_RUN = re.compile(f"[{LATIN_CHARS}][^{CJK_CHARS}]*")  # from a Latin letter up to the next CJK character

# A comment whose letters are all Latin, or all CJK, is one language throughout: its sentences take the comment's
# detection instead of being detected again (most comments; mixed ones are detected sentence by sentence).
_LATIN = re.compile(f"[{LATIN_CHARS}]")
_CJK = re.compile(f"[{CJK_CHARS}]")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A translatable sentence: its core, without edge whitespace. ``hashtag``: the words of a hashtag, which
    decide the comment's language only when it has no words of its own."""

    core: str
    hashtag: bool = False


@dataclass(frozen=True, slots=True)
class Marker:
    """A hashtag's markers (``#``, ``#``, ``[话题]#``): verbatim, and glued to the translated words between them."""

    text: str


@dataclass(frozen=True, slots=True)
class Protected:
    """A protected span (emoji, code, hashtag, mention, URL, ...): kept verbatim, and counted as certain."""

    text: str


Part = str | Sentence | Protected | Marker


@dataclass(frozen=True, slots=True)
class GlossaryTerm:
    """A glossary match, already in its target form."""

    target: str


@dataclass(frozen=True, slots=True)
class Job:
    """One model input (normalised), and the route that serves it; equal jobs are decoded once."""

    route: Route
    text: str


Piece = str | GlossaryTerm | Job | Marker


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


def split_text(text: str, mentions: Sequence[str] = (), hashtags: str = "translate") -> list[Part]:
    """Protected spans as ``Protected``, whitespace and text without letters verbatim, sentences (bilingual ones cut
    between their languages) as ``Sentence``; joins back to ``text``. A sentence too long for its model is cut by the
    engine, by the model's tokens. With ``hashtags="translate"`` a hashtag is its markers (``Marker``) around
    its words (a ``Sentence``): ``#小众文案[话题]#`` -> ``#``, ``小众文案``, ``[话题]#``; with ``"keep"`` it is
    protected."""
    parts: list[Part] = []
    for span in split_spans(text, mentions):
        if span.kind == HASHTAG and hashtags == "translate":
            opening, words, closing = hashtag_parts(span.text)
            lead, core, trail = split_edges(words)
            if has_words(core):
                parts.extend([Marker(opening), lead, Sentence(core, hashtag=True), trail])
                if closing:
                    parts.append(Marker(closing))
                continue
        if span.protected:
            parts.append(Protected(span.text))
            continue
        for sentence in split_sentences(span.text):
            for run in split_languages(sentence):
                lead, core, trail = split_edges(run)
                parts.extend([lead, Sentence(core), trail] if has_words(core) else [run])
    return parts


def split_languages(sentence: str) -> list[str]:
    """``sentence`` cut between a Latin run of ``MIN_LATIN_RUN_WORDS``+ words and a Han run of ``MIN_HAN_RUN``+
    characters (join == sentence): ``i am out of eggs - 我的鸡蛋用完了`` -> the English, then the Chinese. Latin words
    inside a Chinese sentence (``这个vibe太绝了``, ``联想ThinkPad X220``) and short Han beside English stay whole."""
    if not (_LATIN.search(sentence) and HAN.search(sentence)):
        return [sentence]
    runs = [
        m.span() for m in _LATIN_RUN.finditer(sentence) if len(LATIN_WORD.findall(m.group())) >= MIN_LATIN_RUN_WORDS
    ]
    if not runs:
        return [sentence]
    cuts = []
    edges = [0, *(x for run in runs for x in run), len(sentence)]  # between-run stretches: edges[2i], edges[2i+1]
    for i, (start, end) in enumerate(runs):
        if len(HAN.findall(sentence, edges[2 * i], start)) >= MIN_HAN_RUN:
            cuts.append(start)
        if len(HAN.findall(sentence, end, edges[2 * i + 3])) >= MIN_HAN_RUN:
            cuts.append(end)
    bounds = [0, *sorted(set(cuts) - {0, len(sentence)}), len(sentence)]
    return [sentence[a:b] for a, b in pairwise(bounds)]


def content_of(parts: Sequence[Part]) -> str:
    """The text that detection sees for the whole comment: sentences, with a space for everything else; the words
    of hashtags only when there are no other words (a text of hashtags only is in their language)."""
    own = "".join(p.core if type(p) is Sentence and not p.hashtag else " " for p in parts)
    if has_words(own) or not any(type(p) is Sentence and p.hashtag for p in parts):
        return own
    return "".join(p.core if type(p) is Sentence else " " for p in parts)


def sentences_need_detection(parts: Sequence[Part]) -> bool:
    """True when the comment's sentences (hashtag words included) mix Latin and CJK letters, so they may differ in
    language."""
    cores = " ".join(p.core for p in parts if type(p) is Sentence)
    return bool(_LATIN.search(cores) and _CJK.search(cores))


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
        if lang in (UND, target) or target is None:
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
        done = Translation(text, None, comment_lang, comment_target, status)
        return Plan(text, comment_lang, comment_target, done=done)
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
        pieces.extend([lead, Job(route, normalize_segment(unstyled(core))), trail])  # 𝐯𝐢𝐛𝐞 reaches the model as vibe
    else:
        pieces.append(text)


def _add(flags: list[str], flag: str) -> None:
    if flag not in flags:
        flags.append(flag)
