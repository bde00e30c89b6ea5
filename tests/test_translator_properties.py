"""Hypothesis properties of translate_thread through the real engine (tiny fixture models).

For any thread (random Unicode, emoji, mentions, codes, empty and huge texts, nesting): the same
comments come back in the same order and nesting with every original field, the caller's objects are
untouched, protected spans appear verbatim and in order in every translation, glossary targets appear,
and the cache gives exactly what the model gives.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xhs_translate.glossary import Glossary
from xhs_translate.spans import hashtag_parts, split_spans
from xhs_translate.translator import Translator

CHINESE = ["这个太好吃了", "好可爱", "今天天气真好", "哈哈哈哈", "我也想去", "這個東西很好", "绝绝子"]
ENGLISH = ["so cute", "I love it", "where can I buy this", "omg", "welcome to RedNote"]
PROTECTED = ["[笑哭R]", "[doge]", "😀", "👍🏻", "👨‍👩‍👧", "🇨🇳", "#美国人[话题]#", "#tiktokrefugee", "https://xhslink.com/a/b1",
             "(＾▽＾)"]
NICKNAMES = ["小红薯", "Nick Name 😀", "Amy"]
PUNCT = ["。", "！", "？", ". ", "! ", "\n", " ", "，", "…", ""]
# Glossary sentences sit on their own line and are pure Chinese, so they are routed zh -> en in "en" mode.
GLOSSARY_LINES = ["\n家人们这个太好吃了yyds。\n", "\n宝子们蹲后续。\n", "\n这里太出片了。\n"]
CUSTOM = {"出片": "photogenic"}

fragment = st.one_of(
    st.sampled_from(CHINESE),
    st.sampled_from(ENGLISH),
    st.sampled_from(PROTECTED),
    st.sampled_from(PUNCT),
    st.sampled_from(GLOSSARY_LINES),
    st.sampled_from(NICKNAMES).map(lambda n: f"@{n} "),
    st.text(max_size=12),
)
content = st.one_of(
    st.lists(fragment, max_size=8).map("".join),
    st.none(),
    st.just(""),
    st.integers(min_value=20, max_value=120).map(lambda n: "这个太好吃了，" * n + "so cute. " * (n // 4)),
)


@st.composite
def comment(draw, children):
    c = {"comment_id": draw(st.uuids()).hex, "content": draw(content), "like_count": "3", "pictures": [{"u": 1}]}
    if draw(st.booleans()):
        names = draw(st.lists(st.sampled_from(NICKNAMES), max_size=2))
        c["at_users"] = [{"user_id": "u", "nickname": n} for n in names]
    if children is not None:
        c[draw(st.sampled_from(["sub_comments", "replies"]))] = draw(st.lists(children, max_size=3))
    return c


leaf = comment(None)
threads = st.lists(comment(st.one_of(leaf, comment(leaf))), max_size=6)


def walk(comments):
    for c in comments:
        yield c
        for key in ("sub_comments", "replies"):
            yield from walk(c.get(key, []))


def shape(comments):
    return [
        (c["comment_id"], [(key, shape(c[key])) for key in ("sub_comments", "replies") if key in c]) for c in comments
    ]


def in_order(needles, haystack):
    pos = 0
    for needle in needles:
        found = haystack.find(needle, pos)
        if found < 0:
            return False
        pos = found + len(needle)
    return True


@pytest.fixture(scope="module")
def translator(models_dir, tmp_path_factory):
    return Translator(
        models_dir=models_dir, cache=tmp_path_factory.mktemp("cache") / "c.sqlite3", glossary=CUSTOM
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(comments=threads, target=st.sampled_from(["auto", "en", "zh"]))
def test_thread_properties(translator, comments, target):
    before = copy.deepcopy(comments)
    out = translator.translate_thread(comments, target=target)
    assert comments == before  # never mutated
    assert shape(out) == shape(before)  # same length, order, ids, nesting
    glossary = Glossary.builtin().merged(Glossary.from_mapping(CUSTOM))
    for old, new in zip(walk(before), walk(out)):
        for key, value in old.items():
            if key not in ("sub_comments", "replies"):
                assert new[key] == value
        status = new["translation_status"]
        assert status in {"translated", "cached", "same_language", "no_text", "unsupported_language", "failed"}
        assert isinstance(new["translation_flags"], list)
        if status not in ("translated", "cached"):
            assert new["translation"] is None
            continue
        text = old["content"]
        mentions = [u["nickname"] for u in old.get("at_users", [])]
        # protected spans verbatim, in order; a hashtag's words are translated (issue 21), its markers kept
        protected = [piece for s in split_spans(text, mentions) if s.protected
                     for piece in ((hashtag_parts(s.text)[0], hashtag_parts(s.text)[2]) if s.kind == "hashtag"
                                   else (s.text,))]
        assert in_order(protected, new["translation"]), (text, new["translation"])
        if new["target_lang"] == "en":
            for line in GLOSSARY_LINES:
                if line in text and not any(line in s.text for s in split_spans(text, mentions) if s.protected):
                    for match in glossary.find(line, "zh", "en"):
                        assert match.target in new["translation"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.lists(fragment, max_size=5).map("".join), max_size=8), target=st.sampled_from(["en", "zh"]))
def test_cache_gives_what_the_model_gives(models_dir, tmp_path_factory, texts, target):
    path = tmp_path_factory.mktemp("c") / "c.sqlite3"
    cached = Translator(models_dir=models_dir, cache=path)
    first = cached.translate_many(texts, target=target)
    translated = cached.stats()["segments_translated"]
    from_cache = cached.translate_many(texts, target=target)
    assert cached.stats()["segments_translated"] == translated
    assert [t.translation for t in from_cache] == [t.translation for t in first]
    fresh = Translator(models_dir=models_dir, cache=False).translate_many(texts, target=target)
    assert from_cache == fresh
    # A new Translator (as in a new process) serves whole comments from the cache's comments table.
    with Translator(models_dir=models_dir, cache=path) as reopened:
        assert reopened.translate_many(texts, target=target) == fresh
        assert reopened.stats()["comment_hits"] == len(texts) and reopened.stats()["unique_segments"] == 0
