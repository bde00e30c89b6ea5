"""Whole-file jobs: translate or detect the comments of exports into one output file, streamed chunk by chunk.

What ``xhs-translate translate`` and ``detect`` do, for any app: inputs read and schema-checked as a stream
(``io/records.py``), a Translator per run (with models installed on first use by an ``AutoInstaller``, the
Translator then rebuilt to see them), on this process or on a pool of Ray actors (``distributed.py``), and one
writer path for both: the output is only ever written by an atomic rename at the end (``io.atomic_output``),
except standard output, which JSONL and JSON reach as the run goes. Progress goes to a caller's ``Progress``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from .config import DEFAULT_LANGUAGES, TranslatorConfig
from .errors import ModelNotInstalledError, OptionConflictError, WorkerError
from .io import (
    ENCODINGS,
    OUTPUT_FORMATS,
    STDIO,
    InputSpec,
    JsonlWriter,
    RecordWriter,
    atomic_output,
    check_output_path,
    count_records,
    iter_records,
    output_format_for,
    resolve_format,
    writers,
)
from .io.readers import DEFAULT_MAX_RECORD
from .io.records import (
    RecordStream,
    check_text_fields,
    count_input,
    is_parquet,
    open_inputs,
    parquet_columns,
    plain,
)
from .results import DETECTION_FIELDS, Stats, added_fields
from .routing import pairs_for_mode
from .thread import check_fields_free

if TYPE_CHECKING:  # the installer's module (urllib, the index) loads only when an app installs
    from .models.install import AutoInstaller

#: Records per chunk: as the Translator's own chunks (translator.CHUNK_COMMENTS), for full engine batches.
DEFAULT_CHUNK = 8000
DETECT_OUTPUT_FORMATS = tuple(f for f in OUTPUT_FORMATS if f != "html")  # detection adds no view for people


class Progress(Protocol):
    """What a job tells about its progress (the CLI's bar); every method is called from the job's thread."""

    def start(self, count: Callable[[], int | None]) -> None:
        """The job starts writing; ``count()`` counts the input records (None: unknown), only if called."""

    def chunk(self, first: int, last: int) -> None:
        """Records ``first`` to ``last`` (from 1) are being worked on."""

    def advance(self, n: int) -> None:
        """``n`` more records are written."""

    def finish(self) -> None:
        """Every record is written."""


class _Quiet:
    def start(self, count: Callable[[], int | None]) -> None:
        pass

    def chunk(self, first: int, last: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True)
class JobReport:
    """What a translate job did: ``count`` records into ``output`` as ``format`` in ``elapsed`` seconds;
    ``stats``: the Translators' counters summed (``Translator.stats()``; on Ray also ``workers``, ``restarts``);
    ``signature``: what produced the output (the run ``Signature``, or the Ray workers' joined by ``;``)."""

    count: int
    output: str
    format: str
    elapsed: float
    stats: Mapping[str, Any]
    signature: str


@dataclass(frozen=True)
class DetectReport:
    """What a detect job did: ``count`` records into ``output`` as ``format``; ``languages``: how many texts
    were detected in each language."""

    count: int
    output: str
    format: str
    languages: Mapping[str, int]


class _Lines(tuple[str, ...]):
    """JSONL lines already written (a Ray worker's output), to pass to a JSONL output as they are."""


def _write_output(output: str, fmt: str, batches: Callable[[RecordWriter], Iterable[Sequence[Any]]],
                  progress: Progress, count: Callable[[], int | None], **writer_options: Any) -> int:
    """The one writer path of every job: each batch of records (or ``_Lines``) from ``batches(writer)`` into
    the output file's writer, atomically; returns how many records."""
    written = 0
    progress.start(count)
    with atomic_output(output, ENCODINGS[fmt]) as stream:
        writer = writers.open_writer(fmt, stream, **writer_options)
        try:
            for batch in batches(writer):
                _write_batch(writer, stream, batch)
                written += len(batch)
                progress.advance(len(batch))
        except BaseException:
            writer.discard()
            raise
        progress.finish()
        writer.close()
    return written


def _write_batch(writer: RecordWriter, stream: IO[str], batch: Sequence[Any]) -> None:
    if not isinstance(batch, _Lines):
        writer.write(batch)
    elif isinstance(writer, JsonlWriter):  # the workers' lines are the output's lines
        stream.write("".join(line + "\n" for line in batch))
    else:
        from .io.jsontext import loads

        writer.write([loads(line) for line in batch])


def _chunks_of(stream: RecordStream, added: Sequence[str], transform: Callable[[list[dict]], list[dict]],
               progress: Progress) -> Callable[[RecordWriter], Iterator[list[dict]]]:
    """The batches of a local job: each chunk of ``stream`` through ``transform``; a CSV output gets each CSV
    input's header and the ``added`` fields as columns, even when no row follows."""

    def batches(writer: RecordWriter) -> Iterator[list[dict]]:
        add_columns = getattr(writer, "add_columns", None)
        on_header = (lambda header: add_columns([*header, *added])) if add_columns is not None else None
        for chunk in stream.chunks(added, on_header):
            progress.chunk(stream.count - len(chunk) + 1, stream.count)
            yield transform(chunk)

    return batches


def _title(specs: Sequence[InputSpec], title: str | None) -> str:
    return title or ", ".join(Path(s.path).name if s.path != STDIO else "stdin" for s in specs)


def _output_format(output: str, output_format: str | None, allowed: Sequence[str] = OUTPUT_FORMATS) -> str:
    fmt = output_format_for(output, output_format, allowed=allowed)
    check_output_path(output)
    return fmt


# --- translate ----------------------------------------------------------------------------------------------------


@dataclass
class _Translating:
    """A Translator plus the on-first-use model installation around it."""

    config: TranslatorConfig
    cache: Any
    installer: AutoInstaller | None
    translator: Any = None
    retired: list[Stats] = field(default_factory=list)  # stats of translators replaced after an install

    def __post_init__(self) -> None:
        self._new_translator()

    def stats(self) -> Stats:
        """The counters of every Translator this run used, summed."""
        return sum([*self.retired, self.translator.stats()], Stats())

    def translate(self, chunk: list[dict]) -> list[dict]:
        while True:
            try:
                return self.translator.translate_thread(chunk)
            except ModelNotInstalledError as exc:
                if self.installer is None:
                    raise
                self.installer.install(exc)
                self._new_translator()  # a fresh Translator sees the new packages

    def _new_translator(self) -> None:
        from .translator import Translator

        if self.translator is not None:
            self.retired.append(self.translator.stats())
            self.translator.close()
        self.translator = Translator(self.config, cache=self.cache)


def translate_file(inputs: Sequence[str | InputSpec], output: str = STDIO, *, output_format: str | None = None,
                   cache: Any = None, chunk_size: int = DEFAULT_CHUNK, csv_formulas: str = "escape",
                   title: str | None = None, installer: AutoInstaller | None = None,
                   progress: Progress | None = None, **options: Any) -> JobReport:
    """Translate the comment exports ``inputs`` (paths, ``-`` for stdin, or ``InputSpec``) into ``output``
    (``-``: stdout), chunk by chunk, keeping every record and field. ``output_format``: jsonl, json, csv or
    html (default: from the output's name); ``cache``: as ``Translator``'s, shared by the run's Translators;
    ``title``: the HTML page's (default: the input names); ``installer``: installs missing models and the run
    goes on (default: ModelNotInstalledError); ``options``: the Translator's (``target``, ``errors``, ...)."""
    config = TranslatorConfig.from_options(**options)
    fmt = _output_format(output, output_format)
    specs = open_inputs(inputs)
    if fmt == "html" and sum(count_records(spec) or 0 for spec in specs) > writers.HTML_MAX_COMMENTS:
        raise writers.too_many_for_html("the inputs have")  # counted before any work: cheap next to translating
    job = _Translating(config, cache, installer)
    progress = progress or _Quiet()
    fields = config.fields
    stream = RecordStream(specs, fields.text_fields, chunk_size, fields.id_field)
    started = time.perf_counter()
    count = _write_output(
        output, fmt, _chunks_of(stream, fields.all_translation_fields, job.translate, progress), progress,
        lambda: _total(specs, count_records), field_prefix=fields.prefix, csv_formulas=csv_formulas,
        title=_title(specs, title), id_field=fields.id_field, text_fields=fields.text_fields,
        parent_field=fields.parent_field)
    elapsed = time.perf_counter() - started
    job.translator.close()
    return JobReport(count, output, fmt, elapsed, job.stats(), str(job.translator.signature))


def _total(specs: Sequence[InputSpec], count: Callable[[InputSpec], int | None]) -> int | None:
    counts = [count(spec) for spec in specs]
    return None if None in counts else sum(c or 0 for c in counts)


# --- translate on Ray ---------------------------------------------------------------------------------------------


def ray_inputs(paths: Sequence[str], config: TranslatorConfig, input_format: str = "auto",
               max_record: int = DEFAULT_MAX_RECORD) -> tuple[str, list[InputSpec]]:
    """("jsonl" or "parquet", the inputs): Ray reads one of the two, each input checked on its first record or
    its schema (the text field is there, no added field is) before any worker starts."""
    if STDIO in paths:
        raise OptionConflictError("--ray reads files (every node opens them), not standard input")
    fields = config.fields
    added = fields.all_translation_fields
    specs = []
    for path in paths:
        if is_parquet(path):
            spec = InputSpec(path, "parquet")
            names = parquet_columns(path)
            check_text_fields(dict.fromkeys(names), spec, fields.text_fields)
            check_fields_free(names, added, owner=f"{path}: the Parquet schema")
        else:
            spec = resolve_format(InputSpec(path, input_format, max_record))
            if spec.format != "jsonl":
                raise OptionConflictError(
                    f"--ray reads JSONL or Parquet; {path} is {spec.format} (convert it, or drop --ray)"
                )
            first = next(iter_records(spec))
            check_text_fields(first, spec, fields.text_fields)
            check_fields_free(first, added, owner=f"{path}: the first record")
        specs.append(spec)
    kinds = {spec.format for spec in specs}
    if len(kinds) > 1:
        raise OptionConflictError("--ray takes JSONL inputs or Parquet inputs, not both in one run")
    return kinds.pop(), specs


def translate_on_ray(inputs: Sequence[str], output: str = STDIO, *, address: str = "auto",
                     workers: int | None = None, output_format: str | None = None, cache: Any = None,
                     cache_ttl: str | int | None = None, chunk_size: int = DEFAULT_CHUNK, input_format: str = "auto",
                     max_record: int = DEFAULT_MAX_RECORD, csv_formulas: str = "escape", title: str | None = None,
                     installer: AutoInstaller | None = None, debug: bool = False, progress: Progress | None = None,
                     **options: Any) -> JobReport:
    """:func:`translate_file`'s output, made by a pool of Ray actors (one Translator each, ``workers`` of them;
    default: the cluster's CPUs) that share the cache by address (``cache``: a path or ``redis://`` address,
    opened by each actor), and written here in input order. Inputs are JSONL files (their lines travel as text,
    so no value passes through Arrow's type inference) or Parquet files or folders. ``address``: ``auto`` (a
    local Ray runtime, or $RAY_ADDRESS's cluster) or a cluster's; connected here unless Ray already is.
    ``installer``: with ``errors="raise"``, the zh/en models the run can need are installed here first, as a
    single process would. ``debug``: Ray's own logs shown."""
    config = TranslatorConfig.from_options(**options)
    fmt = _output_format(output, output_format)
    kind, specs = ray_inputs(inputs, config, input_format, max_record)
    try:
        from . import distributed
    except ImportError as exc:
        raise OptionConflictError(str(exc)) from None
    import ray

    if installer is not None and config.errors == "raise":
        installer.ensure(pairs_for_mode(config.target), config.models_dir)
    progress = progress or _Quiet()
    started = time.perf_counter()
    ours = not ray.is_initialized()
    if ours:
        distributed.connect(address, debug=debug)  # bounded: a RayClusterError naming the address
    context = ray.data.DataContext.get_current()
    saved = context.execution_options.preserve_order, context.enable_progress_bars
    ray_data_log = logging.getLogger("ray.data")
    log_level = ray_data_log.level
    context.execution_options.preserve_order, context.enable_progress_bars = True, False
    if not debug:
        ray_data_log.setLevel(logging.CRITICAL)  # a worker's error becomes our one-line message
    report = distributed.RunReport()
    try:
        paths = [spec.path for spec in specs]
        source = (distributed.read_json_lines(paths, max_record=max_record) if kind == "jsonl"
                  else distributed.read_parquet(paths))
        out = distributed.translate_dataset(
            source, cache=cache, cache_ttl=cache_ttl, concurrency=workers, batch_size=chunk_size,
            json_column=distributed.LINE_COLUMN if kind == "jsonl" else None, report=report, **options)

        def batches(writer: RecordWriter) -> Iterator[Sequence[Any]]:
            tables: Iterable[Any] = out.iter_batches(batch_size=None, batch_format="pyarrow")
            for table in tables:
                if kind == "jsonl":
                    yield _Lines(table.column(distributed.LINE_COLUMN).to_pylist())
                else:
                    yield [plain(record) for record in table.to_pylist()]

        fields = config.fields
        count = _write_output(output, fmt, batches, progress, lambda: _total(specs, count_input),
                              field_prefix=fields.prefix, csv_formulas=csv_formulas, title=_title(specs, title),
                              id_field=fields.id_field, text_fields=fields.text_fields,
                              parent_field=fields.parent_field)
    except ray.exceptions.RayError as exc:
        failure = report.failure()
        if failure is None:
            raise distributed.our_error(exc) or exc from None  # e.g. a reader's InputError
        raise WorkerError(*failure) from exc
    finally:
        stats, signatures = report.stats(), report.signatures()
        report.warn_here()  # the workers' warnings, one line each like ours
        context.execution_options.preserve_order, context.enable_progress_bars = saved
        ray_data_log.setLevel(log_level)
        if ours:
            distributed.disconnect()
    return JobReport(count, output, fmt, time.perf_counter() - started, stats, " ; ".join(signatures) or "none")


# --- detect -------------------------------------------------------------------------------------------------------


def detect_file(inputs: Sequence[str | InputSpec], output: str = STDIO, *, output_format: str | None = None,
                id_field: str = "comment_id", text_field: str | Sequence[str] = "content",
                parent_field: str = "parent_comment_id", field_prefix: str = "",
                languages: Sequence[str] | str = DEFAULT_LANGUAGES, chunk_size: int = DEFAULT_CHUNK,
                csv_formulas: str = "escape", progress: Progress | None = None) -> DetectReport:
    """Add source_lang, confidence, script and mixed (``detection.detect``) to each record of ``inputs`` into
    ``output``; several text fields each get fields of their own, named after it (``title_source_lang``).
    ``languages``: the domain prior (``detect_many``)."""
    from .detection import detect_many
    from .thread import flatten_thread, rebuild_thread

    fmt = _output_format(output, output_format, allowed=DETECT_OUTPUT_FORMATS)
    specs = open_inputs(inputs)
    fields = (text_field,) if isinstance(text_field, str) else tuple(dict.fromkeys(text_field))
    per_field = [added_fields(DETECTION_FIELDS, field_prefix + (f"{f}_" if len(fields) > 1 else "")) for f in fields]
    names = tuple(name for group in per_field for name in group)
    found_languages: Counter[str] = Counter()

    def transform(chunk: list[dict]) -> list[dict]:
        thread = flatten_thread(chunk, id_field=id_field, text_field=fields[0], parent_field=parent_field,
                                added=names)
        added: list[dict] = [{} for _ in thread.comments]
        for name, group in zip(fields, per_field):
            texts = [c.source.get(name) for c in thread.comments]
            found = detect_many([t if isinstance(t, str) else "" for t in texts], languages=languages)
            found_languages.update(d.lang for d in found)
            for fields_of, d in zip(added, found):
                fields_of.update(zip(group, (d.lang, round(d.confidence, 4), d.script, d.mixed)))
        return rebuild_thread(thread, added)

    progress = progress or _Quiet()
    stream = RecordStream(specs, fields, chunk_size, id_field)
    count = _write_output(output, fmt, _chunks_of(stream, names, transform, progress), progress,
                          lambda: _total(specs, count_records), field_prefix=field_prefix, csv_formulas=csv_formulas)
    return DetectReport(count, output, fmt, dict(found_languages))
