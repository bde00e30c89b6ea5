"""The cache package: keys and encodings, the SQLite backend, the LRU in front of it, threads, processes and
graceful degradation."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
from helpers import run_in_threads

from xhs_translate.cache import (
    CACHE_ENV,
    CacheWarning,
    MemoryCache,
    SqliteCache,
    comment_key,
    decode_comment,
    decode_segment,
    default_cache_path,
    encode_comment,
    encode_segment,
    open_cache,
    segment_key,
)
from xhs_translate.errors import CacheError
from xhs_translate.results import ModelOutput, Status, Translation


def key(segment, version="1.0", options="o", glossary="g", engine="int8"):
    return segment_key(f"translate-zh_en@{version}", "zh", "en", options, engine, glossary, segment)


def test_key_changes_with_every_part_and_normalises_the_segment():
    base = key("你好")
    assert key(" 你好 ") == base
    assert key("so  cute") == key("so cute")
    variants = {base, key("你好", version="1.1"), key("你好", options="p"), key("你好", glossary="h"), key("您好"),
                key("你好", engine="float32")}
    assert len(variants) == 6
    assert segment_key("p", "zh", "en", "o", "e", "g", "x") != segment_key("p", "en", "zh", "o", "e", "g", "x")


def test_comment_keys_tell_apart_every_part_and_never_run_text_into_mentions():
    base = comment_key("s", "auto", "auto", "hi @a", ("a",))
    others = {comment_key("t", "auto", "auto", "hi @a", ("a",)), comment_key("s", "zh", "auto", "hi @a", ("a",)),
              comment_key("s", "auto", "en", "hi @a", ("a",)), comment_key("s", "auto", "auto", "hi @a", ()),
              comment_key("s", "auto", "auto", "hi @a\x1fa", ())}
    assert base not in others and len(others) == 5
    assert comment_key("s", "auto", "auto", "x", ()) != comment_key("s", "auto", "auto", " x", ())  # exact text


def test_values_round_trip_and_unreadable_ones_are_misses():
    output = ModelOutput("hello", ("repetition_guarded",), -3.25, 4)
    assert decode_segment(encode_segment(output)) == output
    assert decode_segment(encode_segment(ModelOutput("x"))) == ModelOutput("x")  # no score: None, 0 tokens
    result = Translation("你好", "hello", "zh", "en", Status.TRANSLATED, ("glossary_applied",), 0.4375)
    assert decode_comment(encode_comment(result, 2), "你好") == (result, 2)
    same = Translation("hi", None, "en", "en", Status.SAME_LANGUAGE)
    assert decode_comment(encode_comment(same, 0), "hi") == (same, 0)
    for bad in (None, "", "[", "{}", '["x"]', '["x", [1]]', '["x", [], "-1", 2]', '["x", [], -1.0, 2.0]',
                '[null, "zh", "en", "nope", [], 0, null]', '["t", "zh", "en", "translated", [], "2", null]',
                '["t", "zh", "en", "translated", [], 2, "0.5"]', '["t", "zh", "en", "translated", [], 2]'):
        assert decode_segment(bad) is None and decode_comment(bad, "t") is None


def test_open_cache_maps_the_option_onto_a_backend(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "default.sqlite3"))
    assert open_cache(False) is None
    assert open_cache(None).path == tmp_path / "default.sqlite3"
    assert open_cache(tmp_path / "x.sqlite3").path == tmp_path / "x.sqlite3"
    backend = SqliteCache(tmp_path / "y.sqlite3")
    assert open_cache(backend) is backend
    with pytest.raises(CacheError, match="unsupported cache address"):
        open_cache("memcached://localhost")
    with pytest.raises(CacheError):
        open_cache(42)


def test_put_get_round_trip_and_persistence(tmp_path):
    path = tmp_path / "c.sqlite3"
    cache = MemoryCache(SqliteCache(path))
    assert cache.get_many("segments", [key("a")]) == {}
    cache.put_many("segments", {key("a"): "A", key("b"): "B"})
    cache.put_many("comments", {key("a"): "whole"})  # a table of its own
    assert cache.get_many("segments", [key("a"), key("b"), key("c")]) == {key("a"): "A", key("b"): "B"}
    assert cache.get_many("comments", [key("a"), key("b")]) == {key("a"): "whole"}
    cache.close()
    fresh = SqliteCache(path)  # no LRU in front: this reads the file
    assert fresh.get_many("segments", [key("b")]) == {key("b"): "B"}
    assert fresh.stats()["entries"] == {"segments": 2, "comments": 1}
    assert fresh.stats()["size_bytes"] > 0 and fresh.stats()["errors"] == 0
    assert fresh.path == path


def test_many_keys_are_looked_up_in_chunks(tmp_path):
    cache = MemoryCache(SqliteCache(tmp_path / "c.sqlite3"), size=10)
    items = {key(str(i)): f"v{i}" for i in range(1500)}
    cache.put_many("segments", items)
    assert cache.get_many("segments", items) == items
    assert cache.stats()["memory_entries"] == 10


def test_clear(tmp_path):
    cache = MemoryCache(SqliteCache(tmp_path / "c.sqlite3"))
    cache.put_many("segments", {key("a"): "A"})
    cache.put_many("comments", {key("a"): "A"})
    assert cache.clear() == 2
    assert cache.get_many("segments", [key("a")]) == {} and cache.get_many("comments", [key("a")]) == {}
    assert cache.stats()["entries"] == {"segments": 0, "comments": 0}


def test_default_path_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "x.db"))
    assert default_cache_path() == tmp_path / "x.db"
    monkeypatch.delenv(CACHE_ENV)
    assert default_cache_path().name == "translations.sqlite3"


def test_corrupt_file_degrades_with_one_warning(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    cache = MemoryCache(SqliteCache(path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache.put_many("segments", {key("a"): "A"})
        assert cache.get_many("segments", [key("b")]) == {}
        cache.put_many("segments", {key("b"): "B"})
        assert cache.get_many("segments", [key("a")]) == {key("a"): "A"}  # the in-memory layer still works
    assert [w.category for w in caught] == [CacheWarning]
    assert not cache.enabled and cache.error_count == 1
    assert path.read_bytes().startswith(b"this is not a database")  # never overwritten


def test_unwritable_location_degrades(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = SqliteCache(blocker / "sub" / "c.sqlite3")  # a parent that is a file: cannot mkdir
    with pytest.warns(CacheWarning):
        cache.put_many("segments", {key("a"): "A"})
    assert cache.stats()["entries"] is None


def test_threads_share_one_cache(tmp_path):
    cache = MemoryCache(SqliteCache(tmp_path / "c.sqlite3"), size=5)

    def work(n):  # every thread opens its first connection at once
        for i in range(30):
            cache.put_many("segments", {key(f"{n}-{i}"): f"{n}:{i}"})
            assert cache.get_many("segments", [key(f"{n}-{i}")]) == {key(f"{n}-{i}"): f"{n}:{i}"}

    run_in_threads(work, 6)
    assert cache.enabled
    assert cache.stats()["entries"]["segments"] == 180
    cache.close()


WRITER = """
import sys
from xhs_translate.cache import SqliteCache, segment_key
cache = SqliteCache(sys.argv[1])
for i in range(200):
    cache.put_many("segments",
                   {segment_key("p", "zh", "en", "o", "e", "g", f"{sys.argv[2]}-{i}-{j}"): "x" for j in range(5)})
assert cache.enabled, "cache was disabled"
print("ok")
"""


def test_two_processes_write_at_once(tmp_path):
    path = tmp_path / "c.sqlite3"
    procs = [
        subprocess.Popen([sys.executable, "-W", "error::UserWarning", "-c", WRITER, str(path), name],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("a", "b")
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert SqliteCache(path).stats()["entries"]["segments"] == 2000
