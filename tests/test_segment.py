"""Sentence splitting, edge whitespace, normalisation and the repetition-loop guard."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from xhs_translate.segment import (
    LENGTH_ANOMALY,
    REPETITION_GUARDED,
    GuardResult,
    guard_output,
    has_words,
    normalize_segment,
    split_edges,
    split_sentences,
    split_to_fit,
)

TEXTS = (st.text(alphabet=st.sampled_from([*"你好。！？…!?. \n\tab3c", "哈", "”", "."]), max_size=60)
         | st.text(max_size=80))


@given(TEXTS)
def test_split_sentences_is_lossless(text):
    pieces = split_sentences(text)
    assert "".join(pieces) == text
    assert all(pieces)


def byte_tokens(text: str) -> int:
    """A stand-in tokenizer with SentencePiece's byte fallback in mind: 1 token per ASCII character, 3 for others."""
    return sum(1 if ord(c) < 128 else 3 for c in text)


@given(TEXTS | st.text(min_size=200, max_size=600), st.integers(min_value=3, max_value=40))
def test_split_to_fit_is_lossless_and_bounded(text, limit):
    pieces = split_to_fit(text, byte_tokens, limit)
    assert "".join(pieces) == text
    assert all(p and byte_tokens(p) <= limit for p in pieces)


def test_split_to_fit_cuts_at_sentence_ends_then_clauses_then_spaces():
    assert split_to_fit("好。" + "我" * 9, len, 8) == ("好。" + "我" * 6, "我" * 3)  # no cut in the second half: hard
    assert split_to_fit("今天天气好。明天下雨，后天", len, 8) == ("今天天气好。", "明天下雨，后天")
    assert split_to_fit("one two three four", len, 10) == ("one two ", "three four")
    assert split_to_fit("短句", len, 8) == ("短句",)


@given(st.text())
def test_split_edges_is_lossless(text):
    lead, core, trail = split_edges(text)
    assert lead + core + trail == text
    assert core == core.strip()


def test_chinese_terminators_split_without_spaces():
    assert split_sentences("你好。今天天气好！！真的吗？好") == ("你好。", "今天天气好！！", "真的吗？", "好")


def test_english_terminators_need_whitespace():
    assert split_sentences("I love it. So cute!! v1.2 costs 3.50") == ("I love it. ", "So cute!! ", "v1.2 costs 3.50")


def test_newlines_end_sentences_and_stay_attached():
    assert split_sentences("第一行\n\n第二行\nthird") == ("第一行\n\n", "第二行\n", "third")


def test_ellipsis_and_closing_quotes_stay_with_the_sentence():
    assert split_sentences("他说“真的吗？”我不信…好吧") == ("他说“真的吗？”", "我不信…", "好吧")


def test_has_words():
    assert has_words("好") and has_words("ok") and has_words("Ελλάδα")
    assert not has_words("123 !!! ，。") and not has_words("")


def test_normalize_segment():
    assert normalize_segment("  so \t cute\n ") == "so cute"
    assert normalize_segment("e\u0301") == "\u00e9"


def test_guard_collapses_applause_loop():
    result = guard_output("掌声", "(掌声) (掌声) (掌声) (掌声) (掌声) (掌声)")
    assert result.text == "(掌声)"
    assert REPETITION_GUARDED in result.flags


def test_guard_collapses_one_word_loop_and_keeps_the_rest():
    result = guard_output("好", "the the the the the the the the cat")
    assert result.text == "the cat"
    assert result.flags == (REPETITION_GUARDED,)


def test_guard_allows_repeats_the_source_has():
    assert guard_output("好好好好", "good good good good") == GuardResult("good good good good", ())
    # the same output for a source without the repeat is a loop, and is collapsed
    assert guard_output("好", "good good good good") == GuardResult("good", (REPETITION_GUARDED,))
    assert guard_output("very", "very very very nice").flags == ()


def test_guard_flags_overlong_and_empty_outputs():
    assert LENGTH_ANOMALY in guard_output("好", "x" * 200).flags
    assert LENGTH_ANOMALY in guard_output("你好", "  ").flags
    assert guard_output("你好", "hello").flags == ()


@settings(max_examples=200)
@given(st.text(max_size=30), st.text(max_size=200))
def test_guard_never_grows_output(source, output):
    result = guard_output(source, output)
    assert len(result.text) <= len(output)
    assert guard_output(source, output) == result


# --- linear time and the exact guard pre-check (issue 10 §3.4, issue 11 §2) ---------------------------------

import re  # noqa: E402

_OLD_BOUNDARY = re.compile(  # the first wave's pattern: the reference the linear scanner must agree with
    r"[。！？…]+[。！？!?…．.]*[”’」』）)\]\"']*\s*"
    r"|[.!?]+[”’」』）)\]\"']*(?:\s+|\Z)"
    r"|[^\S\n]*\n\s*"
)


def reference_split(text: str) -> tuple[str, ...]:
    pieces, start = [], 0
    for match in _OLD_BOUNDARY.finditer(text):
        if match.end() > start:
            pieces.append(text[start:match.end()])
            start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return tuple(pieces)


ADVERSARIAL = st.text(alphabet=st.sampled_from(list("。！？…．.!?”’」』）)]\"' \t\n\r\u3000x好")), max_size=80)


@settings(max_examples=2000, deadline=None)
@given(ADVERSARIAL | TEXTS)
def test_split_sentences_agrees_with_the_first_waves_pattern(text):
    assert split_sentences(text) == reference_split(text)


@settings(max_examples=30, deadline=None)
@given(run=st.sampled_from(["!", ".", "?", " ", "\t", "!)", ". ", "。", "\u3000", " .", "\r"]),
       tail=st.sampled_from(["x", "", "\n", "好"]))
def test_long_runs_split_in_one_pass(run, tail):
    """50k '!' then 'x' took 41 s and 200 KB of spaces 118 s (quadratic); these run in linear time."""
    text = run * (200_000 // len(run)) + tail
    assert "".join(split_sentences(text)) == text


def test_plain_runs_without_a_boundary_stay_one_sentence():
    assert split_sentences("!" * 50_000 + "x") == ("!" * 50_000 + "x",)
    assert split_sentences(" " * 200_000) == (" " * 200_000,)
    assert split_sentences("a" + " " * 1000 + "\n" + " " * 5 + "b") == ("a" + " " * 1000 + "\n" + " " * 5, "b")


GUARD_TOKENS = st.lists(st.sampled_from(["好", "的", "ab", "c", "(掌声)", " ", ".", "哈"]), max_size=40).map("".join)


@settings(max_examples=3000, deadline=None)
@given(GUARD_TOKENS, GUARD_TOKENS | st.text(max_size=30))
def test_the_guard_pre_check_gives_what_the_full_scan_gives(source, output):
    from xhs_translate.segment import _guard_scan

    assert guard_output(source, output) == _guard_scan(source, output)
