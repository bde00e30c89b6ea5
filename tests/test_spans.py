"""Protected-span splitting: the join invariant for any str, and protected spans found verbatim."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xhs_translate.errors import InputError
from xhs_translate.spans import Span, split_spans, strip_protected


def kinds(text: str, mentions=()) -> list[tuple[str, str]]:
    return [(s.text, s.kind) for s in split_spans(text, mentions)]


EXAMPLES = [
    ("", []),
    ("哈哈哈", [("哈哈哈", "text")]),
    ("哈哈哈[笑哭R][笑哭R]", [("哈哈哈", "text"), ("[笑哭R]", "emoji_code"), ("[笑哭R]", "emoji_code")]),
    ("[doge]好", [("[doge]", "emoji_code"), ("好", "text")]),
    ("#美国人[话题]# 你好", [("#美国人[话题]#", "hashtag"), (" 你好", "text")]),
    ("#tiktokrefugee#", [("#tiktokrefugee#", "hashtag")]),
    ("hi #tiktokrefugee", [("hi ", "text"), ("#tiktokrefugee", "hashtag")]),
    ("@小红薯 你好", [("@小红薯", "mention"), (" 你好", "text")]),
    ("mail a@b.com", [("mail a@b.com", "text")]),
    ("👍👍", [("👍👍", "emoji")]),
    ("好👍🏻啊", [("好", "text"), ("👍🏻", "emoji"), ("啊", "text")]),
    ("家人👨‍👩‍👧!", [("家人", "text"), ("👨‍👩‍👧", "emoji"), ("!", "text")]),
    ("from 🇺🇸 to 🇨🇳", [("from ", "text"), ("🇺🇸", "emoji"), (" to ", "text"), ("🇨🇳", "emoji")]),
    ("1️⃣ first", [("1️⃣", "emoji"), (" first", "text")]),
    ("❤️ love", [("❤️", "emoji"), (" love", "text")]),
    ("看 https://xhslink.com/a/Ab1。好", [("看 ", "text"), ("https://xhslink.com/a/Ab1", "url"), ("。好", "text")]),
    ("see www.example.com.", [("see ", "text"), ("www.example.com", "url"), (".", "text")]),
    ("go to xhslink.com/x now", [("go to ", "text"), ("xhslink.com/x", "url"), (" now", "text")]),
    ("sad QAQ", [("sad ", "text"), ("QAQ", "kaomoji")]),
    ("QAQx", [("QAQx", "text")]),
    ("table (╯°□°）╯︵ ┻━┻", [("table ", "text"), ("(╯°□°）╯︵ ┻━┻", "kaomoji")]),
    ("¯\\_(ツ)_/¯ ok", [("¯\\_(ツ)_/¯", "kaomoji"), (" ok", "text")]),
    ("好的^_^", [("好的", "text"), ("^_^", "kaomoji")]),
    ("哭(｡•́︿•̀｡)", [("哭", "text"), ("(｡•́︿•̀｡)", "kaomoji")]),
    ("(2/3) done", [("(2/3) done", "text")]),
    ("price 10.05", [("price 10.05", "text")]),
    ("[1] a note", [("[1] a note", "text")]),
]


@pytest.mark.parametrize("text, expected", EXAMPLES)
def test_examples(text, expected):
    assert kinds(text) == expected


def test_known_nicknames_with_spaces_and_emoji_win_longest_first():
    text = "@Bob Smith 🌸 hi @Bob there"
    assert kinds(text, ["Bob", "@Bob Smith 🌸"]) == [
        ("@Bob Smith 🌸", "mention"),
        (" hi ", "text"),
        ("@Bob", "mention"),
        (" there", "text"),
    ]


def test_span_protected_property_and_strip():
    assert Span("hi").protected is False
    assert Span("👍", "emoji").protected is True
    assert strip_protected("hi👍there") == "hi there"
    assert strip_protected("@小红薯 你好[赞R]") == "你好"
    assert strip_protected("[笑哭R]👍 #话题#") == ""


def test_rejects_non_str():
    with pytest.raises(InputError):
        split_spans(b"bytes")  # type: ignore[arg-type]


def test_huge_inputs_keep_the_invariant():
    for text in ("\ud800[笑\udfff]\x00@\ud83d", "a.b" * 200_000, "@" * 500_000, "(" * 500_000, "😀" * 200_000, "http://" + "a" * 500_000, "#[话" * 100_000):
        spans = split_spans(text)
        assert "".join(s.text for s in spans) == text


@settings(max_examples=400)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())), st.lists(st.text(max_size=8), max_size=3))
def test_join_invariant_for_any_str(text, mentions):
    spans = split_spans(text, mentions)
    assert "".join(s.text for s in spans) == text
    assert all(s.text for s in spans)
    assert all(not (a.kind == b.kind == "text") for a, b in zip(spans, spans[1:]))


_SPECIAL = st.sampled_from(list("#@[]()（）:;^_-.<>/ \n👍🏻\u200d\ufe0f\u20e3🇺") + ["http://", "www.", ".com", "QAQ", "[话题]"])


@settings(max_examples=300)
@given(st.lists(st.one_of(_SPECIAL, st.text(max_size=5)), max_size=30).map("".join))
def test_join_invariant_for_pattern_soup(text):
    assert "".join(s.text for s in split_spans(text)) == text


PROTECTED = [
    ("emoji", "👍"), ("emoji", "👩🏽‍💻"), ("emoji", "🇨🇳"), ("emoji", "😂😂"),
    ("emoji_code", "[笑哭R]"), ("emoji_code", "[doge]"), ("emoji_code", "[赞R]"),
    ("hashtag", "#美国人[话题]#"), ("hashtag", "#tiktokrefugee"), ("hashtag", "#rednote#"),
    ("mention", "@小红薯"), ("mention", "@Alice"),
    ("url", "https://www.xiaohongshu.com/explore/123?x=1"), ("url", "http://xhslink.com/a/Zz9"),
]
PLAIN = st.sampled_from(["你好", "太可爱了", "omg so cute", "from Texas", "这个vibe太绝了", "哈哈哈", "yyds", "ok", "真的吗"])


@settings(max_examples=300)
@given(st.lists(st.one_of(PLAIN.map(lambda t: ("text", t)), st.sampled_from(PROTECTED)), min_size=1, max_size=8))
def test_generated_comments_find_every_protected_span_verbatim(pieces):
    text = " ".join(t for _, t in pieces)
    found = [(s.kind, s.text) for s in split_spans(text) if s.protected]
    expected = [(k, t) for k, t in pieces if k != "text"]
    # adjacent emoji pieces separated by a space stay separate spans; compare in order
    assert found == expected


@settings(max_examples=200)
@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="@\n"), min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool),
    st.sampled_from(["你好", "hi there", "好👍"]),
)
def test_given_nicknames_are_one_mention(nickname, tail):
    text = f"@{nickname} {tail}"
    spans = split_spans(text, [nickname])
    assert spans[0] == Span(f"@{nickname}", "mention")
    assert "".join(s.text for s in spans) == text
