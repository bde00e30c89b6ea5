"""Translator end to end through the real CTranslate2 engine with the tiny fixture packages.

The tiny models emit gibberish, so these tests check what the product guarantees whatever a model
emits: statuses, routing, protected spans, glossary targets, caching (counted through stats()),
error handling and thread/process safety.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import warnings

import pytest
from helpers import run_in_threads

import xhs_translate
from xhs_translate._assembly import join_pieces
from xhs_translate.cache import CacheWarning
from xhs_translate.errors import FieldCollisionError, InputError, ModelNotInstalledError
from xhs_translate.models.install import install_package
from xhs_translate.translator import Translation, Translator

THREAD = [
    {
        "comment_id": "1",
        "content": "家人们，这个太好吃了[笑哭R]！yyds @小红薯 你好",
        "parent_comment_id": 0,
        "note_id": "n1",
        "create_time": 1736900000000,
        "like_count": "12",
        "user_id": "u1",
        "nickname": "小明",
        "avatar": "https://example.com/a.jpg",
        "ip_location": "上海",
        "at_users": [{"user_id": "u9", "nickname": "小红薯"}],
    },
    {
        "comment_id": "2",
        "content": "omg so cute 😍 I love it. Where can I buy it?",
        "parent_comment_id": "1",
        "creator_hash": "abc",
        "nickname": "R***",
        "sub_comments": [
            {"comment_id": "3", "content": "這個東西很好。", "replies": [{"comment_id": "4", "content": "[doge]"}]}
        ],
    },
    {"comment_id": "5", "content": None},
    {"comment_id": "6", "content": "こんにちは、元気ですか"},
    {"comment_id": "7", "content": "哈哈哈哈\n\nso true"},
    {"comment_id": "8"},
]


def flat(comments):
    for c in comments:
        yield c
        for key in ("sub_comments", "replies"):
            yield from flat(c.get(key, []))


@pytest.fixture()
def translator(models_dir, tmp_path):
    return Translator(models_dir=models_dir, cache=tmp_path / "cache.sqlite3")


def test_statuses_and_fields_of_a_mixed_thread(translator):
    before = copy.deepcopy(THREAD)
    out = translator.translate_thread(iter(THREAD))
    assert before == THREAD
    by_id = {c["comment_id"]: c for c in flat(out)}
    assert [c["comment_id"] for c in flat(out)] == ["1", "2", "3", "4", "5", "6", "7", "8"]
    for original in flat(THREAD):
        new = by_id[original["comment_id"]]
        assert {k: new[k] for k in original if k not in ("sub_comments", "replies")} == {
            k: v for k, v in original.items() if k not in ("sub_comments", "replies")
        }
        assert {"source_lang", "target_lang", "translation", "translation_status", "translation_flags"} <= set(new)
    status = {k: c["translation_status"] for k, c in by_id.items()}
    assert status == {
        "1": "translated",
        "2": "translated",
        "3": "translated",
        "4": "no_text",
        "5": "no_text",
        "6": "unsupported_language",
        "7": "translated",
        "8": "no_text",
    }
    c1 = by_id["1"]
    assert (c1["source_lang"], c1["target_lang"]) == ("zh", "en")
    assert "glossary_applied" in c1["translation_flags"]
    assert c1["translation"].startswith("fam ")  # 家人们 -> fam, by construction
    for piece in ("[笑哭R]", "GOAT", "@小红薯"):
        assert piece in c1["translation"]
    assert c1["translation"].index("[笑哭R]") < c1["translation"].index("GOAT") < c1["translation"].index("@小红薯")
    assert (by_id["2"]["source_lang"], by_id["2"]["target_lang"]) == ("en", "zh")
    assert "😍" in by_id["2"]["translation"]
    assert "traditional_converted" in by_id["3"]["translation_flags"]
    assert by_id["7"]["translation"].endswith("\n\nso true")  # the English line stays in auto (zh -> en) mode
    assert by_id["6"]["translation"] is None and by_id["4"]["translation"] is None
    stats = translator.stats()
    assert stats["comments"] == 8
    assert stats["segments_translated"] > 0 and stats["model_batches"] > 0
    assert stats["statuses"]["no_text"] == 3


def test_target_en_keeps_english_and_translates_chinese_sentences(translator):
    out = translator.translate_many(["I love it. 这个太好吃了！", "so cute", "好可爱"], target="en")
    mixed, english, chinese = out
    assert mixed.status == "translated" and mixed.translation.startswith("I love it. ")
    assert english.status == "same_language" and english.translation is None
    assert chinese.status == "translated" and chinese.target_lang == "en"
    zh = translator.translate_many(["好可爱", "so cute"], target="zh")
    assert [t.status for t in zh] == ["same_language", "translated"]


def test_translate_returns_a_frozen_translation(translator):
    result = translator.translate("yyds", target="en")
    assert isinstance(result, Translation)
    assert result.translation == "GOAT" and result.status == "translated" and result.flags == ("glossary_applied",)
    with pytest.raises(AttributeError):
        result.status = "x"  # type: ignore[misc]
    # forced source: no zh->en glossary
    assert translator.translate("yyds", source="en", target="zh").status == "translated"
    assert translator.stats()["segments_translated"] == 1


def test_each_mixed_comment_gets_its_own_sentence_detections(models_dir):
    # Mixed comments at positions 5 and 8: a set of those indices iterates 8 before 5, which once handed each
    # comment the other's sentence detections.
    texts = ["好可爱"] * 10
    texts[5] = "I love this city. 我爱这个城市。"
    texts[8] = "我爱这个城市。I love this city."
    out = Translator(models_dir=models_dir, cache=False).translate_many(texts, target="en")
    assert out[5].translation.startswith("I love this city. ") and not out[5].translation.endswith("我爱这个城市。")
    assert out[8].translation.endswith("I love this city.") and not out[8].translation.startswith("我爱这个城市")


def test_builtin_glossary_can_be_turned_off_and_custom_glossary_applies(models_dir):
    off = Translator(models_dir=models_dir, cache=False, builtin_glossary=False)
    assert "GOAT" not in (off.translate("yyds真的", target="en").translation or "")
    custom = Translator(models_dir=models_dir, cache=False, glossary={"出片": "photogenic"})
    result = custom.translate("这里太出片了，yyds", target="en")
    assert "photogenic" in result.translation and "GOAT" in result.translation


def test_second_run_translates_nothing_and_gives_identical_output(translator):
    first = translator.translate_thread(THREAD)
    done = translator.stats()["segments_translated"]
    second = translator.translate_thread(THREAD)
    assert translator.stats()["segments_translated"] == done
    assert translator.stats()["cache_hits"] > 0
    assert translator.stats()["comment_hits"] == sum(isinstance(c.get("content"), str) for c in flat(THREAD))
    assert second == first  # by default the output never depends on the cache's state
    assert json.dumps(second, ensure_ascii=False) == json.dumps(first, ensure_ascii=False)
    assert second[0] is not first[0] and second[0]["translation_flags"] is not first[0]["translation_flags"]


def test_a_new_translator_on_the_same_cache_gives_identical_output(models_dir, tmp_path):
    first = Translator(models_dir=models_dir, cache=tmp_path / "c.sqlite3").translate_thread(THREAD)
    again = Translator(models_dir=models_dir, cache=tmp_path / "c.sqlite3")
    assert again.translate_thread(THREAD) == first
    # every str comment is served whole from the cache's comments table: no splitting, detection or decoding
    assert again.stats()["segments_translated"] == 0 and again.stats()["unique_segments"] == 0
    assert again.stats()["comment_hits"] == sum(isinstance(c.get("content"), str) for c in flat(THREAD))


def test_mark_cached_reports_comments_served_wholly_from_the_cache(models_dir, tmp_path):
    translator = Translator(models_dir=models_dir, cache=tmp_path / "c.sqlite3", mark_cached=True)
    first = translator.translate_thread(THREAD)
    assert "cached" not in {c["translation_status"] for c in flat(first)}
    second = translator.translate_thread(THREAD)
    reopened = Translator(models_dir=models_dir, cache=tmp_path / "c.sqlite3", mark_cached=True)
    from_disk = reopened.translate_thread(THREAD)
    skip = {"translation_status", "sub_comments", "replies"}
    strip = lambda cs: [{k: v for k, v in c.items() if k not in skip} for c in flat(cs)]  # noqa: E731
    assert strip(first) == strip(second) == strip(from_disk)
    assert [c["translation_status"] for c in flat(second)] == [c["translation_status"] for c in flat(from_disk)]
    assert {c["translation_status"] for c in flat(second)} >= {"cached"}
    assert "translated" not in {c["translation_status"] for c in flat(second) if c["comment_id"] != "1"}
    # Comment 1 is cached too: its model pieces came from the cache (its glossary pieces never need the model).
    assert next(c["translation_status"] for c in flat(second)) == "cached"


def test_without_cache_everything_is_translated_again(models_dir):
    translator = Translator(models_dir=models_dir, cache=False)
    translator.translate_thread(THREAD)
    first = translator.stats()["segments_translated"]
    translator.translate_thread(THREAD)
    assert translator.stats()["segments_translated"] == 2 * first
    assert translator.stats()["cache_hits"] == translator.stats()["cache_misses"] == 0
    assert translator.signature.cache is None and "cache:off" in str(translator.signature)


def test_duplicates_are_translated_once(models_dir):
    translator = Translator(models_dir=models_dir, cache=False)
    out = translator.translate_many(["好可爱！", "好可爱！", "  好可爱！ "], target="en")
    assert translator.stats()["segments_translated"] == 1
    assert out[0].translation == out[1].translation
    assert out[2].translation == f"  {out[0].translation} "  # edge whitespace kept outside the model


SECOND_PROCESS = """
import json, sys
from xhs_translate.translator import Translator
t = Translator(models_dir=sys.argv[1], cache=sys.argv[2])
out = t.translate_thread(json.loads(sys.argv[3]))
print(json.dumps({"stats": t.stats(), "out": out}, ensure_ascii=False))
"""


def run_process(models_dir, cache, comments):
    return subprocess.Popen(
        [sys.executable, "-W", "error::UserWarning", "-c", SECOND_PROCESS, str(models_dir), str(cache),
         json.dumps(comments)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_process_with_the_same_cache_translates_nothing(models_dir, tmp_path):
    cache = tmp_path / "shared.sqlite3"
    first = Translator(models_dir=models_dir, cache=cache).translate_thread(THREAD)
    proc = run_process(models_dir, cache, THREAD)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    result = json.loads(stdout)
    assert result["stats"]["segments_translated"] == 0
    assert result["stats"]["cache_hits"] > 0
    assert [c["translation"] for c in flat(result["out"])] == [c["translation"] for c in flat(first)]


def test_two_processes_writing_the_cache_at_once_both_succeed(models_dir, tmp_path):
    cache = tmp_path / "shared.sqlite3"
    threads = [
        [{"comment_id": f"{n}-{i}", "content": f"第{n}个进程的第{i}条评论"} for i in range(40)] for n in range(2)
    ]
    procs = [run_process(models_dir, cache, comments) for comments in threads]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    for stdout, _ in results:
        assert json.loads(stdout)["stats"]["segments_translated"] == 40
    again = Translator(models_dir=models_dir, cache=cache)
    again.translate_thread(threads[0] + threads[1])
    assert again.stats()["segments_translated"] == 0


def test_model_version_change_never_serves_a_stale_entry(models_dir, tmp_path):
    cache = tmp_path / "c.sqlite3"
    Translator(models_dir=models_dir, cache=cache).translate_many(["好可爱"], target="en")
    newer = tmp_path / "models"
    for package in models_dir.iterdir():
        shutil.copytree(package, newer / package.name)
        meta_path = newer / package.name / "metadata.json"
        meta = json.loads(meta_path.read_text())
        meta["package_version"] = "9.9"
        meta_path.write_text(json.dumps(meta))
    upgraded = Translator(models_dir=newer, cache=cache)
    assert upgraded.translate("好可爱", target="en").status == "translated"
    assert upgraded.stats()["segments_translated"] == 1 and upgraded.stats()["cache_hits"] == 0
    assert "argos:translate-zh_en@9.9" in upgraded.signature.models


def test_corrupt_cache_file_warns_once_and_still_translates(models_dir, tmp_path):
    cache = tmp_path / "c.sqlite3"
    cache.write_bytes(b"garbage" * 1000)
    translator = Translator(models_dir=models_dir, cache=cache)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = translator.translate_thread(THREAD)
        translator.translate_thread(THREAD)
    assert [w.category for w in caught] == [CacheWarning]
    assert out[0]["translation_status"] == "translated"


def test_missing_model_raises_with_install_command_or_marks_failed(tiny_archives, tmp_path):
    only_zh_en = tmp_path / "models"
    install_package(tiny_archives[("zh", "en")], models_dir=only_zh_en)
    comments = [{"comment_id": "a", "content": "好可爱"}, {"comment_id": "b", "content": "so cute"}]
    with pytest.raises(ModelNotInstalledError, match="xhs-translate models install en zh"):
        Translator(models_dir=only_zh_en, cache=False).translate_thread(comments)
    marked = Translator(models_dir=only_zh_en, cache=False, errors="mark").translate_thread(comments)
    assert [c["translation_status"] for c in marked] == ["translated", "failed"]
    assert marked[1]["translation"] is None


def test_non_str_content_raises_naming_the_comment_or_marks_failed(models_dir):
    comments = [{"comment_id": "ok", "content": "好可爱"}, {"comment_id": "bad-42", "content": ["not", "text"]}]
    with pytest.raises(InputError, match="bad-42") as info:
        Translator(models_dir=models_dir, cache=False).translate_thread(comments)
    assert info.value.comment_id == "bad-42"
    out = Translator(models_dir=models_dir, cache=False, errors="mark").translate_thread(comments)
    assert [c["translation_status"] for c in out] == ["translated", "failed"]
    with pytest.raises(InputError):
        Translator(models_dir=models_dir, cache=False, errors="mark").translate_thread([{"content": "x"}, "not a dict"])


def test_a_field_that_would_be_added_is_an_error_and_a_prefix_names_the_added_fields_apart(models_dir):
    thread = [{"comment_id": "top", "content": "好可爱", "sub_comments": [
        {"comment_id": "reply-7", "content": "so cute", "translation": "mine", "source_lang": "en-US"}]}]
    before = copy.deepcopy(thread)
    translator = Translator(models_dir=models_dir, cache=False)
    with pytest.raises(FieldCollisionError, match="reply-7") as info:
        translator.translate_thread(thread)
    assert info.value.fields == ("source_lang", "translation") and info.value.comment_id == "reply-7"
    assert isinstance(info.value, InputError) and "field_prefix" in str(info.value)
    assert translator.stats()["segments"] == 0  # refused before any work

    prefixed = Translator(models_dir=models_dir, cache=False, field_prefix="xhs_").translate_thread(thread)
    assert thread == before
    reply = prefixed[0]["sub_comments"][0]
    assert {k: reply[k] for k in before[0]["sub_comments"][0]} == before[0]["sub_comments"][0]  # originals untouched
    assert list(reply)[len(before[0]["sub_comments"][0]):] == [
        "xhs_source_lang", "xhs_target_lang", "xhs_translation", "xhs_translation_status", "xhs_translation_flags",
        "xhs_translation_confidence"]
    assert reply["xhs_translation_status"] == "translated" and reply["xhs_target_lang"] == "zh"
    assert prefixed[0]["xhs_translation_status"] == "translated" and "translation" not in prefixed[0]

    with pytest.raises(FieldCollisionError, match="xhs_translation"):  # the prefixed names are checked too
        Translator(models_dir=models_dir, cache=False, field_prefix="xhs_").translate_thread(prefixed)
    shorthand = xhs_translate.translate_thread(thread, models_dir=models_dir, cache=False, field_prefix="x_")
    assert shorthand[0]["x_translation"]


def test_generic_dicts_with_custom_fields(models_dir):
    translator = Translator(models_dir=models_dir, cache=False, id_field="id", text_field="body",
                            parent_field="reply_to")
    out = translator.translate_thread([{"id": 1, "body": "好可爱", "reply_to": None}])
    assert out[0]["translation_status"] == "translated" and out[0]["body"] == "好可爱"


def test_zh_variant_hant_converts_english_to_traditional(models_dir):
    hans = Translator(models_dir=models_dir, cache=False).translate("I love it so much", target="zh")
    hant = Translator(models_dir=models_dir, cache=False, zh_variant="Hant").translate("I love it so much", target="zh")
    import opencc

    assert hant.translation == opencc.OpenCC("s2t").convert(hans.translation)


def test_bad_options_raise_input_error(models_dir):
    with pytest.raises(InputError):
        Translator(models_dir=models_dir, cache=False, errors="ignore")
    with pytest.raises(InputError):
        Translator(models_dir=models_dir, cache=False, zh_variant="Hanz")
    with pytest.raises(InputError):
        Translator(models_dir=models_dir, cache=False).translate_many("a str")


def test_threads_sharing_a_translator(models_dir, tmp_path):
    texts = [[f"线程{n}的评论{i}。so cute {i}" for i in range(15)] for n in range(4)]
    expected = [Translator(models_dir=models_dir, cache=False).translate_many(t, target="en") for t in texts]
    shared = Translator(models_dir=models_dir, cache=tmp_path / "c.sqlite3")
    results = run_in_threads(lambda n: shared.translate_many(texts[n], target="en"), 4)
    for n in range(4):
        assert [r.translation for r in results[n]] == [r.translation for r in expected[n]]
    assert shared.stats()["comments"] == 60
    assert shared.cache.enabled  # no thread hit a "database is locked" that turned the cache off


def test_module_level_translate_thread_uses_a_default_translator(models_dir, tmp_path, monkeypatch):
    import xhs_translate.translator as module

    monkeypatch.setenv("XHS_TRANSLATE_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("XHS_TRANSLATE_CACHE", str(tmp_path / "default.sqlite3"))
    monkeypatch.setattr(module, "_DEFAULT", None)
    out = xhs_translate.translate_thread([{"comment_id": "1", "content": "好可爱"}])
    assert out[0]["translation_status"] == "translated"
    assert module.default_translator() is module.default_translator()
    assert module.default_translator().cache.description == str(tmp_path / "default.sqlite3")
    one_off = xhs_translate.translate_thread([{"comment_id": "1", "content": "好可爱"}], target="zh", cache=False)
    assert one_off[0]["translation_status"] == "same_language"


def test_join_pieces_spaces_english_next_to_translated_text():
    assert join_pieces([("[笑哭R]", False), ("So funny", True), ("！", False)], spaced=True) == "[笑哭R] So funny！"
    assert join_pieces([("fam", True), ("，", False), ("ok", True)], spaced=True) == "fam， ok"
    assert join_pieces([("好", True), ("[doge]", False)], spaced=False) == "好[doge]"
    assert join_pieces([("a ", True), ("b", True)], spaced=True) == "a b"


def test_the_comment_memo_is_bounded_and_follows_settings(models_dir, tmp_path):
    from xhs_translate.models.engine import DecodeOptions

    translator = Translator(models_dir=models_dir, cache=tmp_path / "c.sqlite3", memo_size=2)
    texts = ["好可爱！", "求链接", "今天天气真好"]
    first = translator.translate_many(texts, target="en")
    decoded = translator.stats()["segments_translated"]
    assert decoded > 0
    assert translator.translate_many(texts[1:], target="en") == first[1:]
    assert translator.stats()["comment_hits"] == 2
    assert translator.translate_many(texts[:1], target="en") == first[:1]  # evicted from memory: read from the cache
    assert translator.stats()["comment_hits"] == 3 and translator.stats()["segments_translated"] == decoded
    with pytest.raises(AttributeError):
        translator.config.decode_options = DecodeOptions(beam_size=1)  # settings are fixed: a new Translator instead
    other = Translator(translator.config.replace(decode_options=DecodeOptions(beam_size=1)),
                       cache=tmp_path / "c.sqlite3")
    other.translate_many(texts[:1], target="en")  # new options: new cache keys
    assert other.stats()["comment_hits"] == 0 and other.stats()["segments_translated"] > 0


def test_segment_cache_serves_guarded_text_and_flags_as_the_model_gave_them(models_dir, tmp_path):
    texts = [c["content"] for c in flat(THREAD) if isinstance(c.get("content"), str)] + ["哈哈" * 40, "very " * 30]
    fresh = Translator(models_dir=models_dir, cache=False).translate_many(texts, target="auto")
    Translator(models_dir=models_dir, cache=tmp_path / "c.sqlite3").translate_many(texts, target="auto")
    no_memo = Translator(models_dir=models_dir, cache=tmp_path / "c.sqlite3", memo_size=0)
    assert no_memo.translate_many(texts, target="auto") == fresh
    assert no_memo.stats()["segments_translated"] == 0 and no_memo.stats()["cache_hits"] > 0


def test_the_compute_type_is_part_of_the_cache_key(models_dir, tmp_path):
    texts = ["今天天气很好", "这个口红颜色绝了", "so cute omg"]
    cache = tmp_path / "c.sqlite3"
    Translator(models_dir=models_dir, cache=cache).translate_many(texts)  # int8 fills the cache
    exact = Translator(models_dir=models_dir, cache=cache, compute_type="float32")
    got = exact.translate_many(texts)
    assert exact.stats()["cache_hits"] == 0 and exact.signature.compute_type == "float32"
    fresh = Translator(models_dir=models_dir, cache=False, compute_type="float32").translate_many(texts)
    assert [r.translation for r in got] == [r.translation for r in fresh]
    auto = Translator(models_dir=models_dir, cache=False)
    assert auto.signature.compute_type == "auto"  # resolved only when first needed (it imports ctranslate2)
    auto.translate_many(texts)
    assert auto.signature.compute_type == "int8"


def test_repeated_comments_get_their_own_field_values(models_dir, tmp_path):
    translator = Translator(models_dir=models_dir, cache=tmp_path / "c.sqlite3")
    comments = [{"comment_id": i, "content": "好可爱 yyds", "tags": ["a"]} for i in range(3)]
    translator.translate_thread(comments)
    out = translator.translate_thread(comments)  # warm: served by the per-comment memo
    out[0]["translation_flags"].append("edited")
    out[0]["tags"].append("edited")
    assert out[1]["translation_flags"] == out[2]["translation_flags"] and "edited" not in out[1]["translation_flags"]
    assert out[1]["tags"] == ["a"] and comments[0]["tags"] == ["a"]


def test_the_same_dict_twice_in_a_thread_gives_two_independent_records(models_dir):
    comment = {"comment_id": "1", "content": "好可爱 yyds"}
    out = Translator(models_dir=models_dir, cache=False).translate_thread([comment, comment])
    assert out[0] == out[1] and out[0] is not out[1]
    assert out[0]["translation_flags"] is not out[1]["translation_flags"]
    out[0]["translation_flags"].append("edited")
    assert "edited" not in out[1]["translation_flags"]


def test_a_collision_suggests_a_prefix_that_is_free(models_dir):
    translator = Translator(models_dir=models_dir, cache=False, field_prefix="xhs_")
    with pytest.raises(FieldCollisionError, match=r"field_prefix='xhs2_' \(CLI: --field-prefix xhs2_\)"):
        translator.translate_thread([{"comment_id": "1", "content": "hi", "xhs_translation": "mine"}])
