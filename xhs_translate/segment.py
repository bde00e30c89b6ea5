"""Pure per-segment text functions: sentence splitting, normalisation, and the degenerate-output guard.

A sentence is the unit of caching and batching: short units dedupe well across a thread (``哈哈哈``,
``好可爱``) and keep one bad model output from spoiling a whole comment. Everything here is pure and
loss-free: ``"".join(split_sentences(t)) == t`` and ``"".join(split_edges(t)) == t`` for every str.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from .results import Flag

# A sentence ends after a terminator run, plus closing quotes/brackets and the whitespace after it.
# Chinese terminators end a sentence anywhere; ASCII ones only before whitespace or the end, so that
# "3.14", "v1.2" and "e.g.x" stay whole. A line break always ends a sentence.
# Linear time: a match may not start inside a run it would have to scan past and fail on, which would make the
# engine rescan the rest of the run from every position ("!!!!…x", "    …x": quadratic). So the ASCII and the
# line-break alternatives start only at the first character of their run (the lookbehinds, placed after that
# character so that the engine still skips ahead to candidate characters), and scan each run once.
_CLOSERS = "”’」』）)\\]\"'"
_BOUNDARY = re.compile(
    rf"[。！？…]+[。！？!?…．.]*[{_CLOSERS}]*\s*"
    rf"|[.!?](?<![.!?]{{2}})[.!?]*+[{_CLOSERS}]*+(?:\s++|\Z)"
    r"|\n\s*"
    r"|[^\S\n](?<![^\S\n]{2})[^\S\n]*+\n\s*"
)
_WORD = re.compile(r"[^\W\d_]")  # a letter of any script: segments without one are kept verbatim
_SPACES = re.compile(r"\s+")


def split_sentences(text: str) -> tuple[str, ...]:
    """Split into sentences, each keeping its terminators and trailing whitespace (join == text)."""
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if end > start:
            pieces.append(text[start:end])
            start = end
    if start < len(text):
        pieces.append(text[start:])
    return tuple(pieces)


#: Where a piece too long for the model is cut, best first: after a sentence end, after a clause mark, at a space.
_CUTS = ("。！？!?…\n", "，、；：,;:", " \t\u3000")

#: More characters than a SentencePiece token covers (pieces are at most 16 characters by default), so that a
#: piece is looked for in a bounded window.
_CHARS_PER_TOKEN = 32


def split_to_fit(text: str, count: Callable[[str], int], limit: int) -> tuple[str, ...]:
    """Cut ``text`` into pieces of at most ``limit`` tokens by ``count`` (the model's own tokenizer), join == text.

    A model with a learned position table fails on a longer source, and one without gets slow and loses the thread,
    so a sentence that is too long (a comment without punctuation, a run of rare characters that become byte
    tokens) reaches it in pieces. Each piece is the longest prefix that fits, cut back to its last sentence end,
    clause mark or space in its second half where it has one (else at a character). A character that alone
    exceeds ``limit`` becomes a piece of its own (the caller chooses ``limit`` above any one character's tokens).
    """
    pieces: list[str] = []
    reach = _CHARS_PER_TOKEN * limit
    while text and (len(text) > reach or count(text) > limit):
        fit = _longest_fit(text, count, limit)
        cut = _nice_cut(text[:fit])
        if cut < fit and count(text[:cut]) > limit:  # a shorter prefix may tokenise longer: keep the one checked
            cut = fit
        pieces.append(text[:cut])
        text = text[cut:]
    if text:
        pieces.append(text)
    return tuple(pieces)


def _longest_fit(text: str, count: Callable[[str], int], limit: int) -> int:
    """The longest prefix length (>= 1) whose tokens fit, by bisection. It looks at most _CHARS_PER_TOKEN
    characters per token ahead, so each piece costs a few encodings of its own length, whatever follows it."""
    low, high = 1, min(len(text), _CHARS_PER_TOKEN * limit)
    while low < high:
        mid = (low + high + 1) // 2
        if count(text[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return low


def _nice_cut(window: str) -> int:
    """Where to end a piece inside ``window``: after its last cut character of the best kind in its second half."""
    half = len(window) // 2
    for kind in _CUTS:
        best = max(window.rfind(ch) for ch in kind)
        if best >= half:
            return best + 1
    return len(window)


def split_edges(text: str) -> tuple[str, str, str]:
    """``(leading whitespace, core, trailing whitespace)``: whitespace stays outside the model."""
    core = text.strip()
    if not core:
        return text, "", ""
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return lead, core, trail


def has_words(text: str) -> bool:
    """True when the text has a letter of some script; digits and punctuation alone are not translated."""
    return _WORD.search(text) is not None


def normalize_segment(text: str) -> str:
    """The form sent to the model and hashed for the cache: NFC, whitespace runs collapsed, stripped."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


# --- degenerate outputs ------------------------------------------------------------------------------
# Argos/OPUS models sometimes loop: "(掌声) (掌声) (掌声) ..." or one word fifty times. A loop is a unit
# of up to _MAX_UNIT tokens repeated back to back more often than the source itself repeats anything.
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]|[^\W_]+|[^\w\s]|_")
_MAX_UNIT = 8
_MIN_LOOP = 4  # a unit may appear this many times minus one in a row before it counts as a loop
_LENGTH_FACTOR = 6  # output characters per source character beyond which a translation is suspicious
_LENGTH_SLACK = 40

REPETITION_GUARDED = Flag.REPETITION_GUARDED
LENGTH_ANOMALY = Flag.LENGTH_ANOMALY


@dataclass(frozen=True)
class GuardResult:
    """A model output after the loop guard, with the flags that say what was wrong with it."""

    text: str
    flags: tuple[str, ...] = ()


def _max_repeat(tokens: list[str]) -> int:
    """The longest back-to-back repetition count of any unit of up to _MAX_UNIT tokens."""
    best = 1
    i = 0
    while i < len(tokens):
        step = 1
        for n in range(1, _MAX_UNIT + 1):
            reps = _repeats(tokens, i, n)
            best = max(best, reps)
            step = max(step, (reps - 1) * n)  # skip the run: linear time even on "aaaa...a"
        i += step
    return best


def _repeats(tokens: list[str], i: int, n: int) -> int:
    unit = tokens[i : i + n]
    if len(unit) < n:
        return 0
    reps = 1
    while tokens[i + reps * n : i + (reps + 1) * n] == unit:
        reps += 1
    return reps


def guard_output(source: str, output: str) -> GuardResult:
    """Collapse repetition loops that the source does not have, and flag outputs far longer than their source.

    A loop repeats its unit more than ``_MIN_LOOP - 1`` times, so each of its tokens occurs at least _MIN_LOOP
    times: an output where no token does has no loop, and the scan (and the source's) is skipped, with the same
    result (most outputs; a property test compares both paths)."""
    tokens = _TOKEN.findall(output)
    if not tokens or max(Counter(tokens).values()) < _MIN_LOOP:
        return _length_checked(source, output, [])
    return _guard_scan(source, output)


def _guard_scan(source: str, output: str) -> GuardResult:
    """The loop scan of guard_output, for outputs where some token occurs _MIN_LOOP times or more."""
    matches = list(_TOKEN.finditer(output))
    tokens = [m.group() for m in matches]
    source_repeat = _max_repeat(_TOKEN.findall(source))
    allowed = max(_MIN_LOOP - 1, source_repeat)
    keep_reps = max(1, source_repeat)
    parts: list[str] = []
    flags: list[str] = []
    pos = 0  # character offset in output up to which parts[] holds the result
    i = 0
    while i < len(tokens):
        for n in range(1, _MAX_UNIT + 1):
            reps = _repeats(tokens, i, n)
            if reps > allowed:
                keep_end = matches[i + keep_reps * n - 1].end()
                loop_end = matches[i + reps * n - 1].end()
                parts.append(output[pos:keep_end])
                pos = loop_end
                i += reps * n
                if REPETITION_GUARDED not in flags:
                    flags.append(REPETITION_GUARDED)
                break
        else:
            i += 1
    parts.append(output[pos:])
    return _length_checked(source, "".join(parts), flags)


def _length_checked(source: str, text: str, flags: list[str]) -> GuardResult:
    if (source.strip() and not text.strip()) or len(text) > _LENGTH_FACTOR * len(source) + _LENGTH_SLACK:
        flags.append(LENGTH_ANOMALY)
    return GuardResult(text=text, flags=tuple(flags))
