"""``format=html``: cut markup into tags and text nodes, translate only the text, put it back. Pure.

Mastodon, Discourse and Misskey send posts as HTML. Whatever the model does, the markup must come back as it
came: every tag, attribute, comment and entity outside a translated text node is copied byte for byte, in
order, so ``"".join(piece.raw for piece in split_markup(html)) == html`` for every string.

Text is not translated inside elements that say so or whose text is not prose:

- ``translate="no"`` (the HTML standard; Mastodon puts it on mentions and emoji shortcodes), inherited by
  descendants until an element says ``translate="yes"``;
- ``<code>``, ``<pre>``, ``<kbd>``, ``<samp>``, ``<var>``, ``<script>``, ``<style>``, ``<textarea>``;
- links marked as mentions or hashtags (``class="mention"``, ``class="hashtag"``, ``rel="tag"``): names,
  which xhs-translate keeps verbatim in plain text too (``spans.py``).

A text node is the text between two tags; entities are decoded before translation (``&amp;`` -> ``&``) and the
translation is escaped again (``&``, ``<``, ``>``). A text node that is not translated keeps its raw bytes.
The tokenizer follows the HTML syntax loosely, as browsers do: a ``<`` that starts no tag is text, an
unclosed comment or tag runs to the end, and the content of ``<script>``/``<style>`` ends only at its end tag.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

# One token: a comment, a declaration/processing instruction, an end tag or a start tag (attributes may hold
# quoted ">"); anything else up to the next "<" is text. Whatever is left unclosed (a comment, a quote, a tag)
# runs to the end, so a hostile "<a \"" repeated never makes the scan quadratic.
_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<![^>]*(?:>|\Z)|<\?[^>]*(?:>|\Z)"
    r"|</[A-Za-z][^>]*(?:>|\Z)"
    r"|<[A-Za-z][^\s/>]*(?:\"[^\"]*(?:\"|\Z)|'[^']*(?:'|\Z)|[^'\">])*(?:>|\Z)",
    re.DOTALL,
)
_TAG_NAME = re.compile(r"</?([A-Za-z][^\s/>]*)")
_ATTR = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
_RAW_TEXT = frozenset({"script", "style", "textarea", "title"})  # content is text up to the matching end tag
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr"})
_FOREIGN = ("svg", "math")  # SVG and MathML: there "/>" does close an element
_NOT_PROSE = frozenset({"code", "pre", "kbd", "samp", "var", "script", "style", "textarea"})
_NAME_CLASSES = frozenset({"mention", "hashtag", "u-url"})


@dataclass(frozen=True, slots=True)
class Piece:
    """A slice of the input: markup (``text is None``), or a text node with its decoded text and whether it is
    prose to translate."""

    raw: str
    text: str | None = None
    translatable: bool = False


def _attributes(tag: str) -> dict[str, str]:
    body = _TAG_NAME.sub("", tag, count=1).rstrip(">").rstrip("/")
    if not body:
        return {}
    attrs = {}
    for match in _ATTR.finditer(body):
        value = next((g for g in match.groups()[1:] if g is not None), "")
        attrs[match.group(1).lower()] = html.unescape(value)
    return attrs


def _protects(name: str, attrs: dict[str, str], inherited: bool) -> bool:
    """Whether text inside this element is kept verbatim."""
    translate = attrs.get("translate", "").strip().lower()
    if translate == "no":
        return True
    if translate == "yes":
        return False
    if name in _NOT_PROSE:
        return True
    classes = set(attrs.get("class", "").lower().split())
    if name == "a" and (_NAME_CLASSES & classes or "tag" in attrs.get("rel", "").lower().split()):
        return True
    return inherited


def split_markup(markup: str) -> tuple[Piece, ...]:
    """Cut HTML into pieces; joining every ``raw`` gives the input back."""
    pieces: list[Piece] = []
    stack: list[tuple[str, bool]] = []  # open elements: (name, text inside is protected)
    open_names: dict[str, int] = {}  # how many of each name are on the stack: a stray end tag costs O(1)
    pos = 0

    def push(name: str, protected: bool) -> None:
        stack.append((name, protected))
        open_names[name] = open_names.get(name, 0) + 1

    def pop() -> None:
        name = stack.pop()[0]
        open_names[name] -= 1

    def text(raw: str) -> None:
        if raw:
            protected = stack[-1][1] if stack else False
            decoded = html.unescape(raw)
            pieces.append(Piece(raw, decoded, not protected and bool(decoded.strip())))

    while pos < len(markup):
        match = _TOKEN.search(markup, pos)
        if match is None:
            text(markup[pos:])
            break
        text(markup[pos : match.start()])
        tag = match.group()
        pieces.append(Piece(tag))
        pos = match.end()
        if not tag.startswith("<") or tag.startswith(("<!", "<?")):
            continue
        named = _TAG_NAME.match(tag)
        assert named is not None  # _TOKEN's tags other than <! and <? start with a letter after < or </
        name = named.group(1).lower()
        if tag.startswith("</"):
            if open_names.get(name):  # close up to the matching element, as browsers do; a stray one is ignored
                while stack[-1][0] != name:
                    pop()
                pop()
            continue
        foreign = name in _FOREIGN or any(open_names.get(f) for f in _FOREIGN)
        if name in _VOID or (tag.endswith("/>") and foreign):  # HTML ignores "/>" on its own elements:
            continue  # <span translate="no"/>text</span> holds "text", as browsers read it
        protected = _protects(name, _attributes(tag), stack[-1][1] if stack else False)
        if name in _RAW_TEXT:  # its content is text up to </name>, never tags
            end = re.compile(rf"</{re.escape(name)}[\s/>]", re.IGNORECASE).search(markup, pos)
            stop = end.start() if end else len(markup)
            push(name, protected)
            text(markup[pos:stop])
            pop()
            pos = stop
            continue
        push(name, protected)
    return tuple(pieces)


def texts_to_translate(pieces: Sequence[Piece]) -> list[str]:
    """The decoded text of every translatable text node, in order."""
    return [p.text for p in pieces if p.translatable and p.text is not None]


def join_markup(pieces: Sequence[Piece], translations: Sequence[str | None]) -> str:
    """The markup with each translatable text node replaced by its translation (escaped), or kept as it was where
    the translation is None; ``translations`` follow ``texts_to_translate(pieces)``."""
    out: list[str] = []
    it = iter(translations)
    for piece in pieces:
        if piece.translatable:
            translated = next(it)
            out.append(piece.raw if translated is None else html.escape(translated, quote=False))
        else:
            out.append(piece.raw)
    return "".join(out)


def markup_text(pieces: Sequence[Piece]) -> str:
    """The prose of the markup as plain text (for language detection): translatable text nodes, space-joined."""
    return " ".join(p.text for p in pieces if p.translatable and p.text is not None)
