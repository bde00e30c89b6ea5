"""Streaming readers for comment exports: JSON arrays, JSONL, CSV (as MediaCrawler writes them) and plain text.

Every format is read one record at a time (a JSON array item by item), so a million comments never sit in
memory together, and the CLI translates and caches a JSON input chunk by chunk as it does JSONL. Every reader
yields the records exactly as stored: CSV values stay strings, JSON values keep their types and key order, and
JSON numbers their text (``io/jsontext.py``). Inputs are UTF-8 (a BOM skipped), or UTF-16 when they start
with its byte-order mark (Excel's "Unicode Text" export). Plain text (``lines``) makes one record per line: the line
number (from 1) under the id field and the line, without its line break, under the text field; a blank line is a record
too (it gets ``no_text``), so that records and lines stay aligned. Problems become FormatError or InputError
naming the file and, where the parser knows it, the line and column; an error in the middle of a file comes
when the reader gets there, after the records before it. An empty input (nothing but whitespace) is a
FormatError too, so that a truncated or not-yet-written export never passes as "no comments" and replaces a
previous output with an empty one; ``[]`` (JSON) or a header row alone (CSV) means no comments.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from ..errors import FormatError, InputError, RecordTooLongError
from .formats import STDIO, sniff_input_format, text_encoding
from .jsontext import JsonDepthError, decode, loads

_SNIFF_BYTES = 8192
#: What a non-UTF-8 input most likely is: exports saved by Chinese Windows software.
NOT_UTF8_HINT = ("Chinese text saved by Windows software is often GBK (GB18030) or Big5: convert it to UTF-8, e.g. "
                 "iconv -f GB18030 -t UTF-8 (or -f BIG5)")
_READ_CHARS = 1 << 20  # a JSON array is parsed from a window of at least this many characters
_JSON_SPACE = re.compile(r"[^ \t\n\r]")  # the first character that is not JSON whitespace
#: The most characters one record may take (one JSONL or text line, one CSV row's field, one JSON array item):
#: an input with no line end (``/dev/zero``, a binary file) is an error at the line it starts on, not a
#: MemoryError after gigabytes. Long comments exceed csv's default 128 KiB field limit; this is far above that.
DEFAULT_MAX_RECORD = 64 * 1024 * 1024


@dataclass(frozen=True)
class InputSpec:
    """One input: its path (``-`` for stdin) and its format, resolved from ``auto`` on open."""

    path: str
    format: str = "auto"
    max_record: int = DEFAULT_MAX_RECORD  # characters: see DEFAULT_MAX_RECORD

    @property
    def label(self) -> str:
        return "<stdin>" if self.path == STDIO else self.path


@contextmanager
def _open_binary(path: str) -> Iterator[BinaryIO]:
    if path == STDIO:
        yield sys.stdin.buffer
        return
    try:
        # opened outside the with: only open's own OSError becomes an InputError
        handle = open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with handle:
        yield handle


def _peek(handle: BinaryIO) -> bytes:
    peek = getattr(handle, "peek", None)
    if peek is not None:
        return peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
    return b""


def resolve_format(spec: InputSpec) -> InputSpec:
    """``spec`` with ``auto`` replaced by the format sniffed from the name and first bytes."""
    if spec.format != "auto":
        return spec
    with _open_binary(spec.path) as handle:
        try:
            head = _peek(handle)
        except OSError as exc:
            raise InputError(f"cannot read {spec.label}: {exc.strerror or exc}") from exc
    return replace(spec, format=sniff_input_format(spec.path, head))


def iter_records(spec: InputSpec, on_header: Callable[[list[str]], None] | None = None, *,
                 id_field: str = "comment_id", text_field: str = "content") -> Iterator[dict]:
    """Yield the records of one input in file order (the format must be resolved already).

    ``on_header`` is called with a CSV input's header row before its first record, so that a writer keeps the
    columns of a CSV that has a header and no rows. ``id_field`` and ``text_field`` name the two fields of a
    plain-text (``lines``) record."""
    with _open_binary(spec.path) as handle:
        encoding = text_encoding(_peek(handle))
        text = io.TextIOWrapper(handle, encoding=encoding, newline="")
        try:
            if spec.format == "json":
                yield from _json_records(text, spec.label, spec.max_record)
            elif spec.format == "jsonl":
                yield from _jsonl_records(_bounded_lines(text, spec), spec.label)
            elif spec.format in ("csv", "tsv"):
                yield from _csv_records(_bounded_lines(text, spec), spec.label, on_header, spec.max_record,
                                        "\t" if spec.format == "tsv" else ",")
            elif spec.format == "lines":
                yield from _line_records(_bounded_lines(text, spec), spec.label, id_field, text_field)
            else:
                raise FormatError(f"unknown input format {spec.format!r}")
        except UnicodeDecodeError as exc:
            if encoding == "utf-16":
                raise InputError(
                    f"cannot read {spec.label}: it starts as UTF-16 text but is not ({exc.reason})"
                ) from exc
            raise InputError(f"cannot read {spec.label}: it is not UTF-8 text{_where_not_utf8(spec.path)}; "
                             f"{NOT_UTF8_HINT}") from exc
        except OSError as exc:
            raise InputError(f"cannot read {spec.label}: {exc.strerror or exc}") from exc
        finally:
            text.detach()  # leave stdin (and the handle the context manager closes) alone


def too_long(where: str, limit: int) -> FormatError:
    """The error for a record past the limit (``where``: "line 3", "item 2 of the JSON array")."""
    size = f"{limit // (1 << 20)} MiB" if limit % (1 << 20) == 0 else f"{limit:,} characters"
    return RecordTooLongError(f"{where} is longer than {size}, the most one record may take (--max-record-size); "
                              "is this the right file and format?")


def _bounded_lines(text: io.TextIOBase, spec: InputSpec) -> Iterator[str]:
    """The lines of ``text`` as iterating it gives them, each read at most ``spec.max_record`` characters at a
    time: a longer line is a RecordTooLongError naming it, before it is in memory."""
    limit = spec.max_record
    for lineno in itertools.count(1):
        line = text.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(("\n", "\r")):
            raise too_long(f"{spec.label}: line {lineno}", limit)
        yield line


def _where_not_utf8(path: str) -> str:
    """Where the first invalid UTF-8 byte is, as " (line L, byte B)"; the decoder's own position is relative to
    the chunk it was decoding, so the file is scanned again line by line (UTF-8 never puts a newline byte inside
    a character). Empty for stdin, which cannot be read twice."""
    if path == STDIO:
        return ""
    offset = 0
    try:
        with open(path, "rb") as handle:
            for lineno, line in enumerate(handle, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    return f" ({exc.reason} at line {lineno}, byte {offset + exc.start})"
                offset += len(line)
    except OSError:
        pass
    return ""


def count_records(spec: InputSpec) -> int | None:
    """A cheap record count for a progress bar's total, or None for stdin (which cannot be read twice)."""
    if spec.path == STDIO or not Path(spec.path).is_file():
        return None
    if spec.format in ("jsonl", "lines"):
        with open(spec.path, "rb") as handle:
            lines = sum(1 for line in handle if spec.format == "lines" or line.strip())
        return lines
    return sum(1 for _ in iter_records(spec))


class _Window:
    """A sliding window over a text stream, for parsing a JSON array item by item: text before ``pos`` is
    dropped on the next read, and what was dropped is counted, so that errors still give file lines and columns."""

    def __init__(self, stream: io.TextIOBase):
        self._stream = stream
        self.text = ""
        self.pos = 0
        self.eof = False
        self._lines = 0  # line breaks dropped so far
        self._column = 0  # characters dropped since the last dropped line break

    def read(self, at_least: int = 0) -> bool:
        """Drop the text before ``pos`` and read at least ``at_least`` more characters; False at the end."""
        chunk = "" if self.eof else self._stream.read(max(at_least, _READ_CHARS))
        if not chunk:
            self.eof = True
            return False
        breaks = self.text.count("\n", 0, self.pos)
        self._lines += breaks
        self._column = self.pos - self.text.rfind("\n", 0, self.pos) - 1 if breaks else self._column + self.pos
        self.text = self.text[self.pos :] + chunk
        self.pos = 0
        return True

    def next_char(self) -> str:
        """Skip JSON whitespace; the character at ``pos`` then, or "" at the end of the stream."""
        while True:
            found = _JSON_SPACE.search(self.text, self.pos)
            if found is not None:
                self.pos = found.start()
                return self.text[self.pos]
            self.pos = len(self.text)
            if not self.read():
                return ""

    def where(self, pos: int) -> str:
        """``line L, column C`` of ``text[pos]`` in the whole stream, counted as the json module does."""
        line_start = self.text.rfind("\n", 0, pos)
        column = pos - line_start if line_start >= 0 else self._column + pos + 1
        line = self._lines + self.text.count("\n", 0, pos) + 1
        return f"line {line}, column {column}"


_KINDS = {"{": "object", '"': "string", "t": "bool", "f": "bool", "n": "null"}


def _json_records(text: io.TextIOBase, label: str, limit: int = DEFAULT_MAX_RECORD) -> Iterator[dict]:
    """The items of a JSON array, parsed one at a time from a window of the stream, each at most ``limit``
    characters."""
    window = _Window(text)
    first = window.next_char()
    if not first:
        raise FormatError(f"{label} is empty: expected a JSON array of comment objects (write [] for none)")
    if first != "[":  # not an array: the first value, read as far as one record may go, for json.loads' messages
        try:
            data = type(_json_item(window, label, limit, "the JSON value")).__name__
        except RecordTooLongError:  # not read to its end: named by its first character
            data = _KINDS.get(first, "number")
        raise FormatError(
            f"{label}: expected a JSON array of comment objects (as MediaCrawler writes), got a JSON {data}"
        )
    window.pos += 1
    index = 0
    if window.next_char() == "]":
        window.pos += 1
    else:
        while True:
            item = _json_item(window, label, limit, f"item {index} of the JSON array")
            if not isinstance(item, dict):
                raise FormatError(f"{label}: item {index} of the JSON array is a {type(item).__name__}, not an object")
            yield item
            index += 1
            after = window.next_char()
            window.pos += 1
            if after == "]":
                break
            if after != ",":
                window.pos -= 1
                what = "Expecting ',' delimiter" if after else "Expecting ',' delimiter or ']' at the end of the file"
                raise FormatError(f"{label}: invalid JSON at {window.where(window.pos)}: {what}")
            window.next_char()
    if window.next_char():
        raise FormatError(f"{label}: invalid JSON at {window.where(window.pos)}: Extra data")


def _json_item(window: _Window, label: str, limit: int, what: str) -> object:
    """Parse the value at the window's position, reading more while it may be cut off by the window's end (at
    most ``limit`` characters of it: a RecordTooLongError naming ``what`` past that)."""
    while True:
        try:
            value, end = decode(window.text, window.pos)
        except json.JSONDecodeError as exc:
            if _may_be_cut(exc, window.text) and _read_more(window, label, limit, what):
                continue  # at least double the window: linear time in all
            raise FormatError(f"{label}: invalid JSON at {window.where(exc.pos)}: {exc.msg}") from None
        except JsonDepthError as exc:
            raise FormatError(f"{label}: at {window.where(exc.pos)}, {exc}") from None
        if end == len(window.text) and _read_more(window, label, limit, what):
            continue  # a number may go on in the next characters
        window.pos = end
        return value


def _read_more(window: _Window, label: str, limit: int, what: str) -> bool:
    """Read on for a value that starts at the window's position and has not ended; False at the end of input."""
    held = len(window.text) - window.pos
    if held > limit:
        raise too_long(f"{label}: {what} (from {window.where(window.pos)})", limit)
    return window.read(min(held, limit + 1 - held) if held < limit else 1)


def _may_be_cut(exc: json.JSONDecodeError, text: str) -> bool:
    """Whether the error may come from the window ending inside the value (a string, a keyword such as ``true``
    or an escape cut short) rather than from the input: then reading on can help, else it only reads the rest
    of a large file before the same error."""
    return exc.msg.startswith("Unterminated string") or exc.pos >= len(text) - _CUT_MARGIN


_CUT_MARGIN = 8  # the longest token a cut can leave unfinished: an escape "\\uXXXX", a keyword "false"


def _jsonl_records(lines: Iterable[str], label: str) -> Iterator[dict]:
    empty = True
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        empty = False
        try:
            item = loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            raise FormatError(f"{label}: invalid JSON at line {lineno}, column {exc.colno}: {exc.msg}") from None
        except JsonDepthError as exc:
            raise FormatError(f"{label}: at line {lineno}, {exc}") from None
        if not isinstance(item, dict):
            raise FormatError(f"{label}: line {lineno} holds a JSON {type(item).__name__}, not an object")
        yield item
    if empty:
        raise FormatError(f"{label} is empty: expected one JSON comment object per line")


def _line_records(lines: Iterable[str], label: str, id_field: str, text_field: str) -> Iterator[dict]:
    """One record per line (blank ones too, so that record N is line N); the line break is not part of the text.
    Blank lines are held back until a line with text comes, so that an input of blank lines is an error before
    any record."""
    blank: list[dict] = []
    seen_text = False
    for lineno, line in enumerate(lines, start=1):
        record = {id_field: lineno, text_field: line.rstrip("\r\n")}
        if not seen_text and not line.strip():
            blank.append(record)
            continue
        seen_text = True
        yield from blank
        blank.clear()
        yield record
    if not seen_text:
        raise FormatError(f"{label} is empty: expected one comment per line")


def _csv_records(lines: Iterable[str], label: str, on_header: Callable[[list[str]], None] | None,
                 limit: int = DEFAULT_MAX_RECORD, delimiter: str = ",") -> Iterator[dict]:
    csv.field_size_limit(limit)
    # strict: a file cut inside a quoted field is an error, not a record
    reader = csv.reader(lines, strict=True, delimiter=delimiter)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):  # blank lines before the header
            header = next(reader, None)
        if header is None:
            raise FormatError(f"{label} is empty: expected a CSV header row, then one row per comment")
        duplicates = sorted({name for name in header if header.count(name) > 1})
        if duplicates:
            raise FormatError(f"{label}: the CSV header repeats the column(s) {', '.join(map(repr, duplicates))}")
        if on_header is not None:
            on_header(header)
        for row in reader:
            if not row:
                continue
            if len(row) > len(header):
                raise FormatError(
                    f"{label}: line {reader.line_num} has {len(row)} fields but the header has {len(header)}"
                )
            yield dict(zip(header, row + [""] * (len(header) - len(row))))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise too_long(f"{label}: a field of the row ending at line {reader.line_num}", limit) from None
        raise FormatError(f"{label}: invalid CSV at line {reader.line_num}: {exc}") from None
