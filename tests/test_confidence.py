"""translation_confidence: exp of the mean token log-probability that CTranslate2 returned, weighted by tokens,
with protected spans and glossary terms as certain tokens, to 4 decimal places; low_confidence below the
threshold; the same from the cache as from the model."""

from __future__ import annotations

import math

import pytest

from xhs_translate import Translator
from xhs_translate.models.engine import DecodeOptions, load_engine
from xhs_translate.models.packages import find_package


@pytest.fixture(scope="module")
def engine(models_dir):
    return load_engine(find_package("zh", "en", models_dir))


def test_the_confidence_is_the_engines_own_score_for_a_batch(models_dir, engine):
    texts = ["今天天气很好", "这个口红颜色绝了", "周末一起去爬山吗"]  # one sentence each: one model piece each
    direct = engine.translate(texts, DecodeOptions())
    results = Translator(models_dir=models_dir, cache=False, builtin_glossary=False).translate_many(texts, target="en")
    for result, log_prob, tokens in zip(results, direct.log_probs, direct.scored_tokens):
        assert result.confidence == round(math.exp(log_prob / tokens), 4)  # the score, to 4 places
        assert 0.0 < result.confidence <= 1.0
    assert [r.translation for r in results] == list(direct.translations)


def test_protected_spans_and_glossary_terms_count_as_certain_tokens(models_dir, engine):
    plain = engine.translate(["今天天气很好"], DecodeOptions())
    lp, n = plain.log_probs[0], plain.scored_tokens[0]
    translator = Translator(models_dir=models_dir, cache=False, builtin_glossary=False)
    with_emoji = translator.translate("今天天气很好[笑哭R]", target="en")
    assert with_emoji.confidence == round(math.exp(lp / (n + 1)), 4)
    glossary_only = Translator(models_dir=models_dir, cache=False).translate("yyds", target="en")
    assert glossary_only.translation == "GOAT" and glossary_only.confidence == 1.0


def test_low_confidence_follows_the_threshold_and_fields_carry_the_score(models_dir):
    comment = [{"comment_id": "1", "content": "今天天气很好"}, {"comment_id": "2", "content": "so cute"}]
    strict = Translator(models_dir=models_dir, cache=False, confidence_threshold=1.0).translate_thread(comment)
    lenient = Translator(models_dir=models_dir, cache=False, confidence_threshold=0.0).translate_thread(comment)
    for hard, easy in zip(strict, lenient):
        assert hard["translation_confidence"] == easy["translation_confidence"] < 1.0
        assert "low_confidence" in hard["translation_flags"] and "low_confidence" not in easy["translation_flags"]
    strict_flags = Translator(models_dir=models_dir, cache=False, confidence_threshold=1.0)
    strict_flags.translate_thread(comment * 3)
    assert strict_flags.stats()["flags"]["low_confidence"] == 6  # counted per result, shown in the CLI summary
    no_text = Translator(models_dir=models_dir, cache=False).translate_thread([{"content": "👍"}])[0]
    assert no_text["translation_status"] == "no_text" and no_text["translation_confidence"] is None


def test_a_cache_hit_gives_the_same_confidence(models_dir, tmp_path):
    texts = ["今天天气很好", "so cute I love it", "好可爱[笑哭R] #美食[话题]#", "哈哈哈哈。I love this city."]
    fresh = Translator(models_dir=models_dir, cache=False).translate_many(texts, target="auto")
    path = tmp_path / "c.sqlite3"
    Translator(models_dir=models_dir, cache=path).translate_many(texts, target="auto")
    segments_only = Translator(models_dir=models_dir, cache=path, memo_size=0)
    from_segments = segments_only.translate_many([t + " " for t in texts], target="auto")  # new comments, old segments
    assert segments_only.stats()["segments_translated"] == 0
    assert [r.confidence for r in from_segments] == [r.confidence for r in fresh]
    whole = Translator(models_dir=models_dir, cache=path)
    assert whole.translate_many(texts, target="auto") == fresh and whole.stats()["comment_hits"] == len(texts)
