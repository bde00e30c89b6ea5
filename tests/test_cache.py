"""The SQLite + LRU translation cache: keys, batching, threads, processes and graceful degradation."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

from xhs_translate.cache import CACHE_ENV, CacheWarning, TranslationCache, default_cache_path, make_key

from helpers import run_in_threads


def key(segment, version="1.0", options="o", glossary="g"):
    return make_key(f"translate-zh_en@{version}", "zh", "en", options, glossary, segment)


def test_key_changes_with_every_part_and_normalises_the_segment():
    base = key("你好")
    assert key(" 你好 ") == base
    assert key("so  cute") == key("so cute")
    assert len({base, key("你好", version="1.1"), key("你好", options="p"), key("你好", glossary="h"), key("您好")}) == 5
    assert make_key("p", "zh", "en", "o", "g", "x") != make_key("p", "en", "zh", "o", "g", "x")


def test_put_get_round_trip_and_persistence(tmp_path):
    path = tmp_path / "c.sqlite3"
    cache = TranslationCache(path)
    assert cache.get_many([key("a")]) == {}
    cache.put_many({key("a"): "A", key("b"): "B"})
    assert cache.get_many([key("a"), key("b"), key("c")]) == {key("a"): "A", key("b"): "B"}
    cache.close()
    fresh = TranslationCache(path)  # a new instance has an empty LRU: this reads the file
    assert fresh.get_many([key("b")]) == {key("b"): "B"}
    assert fresh.stats()["entries"] == 2
    assert fresh.stats()["size_bytes"] > 0
    assert fresh.path == path


def test_many_keys_are_looked_up_in_chunks(tmp_path):
    cache = TranslationCache(tmp_path / "c.sqlite3", lru_size=10)
    items = {key(str(i)): f"v{i}" for i in range(1500)}
    cache.put_many(items)
    assert cache.get_many(items) == items


def test_clear(tmp_path):
    cache = TranslationCache(tmp_path / "c.sqlite3")
    cache.put_many({key("a"): "A"})
    assert cache.clear() == 1
    assert cache.get_many([key("a")]) == {}
    assert cache.stats()["entries"] == 0


def test_default_path_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "x.db"))
    assert default_cache_path() == tmp_path / "x.db"
    monkeypatch.delenv(CACHE_ENV)
    assert default_cache_path().name == "translations.sqlite3"


def test_corrupt_file_degrades_with_one_warning(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    cache = TranslationCache(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache.put_many({key("a"): "A"})
        assert cache.get_many([key("b")]) == {}
        cache.put_many({key("b"): "B"})
        assert cache.get_many([key("a")]) == {key("a"): "A"}  # the in-memory layer still works
    assert [w.category for w in caught] == [CacheWarning]
    assert not cache.enabled
    assert path.read_bytes().startswith(b"this is not a database")  # never overwritten


def test_unwritable_location_degrades(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = TranslationCache(blocker / "sub" / "c.sqlite3")  # a parent that is a file: cannot mkdir
    with pytest.warns(CacheWarning):
        cache.put_many({key("a"): "A"})
    assert cache.stats()["entries"] is None


def test_threads_share_one_cache(tmp_path):
    cache = TranslationCache(tmp_path / "c.sqlite3", lru_size=5)

    def work(n):  # every thread opens its first connection at once
        for i in range(30):
            cache.put_many({key(f"{n}-{i}"): f"{n}:{i}"})
            assert cache.get_many([key(f"{n}-{i}")]) == {key(f"{n}-{i}"): f"{n}:{i}"}

    run_in_threads(work, 6)
    assert cache.enabled
    assert cache.stats()["entries"] == 180
    cache.close()


WRITER = """
import sys
from xhs_translate.cache import TranslationCache, make_key
cache = TranslationCache(sys.argv[1])
for i in range(200):
    cache.put_many({make_key("p", "zh", "en", "o", "g", f"{sys.argv[2]}-{i}-{j}"): "x" for j in range(5)})
assert cache.enabled, "cache was disabled"
print("ok")
"""


def test_two_processes_write_at_once(tmp_path):
    path = tmp_path / "c.sqlite3"
    procs = [
        subprocess.Popen([sys.executable, "-W", "error::UserWarning", "-c", WRITER, str(path), name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("a", "b")
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert TranslationCache(path).stats()["entries"] == 2000
