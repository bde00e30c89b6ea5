"""Flatten comment threads (flat MediaCrawler exports or nested raw-API threads) and rebuild them with new fields.

The caller's objects are never touched: ``flatten_thread`` only reads them, and ``rebuild_thread``
builds new dicts (and new lists for nested replies), deep-copying every original value, so that
adding ``translation`` to a reply can never show up in the caller's data.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import FieldCollisionError, InputError

CHILD_FIELDS = ("sub_comments", "replies")
FLAGS_FIELD = "translation_flags"  # a list of plain words (CSV joins it with ";")
#: The fields ``Translator.translate_thread`` adds to each comment, in this order (``Translation.as_fields``).
TRANSLATION_FIELDS = ("source_lang", "target_lang", "translation", "translation_status", FLAGS_FIELD)
#: A translation's score from the model, 0-1 (issue 15); the HTML page shows it in a tooltip.
CONFIDENCE_FIELD = "translation_confidence"
#: The fields ``xhs-translate detect`` adds to each record.
DETECTION_FIELDS = ("source_lang", "confidence", "script", "mixed")
MENTIONS_FIELD = "at_users"
_IMMUTABLE = frozenset({str, int, float, bool, bytes, type(None)})


def _copy(value: Any) -> Any:
    """``copy.deepcopy``, minus its dispatch for immutable scalars (most comment fields): a warm-cache thread
    is mostly copying, and this makes the copy several times cheaper with the same result."""
    return value if type(value) in _IMMUTABLE else copy.deepcopy(value)


@dataclass(frozen=True, slots=True)
class FlatComment:
    """One comment of a thread, in pre-order (a comment, then its nested replies)."""

    source: Mapping[str, Any]  # the caller's dict: read, never written
    comment_id: Any
    parent_id: Any
    depth: int
    text: Any  # the raw value of the text field; None when missing
    mentions: tuple[str, ...]  # exact @nicknames from at_users, for split_spans


@dataclass(frozen=True)
class Thread:
    """The caller's top-level comments and every comment of the thread, flattened."""

    roots: tuple[Mapping[str, Any], ...]
    comments: tuple[FlatComment, ...]


def added_fields(names: Sequence[str], prefix: str = "") -> tuple[str, ...]:
    """``names`` as they are added to comments: each with ``prefix`` (the ``field_prefix`` option) in front."""
    if not isinstance(prefix, str):
        raise InputError(f"field_prefix must be a str, got {type(prefix).__name__}")
    return tuple(prefix + name for name in names)


def check_fields_free(fields: Iterable[str], added: Sequence[str], comment_id: object = None,
                      owner: str | None = None) -> None:
    """Raise FieldCollisionError when a record's ``fields`` already hold one of the ``added`` names:
    every original field must come out untouched, so nothing may be overwritten."""
    present = fields if isinstance(fields, Mapping) else set(fields)  # a dict answers `in` without a copy
    taken = tuple(name for name in added if name in present)
    if taken:
        raise FieldCollisionError(taken, comment_id, owner)


def _mentions(comment: Mapping[str, Any]) -> tuple[str, ...]:
    users = comment.get(MENTIONS_FIELD)
    if not isinstance(users, list):
        return ()
    names = []
    for user in users:
        if isinstance(user, Mapping):
            name = user.get("nickname", user.get("nick_name"))
            if isinstance(name, str) and name.strip():
                names.append(name)
    return tuple(names)


def _children(comment: Mapping[str, Any], children_fields: Sequence[str]) -> Iterable[tuple[str, list]]:
    for name in children_fields:
        value = comment.get(name)
        if isinstance(value, list):
            yield name, value


def flatten_thread(
    comments: Iterable[Any],
    id_field: str = "comment_id",
    text_field: str = "content",
    parent_field: str = "parent_comment_id",
    children_fields: Sequence[str] = CHILD_FIELDS,
    added: Sequence[str] = (),
) -> Thread:
    """Read any iterable of comment dicts (a generator too, consumed once). A non-dict raises InputError;
    a comment that already has one of the ``added`` fields (those the caller will add) FieldCollisionError."""
    if isinstance(comments, (str, bytes, Mapping)):
        raise InputError(f"comments must be an iterable of comment dicts, not a single {type(comments).__name__}")
    try:
        roots = tuple(comments)
    except TypeError as exc:
        raise InputError(f"comments must be an iterable of comment dicts: {exc}") from exc
    flat: list[FlatComment] = []

    def visit(comment: Any, where: str, parent_id: Any, depth: int) -> None:
        if not isinstance(comment, Mapping):
            raise InputError(f"comment {where} is a {type(comment).__name__}, not a dict", comment_id=where)
        comment_id = comment.get(id_field, where)
        if added:
            check_fields_free(comment, added, comment_id)
        parent = comment.get(parent_field, parent_id)
        flat.append(FlatComment(comment, comment_id, parent, depth, comment.get(text_field), _mentions(comment)))
        for name, replies in _children(comment, children_fields):
            for i, reply in enumerate(replies):
                visit(reply, f"{comment_id!r}.{name}[{i}]", comment_id, depth + 1)

    for index, root in enumerate(roots):
        visit(root, f"#{index}", None, 0)
    return Thread(roots=roots, comments=tuple(flat))


def rebuild_thread(
    thread: Thread,
    added: Sequence[Mapping[str, Any]],
    children_fields: Sequence[str] = CHILD_FIELDS,
) -> list[dict]:
    """New comment dicts in the same order and nesting: the original fields deep-copied, plus ``added[i]`` for
    ``thread.comments[i]``, whose values are used as they are (callers build them fresh for each comment)."""
    if len(added) != len(thread.comments):
        raise ValueError("one mapping of added fields per flattened comment is required")
    fields_by_id: dict[int, Mapping[str, Any]] = {}
    more_by_id: dict[int, list[Mapping[str, Any]]] = {}  # a dict that appears again gets its own values
    for flat, extra in zip(thread.comments, added):
        if id(flat.source) in fields_by_id:
            more_by_id.setdefault(id(flat.source), []).append(extra)
        else:
            fields_by_id[id(flat.source)] = extra

    def build(comment: Mapping[str, Any]) -> dict:
        new = {  # replies: what _children yields (a list under a child field)
            key: [build(reply) for reply in value] if key in children_fields and isinstance(value, list) else _copy(value)
            for key, value in comment.items()
        }
        more = more_by_id.get(id(comment))
        new.update(more.pop() if more else fields_by_id[id(comment)])  # each occurrence its own (fresh) values
        return new

    return [build(root) for root in thread.roots]
