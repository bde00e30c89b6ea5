"""JSON as exports hold it: numbers round-trip as written, depth is bounded with a clear error, arrays stream,
lone surrogates come back as the escapes they were (issue 10 §3.1, §3.3, §3.8, §3.11)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xhs_translate.errors import FormatError
from xhs_translate.io import (
    MAX_DEPTH,
    CsvWriter,
    InputSpec,
    JsonlWriter,
    JsonNumber,
    JsonWriter,
    atomic_output,
    iter_records,
    readers,
    resolve_format,
)
from xhs_translate.io.jsontext import dumps, loads


def read(path: Path, fmt: str = "auto") -> list[dict]:
    return list(iter_records(resolve_format(InputSpec(str(path), fmt))))


def write(records: list[dict], writer_cls) -> str:
    out = io.StringIO()
    writer = writer_cls(out)
    writer.write(records)
    writer.close()
    return out.getvalue()


# --- numbers -------------------------------------------------------------------------------------------------

ODD_NUMBERS = ["1e400", "-1e400", "1E5", "1.50", "-0", "1e-400", "0.10", "1.5E+300", "9" * 5000, "-" + "1" * 4400]
PLAIN_NUMBERS = ["0", "-7", "3.14", "1e-05", "100.0", "-0.0", "12345678901234567890123", "NaN", "Infinity"]


@pytest.mark.parametrize("text", ODD_NUMBERS + PLAIN_NUMBERS)
def test_every_number_is_written_back_as_it_came(text):
    line = '{"n": N, "list": [N, {"deep": N}]}'.replace("N", text)
    record = loads(line)
    assert dumps(record) == line
    assert write([record], JsonlWriter) == line + "\n"
    pretty = write([record], JsonWriter)
    assert pretty.count(text) == 3 and f'"{text}"' not in pretty  # the bare number, never a string


def test_numbers_python_writes_as_read_stay_int_and_float():
    record = loads('{"a": 1, "b": 2.5, "c": 1e400, "d": -0}')
    assert type(record["a"]) is int and type(record["b"]) is float
    assert record["c"] == JsonNumber("1e400") and float(record["c"]) == float("inf") and str(record["d"]) == "-0"


def test_odd_numbers_round_trip_through_every_format(tmp_path):
    source = tmp_path / "in.json"
    source.write_text('[{"comment_id": 1e400, "content": "hi", "likes": 1.50}]', encoding="utf-8")
    (record,) = read(source)
    for writer_cls, name in ((JsonWriter, "out.json"), (JsonlWriter, "out.jsonl")):
        text = write([record], writer_cls)
        assert "1e400" in text and "1.50" in text and "Infinity" not in text
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert read(tmp_path / name) == [record]
    csv_text = write([record], CsvWriter)
    assert csv_text.splitlines()[1] == "1e400,hi,1.50"


def test_a_marker_lookalike_string_stays_a_string():
    from xhs_translate.io.jsontext import _MARK

    record = {"a": "\ue000xhs-number-0000000000000000:0", "b": JsonNumber("1E5"), "c": _MARK[:-1]}
    assert loads(dumps(record)) == {**record, "b": JsonNumber("1E5")}


# --- depth ---------------------------------------------------------------------------------------------------


def nested(levels: int) -> str:
    return '{"content": "x", "v": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_records_up_to_the_depth_limit_read_and_write(tmp_path, fmt):
    line = nested(MAX_DEPTH)
    path = tmp_path / f"deep.{fmt}"
    path.write_text(f"[{line}]" if fmt == "json" else line + "\n", encoding="utf-8")
    (record,) = read(path)
    assert dumps(record) == line
    write([record], JsonWriter)  # the indented writer too


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 5_000, 200_000])
@pytest.mark.parametrize("fmt", ["json", "jsonl", "object"])
def test_deeper_records_are_a_format_error_naming_the_place(tmp_path, fmt, levels):
    line = nested(levels)
    content = {"json": f'[\n{{"ok": 1}},\n{line}]', "jsonl": '{"ok": 1}\n' + line, "object": line}[fmt]
    path = tmp_path / f"deep.{'jsonl' if fmt == 'jsonl' else 'json'}"
    path.write_text(content, encoding="utf-8")
    line_number = {"json": 3, "jsonl": 2, "object": 1}[fmt]
    with pytest.raises(FormatError, match=rf"at line {line_number}, .*deeper than {MAX_DEPTH} levels"):
        read(path)


def test_sniffing_a_deep_first_line_does_not_crash(tmp_path):
    path = tmp_path / "deep"
    path.write_text(nested(100_000) + "\n", encoding="utf-8")
    with pytest.raises(FormatError, match="deeper than"):
        read(path)


# --- streaming JSON arrays ----------------------------------------------------------------------------------


def test_a_json_array_is_read_item_by_item(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text('[{"a": 1}, {"a": 2}, {"a": 3}, {"a": ', encoding="utf-8")
    records = iter_records(InputSpec(str(path), "json"))
    assert [next(records) for _ in range(3)] == [{"a": 1}, {"a": 2}, {"a": 3}]  # before the end is read
    with pytest.raises(FormatError, match="line 1, column 38"):
        next(records)


json_items = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
spaces = st.text(" \t\r\n", max_size=3)


@settings(max_examples=150, deadline=None)
@given(items=st.lists(st.dictionaries(st.text(max_size=4), json_items, max_size=3), max_size=6),
       gaps=st.lists(spaces, min_size=20, max_size=20),
       window=st.integers(1, 9))
def test_streamed_arrays_read_as_json_loads_reads_them_whatever_the_window(tmp_path_factory, items, gaps, window,
                                                                         monkeypatch_module):
    monkeypatch_module.setattr(readers, "_READ_CHARS", window)
    joined = ("," + gaps[2]).join(json.dumps(i, ensure_ascii=False) for i in items)
    body = gaps[0] + "[" + gaps[1] + joined + gaps[3] + "]" + gaps[4]
    path = tmp_path_factory.mktemp("s") / "a.json"
    path.write_text(body, encoding="utf-8")
    assert read(path, "json") == json.loads(body)


@settings(max_examples=150, deadline=None)
@given(body=st.text('[]{}",:0123456789.eE-+ \n\tabnul', max_size=30), window=st.integers(1, 7))
def test_invalid_arrays_fail_where_json_loads_fails(tmp_path_factory, body, window, monkeypatch_module):
    monkeypatch_module.setattr(readers, "_READ_CHARS", window)
    path = tmp_path_factory.mktemp("s") / "a.json"
    path.write_text(body, encoding="utf-8")
    try:
        expected = json.loads(body)
    except json.JSONDecodeError as exc:
        with pytest.raises(FormatError) as raised:
            read(path, "json")
        if "invalid JSON" in str(raised.value):  # not an earlier item that is no object, nor an empty file
            assert f"line {exc.lineno}, column {exc.colno}:" in str(raised.value)
        return
    if isinstance(expected, list) and all(isinstance(i, dict) for i in expected):
        assert read(path, "json") == expected
    else:
        with pytest.raises(FormatError):
            read(path, "json")


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


# --- lone surrogates ----------------------------------------------------------------------------------------

SURROGATE_LINE = r'{"id": "a\ud83d", "content": "hello \ud83d world", "\udc00key": ["\ude00"]}'


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_lone_surrogates_are_written_back_as_the_escapes_they_came_as(tmp_path, fmt):
    source = tmp_path / f"in.{fmt}"
    source.write_text(f"[{SURROGATE_LINE}]" if fmt == "json" else SURROGATE_LINE + "\n", encoding="ascii")
    records = read(source)
    assert records[0]["content"] == "hello \ud83d world"
    out = tmp_path / f"out.{fmt}"
    with atomic_output(str(out)) as stream:
        writer = (JsonWriter if fmt == "json" else JsonlWriter)(stream)
        writer.write(records)
        writer.close()
    raw = out.read_bytes()
    assert rb'"hello \ud83d world"' in raw and rb'"\udc00key"' in raw and rb'"a\ud83d"' in raw
    assert read(out) == records


def test_lone_surrogates_in_csv_are_written_as_their_escape_text(tmp_path):
    out = tmp_path / "out.csv"
    with atomic_output(str(out), "utf-8-sig") as stream:
        writer = CsvWriter(stream)
        writer.write([json.loads(SURROGATE_LINE)])
        writer.close()
    assert read(out) == [{"id": "a\\ud83d", "content": "hello \\ud83d world", "\\udc00key": '["\\ude00"]'}]


def test_lone_surrogates_on_stdout(tmp_path):
    import subprocess
    import sys

    script = ("from xhs_translate.io import atomic_output, JsonlWriter\n"
              "with atomic_output('-') as s:\n    JsonlWriter(s).write([{'a': 'x\\ud83d'}])\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)
    assert result.stdout == b'{"a": "x\\ud83d"}\n'
