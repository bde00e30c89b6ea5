"""Streaming readers for comment exports: JSON arrays, JSONL and CSV (as MediaCrawler writes them).

JSONL and CSV are read one record at a time, so a million comments never sit in memory together; a JSON
array is loaded whole (that is how it is written, too). Every reader yields the records exactly as stored:
CSV values stay strings, JSON values keep their types and key order. Problems become FormatError or
InputError naming the file and, where the parser knows it, the line and column. An empty input (nothing but
whitespace) is a FormatError too, so that a truncated or not-yet-written export never passes as "no comments"
and replaces a previous output with an empty one; ``[]`` (JSON) or a header row alone (CSV) means no comments.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from ..errors import FormatError, InputError
from .formats import STDIO, sniff_input_format

_SNIFF_BYTES = 8192
# Long comments exceed csv's default 128 KiB field limit; the cap only guards against runaway quoting.
_CSV_FIELD_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class InputSpec:
    """One input: its path (``-`` for stdin) and its format, resolved from ``auto`` on open."""

    path: str
    format: str = "auto"

    @property
    def label(self) -> str:
        return "<stdin>" if self.path == STDIO else self.path


@contextmanager
def _open_binary(path: str) -> Iterator[BinaryIO]:
    if path == STDIO:
        yield sys.stdin.buffer
        return
    try:
        handle = open(path, "rb")
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
    return InputSpec(spec.path, sniff_input_format(spec.path, head))


def iter_records(spec: InputSpec, on_header: Callable[[list[str]], None] | None = None) -> Iterator[dict]:
    """Yield the records of one input in file order (the format must be resolved already).

    ``on_header`` is called with a CSV input's header row before its first record, so that a writer keeps the
    columns of a CSV that has a header and no rows."""
    with _open_binary(spec.path) as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        try:
            if spec.format == "json":
                yield from _json_records(text, spec.label)
            elif spec.format == "jsonl":
                yield from _jsonl_records(text, spec.label)
            elif spec.format == "csv":
                yield from _csv_records(text, spec.label, on_header)
            else:
                raise FormatError(f"unknown input format {spec.format!r}")
        except UnicodeDecodeError as exc:
            raise InputError(f"cannot read {spec.label}: it is not UTF-8 text{_where_not_utf8(spec.path)}") from exc
        except OSError as exc:
            raise InputError(f"cannot read {spec.label}: {exc.strerror or exc}") from exc
        finally:
            text.detach()  # leave stdin (and the handle the context manager closes) alone


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
    if spec.format == "jsonl":
        with open(spec.path, "rb") as handle:
            return sum(1 for line in handle if line.strip())
    return sum(1 for _ in iter_records(spec))


def _json_records(text: io.TextIOBase, label: str) -> Iterator[dict]:
    raw = text.read()
    if not raw.strip():
        raise FormatError(f"{label} is empty: expected a JSON array of comment objects (write [] for none)")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{label}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, list):
        raise FormatError(
            f"{label}: expected a JSON array of comment objects (as MediaCrawler writes), got a JSON {type(data).__name__}"
        )
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise FormatError(f"{label}: item {index} of the JSON array is a {type(item).__name__}, not an object")
        yield item


def _jsonl_records(text: io.TextIOBase, label: str) -> Iterator[dict]:
    empty = True
    for lineno, line in enumerate(text, start=1):
        if not line.strip():
            continue
        empty = False
        try:
            item = json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            raise FormatError(f"{label}: invalid JSON at line {lineno}, column {exc.colno}: {exc.msg}") from None
        if not isinstance(item, dict):
            raise FormatError(f"{label}: line {lineno} holds a JSON {type(item).__name__}, not an object")
        yield item
    if empty:
        raise FormatError(f"{label} is empty: expected one JSON comment object per line")


def _csv_records(text: io.TextIOBase, label: str, on_header: Callable[[list[str]], None] | None) -> Iterator[dict]:
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader(text, strict=True)  # strict: a file cut inside a quoted field is an error, not a record
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
        raise FormatError(f"{label}: invalid CSV at line {reader.line_num}: {exc}") from None
