"""TranslatorConfig: one frozen, checked object that the API, the CLI and the server build mechanically."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from xhs_translate import InputError, MissingFieldError, ModelNotInstalledError, Translator, TranslatorConfig
from xhs_translate.cli import build_parser, translator_config
from xhs_translate.config import DecodeOptions, EngineConfig, FieldSchema
from xhs_translate.models.install import install_package


def test_flat_options_map_onto_the_nested_configs():
    config = TranslatorConfig.from_options(target="en", compute_type="float32", inter_threads=1, id_field="id",
                                           text_field="body", field_prefix="xhs_", beam_size=4)
    assert config.target == "en"
    assert config.engine == EngineConfig(compute_type="float32", inter_threads=1)
    assert config.fields == FieldSchema(id_field="id", text_field="body", prefix="xhs_")
    assert config.fields.translation_fields[2] == "xhs_translation"
    assert config.decode_options == DecodeOptions(beam_size=4)
    assert config.replace(target="zh").target == "zh" and config.replace(target="zh").fields == config.fields
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.target = "zh"  # type: ignore[misc]


@pytest.mark.parametrize("options, name", [
    ({"target": "fr"}, "target"),
    ({"zh_variant": "Hanz"}, "zh_variant"),
    ({"errors": "ignore"}, "errors"),
    ({"decode_options": "fast"}, "decode_options"),
    ({"beam_size": 0}, "beam_size"),
    ({"inter_threads": 0}, "inter_threads"),
    ({"text_field": ""}, "text_field"),
    ({"field_prefix": 3}, "field_prefix"),
    ({"memo_size": -1}, "memo_size"),
    ({"mark_cached": "yes"}, "mark_cached"),
    ({"languages": ()}, "languages"),
    ({"languages": ("ZH",)}, "languages"),
    ({"languages": "zh"}, "languages"),
    ({"models_dir": 42}, "models_dir"),
    ({"models": ("quickmt",)}, "models"),
    ({"models": {"zh_en": "nllb"}}, "models"),
    ({"confidence_threshold": 1.5}, "confidence_threshold"),
])
def test_bad_options_are_input_errors_naming_the_option(options, name):
    with pytest.raises(InputError, match=name):
        TranslatorConfig.from_options(**options)
    with pytest.raises(InputError, match=name):
        Translator(cache=False, **options)


def test_an_unknown_option_is_a_type_error_listing_the_known_ones():
    with pytest.raises(TypeError, match=r"unknown Translator option.*tagret.*known: .*target"):
        Translator(cache=False, tagret="en")


def test_the_cli_maps_every_translate_option_onto_the_config(tmp_path):
    args = build_parser().parse_args([
        "translate", "in.json", "--to", "en", "--zh-variant", "Hant", "--errors", "mark", "--no-builtin-glossary",
        "--mark-cached", "--field-prefix", "x_", "--id-field", "id", "--text-field", "t", "--parent-field", "p",
        "--beam-size", "3", "--inter-threads", "1", "--intra-threads", "2", "--compute-type", "float32",
        "--models-dir", str(tmp_path), "--languages", "zh,en,es",
    ])
    assert translator_config(args) == TranslatorConfig.from_options(
        target="en", zh_variant="Hant", errors="mark", builtin_glossary=False, mark_cached=True, field_prefix="x_",
        id_field="id", text_field="t", parent_field="p", beam_size=3, inter_threads=1, intra_threads=2,
        compute_type="float32", models_dir=str(tmp_path), languages=("zh", "en", "es"))
    assert translator_config(build_parser().parse_args(["translate", "x", "--languages", "all"])).languages is None
    defaults = translator_config(build_parser().parse_args(["translate", "in.json"]))
    assert defaults == TranslatorConfig()  # the CLI's defaults are the API's


def test_the_constructor_target_is_the_default_of_every_call(models_dir):
    translator = Translator(models_dir=models_dir, cache=False, target="auto")
    hello = translator.translate("hello there")
    assert (hello.status, hello.source_lang, hello.target_lang) == ("translated", "en", "zh")
    english = Translator(models_dir=models_dir, cache=False, target="en")
    assert english.translate("hello there").status == "same_language"
    assert translator.translate("hello there", target="en").status == "same_language"
    with pytest.raises(InputError, match="target"):
        translator.translate("hello", target="fr")


def test_a_thread_without_the_text_field_names_the_field_options(models_dir):
    translator = Translator(models_dir=models_dir, cache=False)
    with pytest.raises(MissingFieldError, match=r"no 'content' field \(fields found: id, text\).*text_field="):
        translator.translate_thread([{"id": "1", "text": "hi"}, {"id": "2", "text": "好"}])
    assert translator.stats()["segments"] == 0
    mixed = translator.translate_thread([{"id": "1", "text": "hi"}, {"content": "好可爱"}])  # one has it: no error
    assert [c["translation_status"] for c in mixed] == ["no_text", "translated"]
    assert translator.translate_thread([]) == []


def test_one_error_names_every_missing_model(tmp_path, tiny_archives):
    empty = tmp_path / "none"
    empty.mkdir()
    with pytest.raises(ModelNotInstalledError) as info:
        Translator(models_dir=empty, cache=False).translate_thread([{"content": "好可爱"}])
    assert set(info.value.pairs) == {("zh", "en"), ("en", "zh")}
    assert "zh->en and en->zh" in str(info.value) or "en->zh and zh->en" in str(info.value)
    assert "xhs-translate models install en zh" in str(info.value)
    only = tmp_path / "only"
    install_package(tiny_archives[("zh", "en")], models_dir=only)
    with pytest.raises(ModelNotInstalledError) as info:
        Translator(models_dir=only, cache=False).translate_many(["so cute"], target="auto")
    assert info.value.pairs == (("en", "zh"),)
    with pytest.raises(ModelNotInstalledError) as info:  # target en needs only zh->en: nothing else is named
        Translator(models_dir=empty, cache=False).translate_many(["好可爱"], target="en")
    assert info.value.pairs == (("zh", "en"),)


def test_a_translator_closes_its_cache_and_works_as_a_context_manager(models_dir, tmp_path):
    path = tmp_path / "c.sqlite3"
    with Translator(models_dir=models_dir, cache=path) as translator:
        first = translator.translate("好可爱", target="en")
    again = translator.translate("好可爱", target="en")  # a closed cache reopens on next use
    assert again == first and translator.stats()["comment_hits"] == 1
    translator.close()


def test_the_signature_line_names_what_decides_the_output(models_dir):
    translator = Translator(models_dir=models_dir, cache=False, target="en", languages=("zh", "en"))
    translator.translate("好可爱")
    line = str(translator.signature)
    assert line.startswith("xhs-translate:") and "models:argos:translate-zh_en@1.0" in line
    assert "|target:en|zh:Hans|lang:zh+en|" in line and "|device:cpu|compute:int8|" in line
    assert line.endswith("|cache:off")


def test_the_languages_option_is_the_domain_prior_of_detection(models_dir, tmp_path):
    # written for the project: short English that an open-world detector gives to other languages
    default = Translator(models_dir=models_dir, cache=False).translate("Rednote time")
    assert (default.source_lang, default.status) == ("en", "translated")
    open_world = Translator(models_dir=models_dir, cache=False, languages=None).translate("Rednote time")
    assert open_world.source_lang != "en" and open_world.status == "unsupported_language"
    assert str(Translator(cache=False, languages="all").signature).count("|lang:any|") == 1
    # a different prior is a different whole-comment cache entry
    path = tmp_path / "c.sqlite3"
    Translator(models_dir=models_dir, cache=path).translate("Rednote time")
    again = Translator(models_dir=models_dir, cache=path, languages=None)
    assert again.translate("Rednote time").status == "unsupported_language" and again.stats()["comment_hits"] == 0


def _loaded_by(module: str) -> set[str]:
    """The package modules that importing ``module`` loads, in a fresh interpreter."""
    code = (f"import json, sys, {module}; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('xhs_translate'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out))


def test_configuration_depends_on_no_stage_it_configures():
    """Issue 23 §4: config imported detection, models.engine and thread; the stages now take their settings and
    checks (DecodeOptions, DEFAULT_LANGUAGES, expected_languages, the added field names) from it."""
    assert _loaded_by("xhs_translate.config") == {"xhs_translate", "xhs_translate.config", "xhs_translate.errors",
                                                  "xhs_translate.results"}


def test_pure_assembly_and_planning_load_no_engine():
    """Issue 23 §4: assembly imported the engine for token_weighted_confidence (now results'); planning read
    detection's private character classes (now _scripts.py's, which both share)."""
    loaded = _loaded_by("xhs_translate._assembly")
    assert "xhs_translate._planning" in loaded and "xhs_translate._scripts" in loaded
    assert not any(name.startswith("xhs_translate.models") for name in loaded)
