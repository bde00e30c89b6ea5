"""Flatten comment threads (flat MediaCrawler exports or nested raw-API threads) and rebuild them with new fields.

The caller's objects are never touched: ``flatten_thread`` only reads them, and ``rebuild_thread``
builds new dicts (and new lists for nested replies), deep-copying every original value, so that
adding ``translation`` to a reply can never show up in the caller's data.

Both walk the thread with an explicit stack, and values are copied with one, so that no depth of nesting
(replies of replies, or a deep value in some other field) can exhaust Python's recursion limit; a comment
that contains itself through its replies is an InputError, not an endless walk.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import FieldCollisionError, InputError

CHILD_FIELDS = ("sub_comments", "replies")
MENTIONS_FIELD = "at_users"
_IMMUTABLE = frozenset({str, int, float, bool, bytes, type(None)})
#: Down to this many levels a reply without an id is labelled by its path (``#0.sub_comments[1]``); deeper, by its
#: root and its position in the flattened thread (``#0…[5012]``), so that labels stay short however deep a thread is.
_PATH_LABEL_DEPTH = 8


def _copy(value: Any) -> Any:
    """``copy.deepcopy``, minus its dispatch for immutable scalars (most comment fields): a warm-cache thread
    is mostly copying, and this makes the copy several times cheaper with the same result.

    Plain dicts and lists, the only containers JSON gives, are copied with an explicit stack, so that a value
    nested thousands of levels deep is copied like any other; shared and self-containing ones stay shared and
    self-containing, as deepcopy keeps them. Other types go to ``copy.deepcopy``."""
    kind = type(value)
    if kind in _IMMUTABLE:
        return value
    if kind is not dict and kind is not list:
        return copy.deepcopy(value)
    memo: dict[int, Any] = {}
    stack: list[tuple[Any, Any]] = []

    def new(item: Any) -> Any:
        kind = type(item)
        if kind in _IMMUTABLE:
            return item
        if kind is dict or kind is list:
            found = memo.get(id(item))
            if found is None:
                found = memo[id(item)] = {} if kind is dict else []
                stack.append((item, found))
            return found
        return copy.deepcopy(item, memo)  # may meet a dict or list already copied: the memo keeps it shared

    root = new(value)
    while stack:
        source, target = stack.pop()
        if type(source) is dict:
            for key, item in source.items():
                target[key] = new(item)
        else:
            target.extend(new(item) for item in source)
    return root


def _copy_field(value: Any, key: Any, comment_id: Any) -> Any:
    try:
        return _copy(value)
    except RecursionError:  # a deep value of a type deepcopy recurses into (tuples, custom classes)
        raise InputError(
            f"comment {comment_id!r}: the field {key!r} is nested too deeply to copy "
            f"(use plain dicts and lists for deep values)", comment_id=comment_id) from None


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


def flatten_thread(
    comments: Iterable[Any],
    id_field: str = "comment_id",
    text_field: str = "content",
    parent_field: str = "parent_comment_id",
    children_fields: Sequence[str] = CHILD_FIELDS,
    added: Sequence[str] = (),
) -> Thread:
    """Read any iterable of comment dicts (a generator too, consumed once). A non-dict raises InputError;
    a comment that already has one of the ``added`` fields (those the caller will add) FieldCollisionError;
    a comment that is its own reply (directly or further down) InputError.

    A comment without an id is labelled by where it is (``#0`` for the first top-level comment,
    ``#0.sub_comments[1]`` for its second reply, ``#0…[5012]`` past a few levels): the label stands in for
    the id in messages and as the parent of its replies."""
    if isinstance(comments, (str, bytes, Mapping)):
        raise InputError(f"comments must be an iterable of comment dicts, not a single {type(comments).__name__}")
    try:
        roots = tuple(comments)
    except TypeError as exc:
        raise InputError(f"comments must be an iterable of comment dicts: {exc}") from exc
    flat: list[FlatComment] = []
    on_path: set[int] = set()  # id() of the comments from the current one up to its root: the cycle check
    for index, root in enumerate(roots):
        root_label = f"#{index}"
        # (comment, label, parent id, depth): label None means "by position", known when the comment is reached;
        # an int entry is the id() of a comment whose replies are all visited, to take off the path
        stack: list[Any] = [(root, root_label, None, 0)]
        while stack:
            item = stack.pop()
            if type(item) is int:
                on_path.discard(item)
                continue
            comment, where, parent_id, depth = item
            if where is None:
                where = f"{root_label}…[{len(flat)}]"
            if not isinstance(comment, Mapping):
                raise InputError(f"comment {where} is a {type(comment).__name__}, not a dict", comment_id=where)
            if id(comment) in on_path:
                raise InputError(f"comment {where} contains itself through its replies (a cycle)", comment_id=where)
            comment_id = comment.get(id_field, where)
            if added:
                check_fields_free(comment, added, comment_id)
            flat.append(FlatComment(comment, comment_id, comment.get(parent_field, parent_id), depth,
                                    comment.get(text_field), _mentions(comment)))
            replies = None
            for name in children_fields:  # replies: a non-empty list under a child field
                value = comment.get(name)
                if value and isinstance(value, list):
                    replies = [(name, value)] if replies is None else [*replies, (name, value)]
            if replies is None:
                continue
            on_path.add(id(comment))
            stack.append(id(comment))
            if id_field in comment:
                prefix: str | None = repr(comment_id)
            else:
                prefix = where if depth < _PATH_LABEL_DEPTH else None
            for name, value in reversed(replies):
                stack.extend((reply, None if prefix is None else f"{prefix}.{name}[{i}]", comment_id, depth + 1)
                             for i, reply in reversed(list(enumerate(value))))
    return Thread(roots=roots, comments=tuple(flat))


def rebuild_thread(
    thread: Thread,
    added: Sequence[Mapping[str, Any]],
    children_fields: Sequence[str] = CHILD_FIELDS,
) -> list[dict]:
    """New comment dicts in the same order and nesting: the original fields deep-copied, plus ``added[i]`` for
    ``thread.comments[i]``, whose values are used as they are (callers build them fresh for each comment).
    ``added[i]`` is read only when comment ``i`` is built, so a lazy sequence never holds every mapping at once."""
    if len(added) != len(thread.comments):
        raise ValueError("one mapping of added fields per flattened comment is required")
    # Pre-order, like flatten_thread: a dict that appears more than once gets its occurrences' values in turn.
    index_by_id: dict[int, int] = {}
    again: dict[int, deque[int]] = {}  # the second and later occurrences
    for i, flat in enumerate(thread.comments):
        if id(flat.source) in index_by_id:
            again.setdefault(id(flat.source), deque()).append(i)
        else:
            index_by_id[id(flat.source)] = i
    out: list[dict] = []
    stack: list[tuple[Mapping[str, Any], list]] = [(root, out) for root in reversed(thread.roots)]
    while stack:
        comment, siblings = stack.pop()
        i = index_by_id.pop(id(comment), None)
        if i is None:
            i = again[id(comment)].popleft()
        comment_id = thread.comments[i].comment_id
        new: dict = {}
        replies: list[tuple[Mapping[str, Any], list]] = []
        for key, value in comment.items():
            if key in children_fields and isinstance(value, list):  # replies (flatten_thread's rule)
                new[key] = []
                replies.extend((reply, new[key]) for reply in value)
            else:
                new[key] = value if type(value) in _IMMUTABLE else _copy_field(value, key, comment_id)
        new.update(added[i])
        siblings.append(new)
        stack.extend(reversed(replies))
    return out
