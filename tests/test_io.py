"""Readers, writers and format sniffing of xhs_translate.io (pure I/O; the CLI tests run them end to end)."""

from __future__ import annotations

import csv
import io
import json
import re
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xhs_translate.errors import FormatError, InputError, OutputPathError, RecordTooLongError, UnknownFormatError
from xhs_translate.io import (
    CsvWriter,
    InputSpec,
    JsonlWriter,
    JsonWriter,
    atomic_output,
    count_records,
    csv_cell,
    iter_records,
    output_format_for,
    resolve_format,
    sniff_input_format,
)

MEDIACRAWLER_ROW = {
    "comment_id": "6785b0a1000000001c01a001", "create_time": 1736838000000, "ip_location": "美国",
    "note_id": "6784a1f2000000001c03b2d3", "content": "Hi from Ohio 🫡 #tiktokrefugee#", "user_id": "5e8c2a1b",
    "nickname": "Jake", "avatar": "https://sns-avatar-qc.xhscdn.com/avatar/5e8c.jpg", "sub_comment_count": "3",
    "pictures": "", "parent_comment_id": 0, "last_modify_ts": 1736900000000, "like_count": "2841",
}


def read(path: Path, fmt: str = "auto") -> list[dict]:
    return list(iter_records(resolve_format(InputSpec(str(path), fmt))))


@pytest.mark.parametrize(
    "name, head, expected",
    [
        ("a.json", b'[\n    {"a": 1}', "json"),
        ("a.jsonl", b'{"a": 1}\n{"a": 2}\n', "jsonl"),
        ("a.json", b'{"a": 1}\n{"a": 2}\n', "jsonl"),  # renamed JSONL: content wins
        ("a.ndjson", b'{"a": 1}\n', "jsonl"),
        ("a.csv", b"\xef\xbb\xbfcomment_id,content\n1,hi\n", "csv"),
        ("-", b"comment_id,content\n1,hi\n", "csv"),
        ("export", b'[{"a": 1}]', "json"),
        ("a.tsv", b"id\ttext\n", "tsv"),  # tab-separated (issue 21: it was read as one-column CSV)
        ("a.dat", b"id,text\n", "csv"),  # an extension that names no format, and a header-like first line
        ("a.txt", b"[\xe7\xac\x91\xe5\x93\xad R] {json-looking}\n", "lines"),  # .txt is plain text, whatever it holds
    ],
)
def test_sniff_input_format(name, head, expected):
    assert sniff_input_format(name, head) == expected


@pytest.mark.parametrize(
    "name, head", [("notes", b"just some words\n"), ("a.bin", b"\x00\x01\x02"), ("a.xlsx", b"PK\x03\x04")]
)
def test_sniff_refuses_what_it_cannot_tell(name, head):
    with pytest.raises(UnknownFormatError, match="--input-format"):
        sniff_input_format(name, head)


def test_output_format_from_extension_or_explicit():
    assert output_format_for("out.html", None) == "html"
    assert output_format_for("OUT.CSV", None) == "csv"
    assert output_format_for("-", None) == "jsonl"
    assert output_format_for("out.weird", "json") == "json"
    with pytest.raises(UnknownFormatError, match="--output-format"):
        output_format_for("out.weird", None)


def test_mediacrawler_json_jsonl_and_csv_read_back_as_written(tmp_path):
    rows = [MEDIACRAWLER_ROW, {**MEDIACRAWLER_ROW, "comment_id": "2", "parent_comment_id": "6785b0a1000000001c01a001",
                               "content": "回复，带逗号\n和换行 \"引号\""}]
    (tmp_path / "c.json").write_text(json.dumps(rows, ensure_ascii=False, indent=4), encoding="utf-8")
    (tmp_path / "c.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with open(tmp_path / "c.csv", "w", newline="", encoding="utf-8-sig") as f:  # as MediaCrawler's csv store writes
        writer = csv.DictWriter(f, fieldnames=rows[0].keys())
        writer.writeheader()
        writer.writerows(rows)
    assert read(tmp_path / "c.json") == rows
    assert read(tmp_path / "c.jsonl") == rows
    as_csv = read(tmp_path / "c.csv")
    assert list(as_csv[0]) == list(MEDIACRAWLER_ROW)  # header order, BOM stripped from the first name
    assert as_csv == [{k: str(v) for k, v in r.items()} for r in rows]  # CSV values stay strings ("0" not 0)
    assert count_records(InputSpec(str(tmp_path / "c.csv"), "csv")) == 2
    assert count_records(InputSpec(str(tmp_path / "c.jsonl"), "jsonl")) == 2


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("bad.json", '[\n  {"a": 1},\n  {"a": 2,}\n]', r"line 3, column 11"),
        ("bad.jsonl", '{"a": 1}\n{"a": 2\n', r"line 2, column 8"),
        ("obj.json", '{"comments": []}', "expected a JSON array"),
        ("scalars.json", "[1, 2]", "item 0"),
        ("list.jsonl", '{"a": 1}\n[1]\n', "line 2 holds a JSON list"),
        ("dup.csv", "a,b,a\n1,2,3\n", "repeats the column"),
        ("wide.csv", "a,b\n1,2,3\n", "line 2 has 3 fields"),
        ("cut.csv", 'id,content\n1,"a comment cut off in the mid', "line 2: unexpected end of data"),
        ("stray.csv", 'id,content\n1,"quoted"tail\n', "line 2: ',' expected"),
    ],
)
def test_malformed_inputs_name_the_place(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError, match=message):
        read(path)


@pytest.mark.parametrize("name", ["empty.json", "empty.jsonl", "empty.csv", "no-extension"])
@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  \n\r\n\t\n"])
def test_an_empty_input_is_an_error_not_zero_comments(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FormatError, match=f"{name} is empty"):
        read(path)


def test_a_syntax_error_early_in_a_large_json_array_stops_the_read_there(tmp_path, monkeypatch):
    from xhs_translate.io import readers

    body = ", ".join(json.dumps({"content": str(i)}) for i in range(300_000))
    path = tmp_path / "big.json"
    path.write_text('[{"content": "a"}, {"content": oops}, ' + body + "]", encoding="utf-8")
    read = []
    window_read = readers._Window.read
    monkeypatch.setattr(readers._Window, "read", lambda self, n=0: read.append(n) or window_read(self, n))
    with pytest.raises(FormatError, match=r"big\.json: invalid JSON at line 1, column 32: Expecting value"):
        list(iter_records(InputSpec(path, "json")))
    assert len(read) <= 2  # the first window, not the rest of the 6 MB file


def test_an_empty_array_or_a_header_row_alone_is_zero_comments(tmp_path):
    (tmp_path / "none.json").write_text("[]\n", encoding="utf-8")
    (tmp_path / "none.csv").write_text("\ncomment_id,content\n", encoding="utf-8")  # a blank line before the header
    assert read(tmp_path / "none.json") == [] and read(tmp_path / "none.csv") == []


def test_unreadable_and_non_utf8_inputs(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read(tmp_path / "missing.jsonl", "jsonl")
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"content": "caf\u00e9"}\n'.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read(latin)
    lines = [f'{{"content": "line {i}"}}\n'.encode() for i in range(3000)]
    lines[2500] = b'{"content": "bad \xff byte"}\n'  # far past the first decoded chunk
    late = tmp_path / "late.jsonl"
    late.write_bytes(b"".join(lines))
    offset = b"".join(lines).index(b"\xff")
    with pytest.raises(InputError, match=rf"not UTF-8 text \(invalid start byte at line 2501, byte {offset}\)"):
        read(late)


def test_short_csv_rows_are_padded_and_blank_jsonl_lines_skipped(tmp_path):
    (tmp_path / "a.csv").write_text("a,b,c\n1\n\n", encoding="utf-8")
    assert read(tmp_path / "a.csv") == [{"a": "1", "b": "", "c": ""}]
    (tmp_path / "a.jsonl").write_text('\n{"a": 1}\n   \n', encoding="utf-8")
    assert read(tmp_path / "a.jsonl") == [{"a": 1}]


def test_a_csv_header_reaches_the_writer_before_any_row(tmp_path):
    (tmp_path / "h.csv").write_text("id,content\n", encoding="utf-8")
    stream = io.StringIO()
    writer = CsvWriter(stream)
    assert list(iter_records(InputSpec(str(tmp_path / "h.csv"), "csv"), on_header=writer.add_columns)) == []
    writer.add_columns(["translation"])
    writer.close()
    assert stream.getvalue() == "id,content,translation\r\n"


def test_csv_writer_keeps_column_order_and_appends_new_columns():
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.write(
        [{"b": "1", "a": "0", "translation": "x", "translation_flags": ["glossary_applied", "length_anomaly"]}]
    )
    writer.write([{"b": "2", "a": "", "extra": [1, {"k": "中"}], "translation": None, "translation_flags": []}])
    writer.close()
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["b", "a", "translation", "translation_flags", "extra"]
    assert rows[1] == ["1", "0", "x", "glossary_applied;length_anomaly", ""]
    assert rows[2] == ["2", "", "", "", '[1, {"k": "中"}]']


def test_csv_cell_rules():
    assert csv_cell("like_count", "0") == "0"
    assert csv_cell("like_count", 0) == "0"
    assert csv_cell("x", None) == ""
    assert csv_cell("mixed", True) == "true"
    assert csv_cell("translation_flags", ("a", "b")) == "a;b"
    assert csv_cell("pictures", ["u1", "u2"]) == '["u1", "u2"]'


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=6), json_values, max_size=4), max_size=5), st.integers(1, 3))
def test_json_writer_streams_exactly_what_json_dumps_writes(records, parts):
    out = io.StringIO()
    writer = JsonWriter(out)
    step = max(1, len(records) // parts)
    for i in range(0, len(records), step):
        writer.write(records[i:i + step])
    writer.close()
    assert out.getvalue() == json.dumps(records, ensure_ascii=False, indent=4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.fixed_dictionaries({"id": st.text(), "content": st.text(), "n": st.text()}), min_size=1, max_size=5))
def test_csv_and_jsonl_round_trip_any_text(tmp_path_factory, records):
    folder = tmp_path_factory.mktemp("rt")
    for fmt, writer_cls, encoding in (("csv", CsvWriter, "utf-8-sig"), ("jsonl", JsonlWriter, "utf-8")):
        path = folder / f"out.{fmt}"
        with atomic_output(str(path), encoding) as stream:
            writer = CsvWriter(stream, csv_formulas="keep") if fmt == "csv" else writer_cls(stream)
            writer.write(records)
            writer.close()
        # csv cannot tell "\r\n" from "\n" inside quoted fields once universal newlines... it can: newline="" keeps them
        assert read(path, fmt) == records


def test_atomic_output_never_leaves_a_partial_file(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_output(str(target)) as stream:
        stream.write("half")
        raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    with atomic_output(str(target)) as stream:
        stream.write("new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    with pytest.raises(OutputPathError, match="does not exist"), atomic_output(str(tmp_path / "missing" / "out.jsonl")):
        pass


def test_a_jsonl_line_longer_than_the_sniffed_head_is_still_jsonl(tmp_path):
    path = tmp_path / "long"
    path.write_text(json.dumps({"content": "长" * 20000}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert resolve_format(InputSpec(str(path))).format == "jsonl"
    assert sniff_input_format("x", b'{\n    "a": 1\n}') == "json"


# --- issue 22 §3: a JSONL line is one line for every line splitter ----------------------------------------------

LINE_BREAKERS = "\u2028\u2029\u0085"  # JSON keeps them raw in strings; str.splitlines() and old JavaScript split there


@settings(max_examples=80, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=6), st.text(alphabet=st.sampled_from(LINE_BREAKERS + "ab\n\r中"))
                                | json_values, max_size=4), min_size=1, max_size=5))
def test_jsonl_output_round_trips_through_splitlines(records):
    out = io.StringIO()
    JsonlWriter(out).write(records)
    text = out.getvalue()
    assert not set(LINE_BREAKERS) & set(text)
    assert [json.loads(line) for line in text.splitlines()] == records


def test_jsonl_output_escapes_unicode_line_separators_in_a_real_export_shape(tmp_path):
    record = {**MEDIACRAWLER_ROW, "content": "第一行\u2028第二行\u2029第三段\u0085完"}
    path = tmp_path / "out.jsonl"
    with atomic_output(str(path)) as stream:
        JsonlWriter(stream).write([record, record])
    raw = path.read_bytes()
    assert rb"\u2028" in raw and rb"\u2029" in raw and rb"\u0085" in raw
    assert len(raw.decode("utf-8").splitlines()) == 2 and read(path) == [record, record]


# --- issue 22 §11: UTF-16 with a byte-order mark is read; GBK and Big5 are named ----------------------------------

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("name, text", [
    ("export.csv", "comment_id,content\n1,你好 #咖啡\n2,\"so true, lol\"\n"),
    ("export.jsonl", '{"comment_id": "1", "content": "你好 #咖啡"}\n{"comment_id": "2", "content": "so true, lol"}\n'),
])
def test_utf16_with_a_byte_order_mark_is_read(tmp_path, encoding, name, text):
    """Excel's "Unicode Text" export and UTF-16 CSVs start with a BOM (FF FE, or FE FF big-endian)."""
    path = tmp_path / name
    bom = {"utf-16-le": "\ufeff", "utf-16-be": "\ufeff"}.get(encoding, "")  # utf-16 writes its own
    path.write_bytes((bom + text).encode(encoding))
    assert [r["content"] for r in read(path)] == ["你好 #咖啡", "so true, lol"]


def test_utf16_without_a_byte_order_mark_is_named():
    with pytest.raises(UnknownFormatError, match="looks like UTF-16 text without a byte-order mark"):
        sniff_input_format("export.csv", "comment_id,content\n1,hi\n".encode("utf-16-le"))


@pytest.mark.parametrize("encoding", ["gbk", "big5"])
def test_gbk_and_big5_are_named_as_the_likely_cause_of_non_utf8_input(tmp_path, encoding):
    path = tmp_path / "export.jsonl"
    path.write_bytes('{"comment_id": "1", "content": "這家店的拿鐵真好喝"}\n'.encode(encoding))
    with pytest.raises(InputError, match=r"not UTF-8 text \(.* at line 1, byte \d+\); .*GBK \(GB18030\) or Big5"):
        read(path)


# --- issue 22 §5: one record's size is bounded, whatever the format --------------------------------------------

def bounded(path: Path, fmt: str, limit: int) -> list[dict]:
    return list(iter_records(InputSpec(str(path), fmt, max_record=limit)))


@pytest.mark.parametrize("fmt", ["jsonl", "lines", "csv", "json"])
def test_an_input_without_line_ends_stops_at_the_record_limit_naming_the_line(tmp_path, fmt, monkeypatch):
    """/dev/zero (or a binary file) read as text: an error at the first record past the limit, with about the
    limit in memory, not the whole 40 MB input."""
    head = {
        "jsonl": '{"content": "ok"}\n', "lines": "ok\n", "csv": "content\nok\n", "json": '[{"content": "ok"},\n"'
    }[fmt]
    path = tmp_path / "zeros"
    filler = b"a" if fmt == "json" else b"\x00"  # JSON: a string that never ends (a NUL in one is an error at once)
    path.write_bytes(head.encode() + filler * 40_000_000)
    where = {"json": "item 1 of the JSON array (from line 2, column 1)", "csv": "line 3"}.get(fmt, "line 2")
    tracemalloc.start()
    try:
        with pytest.raises(RecordTooLongError, match=rf"zeros: {re.escape(where)} is longer than 100,000 characters, "
                                                     r"the most one record may take \(--max-record-size\)"):
            bounded(path, fmt, 100_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000  # the limit, the JSON window (1M characters, 4 bytes each at worst), a few buffers


def test_a_json_input_that_is_not_an_array_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "object.json"
    path.write_text('{"comments": [' + ", ".join(['{"content": "好"}'] * 50_000) + "]}", encoding="utf-8")
    with pytest.raises(FormatError, match=r"expected a JSON array of comment objects .*, got a JSON object"):
        bounded(path, "json", 10_000)
    with pytest.raises(FormatError, match="got a JSON dict"):  # small enough to read: json's own name, as before
        bounded(path, "json", 10_000_000)


def test_records_up_to_the_limit_are_read(tmp_path):
    text = "长" * 5000
    for fmt, content in (("jsonl", json.dumps({"content": text}, ensure_ascii=False) + "\n"), ("lines", text + "\n"),
                         ("csv", f'content\n"{text}\n{text}"\n'),
                         ("json", json.dumps([{"content": text}], ensure_ascii=False))):
        path = tmp_path / f"in.{fmt}"
        path.write_text(content, encoding="utf-8")
        assert len(bounded(path, fmt, 10_100)) == 1
    with pytest.raises(RecordTooLongError, match="a field of the row ending at line 3 is longer"):
        bounded(tmp_path / "in.csv", "csv", 6_000)  # a quoted field over many lines is bounded too
