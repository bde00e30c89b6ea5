"""A note page as xiaohongshu.com marks it up (2025-2026, after the public extensions that read it), for the
userscript's browser tests: ``#detail-title``, ``#detail-desc .note-text``, comments ``.comment-item`` in
``.comments-container .list-container``, replies ``.comment-item-sub`` in ``.reply-container`` behind a
``.show-more`` button, emoji ``<img class="note-content-emoji">``, mentions ``<a class="note-content-user">`` and
hashtags ``<a class="tag">``. Every text is written for these tests.

Issue 20's layouts, each after a public 2025-2026 source found with the search tool (code corpus):

- the note container ``#noteContainer.note-container`` whatever the address, and ``div.note-detail-mask`` over the
  feed: Playwright collectors (``hasDetailContainer``: ``#noteContainer``, ``.note-detail-mask``,
  ``.note-container``), xiaohongshu-mcp-style tools (``.note-detail-mask`` closed by Escape); search cards link to
  ``/search_result/{id}?xsec_token=...&xsec_source=pc_search``, profile cards to ``/user/profile/{uid}/{id}``;
- feed and search cards ``section.note-item`` with ``.footer .title``: scrapers of the explore feed;
- the reply-to name ``.nickname`` in ``.comment-item-sub`` ("回复 name：", qingpeng9802/rednote_helper,
  ``deleteAtUserReply``); where it sits relative to ``.note-text`` is not confirmed, so both places are built:
  ``inside`` (in the ``.note-text``) and ``before`` (a sibling in ``.content``);
- the phone layout ``.narmal-note-container`` > ``.note-view-container`` without comments: WhiteSevs/
  TamperMonkeyScript, 小红书优化 (2025.5.26), ``waitNode(".narmal-note-container")``; its title and description
  classes (``.note-content .title``, ``.desc``) are this fixture's guess;
- the comment box: a contenteditable ``p#content-textarea.content-input`` ("说点什么...") in the note: public
  posting tools fill ``#content-textarea`` as a contenteditable and click the send button;
- rednote.com: the same classes with an English interface; its own translation of a note sits in an element whose
  class says so (``.translate-content`` here: the real class is not confirmed).

A text is a list of parts: a plain string, or ``("emoji", name)``, ``("at", nickname, user_id)``,
``("tag", topic)``. Everything is HTML-escaped: a hostile comment is text here, as on the site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote

NOTE_ID = "6790c0ffee00000000a1b2c3"
NOTE_PATH = f"/explore/{NOTE_ID}"
SITE = "https://www.xiaohongshu.com"
HOSTILE = "<img src=x onerror=alert(1)>"
ENGLISH = "This looks amazing, where is it exactly?"
EMOJI_COLOURS = {"笑哭R": "#ffcc4d", "赞R": "#ff8a3d", "doge": "#f4b183", "哭惹R": "#7fb3ff", "派对R": "#c58cff"}


@dataclass
class Comment:
    cid: str
    user: str
    parts: list
    replies: list[Comment] = field(default_factory=list)
    hidden_replies: list[Comment] = field(default_factory=list)  # shown by clicking .show-more
    reply_to: tuple[str, str] | None = None  # (nickname, "inside" | "before"): a reply to a reply
    site_translation: str = ""  # markup the site adds after the text (rednote.com's own translation)


CHINESE_UI = {"reply_to": "回复", "colon": "：", "where": "四川", "like": "赞", "reply": "回复",
              "more": "展开 {} 条回复", "total": "共 {} 条评论", "say": "说点什么...", "send": "发送"}
ENGLISH_UI = {"reply_to": "Reply", "colon": ": ", "where": "Sichuan", "like": "Like", "reply": "Reply",
              "more": "Show {} more replies", "total": "{} comments", "say": "Say something...", "send": "Send"}


def emoji_src(name: str) -> str:
    colour = EMOJI_COLOURS.get(name, "#ffcc4d")
    svg = ("<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 20 20'>"
           f"<circle cx='10' cy='10' r='9' fill='{colour}'/>"
           "<circle cx='7' cy='8' r='1.4' fill='#333'/><circle cx='13' cy='8' r='1.4' fill='#333'/>"
           "<path d='M6 12q4 4 8 0' stroke='#333' stroke-width='1.4' fill='none'/></svg>")
    return "data:image/svg+xml," + quote(svg)


def text_html(parts: list) -> str:
    """The inside of a ``.note-text``, as the site renders it."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(f"<span>{escape(part, quote=False)}</span>")
        elif part[0] == "emoji":
            out.append(f'<img class="note-content-emoji" src="{emoji_src(part[1])}" alt="">')
        elif part[0] == "at":
            out.append(f'<a class="note-content-user" href="/user/profile/{part[2]}" data-user-id="{part[2]}" '
                       f'target="_self">@{escape(part[1])}</a>')
        elif part[0] == "tag":
            out.append(f'<a class="tag" id="hash-tag" href="/search_result?keyword={quote(part[1])}">'
                       f'#{escape(part[1])}</a>')
        else:
            raise ValueError(f"unknown part {part!r}")
    return "".join(out)


def comment_html(comment: Comment, sub: bool = False, reply_to: tuple[str, str] | None = None,
                 ui: dict | None = None) -> str:
    """A comment and its replies; ``reply_to`` = (nickname, layout) adds the "回复 name：" prefix, ``inside`` or
    ``before`` the ``.note-text``; ``ui`` replaces the interface's words (rednote.com's English)."""
    words = {**CHINESE_UI, **(ui or {})}
    item = "comment-item comment-item-sub" if sub else "comment-item"
    prefix = inside = ""
    if reply_to is not None:
        name, layout = reply_to
        html = (f'<span>{escape(words["reply_to"])} </span><span class="nickname">{escape(name)}</span>'
                f'<span>{escape(words["colon"])}</span>')
        prefix, inside = (html, "") if layout == "before" else ("", html)
    inner = (
        f'<div class="{item}" id="comment-{comment.cid}"><div class="comment-inner-container">'
        f'<div class="avatar" aria-hidden="true">{escape(comment.user[:1])}</div>'
        f'<div class="right"><div class="author-wrapper"><div class="author">'
        f'<a class="name" href="/user/profile/u-{comment.cid}">{escape(comment.user)}</a></div></div>'
        f'<div class="content">{prefix}<span class="note-text">{inside}{text_html(comment.parts)}</span>'
        f'{comment.site_translation}</div>'
        '<div class="info"><div class="date"><span>01-14</span>'
        f'<span class="location">{escape(words["where"])}</span></div>'
        f'<div class="interactions"><span class="like">{escape(words["like"])} 12</span>'
        f'<span class="reply">{escape(words["reply"])}</span></div></div>'
        f"</div></div></div>"
    )
    if sub:
        return inner
    replies = "".join(comment_html(r, sub=True, reply_to=r.reply_to, ui=ui) for r in comment.replies)
    more = ""
    if comment.hidden_replies:
        hidden = "".join(comment_html(r, sub=True, reply_to=r.reply_to, ui=ui) for r in comment.hidden_replies)
        more = (f'<div class="show-more">{escape(words["more"].format(len(comment.hidden_replies)))}</div>'
                f"<template>{hidden}</template>")
    reply_block = (f'<div class="reply-container"><div class="list-container">{replies}</div>{more}</div>'
                   if replies or more else "")
    return f'<div class="parent-comment">{inner}{reply_block}</div>'


STYLE = """
* { box-sizing: border-box; }
body { margin: 0; background: #f5f5f5; color: #333;
  font: 14px/1.5 system-ui, "PingFang SC", "Noto Sans CJK SC", sans-serif; }
.note-container { display: flex; max-width: 1100px; margin: 16px auto; background: #fff; border-radius: 20px;
  overflow: hidden;
  box-shadow: 0 8px 32px rgba(0,0,0,.08); }
.media-container { flex: 1 1 55%; min-height: 420px; background: #fde8e4; display: flex; align-items: flex-start;
  justify-content: center; padding-top: 240px; font-size: 72px; }
.interaction-container { flex: 0 0 440px; padding: 20px 24px; }
.author-bar { display: flex; align-items: center; gap: 10px; padding-bottom: 12px; border-bottom: 1px solid #eee; }
.avatar { width: 32px; height: 32px; flex: 0 0 32px; border-radius: 50%; background: #fde2e4; color: #c9184a;
  display: flex; align-items: center; justify-content: center; font-size: 13px; }
#detail-title { font-size: 18px; font-weight: 600; margin: 14px 0 8px; }
#detail-desc { font-size: 15px; line-height: 1.6; }
.note-text { white-space: pre-wrap; }
.tag, .note-content-user { color: #13386c; text-decoration: none; }
.note-text .note-content-emoji { width: 18px; height: 18px; vertical-align: -3px; margin: 0 1px; }
.comments-container { margin-top: 18px; border-top: 1px solid #eee; padding-top: 12px; }
.total { color: #999; font-size: 13px; margin-bottom: 8px; }
.parent-comment { margin-bottom: 14px; }
.comment-inner-container { display: flex; gap: 10px; }
.right { flex: 1; min-width: 0; }
.author .name { color: #999; font-size: 13px; text-decoration: none; }
.content { margin: 2px 0; overflow-wrap: anywhere; }
.info { display: flex; gap: 12px; color: #aaa; font-size: 12px; }
.info .date { display: flex; gap: 6px; }
.interactions { display: flex; gap: 10px; margin-left: auto; }
.reply-container { margin-left: 42px; margin-top: 8px; }
.comment-item-sub { margin-bottom: 10px; }
.comment-item-sub .avatar { width: 24px; height: 24px; flex-basis: 24px; font-size: 11px; }
.show-more { color: #13386c; cursor: pointer; font-size: 13px; }
.nickname { color: #999; }
.engage-bar { margin-top: 12px; border-top: 1px solid #eee; padding-top: 10px; }
.input-box { display: flex; gap: 8px; align-items: flex-start; }
.content-edit { flex: 1; min-width: 0; }
#content-textarea { margin: 0; min-height: 36px; padding: 8px 12px; border-radius: 18px; background: #f5f5f5;
  outline: none; }
#content-textarea:empty::before { content: attr(data-placeholder); color: #aaa; }
.submit { border: 0; border-radius: 16px; background: #ff2442; color: #fff; padding: 8px 14px; }
.feeds-container { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px;
  max-width: 1100px; margin: 16px auto; }
.note-item { background: #fff; border-radius: 12px; overflow: hidden; }
.note-item .cover { display: flex; height: 140px; align-items: center; justify-content: center; font-size: 48px;
  background: #fde8e4; text-decoration: none; }
.note-item .footer { padding: 8px 10px; }
.note-item .footer .title { color: #333; text-decoration: none; font-weight: 500; }
.note-detail-mask { position: fixed; inset: 0; background: rgba(0,0,0,.4); overflow: auto; }
.narmal-note-container { max-width: 480px; margin: 0 auto; background: #fff; }
.note-view-container { padding: 12px 16px; }
.note-view-container .note-image-box { height: 200px; display: flex; align-items: center; justify-content: center;
  font-size: 72px; background: #fde8e4; }
.note-view-container .title { font-size: 17px; font-weight: 600; margin: 12px 0 6px; }
@media (max-width: 760px) {
  .note-container { display: block; margin: 0; border-radius: 0; }
  .media-container { min-height: 240px; }
  .interaction-container { padding: 14px 16px; }
}
"""

# The site's own behaviour that the tests need: .show-more renders the replies it loads; the send button records
# what it would send (window.sent), so a test sees that nothing was sent without the user's click.
SCRIPT = """
window.sent = [];
document.addEventListener('click', (event) => {
  const send = event.target.closest('.input-box .submit');
  if (send) window.sent.push(document.querySelector('#content-textarea').innerText);
});
document.addEventListener('click', (event) => {
  const more = event.target.closest('.show-more');
  if (!more) return;
  const template = more.nextElementSibling;
  more.parentElement.querySelector('.list-container').append(template.content.cloneNode(true));
  template.remove();
  more.remove();
});
"""


def note_html(title: list, desc: list, comments: list[Comment], total: int | None = None, ui: dict | None = None,
              desc_translation: str = "") -> str:
    """The note's part of the page (what the site swaps when it navigates to another note), with its comment box."""
    words = {**CHINESE_UI, **(ui or {})}
    count = total if total is not None else sum(1 + len(c.replies) + len(c.hidden_replies) for c in comments)
    return (
        '<div id="noteContainer" class="note-container">'
        '<div class="media-container" aria-hidden="true">🍲</div>'
        '<div class="interaction-container">'
        '<div class="author-bar"><div class="avatar">辣</div><span class="username">麻辣小兔</span></div>'
        '<div class="note-scroller"><div class="note-content">'
        f'<div id="detail-title" class="title">{text_html(title)}</div>'
        f'<div id="detail-desc" class="desc"><span class="note-text">{text_html(desc)}</span>{desc_translation}</div>'
        '</div><div class="comments-el"><div class="comments-container">'
        f'<div class="total">{escape(words["total"].format(count))}</div>'
        f'<div class="list-container">{"".join(comment_html(c, ui=ui) for c in comments)}</div>'
        "</div></div></div>"
        '<div class="interactions engage-bar"><div class="input-box"><div class="content-edit">'
        '<p id="content-textarea" class="content-input" contenteditable="true" '
        f'data-placeholder="{escape(words["say"])}">'
        f'</p></div><button type="button" class="btn submit">{escape(words["send"])}</button></div></div>'
        "</div></div>"
    )


def mask_html(note: str, cards: list[tuple[str, str]]) -> str:
    """The feed with a note opened over it: ``div.note-detail-mask`` holding the note container."""
    return feed_html(cards) + f'<div class="note-detail-mask" note-id="{NOTE_ID}">{note}</div>'


def feed_html(cards: list[tuple[str, str]]) -> str:
    """Feed or search result cards: ``section.note-item`` with the cover link and ``.footer .title``."""
    items = "".join(
        f'<section class="note-item"><a class="cover" href="{escape(href, quote=True)}">🍜</a>'
        f'<div class="footer"><a class="title" href="{escape(href, quote=True)}"><span>{escape(title)}</span></a>'
        f'<div class="author-wrapper"><span class="name">小红薯</span></div></div></section>'
        for title, href in cards)
    return f'<div class="feeds-container">{items}</div>'


def phone_html(title: list, desc: list) -> str:
    """The phone layout: ``.narmal-note-container`` > ``.note-view-container``, no comments."""
    return (
        '<div class="narmal-note-container"><div class="note-view-container">'
        '<div class="author-container"><span class="author-name">麻辣小兔</span></div>'
        '<div class="note-image-box">🍲</div>'
        f'<div class="note-content"><div class="title">{text_html(title)}</div>'
        f'<div class="desc">{text_html(desc)}</div></div>'
        "</div></div>"
    )


def page_html(note: str, lang: str = "zh-CN") -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>小红书</title><style>{STYLE}</style></head>"
        f'<body><div id="app">{note}</div><script>{SCRIPT}</script></body></html>'
    )


TITLE = ["成都三天两夜美食攻略"]
DESC = [
    "第一次来成都，火锅、串串、兔头都安排上了！", ("emoji", "赞R"),
    " 最推荐的是春熙路附近那家老火锅，排队一个小时也值得。\n", ("tag", "成都美食"), " ", ("tag", "旅行攻略"), " ",
    ("at", "小红薯助手", "u-helper"),
]


def note_comments() -> list[Comment]:
    """20 comments, 7 replies in place and 2 behind .show-more; one hostile comment, one in English."""
    c = Comment
    return [
        c("c01", "小鱼", ["看起来好好吃啊！", ("emoji", "笑哭R")],
          replies=[c("r01", "麻辣小兔", ["真的很好吃，推荐你去试试"]),
                   c("r02", "阿花", [("at", "小鱼", "u-c01"), " 下次我们一起去吧", ("emoji", "赞R")])],
          hidden_replies=[c("r03", "老王", ["我上周刚去过，排了好久的队"]),
                          c("r04", "小鱼", ["好的，周末见"])]),
        c("c02", "旅行的猫", ["这家店需要提前预约吗？"], replies=[c("r05", "麻辣小兔", ["不用预约，但是晚上人很多"])]),
        c("c03", "阿杰", ["兔头真的不敢吃", ("emoji", "哭惹R"), ("emoji", "哭惹R")]),
        c("c04", "Momo", ["请问人均大概多少钱？"], replies=[c("r06", "麻辣小兔", ["人均一百左右吧"])]),
        c("c05", "hacker", ["太好笑了！", HOSTILE]),
        c("c06", "Jake from Ohio", [ENGLISH]),
        c("c07", "小红", [("at", "阿花", "u-r02"), " 快看，这就是我说的那家"],
          replies=[c("r07", "阿花", ["哇，收藏了！"])]),
        c("c08", "老成都", ["去年去过，味道还是那么正宗"]),
        c("c09", "不吃辣", ["辣度可以选吗？我不太能吃辣"], replies=[c("r08", "麻辣小兔", ["可以选微辣"])]),
        c("c10", "种草机", [("tag", "成都美食"), " 又被种草了"]),
        c("c11", "小新", ["攻略写得太详细了，感谢分享"]),
        c("c12", "摄影师", ["第二张图是在哪里拍的呀？好漂亮"], replies=[c("r09", "麻辣小兔", ["是宽窄巷子"])]),
        c("c13", "串串控", ["串串香推荐哪一家？"]),
        c("c14", "上班族", ["周末去人会不会特别多"]),
        c("c15", "吃货", ["看饿了，现在就想订机票", ("emoji", "doge")]),
        c("c16", "计划中", ["冬天去还是夏天去比较好？"]),
        c("c17", "好奇", ["楼主拍照用的什么手机？"]),
        c("c18", "本地人", ["成都人表示这家确实不错"]),
        c("c19", "宝妈", ["可以带小朋友去吗"]),
        c("c20", "行动派", ["收藏了，下个月就去！"]),
    ]


def extra_comments(start: int, count: int) -> list[Comment]:
    """Comments that arrive later (scrolling loads them)."""
    lines = ["刚刷到这篇，太及时了", "明天就出发", "这家店的毛肚真的很新鲜", "我也想去成都玩", "谢谢楼主的分享"]
    return [Comment(f"n{start + i:02d}", f"新朋友{i + 1}", [lines[i % len(lines)], ("emoji", "赞R")])
            for i in range(count)]


def many_comments(count: int) -> list[Comment]:
    """``count`` distinct comments, for the request-count test."""
    dishes = ["火锅", "串串", "兔头", "冰粉", "担担面", "钟水饺", "龙抄手", "甜水面", "蛋烘糕", "肥肠粉"]
    feelings = ["真的很好吃", "有点太辣了", "排队太久了", "价格很实惠", "下次还会再来"]
    return [Comment(f"m{i:03d}", f"用户{i}", [f"第{i}条：这家的{dishes[i % 10]}{feelings[(i // 10) % 5]}"])
            for i in range(count)]


SECOND_NOTE_PATH = "/explore/6790c0ffee00000000d4e5f6"
SECOND_TITLE = ["重庆洪崖洞夜景打卡"]
SECOND_DESC = ["晚上八点以后灯光最好看，记得早点去占位置。"]


def second_note_comments() -> list[Comment]:
    return [Comment("s01", "夜猫子", ["夜景太美了吧"]), Comment("s02", "路人甲", ["人会不会很多？"])]
