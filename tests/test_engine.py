"""The CTranslate2 engine, run for real on the tiny random-weight packages."""

from __future__ import annotations

import math
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st

import xhs_translate.config as config_module
import xhs_translate.models.engine as engine_module
from xhs_translate.config import DEFAULT_BATCH_TOKENS, DecodeOptions
from xhs_translate.errors import InputError, UnsupportedPackageError, XhsTranslateError
from xhs_translate.models.demo import MAX_POSITIONS, build_package
from xhs_translate.models.engine import (
    Engine,
    EngineResult,
    clear_engine_cache,
    decoding_length,
    load_engine,
    padded_length,
    padded_sources,
    plan_batches,
    resolve_compute_type,
    resolve_device,
    resolve_threads,
)
from xhs_translate.models.install import install_package
from xhs_translate.models.packages import find_package, read_package
from xhs_translate.results import token_weighted_confidence

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
    assert result.batches == len({padded_length(n) for n in tokens(engine, TEXTS)})  # one bucket per band
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
    en = ["hello", "from", "ohio", "the", "weather", "is", "great", "today", "lets", "eat", "hot", "pot", "this",
          "creator", "is", "so", "funny", "welcome", "friends"]
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

    def decode(items, options=None):
        result = engine.translate(items, options or DecodeOptions())
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


@pytest.fixture(scope="module")
def overreaching(models_dir):
    """An engine told to decode sources whole past its position table: CTranslate2 raises for such a batch, a
    genuine per-batch failure (the default limit splits them instead: tests/test_long_text.py)."""
    return Engine(find_package("zh", "en", models_dir), max_source_tokens=100 * MAX_POSITIONS)


def test_a_failing_batch_keeps_the_others(overreaching):
    """A source longer than the model's position table makes CTranslate2 raise for that batch only."""
    engine = overreaching
    too_long = "这是一个非常长的句子，" * 200
    assert tokens(engine, [too_long])[0] > MAX_POSITIONS
    texts = [TEXTS[0], too_long, TEXTS[3]]
    result = engine.translate(texts, DecodeOptions(max_batch_tokens=MAX_POSITIONS))
    assert result.translations[1] is None
    assert result.translations[0] == engine.translate([TEXTS[0]]).translations[0]
    assert result.translations[2] == engine.translate([TEXTS[3]]).translations[0]
    assert result.batches == len({padded_length(n) for n in tokens(engine, texts)})
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


def test_signature_names_family_package_direction_device_compute_type_and_ctranslate2(engine):
    import ctranslate2

    assert engine.signature == f"argos:translate-zh_en@1.0 zh-en cpu/int8 ctranslate2-{ctranslate2.__version__}"


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
    bands = [{padded_length(max(1, lengths[i])) for i in bucket} for bucket in buckets]
    assert all(len(one) == 1 for one in bands)  # one band per bucket: every source padded to the band's length
    for bucket, (band,) in zip(buckets, bands):
        assert (len(bucket) + 1) * band <= budget or len(bucket) == 1  # the filler counted
    ordered = [min(one) for one in bands]
    assert ordered == sorted(ordered)  # shortest first


@given(st.lists(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=600), min_size=1, max_size=8))
def test_padded_sources_reach_the_band_length_with_one_filler_at_most(sources):
    band = padded_length(max(len(s) for s in sources))
    padded = padded_sources(sources)
    assert padded[: len(sources)] == sources  # the sources themselves, in order, untouched
    assert max(len(s) for s in padded) == band >= max(len(s) for s in sources)
    assert len(padded) == len(sources) + (max(len(s) for s in sources) < band)


@given(st.integers(min_value=0, max_value=2000), st.floats(min_value=0.1, max_value=5), st.integers(0, 50))
def test_decoding_length_is_proportional_and_capped(n, ratio, extra):
    options = DecodeOptions(length_ratio=ratio, length_extra=extra, max_decoding_length=300)
    bound = decoding_length(n, options)
    assert bound <= 300
    assert bound == 300 or bound >= ratio * n + extra


def test_decode_options_fingerprint_is_stable_and_covers_every_field_that_changes_output():
    base = DecodeOptions()
    assert base.fingerprint() == DecodeOptions().fingerprint()
    # the budget decides how many segments of a band share a call: cost, not output (tested above), so it
    # stays out of cache keys, and a GPU's larger budget reuses a CPU run's cache
    assert DecodeOptions(max_batch_tokens=16384).fingerprint() == base.fingerprint()
    changed = [
        DecodeOptions(beam_size=3),
        DecodeOptions(length_ratio=1.5),
        DecodeOptions(length_extra=3),
        DecodeOptions(max_decoding_length=100),
        DecodeOptions(repetition_penalty=1.2),
        DecodeOptions(no_repeat_ngram_size=0),
        DecodeOptions(length_penalty=0.8),
    ]
    assert len({base.fingerprint(), *(o.fingerprint() for o in changed)}) == len(changed) + 1


def test_the_length_bands_are_in_the_fingerprint(monkeypatch):
    """Bands decide the padding, hence outputs (issue 24 made them coarser): cached outputs of other bands are
    not reused."""
    assert engine_module.PADDED_LENGTHS is config_module.PADDED_LENGTHS  # the engine pads by the hashed table
    before = DecodeOptions().fingerprint()
    monkeypatch.setattr(config_module, "PADDED_LENGTHS", (4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32))
    assert DecodeOptions().fingerprint() != before


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


# --- scores ------------------------------------------------------------------------------------------------


def same_options(options: DecodeOptions, limit: int) -> dict:
    return dict(beam_size=options.beam_size, max_input_length=0, max_decoding_length=limit,
                no_repeat_ngram_size=options.no_repeat_ngram_size, length_penalty=options.length_penalty,
                repetition_penalty=options.repetition_penalty, return_scores=True)


@pytest.mark.parametrize("options", [DecodeOptions(), DecodeOptions(beam_size=1), DecodeOptions(length_penalty=0.5)])
def test_scores_are_the_ones_ctranslate2_returned_for_the_batch(engine, options):
    texts = comment_like("zh", 60)
    result = engine.translate(texts, options)
    tokens, _ = engine.tokenizer.encode(texts)
    by_band: dict[int, list[int]] = {}
    for i, t in enumerate(tokens):
        by_band.setdefault(padded_length(len(t)), []).append(i)
    for band, items in by_band.items():  # the same batches (with the filler), straight to CTranslate2
        direct = engine._translator.translate_batch(
            padded_sources([tokens[i] for i in items]), **same_options(options, decoding_length(band, options)))
        assert [result.scores[i] for i in items] == [r.scores[0] for r in direct[: len(items)]]


@pytest.mark.parametrize("options", [DecodeOptions(), DecodeOptions(beam_size=1), DecodeOptions(length_penalty=0.5),
                                     DecodeOptions(max_decoding_length=3)])
def test_log_probs_undo_ctranslate2s_length_normalisation(models_dir, options, tmp_path):
    """Checked against CTranslate2's own per-token log-probs (score_batch), with and without a target prefix and
    for hypotheses cut at the length bound (no end token then)."""
    prefixed = install_package(build_package(tmp_path / "b", "en", "zh", target_prefix="__zh__"), tmp_path / "m")
    for package, texts in ((find_package("zh", "en", models_dir), comment_like("zh", 24)), (prefixed, TEXTS)):
        engine = load_engine(package)
        result = engine.translate(texts, options)
        tokens, prefix = engine.tokenizer.encode(texts)
        for i, source in enumerate(tokens):
            padded = padded_sources([source])
            direct = engine._translator.translate_batch(
                padded, target_prefix=[list(prefix)] * len(padded) if prefix else None,
                **same_options(options, decoding_length(len(source), options) + len(prefix)))[0]
            hypothesis = direct.hypotheses[0]
            (scored,) = engine._translator.score_batch([source], [hypothesis])
            per_token = scored.log_probs[len(prefix):]  # the forced prefix is not the model's choice
            cut = len(hypothesis) == decoding_length(len(source), options) + len(prefix)
            if cut:
                per_token = per_token[:-1]  # score_batch appends an end token the decoder never chose
            assert result.scored_tokens[i] == len(per_token)
            # score_batch runs the decoder over the whole hypothesis at once, translate_batch step by step: their
            # int8 arithmetic differs by ~1e-4 relative. A wrong count (an end token more or less, the prefix
            # counted) would be off by a whole token's log-prob, or by a factor (n+1)/n: far outside this bound.
            assert result.log_probs[i] == pytest.approx(sum(per_token), rel=2e-3)
            assert 0 < result.confidences[i] <= 1
        assert any(n > 0 for n in result.scored_tokens)


def test_token_weighted_confidence():
    assert token_weighted_confidence([]) == 1.0
    assert token_weighted_confidence([(math.log(0.5) * 2, 2)]) == pytest.approx(0.5)
    # weighted by tokens: a 3-token segment at p=0.5 and a 1-token certain piece (glossary) -> exp(3 ln .5 / 4)
    assert token_weighted_confidence([(3 * math.log(0.5), 3), (0.0, 1)]) == pytest.approx(0.5 ** 0.75)


def test_blank_and_failed_items_have_no_score(overreaching):
    too_long = "这是一个非常长的句子，" * 200
    result = overreaching.translate(["", "好可爱", too_long], DecodeOptions(max_batch_tokens=MAX_POSITIONS))
    assert result.scores[0] is None and result.scores[2] is None and result.scores[1] is not None
    assert result.confidences == (None, result.confidences[1], None) and result.scored_tokens[0] == 0


# --- device ------------------------------------------------------------------------------------------------


def test_auto_device_resolves_to_the_cpu_without_a_gpu(models_dir):
    import ctranslate2

    assert ctranslate2.get_cuda_device_count() == 0  # this machine has no GPU
    assert resolve_device("auto") == resolve_device() == "cpu"
    assert resolve_compute_type("auto", "cpu") == "int8"
    engine = load_engine(find_package("zh", "en", models_dir), device="auto")
    assert (engine.device, engine.compute_type) == ("cpu", "int8") and " cpu/int8 " in engine.signature
    with pytest.raises(InputError, match="no CUDA device"):
        resolve_device("cuda")
    with pytest.raises(InputError, match="auto, cpu, cuda"):
        resolve_device("gpu")
    assert resolve_threads(device="cuda") == (1, 0)  # one replica feeds a GPU


def test_the_batch_budget_follows_the_device():
    assert DecodeOptions().batch_tokens("cpu") == DEFAULT_BATCH_TOKENS["cpu"] == 1024
    assert DecodeOptions().batch_tokens("cuda") == DEFAULT_BATCH_TOKENS["cuda"] > 1024
    assert DecodeOptions(max_batch_tokens=64).batch_tokens("cuda") == 64


def test_memory_is_trimmed_after_enough_decoding_not_after_every_small_call(engine, monkeypatch):
    """Issue 24: malloc_trim after every call made a server's small calls fault their memory back in each time
    (10-19k page faults per thread per 120 requests); it now runs once per TRIM_EVERY_TOKENS decoded tokens."""
    trims = []
    real = engine_module.release_free_memory
    monkeypatch.setattr(engine_module, "release_free_memory", lambda: (trims.append(1), real()))
    monkeypatch.setattr(engine_module, "TRIM_EVERY_TOKENS", 200)
    monkeypatch.setattr(engine, "_untrimmed", 0)
    for text in TEXTS[:5]:  # 5 short texts, one call each: 5 x 8 padded tokens
        engine.translate([text])
    assert trims == []
    engine.translate(TEXTS * 4)  # well over 200 padded tokens: one trim at its end
    assert trims == [1]
