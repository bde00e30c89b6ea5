"""Translate comment records on a Ray cluster: Ray Data's ``map_batches`` over a pool of actors.

Each actor holds one Translator for its whole life (models loaded once, CTranslate2 threads sized to the CPUs
Ray gives it), and every actor opens the same cache by address: with ``cache="redis://..."`` nothing is decoded
twice across the fleet or across runs. Records are flat, as MediaCrawler exports them (a reply names its parent
by id), so any batch can go to any actor. Ray restarts a killed actor and retries its batches, and a batch's
output is kept only once, so a lost worker loses and duplicates nothing.

Nothing in ``xhs_translate`` imports this module at import time (the CLI does, for ``translate --ray`` only): Ray
(``pip install 'xhs-translate[distributed]'``) loads only when it is imported. On a cluster every node needs
xhs-translate, the models (``models_dir``) and the inputs at the same paths.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

try:
    import pyarrow as pa
    import ray
    import ray.data
    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError("xhs_translate.distributed needs Ray Data: pip install 'xhs-translate[distributed]'") from exc

from .cache import CacheWarning, open_cache
from .config import TranslatorConfig
from .errors import CacheError, FormatError, InputError, RayClusterError, XhsTranslateError
from .io import jsontext
from .io.formats import text_encoding
from .io.readers import DEFAULT_MAX_RECORD, NOT_UTF8_HINT, too_long
from .results import Stats

__all__ = [
    "CONNECT_TIMEOUT",
    "DEFAULT_BATCH_SIZE",
    "READ_CPUS",
    "JsonLinesDatasource",
    "ParquetFilesDatasource",
    "RunReport",
    "connect",
    "disconnect",
    "our_error",
    "read_json_lines",
    "read_parquet",
    "translate_dataset",
]

DEFAULT_BATCH_SIZE = 1_000  # records per actor call: fills the engine's batches, small enough to spread the load
LINE_COLUMN = "line"
#: The CPUs a read task upstream of ``translate_dataset`` should reserve: none, or a pool of actors holding every
#: CPU (the default) leaves none for it (``ray.data.read_csv(path, num_cpus=READ_CPUS)``).
READ_CPUS = 0
# The types of the added fields (source_lang, target_lang, translation, translation_status, translation_flags,
# translation_confidence): the Arrow types of results.TRANSLATION_FIELDS, in order (zipped strictly: a new field
# needs its type here).
_ADDED_TYPES = (pa.string(), pa.string(), pa.string(), pa.string(), pa.list_(pa.string()), pa.float64())
_RANGE_BYTES = 32 * 1024 * 1024  # the most bytes one read task of a JSONL file takes
#: Seconds ``connect`` waits for a cluster's address to answer (TCP, then the GCS's GetClusterId) before the
#: RayClusterError that names it; Ray's own driver retries for ever.
CONNECT_TIMEOUT = 15.0
_BLOCK_LINES = 10_000


def translate_dataset(ds: ray.data.Dataset, *, models_dir: str | Path | None = None, cache: Any = None,
                      target: str = "auto", concurrency: int | tuple[int, int] | None = None,
                      batch_size: int = DEFAULT_BATCH_SIZE, num_cpus: float = 1, cache_ttl: str | int | None = None,
                      json_column: str | None = None, report: RunReport | None = None,
                      **translator_options: Any) -> ray.data.Dataset:
    """``ds`` with the fields ``translate_thread`` adds (source_lang, target_lang, translation, translation_status,
    translation_flags, translation_confidence, under ``field_prefix``) appended to every record; lazy, like every
    Ray Dataset.

    ``cache``: None (each node's default SQLite file), False, a file path, or a ``redis://`` address shared by
    every actor (checked here: a Redis that does not answer is a CacheError before any work); ``cache_ttl``:
    as ``open_cache``. ``concurrency``: actors (a number, or ``(min, max)`` to autoscale; default: the
    cluster's CPUs / ``num_cpus``). ``num_cpus``: CPUs per actor, its CTranslate2 threads unless
    ``inter_threads``/``intra_threads`` say otherwise. ``json_column``: the records are JSON object text in that
    column (``read_json_lines``), translated into JSON text there, so that no value passes through Arrow's type
    inference. ``report``: a :class:`RunReport` that sums the actors' ``Translator.stats()``.
    ``translator_options``: as ``Translator`` (``errors``, ``glossary``, ``text_field``, ...)."""
    config = TranslatorConfig.from_options(models_dir=models_dir, target=target, **translator_options)
    if not (cache is None or isinstance(cache, (bool, str, Path))):
        raise CacheError("translate_dataset takes the cache's path or address (each actor opens its own), "
                         f"not a {type(cache).__name__}")
    backend = open_cache(cache, ttl=cache_ttl)  # a Redis that does not answer is an error here, not in each actor
    if backend is not None:
        backend.close()
    if not isinstance(num_cpus, (int, float)) or isinstance(num_cpus, bool) or num_cpus <= 0:
        raise InputError(f"num_cpus must be a positive number, got {num_cpus!r}")
    if config.engine.inter_threads is None and config.engine.intra_threads is None:
        config = config.replace(inter_threads=1, intra_threads=max(1, int(num_cpus)))
    return ds.map_batches(
        _Worker, batch_size=batch_size, batch_format="pyarrow", compute=_actor_pool(concurrency, num_cpus),
        num_cpus=num_cpus, fn_constructor_args=(config, cache, cache_ttl, json_column, report),
    )


def _actor_pool(concurrency: int | tuple[int, int] | None, num_cpus: float) -> ray.data.ActorPoolStrategy:
    if concurrency is None:
        concurrency = max(1, int(ray.cluster_resources().get("CPU", 1) // num_cpus))
    if isinstance(concurrency, int) and not isinstance(concurrency, bool) and concurrency >= 1:
        return ray.data.ActorPoolStrategy(size=concurrency)
    if (isinstance(concurrency, tuple) and len(concurrency) == 2 and all(isinstance(n, int) for n in concurrency)
            and 1 <= concurrency[0] <= concurrency[1]):
        return ray.data.ActorPoolStrategy(min_size=concurrency[0], max_size=concurrency[1])
    raise InputError(f"concurrency must be a number of actors or (min, max), got {concurrency!r}")


class _Worker:
    """One actor of the pool: a Translator made once, then one batch (an Arrow table) per call."""

    def __init__(self, config: TranslatorConfig, cache: Any, cache_ttl: str | int | None, json_column: str | None,
                 report: RunReport | None):
        from .translator import Translator

        context = ray.get_runtime_context()
        self._id = uuid.uuid4().hex  # this life of the actor: a restarted one reports anew
        self._actor = context.get_actor_id() or self._id  # the same across its restarts
        with warnings.catch_warnings():  # the property reads a deprecated one of Ray's, which warns
            warnings.simplefilter("ignore", DeprecationWarning)
            self._restarted = bool(context.was_current_actor_reconstructed)
        self._json_column = json_column
        self._report = report
        self._names = config.fields.translation_fields
        self._lost_cache = 0
        with _caught_warnings() as self._warnings:
            try:
                backend = open_cache(cache, ttl=cache_ttl)
            except CacheError as exc:  # the cache answered when the run started: it went away mid-run
                warnings.warn(f"{exc}; this worker goes on without the cache", CacheWarning, stacklevel=2)
                backend, self._lost_cache = None, 1
            self._translator = Translator(config, cache=False if backend is None else backend)

    def __call__(self, batch: pa.Table) -> pa.Table:
        with _caught_warnings() as caught:
            try:
                out = self._translate_lines(batch) if self._json_column else self._translate_records(batch)
            except XhsTranslateError as exc:
                if self._report is not None:
                    self._report.fail(exc)
                raise
        self._warnings += caught
        if self._report is not None:
            stats = self._translator.stats() + {"cache_errors": self._lost_cache}
            self._report.add(self._id, self._actor, self._restarted, stats, str(self._translator.signature),
                             self._warnings)
            self._warnings = []
        return out

    def _translate_records(self, batch: pa.Table) -> pa.Table:
        done = self._translator.translate_thread(batch.to_pylist())
        for name, kind in zip(self._names, _ADDED_TYPES, strict=True):
            batch = batch.append_column(pa.field(name, kind), pa.array([record[name] for record in done], kind))
        return batch

    def _translate_lines(self, batch: pa.Table) -> pa.Table:
        column = self._json_column
        done = self._translator.translate_thread([_json_object(line) for line in batch.column(column).to_pylist()])
        lines = pa.array([jsontext.dumps_line(record) for record in done], pa.string())  # Arrow takes UTF-8 only
        return batch.set_column(batch.schema.get_field_index(column), column, lines)


def _json_object(line: Any) -> dict:
    """A JSONL line as the single-process reader reads it (numbers kept as written, nesting bounded)."""
    try:
        record = jsontext.loads(line)
    except (TypeError, ValueError) as exc:  # JSONDecodeError and JsonDepthError are ValueErrors
        raise FormatError(f"a JSONL line is not valid JSON ({exc}): {str(line)[:60]!r}") from None
    if not isinstance(record, dict):
        raise FormatError(f"a JSONL line holds a JSON {type(record).__name__}, not an object: {str(line)[:60]!r}")
    return record


@contextmanager
def _caught_warnings() -> Iterator[list[tuple[str, str]]]:
    """The warnings the block issues, as (category name, message), instead of on the worker's stderr (which Ray
    would forward in Python's two-line format, under a "(MapWorker pid=...)" prefix)."""
    found: list[tuple[str, str]] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield found
    found += [(w.category.__name__, str(w.message)) for w in caught]


_CATEGORIES = {CacheWarning.__name__: CacheWarning}


def our_error(exc: BaseException) -> XhsTranslateError | None:
    """Our error behind a Ray error (a read task's InputError, say), with its one-line message: Ray's wrapper is
    also an instance of the error's class, but its text is the remote traceback, so the error it carries
    (``cause``) is taken, and the lines Ray Data adds to that are dropped."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        cause = getattr(current, "cause", None)
        if isinstance(cause, BaseException):
            current = cause
            continue
        if isinstance(current, XhsTranslateError):
            message = str(current).split("\n", 1)[0]  # Ray Data appends lines of retry advice to the message
            try:
                return type(current)(message)
            except TypeError:  # a class that takes more than a message
                return current
        current = current.__cause__
    return None


class _Tally:
    """The Ray actor behind a RunReport: each worker's process and latest stats, the signatures, the first failure."""

    def __init__(self) -> None:
        self.stats: dict[str, tuple[int, dict]] = {}
        self.actors: dict[str, None] = {}
        self.restarts = 0
        self.signatures: dict[str, None] = {}
        self.warnings: dict[tuple[str, str], None] = {}
        self.failure: tuple[str, str] | None = None
        self.batches = 0

    @ray.method  # typed: the handle's .remote() checks its arguments
    def add(self, worker: str, actor: str, restarted: bool, pid: int, stats: dict, signature: str,
            caught: list[tuple[str, str]]) -> None:
        if worker not in self.stats:
            self.actors[actor] = None
            self.restarts += restarted
        self.stats[worker] = pid, stats
        self.signatures[signature] = None
        self.warnings.update(dict.fromkeys((kind, message) for kind, message in caught))
        self.batches += 1

    @ray.method
    def fail(self, kind: str, message: str) -> None:
        self.failure = self.failure or (kind, message)

    @ray.method
    def read(self) -> tuple[list[tuple[int, dict]], list[str], tuple[str, str] | None, int, int, int,
                            list[tuple[str, str]]]:
        return (list(self.stats.values()), list(self.signatures), self.failure, self.batches, len(self.actors),
                self.restarts, list(self.warnings))


class RunReport:
    """What the actors of a ``translate_dataset`` run did, read once the dataset has been consumed: their
    ``Translator.stats()`` summed, their signatures, and the first error one raised (Ray Data passes on only a
    traceback's text). Each worker reports after every batch, before the batch is handed on."""

    def __init__(self) -> None:
        self._actor = ray.remote(num_cpus=0)(_Tally).remote()

    def add(self, worker: str, actor: str, restarted: bool, stats: dict, signature: str,
            caught: list[tuple[str, str]]) -> None:
        ray.get(self._actor.add.remote(worker, actor, restarted, os.getpid(), stats, signature, caught))

    def fail(self, exc: BaseException) -> None:
        ray.get(self._actor.fail.remote(type(exc).__name__, str(exc)))

    def _read(self) -> tuple:
        return ray.get(self._actor.read.remote())

    def stats(self) -> Stats:
        """Every worker's ``Translator.stats()`` added up (a restarted actor's new life is counted too, so a batch
        retried after a crash is counted twice), plus ``workers`` (actors), ``restarts`` (actors Ray started
        again after they died) and ``batches``."""
        every, _, _, batches, actors, restarts, _ = self._read()
        return sum((stats for _, stats in every), Stats({"workers": actors, "restarts": restarts, "batches": batches}))

    def pids(self) -> list[int]:
        """The process of each worker that has reported, in the order they first did."""
        return [pid for pid, _ in self._read()[0]]

    def signatures(self) -> list[str]:
        """The workers' signature lines (one, unless nodes have different models)."""
        return self._read()[1]

    def failure(self) -> tuple[str, str] | None:
        """The first error a worker raised, as (exception class name, message), or None."""
        return self._read()[2]

    def warnings(self) -> list[tuple[str, str]]:
        """The workers' warnings, (category name, message), each once, in the order they first came."""
        return self._read()[6]

    def warn_here(self) -> None:
        """Issue the workers' warnings in this process (under their category where it is ours), so that they
        show as this process shows warnings: the CLI's one line each."""
        for category, message in self.warnings():
            warnings.warn(message, _CATEGORIES.get(category, UserWarning), stacklevel=2)


# --- connecting -----------------------------------------------------------------------------------


def connect(address: str, *, debug: bool = False, timeout: float = CONNECT_TIMEOUT) -> None:
    """``ray.init`` for ``address`` (``auto``: a local runtime, or ``$RAY_ADDRESS``'s cluster; ``HOST:PORT``: a
    cluster's GCS; ``ray://HOST:PORT``: its Ray Client server), quietly and within bounds: an address where
    nothing answers, or a cluster that refuses us for its token, is a RayClusterError naming it within about
    ``timeout`` seconds. Unless ``debug``, workers' output is not forwarded (their warnings reach the driver
    through RunReport) and what Ray's C++ core writes on this process's stderr (file descriptor 2: retries, actor
    notes, its signal dumps) goes to /dev/null until ``disconnect``, while ``sys.stderr`` keeps the terminal. Ray's
    SIGTERM handler (``sys.exit``) is replaced by the caller's again, so an interrupted run ends as the caller says."""
    target = os.environ.get("RAY_ADDRESS", "") if address == "auto" else address
    if target and target != "auto":
        _probe(target, timeout)
    if not debug:
        _silence_native_stderr()
    main = threading.current_thread() is threading.main_thread()
    handler = signal.getsignal(signal.SIGTERM) if main else None
    try:
        ray.init(address=None if address == "auto" else address, logging_level=logging.ERROR,
                 log_to_driver=debug, include_dashboard=False if address == "auto" else None)
    except SystemExit as exc:  # Ray's SIGTERM handler, during init
        _restore_native_stderr()
        if exc.code == signal.SIGTERM:
            raise KeyboardInterrupt from None
        raise
    except ConnectionError as exc:
        _restore_native_stderr()
        raise RayClusterError(f"cannot connect to the Ray cluster at {address}: {' '.join(str(exc).split())}") from None
    except BaseException:
        _restore_native_stderr()
        raise
    finally:
        if main and handler is not None:
            signal.signal(signal.SIGTERM, handler)


def disconnect() -> None:
    """``ray.shutdown``, and this process's stderr as it was before ``connect``."""
    try:
        ray.shutdown()
    finally:
        _restore_native_stderr()


_saved_stderr: list[tuple[int, Any]] = []  # (the terminal's descriptor, sys.stderr) while Ray's is silenced


def _silence_native_stderr() -> None:
    try:
        sys.stderr.flush()
        terminal = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):  # no real descriptor 2 (an embedding app): leave it
        return
    _saved_stderr.append((terminal, sys.stderr))
    sys.stderr = os.fdopen(os.dup(terminal), "w", encoding=getattr(sys.stderr, "encoding", None) or "utf-8",
                           errors="backslashreplace", buffering=1)
    os.dup2(devnull, 2)
    os.close(devnull)


def _restore_native_stderr() -> None:
    if not _saved_stderr:
        return
    terminal, stream = _saved_stderr.pop()
    sys.stderr.flush()
    ours, sys.stderr = sys.stderr, stream
    ours.close()
    os.dup2(terminal, 2)
    os.close(terminal)


def _probe(address: str, timeout: float) -> None:
    """Fail fast, naming ``address``, when nothing answers there or the cluster refuses us for its token."""
    client = address.startswith("ray://")
    if client:
        from ray._private.utils import get_ray_client_dependency_error

        if get_ray_client_dependency_error() is not None:
            raise RayClusterError(f"--ray {address} (Ray Client) needs Ray's client packages: "
                                  "pip install 'xhs-translate[distributed]' (or 'ray[client]')")
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except (OSError, ValueError) as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else getattr(exc, "strerror", None) or str(exc)
        what = "Ray Client server" if client else "Ray cluster (its GCS)"
        raise RayClusterError(f"no {what} answers at {address} ({reason}, within {timeout:g} s): start one there with "
                              "`ray start --head`, or check the address") from None
    if client:
        return
    try:
        import grpc
        from ray.core.generated import gcs_service_pb2, gcs_service_pb2_grpc
    except ImportError:  # the check needs gRPC (ray[client]); ray.init gives its own error then
        return
    mode, token, where = _auth_token()
    metadata = [("authorization", f"Bearer {token}")] if mode == "token" and token else []
    with grpc.insecure_channel(address) as channel:
        stub = gcs_service_pb2_grpc.NodeInfoGcsServiceStub(channel)
        try:
            stub.GetClusterId(gcs_service_pb2.GetClusterIdRequest(), timeout=timeout, metadata=metadata)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
                raise RayClusterError(_token_advice(address, mode, token, where)) from None
            raise RayClusterError(f"{address} does not answer as a Ray cluster ({exc.code().name}, "
                                  f"within {timeout:g} s): check the address (`ray start --head` prints it)") from None


def _auth_token() -> tuple[str, str | None, str]:
    """What Ray's driver would send: its auth mode ($RAY_AUTH_MODE), and the token it finds ($RAY_AUTH_TOKEN,
    the file $RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token) and where."""
    mode = os.environ.get("RAY_AUTH_MODE", "").strip().lower()
    if os.environ.get("RAY_AUTH_TOKEN", "").strip():
        return mode, os.environ["RAY_AUTH_TOKEN"].strip(), "$RAY_AUTH_TOKEN"
    path = Path(os.environ.get("RAY_AUTH_TOKEN_PATH") or Path.home() / ".ray" / "auth_token")
    try:
        return mode, path.read_text(encoding="utf-8").strip() or None, str(path)
    except OSError:
        return mode, None, str(path)


def _token_advice(address: str, mode: str, token: str | None, where: str) -> str:
    cause = f"the Ray cluster at {address} requires its authentication token (Ray's token authentication)"
    if token and mode != "token":
        return f"{cause}: a token is in {where} but RAY_AUTH_MODE is not token; set RAY_AUTH_MODE=token"
    if token:
        return (f"{cause}, and the token in {where} is not its token; use the one `ray get-auth-token` prints on "
                "the head node")
    return (f"{cause}: pass it as RAY_AUTH_MODE=token RAY_AUTH_TOKEN=<the token `ray get-auth-token` prints on the "
            "head node> (or RAY_AUTH_MODE=token and the token in ~/.ray/auth_token)")


# --- JSONL input ---------------------------------------------------------------------------------


def read_json_lines(paths: str | Path | Sequence[str | Path], *, column: str = LINE_COLUMN,
                    max_record: int = DEFAULT_MAX_RECORD) -> ray.data.Dataset:
    """A dataset of the non-blank lines of JSONL files, as text in ``column``, in file order: for
    ``translate_dataset(..., json_column=column)``. Unlike ``ray.data.read_text`` it splits lines only at
    ``\\n`` (a JSON string may hold U+2028 and the like), and splits a big file into byte ranges read in
    parallel. Its read tasks reserve no CPU (they only read), so that a pool of actors holding every CPU
    cannot starve them. A line longer than ``max_record`` characters is a RecordTooLongError, as in a single
    process; UTF-16 (which a single process reads) is an InputError here, before any task."""
    files = [str(paths)] if isinstance(paths, (str, Path)) else [str(p) for p in paths]
    for path in files:
        _check_utf8(path)
    return ray.data.read_datasource(JsonLinesDatasource(files, column, max_record=max_record), num_cpus=READ_CPUS)


def _check_utf8(path: str) -> None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(2)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if text_encoding(head) != "utf-8-sig":
        raise InputError(f"cannot read {path} on Ray: it is UTF-16 text, and --ray reads UTF-8 JSONL; convert it "
                         "(iconv -f UTF-16 -t UTF-8), or drop --ray")


class JsonLinesDatasource(Datasource):
    """JSONL files as rows of raw lines. A read task takes a byte range and the lines that start in it."""

    def __init__(self, paths: Sequence[str], column: str = LINE_COLUMN, range_bytes: int = _RANGE_BYTES,
                 max_record: int = DEFAULT_MAX_RECORD):
        super().__init__()
        self._column = column
        self._max_record = max_record
        self._range_bytes = range_bytes
        self._sizes = _file_sizes(paths)

    def estimate_inmemory_data_size(self) -> int:
        return sum(size for _, size in self._sizes)

    def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None,
                       data_context: Any = None) -> list[ReadTask]:
        step = max(1, min(self._range_bytes, -(-self.estimate_inmemory_data_size() // max(1, parallelism))))
        return [
            ReadTask(partial(_read_range, path, start, min(start + step, size), self._column, self._max_record),
                     _metadata(path, min(step, size - start)), per_task_row_limit=per_task_row_limit)
            for path, size in self._sizes for start in range(0, size, step)
        ]


def read_parquet(paths: str | Path | Sequence[str | Path]) -> ray.data.Dataset:
    """A dataset of the records of Parquet files, or of the ``*.parquet`` files under directories (in name
    order), in that order: one read task per file, reserving no CPU, like ``read_json_lines``. (Ray's own
    ``read_parquet`` lists files in a task that needs a CPU, which a pool holding every CPU never frees.)"""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = [str(f) for p in map(Path, paths) for f in (sorted(p.rglob("*.parquet")) if p.is_dir() else [p])]
    return ray.data.read_datasource(ParquetFilesDatasource(files), num_cpus=READ_CPUS)


class ParquetFilesDatasource(Datasource):
    """Parquet files as they are, a read task per file, row group by row group."""

    def __init__(self, files: Sequence[str]):
        super().__init__()
        self._sizes = _file_sizes(files)

    def estimate_inmemory_data_size(self) -> int:
        return sum(size for _, size in self._sizes)

    def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None,
                       data_context: Any = None) -> list[ReadTask]:
        return [ReadTask(partial(_read_parquet_file, path), _metadata(path, size),
                         per_task_row_limit=per_task_row_limit) for path, size in self._sizes]


def _read_parquet_file(path: str) -> Iterator[pa.Table]:
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as handle:
        for group in range(handle.num_row_groups):
            yield handle.read_row_group(group)


def _file_sizes(paths: Sequence[str]) -> list[tuple[str, int]]:
    try:
        return [(path, Path(path).stat().st_size) for path in paths]
    except OSError as exc:
        raise InputError(f"cannot read {exc.filename}: {exc.strerror or exc}") from None


def _metadata(path: str, size: int) -> BlockMetadata:
    return BlockMetadata(num_rows=None, size_bytes=size, exec_stats=None, input_files=(path,))


def _read_range(path: str, start: int, end: int, column: str, max_record: int = DEFAULT_MAX_RECORD
                ) -> Iterator[pa.Table]:
    """The lines of ``path`` that start in ``[start, end)``, in blocks (a line that began earlier belongs to the
    range before), blank ones left out as the single-process reader does; none longer than ``max_record``
    characters (4 bytes each at most) is read whole."""
    lines: list[str] = []
    most = 4 * max_record
    with open(path, "rb") as handle:
        if start:
            handle.seek(start - 1)
            while (piece := handle.readline(most + 1)) and not piece.endswith(b"\n"):
                pass  # the end of a line that started before this range (or just its newline), a piece at a time
        while (offset := handle.tell()) < end:
            raw = handle.readline(most + 1)
            if not raw:
                break
            if len(raw) > most and not raw.endswith(b"\n"):
                raise too_long(f"{path}: the line at byte {offset}", max_record)
            try:
                text = raw.decode("utf-8-sig" if offset == 0 else "utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"cannot read {path}: it is not UTF-8 text ({exc.reason} at byte "
                                 f"{offset + exc.start}); {NOT_UTF8_HINT}") from None
            if len(text.rstrip("\r\n")) > max_record:
                raise too_long(f"{path}: the line at byte {offset}", max_record)
            if text.strip():
                lines.append(text.rstrip("\r\n"))
            if len(lines) >= _BLOCK_LINES:
                yield pa.table({column: pa.array(lines, pa.string())})
                lines = []
    if lines:
        yield pa.table({column: pa.array(lines, pa.string())})

