"""Flattening threads and rebuilding them without touching the caller's objects."""

from __future__ import annotations

import copy

import pytest

from xhs_translate.errors import InputError, ThreadMismatchError, XhsTranslateError
from xhs_translate.thread import flatten_thread, rebuild_thread, walk_tree

NESTED = [
    {
        "id": "a",
        "content": "top @Nick Name 😀 hi",
        "at_users": [{"user_id": "u1", "nickname": "Nick Name 😀"}, "junk", {"user_id": "u2"}],
        "sub_comments": [
            {"id": "b", "content": "reply", "replies": [{"id": "c", "content": None}]},
            {"id": "d", "content": "reply 2", "pictures": [{"url": "x"}]},
        ],
        "sub_comment_count": "2",
    },
    {"id": "e", "content": 5},
]


def test_flatten_is_preorder_with_parents_depths_and_mentions():
    thread = flatten_thread(NESTED, id_field="id", text_field="content")
    assert [c.comment_id for c in thread.comments] == ["a", "b", "c", "d", "e"]
    assert [c.parent_id for c in thread.comments] == [None, "a", "b", "a", None]
    assert [c.depth for c in thread.comments] == [0, 1, 2, 1, 0]
    assert thread.comments[0].mentions == ("Nick Name 😀",)
    assert thread.comments[2].text is None and thread.comments[4].text == 5


def test_flat_mediacrawler_parent_field_is_read():
    rows = [{"comment_id": "1", "parent_comment_id": 0, "content": "x"}, {"comment_id": "2", "parent_comment_id": "1"}]
    thread = flatten_thread(iter(rows))
    assert [c.parent_id for c in thread.comments] == [0, "1"]


def test_rebuild_keeps_everything_and_never_mutates():
    original = copy.deepcopy(NESTED)
    thread = flatten_thread(NESTED, id_field="id")
    out = rebuild_thread(thread, [{"translation": str(i), "translation_flags": []} for i in range(5)])
    assert original == NESTED
    assert out[0]["sub_comments"][0]["replies"][0]["translation"] == "2"
    assert out[0]["sub_comments"][1]["pictures"] == [{"url": "x"}]
    for new, old in ((out[0], NESTED[0]), (out[1], NESTED[1])):
        assert {k: v for k, v in new.items() if k in old and k != "sub_comments"} == {
            k: v for k, v in old.items() if k != "sub_comments"
        }
    out[0]["sub_comments"][1]["pictures"][0]["url"] = "changed"
    out[0]["at_users"].append("new")
    assert original == NESTED


@pytest.mark.parametrize("bad", [["not a dict"], [{"id": 1, "replies": [3]}]])
def test_non_dict_comments_raise_input_error(bad):
    with pytest.raises(InputError):
        flatten_thread(bad, id_field="id")


@pytest.mark.parametrize("bad", ["a string", {"comment_id": 1}, 42])
def test_non_iterables_raise_input_error(bad):
    with pytest.raises(InputError):
        flatten_thread(bad)


# --- depth, cycles and labels (issue 10 §3.2, §3.3, §3.12) -------------------------------------------------


def chain(depth: int, with_ids: bool) -> dict:
    """A reply chain ``depth`` levels deep, the innermost comment first built."""
    comment: dict = {"content": f"level {depth}"}
    for level in range(depth - 1, -1, -1):
        comment = {"content": f"level {level}", "sub_comments": [comment]}
        if with_ids:
            comment["comment_id"] = f"c{level}"
    return comment


@pytest.mark.parametrize("with_ids", [True, False])
def test_a_reply_chain_far_deeper_than_the_recursion_limit_flattens_and_rebuilds(with_ids):
    depth = 20_000
    thread = flatten_thread([chain(depth, with_ids)])
    assert [c.depth for c in thread.comments] == list(range(depth + 1))
    # labels of comments without ids stay short however deep (they grew by a repr() per level: exponential)
    assert max(len(str(c.comment_id)) for c in thread.comments) < 200
    assert len({str(c.comment_id) for c in thread.comments}) == depth + 1  # one label per comment
    assert all(c.parent_id == p.comment_id for p, c in zip(thread.comments, thread.comments[1:]))
    out = rebuild_thread(thread, [{"n": i} for i in range(depth + 1)])
    node, level = out[0], 0
    while True:
        assert node["n"] == level and node["content"] == f"level {level}"
        if "sub_comments" not in node:
            break
        node, level = node["sub_comments"][0], level + 1
    assert level == depth


def test_labels_of_replies_without_ids_name_their_place():
    thread = flatten_thread([{"content": "a", "replies": [{"content": "b"}, {"content": "c", "replies": [{}]}]}])
    labels = ["#0", "#0.replies[0]", "#0.replies[1]", "#0.replies[1].replies[0]"]
    assert [c.comment_id for c in thread.comments] == labels
    assert [c.parent_id for c in thread.comments] == [None, "#0", "#0", "#0.replies[1]"]
    deep = flatten_thread([chain(12, with_ids=False)]).comments
    assert deep[8].comment_id == "#0" + ".sub_comments[0]" * 8
    assert deep[9].comment_id == "#0…[9]" and deep[12].comment_id == "#0…[12]"


def test_a_comment_that_contains_itself_is_an_input_error():
    looped: dict = {"comment_id": "a", "content": "x", "sub_comments": []}
    looped["sub_comments"].append({"comment_id": "b", "replies": [looped]})
    with pytest.raises(InputError, match=r"contains itself .*cycle"):
        flatten_thread([looped])
    itself: dict = {"content": "x", "replies": []}
    itself["replies"].append(itself)
    with pytest.raises(InputError, match="cycle"):
        flatten_thread([itself])


def test_a_dict_in_two_places_is_no_cycle_and_gets_each_occurrence_its_values():
    shared = {"comment_id": "s", "content": "shared"}
    roots = [{"comment_id": "a", "replies": [shared]}, {"comment_id": "b", "replies": [shared]}, shared]
    thread = flatten_thread(roots)
    assert [c.comment_id for c in thread.comments] == ["a", "s", "b", "s", "s"]
    out = rebuild_thread(thread, [{"n": i} for i in range(5)])
    assert [out[0]["replies"][0]["n"], out[1]["replies"][0]["n"], out[2]["n"]] == [1, 3, 4]


def test_a_deep_value_in_another_field_is_copied_without_recursion():
    deep: list = []
    for _ in range(5_000):
        deep = [{"x": deep}]
    comment = {"comment_id": "a", "content": "hi", "meta": deep}
    out = rebuild_thread(flatten_thread([comment]), [{"n": 0}])
    copied, original, levels = out[0]["meta"], deep, 0
    while original:  # == would recurse
        assert copied is not original and copied[0] is not original[0] and len(copied) == 1
        copied, original, levels = copied[0]["x"], original[0]["x"], levels + 1
    assert copied == [] and levels == 5_000
    shared = [1, 2]
    looped: dict = {"both": [shared, shared]}
    looped["self"] = looped
    copied = rebuild_thread(flatten_thread([{"content": "x", "meta": looped}]), [{}])[0]["meta"]
    assert copied["both"][0] is copied["both"][1] and copied["self"] is copied and copied is not looped


def test_a_deep_value_deepcopy_cannot_copy_is_an_input_error_naming_the_field():
    deep: tuple = ()
    for _ in range(20_000):
        deep = (deep,)
    with pytest.raises(InputError, match=r"comment 'a': the field 'meta' is nested too deeply"):
        rebuild_thread(flatten_thread([{"comment_id": "a", "meta": deep}]), [{}])


def test_a_comment_with_both_replies_and_sub_comments_round_trips():
    """Issue 23 §4: rebuild_thread walked replies in key order, flatten_thread in CHILD_FIELDS order; a comment
    holding both lists (``replies`` first in its keys) was untested. Each list keeps its own replies, in order, with
    their own added values; the new dict keeps the original's key order; the caller's objects are untouched."""
    both = [{"comment_id": "a", "replies": [{"comment_id": "r1"}, {"comment_id": "r2", "sub_comments": [
                {"comment_id": "r2s"}]}],
             "content": "x", "sub_comments": [{"comment_id": "s1", "replies": []}], "like_count": 3},
            {"comment_id": "b"}]
    before = copy.deepcopy(both)
    thread = flatten_thread(both)
    assert [c.comment_id for c in thread.comments] == ["a", "s1", "r1", "r2", "r2s", "b"]  # sub_comments first
    assert [c.parent_id for c in thread.comments] == [None, "a", "a", "a", "r2", None]
    out = rebuild_thread(thread, [{"n": c.comment_id} for c in thread.comments])
    assert both == before
    assert list(out[0]) == ["comment_id", "replies", "content", "sub_comments", "like_count", "n"]
    assert [r["n"] for r in out[0]["replies"]] == ["r1", "r2"] and out[0]["replies"][1]["sub_comments"][0]["n"] == "r2s"
    assert [r["n"] for r in out[0]["sub_comments"]] == ["s1"] and out[0]["sub_comments"][0]["replies"] == []
    strip = [{k: v for k, v in c.items() if k != "n"} for c in out]
    assert strip[0]["content"] == "x" and strip[0]["like_count"] == 3 and strip[1] == {"comment_id": "b"}
    assert out[0]["replies"] is not both[0]["replies"] and out[0]["replies"][0] is not both[0]["replies"][0]


def test_a_dict_under_both_reply_lists_gets_each_occurrence_its_own_values():
    """The same dict under ``replies`` (first in key order) and ``sub_comments``: each occurrence gets the values of
    its own place in flatten_thread's order. Walking replies in key order gave the ``replies`` occurrence the
    ``sub_comments`` one's values."""
    shared = {"comment_id": "x", "content": "shared"}
    thread = flatten_thread([{"comment_id": "a", "replies": [shared], "sub_comments": [{"comment_id": "y"}, shared]}])
    assert [c.comment_id for c in thread.comments] == ["a", "y", "x", "x"]
    out = rebuild_thread(thread, [{"n": i} for i in range(4)])
    assert out[0]["sub_comments"][0]["n"] == 1 and out[0]["sub_comments"][1]["n"] == 2
    assert out[0]["replies"][0]["n"] == 3


def test_added_fields_that_do_not_match_the_thread_are_a_clear_error():
    """Issue 23 §4: a plain ValueError; now ours (and still a ValueError for callers that catch one)."""
    thread = flatten_thread(NESTED, id_field="id")
    with pytest.raises(ThreadMismatchError, match="one mapping of added fields per flattened comment") as caught:
        rebuild_thread(thread, [{}])
    assert isinstance(caught.value, XhsTranslateError) and isinstance(caught.value, ValueError)
    with pytest.raises(ThreadMismatchError, match="children_fields"):
        rebuild_thread(thread, [{}] * len(thread.comments), children_fields=("replies",))


def test_walk_tree_is_preorder_at_any_depth_and_leaves_after_the_subtree():
    children = {0: [1, 4], 1: [2, 3], 4: [5]}
    left: list[int] = []
    seen = []
    for node in walk_tree([0, 6], lambda n: children.get(n, []), left.append):
        seen.append(node)
    assert seen == [0, 1, 2, 3, 4, 5, 6]
    assert left == [1, 4, 0]  # only nodes with children, each once everything below it has come
    depth = 200_000  # far past the recursion limit
    assert sum(1 for _ in walk_tree([0], lambda n: [n + 1] if n < depth else [])) == depth + 1
