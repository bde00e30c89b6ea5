"""A self-contained bilingual HTML page for a translated comment thread.

One file, inline CSS, no scripts and no external assets, so it opens offline and can be mailed around.
Replies are nested under their parents (``parent_comment_id`` in flat exports, ``sub_comments`` /
``replies`` lists in nested ones); the original and the translation sit side by side with language badges
and a status marker; protected spans (emoji codes, hashtags, mentions, ...) are styled. Every piece of
comment data is HTML-escaped, so a comment containing ``<script>`` is shown, never run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape
from typing import Iterable, Sequence

from .spans import split_spans
from .thread import TRANSLATION_FIELDS, FlatComment, added_fields, flatten_thread

ROOT_PARENTS = ("", "0", "None", "null")

_LANG_NAMES = {"zh": "中文", "en": "English", "und": "—"}

_CSS = """
:root { --fg:#1f2328; --muted:#6b7280; --line:#e5e7eb; --bg:#fafafa; --red:#ff2442; }
* { box-sizing:border-box; }
body { margin:0; background:var(--bg); color:var(--fg);
  font:15px/1.55 -apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif; }
header { padding:20px 24px 12px; border-bottom:3px solid var(--red); background:#fff; }
header h1 { margin:0 0 4px; font-size:20px; }
header p { margin:0; color:var(--muted); font-size:13px; }
main { max-width:1100px; margin:0 auto; padding:16px 24px 48px; }
ol.thread, ol.replies { list-style:none; margin:0; padding:0; }
ol.replies { margin:8px 0 0 22px; padding-left:14px; border-left:2px solid var(--line); }
li.comment { margin:10px 0; }
.card { background:#fff; border:1px solid var(--line); border-radius:10px; padding:10px 14px; }
.meta { font-size:12px; color:var(--muted); display:flex; flex-wrap:wrap; gap:10px; align-items:center; margin-bottom:6px; }
.author { font-weight:600; color:var(--fg); }
.pair { display:grid; grid-template-columns:1fr 1fr; gap:14px; }
@media (max-width:700px) { .pair { grid-template-columns:1fr; } }
.text { white-space:pre-wrap; overflow-wrap:anywhere; }
.translation .text { color:#0f3d75; }
.translation.none .text { color:var(--muted); font-style:italic; }
.badge { display:inline-block; font-size:11px; font-weight:600; border-radius:4px; padding:0 6px; margin-right:6px;
  background:#eef2ff; color:#3730a3; vertical-align:1px; }
.badge.zh { background:#fff1f2; color:#be123c; }
.badge.en { background:#ecfeff; color:#0e7490; }
.status { font-size:11px; border-radius:999px; padding:0 8px; border:1px solid currentColor; }
.status.translated { color:#15803d; } .status.cached { color:#0369a1; }
.status.same_language, .status.no_text { color:var(--muted); }
.status.unsupported_language { color:#b45309; } .status.failed { color:#b91c1c; font-weight:600; }
.flag { font-size:11px; color:#92400e; background:#fffbeb; border-radius:4px; padding:0 5px; }
.p { border-radius:4px; padding:0 2px; }
.p-emoji_code { background:#fef3c7; color:#92400e; }
.p-hashtag { color:#1d4ed8; background:#eff6ff; }
.p-mention { color:#7c3aed; background:#f5f3ff; }
.p-url { color:#0369a1; text-decoration:underline; }
.p-emoji, .p-kaomoji { background:#f3f4f6; }
.orphan { font-size:11px; color:#b45309; }
footer { color:var(--muted); font-size:12px; text-align:center; padding:12px; }
"""


@dataclass
class _Node:
    comment: FlatComment
    children: list["_Node"] = field(default_factory=list)


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
    body = _render_tree(roots, orphans, dict(zip(TRANSLATION_FIELDS, added_fields(TRANSLATION_FIELDS, field_prefix))))
    count = _count(roots)
    sub = escape(subtitle or f"{count} comments")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-Hans"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n"
        f"<body><header><h1>{escape(title)}</h1><p>{sub}</p></header>\n"
        f'<main><ol class="thread">\n{body}</ol></main>\n'
        "<footer>xhs-translate · original left, translation right</footer></body></html>\n"
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


def _walk(nodes: Iterable[_Node]) -> Iterable[_Node]:
    """Depth first, in document order; iterative, because reply chains can be deeper than Python's stack."""
    stack = list(reversed(list(nodes)))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


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


def _count(nodes: Iterable[_Node]) -> int:
    return sum(1 for _ in _walk(nodes))


def _key(value: object) -> str:
    return "" if value is None else str(value)


def _render_tree(roots: Sequence[_Node], orphans: set[int], fields: dict[str, str]) -> str:
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


def _render_card(node: _Node, fields: dict[str, str], orphan: bool = False) -> str:
    """The opening ``<li>`` and the card of one comment (its replies and ``</li>`` follow); ``fields`` maps each
    name of ``TRANSLATION_FIELDS`` to the (prefixed) field that holds it."""
    r = node.comment.source
    text = node.comment.text
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    mentions = node.comment.mentions
    added = {name: r.get(field) for name, field in fields.items()}
    source, target = _lang(added["source_lang"]), _lang(added["target_lang"])
    translation = added["translation"]
    status = _key(added["translation_status"])
    flags = added["translation_flags"] or []
    parts = [
        f'<li class="comment" data-id="{escape(_key(node.comment.comment_id), quote=True)}">',
        '<div class="card"><div class="meta">',
        _meta(r),
        f'<span class="status {escape(status, quote=True)}">{escape(status.replace("_", " "))}</span>' if status else "",
        "".join(f'<span class="flag">{escape(str(f).replace("_", " "))}</span>' for f in flags if isinstance(f, str)),
        '<span class="orphan">reply to a comment not in this file</span>' if orphan else "",
        '</div><div class="pair">',
        f'<div class="original" lang="{escape(source, quote=True)}"><span class="badge {escape(source, quote=True)}">{escape(_LANG_NAMES.get(source, source.upper()))}</span>',
        f'<span class="text">{_with_spans(text, mentions)}</span></div>',
    ]
    if isinstance(translation, str):
        parts.append(
            f'<div class="translation" lang="{escape(target, quote=True)}"><span class="badge {escape(target, quote=True)}">'
            f'{escape(_LANG_NAMES.get(target, target.upper()))}</span><span class="text">{_with_spans(translation, mentions)}</span></div>'
        )
    else:
        parts.append(f'<div class="translation none"><span class="text">{escape(_no_translation(status))}</span></div>')
    parts.append("</div></div>")
    return "".join(parts)


def _lang(value: object) -> str:
    return _key(value) or "und"


def _no_translation(status: str) -> str:
    return {
        "same_language": "(already in the target language)",
        "no_text": "(no text to translate)",
        "unsupported_language": "(no model for this language)",
        "failed": "(translation failed)",
    }.get(status, "(not translated)")


def _meta(r: dict) -> str:
    author = r.get("nickname") or r.get("creator_hash") or r.get("user_id")
    bits = [f'<span class="author">{escape(_key(author))}</span>'] if author else []
    if r.get("ip_location"):
        bits.append(f"<span>{escape(_key(r['ip_location']))}</span>")
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


def _with_spans(text: str, mentions: Sequence[str]) -> str:
    return "".join(
        f'<span class="p p-{escape(s.kind, quote=True)}">{escape(s.text)}</span>' if s.protected else escape(s.text)
        for s in split_spans(text, mentions)
    )
