"""BatchingEngine on the real engine (tiny random-weight packages): same results as the plain engine, shared
batches across concurrent callers, a text in flight decoded once, fairness, cancellation, failures kept apart."""

from __future__ import annotations

import threading
import time

import pytest
from helpers import run_in_threads, wait_for

from xhs_translate.models.batching import (
    BatchingEngine,
    BatchingProvider,
    EngineClosedError,
    RequestScope,
    TranslationCancelled,
    token_counter,
)
from xhs_translate.models.demo import MAX_POSITIONS
from xhs_translate.models.engine import DecodeOptions, Engine, load_engine, padded_length
from xhs_translate.models.packages import find_package
from xhs_translate.translator import Translator

TEXTS = [
    "今天天气很好", "这个口红颜色绝了", "谢谢大家", "我们明天去公园散步吧", "好可爱", "求链接", "太好吃了吧这家店",
    "周末一起去爬山吗", "这首歌真好听", "第一次来小红书", "欢迎美国朋友", "哈哈哈", "这个怎么做的", "我也想去",
]


@pytest.fixture(scope="module")
def package(models_dir):
    return find_package("zh", "en", models_dir)


@pytest.fixture
def provider():
    reports = []
    provider = BatchingProvider(on_batch=reports.append)
    provider.reports = reports
    yield provider
    provider.close()


def test_a_call_alone_gets_exactly_the_plain_engines_result(package, provider):
    texts = [f"{a}，{b}" for a in TEXTS for b in TEXTS[:6]]  # enough for several length buckets
    options = DecodeOptions(max_batch_tokens=64)
    plain = load_engine(package).translate(texts, options)
    batched = provider(package).translate(texts, options)
    assert batched.translations == plain.translations
    assert batched.log_probs == plain.log_probs and batched.scored_tokens == plain.scored_tokens  # scores pass through
    assert batched.errors == ()
    assert batched.source_tokens == plain.source_tokens
    # dispatched as the engine's own buckets, small ones of different lengths sharing a dispatch
    assert 1 < batched.batches <= plain.batches


def test_concurrent_callers_share_batches_and_get_their_own_results(package, provider):
    engine = provider(package)
    engine.max_wait = 30.0  # hold everything in the queue until close() dispatches it at once
    plain = dict(zip(TEXTS, load_engine(package).translate(TEXTS, DecodeOptions()).translations))
    results = {}

    def call(n: int) -> None:
        results[n] = engine.translate([TEXTS[n], TEXTS[(n + 1) % len(TEXTS)]], DecodeOptions())

    threads = [threading.Thread(target=call, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    wait_for(lambda: engine.stats()["calls"] == 8, "8 queued calls")
    assert engine.stats()["dispatches"] == 0
    engine.close()
    for t in threads:
        t.join()
    # one dispatch per length band, each carrying that band's texts of every caller
    bands = {padded_length(n) for n in token_counter(engine.engine)(list(dict.fromkeys(TEXTS[:9])))}
    assert len(provider.reports) == len(bands) and sum(r.texts for r in provider.reports) == 9
    stats = engine.stats()
    assert stats["texts"] == 16 and stats["joined"] == 7 and stats["dispatched_texts"] == 9  # 9 distinct texts
    for n in range(8):
        assert list(results[n].translations) == [plain[TEXTS[n]], plain[TEXTS[(n + 1) % len(TEXTS)]]]


def test_single_text_callers_fill_one_dispatch_per_band_and_get_what_they_get_alone(package):
    """Issue 24: 16 clients with one comment each. Each dispatch holds one band's texts of every waiting caller
    (one model batch, not one small batch per band), and each text's output and score are exactly what it gets
    translated alone: batch mates never change a segment's output (the resume guarantee of issue 10)."""
    reports = []
    plain = load_engine(package)
    engine = BatchingEngine(plain, token_counter(plain), max_wait=30.0, workers=1, on_batch=reports.append)
    texts = [f"{a}{b}" for a in TEXTS[:4] for b in TEXTS[4:8]]  # 16 distinct texts over a few bands
    alone = {t: plain.translate([t], DecodeOptions()) for t in texts}
    results = {}

    def call(n: int) -> None:
        results[n] = engine.translate([texts[n]], DecodeOptions())

    threads = [threading.Thread(target=call, args=(n,)) for n in range(len(texts))]
    for t in threads:
        t.start()
    wait_for(lambda: engine.stats()["calls"] == len(texts), "16 queued calls")
    engine.close()
    for t in threads:
        t.join()
    bands = {padded_length(n) for n in token_counter(plain)(texts)}
    assert len(bands) > 1 and len(reports) == len(bands)  # one dispatch, hence one model batch, per band
    assert sum(r.texts for r in reports) == len(texts) and max(r.calls for r in reports) > 2
    for n, text in enumerate(texts):
        assert results[n].translations == alone[text].translations
        assert results[n].log_probs == alone[text].log_probs


def test_a_big_call_does_not_make_a_small_one_wait_for_all_of_it(package):
    reports = []
    plain = load_engine(package)
    engine = BatchingEngine(plain, token_counter(plain), max_wait=30.0, max_batch_tokens=10**6,
                            workers=1, on_batch=reports.append)  # nothing leaves the queue before close()
    options = DecodeOptions(max_batch_tokens=32)  # small engine buckets: the big call is many chunks
    big = threading.Thread(target=engine.translate, args=([f"{t}{i}" for i in range(200) for t in TEXTS[:2]], options))
    big.start()
    wait_for(lambda: engine.stats()["calls"] == 1, "the big call")
    small = threading.Thread(target=engine.translate, args=(["一个小请求"], options))
    small.start()
    wait_for(lambda: engine.stats()["calls"] == 2, "the small call")
    engine.max_batch_tokens = 32  # dispatches of one engine bucket each, one worker, in the queue's order
    engine.close()
    big.join()
    small.join()
    assert len(reports) > 10
    # the small call rides along with the big call's first chunk, or gets the second dispatch: never the last
    turn = next(i for i, r in enumerate(reports) if r.calls == 2 or r.texts == 1)
    assert turn <= 1


def test_a_cancelled_call_leaves_the_queue_and_raises(package, provider):
    engine = provider(package)
    engine.max_wait = 30.0
    scope = RequestScope()
    errors = []

    def call() -> None:
        try:
            with scope:
                engine.translate(["取消这个请求", "还有这个"], DecodeOptions())
        except TranslationCancelled as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    wait_for(lambda: engine.stats()["queued_tokens"] > 0, "the queued call")
    scope.cancel()
    thread.join(30)
    assert not thread.is_alive() and len(errors) == 1
    assert engine.stats()["cancelled"] == 2 and engine.stats()["queued_tokens"] == 0
    with pytest.raises(TranslationCancelled), scope:
        engine.translate(["再来一次"], DecodeOptions())


def test_a_text_shared_with_a_cancelled_call_is_still_translated_for_the_other(package, provider):
    engine = provider(package)
    engine.max_wait = 30.0
    scope = RequestScope()
    outcome = {}

    def first() -> None:
        try:
            with scope:
                engine.translate(["共享的句子", "只属于第一个"], DecodeOptions())
        except TranslationCancelled:
            outcome["first"] = "cancelled"

    def second() -> None:
        outcome["second"] = engine.translate(["共享的句子"], DecodeOptions())

    a = threading.Thread(target=first)
    a.start()
    wait_for(lambda: engine.stats()["calls"] == 1, "the first call")
    b = threading.Thread(target=second)
    b.start()
    wait_for(lambda: engine.stats()["joined"] == 1, "the second call joining the shared text")
    scope.cancel()
    a.join(30)
    engine.close()
    b.join(30)
    assert outcome["first"] == "cancelled"
    assert outcome["second"].translations[0] and outcome["second"].errors == ()
    assert engine.stats()["cancelled"] == 1  # only the text nobody else waited for


def test_a_failing_batch_fails_only_its_own_texts(package):
    # An engine told to decode sources whole past its position table (by default they are split, by tokens).
    overreaching = Engine(package, max_source_tokens=100 * MAX_POSITIONS)
    provider = BatchingProvider(load=lambda package, **_: overreaching)
    engine = provider(package)
    too_long = "长" * (MAX_POSITIONS * 3)  # longer than the model's position table: CTranslate2 raises
    results = run_in_threads(lambda n: engine.translate([too_long] if n == 0 else [TEXTS[n]], DecodeOptions()), 4)
    assert results[0].translations == (None,) and results[0].errors
    for n in range(1, 4):
        assert results[n].translations[0] and results[n].errors == ()
    provider.close()


def test_blank_texts_and_bad_input_are_answered_without_the_queue(package, provider):
    engine = provider(package)
    assert engine.translate(["", "  "], DecodeOptions()).translations == ("", "  ")
    with pytest.raises(Exception, match="must be a str"):
        engine.translate([None], DecodeOptions())
    engine.close()
    with pytest.raises(EngineClosedError):
        engine.translate(["关了"], DecodeOptions())


def test_a_translator_over_the_provider_gives_what_it_gives_without(models_dir, provider):
    thread = [
        {"comment_id": "1", "content": "今天天气很好 [笑哭R] #日常[话题]#", "sub_comments": [
            {"comment_id": "2", "content": "Hi from Ohio! What should I post first?"}]},
        {"comment_id": "3", "content": "yyds 这个口红颜色绝了 @小红薯", "at_users": [{"nickname": "小红薯"}]},
    ]
    plain = Translator(models_dir=models_dir, cache=False).translate_thread(thread)
    batched = Translator(models_dir=models_dir, cache=False, engine_provider=provider).translate_thread(thread)
    assert batched == plain
    assert provider.reports  # the engine calls went through the batching engine


def test_each_text_is_tokenised_once_and_the_engine_gets_the_batchers_tokens(package, provider, monkeypatch):
    """Issue 23 §7: the batcher measured each text with the tokenizer, then the engine tokenised it again."""
    plain = load_engine(package)
    long_text = "今天天气很好，" * (plain.max_source_tokens // 2)  # over the position table: decoded in pieces
    texts = [*TEXTS, long_text]
    expected = plain.translate(texts, DecodeOptions())
    tokenizer = plain.tokenizer
    assert plain.translate(texts, DecodeOptions(), encoded=tokenizer.encode_each(texts)) == expected
    assert [len(t) for t in tokenizer.encode_each(texts)] == tokenizer.count(texts)
    whole_texts: list[list[str]] = []
    encode = tokenizer.encode
    monkeypatch.setattr(tokenizer, "encode", lambda batch: whole_texts.append(list(batch)) or encode(batch))
    assert provider(package).translate(texts, DecodeOptions()).translations == expected.translations
    assert all(long_text not in batch and not set(batch) & set(TEXTS) for batch in whole_texts)  # pieces only


def _one_band(plain, count: int) -> list[str]:
    """``count`` of TEXTS in one band, so that any of them may share a batch (the band depends on the fixture's
    tokenizer, which trains on ../shared/data where that exists)."""
    by_band: dict[int, list[str]] = {}
    for text, tokens in zip(TEXTS, token_counter(plain)(TEXTS)):
        by_band.setdefault(padded_length(tokens), []).append(text)
    texts = max(by_band.values(), key=len)[:count]
    assert len(texts) == count, by_band
    return texts


def test_the_coalescing_window_runs_from_the_end_of_the_last_dispatch(package):
    """Issue 24: under load the callers a dispatch just answered send their next texts within a few ms. A text
    that came while the model was busy waits ``max_wait`` from the end of that dispatch, so the next text to
    come in that window shares its batch instead of following in a batch of its own."""
    plain = load_engine(package)
    first_done = threading.Event()
    busy = 3.0  # the first batch's extra time: longer than the window, so b is overdue when the model is free

    class Slow:  # the real engine, held back on its first batch so that a text arrives meanwhile
        threads, device = plain.threads, plain.device

        def translate(self, texts, options, encoded=None):
            result = plain.translate(texts, options, encoded=encoded)
            if not first_done.is_set():
                time.sleep(busy)
                first_done.set()
            return result

    a, b, c = _one_band(plain, 3)
    reports = []
    engine = BatchingEngine(Slow(), token_counter(plain), max_wait=0.0, workers=1, on_batch=reports.append)
    try:
        results = {}

        def call(name: str, text: str) -> None:
            results[name] = engine.translate([text], DecodeOptions())

        first = threading.Thread(target=call, args=("a", a))
        first.start()
        wait_for(lambda: engine.stats()["dispatches"] == 1, "the first dispatch under way")
        engine.max_wait = busy - 1.0  # from now on: c has this long, after a's answer, to share b's batch
        waiting = threading.Thread(target=call, args=("b", b))
        waiting.start()
        first.join()
        call("c", c)  # the first caller's next text, sent as soon as it has its answer
        waiting.join()
        assert [r.texts for r in reports] == [1, 2], reports  # b waited for company from the end of a's batch
        expected = plain.translate([a, b, c], DecodeOptions()).translations
        assert tuple(results[k].translations[0] for k in "abc") == expected
    finally:
        engine.close()


class _SharedBatchFirst:
    """A BatchingEngine over the real engine (one worker, no coalescing window) whose first caller's batch is held
    until the next callers are queued behind it, so that their first texts share the next batch; each caller may
    then send one more text, after a pause."""

    def __init__(self, plain, regroup_wait: float):
        self.plain, self.reports, self.results = plain, [], {}
        self.release = threading.Event()
        release = self.release

        class Gated:
            threads, device = plain.threads, plain.device

            def translate(self, texts, options, encoded=None):
                release.wait(120)
                return plain.translate(texts, options, encoded=encoded)

        self.engine = BatchingEngine(Gated(), token_counter(plain), max_wait=0.0, regroup_wait=regroup_wait,
                                     max_batch_tokens=10**6, workers=1, on_batch=self.reports.append)

    def caller(self, first: str, then: str | None = None, pause: float = 0.0) -> None:
        self.results[first] = self.engine.translate([first], DecodeOptions())
        time.sleep(pause)  # a later caller is answered later than the first
        if then is not None:
            self.results[then] = self.engine.translate([then], DecodeOptions())

    def start(self, *callers: tuple) -> list[threading.Thread]:
        """Start ``callers`` (``caller``'s arguments): the first one's batch under way, the others queued behind it,
        then the gate opens."""
        threads = [threading.Thread(target=self.caller, args=args) for args in callers]
        threads[0].start()
        wait_for(lambda: self.engine.stats()["dispatches"] == 1, "the first batch under way")  # no one joins it
        for n, thread in enumerate(threads[1:], 2):
            thread.start()
            wait_for(lambda n=n: self.engine.stats()["calls"] == n, f"call {n} queued")
        self.release.set()
        return threads

    def close(self) -> None:
        self.release.set()  # a failed wait_for must not leave close() waiting on the gate
        self.engine.close()


def test_after_a_batch_for_several_calls_the_worker_waits_for_as_many_calls(package):
    """Issue 24: a server answers the callers of one batch one after another, so their next texts come some ms apart
    (2-22 ms at 16 clients). After a dispatch that answered two calls, the first caller's next text waits for a
    second call (up to ``regroup_wait``) and the two share a batch; then the wait ends as soon as it came. A lone
    caller's next text (its batch answered one call) is not held."""
    plain = load_engine(package)
    z, a, b, c, d, e, f = _one_band(plain, 7)
    run = _SharedBatchFirst(plain, regroup_wait=600.0)
    try:
        # z's batch answers one call; a and b go out together and answer two
        for thread in run.start((z,), (a, c), (b, d, 0.5)):
            thread.join(120)  # with the wait not ended by d's coming, this would last regroup_wait (600 s)
            assert not thread.is_alive(), run.reports
        assert [r.texts for r in run.reports] == [1, 2, 2], run.reports  # c waited for d instead of going alone
    finally:
        run.close()
    reports = []
    lone = BatchingEngine(plain, token_counter(plain), max_wait=0.0, regroup_wait=600.0, max_batch_tokens=10**6,
                          workers=1, on_batch=reports.append)
    results = {}
    try:
        alone = threading.Thread(target=lambda: results.update(
            {text: lone.translate([text], DecodeOptions()) for text in (e, f)}))
        alone.start()
        alone.join(120)  # e's batch answered one call: f goes at once, not after regroup_wait
        assert not alone.is_alive(), reports
    finally:
        lone.close()
    assert [r.texts for r in reports] == [1, 1], reports
    texts = [z, a, b, c, d, e, f]
    assert tuple({**run.results, **results}[t].translations[0] for t in texts) == plain.translate(
        texts, DecodeOptions()).translations


@pytest.mark.parametrize("end", ["regroup_wait", "hurry"])
def test_a_regroup_wait_that_no_second_call_ends_ends_at_regroup_wait_or_hurry(package, end):
    """The wait after a batch that answered two calls, when only one of them comes back: its text goes alone once
    ``regroup_wait`` has passed, or at once when the engine is told to hurry (a draining server)."""
    plain = load_engine(package)
    z, a, b, c = _one_band(plain, 4)
    run = _SharedBatchFirst(plain, regroup_wait=0.5 if end == "regroup_wait" else 600.0)
    try:
        threads = run.start((z,), (a, c), (b,))  # only a's caller comes back
        wait_for(lambda: run.engine.stats()["calls"] == 4, "c queued")
        if end == "hurry":
            run.engine.hurry()
        for thread in threads:
            thread.join(120)  # a wait that ended neither way would last 600 s
            assert not thread.is_alive(), run.reports
        assert [r.texts for r in run.reports] == [1, 2, 1], run.reports
        assert run.results[c].translations == plain.translate([c], DecodeOptions()).translations
    finally:
        run.close()


@pytest.mark.parametrize("name", ["max_wait", "regroup_wait"])
@pytest.mark.parametrize("value", [-0.001, float("inf"), float("nan")])
def test_bad_waits_are_input_errors(package, name, value):
    from xhs_translate.errors import InputError

    plain = load_engine(package)
    with pytest.raises(InputError, match=name):
        BatchingEngine(plain, token_counter(plain), **{name: value})
