"""The CTranslate2 engine, run for real on the tiny random-weight packages."""

from __future__ import annotations

import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xhs_translate.errors import InputError, UnsupportedPackageError, XhsTranslateError
from xhs_translate.models.engine import (
    DecodeOptions,
    EngineResult,
    clear_engine_cache,
    decoding_length,
    load_engine,
    plan_batches,
    resolve_threads,
)
from xhs_translate.models.install import install_package
from xhs_translate.models.packages import find_package, read_package
from xhs_translate.testing import MAX_POSITIONS, build_package

TEXTS = (
    "哈哈哈",
    "好可爱",
    "这个颜色真的绝了，求链接！",
    "so cute",
    "姐妹们这家店我去过三次了，每次都要排队一个小时，但是真的值得",
    "where did you buy this?",
    "笑死",
    "I have been looking for this everywhere, thank you so much for sharing",
)


@pytest.fixture(scope="module")
def engine(models_dir):
    return load_engine(find_package("zh", "en", models_dir))


def pieces(engine, texts) -> list[list[str]]:
    import sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_file=str(engine.package.tokenizer_path))
    return sp.encode(list(texts), out_type=str)


def tokens(engine, texts) -> list[int]:
    return [len(p) for p in pieces(engine, texts)]


def test_translates_a_batch_through_ctranslate2(engine):
    result = engine.translate(TEXTS, DecodeOptions())
    assert isinstance(result, EngineResult)
    assert len(result.translations) == len(TEXTS)
    assert all(isinstance(t, str) and t.strip() for t in result.translations)
    assert result.errors == ()
    assert result.batches == len(set(tokens(engine, TEXTS)))  # one bucket per source length, within the budget
    assert result.source_tokens == sum(tokens(engine, TEXTS))
    assert result.target_tokens >= len(TEXTS)


def test_output_is_deterministic_and_in_input_order(engine):
    first = engine.translate(TEXTS).translations
    assert engine.translate(TEXTS).translations == first
    assert engine.translate(TEXTS[::-1]).translations == first[::-1]
    # each item comes back in its own slot: alone, it translates the same as inside the sorted batch
    assert tuple(engine.translate([text]).translations[0] for text in TEXTS) == first


def comment_like(lang: str, count: int) -> list[str]:
    """Deterministic comment-like texts of 1 to ~60 tokens, written for these tests."""
    zh = "家人们谁懂啊今天天气真好一起去吃火锅吧这个博主太有意思了欢迎美国朋友来小红书学中文帮我看看英语作业"
    en = "hello from ohio the weather is great today lets eat hot pot this creator is so funny welcome friends".split()
    out = []
    for i in range(count):
        if lang == "zh":
            out.append("".join(zh[(i * 7 + k * 3) % len(zh)] for k in range(1 + i % 41)))
        else:
            out.append(" ".join(en[(i * 5 + k * 7) % len(en)] for k in range(1 + i % 29)) + f" #{i}")
    return out


@pytest.mark.parametrize("pair", [("zh", "en"), ("en", "zh")])
def test_an_item_decodes_the_same_whatever_it_is_batched_with(models_dir, pair):
    """The resume guarantee: an item's output does not depend on the other items of the call.

    Padding changes CTranslate2's arithmetic (the engine module docstring has the measurements), so batches of
    mixed lengths made a cache-resumed run differ from a fresh one. The scores CTranslate2 returns show the
    smallest numeric difference (tokens flip more rarely), so they are compared too, exactly: every item is
    decoded in the full call, in two interleaved halves, in reverse order under a small budget, and alone."""
    engine = load_engine(find_package(*pair, models_dir))
    texts = comment_like(pair[0], 240)
    assert len(set(tokens(engine, texts))) > 30  # many lengths, so a mixed-length batcher would pad

    def decode(items, options=DecodeOptions()):
        result = engine.translate(items, options)
        return list(zip(result.translations, result.scores))

    full = decode(texts)
    assert all(text and score is not None for text, score in full)
    halves = [None] * len(texts)
    for start in (0, 1):
        halves[start::2] = decode(texts[start::2])
    assert halves == full
    assert decode(texts[::-1], DecodeOptions(max_batch_tokens=64)) == full[::-1]
    assert [decode([text])[0] for text in texts] == full


def test_directions_differ(models_dir, engine):
    other = load_engine(find_package("en", "zh", models_dir))
    assert other.translate(TEXTS).translations != engine.translate(TEXTS).translations


def test_batch_count_follows_the_token_budget(engine):
    lengths = tokens(engine, TEXTS)
    budget = 2 * max(lengths)
    result = engine.translate(TEXTS, DecodeOptions(max_batch_tokens=budget))
    assert result.batches == len(plan_batches(lengths, budget)) > 1
    assert result.translations == engine.translate(TEXTS).translations  # budget changes cost, not output


def test_blank_and_empty_inputs_are_not_decoded(engine):
    assert engine.translate([]) == EngineResult(translations=(), batches=0, source_tokens=0, target_tokens=0)
    result = engine.translate(["", "  ", "好可爱"])
    assert result.translations[:2] == ("", "  ")
    assert result.translations[2] and result.batches == 1


def test_non_string_input_is_rejected(engine):
    with pytest.raises(InputError, match=r"texts\[1\]"):
        engine.translate(["ok", None])


def test_a_failing_batch_keeps_the_others(engine):
    """A source longer than the model's position table makes CTranslate2 raise for that batch only."""
    too_long = "这是一个非常长的句子，" * 200
    assert tokens(engine, [too_long])[0] > MAX_POSITIONS
    texts = [TEXTS[0], too_long, TEXTS[3]]
    result = engine.translate(texts, DecodeOptions(max_batch_tokens=MAX_POSITIONS))
    assert result.translations[1] is None
    assert result.translations[0] == engine.translate([TEXTS[0]]).translations[0]
    assert result.translations[2] == engine.translate([TEXTS[3]]).translations[0]
    assert result.batches == 3
    (error,) = result.errors
    assert "position" in error and "failed" in error


def test_load_engine_is_cached_and_loads_once_across_threads(models_dir):
    package = find_package("zh", "en", models_dir)
    clear_engine_cache()
    barrier = threading.Barrier(6)

    def load(_):
        barrier.wait()
        return load_engine(package)

    with ThreadPoolExecutor(6) as pool:
        engines = list(pool.map(load, range(6)))
    assert all(e is engines[0] for e in engines)
    assert load_engine(package) is engines[0]
    assert load_engine(package, intra_threads=3) is not engines[0]  # other settings, other engine
    assert load_engine(package, inter_threads=None, intra_threads=None) is engines[0]  # None = the resolved default
    clear_engine_cache()
    assert load_engine(package) is not engines[0]


def test_concurrent_translations_match_sequential_ones(engine):
    expected = [engine.translate([t]).translations[0] for t in TEXTS]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda t: engine.translate([t]).translations[0], TEXTS * 3))
    assert got == expected * 3


def test_signature_names_package_compute_type_and_ctranslate2(engine):
    import ctranslate2

    assert engine.signature.startswith("translate-zh_en@1.0 ")
    assert engine.compute_type in engine.signature and ctranslate2.__version__ in engine.signature


def test_bpe_package_is_rejected(tiny_archives, tmp_path):
    with zipfile.ZipFile(tiny_archives[("zh", "en")]) as zf:
        zf.extractall(tmp_path)
    (folder,) = tmp_path.iterdir()
    (folder / "sentencepiece.model").rename(folder / "bpe.model")
    package = read_package(folder)
    assert package.tokenizer == "bpe"
    with pytest.raises(UnsupportedPackageError, match="only SentencePiece") as info:
        load_engine(package)
    assert package.package_id in str(info.value)


def test_bad_compute_type_is_rejected(models_dir):
    with pytest.raises(InputError, match="compute_type"):
        load_engine(find_package("zh", "en", models_dir), compute_type="float8")


def test_target_prefix_is_passed_and_stripped(tmp_path):
    archive = build_package(tmp_path / "build", "en", "zh", target_prefix="__zh__")
    package = install_package(archive, models_dir=tmp_path / "models")
    assert package.target_prefix == "__zh__"
    engine = load_engine(package)
    result = engine.translate(TEXTS)
    assert all(t and "__zh__" not in t for t in result.translations)
    # what the engine strips: CTranslate2 returns the prefix at the head of every hypothesis
    import ctranslate2

    translator = ctranslate2.Translator(str(package.model_dir), compute_type="int8")
    raw = translator.translate_batch(pieces(engine, TEXTS), target_prefix=[["__zh__"]] * len(TEXTS))
    assert all(r.hypotheses[0][0] == "__zh__" for r in raw)


@given(st.lists(st.integers(min_value=0, max_value=300), max_size=60), st.integers(min_value=1, max_value=1000))
def test_plan_batches_covers_every_item_once_within_budget(lengths, budget):
    buckets = plan_batches(lengths, budget)
    flat = [i for bucket in buckets for i in bucket]
    assert sorted(flat) == list(range(len(lengths)))
    for bucket in buckets:
        cost = len(bucket) * max(max(1, lengths[i]) for i in bucket)
        assert cost <= budget or len(bucket) == 1
    bucket_lengths = [{lengths[i] for i in bucket} for bucket in buckets]
    assert all(len(one) == 1 for one in bucket_lengths)  # never mixed lengths: nothing is padded
    ordered = [min(one) for one in bucket_lengths]
    assert ordered == sorted(ordered)  # shortest first


@given(st.integers(min_value=0, max_value=2000), st.floats(min_value=0.1, max_value=5), st.integers(0, 50))
def test_decoding_length_is_proportional_and_capped(n, ratio, extra):
    options = DecodeOptions(length_ratio=ratio, length_extra=extra, max_decoding_length=300)
    bound = decoding_length(n, options)
    assert bound <= 300
    assert bound == 300 or bound >= ratio * n + extra


def test_decode_options_fingerprint_is_stable_and_covers_every_field():
    base = DecodeOptions()
    assert base.fingerprint() == DecodeOptions().fingerprint()
    changed = [
        DecodeOptions(beam_size=3),
        DecodeOptions(max_batch_tokens=1000),
        DecodeOptions(length_ratio=1.5),
        DecodeOptions(length_extra=3),
        DecodeOptions(max_decoding_length=100),
        DecodeOptions(repetition_penalty=1.2),
        DecodeOptions(no_repeat_ngram_size=0),
        DecodeOptions(length_penalty=0.8),
    ]
    assert len({base.fingerprint(), *(o.fingerprint() for o in changed)}) == len(changed) + 1


@pytest.mark.parametrize(
    "kwargs",
    [{"beam_size": 0}, {"max_batch_tokens": -1}, {"length_ratio": 0}, {"no_repeat_ngram_size": -1}, {"beam_size": 1.5}],
)
def test_bad_decode_options_raise_a_clear_error(kwargs):
    with pytest.raises(XhsTranslateError, match=next(iter(kwargs))):
        DecodeOptions(**kwargs)


def test_thread_defaults_share_the_cores_between_at_most_two_replicas():
    import os

    cores = os.cpu_count() or 1
    inter, intra = resolve_threads()
    assert inter == min(2, cores) and intra == max(1, cores // inter)
    assert resolve_threads(1, 0) == (1, 0)  # explicit values pass through; 0 is CTranslate2's own default
    assert resolve_threads(3, None) == (3, max(1, cores // 3))
    for bad in ({"inter_threads": 0}, {"intra_threads": -1}, {"inter_threads": 1.5}):
        with pytest.raises(InputError):
            resolve_threads(**bad)
