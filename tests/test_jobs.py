"""The whole-file jobs, record streaming, the HTML writer and install-on-first-use, called as an app calls them
(issue 23 §1: the logic the CLI held, now in the library)."""

from __future__ import annotations

import datetime
import decimal
import io
import json
import socket
from pathlib import Path

import pytest
from helpers import big_thread, read_output, write_jsonl

from xhs_translate.errors import (
    FieldCollisionError,
    MissingFieldError,
    ModelNotInstalledError,
    OptionConflictError,
    OutputPathError,
)
from xhs_translate.html import render_html
from xhs_translate.io import InputSpec, atomic_output
from xhs_translate.io import writers as writers_module
from xhs_translate.io.records import RecordStream, open_inputs, plain
from xhs_translate.io.writers import CsvWriter, HtmlWriter, open_writer
from xhs_translate.jobs import JobReport, detect_file, translate_file
from xhs_translate.models.install import AutoInstaller, ensure_models
from xhs_translate.routing import pairs_for_mode
from xhs_translate.translator import Translator

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rednote_thread.json"


class Recorder:
    """A job's Progress that keeps what it is told."""

    def __init__(self):
        self.events: list[tuple] = []
        self.total = "not counted"

    def start(self, count):
        self.total = count()
        self.events.append(("start",))

    def chunk(self, first, last):
        self.events.append(("chunk", first, last))

    def advance(self, n):
        self.events.append(("advance", n))

    def finish(self):
        self.events.append(("finish",))


def index_of(tmp_path: Path, tiny_archives) -> str:
    """A package index (file URL) listing the tiny fixture packages, as Argos's index lists its own."""
    index = tmp_path / "index.json"
    index.write_text(json.dumps([
        {"from_code": a, "to_code": b, "package_version": "1.0", "links": [archive.as_uri()]}
        for (a, b), archive in tiny_archives.items()
    ]), encoding="utf-8")
    return index.as_uri()


# --- translate_file and detect_file ---------------------------------------------------------------------------------


def test_translate_file_streams_chunks_in_order_and_reports_the_run(models_dir, tmp_path):
    records = big_thread(25)
    source = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out.jsonl"
    progress = Recorder()
    report = translate_file([str(source)], str(out), models_dir=models_dir, cache=False, chunk_size=10,
                            progress=progress)
    assert isinstance(report, JobReport) and (report.count, report.format, report.output) == (25, "jsonl", str(out))
    assert progress.total == 25
    assert progress.events == [("start",), ("chunk", 1, 10), ("advance", 10), ("chunk", 11, 20), ("advance", 10),
                                ("chunk", 21, 25), ("advance", 5), ("finish",)]
    expected = []
    with Translator(models_dir=models_dir, cache=False) as translator:
        for start in range(0, 25, 10):  # the job's chunks: each one is a thread of its own
            expected.extend(translator.translate_thread(records[start:start + 10]))
    assert read_output(out, "jsonl") == json.loads(json.dumps(expected))
    assert report.stats["comments"] == 25 and "translate-zh_en" in report.signature


def test_translate_file_html_is_refused_before_any_work_past_its_bound(models_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(writers_module, "HTML_MAX_COMMENTS", 3)
    source = write_jsonl(tmp_path / "four.jsonl", big_thread(4))
    with pytest.raises(OutputPathError, match=r"holds at most 3 comments .* and the inputs have more"):
        translate_file([str(source)], str(tmp_path / "four.html"), models_dir=tmp_path / "no-models", cache=False)
    assert not (tmp_path / "four.html").exists()


def test_detect_file_adds_detection_fields_per_text_field_and_counts_languages(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [
        {"comment_id": "1", "title": "这个颜色太好看了", "desc": "where can I buy it"},
        {"comment_id": "2", "title": "so pretty", "desc": "真的吗"},
    ])
    out = tmp_path / "out.csv"
    report = detect_file([str(source)], str(out), text_field=("title", "desc"))
    assert report.count == 2 and report.format == "csv"
    rows = read_output(out, "csv")
    assert [(r["title_source_lang"], r["desc_source_lang"]) for r in rows] == [("zh", "en"), ("en", "zh")]
    assert report.languages == {"zh": 2, "en": 2}
    with pytest.raises(OptionConflictError):
        detect_file([str(source), "-", "-"], str(tmp_path / "x.jsonl"))


# --- install on first use -------------------------------------------------------------------------------------------


def test_translate_file_installs_missing_models_on_first_use_and_goes_on(models_dir, tmp_path, tiny_archives):
    fresh = tmp_path / "fresh-models"
    events: list[tuple] = []
    installer = AutoInstaller(index_url=index_of(tmp_path, tiny_archives),
                              on_install=lambda a, b, package: events.append((a, b, package is not None)))
    out = tmp_path / "out.jsonl"
    report = translate_file([str(EXAMPLE)], str(out), models_dir=fresh, cache=False, installer=installer)
    assert events == [("en", "zh", False), ("en", "zh", True), ("zh", "en", False), ("zh", "en", True)]
    assert sorted(p.name for p in fresh.iterdir()) == ["translate-en_zh-1_0", "translate-zh_en-1_0"]
    plain_run = tmp_path / "plain.jsonl"
    translate_file([str(EXAMPLE)], str(plain_run), models_dir=models_dir, cache=False)
    assert out.read_bytes() == plain_run.read_bytes()
    assert report.stats["comments"] == 26  # the Translators before and after the install, summed


def test_offline_refuses_naming_every_missing_pair_with_the_hint(tmp_path):
    installer = AutoInstaller(offline=True, hint=" (add --models-dir X)")
    with pytest.raises(ModelNotInstalledError) as caught:
        installer.ensure(pairs_for_mode("auto"), tmp_path / "empty")
    assert caught.value.pairs == (("zh", "en"), ("en", "zh"))
    assert str(caught.value).endswith(" (add --models-dir X)") and "zh->en and en->zh" in str(caught.value)


def test_an_unreachable_index_names_every_pair_still_missing(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/index.json"
    with pytest.raises(ModelNotInstalledError, match="could not be reached") as caught:
        ensure_models(pairs_for_mode("auto"), tmp_path / "empty", index_url=closed)
    assert caught.value.pairs == (("zh", "en"), ("en", "zh"))


def test_a_pair_installed_once_and_still_missing_is_not_installed_again(tmp_path, tiny_archives):
    calls: list[tuple] = []
    models = tmp_path / "models"
    installer = AutoInstaller(index_url=index_of(tmp_path, tiny_archives),
                              on_install=lambda a, b, p: calls.append((a, b)))
    installer.install(ModelNotInstalledError("zh", "en", models))
    assert [p.name for p in models.iterdir()] == ["translate-zh_en-1_0"]
    with pytest.raises(ModelNotInstalledError):
        installer.install(ModelNotInstalledError("zh", "en", models))
    assert calls == [("zh", "en"), ("zh", "en")]  # before and after the one install, nothing more


def test_the_translator_names_the_pairs_of_its_mode(tmp_path):
    assert pairs_for_mode("en") == (("zh", "en"),) and pairs_for_mode("zh") == (("en", "zh"),)
    with Translator(models_dir=tmp_path / "empty", cache=False) as translator, \
            pytest.raises(ModelNotInstalledError) as caught:
        translator.translate_thread([{"comment_id": "1", "content": "where can I buy this"}])
    assert set(caught.value.pairs) == set(pairs_for_mode("auto"))


# --- writers and record streams -------------------------------------------------------------------------------------


def test_html_writer_renders_what_render_html_does_and_is_bounded(monkeypatch):
    records = [{"comment_id": "1", "content": "好看", "note_id": "n"},
               {"comment_id": "2", "content": "同感", "parent_comment_id": "1", "note_id": "n"}]
    stream = io.StringIO()
    writer = HtmlWriter(stream, title="a thread")
    writer.write(records[:1])
    writer.write(records[1:])
    writer.close()
    assert stream.getvalue() == render_html(records, title="a thread")
    monkeypatch.setattr(writers_module, "HTML_MAX_COMMENTS", 1)
    with pytest.raises(OutputPathError, match="the input has more"):
        HtmlWriter(io.StringIO(), title="t").write(records)


def test_open_writer_joins_the_prefixed_flags_in_csv(tmp_path):
    out = tmp_path / "out.csv"
    with atomic_output(str(out), "utf-8-sig") as stream:
        writer = open_writer("csv", stream, field_prefix="xhs_")
        assert isinstance(writer, CsvWriter)
        writer.write([{"comment_id": "1", "xhs_translation_flags": ["a", "b"], "translation_flags": ["c"]}])
        writer.close()
    assert out.read_text(encoding="utf-8-sig").splitlines()[1] == '1,a;b,"[""c""]"'


def test_a_csv_header_without_the_text_field_is_refused_even_with_no_rows(tmp_path):
    source = tmp_path / "header.csv"
    source.write_text("comment_id,body\n", encoding="utf-8")
    stream = RecordStream(open_inputs([str(source)]), ["content"], 10)
    with pytest.raises(MissingFieldError, match="content"):
        list(stream.chunks())


def test_a_csv_header_that_already_has_an_added_field_is_refused(tmp_path):
    """On the header, before any row (a JSON record's fields are checked as the thread is flattened)."""
    headers: list[list[str]] = []
    taken = tmp_path / "taken.csv"
    taken.write_text("comment_id,content,translation\n", encoding="utf-8")
    stream = RecordStream(open_inputs([InputSpec(str(taken))]), ["content"], 10)
    with pytest.raises(FieldCollisionError):
        list(stream.chunks(added=("translation",), on_header=headers.append))
    csv_source = tmp_path / "in.csv"
    csv_source.write_text("comment_id,content\n1,好\n2,坏\n3,行\n", encoding="utf-8")
    stream = RecordStream(open_inputs([str(csv_source)]), ["content"], 2)
    assert [len(c) for c in stream.chunks(added=("translation",), on_header=headers.append)] == [2, 1]
    assert stream.count == 3 and headers == [["comment_id", "content"]]


def test_standard_input_is_read_once():
    with pytest.raises(OptionConflictError, match="only once"):
        open_inputs(["-", "-"])


def test_parquet_values_become_json_values():
    when = datetime.datetime(2025, 1, 14, 8, 30, tzinfo=datetime.timezone.utc)
    assert plain({"t": when, "d": [datetime.date(2025, 1, 14), decimal.Decimal("1.50")], "n": None, "ok": True}) == {
        "t": "2025-01-14T08:30:00+00:00", "d": ["2025-01-14", "1.50"], "n": None, "ok": True}
