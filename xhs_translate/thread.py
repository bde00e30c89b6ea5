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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import FieldCollisionError, InputError, ThreadMismatchError

CHILD_FIELDS = ("sub_comments", "replies")
MENTIONS_FIELD = "at_users"
_IMMUTABLE = frozenset({str, int, float, bool, bytes, type(None)})
T = TypeVar("T")
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


def reply_lists(comment: Mapping[str, Any], children_fields: Sequence[str] = CHILD_FIELDS) -> list[tuple[str, list]]:
    """A comment's replies: each non-empty list under a child field, as (field, list), in ``children_fields`` order
    (not the comment's key order), so that every walk of a thread meets its replies in one order."""
    found = []
    for name in children_fields:
        value = comment.get(name)
        if value and isinstance(value, list):
            found.append((name, value))
    return found


class _Leave:
    __slots__ = ("node",)

    def __init__(self, node: Any):
        self.node = node


def walk_tree(roots: Iterable[T], children: Callable[[T], Sequence[T]],
              leave: Callable[[T], object] | None = None) -> Iterator[T]:
    """Every node of a tree in pre-order (a node, then each of its children's subtrees in order), with an explicit
    stack, so that no depth exhausts Python's recursion limit: the one walk of comment threads (flatten, rebuild,
    the HTML page's tree, the server's counts).

    ``children(node)`` is called once the loop body has handled ``node``, before the next node comes, so it may use
    what the body made of it. ``leave(node)``, when given, is called once every node below ``node`` has come (only
    for nodes with children): a walk can keep the path from a root to the current node."""
    stack: list[Any] = list(roots)
    stack.reverse()
    while stack:
        node = stack.pop()
        if type(node) is _Leave:
            leave(node.node)  # type: ignore[misc]  # only pushed when leave is given
            continue
        yield node
        below = children(node)
        if below:
            if leave is not None:
                stack.append(_Leave(node))
            stack.extend(reversed(below))


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

    # A node is (comment, label, parent id, depth); label None means "by position", known when the comment is reached.
    def replies(node: tuple) -> list[tuple]:
        comment, where, _, depth = node
        found = reply_lists(comment, children_fields)
        if not found:
            return []
        on_path.add(id(comment))
        comment_id = flat[-1].comment_id  # the body has just flattened this comment
        if id_field in comment:
            prefix: str | None = repr(comment_id)
        else:
            prefix = where if depth < _PATH_LABEL_DEPTH else None
        return [(reply, None if prefix is None else f"{prefix}.{name}[{i}]", comment_id, depth + 1)
                for name, value in found for i, reply in enumerate(value)]

    def leave(node: tuple) -> None:
        on_path.discard(id(node[0]))

    for index, root in enumerate(roots):
        root_label = f"#{index}"
        for comment, where, parent_id, depth in walk_tree([(root, root_label, None, 0)], replies, leave):
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
    return Thread(roots=roots, comments=tuple(flat))


def rebuild_thread(
    thread: Thread,
    added: Sequence[Mapping[str, Any]],
    children_fields: Sequence[str] = CHILD_FIELDS,
) -> list[dict]:
    """New comment dicts in the same order and nesting: the original fields deep-copied, plus ``added[i]`` for
    ``thread.comments[i]``, whose values are used as they are (callers build them fresh for each comment).
    ``added[i]`` is read only when comment ``i`` is built, so a lazy sequence never holds every mapping at once.

    The thread is walked in ``flatten_thread``'s order (replies by ``children_fields``, not by key order), so the
    i-th comment met is ``thread.comments[i]``, a dict met twice included; each new dict keeps its original's key
    order. ThreadMismatchError when ``added`` or ``children_fields`` do not match the flattened thread."""
    comments = thread.comments
    if len(added) != len(comments):
        raise ThreadMismatchError(f"one mapping of added fields per flattened comment is required: {len(added)} "
                                  f"for {len(comments)} comments")
    out: list[dict] = []
    built: dict = {}  # the new dict of the comment the loop body has just built

    def replies(node: tuple[Mapping[str, Any], list]) -> list[tuple[Mapping[str, Any], list]]:
        return [(reply, built[name]) for name, value in reply_lists(node[0], children_fields) for reply in value]

    i = -1
    for i, (comment, siblings) in enumerate(walk_tree([(root, out) for root in thread.roots], replies)):
        if i >= len(comments) or comments[i].source is not comment:
            raise ThreadMismatchError("the thread's replies do not match its flattened comments "
                                      "(rebuild with the children_fields it was flattened with)")
        comment_id = comments[i].comment_id
        built = {}
        for key, value in comment.items():
            if key in children_fields and isinstance(value, list):  # replies (reply_lists' rule), filled by the walk
                built[key] = []
            else:
                built[key] = value if type(value) in _IMMUTABLE else _copy_field(value, key, comment_id)
        built.update(added[i])
        siblings.append(built)
    if i + 1 != len(comments):
        raise ThreadMismatchError("the thread's replies do not match its flattened comments "
                                  "(rebuild with the children_fields it was flattened with)")
    return out
