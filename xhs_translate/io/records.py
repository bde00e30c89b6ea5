"""Records of several inputs as a stream of chunks, each input's schema checked before its records are used.

A wrong text field must not pass as "no text", and an input that already has a field the run adds must not be
overwritten: both are checked on a CSV header (known even when no row follows), else on the first record, and
for Parquet (Ray's other input) on its schema. An app streams an export with the same checks as the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from ..errors import InputError, MissingFieldError, OptionConflictError
from ..thread import check_fields_free
from .formats import STDIO
from .readers import DEFAULT_MAX_RECORD, InputSpec, count_records, iter_records, resolve_format


def open_inputs(inputs: Sequence[str | InputSpec], input_format: str = "auto", max_record: int = DEFAULT_MAX_RECORD
                ) -> list[InputSpec]:
    """The inputs (paths, ``-`` for stdin, or specs) with their formats resolved, from the name, else the
    content; standard input at most once."""
    specs = [spec if isinstance(spec, InputSpec) else InputSpec(spec, input_format, max_record) for spec in inputs]
    if [spec.path for spec in specs].count(STDIO) > 1:
        raise OptionConflictError("standard input (-) can be read only once")
    return [resolve_format(spec) for spec in specs]


def check_text_fields(record: Mapping[str, Any], spec: InputSpec, text_fields: Sequence[str]) -> None:
    """MissingFieldError when a record (or a header's names, as dict keys) lacks a text field."""
    for text_field in text_fields:
        if text_field not in record:
            raise MissingFieldError(text_field, record, owner=f"{spec.label}: the records")


def chunked(records: Iterable[dict], size: int) -> Iterator[list[dict]]:
    """``records`` in lists of ``size`` (the last one shorter)."""
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass
class RecordStream:
    """The records of every input in chunks, each input's schema checked on its CSV header or first record;
    ``count`` is the number of records yielded so far."""

    specs: Sequence[InputSpec]
    text_fields: Sequence[str]
    chunk_size: int
    id_field: str = "comment_id"  # for plain-text records
    count: int = 0

    def chunks(self, added: Sequence[str] = (),
               on_header: Callable[[list[str]], None] | None = None) -> Iterator[list[dict]]:
        """``added``: the fields the run adds, which no input column may already have; ``on_header`` gets each
        checked CSV header."""
        for spec in self.specs:
            checked = False  # the schema: on a CSV header when there is one, else on the first record

            def header_seen(header: list[str], spec: InputSpec = spec) -> None:
                nonlocal checked
                check_text_fields(dict.fromkeys(header), spec, self.text_fields)
                check_fields_free(header, added, owner=f"{spec.label}: the CSV header")
                checked = True
                if on_header is not None:
                    on_header(header)

            records = iter_records(spec, header_seen, id_field=self.id_field, text_field=self.text_fields[0])
            for chunk in chunked(records, self.chunk_size):
                if not checked:
                    check_text_fields(chunk[0], spec, self.text_fields)
                    checked = True
                self.count += len(chunk)
                yield chunk


def is_parquet(path: str) -> bool:
    """A Parquet file or a folder of them (a dataset), by name."""
    from pathlib import Path

    return Path(path).is_dir() or path.lower().endswith(".parquet")


def parquet_columns(path: str) -> list[str]:
    """The column names of a Parquet file or dataset (pyarrow: the distributed extra)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise OptionConflictError(
            "reading Parquet needs the distributed extra: pip install 'xhs-translate[distributed]'"
        ) from None
    try:
        return list(pq.ParquetDataset(path).schema.names)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path} as Parquet: {exc}") from None


def count_input(spec: InputSpec) -> int | None:
    """The records of an input (Parquet: its rows), or None where it cannot be counted first (stdin)."""
    if spec.format != "parquet":
        return count_records(spec)
    import pyarrow.dataset

    return int(pyarrow.dataset.dataset(spec.path, format="parquet").count_rows())


def plain(value: Any) -> Any:
    """A value read from Parquet as JSON can hold it: timestamps and dates as ISO text, other types as text."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {key: plain(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
