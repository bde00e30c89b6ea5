"""Model families on random-weight models built in each layout (``testkit.models.build_model``).

What each family sends to CTranslate2 is checked token by token against what the projects' own code sends
(cited in ``xhs_translate/models/families/``), on the real engine: a recording wrapper observes the calls to a
real ``ctranslate2.Translator`` and forwards them unchanged.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from testkit.models import MODEL_FAMILIES, cached_model

from xhs_translate import Translator
from xhs_translate.errors import InputError, ModelChoiceError, PackageError
from xhs_translate.models.engine import DecodeOptions, Engine, clear_engine_cache, load_engine, padded_sources
from xhs_translate.models.families import FAMILY_NAMES, read_folder
from xhs_translate.models.install import install_model
from xhs_translate.models.packages import MANIFEST_FILE, PREFERENCE, find_package, list_packages, remove_package

TEXTS = ("这个颜色真的绝了", "so cute", "姐妹们这家店我去过三次了", "where did you buy this?")
BOTH = (("zh", "en"), ("en", "zh"))


def layouts() -> dict[str, list[Path]]:
    """Each family's folders for both directions: bilingual families get two folders, multilingual ones one."""
    return {
        "quickmt": [cached_model("quickmt", (pair,)) for pair in BOTH],
        "opus-mt": [cached_model("opus-mt", (pair,)) for pair in BOTH],
        "nllb": [cached_model("nllb")],
        "m2m100": [cached_model("m2m100")],
    }


@pytest.fixture(scope="module")
def family_dirs(tmp_path_factory, tiny_archives) -> dict[str, Path]:
    """family -> a models dir holding only that family's models for zh->en and en->zh, installed like a user would."""
    dirs = {}
    for family, folders in {**layouts(), "argos": list(tiny_archives.values())}.items():
        root = tmp_path_factory.mktemp(f"models-{family}")
        for folder in folders:
            install_model(folder, root)
        dirs[family] = root
    return dirs


@pytest.fixture(scope="module")
def mixed_dir(tmp_path_factory, family_dirs) -> Path:
    """Every family installed side by side."""
    root = tmp_path_factory.mktemp("models-all")
    for source in family_dirs.values():
        for folder in source.iterdir():
            shutil.copytree(folder, root / folder.name)
    return root


class Recording:
    """Observes translate_batch calls on a real ctranslate2.Translator and forwards them unchanged."""

    def __init__(self, model):
        self.model = model
        self.calls: list[dict] = []

    def translate_batch(self, source, **kwargs):
        self.calls.append({"source": [list(s) for s in source], "target_prefix": kwargs.get("target_prefix")})
        return self.model.translate_batch(source, **kwargs)


def recorded_engine(package) -> tuple[Engine, Recording]:
    import ctranslate2

    recording = Recording(ctranslate2.Translator(str(package.model_dir), device="cpu", compute_type="int8"))
    return Engine(package, device="cpu", model=recording), recording


def pieces(package, text: str) -> list[str]:
    import sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_file=str(package.tokenizer_path))
    return sp.encode(text, out_type=str)


# --- recognising the layouts ------------------------------------------------------------------------------


def test_every_family_is_built_and_recognised(family_dirs):
    assert sorted(family_dirs) == sorted(FAMILY_NAMES) == sorted(("argos", *MODEL_FAMILIES))
    for family, root in family_dirs.items():
        packages = list_packages(root)
        assert {p.family for p in packages} == {family}
        assert {("zh", "en"), ("en", "zh")} <= {(p.from_code, p.to_code) for p in packages}


EXPECTED_TOKENS = {
    # family: {pair: (source prefix, source suffix, target prefix)} as the family modules cite them
    "argos": {"zh-en": ((), (), ""), "en-zh": ((), (), "")},
    "quickmt": {"zh-en": ((), (), ""), "en-zh": ((), (), "")},
    "opus-mt": {"zh-en": ((), (), ""), "en-zh": ((">>cmn_Hans<<",), (), ""), "en-zt": ((">>cmn_Hant<<",), (), "")},
    "nllb": {"zh-en": (("zho_Hans",), ("</s>",), "eng_Latn"), "zt-en": (("zho_Hant",), ("</s>",), "eng_Latn"),
             "en-zh": (("eng_Latn",), ("</s>",), "zho_Hans"), "en-zt": (("eng_Latn",), ("</s>",), "zho_Hant")},
    "m2m100": {"zh-en": (("__zh__",), ("</s>",), "__en__"), "en-zh": (("__en__",), ("</s>",), "__zh__")},
}


def test_each_family_serves_its_directions_with_its_special_tokens(family_dirs):
    for family, root in family_dirs.items():
        got = {p.pair: (p.source_prefix, p.source_suffix, p.target_prefix) for p in list_packages(root)}
        assert got == EXPECTED_TOKENS[family], family


def test_opus_mt_appends_the_end_token_only_where_config_json_does_not(tmp_path):
    """ct2-opus-mt-converter sets add_source_eos (CTranslate2 appends </s>); the Transformers converter does not."""
    (package,) = read_folder(cached_model("opus-mt", (("zh", "en"),), add_source_eos=False))
    assert package.source_suffix == ("</s>",)
    config = json.loads((cached_model("opus-mt", (("zh", "en"),)) / "config.json").read_text(encoding="utf-8"))
    assert config["add_source_eos"] is True


def test_a_joint_quickmt_tokenizer_serves_both_sides():
    (package,) = read_folder(cached_model("quickmt", (("en", "zh"),), joint=True))
    assert package.source_tokenizer == package.target_tokenizer == "joint.spm.model"
    result = load_engine(package).translate(TEXTS)
    assert result.errors == () and all(result.translations)


def test_a_folder_of_no_family_gets_an_error_listing_what_was_found(tmp_path):
    folder = tmp_path / "mystery-model"
    folder.mkdir()
    for name in ("model.bin", "vocab.json", "tokenizer.json"):
        (folder / name).write_bytes(b"x")
    with pytest.raises(PackageError) as info:
        read_folder(folder)
    message = str(info.value)
    assert "matches no model family" in message and "model.bin, tokenizer.json, vocab.json" in message
    for family in FAMILY_NAMES:
        assert f"{family} (" in message  # and what each family needs
    assert "--family F --pair FROM-TO" in message


def test_a_name_that_does_not_say_the_direction_needs_a_manifest(tmp_path):
    renamed = tmp_path / "my-model"
    shutil.copytree(cached_model("quickmt", (("zh", "en"),)), renamed)
    with pytest.raises(PackageError, match="--family quickmt --pair zh-en"):
        read_folder(renamed)
    models = tmp_path / "models"
    with pytest.raises(PackageError, match="cannot tell which direction"):
        install_model(renamed, models)
    assert not models.exists()  # a failed install leaves nothing
    (package,) = install_model(renamed, models, family="quickmt", pairs=["zh-en"])
    assert (package.family, package.pair, package.path) == ("quickmt", "zh-en", models / "my-model")
    assert json.loads((package.path / MANIFEST_FILE).read_text(encoding="utf-8")) == {
        "family": "quickmt", "pairs": ["zh-en"]}
    assert not (renamed / MANIFEST_FILE).exists()  # the source folder is left as it was
    assert install_model(renamed, models, family="quickmt", pairs=["zh-en"]) == (package,)  # again: a no-op


def test_install_from_a_zip_of_a_model_folder(tmp_path):
    folder = cached_model("nllb")
    archive = shutil.make_archive(str(tmp_path / "nllb"), "zip", root_dir=folder.parent, base_dir=folder.name)
    packages = install_model(archive, tmp_path / "models")
    assert {p.pair for p in packages} == {"zh-en", "zt-en", "en-zh", "en-zt"}
    assert all(p.path == tmp_path / "models" / folder.name for p in packages)


def test_install_refuses_family_and_pair_options_for_an_argos_package(tiny_archives, tmp_path):
    with pytest.raises(PackageError, match="metadata"):
        install_model(tiny_archives[("zh", "en")], tmp_path / "models", pairs=["en-zh"])


# --- the exact tokens sent to CTranslate2 -----------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_the_exact_tokens_sent_to_ctranslate2_and_the_prefix_dropped(family, family_dirs):
    for package in list_packages(family_dirs[family]):
        engine, recording = recorded_engine(package)
        result = engine.translate(TEXTS, DecodeOptions(beam_size=2))
        assert result.errors == ()
        expected_prefix = [[package.target_prefix]] if package.target_prefix else None
        sent = {}
        for call in recording.calls:
            assert call["target_prefix"] in (None, [[package.target_prefix]] * len(call["source"]))
            assert (call["target_prefix"] is None) == (expected_prefix is None)
            source = call["source"]
            real = source[:-1] if len(source) > 1 and padded_sources(source[:-1]) == source else source  # no filler
            for tokens in real:
                sent[tuple(tokens)] = True
        wanted = [(*package.source_prefix, *pieces(package, text), *package.source_suffix) for text in TEXTS]
        assert sorted(sent) == sorted(wanted), package.pair
        # CTranslate2 echoes a forced prefix at the head of the hypothesis; the engine drops it
        raw = recording.model.translate_batch([list(t) for t in wanted], target_prefix=expected_prefix and
                                              expected_prefix * len(wanted), beam_size=2, no_repeat_ngram_size=4,
                                              max_decoding_length=60)
        if package.target_prefix:
            assert all(r.hypotheses[0][0] == package.target_prefix for r in raw)
        assert all(t and package.target_prefix not in t for t in result.translations if package.target_prefix)


def test_the_directions_of_a_multilingual_folder_share_one_loaded_model(family_dirs):
    clear_engine_cache()
    packages = {p.pair: p for p in list_packages(family_dirs["nllb"])}
    engines = [load_engine(packages[pair]) for pair in ("zh-en", "en-zh", "zt-en")]
    assert len({id(e) for e in engines}) == 3 and len({id(e._translator) for e in engines}) == 1
    assert engines[0].translate(["你好"]).translations != engines[1].translate(["你好"]).translations


def test_a_multilingual_folder_is_not_removed_by_one_pair(family_dirs, tmp_path):
    root = tmp_path / "models"
    shutil.copytree(family_dirs["nllb"], root)
    with pytest.raises(PackageError, match="also translates en-zh"):
        remove_package("zh", "en", models_dir=root)
    assert len(list_packages(root)) == 4


# --- choosing among several ------------------------------------------------------------------------------


def test_preference_order_covers_every_family_and_is_documented():
    for order in PREFERENCE.values():
        assert sorted(order) == sorted(FAMILY_NAMES)
    assert PREFERENCE["en"][0] == PREFERENCE["zh"][0] == "quickmt" and PREFERENCE["en"][-1] == "m2m100"


def test_the_preferred_family_serves_unless_a_model_is_named(mixed_dir):
    assert find_package("zh", "en", mixed_dir).family == "quickmt"
    assert find_package("en", "zh", mixed_dir).family == "quickmt"
    assert find_package("zt", "en", mixed_dir).family == "nllb"  # the only zt-en model here
    assert find_package("zh", "en", mixed_dir, model="nllb").family == "nllb"
    assert find_package("zh", "en", mixed_dir, model="opus-mt-zh-en").family == "opus-mt"
    assert find_package("en", "zh", mixed_dir, model="translate-en_zh").family == "argos"
    assert find_package("zh", "en", mixed_dir, prefer="no-such-model").family == "quickmt"  # a preference falls back
    with pytest.raises(ModelChoiceError, match="no installed model named 'no-such-model'") as info:
        find_package("zh", "en", mixed_dir, model="no-such-model")  # a pin does not
    assert "quickmt:quickmt-zh-en" in str(info.value) and "nllb:nllb-200-random" in str(info.value)


def test_translator_models_option_chooses_and_shows_in_the_signature(mixed_dir):
    default = Translator(models_dir=mixed_dir, cache=False)
    default.translate_many(["这个颜色真的绝了", "so cute"], target="auto")
    assert {p.split(":")[0] for p in default.signature.models} == {"quickmt"}
    pinned = Translator(models_dir=mixed_dir, cache=False, models={"zh-en": "m2m100"})
    pinned.translate_many(["这个颜色真的绝了", "so cute"], target="auto")
    assert dict(pinned.signature.routes)["zh->en"].startswith("m2m100:m2m100-random@")
    assert dict(pinned.signature.routes)["en->zh"].startswith("quickmt:")
    assert pinned.signature.model_choice == (("zh-en", "m2m100"),)
    assert "|model:zh-en=m2m100|device:cpu|compute:int8|" in str(pinned.signature)
    everywhere = Translator(models_dir=mixed_dir, cache=False, models="nllb")
    everywhere.translate_many(["这个颜色真的绝了", "so cute"], target="auto")
    assert {p.split(":")[0] for p in everywhere.signature.models} == {"nllb"}
    with pytest.raises(TypeError, match="models"):
        Translator(models_dir=mixed_dir, models={"zh-en": None})
    with pytest.raises(InputError, match=r"models: .chinese. is not a direction.*FROM-TO"):
        Translator(models_dir=mixed_dir, models={"chinese": "nllb"})


# --- the pipeline's guarantees hold for every family -----------------------------------------------------

THREAD = [
    {"comment_id": "1", "content": "家人们，这个太好吃了[笑哭R]！yyds @小红薯 #美食[话题]# 😍",
     "at_users": [{"nickname": "小红薯"}]},
    {"comment_id": "2", "content": "omg so cute 🫡 check https://example.com/a?b=1 [doge]", "parent_comment_id": "1"},
    {"comment_id": "3", "content": "绝绝子，集美们冲！(๑•̀ㅂ•́)و✧"},
    {"comment_id": "4", "content": "[赞R][赞R]"},
]
# a hashtag's words are translated, its markers kept (issue 21)
PROTECTED = {"1": ["[笑哭R]", "@小红薯", "[话题]#", "😍"], "2": ["🫡", "https://example.com/a?b=1", "[doge]"],
             "3": ["(๑•̀ㅂ•́)و✧"]}


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_spans_glossary_cache_and_guards_hold_for_every_family(family, family_dirs, tmp_path):
    translator = Translator(models_dir=family_dirs[family], cache=tmp_path / "cache.sqlite3")
    first = translator.translate_thread(THREAD)
    by_id = {c["comment_id"]: c for c in first}
    assert [c["translation_status"] for c in first] == ["translated", "translated", "translated", "no_text"]
    for comment_id, spans in PROTECTED.items():
        assert all(span in by_id[comment_id]["translation"] for span in spans), (family, by_id[comment_id])
    assert "yyds" not in by_id["1"]["translation"] and "glossary_applied" in by_id["1"]["translation_flags"]
    assert "glossary_applied" in by_id["3"]["translation_flags"]
    known = {"glossary_applied", "repetition_guarded", "length_anomaly", "low_confidence"}
    assert all(set(c["translation_flags"]) <= known for c in first)
    assert all(m.startswith(f"{family}:") for m in translator.signature.models)
    translated = translator.stats()["segments_translated"]
    again = Translator(models_dir=family_dirs[family], cache=tmp_path / "cache.sqlite3")
    assert again.translate_thread(THREAD) == first  # a cache hit gives exactly what the model path gave
    assert again.stats()["segments_translated"] == 0 and again.stats()["cache_hits"] == translated


def test_the_family_is_part_of_every_cache_key(family_dirs, tmp_path):
    """The same text through two families in one cache: each family's own output, never the other's."""
    cache = tmp_path / "shared-cache.sqlite3"
    outputs = {}
    for family in ("nllb", "m2m100"):
        translator = Translator(models_dir=family_dirs[family], cache=cache)
        outputs[family] = translator.translate("这个颜色真的绝了", target="en").translation
        assert translator.stats()["cache_hits"] == 0
    assert outputs["nllb"] != outputs["m2m100"]


# --- the command line ------------------------------------------------------------------------------------


def run_cli(capsys, monkeypatch, *argv: str) -> tuple[int, str, str]:
    from xhs_translate.cli import main

    monkeypatch.setenv("XHS_TRANSLATE_OFFLINE", "1")
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_installs_a_folder_with_family_and_pair_and_lists_families(capsys, monkeypatch, tmp_path):
    models = tmp_path / "models"
    renamed = tmp_path / "downloaded"
    shutil.copytree(cached_model("opus-mt", (("en", "zh"),)), renamed)
    code, out, err = run_cli(capsys, monkeypatch, "models", "install", str(renamed), "--family", "opus-mt",
                             "--pair", "en-zh", "--models-dir", str(models))
    assert code == 0, err
    assert out.startswith("installed en->zh sha-") and out.endswith(f" in {models / 'downloaded'}\n"), out
    code, _, err = run_cli(capsys, monkeypatch, "models", "install", "zh", "en", "--family", "nllb",
                           "--models-dir", str(models))
    assert code == 2 and "--family and --pair describe a model folder" in err
    code, out, err = run_cli(capsys, monkeypatch, "models", "install", str(cached_model("nllb")),
                             "--models-dir", str(models))
    assert code == 0 and out.count("installed ") == 4, out
    code, out, err = run_cli(capsys, monkeypatch, "models", "list", "--models-dir", str(models), "--no-download")
    assert code == 0, err
    assert "en->zh  sha-" in out and " opus-mt downloaded " in out
    assert "zh->en, zt->en, en->zh, en->zt  sha-" in out and " nllb nllb-200-random " in out
    assert "  en->zh  opus-mt:downloaded  (preference: quickmt > argos > opus-mt > nllb > m2m100)" in out


def test_cli_device_and_model_options(capsys, monkeypatch, mixed_dir, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"comment_id": "1", "content": "这个颜色真的绝了"}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    common = ("--models-dir", str(mixed_dir), "--no-cache")
    code, _, err = run_cli(capsys, monkeypatch, "translate", str(source), "-o", str(tmp_path / "a.jsonl"),
                           "--device", "auto", "--model", "zh-en=nllb", *common)
    assert code == 0, err
    assert "|models:nllb:nllb-200-random@sha-" in err and "|device:cpu|compute:int8|" in err
    code, _, err = run_cli(capsys, monkeypatch, "translate", str(source), "-o", str(tmp_path / "b.jsonl"),
                           "--device", "cuda", *common)
    assert code == 2 and "no CUDA device" in err and not (tmp_path / "b.jsonl").exists()
    code, _, err = run_cli(capsys, monkeypatch, "translate", str(source), "--model", "zh=nllb", *common)
    assert code == 2 and "FROM-TO" in err
    code, _, err = run_cli(capsys, monkeypatch, "translate", str(source), "--model", "zh-en=no-such", *common)
    assert code == 1 and "no installed model named 'no-such' translates zh->en" in err
