"""Reading and writing comment exports (MediaCrawler JSON / JSONL / CSV, generic ones, plain text), streaming."""

from .formats import INPUT_FORMATS, OUTPUT_FORMATS, STDIO, format_from_name, output_format_for, sniff_input_format
from .jsontext import MAX_DEPTH, JsonNumber
from .readers import DEFAULT_MAX_RECORD, InputSpec, count_records, iter_records, resolve_format
from .writers import (
    CSV_FORMULAS,
    ENCODINGS,
    WRITERS,
    CsvWriter,
    JsonlWriter,
    JsonWriter,
    RecordWriter,
    atomic_output,
    check_output_path,
    csv_cell,
    neutralize_formula,
)

__all__ = [
    "CSV_FORMULAS",
    "DEFAULT_MAX_RECORD",
    "ENCODINGS",
    "INPUT_FORMATS",
    "MAX_DEPTH",
    "OUTPUT_FORMATS",
    "STDIO",
    "WRITERS",
    "CsvWriter",
    "InputSpec",
    "JsonNumber",
    "JsonWriter",
    "JsonlWriter",
    "RecordWriter",
    "atomic_output",
    "check_output_path",
    "count_records",
    "csv_cell",
    "format_from_name",
    "iter_records",
    "neutralize_formula",
    "output_format_for",
    "resolve_format",
    "sniff_input_format",
]
