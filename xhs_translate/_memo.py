"""``CommentMemo``: a Translator's whole-comment results, remembered in memory (an LRU of ``memo_size`` entries) in
front of the cache's ``comments`` table, so a repeated or warm comment costs a look-up, not a pipeline.

A key is (text, @mentions, source, mode); a value is (the result as ``translated``, how many model pieces it took).
In the cache the key is hashed with the Translator's settings fingerprint (``_signature.settings_fingerprint``),
asked for on first need, since it lists the installed packages."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace

from .cache import MemoryCache, comment_key, decode_comment, encode_comment
from .results import Status, Translation

MemoKey = tuple  # (text, mentions, source, mode)
Entry = tuple[Translation, int]  # (the result as translated, the model pieces it took)


class CommentMemo:
    """Thread-safe. ``cache``: the Translator's cache (None: no memo at all, so that every call translates);
    ``settings``: gives the settings fingerprint; ``mark_cached``: a result that took model pieces comes back
    ``cached``."""

    def __init__(self, cache: MemoryCache | None, size: int, settings: Callable[[], str], mark_cached: bool):
        self.cache = cache
        self._size = size if cache is not None else 0
        self._settings_of = settings
        self._settings: str | None = None
        self._mark_cached = mark_cached
        self._lock = threading.Lock()
        self._memo: OrderedDict[MemoKey, Entry] = OrderedDict()

    def settings(self) -> str:
        if self._settings is None:
            self._settings = self._settings_of()
        return self._settings

    def recall(self, keys: Sequence[MemoKey | None]) -> tuple[list[Translation | None], int, int]:
        """(the result for each key, None where neither the memo nor the cache has it; comments found; model
        pieces they had taken). The cache is asked once, for every key the memo lacks."""
        results, served = self._recall_memo(keys)
        hits = len(keys) - results.count(None)
        if self.cache is None or hits == len(keys):
            return results, hits, served
        settings = self.settings()
        hashed = {i: comment_key(settings, k[2], k[3], k[0], k[1])
                  for i, k in enumerate(keys) if k is not None and results[i] is None}
        stored = self.cache.get_many("comments", hashed.values())
        found: list[tuple[MemoKey, Entry]] = []
        for i, key in hashed.items():
            value = stored.get(key)
            entry = decode_comment(value, keys[i][0]) if value is not None else None  # type: ignore[index]
            if entry is None:
                continue
            results[i] = self._as_reported(*entry)
            found.append((keys[i], entry))  # type: ignore[arg-type]
            served += entry[1]
        self._memoise(found)
        return results, hits + len(found), served

    def remember(self, entries: Sequence[tuple[MemoKey, Entry]]) -> None:
        """Keep (key, (result, model pieces)) pairs in the memo and the cache (the caller leaves failures out)."""
        self._memoise(entries)
        if self.cache is not None and entries:
            settings = self.settings()
            self.cache.put_many("comments", {comment_key(settings, k[2], k[3], k[0], k[1]): encode_comment(*entry)
                                             for k, entry in entries})

    def _recall_memo(self, keys: Sequence[MemoKey | None]) -> tuple[list[Translation | None], int]:
        if not self._size:
            return [None] * len(keys), 0
        out: list[Translation | None] = []
        served = 0
        with self._lock:
            memo = self._memo
            for key in keys:
                if key is None or (entry := memo.get(key)) is None:
                    out.append(None)
                    continue
                memo.move_to_end(key)
                served += entry[1]
                out.append(self._as_reported(*entry))
        return out, served

    def _as_reported(self, result: Translation, pieces: int) -> Translation:
        if pieces and self._mark_cached:
            return replace(result, status=Status.CACHED)
        return result

    def _memoise(self, entries: Sequence[tuple[MemoKey, Entry]]) -> None:
        """Memoise the pairs, dropping the least recently used beyond the memo's size."""
        if not self._size or not entries:
            return
        with self._lock:
            memo = self._memo
            memo.update(entries)
            for key, _ in entries:
                memo.move_to_end(key)
            while len(memo) > self._size:
                memo.popitem(last=False)
