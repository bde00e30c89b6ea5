"""End-to-end tests of the ``xhs-translate`` command, each through a real subprocess.

The tiny random-weight fixture packages are installed in a temporary models dir (conftest's ``models_dir``)
and the cache is a temporary file, so the real CTranslate2 path runs; its output is gibberish, so these
tests check structure (records, fields, order, nesting, statuses, files), never translation quality.
"""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import sqlite3
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import big_thread, cli, read_output, stop_run, unfinished_run, wait_for, write_json, write_jsonl
from testkit.ports import free_port

from xhs_translate.results import STATUSES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "rednote_thread.json"
from xhs_translate.results import TRANSLATION_FIELDS as ADDED  # noqa: E402  (the fields a run adds)

OLD_RECORDS = json.loads(EXAMPLE.read_text(encoding="utf-8"))


def new_schema(records: list[dict]) -> list[dict]:
    """The later MediaCrawler comment schema: ``creator_hash`` and a masked nickname, no user_id/avatar,
    and top-level comments with ``parent_comment_id`` "" instead of 0."""
    out = []
    for r in records:
        out.append({
            "comment_id": r["comment_id"], "create_time": r["create_time"], "ip_location": r["ip_location"],
            "note_id": r["note_id"], "content": r["content"],
            "creator_hash": f"{abs(hash(r['user_id'])) % 16**12:012x}", "nickname": r["nickname"][:1] + "***",
            "sub_comment_count": r["sub_comment_count"], "pictures": r["pictures"],
            "parent_comment_id": r["parent_comment_id"] or "", "last_modify_ts": r["last_modify_ts"],
            "like_count": r["like_count"],
        })
    return out


NEW_RECORDS = new_schema(OLD_RECORDS)


def write_csv(path: Path, records: list[dict]) -> Path:
    """As MediaCrawler's CSV store writes: utf-8-sig, header row, csv.DictWriter defaults."""
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.DictWriter(f, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return path


def check_translated(out: list[dict], original: list[dict], *, text_field: str = "content") -> None:
    """Same records in the same order, every original field unchanged, the five new fields present."""
    assert len(out) == len(original)
    for got, want in zip(out, original):
        assert {k: got[k] for k in want} == want
        assert list(got)[: len(want)] == list(want)
        assert set(got) - set(want) == set(ADDED)
        assert got["translation_status"] in STATUSES
        if got["translation_status"] in ("translated", "cached"):
            assert got["translation"]
    assert any(r["translation_status"] == "translated" for r in out)


def as_csv_strings(records: list[dict]) -> list[dict]:
    return [{k: str(v) for k, v in r.items()} for r in records]


# --- every input format --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, writer, records",
    [
        ("search_comments_2025-01-14.json", write_json, OLD_RECORDS),
        ("search_comments_2026-03-02.jsonl", write_jsonl, NEW_RECORDS),
        ("search_comments_2025-01-14.csv", write_csv, OLD_RECORDS),
        ("search_comments_2026-03-02.csv", write_csv, NEW_RECORDS),
    ],
)
def test_mediacrawler_exports_translate_to_jsonl(env, tmp_path, name, writer, records):
    source = writer(tmp_path / name, records)
    out = tmp_path / "out.jsonl"
    result = cli(env, "translate", str(source), "-o", str(out))
    assert result.returncode == 0, result.stderr.decode()
    expected = as_csv_strings(records) if name.endswith(".csv") else records
    check_translated(read_output(out, "jsonl"), expected)
    stderr = result.stderr.decode()
    assert f"{len(records)} comments -> {out}" in stderr and "signature: xhs-translate:" in stderr
    assert "translate-zh_en@" in stderr and "hit rate" in stderr


def test_the_summary_counts_flags(env, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [{"comment_id": "1", "content": "今天天气很好"},
                                                 {"comment_id": "2", "content": "so cute"}, {"content": "👍"}])
    result = cli(env, "translate", str(source), "-o", str(tmp_path / "out.jsonl"), "--confidence-threshold", "1")
    assert result.returncode == 0, result.stderr.decode()
    flags = re.search(r"\n  flags: (.*)\n", result.stderr.decode())
    assert flags and "low_confidence 2" in flags.group(1).split(", ")  # every model output scores below 1


def test_an_unreachable_index_names_every_missing_model_and_the_offline_ways(env, tmp_path):
    port = free_port()  # nothing listens there: the index cannot be reached
    online = {k: v for k, v in env.items() if k != "XHS_TRANSLATE_OFFLINE"}
    online.update(XHS_TRANSLATE_MODELS_DIR=str(tmp_path / "empty"), ARGOS_PACKAGE_INDEX=f"http://127.0.0.1:{port}/")
    result = cli(online, "translate", str(EXAMPLE), "-o", str(tmp_path / "out.html"))
    stderr = result.stderr.decode()
    assert result.returncode == 1 and "could not be reached" in stderr and "Traceback" not in stderr
    assert "no model package for en->zh and zh->en is installed" in stderr  # both, in one message
    assert "models install --demo" in stderr and not (tmp_path / "out.html").exists()


def test_generic_records_with_field_options_and_stdin_to_stdout(env, tmp_path):
    generic = [
        {"id": i, "body": r["content"], "reply_to": r["parent_comment_id"] or None, "likes": int(r["like_count"])}
        for i, r in enumerate(OLD_RECORDS)
    ]
    stdin = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in generic).encode("utf-8")
    fields = ["--id-field", "id", "--text-field", "body", "--parent-field", "reply_to"]
    result = cli(env, "translate", "-", *fields, "--to", "en", "-q", stdin=stdin)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""  # --quiet
    out = read_output(result.stdout.decode("utf-8"), "jsonl")
    check_translated(out, generic)
    assert {r["target_lang"] for r in out if r["translation_status"] == "translated"} == {"en"}


def test_engine_options_change_the_run_and_its_signature(env, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", OLD_RECORDS)

    def run(*options: str) -> tuple[list[dict], str]:
        out = tmp_path / f"out{len(options)}.jsonl"
        result = cli(env, "translate", str(source), "-o", str(out), "--no-cache", *options)
        assert result.returncode == 0, result.stderr.decode()
        signature = next(line for line in result.stderr.decode().splitlines() if "signature:" in line)
        return read_output(out, "jsonl"), signature

    default, default_signature = run()
    assert "|compute:int8|" in default_signature
    options = ("--compute-type", "float32", "--beam-size", "1", "--inter-threads", "1", "--intra-threads", "1")
    tuned, tuned_signature = run(*options)
    assert "|compute:float32|" in tuned_signature
    decode = re.compile(r"\|decode:(\w+)\|")
    assert decode.search(tuned_signature).group(1) != decode.search(default_signature).group(1)  # beam 1 vs 2
    check_translated(tuned, OLD_RECORDS)
    assert [r["translation_status"] for r in tuned] == [r["translation_status"] for r in default]

    bad = cli(env, "translate", str(source), "-o", str(tmp_path / "bad.jsonl"), "--compute-type", "int3")
    assert bad.returncode == 2 and "compute_type 'int3' is not supported" in bad.stderr.decode()
    assert "Traceback" not in bad.stderr.decode() and not (tmp_path / "bad.jsonl").exists()


# --- every output format ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_output_formats_keep_every_record_and_field(env, tmp_path, fmt):
    source = (write_csv(tmp_path / "in.csv", NEW_RECORDS) if fmt == "csv"
              else write_json(tmp_path / "in.json", OLD_RECORDS))
    out = tmp_path / f"translated.{fmt}"
    result = cli(env, "translate", str(source), "-o", str(out), "--csv-formulas", "keep")
    assert result.returncode == 0, result.stderr.decode()
    got = read_output(out, fmt)
    if fmt == "csv":  # CSV in, CSV out: original columns in order, new ones appended, values as read
        header = next(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
        assert header == [*NEW_RECORDS[0], *ADDED]
        check_translated(got, as_csv_strings(NEW_RECORDS))
        assert all(r["parent_comment_id"] == n["parent_comment_id"] for r, n in zip(got, NEW_RECORDS))
    else:
        check_translated(got, OLD_RECORDS)
        assert all(isinstance(r["translation_flags"], list) for r in got)
    if fmt == "json":
        text = out.read_text(encoding="utf-8")
        assert "家人们谁懂啊" in text and not re.search(r"\\u[4-9][0-9a-f]{3}", text)  # CJK kept raw, like MediaCrawler
        assert text == json.dumps(got, ensure_ascii=False, indent=4)


def test_a_csv_with_a_header_and_no_rows_keeps_its_columns(env, tmp_path):
    source = tmp_path / "search_comments_2026-03-03.csv"
    source.write_text("\ufeff" + ",".join(NEW_RECORDS[0]) + "\r\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = cli(env, "translate", str(source), "-o", str(out), "--field-prefix", "xhs_")
    assert result.returncode == 0, result.stderr.decode()
    assert out.read_bytes().decode("utf-8-sig") == ",".join([*NEW_RECORDS[0], *(f"xhs_{a}" for a in ADDED)]) + "\r\n"
    detected = cli(env, "detect", str(source), "--output-format", "csv", "-q")
    assert detected.returncode == 0, detected.stderr.decode()
    header = detected.stdout.decode("utf-8-sig").splitlines()
    assert header == [",".join([*NEW_RECORDS[0], "source_lang", "confidence", "script", "mixed"])]


def test_a_csv_header_alone_is_checked_like_its_rows(env, tmp_path):
    for header, rows in ((["id", "text"], ""), (["comment_id", "content", "translation"], ""),
                         (["id", "text"], "1,hi\r\n"), (["comment_id", "content", "translation"], "1,hi,x\r\n")):
        source = tmp_path / "in.csv"
        source.write_text(",".join(header) + "\r\n" + rows, encoding="utf-8")
        out = tmp_path / "out.csv"
        result = cli(env, "translate", str(source), "-o", str(out))
        stderr = result.stderr.decode()
        if "text" in header:  # wrong text field: a usage error naming the fields found
            assert result.returncode == 2 and "no 'content' field (fields found: id, text)" in stderr
        else:  # the input already has a column the run adds
            assert result.returncode == 1 and "already has the field(s) 'translation'" in stderr
        assert not out.exists()


class _Comments(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack: list[str | None] = []
        self.parents: dict[str, str | None] = {}
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attrs = dict(attrs)
        cid = attrs.get("data-id") if tag == "li" else None
        if cid is not None:
            assert cid not in self.parents, f"comment {cid} appears twice"
            self.parents[cid] = next((c for c in reversed(self.stack) if c is not None), None)
        if tag != "meta":
            self.stack.append(cid)

    def handle_endtag(self, tag):
        self.stack.pop()


def test_html_output_is_a_nested_escaped_self_contained_page(env, tmp_path):
    records = [*OLD_RECORDS, {**OLD_RECORDS[0], "comment_id": "evil", "parent_comment_id": OLD_RECORDS[0]["comment_id"],
                              "content": "<script>alert('pwned')</script> lol"}]
    source = write_jsonl(tmp_path / "thread.jsonl", records)
    out = tmp_path / "thread.html"
    # small chunks: replies are translated in other chunks than their parents, and still nest right
    result = cli(env, "translate", str(source), "-o", str(out), "--chunk-size", "4")
    assert result.returncode == 0, result.stderr.decode()
    assert f"open in a browser: {out.resolve().as_uri()}" in result.stderr.decode()
    page = out.read_text(encoding="utf-8")
    parser = _Comments()
    parser.feed(page)
    assert parser.parents == {r["comment_id"]: (r["parent_comment_id"] or None) for r in records}
    assert page.count("<script") == 1  # the page's own (test_html.py checks it is the only one allowed to run)
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in page
    assert "<link" not in page and "src=" not in page and "<style>" in page


# --- errors: exit codes, messages, no traceback, output untouched -----------------------------------------


def test_errors_exit_cleanly_and_never_touch_the_output(env, tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n", encoding="utf-8")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('[\n  {"comment_id": "1", "content": "hi"},\n  {"comment_id": "2" "content": "x"}\n]',
                        encoding="utf-8")
    generic = write_jsonl(tmp_path / "generic.jsonl", [{"id": 1, "body": "hello"}])
    binary = tmp_path / "export.bin"
    binary.write_bytes(b"\x00\x01\x02\x03")
    truncated = tmp_path / "cut.jsonl"
    truncated.write_text(json.dumps(OLD_RECORDS[0], ensure_ascii=False) + "\n" + '{"comment_id": "x", "cont',
                         encoding="utf-8")
    empty_json = tmp_path / "search_comments_2025-01-15.json"
    empty_json.write_bytes(b"")  # an export not written yet, or cut to nothing
    blank_csv = tmp_path / "blank.csv"
    blank_csv.write_text("\n  \n", encoding="utf-8")
    cases = [
        (["translate", str(tmp_path / "missing.json"), "-o", str(out)], 1, "cannot read"),
        (["translate", str(empty_json), "-o", str(out)], 1, f"{empty_json} is empty"),
        (["translate", str(EXAMPLE), str(blank_csv), "-o", str(out)], 1, f"{blank_csv} is empty"),
        (["detect", str(empty_json), "-o", str(out)], 1, "is empty"),
        (["translate", str(bad_json), "-o", str(out)], 1, "invalid JSON at line 3, column 22"),
        (["translate", str(truncated), "-o", str(out)], 1, "invalid JSON at line 2"),
        (["translate", str(binary), "-o", str(out)], 2, "--input-format"),
        (["translate", str(EXAMPLE), "-o", str(tmp_path / "out.docx")], 2, "--output-format"),
        (["translate", str(generic), "-o", str(out)], 2, "no 'content' field (fields found: id, body)"),
        (["translate", str(EXAMPLE), "-o", str(tmp_path / "no" / "such" / "dir.html")], 2, "does not exist"),
        (["translate", str(EXAMPLE), "--input-format", "xml"], 2, "invalid choice"),
        (["detect", str(EXAMPLE), "-o", str(tmp_path / "langs.html")], 2,
         "this command cannot write html; pass --output-format jsonl|json|csv"),
        (["detect", str(EXAMPLE), "-o", str(tmp_path / "langs.xml")], 2, "pass --output-format jsonl|json|csv\n"),
    ]
    for args, code, message in cases:
        result = cli(env, *args)
        stderr = result.stderr.decode()
        assert result.returncode == code, (args, stderr)
        assert message in stderr, (args, stderr)
        assert "Traceback" not in stderr
        assert out.read_text(encoding="utf-8") == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp files left


def test_an_empty_json_array_gives_an_empty_output_but_empty_stdin_is_an_error(env, tmp_path):
    none = tmp_path / "none.json"
    none.write_text("[]", encoding="utf-8")
    for fmt, expected in (("json", "[]"), ("jsonl", "")):
        out = tmp_path / f"out.{fmt}"
        out.write_text("previous run\n", encoding="utf-8")
        result = cli(env, "translate", str(none), "-o", str(out))
        assert result.returncode == 0, result.stderr.decode()
        assert out.read_text(encoding="utf-8") == expected and "0 comments" in result.stderr.decode()
    empty = cli(env, "translate", "-", stdin=b"")
    assert empty.returncode == 1 and "<stdin> is empty" in empty.stderr.decode() and empty.stdout == b""


def test_records_that_already_have_an_added_field_are_an_error_unless_a_prefix_names_them_apart(env, tmp_path):
    records = [{**r, "translation": "", "script": ""} for r in OLD_RECORDS]  # e.g. a reviewed export
    records[3].update(translation="a human translation", script="Latn")
    source = write_csv(tmp_path / "reviewed.csv", records)
    out = tmp_path / "out.csv"
    out.write_text("precious\n", encoding="utf-8")
    for command, fields in (("translate", "'translation'"), ("detect", "'script'")):
        refused = cli(env, command, str(source), "-o", str(out))
        stderr = refused.stderr.decode()
        assert refused.returncode == 1 and "Traceback" not in stderr, stderr
        assert f"reviewed.csv: the CSV header already has the field(s) {fields}" in stderr  # before any row
        assert "--field-prefix" in stderr
        assert out.read_text(encoding="utf-8") == "precious\n"
    jsonl = write_jsonl(tmp_path / "reviewed.jsonl", records)  # no header: the first record that has one
    refused = cli(env, "translate", str(jsonl), "-o", str(out))
    assert refused.returncode == 1 and "precious" in out.read_text(encoding="utf-8")
    assert f"comment {records[0]['comment_id']!r} already has the field(s) 'translation'" in refused.stderr.decode()

    prefixed = [f"xhs_{name}" for name in ADDED]
    result = cli(env, "translate", str(source), "-o", str(out), "--field-prefix", "xhs_", "-q")
    assert result.returncode == 0, result.stderr.decode()
    header = next(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert header == [*records[0], *prefixed]
    rows = read_output(out, "csv")
    assert rows[3]["translation"] == "a human translation" and rows[3]["script"] == "Latn"
    assert {r["xhs_translation_status"] for r in rows} <= set(STATUSES)
    flags = [r["xhs_translation_flags"] for r in rows if r["xhs_translation_flags"]]
    assert flags and not any(f.startswith("[") for f in flags)  # joined with ";" like the unprefixed column

    page = tmp_path / "reviewed.html"
    result = cli(env, "translate", str(source), "-o", str(page), "--field-prefix", "xhs_", "-q")
    assert result.returncode == 0, result.stderr.decode()
    html = page.read_text(encoding="utf-8")
    assert html.count('class="status translated"') == sum(r["xhs_translation_status"] == "translated" for r in rows)
    shown = html.count('<div class="translation" lang=') + html.count('<div class="translation low" lang=')
    assert shown == sum(bool(r["xhs_translation"]) for r in rows)
    # the random-weight models' scores are far below the threshold: every translation is flagged and dimmed
    assert html.count('<div class="translation low" lang=') == sum("low_confidence" in r["xhs_translation_flags"]
                                                                  for r in rows)

    again = cli(env, "translate", str(out), "-o", str(tmp_path / "twice.csv"), "--field-prefix", "xhs_")
    assert again.returncode == 1 and "'xhs_source_lang'" in again.stderr.decode()  # the prefixed names are checked too
    detected = cli(env, "detect", str(source), "--field-prefix", "lang_", "-q")
    assert detected.returncode == 0, detected.stderr.decode()
    first = read_output(detected.stdout.decode("utf-8"), "jsonl")[3]
    assert first["script"] == "Latn"
    assert {"lang_source_lang", "lang_confidence", "lang_script", "lang_mixed"} <= set(first)


def test_an_error_part_way_leaves_a_file_output_untouched_and_stdout_with_the_records_done(env, tmp_path):
    good = big_thread(30)
    source = tmp_path / "cut.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in good) + "{not json\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n", encoding="utf-8")
    to_file = cli(env, "translate", str(source), "-o", str(out), "--chunk-size", "5")
    assert to_file.returncode == 1 and "invalid JSON at line 31" in to_file.stderr.decode()
    assert out.read_text(encoding="utf-8") == "precious\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # the temporary file is gone
    to_stdout = cli(env, "translate", str(source), "--chunk-size", "5")
    assert to_stdout.returncode == 1 and "invalid JSON at line 31" in to_stdout.stderr.decode()
    partial = read_output(to_stdout.stdout.decode("utf-8"), "jsonl")  # as documented in --help for -o
    assert [r["comment_id"] for r in partial] == [r["comment_id"] for r in good]
    for fmt in ("csv", "html"):  # written at the end: nothing after an error
        late = cli(env, "translate", str(source), "--chunk-size", "5", "--output-format", fmt)
        assert late.returncode == 1 and late.stdout == b""
    helped = " ".join(cli(env, "translate", "--help").stdout.decode().split())
    assert "after an error it is left as it was" in helped and "holds the records done so far" in helped
    assert "CSV and HTML at the end (after an error, nothing)" in helped


def test_missing_model_offline_names_the_install_command(env, tmp_path):
    empty = tmp_path / "empty-models"
    out = tmp_path / "out.html"
    result = cli(env, "translate", str(EXAMPLE), "-o", str(out), "--models-dir", str(empty))
    stderr = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in stderr
    assert "xhs-translate models install" in stderr and ".argosmodel" in stderr and f"--models-dir {empty}" in stderr
    assert not out.exists()
    debug = cli(env, "translate", str(EXAMPLE), "-o", str(out), "--models-dir", str(empty), "--debug")
    assert "Traceback" in debug.stderr.decode() and "ModelNotInstalledError" in debug.stderr.decode()


def test_missing_models_are_installed_on_first_use_from_the_index(env, tmp_path, tiny_archives):
    index = tmp_path / "index.json"
    index.write_text(json.dumps([
        {"from_code": a, "to_code": b, "package_version": "1.0", "links": [archive.as_uri()]}
        for (a, b), archive in tiny_archives.items()
    ]), encoding="utf-8")
    online = {**env, "ARGOS_PACKAGE_INDEX": index.as_uri()}
    del online["XHS_TRANSLATE_OFFLINE"]
    models = tmp_path / "fresh-models"
    out = tmp_path / "out.jsonl"
    result = cli(online, "translate", str(EXAMPLE), "-o", str(out), "--models-dir", str(models))
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert "installing it from the Argos package index" in stderr
    assert sorted(p.name for p in models.iterdir()) == ["translate-en_zh-1_0", "translate-zh_en-1_0"]
    check_translated(read_output(out, "jsonl"), OLD_RECORDS)


# --- interrupted run --------------------------------------------------------------------------------------


def test_an_interrupted_run_resumes_from_the_cache_to_the_same_output(env, tmp_path):
    source = write_jsonl(tmp_path / "big.jsonl", big_thread(4000))
    out = tmp_path / "resumed.jsonl"
    cache = tmp_path / "shared-cache.sqlite3"
    records = read_output(source, "jsonl")

    def command(output: Path, cache_file: Path) -> list[str]:  # the records on a stdin that stays open
        return [sys.executable, "-m", "xhs_translate.cli", "translate", "-", "--input-format", "jsonl",
                "-o", str(output), "--cache", str(cache_file), "--chunk-size", "200"]

    def first_chunk_written(proc: subprocess.Popen, name: str) -> bool:
        assert proc.poll() is None, "the run stopped before its input ended"
        return any(p.stat().st_size for p in tmp_path.glob(f".{name}.*.tmp"))

    proc = unfinished_run(command(out, cache), env, records, "jsonl", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for(lambda: first_chunk_written(proc, out.name), "the first chunk in the temporary output", timeout=120)
    stop_run(proc, signal.SIGKILL)
    assert not out.exists()  # a killed run leaves no (half-written) output
    with sqlite3.connect(cache) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        done_before = conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
    assert done_before > 0

    resumed = cli(env, "translate", str(source), "-o", str(out), "--cache", str(cache), "--chunk-size", "200")
    assert resumed.returncode == 0, resumed.stderr.decode()
    hits = int(resumed.stderr.decode().split("cache: ")[1].split(" hits")[0])
    assert hits >= done_before  # the work done before the kill was not redone

    reference = tmp_path / "reference.jsonl"
    fresh = cli(env, "translate", str(source), "-o", str(reference), "--cache", str(tmp_path / "other.sqlite3"))
    assert fresh.returncode == 0, fresh.stderr.decode()
    assert out.read_bytes() == reference.read_bytes()  # resuming from the cache changes nothing in the output
    marked = tmp_path / "marked.jsonl"
    assert cli(env, "translate", str(source), "-o", str(marked), "--cache", str(cache), "--mark-cached").returncode == 0
    statuses = [r["translation_status"] for r in read_output(marked, "jsonl")]
    assert "cached" in statuses and "translated" not in statuses  # every model piece is in the cache by now
    with sqlite3.connect(cache) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # SIGTERM (and Ctrl-C) take the clean path: exit 130, the temporary file removed, the output untouched.
    proc = unfinished_run(command(tmp_path / "term.jsonl", tmp_path / "c3.sqlite3"), env, records, "jsonl",
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for(lambda: first_chunk_written(proc, "term.jsonl"), "the first chunk in the temporary output", timeout=120)
    _, err = stop_run(proc, signal.SIGTERM)
    assert proc.returncode == 130, err.decode()
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    assert not list(tmp_path.glob("*term.jsonl*"))


# --- detect, models, cache ---------------------------------------------------------------------------------


def test_detect_adds_language_fields_and_keeps_csv_strings(env, tmp_path):
    source = write_csv(tmp_path / "in.csv", OLD_RECORDS)
    result = cli(env, "detect", str(source), "--output-format", "csv", "-q")
    assert result.returncode == 0, result.stderr.decode()
    rows = read_output(result.stdout.decode("utf-8-sig"), "csv")
    assert [r["comment_id"] for r in rows] == [r["comment_id"] for r in OLD_RECORDS]
    langs = {r["content"]: r["source_lang"] for r in rows}
    assert langs[OLD_RECORDS[0]["content"]] == "en"
    assert langs["歡迎大家來小紅書！我是台灣人，這裡的繁體字你們也看得懂嗎？"] == "zh"
    trad = next(r for r in rows if r["content"].startswith("歡迎"))
    assert trad["script"] == "Hant" and trad["mixed"] == "false" and float(trad["confidence"]) > 0
    assert all(r["like_count"] == o["like_count"] for r, o in zip(rows, OLD_RECORDS))


def test_models_install_usage_errors_reinstalls_and_an_index_that_is_not_found(env, tmp_path, tiny_archives, served):
    common = ["--models-dir", str(tmp_path / "models")]
    archive = str(tiny_archives[("zh", "en")])
    for sources, message in (
        (["zh"], "give two language codes, FROM TO (e.g. `zh en`); got 1: zh"),
        (["zh", "en", "ja"], "got 3: zh en ja"),
        (["zh", archive], "not both (no such file, so taken as language codes: zh)"),
        (["--one-way", archive], "--one-way applies only to FROM TO language codes"),
    ):
        result = cli(env, "models", "install", *sources, *common)
        stderr = result.stderr.decode()
        assert result.returncode == 2, (sources, stderr)
        assert stderr.startswith("usage: xhs-translate models install") and "models install: error: " in stderr
        assert message in stderr and "Traceback" not in stderr
    assert not (tmp_path / "models").exists()

    first = cli(env, "models", "install", archive, *common)
    assert first.returncode == 0 and first.stdout.decode().startswith("installed zh->en 1.0 in ")
    again = cli(env, "models", "install", archive, *common)
    assert again.returncode == 0 and again.stdout.decode().startswith("already installed zh->en 1.0 in "), again.stdout

    _, base = served  # a server that answers 404 for every path
    online = {k: v for k, v in env.items() if k != "XHS_TRANSLATE_OFFLINE"}
    online["ARGOS_PACKAGE_INDEX"] = f"{base}/no-such-index.json"
    missing = cli(online, "models", "install", "en", "ja", *common)
    stderr = missing.stderr.decode()
    assert missing.returncode == 1 and "answered: not found (404)" in stderr, stderr
    assert "offline" not in stderr and "could not be reached" not in stderr
    listing = cli(online, "models", "list", *common)
    assert listing.returncode == 0 and "unknown (the package index at" in listing.stdout.decode()
    assert "not found (404)" in listing.stdout.decode() and "offline" not in listing.stdout.decode()


def test_models_and_cache_commands(env, tmp_path, tiny_archives):
    models = tmp_path / "models"
    cache = tmp_path / "c.sqlite3"
    common = ["--models-dir", str(models)]  # the models commands take no cache options
    installed = cli(env, "models", "install", *map(str, tiny_archives.values()), *common)
    assert installed.returncode == 0, installed.stderr.decode()
    listing = cli(env, "models", "list", *common)
    assert listing.returncode == 0
    assert "zh->en  1.0" in listing.stdout.decode() and str(models / "translate-zh_en-1_0") in listing.stdout.decode()
    offline_pair = cli(env, "models", "install", "zh", "en", *common)
    assert offline_pair.returncode == 2 and "install from files" in offline_pair.stderr.decode()

    assert cli(env, "translate", str(EXAMPLE), "-o", str(tmp_path / "o.jsonl"), "-q", *common,
               "--cache", str(cache)).returncode == 0
    cache_only = ["--cache", str(cache)]  # the cache commands take no --models-dir
    stats = cli(env, "cache", "stats", *cache_only)
    segments, comments = [int(n) for n in re.findall(r"(\d+) (?:segments|whole comments)", stats.stdout.decode())]
    entries = segments + comments
    assert stats.returncode == 0 and segments > 0 and comments > 0
    assert cli(env, "cache", "path", *cache_only).stdout.decode().strip() == str(cache)
    cleared = cli(env, "cache", "clear", *cache_only)
    assert cleared.returncode == 0 and f"cleared {entries} entries" in cleared.stdout.decode()

    removed = cli(env, "models", "remove", "zh", "en", *common)
    assert removed.returncode == 0 and "translate-zh_en-1_0" in removed.stdout.decode()
    assert [p.name for p in models.iterdir() if not p.name.startswith(".")] == ["translate-en_zh-1_0"]
    again = cli(env, "models", "remove", "zh", "en", *common)
    assert again.returncode == 1 and "Traceback" not in again.stderr.decode()
    assert again.stderr.decode() == (
        f"xhs-translate: error: no zh->en package is installed in {models}; nothing to remove\n"
    )

    for command in (["translate"], ["detect"], ["models", "install"], ["cache", "stats"]):
        helped = cli(env, *command, "--help")
        assert helped.returncode == 0 and "example" in helped.stdout.decode()
        text = helped.stdout.decode()
        assert ("--models-dir" in text) == (command[0] in ("translate", "models"))  # options only where used
        assert ("--cache " in text) == (command[0] in ("translate", "cache"))
    detect_help = " ".join(cli(env, "detect", "--help").stdout.decode().split())
    assert "CSV at the end" in detect_help and "HTML" not in detect_help  # detect writes no HTML
