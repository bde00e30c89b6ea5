"""Writers for translated records, and atomic output files.

Output goes to a hidden temporary file next to the target and is renamed over it only when everything was
written, so an interrupted or failed run never leaves a half-written (or clobbered) output behind.
JSON and JSONL are streamed; CSV rows are spooled to an anonymous temporary file until the full set of
columns is known (JSON records may differ in their keys), which keeps memory bounded too.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterable, Iterator, Protocol, Sequence

from ..errors import OutputPathError
from ..thread import FLAGS_FIELD
from .formats import STDIO

#: Columns a CSV writer serialises as ``;``-joined strings rather than JSON (they are lists of plain words).
JOINED_COLUMNS = (FLAGS_FIELD,)


class RecordWriter(Protocol):
    def write(self, records: Iterable[dict]) -> None: ...

    def close(self) -> None: ...


def check_output_path(path: str) -> None:
    """Fail before any work when ``path`` cannot become a file (missing directory, or a directory)."""
    if path == STDIO:
        return
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise OutputPathError(f"cannot write {path}: the directory {parent} does not exist")
    if target.is_dir():
        raise OutputPathError(f"cannot write {path}: it is a directory")


@contextmanager
def atomic_output(path: str, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A text stream that becomes ``path`` only if the block completes; ``-`` is stdout (written as it goes)."""
    if path == STDIO:
        stream = io.TextIOWrapper(sys.stdout.buffer, encoding=encoding, newline="", write_through=False)
        try:
            yield stream
            stream.flush()
        finally:
            stream.detach()
        return
    check_output_path(path)
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise


class JsonlWriter:
    """One JSON object per line, unicode kept as is (as MediaCrawler writes JSONL)."""

    def __init__(self, stream: IO[str]):
        self._stream = stream

    def write(self, records: Iterable[dict]) -> None:
        self._stream.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)

    def close(self) -> None:
        pass


class JsonWriter:
    """A JSON array written item by item, byte-identical to ``json.dumps(all, ensure_ascii=False, indent=4)``.

    Indent 4 and raw unicode are what MediaCrawler's JSON store writes.
    """

    def __init__(self, stream: IO[str], indent: int = 4):
        self._stream = stream
        self._pad = " " * indent
        self._indent = indent
        self._count = 0

    def write(self, records: Iterable[dict]) -> None:
        for record in records:
            item = json.dumps(record, ensure_ascii=False, indent=self._indent)
            self._stream.write(("[\n" if self._count == 0 else ",\n") + self._pad + item.replace("\n", "\n" + self._pad))
            self._count += 1

    def close(self) -> None:
        self._stream.write("\n]" if self._count else "[]")


class CsvWriter:
    """CSV with a header row; columns in first-seen order, so a CSV input keeps its columns and order and the
    new fields are appended. Strings are written as they are; other values as JSON (lists of flags joined
    with ``;``, or the ``joined_columns`` given, e.g. under a field prefix); None as an empty cell."""

    def __init__(self, stream: IO[str], joined_columns: Sequence[str] = JOINED_COLUMNS):
        self._stream = stream
        self._joined = tuple(joined_columns)
        self._columns: dict[str, None] = {}
        self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")

    def add_columns(self, names: Iterable[str]) -> None:
        """Declare columns before (or without) records: a CSV input's header plus the added fields, so that an
        input with a header and no rows still gives a header, not an empty file."""
        self._columns.update(dict.fromkeys(names))

    def write(self, records: Iterable[dict]) -> None:
        for record in records:
            self._columns.update(dict.fromkeys(record))
            self._spool.write(json.dumps({k: csv_cell(k, v, self._joined) for k, v in record.items()}, ensure_ascii=False) + "\n")

    def close(self) -> None:
        writer = csv.DictWriter(self._stream, fieldnames=list(self._columns), restval="")
        if self._columns:
            writer.writeheader()
        self._spool.seek(0)
        for line in self._spool:
            writer.writerow(json.loads(line))
        self._spool.close()


def csv_cell(column: str, value: object, joined_columns: Sequence[str] = JOINED_COLUMNS) -> str:
    """How one value is written into a CSV cell (pure, so the rule is testable on its own)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if column in joined_columns and isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return ";".join(value)
    return json.dumps(value, ensure_ascii=False)


#: The encoding each format is written in: CSV gets a BOM (utf-8-sig) like MediaCrawler's, so Excel reads it.
ENCODINGS = {"jsonl": "utf-8", "json": "utf-8", "csv": "utf-8-sig", "html": "utf-8"}

WRITERS = {"jsonl": JsonlWriter, "json": JsonWriter, "csv": CsvWriter}
