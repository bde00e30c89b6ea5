"""Issue 21 §1-§2 end to end: RedNote's hashtags and topics are content, bilingual posts keep their own English,
styled letters are read for detection and never rewritten in the output.

The tiny fixture models emit gibberish, so these tests check what is guaranteed whatever a model emits: which parts
reach a model, which come back verbatim, statuses and markers. RedTrans-Bench (arXiv 2504.07901), the platform's own
benchmark, translates hashtags the same way: ``#哈尔滨[话题]#`` -> ``#Harbin[Topic]#`` and ``#我们的声音！`` ->
``#Our voice!`` (its markers differ only in that it translates the word 话题 too; we keep every marker verbatim).
"""

from __future__ import annotations

import json

import pytest
from helpers import cli, read_output, write_jsonl
from hypothesis import given, settings
from hypothesis import strategies as st

from xhs_translate._planning import Marker, Sentence, split_languages, split_text
from xhs_translate.config import TranslatorConfig
from xhs_translate.errors import InputError
from xhs_translate.translator import Translator

ISSUE_HASHTAGS = ["#我们的声音！", "#超级棒", "#碘喷雾？", "#小众文案[话题]# #好听的英文名女生[话题]# …"]


@pytest.fixture(scope="module")
def translators(models_dir):
    def make(**options):
        return Translator(models_dir=models_dir, cache=False, **options)

    return make


# --- §1 hashtags ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, parts", [
    ("#小众文案[话题]#", [Marker("#"), "", Sentence("小众文案", hashtag=True), "", Marker("[话题]#")]),
    ("#我们的声音！", [Marker("#"), "", Sentence("我们的声音", hashtag=True), "", "！"]),
    ("#tiktokrefugee#", [Marker("#"), "", Sentence("tiktokrefugee", hashtag=True), "", Marker("#")]),
    ("#Autumn Outfits[话题]#", [Marker("#"), "", Sentence("Autumn Outfits", hashtag=True), "", Marker("[话题]#")]),
])
def test_a_hashtag_is_its_markers_around_its_words(text, parts):
    assert split_text(text) == parts


def test_keep_leaves_hashtags_protected_and_numbers_are_no_words():
    kinds = [type(p).__name__ for p in split_text("#小众文案[话题]# 好", hashtags="keep")]
    assert kinds == ["Protected", "str", "Sentence", "str"]
    assert [type(p).__name__ for p in split_text("#1 #2025")] == ["Protected", "str", "Protected"]


@pytest.mark.parametrize("text", [*ISSUE_HASHTAGS, "#哈尔滨[话题]# #秋冬穿搭[话题]#"])
def test_hashtag_only_texts_are_translated_with_their_markers(translators, text):
    """Before issue 21 each of these was ``no_text``: never translated."""
    for target in ("auto", "en"):
        result = translators(target=target).translate(text)
        assert (result.status, result.source_lang, result.target_lang) == ("translated", "zh", "en")
        out = result.translation
        assert out.startswith("#") and not out[1].isspace()  # the words glued to their marker: still a hashtag
        assert out.count("[话题]#") == text.count("[话题]#") and out.count("#") >= text.count("#")
        assert "超级棒" not in out and "小众文案" not in out and "我们的声音" not in out


@pytest.mark.parametrize("text", ISSUE_HASHTAGS)
def test_hashtags_keep_option(translators, text):
    result = translators(hashtags="keep").translate(text)
    assert (result.status, result.translation) == ("no_text", None)
    mixed = translators(hashtags="keep", target="en").translate("今天好开心 " + text)
    assert mixed.status == "translated" and text in mixed.translation


def test_a_hashtag_in_the_target_language_stays_as_it_is(translators):
    result = translators(target="en").translate("好看 #tiktokrefugee #美国人[话题]#")
    assert result.status == "translated"
    assert "#tiktokrefugee" in result.translation and "美国人" not in result.translation


def test_the_hashtags_option_is_checked_and_part_of_the_cache_key(models_dir, tmp_path):
    with pytest.raises(InputError, match="hashtags"):
        TranslatorConfig(hashtags="drop")
    cache = tmp_path / "cache.sqlite3"
    translated = Translator(models_dir=models_dir, cache=cache).translate("#超级棒")
    kept = Translator(models_dir=models_dir, cache=cache, hashtags="keep").translate("#超级棒")
    assert (translated.status, kept.status) == ("translated", "no_text")  # not the other option's cached result


def test_cli_hashtags_flag(env, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [{"comment_id": "1", "content": "#超级棒"}])
    out = {}
    for mode in ("translate", "keep"):
        result = cli(env, "translate", str(source), "-o", str(tmp_path / f"{mode}.jsonl"), "--hashtags", mode, "-q")
        assert result.returncode == 0, result.stderr
        out[mode] = read_output(tmp_path / f"{mode}.jsonl", "jsonl")[0]
    assert out["translate"]["translation_status"] == "translated" and out["translate"]["translation"].startswith("#")
    assert out["keep"]["translation_status"] == "no_text"
    assert cli(env, "translate", str(source), "--hashtags", "drop").returncode == 2


# --- §2 bilingual posts: the English part stays for an English reader -------------------------------------------------
EGG_POST = ("this is my 3rd try and i still don't know what went wrong 😭 i am running out of egg s - "
            "这是我第三次尝试，但我仍然不知道哪里出了问题😭我的鸡蛋用完了")


def test_a_bilingual_post_keeps_its_english_and_translates_its_chinese(translators):
    result = translators(target="en").translate(EGG_POST)
    assert result.status == "translated"
    english = "this is my 3rd try and i still don't know what went wrong 😭 i am running out of egg s -"
    assert result.translation.startswith(english)  # verbatim: not sent through a model, not translated twice
    assert "鸡蛋" not in result.translation and "第三次" not in result.translation
    body = "今天终于去了那家很有名的咖啡店，环境很好，咖啡也很香。"
    english = "English Translation : Today I finally went to that famous coffee shop, the place is lovely."
    result = translators(target="en").translate(body + "\n" + english)
    assert result.translation.endswith("\n" + english) and "咖啡" not in result.translation


@pytest.mark.parametrize("sentence, pieces", [
    ("i am running out of egg s - 这是我第三次尝试，但我仍然不知道",
     ["i am running out of egg s - ", "这是我第三次尝试，但我仍然不知道"]),
    ("我们今天去吃了一顿火锅 and it was so good 真的太好吃了吧哈哈",
     ["我们今天去吃了一顿火锅 ", "and it was so good ", "真的太好吃了吧哈哈"]),
    ("我们今天去吃了一顿火锅 and it was so good 真好吃", ["我们今天去吃了一顿火锅 ", "and it was so good 真好吃"]),
    # Chinese words quoted in an English sentence stay in it: the English reader wants them as they are
    ("Day 2 here and I already know 3 words: 你好, 谢谢, 哈哈哈",
     ["Day 2 here and I already know 3 words: 你好, 谢谢, 哈哈哈"]),
    ("这个vibe太绝了", ["这个vibe太绝了"]), ("联想ThinkPad X220", ["联想ThinkPad X220"]),
    ("什么是QQ What is QQ?", ["什么是QQ What is QQ?"]),  # 3 Han characters: too short a run to stand alone
    ("我今天去了一个很好玩的地方 it was fun", ["我今天去了一个很好玩的地方 ", "it was fun"]),
    ("我觉得 it is what it is 吧", ["我觉得 it is what it is 吧"]), ("hello world", ["hello world"]),
])
def test_split_languages(sentence, pieces):
    assert split_languages(sentence) == pieces


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["我们今天", "去吃火锅", "and it was", " so good ", "vibe", "，", " - ", "QQ", "😭",
                                 "\n", "真的"]),
                min_size=1, max_size=12).map("".join))
def test_split_languages_loses_nothing(sentence):
    assert "".join(split_languages(sentence)) == sentence
    assert all(split_languages(sentence))


# --- §2 styled letters: for detection only ----------------------------------------------------------------------------
def test_styled_letters_are_detected_but_never_rewritten(translators):
    for text in ("𝙻𝚊𝚝𝚎 𝚜𝚞𝚖𝚖𝚎𝚛", "ＬＡＴＥ ｓｕｍｍｅｒ"):
        same = translators(target="en").translate(text)
        assert (same.status, same.source_lang, same.translation) == ("same_language", "en", None)
        assert translators().translate(text).target_lang == "zh"
    result = translators(target="en").translate("这个𝐯𝐢𝐛𝐞太绝了 𝙻𝚊𝚝𝚎 𝚜𝚞𝚖𝚖𝚎𝚛 😭")
    assert result.status == "translated" and result.translation.endswith("😭")


def test_json_output_keeps_styled_text_as_written(env, tmp_path):
    records = [{"comment_id": "1", "content": "𝙻𝚊𝚝𝚎 𝚜𝚞𝚖𝚖𝚎𝚛"}, {"comment_id": "2", "content": "🅷🅰🆅🅴 🅰 🅽🅸🅲🅴 🅳🅰🆈"}]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    result = cli(env, "translate", str(source), "--to", "en", "-o", str(tmp_path / "out.jsonl"), "-q")
    assert result.returncode == 0, result.stderr
    out = read_output(tmp_path / "out.jsonl", "jsonl")
    assert [r["content"] for r in out] == [r["content"] for r in records]
    assert out[0]["source_lang"] == "en" and json.dumps(out, ensure_ascii=False).count("Late summer") == 0


# --- §1 sticker codes: verbatim by default, their meaning on request -------------------------------------------------
def test_sticker_codes_stay_verbatim_in_translations(translators):
    result = translators(target="en").translate("好失望[失望R]")
    assert result.translation.endswith("[失望R]")


def test_sticker_meanings_for_text_exports():
    from xhs_translate.glossary import sticker_meanings

    assert sticker_meanings("[失望R]") == "[Disappointed]"
    assert sticker_meanings("So funny [笑哭R][笑哭R]!") == "So funny [Laughing to tears][Laughing to tears]!"
    assert sticker_meanings("[doge] [未知R] he said [sic] #美食[话题]#") == "[doge] [未知R] he said [sic] #美食[话题]#"


def test_every_listed_sticker_is_a_sticker_code_with_a_name():
    from xhs_translate.glossary import sticker_names
    from xhs_translate.spans import Span, split_spans

    names = sticker_names()
    assert len(names) >= 40
    for code, meaning in names.items():
        assert split_spans(code) == (Span(code, "emoji_code"),)
        assert meaning.strip() == meaning and meaning.isascii() and "[" not in meaning and "]" not in meaning


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["好", "so", " ", "[失望R]", "[笑哭R]", "[doge]", "[未知R]", "#美食[话题]#", "@小红薯",
                                 "😂"]),
                max_size=10).map("".join))
def test_sticker_meanings_change_only_known_codes(text):
    """Independently of the span scanner: on these pieces, the meaning is a plain replacement of each listed code."""
    from xhs_translate.glossary import sticker_meanings

    expected = text.replace("[失望R]", "[Disappointed]").replace("[笑哭R]", "[Laughing to tears]")
    assert sticker_meanings(text) == expected
