"""Writers for translated records, and atomic output files.

Output goes to a hidden temporary file next to the target (``.NAME.XXXXXXXX.tmp``) and is renamed over it only
when everything was written, so an interrupted or failed run never leaves a half-written (or clobbered) output
behind; the leftovers of killed runs are removed by the next run to the same output (``_staging.py``). The new
file keeps the mode of the file it replaces, or gets the umask's. A symbolic link is followed (its target is
replaced, the link kept), and a device, FIFO or socket (``/dev/null``, a named pipe) is written directly, as it
cannot be replaced. Standard output gets whole records only (``_WholeWrites``): a SIGINT or SIGTERM while a
full pipe blocks a write waits for it. JSON and JSONL are streamed; CSV rows are spooled to an anonymous
temporary file until the full set of columns is known (JSON records may differ in their keys), which keeps memory
bounded too.

A lone surrogate (``"\\ud83d"`` in a JSON input: legal JSON, but not UTF-8) is written as its escape ``\\ud83d``,
which in JSON and JSONL output is exactly the escape it came in as, and in CSV and HTML output is those six
characters, the nearest to lossless that UTF-8 text allows. Failures to write (disk full, a read-only folder,
a rename refused) are OutputError or OutputPathError naming the path and the system's reason.
"""

from __future__ import annotations

import codecs
import csv
import errno
import json
import os
import re
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, Protocol

from .._staging import TOKEN_PATTERN, create_file, remove_leftovers
from ..errors import InputError, OutputError, OutputPathError
from ..results import FLAGS_FIELD, added_fields
from .formats import STDIO
from .jsontext import JsonNumber, dumps, dumps_line

#: Columns a CSV writer serialises as ``;``-joined strings rather than JSON (they are lists of plain words).
JOINED_COLUMNS = (FLAGS_FIELD,)
#: How every output stream writes what UTF-8 cannot hold (only lone surrogates): as a ``\\uXXXX`` escape.
UNENCODABLE = "backslashreplace"
#: ``csv_formulas`` values: ``escape`` (the default) puts ``'`` before a cell a spreadsheet would run as a formula.
CSV_FORMULAS = ("escape", "keep")
# OWASP's CSV injection list: a cell starting with one of these is a formula to Excel, LibreOffice and Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")  # "-5", "+1": numbers, not formulas


class RecordWriter(Protocol):
    def write(self, records: Iterable[dict]) -> None: ...

    def close(self) -> None: ...

    def discard(self) -> None: ...


def _writable_reason(directory: Path) -> str | None:
    """Why new files cannot be made in ``directory`` (the system's words), or None when they can."""
    if os.access(directory, os.W_OK | os.X_OK):
        return None
    try:
        read_only = bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        read_only = False
    return os.strerror(errno.EROFS if read_only else errno.EACCES)


def _is_special(path: Path) -> bool:
    """A device, FIFO or socket: something that cannot be replaced by a rename, only written to."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def check_output_path(path: str) -> None:
    """Fail before any work when ``path`` cannot become a file (missing directory, a directory, no permission)."""
    if path == STDIO:
        return
    try:
        _check_output_path(path)
    except OSError as exc:  # a folder on the way that cannot be searched, a link loop, ...
        raise OutputPathError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _check_output_path(path: str) -> None:
    target = Path(os.path.realpath(path))  # a symbolic link stands for its target
    if target.is_dir():
        raise OutputPathError(f"cannot write {path}: it is a directory")
    parent = target.parent
    if not parent.is_dir():
        shown = Path(path).parent if str(Path(path).parent) else Path(".")
        raise OutputPathError(f"cannot write {path}: the directory {shown} does not exist")
    if _is_special(target):
        if not os.access(target, os.W_OK):
            raise OutputPathError(f"cannot write {path}: {os.strerror(errno.EACCES)}")
        return
    reason = _writable_reason(parent)
    if reason is not None:
        raise OutputPathError(f"cannot write {path}: cannot create files in {parent}: {reason}")


class _TextSink(Protocol):
    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class _OutputStream:
    """A text stream whose write errors name the output: ``cannot write OUT: No space left on device``."""

    def __init__(self, stream: _TextSink, label: str):
        self._stream = stream
        self._label = label

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _write_error(self._label, exc) from exc

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _write_error(self._label, exc) from exc


_HOLD = 1 << 16  # bytes of whole writes held back before they go out together


class _WholeWrites:
    """Standard output, written one whole ``write`` (a chunk of JSONL, a JSON item, a CSV row) at a time, so that
    a reader never gets a torn record: a SIGINT or SIGTERM that comes while bytes are on their way (a full pipe
    blocks us mid-write) is held until they are all out, then acts; a second one acts at once. Writes are held
    back up to 64 KiB, or until ``flush`` (each chunk's), and dropped if the run stops before then."""

    def __init__(self, binary: IO[bytes], encoding: str):
        self._binary = binary
        self._encoder = codecs.getincrementalencoder(encoding)(UNENCODABLE)  # a BOM (utf-8-sig) only once
        self._held: list[bytes] = []
        self._size = 0

    def write(self, text: str) -> int:
        data = self._encoder.encode(text)
        self._held.append(data)
        self._size += len(data)
        if self._size >= _HOLD:
            self.flush()
        return len(text)

    def flush(self) -> None:
        data = b"".join(self._held)
        self._held.clear()
        self._size = 0
        with _signals_held():
            view = memoryview(data)
            while view:  # a signal makes a blocked write return part-way (write(2)), the buffered one too
                view = view[self._binary.write(view):]
            self._binary.flush()


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block is done, then deliver the first that came (a second one during
    the block is delivered at once). Only the main thread can set handlers; elsewhere nothing is held."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: Any) -> None:
        if caught:  # asked twice: stop now, torn or not
            signal.signal(signum, previous[signum])
            signal.raise_signal(signum)
        caught.append(signum)

    previous: dict[int, Any] = {signum: signal.signal(signum, hold) for signum in _STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if caught:
            signal.raise_signal(caught[0])  # the handler in place now (the CLI's raises KeyboardInterrupt)


def _write_error(label: str, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {label}: {exc.strerror or exc}")


def _leftovers(target: Path) -> str:
    """The names of our temporary files for ``target`` (see ``atomic_output``), as a regular expression."""
    return rf"\.{re.escape(target.name)}\.{TOKEN_PATTERN}\.tmp"


@contextmanager
def atomic_output(path: str, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A text stream that becomes ``path`` only if the block completes; ``-`` is stdout (written as it goes),
    and a device or FIFO is written as it goes too (see the module docstring)."""
    if path == STDIO:
        out = _OutputStream(_WholeWrites(sys.stdout.buffer, encoding), "standard output")
        yield out  # type: ignore[misc]
        out.flush()  # after an error or an interrupt, what is held back is dropped: whole records or nothing
        return
    check_output_path(path)
    target = Path(os.path.realpath(path))
    if _is_special(target):
        with _special_output(path, target, encoding) as stream:
            yield stream
        return
    remove_leftovers(target.parent, _leftovers(target))
    try:
        fd, tmp = create_file(target.parent, f".{target.name}.", ".tmp")
    except OSError as exc:
        raise OutputPathError(f"cannot write {path}: cannot create a file in {target.parent}: {exc.strerror}") from exc
    try:
        _keep_mode(fd, target)
        raw = os.fdopen(fd, "w", encoding=encoding, errors=UNENCODABLE, newline="")
        with _closing(raw, path):
            out = _OutputStream(raw, path)
            yield out  # type: ignore[misc]
            out.flush()
            try:
                os.fsync(raw.fileno())
            except OSError as exc:
                raise _write_error(path, exc) from exc
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise OutputError(f"cannot replace {path} with the new output: {exc.strerror}") from exc
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


@contextmanager
def _special_output(path: str, target: Path, encoding: str) -> Iterator[IO[str]]:
    try:
        raw = open(target, "w", encoding=encoding, errors=UNENCODABLE, newline="")  # noqa: SIM115 (closed by _closing)
    except OSError as exc:
        raise OutputPathError(f"cannot write {path}: {exc.strerror}") from exc
    with _closing(raw, path):
        stream = _OutputStream(raw, path)
        yield stream  # type: ignore[misc]
        stream.flush()


@contextmanager
def _closing(raw: IO[str], path: str) -> Iterator[None]:
    """Close ``raw`` after the block, naming the output when the last buffered bytes cannot be written."""
    try:
        yield
    finally:
        try:
            raw.close()
        except OSError as exc:
            if sys.exc_info()[0] is None:  # an error of the block itself goes first
                raise _write_error(path, exc) from exc


def _keep_mode(fd: int, target: Path) -> None:
    """Give the new file the mode (and, for root, the owner) of the file it replaces; a new output keeps the
    umask's mode, which it was created with."""
    try:
        existing = os.stat(target)
    except OSError:
        return
    try:
        os.fchmod(fd, stat.S_IMODE(existing.st_mode))
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            os.fchown(fd, existing.st_uid, existing.st_gid)
    except OSError:
        pass  # best effort: the content matters more than the mode


class JsonlWriter:
    """One JSON object per line, unicode kept as is (as MediaCrawler writes JSONL), except the line separators
    and lone surrogates ``jsontext.dumps_line`` escapes."""

    def __init__(self, stream: IO[str]):
        self._stream = stream

    def write(self, records: Iterable[dict]) -> None:
        self._stream.write("".join(dumps_line(r) + "\n" for r in records))
        self._stream.flush()  # on standard output, the chunk goes out now, whole

    def close(self) -> None:
        pass

    def discard(self) -> None:
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
            item = dumps(record, indent=self._indent)
            opening = "[\n" if self._count == 0 else ",\n"
            self._stream.write(opening + self._pad + item.replace("\n", "\n" + self._pad))
            self._count += 1
        self._stream.flush()  # on standard output, the chunk goes out now, whole items

    def close(self) -> None:
        self._stream.write("\n]" if self._count else "[]")

    def discard(self) -> None:
        pass


class CsvWriter:
    """CSV with a header row; columns in first-seen order, so a CSV input keeps its columns and order and the
    new fields are appended. Strings are written as they are; other values as JSON (lists of flags joined
    with ``;``, or the ``joined_columns`` given, e.g. under a field prefix); None as an empty cell.

    ``csv_formulas="escape"`` (the default) neutralises formula injection as OWASP advises: a cell (or column
    name) that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, and is not simply a number,
    gets a ``'`` in front, so that a spreadsheet shows it as text instead of running it. ``"keep"`` writes such
    cells unchanged. ``close`` writes the file; ``discard``, after an error, only drops the spooled rows."""

    def __init__(self, stream: IO[str], joined_columns: Sequence[str] = JOINED_COLUMNS, csv_formulas: str = "escape"):
        if csv_formulas not in CSV_FORMULAS:
            raise InputError(f"csv_formulas must be one of {', '.join(CSV_FORMULAS)}, got {csv_formulas!r}")
        self._stream = stream
        self._joined = tuple(joined_columns)
        self._escape = csv_formulas == "escape"
        self._columns: dict[str, None] = {}
        # lone surrogates pass through the spool unchanged; the output stream escapes them
        self._spool = tempfile.TemporaryFile("w+", encoding="utf-8", errors="surrogatepass")  # noqa: SIM115 (close)

    def add_columns(self, names: Iterable[str]) -> None:
        """Declare columns before (or without) records: a CSV input's header plus the added fields, so that an
        input with a header and no rows still gives a header, not an empty file."""
        self._columns.update(dict.fromkeys(names))

    def write(self, records: Iterable[dict]) -> None:
        for record in records:
            self._columns.update(dict.fromkeys(record))
            cells = {k: csv_cell(k, v, self._joined) for k, v in record.items()}
            self._spool.write(json.dumps(cells, ensure_ascii=False) + "\n")

    def close(self) -> None:
        try:
            columns = list(self._columns)
            writer = csv.writer(self._stream)
            if columns:
                writer.writerow([self._cell(name) for name in columns])
            self._spool.seek(0)
            for line in self._spool:
                row = json.loads(line)
                writer.writerow([self._cell(row.get(name, "")) for name in columns])
        finally:
            self._spool.close()

    def discard(self) -> None:
        self._spool.close()

    def _cell(self, text: str) -> str:
        return neutralize_formula(text) if self._escape else text


#: The most comments an HTML page takes: the page needs the whole tree in memory (about 4 KiB a comment at the
#: peak), and is a view for people; more is an error (JSONL, JSON and CSV stream any size).
HTML_MAX_COMMENTS = 50_000


def too_many_for_html(what: str) -> OutputPathError:
    """The error for a page past HTML_MAX_COMMENTS; ``what`` says who has more ("the inputs have")."""
    return OutputPathError(f"an HTML page holds at most {HTML_MAX_COMMENTS:,} comments (it is built in memory, a view "
                           f"for people) and {what} more: write JSONL, JSON or CSV (-o OUT.csv), or split the input")


class HtmlWriter:
    """The bilingual HTML page (``html.render_html``) of the records written: a page needs the whole tree, so
    records are held until ``close`` renders them, at most HTML_MAX_COMMENTS (a view for people, not for
    millions of rows; count a file first to refuse it before any work). ``field_prefix`` is the prefix of the
    added fields to show (with several text fields, the first one's: ``content_``)."""

    def __init__(self, stream: IO[str], *, title: str, id_field: str = "comment_id", text_field: str = "content",
                 parent_field: str = "parent_comment_id", field_prefix: str = ""):
        self._stream = stream
        self._options = {"title": title, "id_field": id_field, "text_field": text_field,
                         "parent_field": parent_field, "field_prefix": field_prefix}
        self._records: list[dict] = []

    def write(self, records: Iterable[dict]) -> None:
        self._records.extend(records)
        if len(self._records) > HTML_MAX_COMMENTS:  # stdin, which cannot be counted first
            raise too_many_for_html("the input has")

    def close(self) -> None:
        from ..html import render_html

        self._stream.write(render_html(self._records, **self._options))

    def discard(self) -> None:
        self._records.clear()


def open_writer(fmt: str, stream: IO[str], *, field_prefix: str = "", csv_formulas: str = "escape",
                title: str = "", id_field: str = "comment_id", text_fields: Sequence[str] = ("content",),
                parent_field: str = "parent_comment_id") -> RecordWriter:
    """The writer of output format ``fmt`` on ``stream``, for records whose added fields carry ``field_prefix``:
    CSV joins their flags with ``;``, the HTML page shows them (``title``, ``id_field`` and the rest are its)."""
    if fmt == "html":
        prefix = field_prefix + (f"{text_fields[0]}_" if len(text_fields) > 1 else "")
        return HtmlWriter(stream, title=title, id_field=id_field, text_field=text_fields[0],
                          parent_field=parent_field, field_prefix=prefix)
    if fmt == "csv":
        return CsvWriter(stream, joined_columns=added_fields(JOINED_COLUMNS, field_prefix), csv_formulas=csv_formulas)
    writer: RecordWriter = WRITERS[fmt](stream)
    return writer


def neutralize_formula(text: str) -> str:
    """``text`` with a ``'`` in front when a spreadsheet would take it for a formula (OWASP's CSV injection
    advice); numbers such as ``-5`` are left alone, being no formula."""
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_cell(column: str, value: object, joined_columns: Sequence[str] = JOINED_COLUMNS) -> str:
    """How one value is written into a CSV cell, before formula escaping (pure, so the rule is testable on its own)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, JsonNumber):
        return value.text
    if column in joined_columns and isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return ";".join(value)
    return dumps(value)


#: The encoding each format is written in: CSV gets a BOM (utf-8-sig) like MediaCrawler's, so Excel reads it.
ENCODINGS = {"jsonl": "utf-8", "json": "utf-8", "csv": "utf-8-sig", "html": "utf-8"}

WRITERS = {"jsonl": JsonlWriter, "json": JsonWriter, "csv": CsvWriter}
