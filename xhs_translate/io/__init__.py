"""Reading and writing comment exports (MediaCrawler JSON / JSONL / CSV and generic ones), streaming."""

from .formats import INPUT_FORMATS, OUTPUT_FORMATS, STDIO, format_from_name, output_format_for, sniff_input_format
from .readers import InputSpec, count_records, iter_records, resolve_format
from .writers import (
    ENCODINGS,
    WRITERS,
    CsvWriter,
    JsonlWriter,
    JsonWriter,
    RecordWriter,
    atomic_output,
    check_output_path,
    csv_cell,
)

__all__ = [
    "ENCODINGS",
    "INPUT_FORMATS",
    "OUTPUT_FORMATS",
    "STDIO",
    "WRITERS",
    "CsvWriter",
    "InputSpec",
    "JsonWriter",
    "JsonlWriter",
    "RecordWriter",
    "atomic_output",
    "check_output_path",
    "count_records",
    "csv_cell",
    "format_from_name",
    "iter_records",
    "output_format_for",
    "resolve_format",
    "sniff_input_format",
]
