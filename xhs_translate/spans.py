"""Split comment text into translatable runs and protected spans (pure, linear time).

Protected spans (emoji, Xiaohongshu ``[xx]`` sticker codes, hashtags, @mentions, URLs, kaomoji) must
come back verbatim whatever a model emits, and must not confuse language detection, so both the
translator and the detector start here. The invariant ``"".join(s.text for s in split_spans(t)) == t``
holds for every ``str`` (lone surrogates and control characters included). Lone surrogates (legal in
JSON as ``\ud83d``, but not text) are a protected kind of their own, ``invalid``, so no tokenizer,
model or detector ever sees one and they come back exactly where they were.

All patterns are alternations of bounded or unambiguous pieces, so the scan is linear in the input:
no nested quantifier can overlap with itself, and the open-ended pieces (URLs, domains) only start at
a token boundary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .errors import InputError

TEXT = "text"
EMOJI = "emoji"
EMOJI_CODE = "emoji_code"
HASHTAG = "hashtag"
MENTION = "mention"
URL = "url"
KAOMOJI = "kaomoji"
INVALID = "invalid"  # lone surrogate code points (U+D800-U+DFFF)


@dataclass(frozen=True)
class Span:
    """A piece of a text: ``kind`` is ``"text"`` for translatable runs, else a protected kind."""

    text: str
    kind: str = TEXT

    @property
    def protected(self) -> bool:
        return self.kind != TEXT


# --- emoji -----------------------------------------------------------------------------------
# Extended_Pictographic, approximated by ranges (no emoji library needed). BMP symbols that are
# emoji-presented only with VS16 (©, ®, ™, ↔ ...) are included: they carry no language either way.
_PICTO = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a\u231b\u2328\u23cf"
    "\u23e9-\u23f3\u23f8-\u23fa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u27bf"
    "\u2934\u2935\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001f1e5\U0001f200-\U0001faff"
)
_MODIFIER = "\ufe0f\ufe0e\U0001f3fb-\U0001f3ff\u20e3"  # variation selectors, skin tones, keycap
_TAGS = "\U000e0020-\U000e007f"  # subdivision flags (England, Scotland, Wales)
_ONE_EMOJI = (
    rf"(?:[{_PICTO}][{_MODIFIER}]*[{_TAGS}]*(?:\u200d[{_PICTO}][{_MODIFIER}]*)*"
    r"|[\U0001f1e6-\U0001f1ff]{1,2}"  # regional indicator pairs (flags); a lone one too
    r"|[0-9#*]\ufe0f?\u20e3)"  # keycaps 1️⃣ #️⃣
)
_EMOJI = rf"{_ONE_EMOJI}+"

# --- Xiaohongshu sticker codes: [笑哭R] [扯脸H] [吐舌头H] [okR] [doge] [.doge] [话题] -------------------
# The grammar, from counting every bracketed token in real MediaCrawler exports: a short token of CJK,
# Latin letters, digits and "." with no space, usually CJK plus a one-letter Latin suffix (R, H).
# Tokens with a CJK character, or starting with ".", are always codes. A Latin-only token is one too,
# except when it stands between Latin words ("he said [sic] that", "see [docs](https://...)"): there it
# is a bracketed word of the sentence. Digits alone ("[1]", "[2025]") are never codes. The look-arounds see
# letters, not words: a mention or URL beside the token is no word ("@Alice [doge] https://..."), so the
# scanner's _BRACKETED group catches the tokens they refuse and ``_protected`` looks at what is really there.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# One leading "[" for all branches, so that the scan fails at once everywhere else.
_CODE_CJK = (
    rf"(?=[A-Za-z0-9.]{{0,9}}[{_CJK}])[{_CJK}A-Za-z0-9.]{{1,10}}\]"
    rf"|\.(?=[0-9.]{{0,10}}[A-Za-z])[A-Za-z0-9.]{{1,11}}\]"
)
_CODE_LATIN = r"(?=[0-9.]{0,11}[A-Za-z])[A-Za-z0-9.]{1,12}\]"
_AFTER_LATIN_WORD = r"(?<![A-Za-z0-9]\[)(?<![A-Za-z0-9]\s\[)"  # fixed-width look-behinds: not "word[" / "word ["
_BEFORE_LATIN_WORD = r"(?!\s?[A-Za-z0-9(])"  # not "]word" / "] word" / "](" (a Markdown link)
_EMOJI_CODE = rf"\[(?:{_CODE_CJK}|{_AFTER_LATIN_WORD}{_CODE_LATIN}|{_CODE_LATIN}{_BEFORE_LATIN_WORD})"
_BRACKETED = rf"\[{_CODE_LATIN}"  # last in the scanner: what _EMOJI_CODE left, a Latin token between letters
BRACKETED = "bracketed"  # the scanner's group for it; never a span's kind

# --- hashtags: #美国人[话题]#, #tiktokrefugee#, #tiktokrefugee ------------------------------------
_HASHTAG = (
    r"#[^#\n\[\]]{1,60}\[话题\]#"
    r"|#[^\s#\[\]]{1,60}#"
    r"|#\w+"
)

# --- mentions without known nicknames: up to a space or punctuation --------------------------------
_MENTION = r"(?<![A-Za-z0-9._%+-])@[^\s@#\[\]，。！？、；：,.!?:;()（）]{1,30}"

# --- URLs and bare domains --------------------------------------------------------------------------
# Top-level domains that bare domains in comments end with (``vibecafe.ai/hacks``, ``xhslink.com``).
_TLDS = "com|cn|net|org|io|co|me|ly|tv|app|gov|edu|ai|dev|xyz|top|info|link|site|shop|store|hk|tw|jp|uk|us"
_URL_CHARS = r"A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%"
# The look-behinds see ASCII only: a URL glued to a Chinese character (``链接https://...``) starts at its scheme.
_URL = (
    rf"(?<![A-Za-z0-9_.-])(?:https?://|www\.)[{_URL_CHARS}]+"
    rf"|(?<![A-Za-z0-9_.@-])(?:[A-Za-z0-9-]+\.)+(?:{_TLDS})(?![A-Za-z0-9_])(?:/[{_URL_CHARS}]*)?"
)
_URL_TRAILING = ".,!?;:'\")]"

# --- kaomoji ----------------------------------------------------------------------------------------
_KAOMOJI_LITERALS = (
    "(╯°□°）╯︵ ┻━┻", "(╯°□°)╯︵ ┻━┻", "(╯°□°）╯", "(╯°□°)╯", "┻━┻", "¯\\_(ツ)_/¯", "(ﾉ◕ヮ◕)ﾉ*:･ﾟ✧",
    "ヽ(✿ﾟ▽ﾟ)ノ", "(๑•̀ㅂ•́)و✧", "o(╥﹏╥)o", "(｡•́︿•̀｡)", "(*^▽^*)", "(≧▽≦)", "(⊙o⊙)", "(｀・ω・´)",
    "( ˘ω˘ )", "(๑•́ ₃ •̀๑)", "( •̀ ω •́ )✧", "(￣▽￣)", "(ಥ_ಥ)", "ಥ_ಥ", "(T_T)", "(>_<)", "(^_^)",
    "^_^", "^o^", "^^", "T_T", "T^T", "TvT", ">_<", "-_-||", "-_-", "=_=", "o_O", "O_o",
    ":-)", ":-(", ":-D", ":)", ":(", ":D", ":P", ":p", ";)", ":'(", "<3",
)
# Word-like kaomoji only count as whole tokens, so "QAQ" is protected but "QAQx" is not.
_KAOMOJI_WORDS = ("QAQ", "QwQ", "TAT", "OwO", "UwU", "orz", "OTZ", "xD", "XD")
# A bracketed face: (⊙﹏⊙) （＞﹏＜） (｡◕‿◕｡) (｡･ω･｡) (っ´▽`)っ (◍•ᴗ•◍) ( ˘ω˘ ). Counting the parenthesised runs
# without Han or a 3-letter word in the real exports of ../shared/data/dev (12,931 texts: 30 runs) gave the boundary:
# 29 are ordinary parentheses, and each holds a digit, a word or ASCII punctuation alone ("(1)", "（30-4）",
# "(#)", "(?)", "( $15)", "(Li)", "(1280x720)"); one is a face, "(´△｀)", of symbols. So a face's body is 2-16 symbols
# (no letter, digit, Han or kana), and, where it holds a space, a mouth or an arm, at least one non-ASCII character
# (an eye: ´ ･ ｡ • ◍ ▽ ...; so "( a )" and "( $15)" stay text). Faces use a few letters and kana as mouths and arms;
# these come from the faces quoted in issue 21 and Mattermost's kaomoji picker list
# (mattermost-webapp components/emoji_picker/constants/kaomoji.ts): mouths ω ᴗ ᴥ ᵕ ε з Д д ㅂ ヮ ｪ ェ ∀ and arms/cheeks
# っ つ ノ ﾉ ヽ ヾ ゞ ﾟ ゜ ๑ inside the brackets, and an arm after the closing one (っ ノ ﾉ つ ۶ و ✧). An arm before the
# opening one (ヽ(…)ノ) stays text unless the face is a listed literal: an optional first character would cost every
# position of every comment a test.
_FACE_LETTERS = "ωᴗᴥᵕεзДдㅂヮｪェっつノﾉヽヾゞﾟ゜๑"
_FACE_SYMBOL = rf"[^()（）\s\w{_CJK}\u3040-\u309f\u30a0-\u30fa\uff66-\uff9d]"  # no letter, digit, Han, kana
_KAOMOJI_GENERIC = (  # one shared opening, so that most positions fail after a single test
    rf"[(（](?:{_FACE_SYMBOL}{{2,16}}[)）]"  # symbols only, as before: (⊙﹏⊙) (#) (?)
    rf"|(?=[^()（）\n]{{0,15}}[^\x00-\x7f\s])(?:{_FACE_SYMBOL}|[{_FACE_LETTERS} ]){{2,16}}[)）][っつノﾉ۶و✧]?)"
)
def _literal(face: str) -> str:
    """A listed face; one that starts or ends with a letter (T_T, TvT, o_O) only where no letter touches it there."""
    before = "(?<![A-Za-z0-9])" if face[0].isalnum() else ""
    after = "(?![A-Za-z0-9])" if face[-1].isalnum() else ""
    return before + re.escape(face) + after


_KAOMOJI = (
    "|".join(_literal(k) for k in sorted(_KAOMOJI_LITERALS, key=len, reverse=True))
    + "|(?<![A-Za-z0-9])(?:" + "|".join(_KAOMOJI_WORDS) + ")(?![A-Za-z0-9])"
    + "|" + _KAOMOJI_GENERIC
)

# --- lone surrogates: not characters; kept verbatim, out of every model's way ------------------------
_SURROGATES = "\ud800-\udfff"
_INVALID = f"[{_SURROGATES}]+"

_GROUPS = (
    (INVALID, _INVALID),
    (HASHTAG, _HASHTAG),
    (EMOJI_CODE, _EMOJI_CODE),
    (URL, _URL),
    (MENTION, _MENTION),
    (KAOMOJI, _KAOMOJI),
    (EMOJI, _EMOJI),
    (BRACKETED, _BRACKETED),
)


def _prefilter() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Two cheap searches that find every text in which some protected span *could* start.

    Most comments contain none; a single-charset search is several times faster than the full
    alternation, so ``split_spans`` skips the full scan when both come back empty. The first
    pattern holds every non-alphanumeric character a pattern needs; the second the alphanumeric
    cues (URL schemes, domains, word-like kaomoji).
    """
    letter_kaomoji = [k for k in _KAOMOJI_LITERALS if k[0].isalnum()] + list(_KAOMOJI_WORDS)
    symbols = re.compile(rf"[{_SYMBOL_STARTS}\u20e3]")
    letters = re.compile(r"://|www\.|\.[A-Za-z]|" + "|".join(re.escape(k) for k in letter_kaomoji))
    return symbols, letters


# The non-alphanumeric characters a protected span can start with: "#" hashtags, "[" codes, "@" mentions,
# "(" and kaomoji's first symbols, "*" and "#" keycaps, emoji, flags, lone surrogates.
_SYMBOL_STARTS = (
    "".join(re.escape(c) for c in sorted({k[0] for k in _KAOMOJI_LITERALS if not k[0].isalnum()} | set("#[@(（*-")))
    + f"{_PICTO}\U0001f1e6-\U0001f1ff{_SURROGATES}"
)
# ... and digits (keycaps, domains) and the non-ASCII letters kaomoji start with (ಥ_ಥ); ASCII letters: _LETTER_START.
_START = _SYMBOL_STARTS + "0-9" + "".join(
    sorted({re.escape(k[0]) for k in _KAOMOJI_LITERALS + _KAOMOJI_WORDS if k[0].isalnum() and not k[0].isascii()})
)
# Where a group can start with an ASCII letter: at the start of a Latin token (each such group has that look-behind),
# with a letter that starts a URL scheme (http, www) or a listed face (T_T, o_O, QAQ, xD), or a word that a dot follows
# (a bare domain). Everywhere else in an English sentence no group is tried at all.
_LETTER_START = "(?<![A-Za-z0-9])(?:[{}]|[A-Za-z][A-Za-z0-9-]*\\.)".format(
    "".join(sorted({k[0] for k in _KAOMOJI_LITERALS + _KAOMOJI_WORDS if k[0].isascii() and k[0].isalpha()} | set("hw")))
)
_MAY_HAVE_SYMBOL, _MAY_HAVE_LETTER_CUE = _prefilter()
# A sticker code right after a URL: no Latin word on its left, and not a query key (``?a[b]=1``, ``?a[b][c]=1``).
_STICKER_AT = re.compile(rf"\[(?:{_CODE_CJK}|{_CODE_LATIN})(?!(?:\[[^\]\s]{{0,12}}\]){{0,4}}[=&])")
_HASHTAG_AT = re.compile(_HASHTAG)


def _may_have_protected(text: str) -> bool:
    return bool(_MAY_HAVE_SYMBOL.search(text) or _MAY_HAVE_LETTER_CUE.search(text))


def _normalise_mentions(mentions: Sequence[str]) -> tuple[str, ...]:
    names = {m.lstrip("@") for m in mentions if isinstance(m, str)}
    return tuple(sorted((n for n in names if n), key=lambda n: (-len(n), n)))


def _alternation(mentions: tuple[str, ...]) -> str:
    """Every group as one alternation: the known nicknames first, then ``_GROUPS`` in order."""
    parts = []
    if mentions:
        parts.append(f"(?P<known>@(?:{'|'.join(re.escape(m) for m in mentions)}))")
    parts.extend(f"(?P<{kind}>{pattern})" for kind, pattern in _GROUPS)
    return "|".join(parts)


@lru_cache(maxsize=256)
def _pattern(mentions: tuple[str, ...]) -> re.Pattern[str]:
    """The combined scanner; cached per distinct nickname set (an explicit, bounded cache).

    A look-ahead for the characters a span can start with guards the alternation: at every other
    position (most of a Chinese comment) the scan fails after one class test instead of trying each
    group, which makes it about 5x faster. ``_START`` must hold every first character of every group but ASCII
    letters, which ``_LETTER_START`` admits only where a group could start with one (about 4x faster again on English
    text). The one class test comes first, so that a Chinese character fails after it alone.
    """
    return re.compile(f"(?=[{_START}A-Za-z])(?=[^A-Za-z]|{_LETTER_START})(?:{_alternation(mentions)})")


def _protected(text: str, mentions: Sequence[str]) -> Iterator[tuple[int, int, str]]:
    """``(start, end, kind)`` of each protected span of ``text``, in order (``text`` has a candidate)."""
    search = _pattern(_normalise_mentions(mentions) if mentions else ()).search
    position = last_end = 0
    while (match := search(text, position)) is not None:
        start, end = match.span()
        kind = match.lastgroup
        assert kind is not None  # every alternative of the pattern is a named group
        if kind == BRACKETED:
            if _between_words(text, search, start, end, last_end):
                position = start + 1  # a word of the sentence: scan on inside it, as at any other "["
                continue
            kind = EMOJI_CODE
        position = end  # the scan goes on after the match, as finditer would
        if kind == "known":
            kind = MENTION
        elif kind == URL:
            position = end = _url_end(text, start, end)
            while end > start and text[end - 1] in _URL_TRAILING:
                end -= 1
            if text[start:end].count("(") > text[start:end].count(")") and text[end:end + 1] == ")":
                end += 1  # keep the closing paren of wiki-style URLs
        last_end = end
        yield start, end, kind


def _url_end(text: str, start: int, end: int) -> int:
    """Where the URL ``text[start:end]`` really ends: before a ``[`` or ``(`` that no ``]`` or ``)`` of the URL
    closes (the URL pattern stops at the first character no URL holds, such as 笑 or ･, so a sticker code or a
    kaomoji glued to a URL leaves its bracket behind), or before a ``[`` that opens a sticker code
    (``https://xhslink.com/a/xyz[doge]``), or before a ``#`` whose hashtag runs on past it. Brackets are legal in URLs
    (``?a[]=1``, ``/wiki/Foo_(bar)``), but after an unclosed one, in a comment, a sticker code or a face is far
    likelier."""
    cut = end
    for opening, closing in ("[]", "()"):
        last_close = text.rfind(closing, start, end)
        bracket = text.find(opening, start, cut)
        while bracket >= 0:
            if bracket > last_close or (opening == "[" and _STICKER_AT.match(text, bracket)):
                cut = bracket
                break
            bracket = text.find(opening, bracket + 1, cut)
    hash_mark = text.find("#", start, cut)  # a hashtag glued on: "https://x.com/a#美国人[话题]#", not a fragment
    while hash_mark >= 0:
        tag = _HASHTAG_AT.match(text, hash_mark)
        if tag is not None and tag.end() > end:
            return hash_mark
        hash_mark = text.find("#", hash_mark + 1, cut)
    return cut


def _between_words(text: str, search: Any, start: int, end: int, last_end: int) -> bool:
    """Whether the Latin token ``text[start:end]``, which has a letter or digit on both sides (at most one space
    away), has words there rather than the edges of protected spans: the span found before it, or one that
    starts right after it."""
    if last_end == start or (last_end == start - 1 and text[last_end].isspace()):
        return False
    after = end + 1 if text[end:end + 1].isspace() else end
    following = search(text, after)
    return following is None or following.start() != after or following.lastgroup == BRACKETED


def split_spans(text: str, mentions: Sequence[str] = ()) -> tuple[Span, ...]:
    """Split ``text`` into ``Span``s whose texts join back to ``text`` exactly.

    ``mentions`` are the exact nicknames of the comment's ``at_users`` (with or without ``@``);
    they are matched first, longest first, because nicknames may contain spaces and emoji.
    Adjacent emoji form one span; text runs keep their whitespace and are never adjacent.
    """
    if not isinstance(text, str):
        raise InputError(f"split_spans expects str, got {type(text).__name__}")
    if not _may_have_protected(text):
        return (Span(text, TEXT),) if text else ()
    spans: list[Span] = []
    pending_text_start = 0
    for start, end, kind in _protected(text, mentions):
        if start > pending_text_start:
            spans.append(Span(text[pending_text_start:start], TEXT))
        spans.append(Span(text[start:end], kind))
        pending_text_start = end
    if pending_text_start < len(text):
        spans.append(Span(text[pending_text_start:], TEXT))
    return tuple(spans)


TOPIC_MARK = "[话题]#"  # how a RedNote topic ends: #小众文案[话题]#


def hashtag_parts(tag: str) -> tuple[str, str, str]:
    """``(opening marker, words, closing marker)`` of a hashtag span: ``#小众文案[话题]#`` -> ``("#", "小众文案",
    "[话题]#")``, ``#rednote#`` -> ``("#", "rednote", "#")``, ``#超级棒`` -> ``("#", "超级棒", "")``. The markers are
    what makes a hashtag a hashtag, on the page and in exports; the words are content, to translate."""
    if tag.endswith(TOPIC_MARK) and len(tag) > len(TOPIC_MARK) + 1:
        return "#", tag[1:-len(TOPIC_MARK)], TOPIC_MARK
    if tag.endswith("#") and len(tag) > 2:
        return "#", tag[1:-1], "#"
    return "#", tag[1:], ""


def strip_protected(text: str, mentions: Sequence[str] = (), hashtag_words: bool = False) -> str:
    """The linguistic content of ``text``: text runs, with each protected span replaced by a space
    (so ``"hi👍there"`` does not fuse into one word), stripped at both ends. With ``hashtag_words``, a hashtag
    gives its words instead (``#我们的声音！`` -> ``我们的声音！``): a text of hashtags only is in their language."""
    if not mentions and not _may_have_protected(text):
        return text.strip()
    pieces: list[str] = []
    pending_text_start = 0
    for start, end, kind in _protected(text, mentions):
        pieces.append(text[pending_text_start:start])
        pieces.append(f" {hashtag_parts(text[start:end])[1]} " if hashtag_words and kind == HASHTAG else " ")
        pending_text_start = end
    pieces.append(text[pending_text_start:])
    return "".join(pieces).strip()
