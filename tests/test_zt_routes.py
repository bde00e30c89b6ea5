"""Traditional Chinese routing: Argos ``zt`` packages when installed, OpenCC around the zh packages otherwise.

The fixture packages' weights depend on the language pair, so a zt package and a zh package give different
(gibberish) outputs for the same text, and the tests can tell which one served a comment.
"""

from __future__ import annotations

import opencc
import pytest
from testkit.models import cached_package

from xhs_translate import Translator, detect
from xhs_translate.models.install import install_package

TRADITIONAL = "這個真的太好看了，謝謝你們"
SIMPLIFIED = "这个真的太好看了，谢谢你们"
ENGLISH = "I love it so much"


@pytest.fixture(scope="module")
def zt_models_dir(tmp_path_factory, tiny_archives):
    """zh<->en plus zt<->en, all installed from file."""
    root = tmp_path_factory.mktemp("models-zt")
    for archive in (*tiny_archives.values(), cached_package("zt", "en"), cached_package("en", "zt")):
        install_package(archive, models_dir=root)
    return root


def _routes(translator: Translator) -> dict[str, str]:
    return dict(translator.signature.routes)


def test_inputs_are_detected_as_intended():
    assert detect(TRADITIONAL).script == "Hant" and detect(SIMPLIFIED).script == "Hans"


def test_traditional_comment_uses_the_zt_package(zt_models_dir, models_dir):
    with_zt = Translator(models_dir=zt_models_dir, cache=False)
    result = with_zt.translate(TRADITIONAL)
    assert result.status == "translated" and result.source_lang == "zh"
    assert _routes(with_zt) == {"zh-Hant->en": "argos:translate-zt_en@1.0"}
    fallback = Translator(models_dir=models_dir, cache=False).translate(TRADITIONAL)
    assert result.translation != fallback.translation


def test_simplified_comment_keeps_the_zh_package_when_zt_is_installed(zt_models_dir):
    translator = Translator(models_dir=zt_models_dir, cache=False)
    translator.translate(SIMPLIFIED)
    assert _routes(translator) == {"zh->en": "argos:translate-zh_en@1.0"}


def test_without_zt_traditional_is_converted_to_simplified_for_the_zh_package(models_dir):
    translator = Translator(models_dir=models_dir, cache=False)
    result = translator.translate(TRADITIONAL)
    assert _routes(translator) == {"zh-Hant->en": "argos:translate-zh_en@1.0"}
    converted = Translator(models_dir=models_dir, cache=False).translate(opencc.OpenCC("t2s").convert(TRADITIONAL))
    assert result.translation == converted.translation


def test_hant_output_uses_the_en_zt_package(zt_models_dir, models_dir):
    translator = Translator(models_dir=zt_models_dir, cache=False, zh_variant="Hant")
    result = translator.translate(ENGLISH, target="zh")
    assert result.status == "translated" and result.target_lang == "zh"
    assert _routes(translator) == {"en->zh": "argos:translate-en_zt@1.0"}
    via_s2t = Translator(models_dir=models_dir, cache=False, zh_variant="Hant").translate(ENGLISH, target="zh")
    assert result.translation != via_s2t.translation


def test_zt_and_zh_routes_do_not_share_cache_entries(zt_models_dir, models_dir, tmp_path):
    cache = tmp_path / "cache.sqlite3"
    fallback = Translator(models_dir=models_dir, cache=cache).translate(TRADITIONAL)
    with_zt = Translator(models_dir=zt_models_dir, cache=cache).translate(TRADITIONAL)
    assert with_zt.translation == Translator(models_dir=zt_models_dir, cache=False).translate(TRADITIONAL).translation
    assert with_zt.translation != fallback.translation
