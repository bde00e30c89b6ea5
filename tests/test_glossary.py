"""Directional glossaries: files, built-in slang, matching and fingerprints."""

from __future__ import annotations

import pytest

from xhs_translate.errors import GlossaryError
from xhs_translate.glossary import Glossary, GlossaryEntry


def test_builtin_slang_list_covers_the_common_terms():
    g = Glossary.builtin()
    text = "yyds xswl 绝绝子 集美 家人们 宝子 种草 拔草 蹲后续 awsl"
    found = {m.source for m in g.find(text, "zh", "en")}
    assert found == set(text.split())
    assert g.find(text, "en", "zh") == ()  # directional


def test_latin_terms_match_case_insensitively_on_word_boundaries():
    g = Glossary.builtin()
    assert [m.target for m in g.find("YYDS!", "zh", "en")] == ["GOAT"]
    assert g.find("yydsss", "zh", "en") == ()
    assert g.find("xdmx", "zh", "en") == ()


def test_longest_term_wins():
    g = Glossary.builtin()
    assert [m.source for m in g.find("被种草了", "zh", "en")] == ["被种草"]
    assert [m.source for m in g.find("笑死我了", "zh", "en")] == ["笑死我了"]


def test_match_offsets_point_into_the_text():
    text = "家人们，这个太好吃了 yyds"
    for m in Glossary.builtin().find(text, "zh", "en"):
        assert text[m.start : m.end] == m.source


def test_tsv_and_csv_files(tmp_path):
    tsv = tmp_path / "g.tsv"
    tsv.write_text("# comment\n小红书\tRedNote app\n\n出片\tphotogenic\n", encoding="utf-8")
    g = Glossary.from_file(tsv)
    assert [m.target for m in g.find("这里很出片", "zh", "en")] == ["photogenic"]
    csv_file = tmp_path / "g.csv"
    csv_file.write_text('source,target,en,zh\n"so cute, really",超可爱,en,zh\n', encoding="utf-8")
    g2 = Glossary.from_file(csv_file)
    assert [m.target for m in g2.find("it is so cute, really", "en", "zh")] == ["超可爱"]
    assert g2.find("so cute, really", "zh", "en") == ()


def test_bad_files_raise_glossary_error(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\tc\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match="3 columns"):
        Glossary.from_file(bad)
    with pytest.raises(GlossaryError):
        Glossary.from_file(tmp_path / "missing.tsv")
    with pytest.raises(GlossaryError, match="empty"):
        Glossary((GlossaryEntry("x", " "),))


def test_later_entries_override_and_fingerprint_follows():
    base = Glossary.builtin()
    custom = base.merged(Glossary.from_mapping({"yyds": "the greatest of all time"}))
    assert [m.target for m in custom.find("yyds", "zh", "en")] == ["the greatest of all time"]
    assert custom.fingerprint("zh", "en") != base.fingerprint("zh", "en")
    assert base.fingerprint("zh", "en") == Glossary.builtin().fingerprint("zh", "en")
    assert Glossary().fingerprint("zh", "en") == "none"
    assert len(Glossary()) == 0 and len(base) > 20


@pytest.mark.parametrize("mapping, shown", [({"测试": None}, "'测试' -> None has a NoneType"),
                                            ({"测试": 3}, "'测试' -> 3 has a int"),
                                            ({1: "one"}, "1 -> 'one' has a int")])
def test_a_mapping_with_a_term_that_is_not_a_str_is_refused_naming_the_argument(mapping, shown):
    """issue 10 §3.12: {"测试": None} put None into translations."""
    from xhs_translate import InputError, Translator

    with pytest.raises(GlossaryError, match=f"glossary: a mapping of glossary terms must map str to str, but {shown}"):
        Glossary.from_mapping(mapping)
    with pytest.raises(InputError, match=r"^glossary: "):
        Translator(glossary=mapping, cache=False)


def test_entries_that_are_not_str_are_refused():
    with pytest.raises(GlossaryError, match="must be str"):
        Glossary((GlossaryEntry("测试", None),))  # type: ignore[arg-type]
    with pytest.raises(GlossaryError, match="must be GlossaryEntry objects"):
        Glossary((("测试", "test"),))  # type: ignore[arg-type]
