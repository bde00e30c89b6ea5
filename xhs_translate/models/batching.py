"""``BatchingEngine``: one engine shared by concurrent callers, their texts merged into shared model batches.

A server answers many small requests at once: 16 clients sending one comment each. Decoded one request at a
time, each comment is a batch of one and the model's matrix work is mostly overhead; decoded together they
cost about what one 16-comment call costs. ``BatchingEngine`` wraps an ``Engine`` (as faster-whisper's
``BatchedInferencePipeline`` wraps its model, without changing it) and has the same
``translate(texts, options) -> EngineResult``. It sits below ``Translator`` (after deduplication and the cache
look-up, so cache hits never wait in a queue) and above ``Engine``, which stays a synchronous kernel that
knows nothing of requests. Plug it in with ``Translator(engine_provider=BatchingProvider())``.

How a call travels:

1. ``translate`` runs in the caller's thread. It measures each text in tokens with the package's own
   SentencePiece model, attaches texts that another call already has queued or under decoding to that work
   (a text in flight is decoded once), and cuts its own texts into *chunks*: the length buckets that
   ``Engine.translate`` would make of them (``engine.plan_batches``, same token budget). Then it waits.
2. ``workers`` dispatcher threads (one per CTranslate2 replica by default) take work from the queue when a band has a
   full bucket's worth waiting (``max_batch_tokens``, by default the engine's own
   ``DecodeOptions.max_batch_tokens``), or when its oldest text has waited ``max_wait`` seconds (a few ms; counted
   from the worker's last dispatch where that ended later), or at once while closing. After a dispatch that answered
   several calls, the worker also waits up to ``regroup_wait`` for as many calls to come (their callers' next texts,
   under load), unless a bucket fills first. A dispatch holds one length
   band: the band of the next chunk of the first waiting call, and one chunk of that band from each waiting call in
   turn, oldest call first, up to one bucket of the band (always at least one chunk). So it is one model batch, and
   the comments of 16 single-comment requests fill a few batches of their bands rather than one small batch (plus its
   band's filler) per band each; and a call with 5,000 texts gets one chunk per turn like a call with one text, so a
   big request never stalls small ones.
3. Results go back to every call waiting on each text; a call returns when all its texts are done.

Why chunks follow the engine's own buckets: they are the engine's unit of work (one length band each), so a
dispatch of one call's chunk is one model batch. Outputs never depend on how texts are grouped: the engine pads
every source to its band's length whatever else is in the batch (models/engine.py), so a text merged with other
requests' texts gets exactly the output it would get alone, and the cache holds one answer per text.

Cancellation: a caller (the server, for a client that hung up) groups its calls in a :class:`RequestScope`;
``scope.cancel()`` drops their texts that no other call waits for from the queue, and the waiting
``translate`` raises :class:`TranslationCancelled`. A dispatch already running finishes (CTranslate2 cannot be
interrupted) and only its own texts' callers wait for it.

State is explicit: each ``BatchingEngine`` owns its queue and threads, ``close()`` drains and stops them, and
the current ``RequestScope`` is a context variable set by the caller around its own calls.
"""

from __future__ import annotations

import contextvars
import inspect
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import DEFAULT_MAX_WAIT, DEFAULT_REGROUP_WAIT, DecodeOptions
from ..errors import InputError, XhsTranslateError
from ..results import Stats
from .engine import EngineResult, check_texts, load_engine, padded_length, plan_batches

_DEFAULT_OPTIONS = DecodeOptions()


class TranslationCancelled(XhsTranslateError):
    """The request scope of this call was cancelled (its client went away); its texts were dropped from the queue."""


class EngineClosedError(XhsTranslateError):
    """The batching engine was closed (the server is shutting down) and takes no new work."""


@dataclass(frozen=True)
class BatchReport:
    """One dispatch, for metrics: texts sent, calls they came from, their tokens, queue waits and engine time."""

    texts: int
    calls: int
    source_tokens: int
    waits: tuple[float, ...]  # seconds each text waited in the queue
    seconds: float


_SCOPE: contextvars.ContextVar[RequestScope | None] = contextvars.ContextVar("xhs_translate_request_scope",
                                                                             default=None)


class RequestScope:
    """The engine calls one request makes, so they can be cancelled together.

    ``with scope:`` in the thread that calls the Translator; ``scope.cancel()`` from anywhere."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._calls: list[tuple[BatchingEngine, _Call]] = []
        self._tokens: list[contextvars.Token] = []

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def __enter__(self) -> RequestScope:
        self._tokens.append(_SCOPE.set(self))
        return self

    def __exit__(self, *exc: object) -> None:
        _SCOPE.reset(self._tokens.pop())

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            calls, self._calls = self._calls, []
        for engine, call in calls:
            engine._cancel(call)

    def _register(self, engine: BatchingEngine, call: _Call) -> bool:
        """Remember a call; False when the scope is already cancelled (the call must not be queued)."""
        with self._lock:
            if self._cancelled:
                return False
            self._calls.append((engine, call))
            return True

    def _forget(self, call: _Call) -> None:
        with self._lock:
            self._calls = [(e, c) for e, c in self._calls if c is not call]


class _Item:
    """One distinct text waiting for, or under, decoding; shared by every call that asked for it meanwhile."""

    __slots__ = (
        "batch",
        "enqueued",
        "error",
        "key",
        "log_prob",
        "output",
        "pieces",
        "scored_tokens",
        "target_tokens",
        "text",
        "tokens",
        "waiters",
    )

    def __init__(self, key: tuple, text: str, tokens: int, pieces: list[str] | None, now: float):
        self.key = key
        self.text = text
        self.tokens = tokens
        self.pieces = pieces  # its tokens, where the measure gave them (handed to the engine: tokenised once)
        self.enqueued = now
        self.waiters: list[_Call] = []
        self.output: str | None = None
        self.error: str | None = None
        self.batch = -1  # dispatch number, once dispatched
        self.target_tokens = 0
        self.log_prob: float | None = None  # the engine's score for it (EngineResult.log_probs, scored_tokens)
        self.scored_tokens = 0


class _Call:
    """One ``translate`` call: its items, its undispatched chunks, and the event its caller waits on."""

    __slots__ = ("cancelled", "chunks", "done", "items", "options", "owned", "remaining")

    def __init__(self, options: DecodeOptions):
        self.options = options
        self.items: list[_Item | None] = []  # per input text (duplicates share an item; None: a blank text)
        self.owned: list[_Item] = []  # items this call created (the others it joined)
        self.chunks: deque[list[_Item]] = deque()
        self.remaining = 0  # distinct items not yet done
        self.done = threading.Event()
        self.cancelled = False


@dataclass(frozen=True)
class _LastDispatch:
    """A worker's last dispatch: when it ended, the calls it finished, and how many calls the engine had seen
    by then (``BatchingEngine._ready`` waits for as many new ones)."""

    ended: float = 0.0
    answered: int = 0
    calls_seen: int = 0


class BatchingEngine:
    """An ``Engine`` shared by concurrent callers; ``translate`` blocks its caller until its texts are done.

    ``engine``: anything with ``translate(texts, options) -> EngineResult``. ``measure``: texts -> token counts,
    or the tokens themselves (the package's SentencePiece encoder; the chunks follow ``plan_batches`` on their
    counts); tokens go on to an engine whose ``translate`` takes ``encoded=`` (``Engine``): tokenised once.
    ``workers``: dispatches running at once (default: the engine's replicas, ``engine.threads[0]``). ``on_batch``:
    called with a :class:`BatchReport` after each dispatch (metrics). ``max_wait`` and ``regroup_wait``: seconds,
    see the module's docstring.
    """

    def __init__(
        self,
        engine: Any,
        measure: Callable[[Sequence[str]], Sequence[int | list[str]]],
        *,
        max_wait: float = DEFAULT_MAX_WAIT,
        regroup_wait: float = DEFAULT_REGROUP_WAIT,
        max_batch_tokens: int | None = None,
        workers: int | None = None,
        on_batch: Callable[[BatchReport], None] | None = None,
    ):
        for name, value in (("max_wait", max_wait), ("regroup_wait", regroup_wait)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    math.isfinite(value) and value >= 0):
                raise InputError(f"{name} must be a finite number >= 0 seconds, got {value!r}")
        if max_batch_tokens is not None and max_batch_tokens < 1:
            raise InputError(f"max_batch_tokens must be >= 1 or None, got {max_batch_tokens!r}")
        self.engine = engine
        self._measure = measure
        self._takes_tokens = "encoded" in inspect.signature(engine.translate).parameters
        self.max_wait = max_wait
        self.regroup_wait = regroup_wait
        self.max_batch_tokens = max_batch_tokens
        self.workers = workers or max(1, int(getattr(engine, "threads", (1,))[0]))
        self._on_batch = on_batch
        self._cond = threading.Condition()
        self._queue: deque[_Call] = deque()  # calls with undispatched chunks, round-robin order
        self._inflight: dict[tuple, _Item] = {}  # (options, text) -> item, from queueing until delivery
        self._queued_tokens = 0
        self._waiting: Counter[tuple[DecodeOptions, int]] = Counter()  # (options, band) -> texts queued
        self._closing = False
        self._counts = {"calls": 0, "texts": 0, "joined": 0, "cancelled": 0, "dispatches": 0, "dispatched_texts": 0}
        self._threads = [
            threading.Thread(target=self._work, name=f"xhs-batcher-{i}", daemon=True) for i in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def __repr__(self) -> str:
        return (f"BatchingEngine({self.engine!r}, workers={self.workers}, max_wait={self.max_wait}, "
                f"regroup_wait={self.regroup_wait})")

    # --- the Engine interface -------------------------------------------------------------------------------
    def translate(self, texts: Sequence[str], options: DecodeOptions = _DEFAULT_OPTIONS) -> EngineResult:
        """Translate ``texts`` in batches shared with concurrent callers; same result shape as ``Engine.translate``."""
        check_texts(texts)
        scope = _SCOPE.get()
        if scope is not None and scope.cancelled:
            raise TranslationCancelled("the request was cancelled")
        todo = list(dict.fromkeys(t for t in texts if t.strip()))
        measured = dict(zip(todo, self._measure(todo))) if todo else {}
        call = self._enqueue(texts, todo, measured, options, scope)
        call.done.wait()
        if scope is not None:
            scope._forget(call)
        if call.cancelled:
            raise TranslationCancelled("the request was cancelled while its texts were queued")
        return self._result(texts, call)

    def _enqueue(self, texts: Sequence[str], todo: list[str], measured: dict[str, int | list[str]],
                 options: DecodeOptions, scope: RequestScope | None) -> _Call:
        now = time.monotonic()
        with self._cond:
            if self._closing:
                raise EngineClosedError("the batching engine is closed and takes no new work")
            call = _Call(options)
            if scope is not None and not scope._register(self, call):
                raise TranslationCancelled("the request was cancelled")
            by_text: dict[str, _Item] = {}
            adopted: list[_Item] = []  # joined texts still queued in another call's chunks
            for text in todo:
                key = (options, text)
                item = self._inflight.get(key)
                if item is None:
                    size = measured[text]
                    pieces = size if isinstance(size, list) else None
                    item = _Item(key, text, max(1, size if isinstance(size, int) else len(size)), pieces, now)
                    self._inflight[key] = item
                    call.owned.append(item)
                else:
                    self._counts["joined"] += 1
                    if item.batch == -1:
                        adopted.append(item)
                item.waiters.append(call)
                by_text[text] = item
            call.items = [by_text.get(t) for t in texts]  # None for blank texts
            call.remaining = len(by_text)
            self._counts["calls"] += 1
            self._counts["texts"] += len(todo)
            # chunks: the engine's own buckets, under the engine's own budget. A joined text that is still queued
            # is in this call's chunks too, so it is decoded no later than this call's own turn: a one-comment
            # request sharing a text with a 20,000-text request does not wait for that request's turn to reach it
            # (whichever turn comes first takes it; the other skips it).
            mine = call.owned + adopted
            if mine:
                self._queue_chunks(call, mine)
                self._queued_tokens += sum(i.tokens for i in call.owned)
                self._queue.append(call)
            self._cond.notify_all()  # also a call with nothing to queue: it counts towards a regroup wait's end
            if call.remaining == 0:
                call.done.set()
            return call

    def _queue_chunks(self, call: _Call, items: list[_Item]) -> None:
        """Cut ``items`` into the engine's own buckets (one band each) and queue them as ``call``'s chunks."""
        buckets = plan_batches([i.tokens for i in items], self._engine_budget(call.options))
        for bucket in buckets:
            chunk = [items[j] for j in bucket]
            call.chunks.append(chunk)
            self._waiting[(call.options, _band(chunk))] += len(chunk)

    def _unwait(self, options: DecodeOptions, chunk: list[_Item]) -> None:
        """A chunk leaves the queue: its entries no longer count towards its band's dispatch."""
        key = (options, _band(chunk))
        self._waiting[key] -= len(chunk)
        if self._waiting[key] <= 0:
            del self._waiting[key]

    def _result(self, texts: Sequence[str], call: _Call) -> EngineResult:
        translations = tuple(text if item is None else item.output for text, item in zip(texts, call.items))
        distinct = list({id(i): i for i in call.items if i is not None}.values())
        errors = tuple(dict.fromkeys(i.error for i in distinct if i.error))
        return EngineResult(
            translations=translations,
            batches=len({i.batch for i in distinct}),
            source_tokens=sum(i.tokens for i in call.owned),
            target_tokens=sum(i.target_tokens for i in call.owned),
            errors=errors,
            log_probs=tuple(None if item is None else item.log_prob for item in call.items),
            scored_tokens=tuple(0 if item is None else item.scored_tokens for item in call.items),
        )

    # --- dispatching ----------------------------------------------------------------------------------------
    def _engine_budget(self, options: DecodeOptions) -> int:
        """The token budget of the engine's own buckets (it depends on the device)."""
        return options.batch_tokens(getattr(self.engine, "device", "cpu"))

    def _budget(self, options: DecodeOptions) -> int:
        return self.max_batch_tokens or self._engine_budget(options)

    def _capacity(self, options: DecodeOptions, band: int) -> int:
        """Texts of ``band`` one dispatch takes: as many as ``plan_batches`` puts in one bucket of the budget."""
        return max(1, self._budget(options) // band - 1)

    def _ready(self, now: float, last: _LastDispatch) -> float | None:
        """0 when a dispatch should start now, else seconds to wait (None: nothing queued). The window runs from
        when the oldest text came or when this worker finished its last dispatch, whichever is later: under load
        the callers that dispatch just answered send their next texts within a few ms, and waiting for them makes
        one batch of what could be two smaller ones (a batch of 8 costs ~0.7 of what two of 4 cost). Measured at
        64 clients: 10.1 against 9.3 texts per model call; at 16, no change (README "Performance").
        After a dispatch that answered several calls, the window lasts until as many calls came since, or
        ``regroup_wait`` after it ended: at 16 clients the answered callers came back 2-22 ms later, one by one.
        After a dispatch that answered one call nothing waits. The wait is this worker's and counts calls to
        this engine (one direction): callers that come back to the other direction's engine do not end it early
        (README "Performance", issue 24's fifth look)."""
        if not self._queue:
            return None
        if self._closing or any(n >= self._capacity(*key) for key, n in self._waiting.items()):
            return 0.0
        oldest = min(call.chunks[0][0].enqueued for call in self._queue)
        deadline = max(oldest, last.ended) + self.max_wait
        if last.answered >= 2 and self._counts["calls"] - last.calls_seen < last.answered:
            deadline = max(deadline, last.ended + self.regroup_wait)
        return max(0.0, deadline - now)

    def _take(self) -> tuple[DecodeOptions, list[_Item]]:
        """The next dispatch: the band of the first waiting call's next chunk, and one chunk of that band from each
        waiting call in turn (round-robin, oldest first) with the same options, up to one bucket of the band. One
        band per dispatch makes the dispatch one model batch: 16 clients' comments fill a few batches of their
        bands instead of one small batch per band each (a text alone with its band's filler costs about twice
        the model work of a text in a batch of 8). A text already taken through another call's chunk is skipped;
        the batch is empty when every chunk left held only such texts."""
        head = self._queue[0]
        while all(i.batch != -1 for i in head.chunks[0]):  # its next chunk went out through other calls' turns
            self._unwait(head.options, head.chunks.popleft())
            if not head.chunks:
                self._queue.popleft()
                return head.options, []
        options, band = head.options, _band(head.chunks[0])
        capacity = self._capacity(options, band)
        number = self._counts["dispatches"] + 1
        batch: list[_Item] = []
        kept: list[_Call] = []
        served: list[_Call] = []
        for call in self._queue:
            index = None
            if call.options == options and len(batch) < capacity:
                index = next((k for k, chunk in enumerate(call.chunks) if _band(chunk) == band), None)
            fresh = [] if index is None else [i for i in call.chunks[index] if i.batch == -1]
            if index is not None and (not batch or len(batch) + len(fresh) <= capacity):
                self._unwait(options, call.chunks[index])
                del call.chunks[index]
                for item in fresh:
                    item.batch = number
                batch.extend(fresh)
                if call.chunks:
                    served.append(call)  # its next chunk waits for its next turn
            else:
                kept.append(call)
        self._queue = deque(kept + served)
        self._queued_tokens -= sum(i.tokens for i in batch)
        if batch:
            self._counts["dispatches"] = number
            self._counts["dispatched_texts"] += len(batch)
        return options, batch

    def _work(self) -> None:
        last = _LastDispatch()
        while True:
            with self._cond:
                while True:
                    wait = self._ready(time.monotonic(), last)
                    if wait == 0.0:
                        break
                    if wait is None and self._closing:
                        return
                    self._cond.wait(wait)
                options, batch = self._take()
            if batch:  # empty when every chunk taken held texts dispatched through other calls already
                last = self._dispatch(options, batch)

    def _dispatch(self, options: DecodeOptions, batch: list[_Item]) -> _LastDispatch:
        """Decode ``batch`` and hand its results to their calls; returns the record ``_ready`` reads next."""
        started = time.monotonic()
        try:
            texts = [item.text for item in batch]
            if self._takes_tokens and all(item.pieces is not None for item in batch):
                result = self.engine.translate(texts, options, encoded=[item.pieces for item in batch])
            else:
                result = self.engine.translate(texts, options)
            outputs, errors = list(result.translations), result.errors
            target_tokens = result.target_tokens
            scores = list(zip(result.log_probs, result.scored_tokens)) or [(None, 0)] * len(batch)
        except Exception as exc:
            outputs, errors, target_tokens = [None] * len(batch), (f"{type(exc).__name__}: {exc}",), 0
            scores = [(None, 0)] * len(batch)
        seconds = time.monotonic() - started
        error = "; ".join(errors) if errors else "the model failed on this text"
        share, extra = divmod(target_tokens, len(batch))
        answered = 0
        with self._cond:
            calls = len({id(c) for item in batch for c in item.waiters})
            for n, (item, output, (log_prob, scored)) in enumerate(zip(batch, outputs, scores)):
                item.output = output
                item.log_prob, item.scored_tokens = log_prob, scored
                item.error = error if output is None else None
                item.target_tokens = share + (n < extra)
                self._inflight.pop(item.key, None)
                for call in item.waiters:
                    call.remaining -= 1
                    if call.remaining == 0:
                        call.done.set()
                        answered += 1
            last = _LastDispatch(time.monotonic(), answered, self._counts["calls"])  # before any answer comes back
        if self._on_batch is not None:
            report = BatchReport(len(batch), calls, sum(i.tokens for i in batch),
                                 tuple(started - i.enqueued for i in batch), seconds)
            self._on_batch(report)
        return last

    def _cancel(self, call: _Call) -> None:
        """Drop a cancelled call's queued texts that no other call waits for, and wake its caller."""
        with self._cond:
            if call.done.is_set():
                return
            call.cancelled = True
            kept: list[_Item] = []
            for chunk in call.chunks:
                self._unwait(call.options, chunk)
                for item in chunk:
                    if item.batch != -1:
                        continue  # dispatched through another call's chunk: nothing left to take back
                    if call in item.waiters:  # a text handed over by a cancelled call need not wait for this one
                        item.waiters.remove(call)
                    if item.waiters:
                        kept.append(item)  # another call joined it: it still goes to the model
                    else:
                        self._inflight.pop(item.key, None)
                        self._counts["cancelled"] += 1
                        self._queued_tokens -= item.tokens
            call.chunks.clear()
            if call in self._queue:
                self._queue.remove(call)
            if kept:  # hand the shared texts to the first call that waits for them
                heir = kept[0].waiters[0]
                self._queue_chunks(heir, kept)
                if heir not in self._queue:
                    self._queue.append(heir)
            for item in {id(i): i for i in call.items if i is not None}.values():
                if call in item.waiters:  # dispatched or joined: its result no longer concerns this call
                    item.waiters.remove(call)
            call.done.set()
            self._cond.notify_all()

    # --- lifecycle and stats --------------------------------------------------------------------------------
    def stats(self) -> Stats:
        """Counters since start: calls, texts, joined (sent once for several calls), cancelled, dispatches, queued."""
        with self._cond:
            return Stats({**self._counts, "queued_tokens": self._queued_tokens, "in_flight": len(self._inflight)})

    def hurry(self) -> None:
        """Stop waiting for company: dispatch what is queued now, and what comes later at once (a server that
        drains takes no new requests, so no text would join them)."""
        with self._cond:
            self.max_wait = self.regroup_wait = 0.0
            self._cond.notify_all()

    def close(self, timeout: float | None = None) -> None:
        """Take no new work, dispatch what is queued at once, and stop the workers once it is done."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)


def _band(chunk: list[_Item]) -> int:
    """The length band of a chunk (all of its texts share it): what its texts are padded to at the model."""
    return padded_length(max(i.tokens for i in chunk))


class BatchingProvider:
    """An ``engine_provider`` for ``Translator``: one :class:`BatchingEngine` per loaded engine, shared by every
    Translator given this provider (so that their texts are batched together).

    ``load``: the plain provider it wraps (default ``load_engine``). The other keywords go to each BatchingEngine.
    """

    def __init__(self, *, load: Callable[..., Any] = load_engine, max_wait: float = DEFAULT_MAX_WAIT,
                 regroup_wait: float = DEFAULT_REGROUP_WAIT, max_batch_tokens: int | None = None,
                 workers: int | None = None, on_batch: Callable[[BatchReport], None] | None = None):
        self._load = load
        self._options: dict[str, Any] = {"max_wait": max_wait, "regroup_wait": regroup_wait,
                                         "max_batch_tokens": max_batch_tokens, "workers": workers,
                                         "on_batch": on_batch}
        self._lock = threading.Lock()
        self._engines: dict[int, BatchingEngine] = {}
        self._closed = False

    def __call__(self, package: Any, *, device: str = "cpu", compute_type: str = "auto",
                 inter_threads: int | None = None, intra_threads: int | None = None) -> BatchingEngine:
        engine = self._load(package, device=device, compute_type=compute_type, inter_threads=inter_threads,
                            intra_threads=intra_threads)
        with self._lock:
            if self._closed:
                raise EngineClosedError("the batching engines are closed and take no new work")
            batcher = self._engines.get(id(engine))
            if batcher is None or batcher.engine is not engine:
                batcher = BatchingEngine(engine, token_encoder(engine), **self._options)
                self._engines[id(engine)] = batcher
            return batcher

    def engines(self) -> list[BatchingEngine]:
        with self._lock:
            return list(self._engines.values())

    def stats(self) -> Stats:
        """The counters of every BatchingEngine, summed."""
        return sum((engine.stats() for engine in self.engines()), Stats())

    def hurry(self) -> None:
        """:meth:`BatchingEngine.hurry` for every engine, also those loaded later."""
        with self._lock:
            self._options["max_wait"] = self._options["regroup_wait"] = 0.0
            engines = list(self._engines.values())
        for engine in engines:
            engine.hurry()

    def close(self, timeout: float | None = None) -> None:
        with self._lock:
            self._closed = True
            engines = list(self._engines.values())
        for engine in engines:
            engine.close(timeout)


def token_counter(engine: Any) -> Callable[[Sequence[str]], list[int]]:
    """Token counts as ``engine`` sees them: its own tokenizer, special tokens included."""
    return engine.tokenizer.count


def token_encoder(engine: Any) -> Callable[[Sequence[str]], list[list[str]]]:
    """Tokens as ``engine`` sees them (its own tokenizer, special tokens included), to measure texts with and then
    hand to the engine."""
    return engine.tokenizer.encode_each
