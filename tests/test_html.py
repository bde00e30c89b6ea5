"""The bilingual HTML view, parsed back with html.parser: each comment once, in its note, nesting right,
escaping right, only http(s) links, and nothing but the page's own style and script allowed to run.

How the page behaves in a browser (collapse, filter, the Details switch) is checked in test_html_browser.py."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xhs_translate.html import NOTE_URL, render_html
from xhs_translate.results import CONFIDENCE_FIELD, STATUSES, Flag, Status

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rednote_thread.json"


class PageParser(HTMLParser):
    """Collects, per comment ``<li data-id>``: its parent comment id, its note, its original and translation
    texts and the translation's attributes; per note ``<details>``: its header; plus every tag, attribute,
    link, script and style, to check the page is self-contained and runs nothing else."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []  # (tag, comment id or None)
        self.comments: list[dict] = []
        self.notes: list[dict] = []
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str]] = []
        self.links: list[dict] = []
        self.spans: list[tuple[str, str]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.csp = ""
        self.chips: dict[str, list[str]] = {}
        self._capture: tuple[dict, str] | None = None
        self._capture_depth = 0
        self._span_kind: str | None = None
        self._raw: list[str] | None = None
        self._summary: dict | None = None
        self._chips_of: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        self.attrs += [(tag, name) for name in attrs]
        classes = (attrs.get("class") or "").split()
        comment_id = None
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy":
            self.csp = attrs["content"]
        if tag in ("script", "style"):
            self._raw = []
            (self.scripts if tag == "script" else self.styles).append(self._raw)
        if tag == "a":
            self.links.append(attrs)
        if tag == "details" and "note" in classes:
            self.notes.append({"key": attrs["data-note"], "open": "open" in attrs, "header": "", "comments": 0})
        if tag == "summary":
            self._summary = self.notes[-1]
        if tag == "li" and "comment" in classes:
            parent = next((cid for _, cid in reversed(self.stack) if cid is not None), None)
            comment_id = attrs["data-id"]
            note = self.notes[-1]["key"] if self.notes and "details" in {t for t, _ in self.stack} else None
            self.comments.append({"id": comment_id, "parent": parent, "note": note, "lang": attrs["data-lang"],
                                  "original": "", "translation": "", "translation_attrs": {}, "solo": False})
            if note is not None:
                self.notes[-1]["comments"] += 1
        elif tag == "div" and classes[:1] in (["original"], ["translation"]):
            self._capture = (self.comments[-1], classes[0])
            self._capture_depth = len(self.stack) + 1
            if classes[0] == "translation":
                self.comments[-1]["translation_attrs"] = {"class": classes, **attrs}
        elif tag == "div" and "pair" in classes:
            self.comments[-1]["solo"] = "solo" in classes
        elif tag == "div" and "chips" in classes:
            self._chips_of = self.comments[-1]["id"]
            self._chips_depth = len(self.stack) + 1
        elif tag == "span" and classes[:1] == ["p"]:
            self._span_kind = classes[1][2:]
        if tag not in ("meta", "br", "input"):
            self.stack.append((tag, comment_id))

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break
        if self._capture is not None and len(self.stack) < self._capture_depth:
            self._capture = None
        if self._chips_of is not None and len(self.stack) < self._chips_depth:
            self._chips_of = None
        if tag in ("span", "a"):
            self._span_kind = None
        if tag in ("script", "style"):
            self._raw = None
        if tag == "summary":
            self._summary = None

    def handle_data(self, data):
        if self._raw is not None:
            self._raw.append(data)
            return
        if self._capture is not None:
            record, key = self._capture
            record[key] += data
        if self._span_kind:
            self.spans.append((self._span_kind, data))
        if self._summary is not None:
            self._summary["header"] += data
        if self._chips_of is not None:
            self.chips.setdefault(self._chips_of, []).append(data)


def parse(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    parser.close()
    parser.scripts = ["".join(s) for s in parser.scripts]
    parser.styles = ["".join(s) for s in parser.styles]
    return parser


def translated(record: dict, translation: str | None = "译文", status: str = Status.TRANSLATED.value, flags=(),
               **more) -> dict:
    return {**record, "source_lang": "en", "target_lang": "zh", "translation": translation,
            "translation_status": status, "translation_flags": flags if isinstance(flags, str) else list(flags), **more}


def comment(comment_id: str, note: str | None, parent: str | int = 0, text: str = "so cute", **more) -> dict:
    record = {"comment_id": comment_id, "content": text, "parent_comment_id": parent, **more}
    if note is not None:
        record["note_id"] = note
    return record


def sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


# --- threads and notes -------------------------------------------------------------------------------------


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
    assert [n["key"] for n in page.notes] == [records[0]["note_id"]]
    assert page.notes[0]["open"]  # a page of one note shows it


def test_comments_are_grouped_by_note_in_order_of_first_appearance_with_titles_links_and_counts():
    records = [
        comment("a1", "n-a"),
        comment("b1", "n-b", note_title="  Weekend hotpot in Chengdu  "),
        comment("a2", "n-a", title="ignored: the first title found wins", note_title="Cat tax"),
        comment("b2", "n-b", parent="b1"),
        comment("a3", "n-a", parent="a1"),
        comment("b3", "n-x", parent="b1"),  # a reply stays with its parent's note, whatever its own says
        comment("c1", "n/c?&\"<", note_url="https://www.xiaohongshu.com/explore/n?xsec_token=T1"),
        comment("d1", "n-d", note_url="javascript:alert(1)"),
    ]
    page = parse(render_html([translated(r) for r in records]))
    assert [n["key"] for n in page.notes] == ["n-a", "n-b", "n/c?&\"<", "n-d"]
    assert [n["comments"] for n in page.notes] == [3, 3, 1, 1]
    assert {c["id"]: c["note"] for c in page.comments} == {
        "a1": "n-a", "a2": "n-a", "a3": "n-a", "b1": "n-b", "b2": "n-b", "b3": "n-b", "c1": "n/c?&\"<", "d1": "n-d"}
    assert {c["id"]: c["parent"] for c in page.comments}["b3"] == "b1"
    headers = [n["header"] for n in page.notes]
    assert headers[0].startswith("Cat tax") and "n-a" in headers[0] and "3 comments" in headers[0]
    assert headers[1].startswith("Weekend hotpot in Chengdu") and "3 comments" in headers[1]
    assert headers[2].startswith("“so cute”n/c?&\"< ↗1 comment") and "1 comments" not in headers[2]  # a preview
    note_links = [link["href"] for link in page.links if link["class"] == "nid"]
    assert note_links == [NOTE_URL.format("n-a"), NOTE_URL.format("n-b"),
                          "https://www.xiaohongshu.com/explore/n?xsec_token=T1",  # the export's own link
                          NOTE_URL.format("n-d")]  # a note_url that is not http(s) is not used
    assert not any(n["open"] for n in page.notes)  # several notes: an index of collapsed notes
    assert "8 comments on 4 notes" in render_html([translated(r) for r in records])


def test_a_note_id_is_percent_encoded_in_its_link():
    page = parse(render_html([comment("1", "a/b c?d"), comment("2", "x")]))
    assert page.links[0]["href"] == "https://www.xiaohongshu.com/explore/a%2Fb%20c%3Fd"


def test_without_note_ids_the_thread_has_no_note_header_and_with_some_the_rest_get_one():
    page = parse(render_html([comment("1", None), comment("2", None, parent="1")]))
    assert page.notes == [] and [c["parent"] for c in page.comments] == [None, "1"]
    mixed = parse(render_html([comment("1", "n"), comment("2", None)]))
    assert [n["key"] for n in mixed.notes] == ["n", ""]
    assert mixed.notes[1]["header"].startswith("Comments without a note id")


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


# --- safety -------------------------------------------------------------------------------------------------


def test_hostile_text_stays_text_and_only_the_pages_own_script_and_style_may_run():
    evil = [
        {"comment_id": 'a"><script>alert(1)</script>', "content": "<script>alert('x')</script> <3 & co",
         "parent_comment_id": 0, "nickname": "<b>bold</b>", "note_id": '"><img src=x onerror=alert(2)>',
         "note_title": "</summary><script>t()</script>"},
        {"comment_id": "b", "content": "<img src=x onerror=alert(1)> <a href='javascript:alert(3)'>x</a>",
         "parent_comment_id": 'a"><script>alert(1)</script>', "source_lang": '"><script>'},
    ]
    page_text = render_html([translated(evil[0], "</div><script>bad()</script>"), translated(evil[1])],
                            title="</title><script>t()</script>")
    page = parse(page_text)
    assert "img" not in page.tags
    assert len(page.scripts) == 1 and "alert" not in page.scripts[0] and len(page.styles) == 1
    assert not [a for a in page.attrs if a[1].startswith("on") or a[1] in ("style", "src", "srcdoc")]
    first = next(c for c in page.comments if c["id"] == evil[0]["comment_id"])
    assert "<script>alert('x')</script> <3 & co" in first["original"]
    assert "</div><script>bad()</script>" in first["translation"]
    assert "<a href='javascript:alert(3)'>x</a>" in next(c for c in page.comments if c["id"] == "b")["original"]
    assert next(c for c in page.comments if c["id"] == "b")["parent"] == evil[0]["comment_id"]
    assert page.notes[0]["header"].startswith("</summary><script>t()</script>")
    assert all(link["href"].startswith("https://") for link in page.links)
    # The policy lets exactly this style and this script run, and nothing load.
    directives = dict(d.strip().split(" ", 1) for d in page.csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["style-src"] == sha256(page.styles[0]) and directives["script-src"] == sha256(page.scripts[0])
    assert "<link" not in page_text and "http" not in page.scripts[0] + page.styles[0]


def test_only_http_and_https_urls_become_links_with_noopener_noreferrer():
    text = ("see https://example.org/it's?b=1&c=2 and http://t.cn/abc. "
            "not javascript:alert(1) nor ftp://files.example.org/x nor www.example.com nor data:text/html,hi")
    page = parse(render_html([translated(comment("1", None, text=text), translation=text)]))
    hrefs = [link["href"] for link in page.links]
    assert hrefs == ["https://example.org/it's?b=1&c=2", "http://t.cn/abc"] * 2  # the others are spans
    for link in page.links:
        assert set(link["rel"].split()) == {"noopener", "noreferrer"} and link["target"] == "_blank"
    assert page.comments[0]["original"].endswith(text) and page.comments[0]["translation"].endswith(text)


def test_pictures_are_links_never_loaded():
    record = comment("1", None, text="", pictures="http://sns-webpic.example.org/p1.jpg,javascript:x,https://e.org/2")
    page = parse(render_html([translated(record, None, status=Status.NO_TEXT.value)]))
    assert [link["href"] for link in page.links] == ["http://sns-webpic.example.org/p1.jpg", "https://e.org/2"]
    assert "img" not in page.tags and page.comments[0]["original"].strip() == "picture 1 ↗ picture 2 ↗"


# --- reader view and details --------------------------------------------------------------------------------


def test_reader_view_puts_statuses_flags_and_scores_behind_details():
    records = [
        translated(comment("t", None), flags=["repetition_guarded", "partially_translated"]),
        translated(comment("s", None), None, status=Status.SAME_LANGUAGE.value),
        translated(comment("f", None), None, status=Status.FAILED.value, flags=["length_anomaly"]),
        comment("raw", None),  # not translated at all: nothing to show in Details
    ]
    page_text = render_html(records)
    page = parse(page_text)
    by_id = {c["id"]: c for c in page.comments}
    assert page.chips["t"] == ["translated", "repetition guarded", "partially translated"]
    assert page.chips["s"] == ["same language"] and page.chips["f"] == ["failed", "length anomaly"]
    assert "raw" not in page.chips
    # the original is all a reader needs when it is already in the target language; a failure is said
    assert by_id["s"]["solo"] and "(already in the target language)" in by_id["s"]["translation"]
    assert not by_id["f"]["solo"] and "(translation failed)" in by_id["f"]["translation"]
    css = parse(page_text).styles[0]
    assert re.search(r"\.chips \{ display:none", css) and "#show-details:checked ~ main .chips" in css
    assert all(f".status.{status} " in css for status in STATUSES)


def test_low_confidence_translations_are_dimmed_with_the_score_in_a_tooltip():
    records = [
        translated(comment("low", None), flags=[Flag.LOW_CONFIDENCE], **{CONFIDENCE_FIELD: 0.31415}),
        translated(comment("ok", None), **{CONFIDENCE_FIELD: 0.9}),
        translated(comment("flag-only", None), flags=[Flag.LOW_CONFIDENCE]),
        translated(comment("csv", None), flags=f"glossary_applied;{Flag.LOW_CONFIDENCE}", **{CONFIDENCE_FIELD: "0.2"}),
        translated(comment("none", None)),
        *(translated(comment(f"bad{i}", None), **{CONFIDENCE_FIELD: bad})
          for i, bad in enumerate([True, "abc", float("nan"), 1.5, -0.1, None, [0.5]])),
    ]
    page = parse(render_html(records))
    attrs = {c["id"]: c["translation_attrs"] for c in page.comments}
    assert "low" in attrs["low"]["class"] and attrs["low"]["title"] == "low model confidence 0.31"
    assert "low" not in attrs["ok"]["class"] and attrs["ok"]["title"] == "model confidence 0.90"
    assert "low" in attrs["flag-only"]["class"] and attrs["flag-only"]["title"] == "low model confidence"
    assert "low" in attrs["csv"]["class"] and attrs["csv"]["title"] == "low model confidence 0.20"
    assert page.chips["csv"] == ["translated", "glossary applied", "low confidence", "confidence 0.20"]
    for i in ["none", *(f"bad{i}" for i in range(7))]:
        assert "title" not in attrs[i] and "low" not in attrs[i]["class"], i


def test_records_translated_with_a_field_prefix_show_their_translation_and_score():
    record = {"comment_id": "1", "content": "so cute", "parent_comment_id": 0, "translation": "a reviewer's note",
              CONFIDENCE_FIELD: 0.99, "translation_flags": [Flag.LOW_CONFIDENCE]}
    prefixed = {**record, **{f"xhs_{k}": v for k, v in translated({}, "好可爱").items()},
                f"xhs_{CONFIDENCE_FIELD}": 0.25}
    page_text = render_html([prefixed], field_prefix="xhs_")
    page = parse(page_text)
    assert page.comments[0]["translation"].endswith("好可爱") and "a reviewer" not in page_text
    assert 'class="status translated"' in page_text and 'class="badge zh"' in page_text
    assert page.comments[0]["translation_attrs"]["title"] == "model confidence 0.25"  # not the unprefixed 0.99


def test_protected_spans_are_styled_and_untranslated_comments_say_why():
    record = {"comment_id": "1", "content": "家人们 [笑哭R] #美国人[话题]# @小鱼不吃鱼 😂", "parent_comment_id": 0,
              "at_users": [{"nickname": "小鱼不吃鱼"}]}
    page_text = render_html([{**record, "source_lang": "zh", "target_lang": "en", "translation": None,
                              "translation_status": Status.FAILED.value, "translation_flags": ["length_anomaly"]}])
    page = parse(page_text)
    kinds = {kind for kind, _ in page.spans}
    assert {"emoji_code", "hashtag", "mention", "emoji"} <= kinds
    assert ("emoji_code", "[笑哭R]") in page.spans
    assert "translation failed" in page.comments[0]["translation"]
    assert 'class="status failed"' in page_text and "length anomaly" in page_text


def test_the_language_filter_lists_the_languages_of_the_originals_most_common_first():
    records = [translated(comment(str(i), None), source_lang=lang) for i, lang in enumerate(["zh", "en", "zh", "ja"])]
    page_text = render_html(records)
    options = re.findall(r'<option value="([^"]*)">([^<]*)</option>', page_text)
    assert options == [("", "All languages"), ("zh", "中文 (2)"), ("en", "English (1)"), ("ja", "JA (1)")]
    assert [c["lang"] for c in parse(page_text).comments] == ["zh", "en", "zh", "ja"]
    prefixed = [{"comment_id": str(i), "content": "x", "source_lang": "en", "p_source_lang": lang}
                for i, lang in enumerate(["zh", "zh"])]
    page_text = render_html(prefixed, field_prefix="p_")
    assert re.findall(r'<option value="([^"]*)">', page_text) == ["", "zh"]
    assert [c["lang"] for c in parse(page_text).comments] == ["zh", "zh"]


@pytest.mark.parametrize("records", [[], [comment("1", "n")]])
def test_small_pages_render(records):
    page = parse(render_html(records))
    assert len(page.comments) == len(records) and len(page.scripts) == 1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=6))
def test_any_text_round_trips_through_the_page(texts):
    records = [{"comment_id": str(i), "content": t, "parent_comment_id": 0} for i, t in enumerate(texts)]
    page = parse(render_html([translated(r, translation=r["content"][::-1]) for r in records]))
    assert [c["id"] for c in page.comments] == [r["comment_id"] for r in records]
    for c, record in zip(page.comments, records):
        assert c["original"].endswith(record["content"])  # after the language badge
        assert c["translation"].endswith(record["content"][::-1])
