"""Issue 21 §5: failures are visible. ``--errors raise`` (the default) stops at the first failure with its reason and
exit status 1; ``--errors mark`` writes the reason into the record and names it in the summary.

The failure is a genuine CTranslate2 one: an engine whose source limit is set past its model's position table
("No position encodings are defined for positions >= 512"), the way a model that declared more than it takes would
fail. Everything else runs for real."""

from __future__ import annotations

import json

import pytest

from xhs_translate import TranslationFailedError, Translator
from xhs_translate.cli import main
from xhs_translate.models import engine as engine_module
from xhs_translate.models.demo import MAX_POSITIONS
from xhs_translate.results import Flag, Status

TOO_LONG = "长" * (MAX_POSITIONS * 3)


@pytest.fixture
def overreaching(monkeypatch):
    """Engines loaded in this test decode every source whole, past the table."""
    monkeypatch.setattr(engine_module, "source_token_limit", lambda positions: 100 * MAX_POSITIONS)
    engine_module.clear_engine_cache()
    yield
    engine_module.clear_engine_cache()


def thread():
    return [{"comment_id": "a", "content": "好可爱"}, {"comment_id": "b", "content": TOO_LONG}]


def test_raise_names_the_comment_and_the_reason(models_dir, overreaching):
    with pytest.raises(TranslationFailedError, match=r"comment 'b': the model failed: .*No position encodings") as info:
        Translator(models_dir=models_dir, cache=False).translate_thread(thread())
    assert info.value.comment_id == "b" and "failed" in info.value.reason


def test_mark_writes_the_reason_into_the_record(models_dir, overreaching):
    translator = Translator(models_dir=models_dir, cache=False, errors="mark")
    ok, failed = translator.translate_thread(thread())
    assert ok["translation_status"] == Status.TRANSLATED and "translation_error" not in ok
    assert failed["translation_status"] == Status.FAILED and failed["translation_flags"] == [Flag.MODEL_FAILED]
    assert "No position encodings are defined for positions >= 512" in failed["translation_error"]
    assert translator.stats()["failures"] == {failed["translation_error"]: 1}


def test_mark_names_other_reasons_too(models_dir):
    translator = Translator(models_dir=models_dir, cache=False, errors="mark")
    (record,) = translator.translate_thread([{"comment_id": "1", "content": 42}])
    assert record["translation_error"] == "text must be a str, got int"


def test_cli_raise_exits_1_with_the_reason(models_dir, overreaching, tmp_path, monkeypatch, capsys):
    """The issue's run: default --errors raise ended with "1 failed" and exit code 0, without a reason."""
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in thread()), encoding="utf-8")
    monkeypatch.setenv("XHS_TRANSLATE_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("XHS_TRANSLATE_OFFLINE", "1")
    code = main(["translate", str(source), "-o", str(tmp_path / "out.jsonl"), "--no-cache"])
    err = capsys.readouterr().err
    assert code == 1
    assert "comment 'b': the model failed" in err and "No position encodings" in err
    assert not (tmp_path / "out.jsonl").exists()  # the output file is written whole or not at all


def test_cli_mark_names_the_reason_in_the_summary(models_dir, overreaching, tmp_path, monkeypatch, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in thread()), encoding="utf-8")
    monkeypatch.setenv("XHS_TRANSLATE_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("XHS_TRANSLATE_OFFLINE", "1")
    code = main(["translate", str(source), "-o", str(tmp_path / "out.jsonl"), "--no-cache", "--errors", "mark"])
    err = capsys.readouterr().err
    assert code == 0
    assert "failed 1" in err and "failed 1: batch of 1 texts" in err and "No position encodings" in err
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert "No position encodings" in records[1]["translation_error"]


def test_the_help_says_what_raise_does(capsys):
    assert main(["translate", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "stop at the first failure, with its reason and exit status 1" in help_text


def test_mark_names_a_missing_model(tiny_archives, tmp_path):
    from xhs_translate.models.install import install_package

    only_zh_en = tmp_path / "models"
    install_package(tiny_archives[("zh", "en")], models_dir=only_zh_en)
    translator = Translator(models_dir=only_zh_en, cache=False, errors="mark")
    ok, failed = translator.translate_thread([{"comment_id": "a", "content": "好可爱"},
                                              {"comment_id": "b", "content": "so cute"}])
    assert "translation_error" not in ok
    assert failed["translation_error"] == "no model installed for en->zh"
    assert translator.stats()["failures"] == {"no model installed for en->zh": 1}


def test_a_record_that_has_the_error_field_already_is_refused(models_dir):
    from xhs_translate import FieldCollisionError

    with pytest.raises(FieldCollisionError, match="translation_error"):
        Translator(models_dir=models_dir, cache=False, errors="mark").translate_thread(
            [{"comment_id": "1", "content": "好", "translation_error": "mine"}])
