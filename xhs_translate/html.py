"""A self-contained bilingual HTML page for translated comment threads, read like the threads they were.

One file with inline CSS and a small inline script, no external assets: a Content-Security-Policy that allows
only those two (by hash) forbids every load and every other script, so the page opens offline, can be mailed
around, and a comment containing ``<script>`` is shown, never run (all comment data is HTML-escaped as well).

Comments are grouped by note (``note_id``), one collapsible ``<details>`` per note with its title when the
records carry one (``note_title`` or ``title``), else the start of its first comment, else its id; a link to the
note (with the export's ``xsec_token``, where it has one) and a comment count. Replies
nest under their parents (``parent_comment_id`` in flat exports, ``sub_comments`` / ``replies`` lists in nested
ones). The reader view shows the original and the translation side by side; status chips, flags and scores
appear with the "Details" switch, a CSS-only checkbox. The script adds a filter by text or language and
expand/collapse-all buttons; without it the page reads the same, minus those controls. http(s) URLs in
comments are links; protected spans (emoji codes, hashtags, mentions, ...) are styled.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape
from operator import attrgetter
from typing import SupportsFloat
from urllib.parse import quote, urlencode, urlsplit

from .results import CONFIDENCE_FIELD, DEMO_NOTICE, FLAGS_FIELD, TRANSLATION_FIELDS, Flag, Status, added_fields
from .spans import URL, split_spans
from .thread import FlatComment, flatten_thread, walk_tree

ROOT_PARENTS = ("", "0", "None", "null")
NOTE_FIELD = "note_id"
#: Where a record may carry its note's title: a comment record enriched with it, or a note export's own field.
NOTE_TITLE_FIELDS = ("note_title", "title")
NOTE_URL_FIELD = "note_url"  # MediaCrawler note exports: the note's link with its access token
NOTE_URL = "https://www.xiaohongshu.com/explore/{}"
#: A note's access token, where the export has one (MediaCrawler's note records, search results): the site opens a
#: note from outside only with it, as ``/explore/ID?xsec_token=T&xsec_source=S`` (the form scrapers build, e.g.
#: ``xsec_source=pc_feed``; found by the code search of public xiaohongshu scrapers).
XSEC_TOKEN_FIELD, XSEC_SOURCE_FIELD, XSEC_SOURCE = "xsec_token", "xsec_source", "pc_feed"
PREVIEW_CHARS = 40  # a note without a title is headed by this much of its first comment
PICTURES_FIELD = "pictures"  # MediaCrawler: the comment's picture URLs, comma-joined; linked, never loaded
LINK_SCHEMES = ("http", "https")

_LANG_NAMES = {"zh": "中文", "en": "English", "und": "—"}
#: Without a translation, what the reader is told; statuses in _QUIET say nothing a reader needs (the original
#: is all there is), so their note shows only with Details.
#: Keyed by Status, a str: looked up by the status text a record holds.
_NO_TRANSLATION: dict[str, str] = {
    Status.SAME_LANGUAGE: "(already in the target language)",
    Status.NO_TEXT: "(no text to translate)",
    Status.UNSUPPORTED_LANGUAGE: "(no model for this language)",
    Status.FAILED: "(translation failed)",
}
_QUIET = frozenset({Status.SAME_LANGUAGE, Status.NO_TEXT})
_STATUS_STYLE = {
    Status.TRANSLATED: "color:#15803d",
    Status.CACHED: "color:#0369a1",
    Status.SAME_LANGUAGE: "color:var(--muted)",
    Status.NO_TEXT: "color:var(--muted)",
    Status.UNSUPPORTED_LANGUAGE: "color:#b45309",
    Status.FAILED: "color:#b91c1c;font-weight:600",
}

# Measured on 20,000 comments (benchmarks/html_page.py): content-visibility:auto on open notes lets the browser skip
# those off screen ("Expand all": about 0.2 s of main-thread time instead of 7 s); closed notes and single comments
# go without it, as it made scrolling past them slower. `contain:content` keeps a note's changes inside it
# (opening one note: about 0.1 s instead of 0.3-0.7 s).
_CSS = """
:root { --fg:#1f2328; --muted:#6b7280; --line:#e5e7eb; --bg:#fafafa; --red:#ff2442; }
* { box-sizing:border-box; }
[hidden] { display:none !important; }
body { margin:0; background:var(--bg); color:var(--fg);
  font:15px/1.55 -apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei",
    "Noto Sans CJK SC",sans-serif; }
header { padding:18px 24px 10px; background:#fff; }
header h1 { margin:0 0 2px; font-size:20px; overflow-wrap:anywhere; }
header p { margin:0; color:var(--muted); font-size:13px; }
header p.demo { margin-top:6px; color:#9a1b1b; font-weight:600; }
.bar { position:sticky; top:0; z-index:1; display:flex; flex-wrap:wrap; gap:8px; align-items:center;
  padding:8px 24px; background:#fff; border-bottom:3px solid var(--red); font-size:13px; }
.bar input[type=search] { flex:1 1 14em; min-width:0; font:inherit; padding:5px 8px; border:1px solid #d1d5db;
  border-radius:6px; }
.bar select, .bar button { font:inherit; padding:4px 8px; border:1px solid #d1d5db; border-radius:6px;
  background:#fff; color:var(--fg); }
.bar .js { display:contents; }
#shown { color:var(--muted); }
.vh { position:fixed; top:0; left:0; width:1px; height:1px; margin:-1px; overflow:hidden; clip-path:inset(50%);
  white-space:nowrap; }
.switch { cursor:pointer; user-select:none; padding:4px 10px; border:1px solid #d1d5db; border-radius:999px;
  background:#fff; }
.switch::before { content:"\\25CB  "; }
#show-details:checked ~ .bar .switch { background:#1f2328; color:#fff; border-color:#1f2328; }
#show-details:checked ~ .bar .switch::before { content:"\\25CF  "; }
#show-details:focus-visible ~ .bar .switch { outline:2px solid #2563eb; outline-offset:2px; }
main { max-width:1100px; margin:0 auto; padding:12px 24px 48px; }
.note { margin:10px 0; background:#fff; border:1px solid var(--line); border-radius:10px; contain:content; }
.note[open] { content-visibility:auto; contain-intrinsic-size:auto 400px; }
.note > summary { cursor:pointer; padding:10px 14px 10px 32px; display:flex; flex-wrap:wrap; gap:2px 12px;
  align-items:baseline; list-style:none; position:relative; }
.note > summary::-webkit-details-marker { display:none; }
.note > summary::before { content:"\\25B8"; position:absolute; left:14px; color:var(--muted); }
.note[open] > summary::before { content:"\\25BE"; }
.note[open] > summary { border-bottom:1px solid var(--line); }
.nt { font-weight:600; overflow-wrap:anywhere; }
.nc, .nh { color:var(--muted); font-size:13px; }
.nh:empty { display:none; }
.nid { font-size:12px; color:var(--muted); overflow-wrap:anywhere; }
.note > ol.thread { padding:2px 14px 10px; }
ol.thread, ol.replies { list-style:none; margin:0; padding:0; }
ol.replies { margin:6px 0 0 18px; padding-left:12px; border-left:2px solid var(--line); }
li.comment { margin:8px 0; }
.card { background:#fff; border:1px solid var(--line); border-radius:10px; padding:8px 12px; }
li.ctx > .card { opacity:.6; }
.meta { font-size:12px; color:var(--muted); display:flex; flex-wrap:wrap; gap:2px 10px; align-items:center;
  margin-bottom:4px; }
.author { font-weight:600; color:var(--fg); }
.pair { display:grid; grid-template-columns:1fr 1fr; gap:6px 14px; }
.pair.solo { grid-template-columns:1fr; }
@media (max-width:700px) {
  header, .bar { padding-left:12px; padding-right:12px; } main { padding:8px 8px 40px; }
  .pair { grid-template-columns:1fr; } .note > ol.thread { padding:0 8px 8px; }
  ol.replies { margin-left:6px; padding-left:8px; }
}
.text { white-space:pre-wrap; overflow-wrap:anywhere; }
.translation .text { color:#0f3d75; }
.translation.none .text { color:var(--muted); font-style:italic; }
.translation.low .text { opacity:.5; }
.translation[title] { cursor:help; }
.badge { display:inline-block; font-size:11px; font-weight:600; border-radius:4px; padding:0 6px; margin-right:6px;
  background:#eef2ff; color:#3730a3; vertical-align:1px; }
.badge.zh { background:#fff1f2; color:#be123c; }
.badge.en { background:#ecfeff; color:#0e7490; }
.chips { display:none; flex-wrap:wrap; gap:6px; margin-top:6px; }
.pair.solo .translation { display:none; }
#show-details:checked ~ main .chips { display:flex; }
#show-details:checked ~ main .pair.solo { grid-template-columns:1fr 1fr; }
#show-details:checked ~ main .pair.solo .translation { display:block; }
@media (max-width:700px) { #show-details:checked ~ main .pair.solo { grid-template-columns:1fr; } }
.status { font-size:11px; border-radius:999px; padding:0 8px; border:1px solid currentColor; }
.flag, .conf { font-size:11px; color:#92400e; background:#fffbeb; border-radius:4px; padding:0 5px; }
.p { border-radius:4px; padding:0 2px; }
.p-emoji_code { background:#fef3c7; color:#92400e; }
.p-hashtag { color:#1d4ed8; background:#eff6ff; }
.p-mention { color:#7c3aed; background:#f5f3ff; }
.p-url { color:#0369a1; overflow-wrap:anywhere; }
a.p-url { text-decoration:underline; }
a.pic { font-size:13px; color:#0369a1; white-space:nowrap; }
.p-emoji, .p-kaomoji { background:#f3f4f6; }
.orphan { font-size:11px; color:#b45309; }
footer { color:var(--muted); font-size:12px; text-align:center; padding:12px; }
""" + "".join(f".status.{status.value} {{ {style}; }}\n" for status, style in _STATUS_STYLE.items())

# Filter by text or language (a reply that matches keeps its parents, dimmed, as context), expand/collapse all.
# It only reads the page and toggles `hidden`, `open` and classes: no data is embedded, nothing is evaluated.
# The text index is built when a filter control gets focus, not at load.
_JS = """
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const q = $("q"), lang = $("lang"), shown = $("shown");
  const notes = Array.from(document.querySelectorAll("details.note"));
  const total = shown.dataset.total;
  let items = null, wasOpen = null, timer = 0;
  for (const el of document.querySelectorAll(".js")) el.hidden = false;

  function index() {
    const byLi = new Map();
    items = [];
    for (const li of document.querySelectorAll("li.comment")) {
      let text = "";
      for (const s of li.firstElementChild.querySelectorAll(".s")) text += s.textContent + "\\n";
      const up = li.parentElement.closest("li.comment");
      const item = { li, text: text.toLowerCase(), lang: li.dataset.lang, parent: up ? byLi.get(up) : null,
                     note: li.closest("details.note"), keep: true, ctx: false };
      byLi.set(li, item);
      items.push(item);
    }
  }

  function apply() {
    if (!items) index();
    const needle = q.value.trim().toLowerCase(), want = lang.value, active = needle !== "" || want !== "";
    if (active && !wasOpen) wasOpen = notes.map((n) => n.open);
    const hitsPerNote = new Map();
    let hits = 0;
    for (const item of items) {
      item.hit = active && (!want || item.lang === want) && (!needle || item.text.includes(needle));
      item.next = false;
      if (item.hit) { hits++; hitsPerNote.set(item.note, (hitsPerNote.get(item.note) || 0) + 1); }
    }
    for (let i = items.length - 1; i >= 0; i--) {  // replies come after their parents: visit them first
      const item = items[i];
      if (active && !hitsPerNote.has(item.note)) continue;  // its note is hidden whole: no need to touch it
      const keep = !active || item.hit || item.next;
      if (keep && item.parent) item.parent.next = true;
      if (keep !== item.keep) { item.li.hidden = !keep; item.keep = keep; }  // `keep`, `ctx`: the DOM's state
      const ctx = keep && active && !item.hit;
      if (ctx !== item.ctx) { item.li.classList.toggle("ctx", ctx); item.ctx = ctx; }
    }
    notes.forEach((note, i) => {
      const n = hitsPerNote.get(note) || 0;
      note.hidden = active && n === 0;
      note.querySelector(".nh").textContent = active ? n + (n === 1 ? " match" : " matches") : "";
      note.open = active ? n > 0 : wasOpen ? wasOpen[i] : note.open;
    });
    if (!active) wasOpen = null;
    shown.textContent = active ? hits + " of " + total + " match" : "";
  }

  for (const control of [q, lang]) control.addEventListener("focus", () => { if (!items) index(); });
  q.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(apply, 120); });
  lang.addEventListener("change", apply);
  for (const [id, open] of [["expand", true], ["collapse", false]]) {
    const button = $(id);  // only on pages of several notes
    if (button) button.addEventListener("click", () => { for (const n of notes) n.open = open; });
  }
})();
"""


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


#: Only the page's own style and script may run; nothing may load (offline, and no tracking pixels).
_CSP = (f"default-src 'none'; style-src {_csp_hash(_CSS)}; script-src {_csp_hash(_JS)}; "
        "base-uri 'none'; form-action 'none'")


@dataclass
class _Node:
    comment: FlatComment
    children: list[_Node] = field(default_factory=list)


@dataclass(frozen=True)
class _Note:
    """One note's comments: ``key`` is its id ("" for comments without one)."""

    key: str
    title: str  # the export's, or "" without one
    preview: str  # the start of its first comment, for a note without a title
    url: str
    roots: tuple[_Node, ...]
    count: int


@dataclass(frozen=True)
class _Fields:
    """The (prefixed) names of the fields the translator added: each of ``TRANSLATION_FIELDS``, and the score."""

    names: Mapping[str, str]
    confidence: str


def render_html(
    records: Sequence[dict],
    *,
    id_field: str = "comment_id",
    text_field: str = "content",
    parent_field: str = "parent_comment_id",
    title: str = "Comment thread",
    subtitle: str = "",
    field_prefix: str = "",
) -> str:
    """The page for ``records`` (translated comment dicts, flat or nested), as one HTML string.

    ``field_prefix`` is the one the records were translated with (their fields are ``{prefix}translation``, ...)."""
    roots, orphans = build_tree(records, id_field=id_field, text_field=text_field, parent_field=parent_field)
    fields = _Fields(dict(zip(TRANSLATION_FIELDS, added_fields(TRANSLATION_FIELDS, field_prefix))),
                     added_fields((CONFIDENCE_FIELD,), field_prefix)[0])
    notes = group_by_note(roots)
    count = sum(note.count for note in notes)
    comments = _plural(count, "comment")
    summary = comments if len(notes) < 2 else f"{comments} on {len(notes):,} notes"
    body = "".join(_render_note(note, orphans, fields, alone=len(notes) == 1) for note in notes)
    demo = any(Flag.DEMO_MODEL in _flags(node.comment.source.get(fields.names[FLAGS_FIELD])) for node in _walk(roots))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-Hans"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n"
        '<body><input type="checkbox" id="show-details" class="vh">\n'
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle or summary)}</p>"
        f"{f'<p class=demo role=alert>{escape(DEMO_NOTICE)}</p>' if demo else ''}</header>\n"
        f"{_toolbar(roots, fields, comments, many_notes=len(notes) > 1)}\n"
        f"<main>\n{body}</main>\n"
        "<footer>xhs-translate · each comment's original, then its translation</footer>\n"
        f"<script>{_JS}</script></body></html>\n"
    )


def _toolbar(roots: Sequence[_Node], fields: _Fields, comments: str, many_notes: bool) -> str:
    """The filter (text box and language list: the languages of the originals, most common first) and the
    expand/collapse buttons come alive with the script (``.js`` starts hidden); the Details switch is CSS."""
    langs = Counter(_lang(node.comment.source.get(fields.names["source_lang"])) for node in _walk(roots))
    options = "".join(f'<option value="{escape(code, quote=True)}">{escape(_lang_label(code))} ({n:,})</option>'
                      for code, n in langs.most_common())
    buttons = ('<button type="button" id="expand">Expand all</button>'
               '<button type="button" id="collapse">Collapse all</button>')
    return (
        '<nav class="bar" aria-label="View">'
        '<span class="js" hidden>'
        '<input type="search" id="q" placeholder="Filter comments" aria-label="Filter comments by text">'
        '<select id="lang" aria-label="Language of the original">'
        f'<option value="">All languages</option>{options}</select>'
        f"{buttons if many_notes else ''}</span>"
        '<label for="show-details" class="switch" title="status, flags and scores of each translation">Details</label>'
        f'<span id="shown" aria-live="polite" data-total="{escape(comments, quote=True)}"></span>'
        "</nav>"
    )


def build_tree(
    records: Iterable[dict],
    *,
    id_field: str = "comment_id",
    text_field: str = "content",
    parent_field: str = "parent_comment_id",
) -> tuple[list[_Node], set[int]]:
    """Roots in input order, each with its replies in input order; and the ``id()`` of replies whose parent is
    not in the input (shown at the top level, marked). Nested replies name their container as parent."""
    flat = flatten_thread(records, id_field=id_field, text_field=text_field, parent_field=parent_field).comments
    nodes = [_Node(c) for c in flat]
    by_id: dict[str, _Node] = {}
    for node in nodes:
        by_id.setdefault(_key(node.comment.comment_id), node)
    roots: list[_Node] = []
    orphans: set[int] = set()
    linked_to: dict[int, _Node] = {}  # id(child) -> the parent it was linked under
    for node in nodes:
        parent_key = _key(node.comment.parent_id)
        parent = None if parent_key in ROOT_PARENTS else by_id.get(parent_key)
        if parent is None or _is_below(parent, node, linked_to):
            if parent_key not in ROOT_PARENTS:
                orphans.add(id(node))
            roots.append(node)
        else:
            parent.children.append(node)
            linked_to[id(node)] = parent
    return roots, orphans


def group_by_note(roots: Sequence[_Node]) -> list[_Note]:
    """The roots by their ``note_id``, notes in order of first appearance; a reply stays with its parent's note.
    A note's title and link come from the first of its comments that carries one."""
    groups: dict[str, list[_Node]] = {}
    for root in roots:
        groups.setdefault(_key(root.comment.source.get(NOTE_FIELD)), []).append(root)
    notes = []
    for key, members in groups.items():
        comments = [node.comment.source for node in _walk(members)]
        title = next((t.strip() for r in comments for t in map(r.get, NOTE_TITLE_FIELDS)
                      if isinstance(t, str) and t.strip()), "")
        url = next((u for r in comments if _is_link(u := r.get(NOTE_URL_FIELD))), "")
        notes.append(_Note(key, title, _preview(members[0].comment.text), url or _note_url(key, comments),
                           tuple(members), len(comments)))
    return notes


def _note_url(key: str, comments: Sequence[Mapping]) -> str:
    """The note's page, with the export's ``xsec_token`` (and ``xsec_source``) where one of its records has one."""
    if not key:
        return ""
    url = NOTE_URL.format(quote(key, safe=""))
    token = next((t for r in comments if isinstance(t := r.get(XSEC_TOKEN_FIELD), str) and t), "")
    if not token:
        return url
    source = next((s for r in comments if isinstance(s := r.get(XSEC_SOURCE_FIELD), str) and s), XSEC_SOURCE)
    return f"{url}?{urlencode({'xsec_token': token, 'xsec_source': source})}"


def _preview(text: object) -> str:
    """The first PREVIEW_CHARS characters of a comment, whitespace collapsed, "…" where cut; "" for no text."""
    words = " ".join(text.split()) if isinstance(text, str) else ""
    return words if len(words) <= PREVIEW_CHARS else words[:PREVIEW_CHARS].rstrip() + "…"


def _walk(nodes: Iterable[_Node]) -> Iterator[_Node]:
    """Depth first, in document order (``thread.walk_tree``: reply chains can be deeper than Python's stack)."""
    return walk_tree(nodes, attrgetter("children"))


def _is_below(candidate: _Node, root: _Node, linked_to: dict[int, _Node]) -> bool:
    """True when ``candidate`` is ``root`` or below it: linking ``root`` under it would make a cycle.

    Walks up from ``candidate``; a node without replies yet has nothing below it, so the usual
    parents-before-replies order costs nothing."""
    if not root.children:
        return candidate is root
    node: _Node | None = candidate
    while node is not None:
        if node is root:
            return True
        node = linked_to.get(id(node))
    return False


def _key(value: object) -> str:
    return "" if value is None else str(value)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _render_note(note: _Note, orphans: set[int], fields: _Fields, alone: bool) -> str:
    """A ``<details>`` per note, open when it is the page's only one; comments without a note id need no
    header when no comment has one."""
    thread = f'<ol class="thread">\n{_render_tree(note.roots, orphans, fields)}</ol>'
    if not note.key and alone:
        return f"<div>{thread}</div>\n"
    if not note.key:
        heading = '<span class="nt">Comments without a note id</span>'
    else:
        # The link is small and apart: a click on the heading opens the note here, not the site.
        link = escape(note.key) if note.title or note.preview else "open"
        name = note.title or (f"“{note.preview}”" if note.preview else f"Note {note.key}")
        heading = (f'<span class="nt">{escape(name)}</span>'
                   f'<a class="nid" href="{escape(note.url, quote=True)}" target="_blank" rel="noopener noreferrer">'
                   f"{link} ↗</a>")
    return (f'<details class="note"{" open" if alone else ""} data-note="{escape(note.key, quote=True)}">'
            f'<summary>{heading}<span class="nc">{_plural(note.count, "comment")}</span><span class="nh"></span>'
            f"</summary>{thread}</details>\n")


def _render_tree(roots: Sequence[_Node], orphans: set[int], fields: _Fields) -> str:
    """Each comment as an ``<li>`` with its replies in a nested ``<ol>``; iterative, for very deep chains."""
    out: list[str] = []
    stack: list[_Node | str] = list(reversed(roots))
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        out.append(_render_card(item, fields, orphan=id(item) in orphans))
        if item.children:
            out.append('<ol class="replies">')
            stack.append("</ol></li>\n")
            stack.extend(reversed(item.children))
        else:
            out.append("</li>\n")
    return "".join(out)


def _render_card(node: _Node, fields: _Fields, orphan: bool = False) -> str:
    """The opening ``<li>`` and the card of one comment (its replies and ``</li>`` follow). Searchable text
    (for the filter) is marked ``s``; what only Details shows sits in ``.chips`` or a ``solo`` pair."""
    r = node.comment.source
    text = node.comment.text
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    mentions = node.comment.mentions
    added = {name: r.get(name_in_record) for name, name_in_record in fields.names.items()}
    source, target = _lang(added["source_lang"]), _lang(added["target_lang"])
    translation = added["translation"]
    status = _key(added["translation_status"])
    flags = _flags(added[FLAGS_FIELD])
    score = _score(r.get(fields.confidence))
    low = Flag.LOW_CONFIDENCE in flags
    chips = []
    if status:
        chips.append(f'<span class="status {escape(status, quote=True)}">{escape(status.replace("_", " "))}</span>')
    chips += [f'<span class="flag">{escape(f.replace("_", " "))}</span>' for f in flags]
    if score is not None:
        chips.append(f'<span class="conf">confidence {score:.2f}</span>')
    solo = not isinstance(translation, str) and status in _QUIET
    parts = [
        f'<li class="comment" data-id="{escape(_key(node.comment.comment_id), quote=True)}" '
        f'data-lang="{escape(source, quote=True)}"><div class="card"><div class="meta">',
        _meta(r),
        '<span class="orphan">reply to a comment not in this file</span>' if orphan else "",
        f'</div><div class="pair{" solo" if solo else ""}">',
        f'<div class="original" lang="{escape(source, quote=True)}">{_badge(source) if text.strip() else ""}',
        f'<span class="text s">{_with_spans(text, mentions)}</span>{_pictures(r.get(PICTURES_FIELD))}</div>',
    ]
    if isinstance(translation, str):
        tip = _confidence_tip(score, low)
        tip_attr = f' title="{escape(tip, quote=True)}"' if tip else ""
        parts.append(
            f'<div class="translation{" low" if low else ""}" lang="{escape(target, quote=True)}"{tip_attr}>'
            f'{_badge(target)}'
            f'<span class="text s">{_with_spans(translation, mentions)}</span></div>'
        )
    else:
        parts.append(f'<div class="translation none"><span class="text">'
                     f'{escape(_NO_TRANSLATION.get(status, "(not translated)"))}</span></div>')
    parts.append("</div>")
    if chips:
        parts.append(f'<div class="chips">{"".join(chips)}</div>')
    parts.append("</div>")
    return "".join(parts)


def _badge(code: str) -> str:
    return f'<span class="badge {escape(code, quote=True)}">{escape(_lang_label(code))}</span>'


def _lang(value: object) -> str:
    return _key(value) or "und"


def _lang_label(code: str) -> str:
    return _LANG_NAMES.get(code, code.upper())


def _flags(value: object) -> tuple[str, ...]:
    """The flag words: a list from the translator, or a ``;``-joined string as a CSV cell holds them."""
    if isinstance(value, str):
        value = value.split(";")
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(f.strip() for f in value if isinstance(f, str) and f.strip())


def _score(value: object) -> float | None:
    """The model's confidence as a number in 0-1 (a CSV cell holds it as text); anything else is no score."""
    if isinstance(value, bool) or not isinstance(value, (str, SupportsFloat)):
        return None
    try:
        score = float(value)
    except (TypeError, ValueError):
        return None
    return score if math.isfinite(score) and 0.0 <= score <= 1.0 else None


def _confidence_tip(score: float | None, low: bool) -> str:
    if score is None:
        return "low model confidence" if low else ""
    return f"{'low ' if low else ''}model confidence {score:.2f}"


def _meta(r: Mapping) -> str:
    author = r.get("nickname") or r.get("creator_hash") or r.get("user_id")
    bits = [f'<span class="author s">{escape(_key(author))}</span>'] if author else []
    if r.get("ip_location"):
        bits.append(f'<span class="s">{escape(_key(r["ip_location"]))}</span>')
    when = _time(r.get("create_time"))
    if when:
        bits.append(f"<time>{escape(when)}</time>")
    if r.get("like_count") not in (None, "", 0, "0"):
        bits.append(f"<span>♥ {escape(_key(r['like_count']))}</span>")
    return "".join(bits)


def _time(value: object) -> str:
    """MediaCrawler's ``create_time`` is milliseconds since the epoch (an int in JSON, a string in CSV)."""
    try:
        ms = int(str(value))
    except ValueError:
        return _key(value) if value not in (None, "") else ""
    seconds = ms / 1000 if ms > 10**11 else ms
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return _key(value)


def _is_link(url: object) -> bool:
    """An absolute http(s) URL with a host: the only kind the page makes clickable."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the host part
        return False
    return parts.scheme.lower() in LINK_SCHEMES and bool(parts.netloc)


def _pictures(value: object) -> str:
    urls = [u.strip() for u in value.split(",") if _is_link(u.strip())] if isinstance(value, str) else []
    return "".join(f' <a class="pic" href="{escape(u, quote=True)}" target="_blank" rel="noopener noreferrer">'
                   f'picture{f" {i}" if len(urls) > 1 else ""} ↗</a>' for i, u in enumerate(urls, 1))


def _with_spans(text: str, mentions: Sequence[str]) -> str:
    out = []
    for s in split_spans(text, mentions):
        if not s.protected:
            out.append(escape(s.text))
        elif s.kind == URL and _is_link(s.text):
            out.append(f'<a class="p p-url" href="{escape(s.text, quote=True)}" target="_blank" '
                       f'rel="noopener noreferrer">{escape(s.text)}</a>')
        else:
            out.append(f'<span class="p p-{escape(s.kind, quote=True)}">{escape(s.text)}</span>')
    return "".join(out)
