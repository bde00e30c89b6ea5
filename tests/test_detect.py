"""Language detection: a table of tricky comments, accuracy on the shared langid data, invariants."""

from __future__ import annotations

from pathlib import Path

import importlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xhs_translate.errors import InputError
from xhs_translate.detection import Detection, DetectorError, detect, detect_many

detect_module = importlib.import_module("xhs_translate.detection")  # the package re-exports detect()

# (text, lang, script or ..., mixed or ...); ... means "not checked"
CASES = [
    ("哈哈哈", "zh", "Hans", False),
    ("好可爱", "zh", "Hans", False),
    ("乐", "zh", "Hans", False),
    ("绝绝子", "zh", "Hans", False),
    ("宝子们冲鸭", "zh", "Hans", False),
    ("我的天哪这也太好看了吧！！！", "zh", "Hans", False),
    ("笑死 我真的会谢", "zh", "Hans", False),
    ("佢哋喺度食緊飯", "zh", "Hant", False),  # Cantonese in Han counts as zh
    ("臺灣的夜市真的很好吃", "zh", "Hant", False),
    ("這個真的太讚了", "zh", "Hant", False),
    ("我の猫好可爱", "zh", "Hans", False),  # Chinese internet の
    ("omg so cute", "en", None, False),
    ("hello", "en", None, False),
    ("lol", "en", None, False),
    ("ok", "en", None, False),
    ("sick", "en", None, False),
    ("Texas", "en", None, False),
    ("I LOVE THIS SO MUCH", "en", None, False),
    ("thanks", "en", None, False),  # on the English word list: fastText is not asked
    ("awesome", "en", None, False),
    ("gorgeous outfit", "en", None, False),
    ("Don’t", "en", None, False),  # curly apostrophe
    ("gracias", "es", None, False),  # not an English word: fastText decides
    ("merci beaucoup", "fr", None, False),
    ("welcome to rednote from the US", "en", None, False),
    ("tiktok refugee here, hi everyone!", "en", None, False),
    ("这个vibe太绝了", "zh", "Hans", False),
    ("这个outfit好好看啊姐妹", "zh", "Hans", False),
    ("你好呀 from Texas", "zh", "Hans", True),
    ("I really love 火锅 so much", "en", None, False),  # one Chinese word in English: en, like vibe
    ("so happy to be here 大家好呀", "en", None, True),
    ("just landed in Shanghai, 上海好美", "en", None, True),
    ("[笑哭R][笑哭R]", "und", None, False),
    ("[doge]", "und", None, False),
    ("#tiktokrefugee#", "und", None, False),
    ("#美国人[话题]#", "und", None, False),
    ("#美国人[话题]# 欢迎欢迎", "zh", "Hans", False),
    ("@小红薯 你好", "zh", "Hans", False),
    ("@小红薯", "und", None, False),
    ("@Alice hi there", "en", None, False),
    ("yyds", "zh", None, False),
    ("xswl", "zh", None, False),
    ("awsl awsl", "zh", None, False),
    ("hhhhhh", "zh", None, False),
    ("nsdd", "zh", None, False),
    ("yyds 太好吃了", "zh", "Hans", False),
    ("👍👍", "und", None, False),
    ("😂😂😂 [赞R]", "und", None, False),
    ("こんにちは", "ja", None, False),
    ("かわいい！", "ja", None, False),
    ("東京に行きたい", "ja", None, False),  # kanji + kana is never zh
    ("ありがとう中国", "ja", None, False),
    ("안녕하세요", "ko", None, False),
    ("사랑해요 中国", "ko", None, False),
    ("hola amigos, ¿cómo están todos?", "es", None, False),
    ("muchas gracias por todo", "es", None, False),
    ("bonjour tout le monde, ça va?", "fr", None, False),
    ("je ne sais pas pourquoi", "fr", None, False),
    ("Привет, как дела?", "ru", None, False),
    ("123 456", "und", None, False),
    ("2025.01.15", "und", None, False),
    ("https://www.xiaohongshu.com/explore/abc", "und", None, False),
    ("http://xhslink.com/a/x", "und", None, False),
    ("!!!???。。。", "und", None, False),
    ("   \n\t ", "und", None, False),
    ("", "und", None, False),
    ("QAQ", "und", None, False),
]


@pytest.mark.parametrize("text, lang, script, mixed", CASES)
def test_tricky_cases(text, lang, script, mixed):
    found = detect(text)
    assert (found.lang, found.script, found.mixed) == (lang, script, mixed), found
    assert 0.0 <= found.confidence <= 1.0


def test_mixed_shares_and_rule():
    found = detect("你好呀 from Texas")
    assert dict(found.shares) == {"zh": 0.5, "en": 0.5}
    assert detect("这个vibe太绝了").shares == ()
    shares = dict(detect("so happy to be here 大家好呀").shares)
    assert shares["en"] > shares["zh"] and abs(sum(shares.values()) - 1) < 1e-3


def test_detection_is_frozen_and_hashable():
    found = detect("你好呀 from Texas")
    with pytest.raises(AttributeError):
        found.lang = "en"  # type: ignore[misc]
    assert hash(found) == hash(detect("你好呀 from Texas"))


def test_backends():
    assert detect("bonjour tout le monde", backend="fasttext").lang == "fr"
    assert detect("你好呀 from Texas", backend="fasttext").lang == "yue"  # the raw baseline's known failure
    assert detect("這是一個很長的繁體中文句子，用來測試語言偵測。", backend="langdetect") == Detection("zh", detect("這是一個很長的繁體中文句子，用來測試語言偵測。", backend="langdetect").confidence, "Hant")
    assert detect("", backend="langdetect").lang == "und"
    assert detect("\ud800 hello", backend="langdetect") == detect("\ud800 hello", backend="langdetect")
    with pytest.raises(DetectorError):
        detect("hi", backend="nope")
    with pytest.raises(InputError):
        detect(None)  # type: ignore[arg-type]


def test_english_word_list_holds_english_dominant_words_only():
    words = detect_module._load_en_words()
    assert {"the", "thanks", "beautiful", "weather", "don't"} <= words
    # shared with es/fr/de/pt/it/nl, or not English at all: fastText decides those
    assert not words & {"a", "is", "so", "de", "la", "no", "actual", "message", "hola", "merci", "danke"}
    assert all(w == w.lower() and not w.startswith("#") for w in words)


def test_listed_english_skips_fasttext(monkeypatch):
    def no_fasttext(text, k):
        raise AssertionError(f"fastText asked about {text!r}")

    monkeypatch.setattr(detect_module, "_fasttext_predict", no_fasttext)
    assert detect("Thank you for sharing this").lang == "en"
    assert detect("beautiful weather").confidence == 0.99
    with pytest.raises(AssertionError):
        detect("muchas gracias")


@pytest.mark.parametrize("word, slang", [("hhh", True), ("HHHHHH", True), ("hh", False), ("hah", False), ("yyds", True), ("yes", False)])
def test_pinyin_slang(word, slang):
    assert detect_module._is_pinyin_slang(word) is slang


HAN_MIX = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.sampled_from("臺灣這個們說語繁體中国语这说们，。！？ 1234\n😂~…的の가aZé×"),
    ),
    max_size=30,
)


@settings(max_examples=500, deadline=None)
@given(HAN_MIX)
def test_plain_han_shortcut_agrees_with_counting(text):
    """The two-scan shortcut for pure-Han text says what counting every script says."""
    assert detect_module._analyse(text) == detect_module._analyse_scripts(text)


@settings(max_examples=300, deadline=None)
@given(HAN_MIX)
def test_han_script_is_a_majority_of_variant_characters(text):
    trad, simp = detect_module._resource("han_variants", detect_module._load_han_variants)
    expected = "Hant" if len(trad.findall(text)) > len(simp.findall(text)) else "Hans"
    assert detect_module._han_script(text) == expected


# --- accuracy on the shared langid data ---------------------------------------------------------------
def _items(shared_data: Path, lang: str, kind: str) -> list[str]:
    path = shared_data / "langid" / lang / f"{kind}.txt"
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _accuracy(shared_data: Path, langs: tuple[str, ...], kinds: tuple[str, ...]) -> float:
    correct = total = 0
    for lang in langs:
        for kind in kinds:
            texts = _items(shared_data, lang, kind)
            correct += sum(d.lang == lang for d in detect_many(texts))
            total += len(texts)
    return correct / total


def test_zh_en_pairs_and_sentences_at_least_99_5(shared_data):
    assert _accuracy(shared_data, ("zh", "en"), ("word-pairs", "sentences")) >= 0.995


def test_zh_en_single_words_at_least_98(shared_data):
    assert _accuracy(shared_data, ("zh", "en"), ("single-words",)) >= 0.98


def test_zh_never_loses_to_script_confusion(shared_data):
    assert _accuracy(shared_data, ("zh",), ("single-words", "word-pairs", "sentences")) >= 0.995


@pytest.mark.parametrize("lang", ["ja", "ko"])
def test_kana_and_hangul_are_never_zh(shared_data, lang):
    import re

    marker = re.compile(r"[\u3040-\u30fa\u30fc-\u30ff]" if lang == "ja" else r"[\uac00-\ud7af]")
    texts = [t for kind in ("single-words", "word-pairs", "sentences") for t in _items(shared_data, lang, kind)]
    texts = [t for t in texts if marker.search(t)]
    assert texts
    assert [t for t, d in zip(texts, detect_many(texts)) if d.lang == "zh"] == []


# --- properties ----------------------------------------------------------------------------------------
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_never_raises_and_is_deterministic(text):
    first = detect(text)
    assert first == detect(text)
    assert isinstance(first, Detection) and 0.0 <= first.confidence <= 1.0


def test_huge_and_odd_strings():
    for text in ("好" * 1_000_000, "a" * 1_000_000, "\ud800\udfff\x00\x1b", "\u200d\ufe0f", "\n" * 1000):
        found = detect(text)
        assert 0.0 <= found.confidence <= 1.0
    assert detect("好" * 1_000_000).lang == "zh"


NOISE = st.sampled_from(["👍", "😂😂", "👩🏽‍💻", "🇨🇳", "[笑哭R]", "[doge]", "@小红薯", "@Alice", "https://xhslink.com/a/x1", "www.example.com"])
PLAIN = st.one_of(
    st.sampled_from([c[0] for c in CASES]),
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=20),
)


@settings(max_examples=300, deadline=None)
@given(PLAIN, st.lists(NOISE, max_size=3), st.lists(NOISE, max_size=3))
def test_noise_around_text_never_changes_lang(text, before, after):
    noisy = " ".join([*before, text, *after])
    assert detect(noisy).lang == detect(text).lang


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(PLAIN, NOISE), max_size=20))
def test_detect_many_equals_detect_in_a_loop(texts):
    assert detect_many(texts) == [detect(t) for t in texts]
    assert detect_many(texts, backend="fasttext") == [detect(t, backend="fasttext") for t in texts]
