"""Telling input and output formats apart, from the file name first and the first bytes second."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath

from ..errors import UnknownFormatError
from .jsontext import loads

INPUT_FORMATS = ("json", "jsonl", "csv", "tsv", "lines")
OUTPUT_FORMATS = ("jsonl", "json", "csv", "html")
STDIO = "-"

_EXTENSIONS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",  # tab-separated, as spreadsheets and pandas' to_csv(sep="\t") write it
    ".txt": "lines",  # plain text, one comment a line
    ".html": "html",
    ".htm": "html",
}


def format_from_name(name: str) -> str | None:
    """The format an extension names (``.json``, ``.jsonl``, ``.ndjson``, ``.csv``, ``.txt``, ``.html``), or None."""
    if name == STDIO:
        return None
    return _EXTENSIONS.get(PurePath(name).suffix.lower())


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode Text" and Windows tools write UTF-16 with one


def text_encoding(head: bytes) -> str:
    """How to decode an input that starts with ``head``: UTF-16 when it opens with a UTF-16 byte-order mark,
    else UTF-8 (a UTF-8 BOM skipped)."""
    return "utf-16" if head.startswith(UTF16_BOMS) else "utf-8-sig"


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: mostly ASCII text with a NUL in every other byte."""
    return len(head) >= 4 and (head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4)


def sniff_input_format(name: str, head: bytes) -> str:
    """Pick json, jsonl, csv, tsv or lines for an input from its extension and its first bytes.

    A ``.txt`` file is plain text, one comment a line, whatever its lines look like (a comment may well start
    with ``[`` or ``{``). Otherwise content wins when it is unambiguous, because exports get renamed: ``[``
    opens a JSON array, and lines that each hold a complete JSON object mean JSONL (a pretty-printed object
    would not parse on one line; a lone one-line object in a ``.json`` file stays JSON, so it gets the
    "expected an array" message).
    Anything else is CSV when the extension says so or the first line looks like a header row, and TSV when that
    first line has more tabs than commas.
    """
    encoding = text_encoding(head)
    if encoding == "utf-8-sig" and b"\x00" in head:
        if _looks_utf16(head):
            raise UnknownFormatError(f"{_label(name)} looks like UTF-16 text without a byte-order mark; convert it to "
                                     "UTF-8 (iconv -f UTF-16LE -t UTF-8)")
        raise UnknownFormatError(
            f"{_label(name)} looks binary, not JSON, JSONL or CSV; pass --input-format if it is one")
    whole = len(head) - len(head) % 2 if encoding == "utf-16" else None  # no half UTF-16 code unit at the end
    text = head[:whole].decode(encoding, errors="replace").lstrip()
    by_name = format_from_name(name)
    if by_name == "lines":
        return by_name
    if text.startswith("["):
        return "json"
    if text.startswith("{"):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
            # a first line longer than the sniffed head cannot be parsed, but only JSONL has such lines
        first_line_cut = "\n" not in text and not _is_object(lines[0])
        one_object_per_line = first_line_cut or (
            _is_object(lines[0]) and (len(lines) == 1 or lines[1].startswith("{")))
        if by_name == "jsonl" or (one_object_per_line and (by_name != "json" or len(lines) > 1)):
            return "jsonl"
        return "json"
    first_line = text.split("\n", 1)[0]
    if by_name in (None, "csv") and first_line.count("\t") > first_line.count(","):
        return "tsv"  # a header of tab-separated names, whatever the extension says
    if by_name in INPUT_FORMATS:
        return by_name
    if by_name is None and "," in first_line:
        return "csv"
    if not text:
        return by_name if by_name in INPUT_FORMATS else "jsonl"
    suffix = PurePath(name).suffix or "(none)"
    raise UnknownFormatError(
        f"cannot tell the format of {_label(name)} (extension {suffix}); "
        f"pass --input-format {'|'.join(INPUT_FORMATS)}"
    )


def output_format_for(
    name: str | None, explicit: str | None, default: str = "jsonl", allowed: Sequence[str] = OUTPUT_FORMATS
) -> str:
    """The output format: the explicit choice, else the output file's extension, else ``default`` (stdout);
    one of ``allowed`` (a command may write fewer formats than ``translate``)."""
    found: str | None
    if explicit:
        found = explicit
    elif name is None or name == STDIO:
        found = default
    else:
        found = format_from_name(name)
        if found is None:
            suffix = PurePath(name).suffix or "(none)"
            raise UnknownFormatError(
                f"cannot tell the output format from {name!r} (extension {suffix}); "
                f"pass --output-format {'|'.join(allowed)}"
            )
    if found not in allowed:
        raise UnknownFormatError(f"this command cannot write {found}; pass --output-format {'|'.join(allowed)}")
    return found


def _is_object(line: str) -> bool:
    try:
        return isinstance(loads(line), dict)
    except ValueError:  # invalid, or nested too deeply (JsonDepthError)
        return False


def _label(name: str) -> str:
    return "standard input" if name == STDIO else repr(name)
