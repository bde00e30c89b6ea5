"""Flattening threads and rebuilding them without touching the caller's objects."""

from __future__ import annotations

import copy

import pytest

from xhs_translate.errors import InputError
from xhs_translate.thread import flatten_thread, rebuild_thread

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
    assert NESTED == original
    assert out[0]["sub_comments"][0]["replies"][0]["translation"] == "2"
    assert out[0]["sub_comments"][1]["pictures"] == [{"url": "x"}]
    for new, old in ((out[0], NESTED[0]), (out[1], NESTED[1])):
        assert {k: v for k, v in new.items() if k in old and k != "sub_comments"} == {
            k: v for k, v in old.items() if k != "sub_comments"
        }
    out[0]["sub_comments"][1]["pictures"][0]["url"] = "changed"
    out[0]["at_users"].append("new")
    assert NESTED == original


@pytest.mark.parametrize("bad", [["not a dict"], [{"id": 1, "replies": [3]}]])
def test_non_dict_comments_raise_input_error(bad):
    with pytest.raises(InputError):
        flatten_thread(bad, id_field="id")


@pytest.mark.parametrize("bad", ["a string", {"comment_id": 1}, 42])
def test_non_iterables_raise_input_error(bad):
    with pytest.raises(InputError):
        flatten_thread(bad)
