"""format=html: markup is cut into tags and text nodes losslessly, and only prose text nodes are offered for
translation."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from xhs_translate.server.markup import join_markup, markup_text, split_markup, texts_to_translate

MENTION = ('<span class="h-card" translate="no"><a href="https://social.example/@alice" class="u-url mention">'
           '@<span>alice</span></a></span>')
HASHTAG = '<a href="https://social.example/tags/food" class="mention hashtag" rel="tag">#<span>food</span></a>'


def _tags(markup: str) -> list[str]:
    return re.findall(r"<[^>]*>", markup)


def test_a_mastodon_post_offers_only_its_prose():
    post = f"<p>Hello {MENTION}, the noodles &amp; dumplings were great!<br />Back tomorrow {HASHTAG}</p>"
    pieces = split_markup(post)
    assert "".join(p.raw for p in pieces) == post
    assert texts_to_translate(pieces) == ["Hello ", ", the noodles & dumplings were great!", "Back tomorrow "]
    assert markup_text(pieces) == "Hello  , the noodles & dumplings were great! Back tomorrow "


def test_translations_are_escaped_and_everything_else_is_kept_byte_for_byte():
    post = f"<p title='a > b'>一 {MENTION} 二<br>三 <code>x &lt; y</code> {HASHTAG}</p>"
    pieces = split_markup(post)
    assert texts_to_translate(pieces) == ["一 ", " 二", "三 "]  # the blank node before the hashtag is not prose
    out = join_markup(pieces, ["<b>1</b> & ", None, None])
    assert out.startswith("<p title='a > b'>&lt;b&gt;1&lt;/b&gt; &amp; " + MENTION)
    assert _tags(out.replace("&lt;b&gt;", "").replace("&lt;/b&gt;", "")) == _tags(post)
    assert " 二<br>三 <code>x &lt; y</code> " + HASHTAG in out  # untranslated nodes keep their raw bytes


def test_code_pre_script_style_and_translate_no_are_not_prose():
    markup = ('<div translate="no">keep <b>this</b></div><pre>pre</pre><code>code</code><script>if (a<b) x()</script>'
              '<style>p>b{}</style><p translate="no">no <span translate="yes">yes</span></p><kbd>k</kbd>')
    pieces = split_markup(markup)
    assert texts_to_translate(pieces) == ["yes"]
    assert "".join(p.raw for p in pieces) == markup


def test_unclosed_and_stray_tags_and_loose_angle_brackets():
    for markup in ("a < b and c > d", "<p>open", "</i>stray<b>bold", "<!-- never closed <p>x", '<a href="x>y', "<br/>x",
                   "<SCRIPT>1<2</SCRIPT>after", "&nbsp;&#x4f60;&unknown;"):
        pieces = split_markup(markup)
        assert "".join(p.raw for p in pieces) == markup
    assert texts_to_translate(split_markup("<SCRIPT>1<2</SCRIPT>after")) == ["after"]
    assert texts_to_translate(split_markup("&nbsp;&#x4f60;&unknown;")) == ["\xa0你&unknown;"]


_HTML_BITS = st.sampled_from([
    "<p>", "</p>", "<br>", "<br />", "<b>", "</b>", '<a href="u" class="mention">', "</a>", "<code>", "</code>",
    '<span translate="no">', "</span>", "<script>", "</script>", "<!-- c -->", "&amp;", "&lt;", "<", ">", "'", '"',
    "你好", "hello world", " ", "\n", "<!DOCTYPE html>", "<img src='x' alt=\"a>b\">", "<pre>", "</pre>",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_HTML_BITS, st.text(max_size=8)), max_size=30))
def test_split_then_join_loses_nothing_and_keeps_every_tag(bits):
    markup = "".join(bits)
    pieces = split_markup(markup)
    assert "".join(p.raw for p in pieces) == markup
    prose = texts_to_translate(pieces)
    assert join_markup(pieces, [None] * len(prose)) == markup
    translated = join_markup(pieces, ["T" for _ in prose])
    non_text = [p.raw for p in pieces if p.text is None]
    assert [p.raw for p in split_markup(translated) if p.text is None] == non_text


def test_a_self_closing_slash_on_an_html_element_is_ignored_as_browsers_ignore_it():
    # <span translate="no"/> opens a span (HTML has no self-closing non-void elements): "keep" is inside it
    pieces = split_markup('<p><span translate="no"/>keep this</span> translate this</p>')
    assert texts_to_translate(pieces) == [" translate this"]
    # in SVG the slash does close: the text after <path/> is the <text> element's, still prose
    assert texts_to_translate(split_markup('<svg><text translate="no"><path/>kept</text></svg>after')) == ["after"]
    assert texts_to_translate(split_markup('<svg><path translate="no"/><text>svg text</text></svg>')) == ["svg text"]
    assert texts_to_translate(split_markup('<br/>line<img src="x"/>more')) == ["line", "more"]
