"""The bilingual HTML view, parsed back with html.parser: each comment once, nesting right, escaping right."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from xhs_translate.html import render_html

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rednote_thread.json"


class PageParser(HTMLParser):
    """Collects, per comment ``<li data-id>``: its parent comment id, its original and translation texts;
    plus every tag and every external reference, to check the page is self-contained and script-free."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []  # (tag, comment id or None)
        self.comments: list[dict] = []
        self.tags: set[str] = set()
        self.refs: list[str] = []
        self.spans: list[tuple[str, str]] = []
        self._capture: tuple[dict, str] | None = None
        self._capture_depth = 0
        self._span_kind: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        self.refs += [v for k, v in attrs.items() if k in ("src", "href") and v]
        cls = attrs.get("class") or ""
        comment_id = None
        if tag == "li" and "comment" in cls.split():
            parent = next((cid for _, cid in reversed(self.stack) if cid is not None), None)
            comment_id = attrs["data-id"]
            self.comments.append({"id": comment_id, "parent": parent, "original": "", "translation": ""})
        elif tag == "div" and cls in ("original", "translation", "translation none"):
            self._capture = (self._current(), "original" if cls == "original" else "translation")
            self._capture_depth = len(self.stack) + 1
        elif tag == "span" and cls.startswith("p p-"):
            self._span_kind = cls[4:]
        if tag not in ("meta", "br"):
            self.stack.append((tag, comment_id))

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break
        if self._capture is not None and len(self.stack) < self._capture_depth:
            self._capture = None
        if tag == "span":
            self._span_kind = None

    def handle_data(self, data):
        if self._capture is not None and self.comments:
            record, key = self._capture
            record[key] += data
        if self._span_kind:
            self.spans.append((self._span_kind, data))

    def _current(self) -> dict:
        return self.comments[-1]


def parse(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


def translated(record: dict, translation: str | None = "译文", status: str = "translated") -> dict:
    return {**record, "source_lang": "en", "target_lang": "zh", "translation": translation,
            "translation_status": status, "translation_flags": []}


def test_example_thread_every_comment_once_and_nested_under_its_parent():
    records = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    page = parse(render_html([translated(r) for r in records]))
    ids = [c["id"] for c in page.comments]
    assert sorted(ids) == sorted(r["comment_id"] for r in records)
    assert len(ids) == len(set(ids))
    parents = {c["id"]: c["parent"] for c in page.comments}
    for record in records:
        expected = record["parent_comment_id"] or None
        assert parents[record["comment_id"]] == expected, record["comment_id"]
    assert any(parents[i] is not None and parents[parents[i]] is not None for i in ids)  # a reply to a reply


def test_escaping_shows_markup_as_text_and_page_has_no_scripts_or_external_assets():
    evil = [
        {"comment_id": 'a"><script>alert(1)</script>', "content": "<script>alert('x')</script> <3 & co",
         "parent_comment_id": 0, "nickname": "<b>bold</b>"},
        {"comment_id": "b", "content": "<img src=x onerror=alert(1)>", "parent_comment_id": 'a"><script>alert(1)</script>'},
    ]
    page_text = render_html([translated(evil[0], "</div><script>bad()</script>"), translated(evil[1])],
                            title="</title><script>t()</script>")
    page = parse(page_text)
    assert "script" not in page.tags and "img" not in page.tags
    assert page.refs == []  # no src/href at all: nothing external
    first = next(c for c in page.comments if c["id"] == evil[0]["comment_id"])
    assert "<script>alert('x')</script> <3 & co" in first["original"]
    assert "</div><script>bad()</script>" in first["translation"]
    assert next(c for c in page.comments if c["id"] == "b")["parent"] == evil[0]["comment_id"]
    assert "<style>" in page_text and "<link" not in page_text


def test_nested_sub_comments_orphans_and_cycles():
    records = [
        {"comment_id": "r", "content": "root", "sub_comments": [
            {"comment_id": "s1", "content": "sub", "replies": [{"comment_id": "s2", "content": "subsub"}]}]},
        {"comment_id": "o", "content": "orphan", "parent_comment_id": "not-here"},
        {"comment_id": "x", "content": "x", "parent_comment_id": "y"},
        {"comment_id": "y", "content": "y", "parent_comment_id": "x"},
        {"comment_id": "z", "content": "z", "parent_comment_id": ""},
    ]
    page_text = render_html(records)
    page = parse(page_text)
    parents = {c["id"]: c["parent"] for c in page.comments}
    assert parents == {"r": None, "s1": "r", "s2": "s1", "o": None, "x": "y", "y": None, "z": None}
    assert page_text.count("not in this file") == 2  # "o", and "y" where the x<->y cycle was cut


def test_protected_spans_are_styled_and_untranslated_comments_say_why():
    record = {"comment_id": "1", "content": "家人们 [笑哭R] #美国人[话题]# @小鱼不吃鱼 😂", "parent_comment_id": 0,
              "at_users": [{"nickname": "小鱼不吃鱼"}]}
    page_text = render_html([{**record, "source_lang": "zh", "target_lang": "en", "translation": None,
                              "translation_status": "failed", "translation_flags": ["length_anomaly"]}])
    page = parse(page_text)
    kinds = {kind for kind, _ in page.spans}
    assert {"emoji_code", "hashtag", "mention", "emoji"} <= kinds
    assert ("emoji_code", "[笑哭R]") in page.spans
    assert "translation failed" in page.comments[0]["translation"]
    assert 'class="status failed"' in page_text and "length anomaly" in page_text


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=6))
def test_any_text_round_trips_through_the_page(texts):
    records = [{"comment_id": str(i), "content": t, "parent_comment_id": 0} for i, t in enumerate(texts)]
    page = parse(render_html([translated(r, translation=r["content"][::-1]) for r in records]))
    assert [c["id"] for c in page.comments] == [r["comment_id"] for r in records]
    for comment, record in zip(page.comments, records):
        assert comment["original"].endswith(record["content"])  # after the language badge
        assert comment["translation"].endswith(record["content"][::-1])


def test_reply_chain_deeper_than_the_python_stack_and_a_long_cycle():
    depth = 3000  # well past the default recursion limit of 1000
    chain = [{"comment_id": f"c{i}", "content": "reply", "parent_comment_id": f"c{i - 1}" if i else 0}
             for i in range(depth)]
    cycle = [{"comment_id": "a", "content": "a", "parent_comment_id": "c"},
             {"comment_id": "b", "content": "b", "parent_comment_id": "a"},
             {"comment_id": "c", "content": "c", "parent_comment_id": "b"}]
    page_text = render_html(chain + cycle)
    page = parse(page_text)
    parents = {c["id"]: c["parent"] for c in page.comments}
    assert len(page.comments) == depth + 3
    assert all(parents[f"c{i}"] == (f"c{i - 1}" if i else None) for i in range(depth))
    assert {k: parents[k] for k in "abc"} == {"a": "c", "b": "a", "c": None}  # the cycle cut once, at "c"
    assert page_text.count("not in this file") == 1


def test_records_translated_with_a_field_prefix_show_their_translation():
    record = {"comment_id": "1", "content": "so cute", "parent_comment_id": 0, "translation": "a reviewer's note"}
    prefixed = {**record, **{f"xhs_{k}": v for k, v in translated({}, "好可爱").items()}}
    page_text = render_html([prefixed], field_prefix="xhs_")
    page = parse(page_text)
    assert page.comments[0]["translation"].endswith("好可爱") and "a reviewer" not in page_text
    assert 'class="status translated"' in page_text and 'class="badge zh"' in page_text
