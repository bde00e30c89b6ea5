"""Issue 21 §6: the exports researchers have (several text fields, TSV, the detect summary, note headers in the
HTML view, cache clear giving the space back)."""

from __future__ import annotations

import json

from xhs_translate.cache import open_cache
from xhs_translate.cli import main

# --- cache clear ------------------------------------------------------------------------------------------


def test_cache_clear_gives_the_space_back_while_another_connection_is_open(tmp_path):
    """The issue: "cleared 5385 entries", but the file stayed 5.5 MB. VACUUM wrote the compacted copy into the WAL,
    which kept the size until the last connection (here: a server's) closed."""
    path = tmp_path / "c.sqlite3"
    server = open_cache(path)  # another user of the file, open throughout
    server.put_many("segments", {f"key{i}": "译文" * 300 for i in range(3000)})
    full = server.stats()["size_bytes"]
    assert full > 4_000_000
    cleaner = open_cache(path)
    assert cleaner.clear() == 3000
    assert cleaner.stats()["size_bytes"] < full / 50
    assert server.get_many("segments", ["key1"]) == {}
    server.close()
    cleaner.close()


def test_cli_cache_clear_reports_the_space_and_takes_no_cache_options(tmp_path, capsys, monkeypatch):
    path = tmp_path / "c.sqlite3"
    cache = open_cache(path)
    cache.put_many("segments", {f"key{i}": "x" * 500 for i in range(2000)})
    cache.close()
    assert main(["cache", "clear", "--cache", str(path)]) == 0
    out = capsys.readouterr().out
    assert "cleared 2000 entries" in out and "KiB ->" in out
    assert path.stat().st_size < 100_000
    for ignored in (["--no-cache"], ["--cache-ttl", "1d"]):  # accepted and ignored before: now a usage error
        assert main(["cache", "clear", "--cache", str(path), *ignored]) == 2
        assert "unrecognized arguments" in capsys.readouterr().err
    assert main(["cache", "stats", "--help"]) == 0
    helped = capsys.readouterr().out
    assert "--no-cache" not in helped and "--cache-ttl" not in helped and "--cache " in helped


# --- the detect summary -------------------------------------------------------------------------------------


def test_detect_summary_counts_each_language(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    rows = ["今天天气很好，我们去公园吧", "这个口红颜色绝了", "Hi from Ohio! What should I post first?", "😭😭"]
    source.write_text("".join(json.dumps({"comment_id": str(i), "content": t}, ensure_ascii=False) + "\n"
                              for i, t in enumerate(rows)), encoding="utf-8")
    assert main(["detect", str(source), "-o", str(tmp_path / "out.jsonl")]) == 0
    err = capsys.readouterr().err
    assert "languages: zh 2 (50.0%), en 1 (25.0%), und 1 (25.0%)" in err


# --- note headers in the HTML view ------------------------------------------------------------------------


def test_a_note_without_a_title_is_headed_by_its_first_comment_and_linked_with_its_xsec_token():
    """The issue: headers read "Note 66d5b40e…"; links lacked the export's xsec_token."""
    from test_html import parse, translated

    from xhs_translate.html import render_html

    long_first = "这家店的火锅真的太好吃了，   姐妹们一定要去试试，排队也值得，我已经去了三次，下次还要带朋友一起来"
    records = [
        {"comment_id": "1", "note_id": "66d5b40e000000001f01a1b2", "content": long_first, "parent_comment_id": 0,
         "xsec_token": "ABx-token=", "xsec_source": "pc_search"},
        {"comment_id": "2", "note_id": "66d5b40e000000001f01a1b2", "content": "同意", "parent_comment_id": 0},
        {"comment_id": "3", "note_id": "n-b", "content": "so cute", "parent_comment_id": 0, "title": "Cat tax",
         "xsec_token": "T2"},
        {"comment_id": "4", "note_id": "n-c", "content": "", "parent_comment_id": 0},
    ]
    page = parse(render_html([translated(r) for r in records]))
    headers = [n["header"] for n in page.notes]
    assert headers[0].startswith("“这家店的火锅真的太好吃了， 姐妹们一定要去试试，排队也值得，我已经去了三次，下次…”")
    assert "Note 66d5b40e" not in headers[0]
    assert headers[1].startswith("Cat tax")
    assert headers[2].startswith("Note n-c")  # no title, no text: its id
    links = [link["href"] for link in page.links if link["class"] == "nid"]
    assert links == ["https://www.xiaohongshu.com/explore/66d5b40e000000001f01a1b2?xsec_token=ABx-token%3D"
                     "&xsec_source=pc_search",
                     "https://www.xiaohongshu.com/explore/n-b?xsec_token=T2&xsec_source=pc_feed",
                     "https://www.xiaohongshu.com/explore/n-c"]


# --- TSV ------------------------------------------------------------------------------------------------------


def test_a_tsv_export_is_read_by_its_tabs(tmp_path, capsys, models_dir, monkeypatch):
    """The issue: a TSV said "fields found: id\\tlabel\\tcontent" (read as one-column CSV)."""
    from xhs_translate.io import InputSpec, iter_records
    from xhs_translate.io.formats import sniff_input_format

    rows = "id\tlabel\tcontent\n1\tpos\t今天天气很好, 真的\n2\tneg\t\"so cute\tand tabbed\"\n"
    for name in ("export.tsv", "export.csv", "export"):  # by extension, and by its header whatever the extension
        path = tmp_path / name
        path.write_text(rows, encoding="utf-8")
        assert sniff_input_format(str(path), rows.encode()) == "tsv"
        assert list(iter_records(InputSpec(str(path), "tsv"))) == [
            {"id": "1", "label": "pos", "content": "今天天气很好, 真的"},
            {"id": "2", "label": "neg", "content": "so cute\tand tabbed"}]
    assert sniff_input_format("a.csv", b"id,label,content\n1,a\tb,c\n") == "csv"  # commas win where they lead
    monkeypatch.setenv("XHS_TRANSLATE_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("XHS_TRANSLATE_OFFLINE", "1")
    out = tmp_path / "out.jsonl"
    assert main(["translate", str(tmp_path / "export.tsv"), "--id-field", "id", "-o", str(out), "--no-cache"]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["translation_status"] for r in records] == ["translated", "translated"]
    assert main(["translate", str(tmp_path / "export"), "--input-format", "tsv", "--id-field", "id", "-o",
                 str(out), "--no-cache"]) == 0


# --- several text fields ------------------------------------------------------------------------------------

NOTE = {"note_id": "n1", "title": "秋冬穿搭分享", "desc": "今天天气很好 😭", "user": "小红薯"}


def test_each_text_field_gets_its_own_translation_fields(models_dir):
    from xhs_translate import Translator
    from xhs_translate.config import FieldSchema, TranslatorConfig

    schema = FieldSchema(text_field=("title", "desc"), prefix="x_")
    assert schema.text_fields == ("title", "desc")
    assert schema.fields_for("desc") == ("x_desc_source_lang", "x_desc_target_lang", "x_desc_translation",
                                         "x_desc_translation_status", "x_desc_translation_flags",
                                         "x_desc_translation_confidence")
    assert FieldSchema(text_field=["content"]) == FieldSchema()  # one field keeps the plain names
    config = TranslatorConfig.from_options(text_field=["title", "desc"], models_dir=models_dir)
    (record,) = Translator(config, cache=False).translate_thread([NOTE])
    for field in ("title", "desc"):
        assert record[f"{field}_translation_status"] == "translated" and record[f"{field}_translation"]
        assert record[f"{field}_source_lang"] == "zh" and record[f"{field}_target_lang"] == "en"
    assert "😭" in record["desc_translation"] and "translation" not in record
    assert {k: record[k] for k in NOTE} == NOTE  # the original fields untouched
    alone = Translator(models_dir=models_dir, cache=False, text_field="desc").translate_thread([NOTE])[0]
    assert record["desc_translation"] == alone["translation"]  # the same translation as on its own


def test_a_text_field_no_record_has_is_named(models_dir):
    import pytest

    from xhs_translate import MissingFieldError, Translator

    with pytest.raises(MissingFieldError, match="'body'"):
        Translator(models_dir=models_dir, cache=False, text_field=("title", "body")).translate_thread([NOTE])


def test_cli_repeated_text_field(tmp_path, capsys, models_dir, monkeypatch):
    """A post export (Reddit's Title and Content columns) in CSV: each column gets its own translation columns."""
    import csv
    import io

    monkeypatch.setenv("XHS_TRANSLATE_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("XHS_TRANSLATE_OFFLINE", "1")
    source = tmp_path / "posts.csv"
    source.write_text("Data_type,Title,Content\npost,Hello from Ohio,What should I post first on RedNote?\n"
                      "post,小红书好玩吗,\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["translate", str(source), "--text-field", "Title", "--text-field", "Content", "-o", str(out),
                 "--no-cache"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    assert [r["Title_translation_status"] for r in rows] == ["translated", "translated"]
    assert [r["Content_translation_status"] for r in rows] == ["translated", "no_text"]
    assert rows[0]["Title_target_lang"] == "zh" and rows[1]["Title_target_lang"] == "en"
    assert main(["detect", str(source), "--text-field", "Title", "--text-field", "Content", "-o",
                 str(tmp_path / "d.jsonl")]) == 0
    detected = [json.loads(line) for line in (tmp_path / "d.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(d["Title_source_lang"], d["Content_source_lang"]) for d in detected] == [("en", "en"), ("zh", "und")]
    html = tmp_path / "out.html"
    assert main(["translate", str(source), "--text-field", "Title", "--text-field", "Content", "-o", str(html),
                 "--no-cache"]) == 0
    assert "小红书好玩吗" in html.read_text(encoding="utf-8")
    assert main(["translate", str(source), "--text-field", "Title", "--text-field", "Body", "-o", str(out)]) == 2
    assert "'Body'" in capsys.readouterr().err
