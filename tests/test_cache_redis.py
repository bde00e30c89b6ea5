"""The Redis cache backend against a real redis-server (the ``redis_server`` fixture): the same entries and
results as SQLite, batched round trips, TTL, a clear that leaves other keys alone, a Redis that is down at start
or goes away mid-run, and two processes sharing it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import warnings

import pytest
from helpers import wait_for

from xhs_translate.cache import CacheWarning, RedisCache, open_cache, parse_ttl, segment_key
from xhs_translate.cli import main
from xhs_translate.errors import CacheError, CacheTableError
from xhs_translate.translator import Translator

PREFIX = "xhs-translate:v1"
COMMENTS = [
    {"comment_id": "1", "content": "这家店的拿铁真的好喝，周末还会再来 #咖啡", "parent_comment_id": "0"},
    {"comment_id": "2", "content": "Where is this cafe? It looks so cozy", "parent_comment_id": "1"},
    {"comment_id": "3", "content": "在静安寺附近。推荐燕麦拿铁！", "parent_comment_id": "2"},
    {"comment_id": "4", "content": "😋😋[赞R]", "parent_comment_id": "1"},
    {"comment_id": "5", "content": "哈哈哈 same here, 周末见", "parent_comment_id": "0"},
    {"comment_id": "6", "content": None, "parent_comment_id": "0"},
]


def many_comments(count: int, tag: str = "") -> list[dict]:
    """Distinct comments (written for these tests), Chinese and English in turn."""
    return [{"comment_id": f"{tag}{i}", "content": f"第{i}杯咖啡{tag}很好喝" if i % 2 else f"Cup {i} {tag} good!"}
            for i in range(count)]


def key(text: str) -> str:
    return segment_key("translate-zh_en@1.0", "zh", "en", "o", "int8", "g", text)


def test_redis_stores_exactly_what_sqlite_stores(models_dir, tmp_path, redis_server):
    with Translator(models_dir=models_dir, cache=tmp_path / "c.sqlite3") as on_file:
        from_file = on_file.translate_thread(COMMENTS)
        file_stats = on_file.cache.stats()
    with Translator(models_dir=models_dir, cache=redis_server.url) as on_redis:
        from_redis = on_redis.translate_thread(COMMENTS)
        assert on_redis.stats() == on_file.stats()
        assert on_redis.cache.stats()["entries"] == file_stats["entries"]
    assert from_redis == from_file
    client = redis_server.client()
    with sqlite3.connect(tmp_path / "c.sqlite3") as db:
        for table, name in (("segments", "translations"), ("comments", "comments")):
            stored = dict(db.execute(f"SELECT key, value FROM {name}").fetchall())
            assert stored and {k: client.get(f"{PREFIX}:{table}:{k}") for k in stored} == stored
    again = Translator(models_dir=models_dir, cache=redis_server.url)  # a new process would see the same
    assert again.translate_thread(COMMENTS) == from_file
    assert again.stats()["segments_translated"] == 0 and again.stats()["comment_hits"] == 5


def test_backend_round_trip_stats_and_close(redis_server):
    cache = RedisCache(redis_server.url)
    assert cache.get_many("segments", [key("a")]) == {}
    cache.put_many("segments", {key("a"): "A", key("b"): "lone \ud800 surrogate"})
    cache.put_many("comments", {key("a"): "whole"})
    found = cache.get_many("segments", [key("a"), key("b"), key("c")])
    assert found == {key("a"): "A", key("b"): "lone \ud800 surrogate"}
    assert cache.get_many("comments", [key("a"), key("b")]) == {key("a"): "whole"}
    cache.close()  # reconnects on next use
    assert cache.stats()["entries"] == {"segments": 2, "comments": 1}
    assert cache.stats()["errors"] == 0 and cache.enabled and cache.stats()["ttl"] is None
    assert redis_server.client().ttl(f"{PREFIX}:segments:{key('a')}") == -1  # no expiry by default
    with pytest.raises(CacheTableError, match="no cache table 'nope'"):  # issue 23 §4: was a bare KeyError
        cache.get_many("nope", [key("a")])


def test_lookups_and_writes_are_one_command_each_however_many_segments(models_dir, redis_server):
    comments = many_comments(150)
    translator = Translator(models_dir=models_dir, cache=redis_server.url)
    redis_server.reset_calls()
    translator.translate_thread(comments)
    stats = translator.stats()
    assert stats["segments_translated"] == 150
    # One MGET for the whole comments, one per route (zh->en, en->zh) for segments; one MSET per route and one
    # for the comments: never a command per segment.
    assert redis_server.calls() == {"mget": 3, "mset": 3}
    warm = Translator(models_dir=models_dir, cache=redis_server.url)
    redis_server.reset_calls()
    assert warm.translate_thread(comments) == translator.translate_thread(comments)
    assert redis_server.calls() == {"mget": 1}  # every comment whole from one MGET
    assert warm.stats()["comment_hits"] == 150


def test_a_huge_lookup_is_one_pipeline_of_mgets(redis_server):
    cache = RedisCache(redis_server.url)
    items = {key(str(i)): f"v{i}" for i in range(25_000)}
    cache.put_many("segments", items)
    redis_server.reset_calls()
    assert cache.get_many("segments", items) == items
    assert redis_server.calls() == {"mget": 3}  # 10,000 keys each, sent together
    assert cache.stats()["entries"]["segments"] == 25_000


def test_ttl_from_the_address_or_the_option(redis_server):
    assert parse_ttl("30d") == 30 * 86_400 and parse_ttl("90m") == 5_400 and parse_ttl(" 12H ") == 43_200
    assert parse_ttl("3600") == parse_ttl(3600) == 3600 and parse_ttl("2w") == 14 * 86_400 and parse_ttl(None) is None
    for bad in ("0", "-5", "30x", "d", "", 1.5, True):
        with pytest.raises(CacheError):
            parse_ttl(bad)
    cache = open_cache(redis_server.url + "?ttl=1h")
    assert cache.ttl == 3600 and "ttl" not in cache.description
    redis_server.reset_calls()
    cache.put_many("segments", {key("a"): "A", key("b"): "B"})
    assert redis_server.calls() == {"set": 2}  # SET ... EX, pipelined
    assert 3590 < redis_server.client().ttl(f"{PREFIX}:segments:{key('a')}") <= 3600
    short = open_cache(redis_server.url + "?ttl=1h", ttl=1)  # the option wins over the address
    short.put_many("segments", {key("c"): "C"})
    assert short.get_many("segments", [key("c")]) == {key("c"): "C"}
    assert 0 < redis_server.client().pttl(f"{PREFIX}:segments:{key('c')}") <= 1000
    # Redis expires a key on access once its TTL is past: wait for that, not for a guessed time
    wait_for(lambda: short.get_many("segments", [key("a"), key("c")]) == {key("a"): "A"}, "the 1 s TTL", timeout=30)
    with pytest.raises(CacheError, match="TTL needs a Redis cache"):
        open_cache("some.sqlite3", ttl="1d")


def test_clear_removes_our_keys_and_nothing_else(redis_server):
    client = redis_server.client()
    others = {"user:1": "x", "xhs-translate:v2:segments:k": "y", "xhs-translate:v1x": "z", "segments:k": "w"}
    client.mset(others)
    cache = RedisCache(redis_server.url)
    cache.put_many("segments", {key(str(i)): "v" for i in range(30)})
    cache.put_many("comments", {key("c"): "v"})
    assert cache.clear() == 31
    assert cache.stats()["entries"] == {"segments": 0, "comments": 0}
    assert {k: client.get(k) for k in others} == others and client.dbsize() == len(others)
    elsewhere = RedisCache(redis_server.url.replace("/0", "/1"))  # another database is another cache
    elsewhere.put_many("segments", {key("a"): "A"})
    assert cache.get_many("segments", [key("a")]) == {} and elsewhere.clear() == 1


def test_a_redis_that_is_down_at_start_is_a_cache_error_naming_the_address(models_dir, redis_server, capsys):
    redis_server.kill()
    url = f"redis://:s3cret@127.0.0.1:{redis_server.port}/0"
    with pytest.raises(CacheError, match=f"redis://127.0.0.1:{redis_server.port}/0") as caught:
        Translator(models_dir=models_dir, cache=url)
    assert "s3cret" not in str(caught.value)
    assert main(["translate", "-", "--cache", url, "--models-dir", str(models_dir)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("xhs-translate: error: cannot use the Redis cache at redis://127.0.0.1:")
    assert "s3cret" not in err and err.count("\n") == 1
    with pytest.raises(CacheError, match="unsupported cache address 'memcached://u@h'"):
        open_cache("memcached://u:pw@h")


def test_a_redis_killed_and_restarted_mid_run_loses_nothing(models_dir, redis_server):
    parts = [many_comments(20, tag) for tag in ("a", "b", "c")]
    expected = [Translator(models_dir=models_dir, cache=False).translate_thread(part) for part in parts]
    translator = Translator(models_dir=models_dir, cache=redis_server.url)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = translator.translate_thread(parts[0])
        redis_server.kill()
        second = translator.translate_thread(parts[1])
        redis_server.start()  # back, empty: the run has already gone on without it
        third = translator.translate_thread(parts[2])
    assert [first, second, third] == expected
    assert [w.category for w in caught] == [CacheWarning]
    assert f"127.0.0.1:{redis_server.port}" in str(caught[0].message)
    stats = translator.stats()
    assert stats["cache_errors"] == 1 and not translator.cache.enabled
    assert stats["comments"] == 60 and stats["statuses"]["translated"] == 60
    assert translator.cache.stats()["entries"] is None


SHARING_PROCESS = """
import json, sys
from xhs_translate.translator import Translator
t = Translator(models_dir=sys.argv[1], cache=sys.argv[2])
out = t.translate_thread(json.loads(sys.argv[3]))
print(json.dumps({"stats": t.stats(), "out": out}, ensure_ascii=False))
"""


def test_two_processes_share_one_redis(models_dir, redis_server):
    shared = many_comments(30, "s")
    threads = [shared + many_comments(20, "x"), many_comments(20, "y") + shared]
    procs = [subprocess.Popen([sys.executable, "-W", "error::UserWarning", "-c", SHARING_PROCESS, str(models_dir),
                               redis_server.url, json.dumps(thread)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for thread in threads]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    outs = [json.loads(stdout) for stdout, _ in results]
    assert outs[0]["out"][:30] == outs[1]["out"][20:]  # the shared comments, whoever translated them
    assert all(out["stats"]["cache_errors"] == 0 for out in outs)
    third = Translator(models_dir=models_dir, cache=redis_server.url)
    assert third.translate_thread(threads[0] + threads[1]) == outs[0]["out"] + outs[1]["out"]
    assert third.stats()["segments_translated"] == 0


def test_cache_commands_on_redis(models_dir, tmp_path, redis_server, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in COMMENTS), encoding="utf-8")
    url = redis_server.url
    assert main(["translate", str(source), "-o", str(tmp_path / "out.jsonl"), "--models-dir", str(models_dir),
                 "--cache", url, "--cache-ttl", "2d", "-q"]) == 0
    assert 86_400 < redis_server.client().ttl(next(redis_server.client().scan_iter(f"{PREFIX}:*"))) <= 172_800
    capsys.readouterr()
    assert main(["cache", "stats", "--cache", url]) == 0
    out = capsys.readouterr().out
    # 7 segments: comment 1's hashtag #咖啡 is a segment of its own (its word is translated, issue 21 §1)
    assert f"url: {url}\n" in out and "entries: 7 segments, 5 whole comments" in out
    assert main(["cache", "path", "--cache", "redis://:pw@example.invalid:6379/0"]) == 0  # no connection needed
    assert capsys.readouterr().out == "redis://example.invalid:6379/0\n"
    redis_server.client().set("someone-else", "1")
    assert main(["cache", "clear", "--cache", url]) == 0
    assert capsys.readouterr().out == f"cleared 12 entries from {url}\n"
    assert redis_server.client().keys("*") == ["someone-else"]
    # A TTL is a Redis thing: with a SQLite file it is a usage error, and a malformed one too.
    assert main(["translate", str(source), "--cache", str(tmp_path / "c.sqlite3"), "--cache-ttl", "1d"]) == 2
    assert "--cache-ttl needs a Redis cache" in capsys.readouterr().err
    assert main(["translate", str(source), "--cache", url, "--cache-ttl", "soon"]) == 2
    assert main(["cache", "stats", "--cache", url.replace(str(redis_server.port), "1")]) == 1
    assert "cannot use the Redis cache at redis://127.0.0.1:1/0" in capsys.readouterr().err
