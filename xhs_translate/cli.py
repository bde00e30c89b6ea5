"""The ``xhs-translate`` command: translate, detect, models and cache.

Option names are the API's (``--to`` is ``target``, ``--glossary``, ``--errors``, ``--zh-variant``,
``--models-dir``, ``--cache``), so what works in a script works on the command line and back.

Exit codes: 0 success, 1 a runtime error (unreadable or invalid input, missing model, disk full, ...), 2 a
usage error (bad options, unknown format, output in a missing or read-only directory), 130 interrupted. Errors
are one line on stderr, and so are warnings (none with ``-q``); ``--debug`` adds the traceback. The output path
is only ever written by an atomic rename at the very end, so a failed or interrupted run leaves it as it was. On
standard output (``-o -``, the default) JSONL and JSON are streamed as the run goes, so a failed run leaves the
records done before the failure (JSON without its closing bracket); CSV and HTML are written at the end, so a
failed run writes nothing there. The work itself is the library's (``jobs.py``): this module is argument
parsing, progress and exit codes.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from . import __version__
from .config import CONFIDENCE_THRESHOLD, DEVICES, DecodeOptions
from .errors import (
    InputError,
    MissingFieldError,
    OptionConflictError,
    OutputPathError,
    PackageIndexError,
    PackageIndexUnreachableError,
    UnknownFormatError,
    XhsTranslateError,
)
from .io import (
    CSV_FORMULAS,
    DEFAULT_MAX_RECORD,
    INPUT_FORMATS,
    OUTPUT_FORMATS,
    STDIO,
    InputSpec,
    check_output_path,
    output_format_for,
)
from .io.records import open_inputs
from .jobs import DEFAULT_CHUNK, DETECT_OUTPUT_FORMATS, JobReport, detect_file, translate_file, translate_on_ray
from .models.families import FAMILY_NAMES

PROG = "xhs-translate"
OFFLINE_ENV = "XHS_TRANSLATE_OFFLINE"
DEMO_SIZES = ("tiny", "base")  # models.demo.SIZES, named here so that --help imports no numpy

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(OptionConflictError):
    """The command line asks for something impossible (exit code 2)."""


_USAGE_ERRORS = (OptionConflictError, UnknownFormatError, OutputPathError, MissingFieldError)


# --- argument parsing ------------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, models: bool = True, cache: bool = True) -> None:
    """--debug, and the models folder and cache options where the command uses them."""
    if models or cache:
        group = parser.add_argument_group(" and ".join(n for n, used in (("models", models), ("cache", cache)) if used))
        if models:
            group.add_argument("--models-dir", metavar="DIR",
                               help="where Argos packages live (default: $XHS_TRANSLATE_MODELS_DIR, "
                                    "$ARGOS_PACKAGES_DIR, else ~/.local/share/argos-translate/packages, shared with "
                                    "argospm and LibreTranslate)")
        if cache:
            add_cache_options(group)
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")


def add_cache_options(group) -> None:
    """--cache, --no-cache and --cache-ttl (for every command that has a cache: translate, serve, cache)."""
    cache = group.add_mutually_exclusive_group()
    cache.add_argument("--cache", metavar="PATH|URL",
                       help="translation cache: a SQLite file (default: $XHS_TRANSLATE_CACHE, else the user cache "
                            "folder), or a Redis shared by many processes and machines: redis://[:PASSWORD@]HOST:PORT/DB"
                            " (rediss:// for TLS, unix:///path/redis.sock; needs the distributed extra)")
    cache.add_argument("--no-cache", action="store_true", help="do not read or write the translation cache")
    group.add_argument("--cache-ttl", type=_ttl, metavar="TTL",
                       help="with a Redis cache: entries expire after TTL (3600, 90m, 12h, 30d, 2w; default: never; "
                            "also redis://...?ttl=30d)")


def _ttl(value: str) -> int:
    from .cache import parse_ttl

    try:
        return parse_ttl(value)  # type: ignore[return-value]
    except XhsTranslateError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _io_options(parser: argparse.ArgumentParser, output_formats: Sequence[str]) -> None:
    at_the_end = " and ".join(f.upper() for f in ("csv", "html") if f in output_formats)
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="comment exports (MediaCrawler JSON, JSONL or CSV, or generic ones, TSV too), or plain "
                             "text with one comment a line (.txt); - is stdin")
    parser.add_argument("-o", "--output", metavar="OUT", default=STDIO,
                        help="output file (default: stdout); its extension picks the format. A file is written "
                             "atomically: after an error it is left as it was. On stdout JSONL and JSON are written "
                             f"as the run goes (after an error it holds the records done so far), {at_the_end} at "
                             "the end (after an error, nothing)")
    parser.add_argument("--input-format", choices=("auto", *INPUT_FORMATS), default="auto",
                        help="input format (default: auto, from the extension and the content); lines: plain text, "
                             "each line a record with its line number under --id-field and the line under --text-field")
    parser.add_argument("--output-format", choices=output_formats,
                        help="output format (default: from the extension of -o, else jsonl)")
    parser.add_argument("--id-field", default="comment_id", help="the comment id field (default: comment_id)")
    parser.add_argument("--text-field", action="append", metavar="FIELD",
                        help="the comment text field (default: content); repeat it for several (--text-field title "
                             "--text-field desc), each translated into fields of its own (title_translation, ...)")
    parser.add_argument("--parent-field", default="parent_comment_id",
                        help="the field naming the comment replied to (default: parent_comment_id)")
    parser.add_argument("--field-prefix", default="", metavar="PREFIX",
                        help="put PREFIX in front of the names of the added fields (e.g. xhs_ gives xhs_source_lang); "
                             "records that already have an added field are an error, never overwritten")
    parser.add_argument("--csv-formulas", choices=CSV_FORMULAS, default="escape",
                        help="CSV output: escape (default) puts ' before cells that start with = + - @ (or a tab or a "
                             "carriage return), so that a spreadsheet shows them as text instead of running them as "
                             "formulas (OWASP's advice against CSV injection); keep writes them unchanged")
    parser.add_argument("--max-record-size", type=_positive_int, default=DEFAULT_MAX_RECORD >> 20, metavar="MIB",
                        help="the most one record may take, in Mi characters (a JSONL or text line, a CSV field, a "
                             f"JSON array item; default: {DEFAULT_MAX_RECORD >> 20}): past it, an error naming the "
                             "line, before a file with no line ends fills the memory")
    parser.add_argument("--chunk-size", type=_positive_int, default=DEFAULT_CHUNK, metavar="N",
                        help=f"records per streamed chunk: each chunk is translated, cached and written before the "
                             f"next (default: {DEFAULT_CHUNK})")
    parser.add_argument("--languages", type=_languages, default=("zh", "en"), metavar="CODES",
                        help="the languages comments are expected in, comma-separated (default: zh,en, a RedNote "
                             "comment section): Latin text goes to another language only on strong evidence; "
                             "all: no such prior")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar, summary or warnings")


def _languages(value: str) -> tuple[str, ...] | str:
    """``zh,en`` -> ("zh", "en"); ``all`` stays "all" (no domain prior); checked while parsing."""
    from .detection import expected_languages

    languages: tuple[str, ...] | str = (value if value == "all"
                                        else tuple(c.strip() for c in value.split(",") if c.strip()))
    try:
        expected_languages(languages)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return languages


def _fraction(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError("must be from 0 to 1")
    return number


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an integer") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """The engine options of ``translate``, for any command that runs models (``serve`` reuses them); check them
    after parsing with :func:`check_engine_options`. Names are the API's: ``device``, ``models``, ``compute_type``,
    ``beam_size``, ``inter_threads``, ``intra_threads``."""
    engine = parser.add_argument_group("engine (CTranslate2)")
    engine.add_argument("--device", choices=DEVICES, default="auto",
                        help="auto (default: CUDA when CTranslate2 sees a GPU, else the CPU), cpu or cuda")
    engine.add_argument("--model", dest="models", action="append", default=[], metavar="NAME|PAIR=NAME",
                        help="which installed model to use where several serve a direction: a family, model or "
                             "folder name (quickmt, nllb-200-distilled-600M) for every direction it serves, or "
                             "zh-en=NAME for one direction; repeatable (default: the preference order that "
                             "`models list` shows)")
    engine.add_argument("--compute-type", default="auto", metavar="TYPE",
                        help="auto (default: int8 on the CPU, int8_float16 or float16 on CUDA), int8, int8_float32, "
                             "float32, float16, ...")
    engine.add_argument("--beam-size", type=_positive_int, default=DecodeOptions.beam_size, metavar="N",
                        help=f"beam size (default: {DecodeOptions.beam_size})")
    engine.add_argument("--inter-threads", type=_positive_int, metavar="N",
                        help="model replicas decoding in parallel (default: min(2, cores) on the CPU, 1 on CUDA; "
                             "serve: 1 per direction)")
    engine.add_argument("--intra-threads", type=_positive_int, metavar="N",
                        help="threads per replica (default: cores / inter-threads; serve: half the cores)")


def check_engine_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors (exit 2) that need several options at once: the compute type on the device (``auto`` stays
    ``auto``, resolved when a model loads), the ``--model`` directions. Leaves ``args.models`` as the API's
    ``models=`` mapping."""
    from .config import ANY_DIRECTION, model_choices
    from .errors import PackageError
    from .models.engine import resolve_compute_type, resolve_device

    try:
        device = resolve_device(args.device)
        if args.compute_type != "auto":
            resolve_compute_type(args.compute_type, device)
        args.models = model_choices(dict(
            value.split("=", 1) if "=" in value else (ANY_DIRECTION, value) for value in args.models
        ))
    except (InputError, PackageError, TypeError) as exc:
        parser.error(str(exc))


def build_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=formatter,
        description="Offline zh<->en translation of Xiaohongshu (RedNote) comment threads with Argos models.",
        epilog=f"example:\n  {PROG} translate examples/rednote_thread.json -o rednote_thread.html\n\n"
               f"Run `{PROG} COMMAND --help` for each command's options.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    translate = commands.add_parser(
        "translate", formatter_class=formatter, help="translate comment exports",
        description="Translate comment exports, keeping every record and field and adding source_lang, target_lang, "
                    "translation, translation_status, translation_flags and translation_confidence.",
        epilog=f"examples:\n  {PROG} translate examples/rednote_thread.json -o rednote_thread.html\n"
               f"  {PROG} translate data/xhs/jsonl/search_comments_2025-01-14.jsonl --to en -o comments_en.jsonl\n"
               f"  cat comments.csv | {PROG} translate - --input-format csv --output-format csv > out.csv\n\n"
               f"Models missing for a run are installed from the Argos index on first use, unless --no-download\n"
               f"or {OFFLINE_ENV}=1; offline, install them from files with `{PROG} models install FILE.argosmodel`.",
    )
    _io_options(translate, OUTPUT_FORMATS)
    translate.add_argument("--to", dest="target", choices=("auto", "en", "zh"), default="auto",
                           help="auto (default): Chinese gets English and English gets Chinese; en or zh: all into one")
    translate.add_argument("--glossary", metavar="FILE", help="a source<TAB>target (or CSV) glossary to enforce")
    translate.add_argument("--no-builtin-glossary", dest="builtin_glossary", action="store_false",
                           help="turn off the built-in zh->en slang list")
    translate.add_argument("--errors", choices=("raise", "mark"), default="raise",
                           help="raise (default): stop at the first failure, with its reason and exit status 1; "
                                "mark: mark failed comments (status failed, the reason in translation_error) and go on")
    translate.add_argument("--zh-variant", choices=("Hans", "Hant"), default="Hans",
                           help="script of en->zh output (default: Hans, Simplified)")
    translate.add_argument("--hashtags", choices=("translate", "keep"), default="translate",
                           help="translate (default): the words of #tag, #tag# and #topic[话题]#, markers kept; "
                                "keep: hashtags verbatim, for apps that re-render the original markup")
    translate.add_argument("--confidence-threshold", type=_fraction, default=CONFIDENCE_THRESHOLD, metavar="X",
                           help="flag translations whose model confidence (translation_confidence, exp of the mean "
                                "token log-probability) is below X with low_confidence "
                                f"(default: {CONFIDENCE_THRESHOLD})")
    translate.add_argument("--mark-cached", action="store_true",
                           help="status 'cached' for comments served wholly from the cache (default: 'translated', so "
                                "the output never depends on the cache's state)")
    translate.add_argument("--no-download", action="store_true",
                           help=f"never download models (same as {OFFLINE_ENV}=1)")
    translate.add_argument("--title", help="title of the HTML page (default: the input file name)")
    add_engine_options(translate)
    scale = translate.add_argument_group("scale out on Ray (needs the distributed extra; inputs: JSONL, or Parquet "
                                         "files or directories)")
    scale.add_argument("--ray", nargs="?", const="auto", type=_ray_address, metavar="auto|ray://ADDRESS",
                       help="translate on a pool of Ray actors: auto (a local Ray runtime, or $RAY_ADDRESS's cluster) "
                            "or a cluster's address; every node needs xhs-translate, the models and the inputs at the "
                            "same paths. Share a Redis cache (--cache redis://...) across the fleet")
    scale.add_argument("--workers", type=_positive_int, metavar="N",
                       help="with --ray: actors, one CPU and one model replica each (default: the cluster's CPUs)")
    _common(translate)
    def check_translate(a: argparse.Namespace) -> None:
        check_engine_options(translate, a)
        _check_ray_options(translate, a)

    translate.set_defaults(run=_run_translate, check=check_translate)

    detect = commands.add_parser(
        "detect", formatter_class=formatter, help="detect the language of each comment",
        description="Add source_lang, confidence, script and mixed to each record.",
        epilog=f"example:\n  {PROG} detect examples/rednote_thread.json --output-format csv -o langs.csv",
    )
    _io_options(detect, DETECT_OUTPUT_FORMATS)
    _common(detect, models=False, cache=False)
    detect.set_defaults(run=_run_detect)

    models = commands.add_parser(
        "models", formatter_class=formatter, help="list, install or remove Argos model packages",
        description="Manage the Argos model packages in the models directory.",
        epilog=f"examples:\n  {PROG} models list\n"
               f"  {PROG} models install zh en        # both directions, from the index\n"
               f"  {PROG} models install translate-zh_en-1_9.argosmodel\n"
               f"  {PROG} models install https://example.org/translate-en_zh-1_9.argosmodel\n"
               f"  {PROG} models install --demo          # offline: random-weight models, gibberish output\n"
               f"  {PROG} models remove zh en",
    )
    model_commands = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = model_commands.add_parser("list", help="installed packages, and the index's pairs when online",
                                        epilog=f"example:\n  {PROG} models list --no-download",
                                        formatter_class=formatter)
    listing.add_argument("--no-download", action="store_true", help="do not contact the package index")
    _common(listing, cache=False)
    listing.set_defaults(run=_run_models_list)
    install = model_commands.add_parser(
        "install", formatter_class=formatter,
        help="install by pair (both directions), from a file or from a URL, or demo models",
        epilog=f"examples:\n  {PROG} models install zh en\n  {PROG} models install ./translate-zh_en-1_9.argosmodel\n"
               f"  {PROG} models install ./quickmt-zh-en\n"
               f"  {PROG} models install ./my-model --family opus-mt --pair en-zh\n"
               f"  {PROG} models install --demo\n\n"
               f"--demo builds zh->en and en->zh packages with random weights on this machine, without any download:\n"
               f"they run the whole pipeline at a real model's cost, but their output is gibberish. They are for\n"
               f"trying xhs-translate out, never for reading; any real package of the pair replaces them.",
    )
    install.add_argument("sources", nargs="*", metavar="SOURCE",
                         help="FROM TO language codes (installs both directions), .argosmodel files or URLs, or "
                              "model folders (quickmt, OPUS-MT, NLLB, M2M100 CTranslate2 models) or .zip files of one")
    install.add_argument("--family", choices=FAMILY_NAMES,
                         help="the family of a model folder whose files do not say it (written to xhs-translate.json)")
    install.add_argument("--pair", dest="pairs", action="append", default=[], metavar="FROM-TO",
                         help="a direction the model folder serves, e.g. zh-en, when its name does not say it; "
                              "repeatable (written to xhs-translate.json)")
    install.add_argument("--one-way", action="store_true", help="with FROM TO, install only FROM->TO")
    install.add_argument("--no-download", action="store_true", help="refuse to contact the package index")
    install.add_argument("--demo", action="store_true",
                         help="build and install random-weight zh<->en demo packages, offline (gibberish output)")
    install.add_argument("--size", choices=DEMO_SIZES,
                         help=f"with --demo: {DEMO_SIZES[0]} (default, under a minute to build) or {DEMO_SIZES[1]} "
                              f"(the compute cost of a real package; several minutes to build)")
    _common(install, cache=False)
    install.set_defaults(run=_run_models_install, check=lambda a: _check_install_sources(install, a))
    remove = model_commands.add_parser("remove", formatter_class=formatter, help="remove an installed pair",
                                       epilog=f"example:\n  {PROG} models remove zh en")
    remove.add_argument("from_code", metavar="FROM")
    remove.add_argument("to_code", metavar="TO")
    _common(remove, cache=False)
    remove.set_defaults(run=_run_models_remove)

    cache = commands.add_parser(
        "cache", formatter_class=formatter, help="inspect or clear the translation cache",
        epilog=f"examples:\n  {PROG} cache stats\n  {PROG} cache clear --cache /tmp/translations.sqlite3\n"
               f"  {PROG} cache stats --cache redis://localhost:6379/0",
    )
    cache_commands = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    for name, help_text in (("stats", "entries and size"), ("clear", "delete every entry (in Redis: only ours)"),
                            ("path", "print the file or address")):
        sub = cache_commands.add_parser(name, help=help_text, formatter_class=formatter,
                                        epilog=f"example:\n  {PROG} cache {name}")
        _common(sub, models=False, cache=False)  # --no-cache and --cache-ttl mean nothing here
        sub.add_argument_group("cache").add_argument(
            "--cache", metavar="PATH|URL", help="the cache: a SQLite file (default: $XHS_TRANSLATE_CACHE, else the "
                                                "user cache folder) or a Redis address, redis://[:PASSWORD@]HOST:PORT/DB")
        sub.set_defaults(run=_run_cache)
    _add_serve_parser(commands, formatter)
    _add_extension_parser(commands, formatter)
    return parser


# --- shared helpers --------------------------------------------------------------------------------


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _offline(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "no_download", False)) or os.environ.get(OFFLINE_ENV, "").strip().lower() in (
        "1", "true", "yes", "on")


def cache_from_args(args: argparse.Namespace) -> Any:
    """The API's ``cache=`` value from --cache, --no-cache and --cache-ttl: False (off), else the opened backend
    (the SQLite file, or the Redis, which must answer now: a CacheError naming the address otherwise), which
    every Translator of the command can share."""
    from .cache import is_redis_address, open_cache

    if args.cache_ttl is not None and not is_redis_address(args.cache):
        raise UsageError("--cache-ttl needs a Redis cache (--cache redis://...); SQLite entries are kept until cleared")
    if args.no_cache:
        return False
    return open_cache(args.cache, ttl=args.cache_ttl)


class _NoBar:
    """What ``_progress`` gives when no bar is shown: tqdm's calls, doing nothing, without importing tqdm (it
    costs a quick command like ``detect`` on one line a fifth of its start-up)."""

    disable = True

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        pass

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(args: argparse.Namespace, desc: str, count: Callable[[], int | None]) -> Any:
    """A tqdm bar on stderr over ``count()`` records (counted only when the bar shows), else a _NoBar."""
    if args.quiet or not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=count(), unit=" comments", desc=desc, file=sys.stderr, dynamic_ncols=True, smoothing=0.1)


class _Bar:
    """A job's ``Progress`` (jobs.py) shown as the progress bar, redrawn every second while the job writes;
    the bar closes when the job ends well."""

    def __init__(self, args: argparse.Namespace, desc: str, fmt: str):
        self._args, self._desc, self._fmt = args, desc, fmt
        self._bar: Any = _NoBar()
        self._ticker = ExitStack()

    def start(self, count: Callable[[], int | None]) -> None:
        self._args.resolved_format = self._fmt  # for the interrupt message: only JSONL and JSON reach stdout part-way
        self._bar = _progress(self._args, self._desc, count)
        self._ticker.enter_context(_ticking(self._bar))

    def chunk(self, first: int, last: int) -> None:
        self._bar.set_postfix_str(f"records {first}-{last}", refresh=False)

    def advance(self, n: int) -> None:
        self._bar.update(n)

    def finish(self) -> None:
        self._bar.set_postfix_str("", refresh=False)

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._ticker.close()
        if exc_type is None:
            self._bar.close()


@contextmanager
def _ticking(bar, every: float = 1.0) -> Iterator[None]:
    """Redraw the progress bar at least every ``every`` seconds while the block runs: its count moves a chunk at
    a time, and its elapsed time and the records in hand must show a long chunk is still going."""
    if bar.disable:
        yield
        return
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(every):
            bar.refresh()

    ticker = threading.Thread(target=tick, name="progress", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()


def _inputs(args: argparse.Namespace) -> list[InputSpec]:
    """The inputs as the job reads them (opened and resolved by the job)."""
    return [InputSpec(path, args.input_format, args.max_record_size << 20) for path in args.inputs]


# --- translate -------------------------------------------------------------------------------------


def _installer(args: argparse.Namespace) -> Any:
    """Models installed on first use, saying so on stderr; refused with --no-download or $XHS_TRANSLATE_OFFLINE."""
    from .models.install import AutoInstaller

    def said(from_code: str, to_code: str, package: Any) -> None:
        if args.quiet:
            return
        if package is None:
            _say(f"{PROG}: the {from_code}->{to_code} model is not installed; installing it from the Argos "
                 f"package index (use --no-download or {OFFLINE_ENV}=1 to forbid this)")
        else:
            _say(f"{PROG}: installed {package.package_id} in {package.path}")

    hint = f" (add --models-dir {args.models_dir} to that command)" if args.models_dir else ""
    return AutoInstaller(_offline(args), progress=not args.quiet and sys.stderr.isatty(), hint=hint, on_install=said)


def translator_options(args: argparse.Namespace) -> dict[str, Any]:
    """The API's flat options from the parsed arguments: every translate option is named as the API names it."""
    from .config import TranslatorConfig

    names = TranslatorConfig.option_names()
    options = {name: value for name, value in vars(args).items() if name in names}
    if options.get("text_field", "") is None:  # no --text-field: the API's default
        del options["text_field"]
    return options


def translator_config(args: argparse.Namespace):
    """The API's config from the parsed arguments."""
    from .config import TranslatorConfig

    return TranslatorConfig.from_options(**translator_options(args))


def _check_glossary(path: str | None) -> None:
    if path and not Path(path).is_file():
        reason = "it is a folder (give a glossary file)" if Path(path).is_dir() else "no such file"
        raise UsageError(f"cannot read the glossary {path}: {reason}")


def _run_translate(args: argparse.Namespace) -> int:
    fmt = output_format_for(args.output, args.output_format)
    check_output_path(args.output)
    _check_glossary(args.glossary)
    output = {"output_format": fmt, "chunk_size": args.chunk_size, "csv_formulas": args.csv_formulas,
              "title": args.title, "installer": _installer(args), **translator_options(args)}
    if args.ray is not None:
        with _Bar(args, "translating", fmt) as bar:
            report = translate_on_ray(
                args.inputs, args.output, address=args.ray, workers=args.workers, debug=args.debug,
                cache=False if args.no_cache else args.cache, cache_ttl=args.cache_ttl, input_format=args.input_format,
                max_record=args.max_record_size << 20, progress=bar, **output)
    else:
        specs = open_inputs(_inputs(args))
        with _Bar(args, "translating", fmt) as bar:
            report = translate_file(specs, args.output, cache=cache_from_args(args), progress=bar, **output)
    if not args.quiet:
        _say(_summary(args, report))
    return EXIT_OK


def _failure_lines(failures: dict[str, int], shown: int = 5) -> list[str]:
    """Why comments failed, the commonest reasons first (``--errors mark``; ``raise`` stops at the first)."""
    ranked = sorted(failures.items(), key=lambda item: -item[1])
    lines = [f"  failed {n}: {reason}" for reason, n in ranked[:shown]]
    if len(ranked) > shown:
        lines.append(f"  failed {sum(n for _, n in ranked[shown:])} more, for {len(ranked) - shown} other reasons")
    return lines


def _summary(args: argparse.Namespace, report: JobReport) -> str:
    """The end-of-run report: statuses, cache hit rate, throughput, and a sacrebleu-style signature line
    (models with versions, options, glossary) that says what produced the output; on Ray, the workers."""
    stats, fmt, count, elapsed = report.stats, report.format, report.count, report.elapsed
    hits, misses = stats.get("cache_hits", 0), stats.get("cache_misses", 0)
    lookups = hits + misses
    statuses, flags = stats.get("statuses", {}), stats.get("flags", {})
    where = "stdout" if args.output == STDIO else args.output
    view = [f"  open in a browser: {Path(args.output).resolve().as_uri()}"] if fmt == "html" and where != "stdout" \
        else []
    ray = [f"  ray: {stats['workers']} workers, {stats['restarts']} restarted, {stats.get('cache_errors', 0)} cache "
           "errors"] if args.ray is not None else []
    return "\n".join([
        f"{PROG}: {count} comments -> {where} ({fmt}) in {elapsed:.1f} s ({count / max(elapsed, 1e-9):.1f} comments/s)",
        "  status: " + (", ".join(f"{name} {n}" for name, n in statuses.items() if n) or "nothing to translate"),
        *([f"  flags: {', '.join(f'{name} {n}' for name, n in flags.items())}"] if flags else []),
        *_failure_lines(stats.get("failures", {})),
        f"  cache: {hits} hits / {lookups} look-ups ({f'{hits / lookups:.0%}' if lookups else 'n/a'} hit rate); "
        f"{stats.get('segments_translated', 0)} segments translated in {stats.get('model_batches', 0)} model batches",
        f"  signature: {report.signature}",
        *view,
        *ray,
    ])


# --- translate on Ray ------------------------------------------------------------------------------


def _ray_address(value: str) -> str:
    if value == "auto" or value.startswith("ray://") or (":" in value and "/" not in value):
        return value
    raise argparse.ArgumentTypeError(
        f"{value!r} is not auto, ray://HOST:PORT or HOST:PORT (put --ray after the inputs)")


def _check_ray_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.workers is not None and args.ray is None:
        parser.error("--workers goes with --ray")


# --- detect ----------------------------------------------------------------------------------------


def _run_detect(args: argparse.Namespace) -> int:
    fmt = output_format_for(args.output, args.output_format, allowed=DETECT_OUTPUT_FORMATS)
    with _Bar(args, "detecting", fmt) as bar:
        report = detect_file(_inputs(args), args.output, output_format=fmt, id_field=args.id_field,
                             text_field=args.text_fields, parent_field=args.parent_field,
                             field_prefix=args.field_prefix, languages=args.languages, chunk_size=args.chunk_size,
                             csv_formulas=args.csv_formulas, progress=bar)
    if not args.quiet:
        _say(f"{PROG}: {report.count} comments -> {'stdout' if args.output == STDIO else args.output} ({fmt})\n"
             f"  languages: {_language_counts(report.languages)}")
    return EXIT_OK


def _language_counts(languages: Mapping[str, int]) -> str:
    """``zh 1,790 (97.1%), en 40 (2.2%), und 14 (0.8%)``: commonest first, over every text detected."""
    total = max(sum(languages.values()), 1)
    return ", ".join(f"{lang} {n:,} ({n / total:.1%})" for lang, n in Counter(languages).most_common()) or "none"


# --- models ----------------------------------------------------------------------------------------


def _run_models_list(args: argparse.Namespace) -> int:
    from .models.packages import PREFERENCE, list_packages, resolve_models_dir, select_package, superseded

    root = resolve_models_dir(args.models_dir)
    packages = list_packages(args.models_dir)
    old = {p.path for p in superseded(packages)}
    print(f"installed in {root}:")
    if not packages:
        print("  (none)")
    folders: dict[Path, list] = {}
    for p in packages:
        folders.setdefault(p.path, []).append(p)
    for path, served in folders.items():
        first = served[0]
        notes = "  DEMO: random weights, gibberish output (for trying the pipeline only)" if first.demo else ""
        if path in old:
            notes += "  (superseded: deleted by the next install once no running process uses it)"
        directions = ", ".join(f"{p.from_code}->{p.to_code}" for p in served)
        print(f"  {directions}  {first.package_version:<8} {first.family} {first.model_id}  {path}{notes}")
    current = [p for p in packages if p.path not in old]
    pairs = list(dict.fromkeys((p.from_code, p.to_code) for p in current))
    if len(pairs) < len(current):  # some direction has a choice: say which model serves it
        print("serving (where several models could; --model NAME chooses):")
        for a, b in pairs:
            chosen = select_package(a, b, args.models_dir)
            assert chosen is not None  # an installed direction
            print(f"  {a}->{b}  {chosen.family}:{chosen.model_id}  (preference: {' > '.join(PREFERENCE.get(b, ()))})")
    if _offline(args):
        return EXIT_OK
    from .models.index import load_index

    try:
        entries = load_index()
    except PackageIndexError as exc:
        why = f"offline: {exc.reason}" if isinstance(exc, PackageIndexUnreachableError) else str(exc)
        print(f"available from the package index: unknown ({why})")
        return EXIT_OK
    installed = {(p.from_code, p.to_code) for p in packages}
    print("available from the package index:")
    for e in sorted(entries, key=lambda e: (e.from_code, e.to_code)):
        mark = "  (installed)" if (e.from_code, e.to_code) in installed else ""
        print(f"  {e.from_code}->{e.to_code}  {e.package_version}{mark}")
    return EXIT_OK


def _is_language_code(source: str) -> bool:
    """``zh``, ``en``, ``zt``: a short ASCII word that is not a file here."""
    return source.isascii() and source.isalpha() and len(source) <= 3 and not Path(source).exists()


def _check_install_sources(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors that argparse cannot see: language codes come as one FROM TO pair, never mixed with files;
    --demo comes alone."""
    if args.demo:
        if args.sources or args.one_way or args.family or args.pairs:
            parser.error("--demo builds its own zh<->en packages: give no SOURCE, --one-way, --family or --pair "
                         "with it")
        return
    if args.size is not None:
        parser.error("--size applies only to --demo")
    if not args.sources:
        parser.error("give FROM TO language codes, package files or URLs, or --demo")
    codes = [s for s in args.sources if _is_language_code(s)]
    if codes and len(codes) < len(args.sources):
        parser.error(f"give either FROM TO language codes or package files/URLs, not both "
                     f"(no such file, so taken as language codes: {' '.join(codes)})")
    if codes and len(codes) != 2:
        parser.error(f"give two language codes, FROM TO (e.g. `zh en`); got {len(codes)}: {' '.join(codes)}")
    if args.one_way and not codes:
        parser.error("--one-way applies only to FROM TO language codes")
    if codes and (args.family or args.pairs):
        parser.error("--family and --pair describe a model folder or .zip, not FROM TO language codes")


def _run_models_install(args: argparse.Namespace) -> int:
    from .models.install import install_model, install_pair
    from .models.packages import list_packages

    if args.demo:
        return _install_demo(args)
    progress = sys.stderr.isatty()
    before = {p.path for p in list_packages(args.models_dir)}
    if _is_language_code(args.sources[0]):  # _check_install_sources made it a FROM TO pair
        if _offline(args):
            raise UsageError(
                f"installing {args.sources[0]} {args.sources[1]} needs the online package index, which --no-download "
                f"or {OFFLINE_ENV} forbids; install from files instead: `{PROG} models install FILE.argosmodel`, "
                f"or try the pipeline with random-weight models: `{PROG} models install --demo`")
        a, b = args.sources
        pairs = [(a, b)] if args.one_way else [(a, b), (b, a)]
        packages = [install_pair(x, y, models_dir=args.models_dir, progress=progress) for x, y in pairs]
    else:
        packages = [p for source in args.sources for p in install_model(
            source, models_dir=args.models_dir, family=args.family, pairs=args.pairs, progress=progress)]
    for p in packages:
        done = "already installed" if p.path in before else "installed"
        print(f"{done} {p.from_code}->{p.to_code} {p.package_version} in {p.path}")
    return EXIT_OK


def _install_demo(args: argparse.Namespace) -> int:
    """``models.demo.install_demo`` with a bar of its stages."""
    from tqdm import tqdm

    from .models.demo import DEMO_PAIRS, DEMO_STAGES, install_demo

    size = args.size or DEMO_SIZES[0]
    show = sys.stderr.isatty()
    if not show:
        _say(f"{PROG}: building random-weight {size} demo models ({', '.join(f'{a}->{b}' for a, b in DEMO_PAIRS)}), "
             f"which takes {'under a minute' if size == 'tiny' else 'several minutes'}")
    with tqdm(total=len(DEMO_PAIRS) * (len(DEMO_STAGES) + 1), desc="demo models", file=sys.stderr, disable=not show,
              bar_format="{desc}: {n_fmt}/{total_fmt} steps [{elapsed}] {postfix}") as bar, _ticking(bar):
        started: list[str] = []

        def stage(pair: str, name: str) -> None:
            if started:
                bar.update(1)  # the stage before is done
            started.append(name)
            bar.set_postfix_str(f"{pair}: {name}")

        packages = install_demo(args.models_dir, size=size, progress=stage)
        bar.update(1)
    for p in packages:
        if p.demo:
            print(f"installed {p.from_code}->{p.to_code} {p.package_version} in {p.path} (DEMO: gibberish output)")
        else:
            print(f"kept {p.from_code}->{p.to_code} {p.package_version} in {p.path}: a real package, newer than "
                  "the demo")
    if any(p.demo for p in packages):
        print("The DEMO models have random weights: every translation they make is gibberish. They are for trying the "
              f"pipeline, never for reading; real packages (`{PROG} models install zh en` online, or .argosmodel "
              "files) replace them.")
    return EXIT_OK


def _run_models_remove(args: argparse.Namespace) -> int:
    from .models.packages import remove_package

    for path in remove_package(args.from_code, args.to_code, models_dir=args.models_dir):
        print(f"removed {path}")
    return EXIT_OK


# --- cache -----------------------------------------------------------------------------------------


def _run_cache(args: argparse.Namespace) -> int:
    from .cache import RedisCache, default_cache_path, is_redis_address, open_cache
    from .cache.redis import redact

    redis = is_redis_address(args.cache)
    path = None if redis else Path(args.cache).expanduser() if args.cache else default_cache_path()
    where = redact(args.cache) if path is None else path
    if args.cache_command == "path":
        print(where)
        return EXIT_OK
    if path is not None and not path.exists():
        print(f"{where}: no cache yet (0 entries)")
        return EXIT_OK
    cache = open_cache(args.cache)
    assert cache is not None  # only cache=False gives none
    try:
        if args.cache_command == "clear":
            before = None if redis else cache.stats()["size_bytes"]
            cleared = f"cleared {cache.clear()} entries from {cache.description}"
            if before is not None:
                cleared += f" ({before / 1024:.1f} KiB -> {cache.stats()['size_bytes'] / 1024:.1f} KiB)"
            print(cleared)
        else:
            stats = cache.stats()
            counts = stats["entries"]
            entries = "unknown (cache unusable: {})".format(stats["disabled_reason"]) if counts is None \
                else f"{counts['segments']} segments, {counts['comments']} whole comments"
            if isinstance(cache, RedisCache):
                ttl = f"{stats['ttl']} s" if stats["ttl"] else "none (kept until cleared)"
                print(f"url: {stats['url']}\nprefix: {stats['prefix']}\nentries: {entries}\nttl: {ttl}")
            else:
                print(f"path: {stats['path']}\nentries: {entries}\nsize: {stats['size_bytes'] / 1024:.1f} KiB")
    finally:
        cache.close()
    return EXIT_OK


# --- serve -----------------------------------------------------------------------------------------


def _add_serve_parser(commands, formatter) -> None:
    from .server.config import (
        DEFAULT_BODY_LIMIT,
        DEFAULT_CORS_ORIGINS,
        DEFAULT_HOST,
        DEFAULT_PORT,
        ServerConfig,
        apply_server_env,
        default_translator_config,
    )

    serve = commands.add_parser(
        "serve", formatter_class=formatter, help="run the LibreTranslate-compatible HTTP server",
        description="Serve LibreTranslate's API (/translate, /detect, /languages, /frontend/settings) plus /thread, "
                    "/health and /metrics, batching the texts of concurrent requests together. Needs the server "
                    "extra: pip install 'xhs-translate[server]'.",
        epilog=f"examples:\n  {PROG} serve\n  {PROG} serve --host 0.0.0.0 --api-keys keys.tsv --req-limit 60\n"
               f"  curl -s localhost:5000/translate -H 'Content-Type: application/json' "
               f"-d '{{\"q\": \"你好\", \"source\": \"auto\", \"target\": \"en\"}}'",
    )
    net = serve.add_argument_group("network")
    net.add_argument("--host", default=DEFAULT_HOST,
                     help=f"address to bind (default: {DEFAULT_HOST}, this machine only)")
    net.add_argument("--port", type=int, default=DEFAULT_PORT,
                     help=f"port (default: {DEFAULT_PORT}; 0 picks a free one)")
    net.add_argument("--request-timeout", type=float, default=ServerConfig.request_timeout, metavar="SECONDS",
                     help="time a request may take to arrive, headers and body; then 408 (default: "
                          f"{ServerConfig.request_timeout:g})")
    net.add_argument("--max-connections", type=_positive_int, metavar="N",
                     help="open connections held at once; more get 503 (default: half the file descriptors, <= 1024)")
    net.add_argument("--forwarded-allow-ips", metavar="IPS", default="",
                     help="comma-separated addresses of reverse proxies whose X-Forwarded-For is trusted "
                          "(default: none)")
    net.add_argument("--cors-origin", action="append", metavar="ORIGIN", dest="cors_origins",
                     help="a web origin whose pages may call the server (repeatable; * for any; default: "
                          f"{' and '.join(DEFAULT_CORS_ORIGINS)})")
    limits = serve.add_argument_group("keys and limits (LibreTranslate's names; -1 = no limit)")
    limits.add_argument("--api-keys", metavar="FILE",
                        help="require a key: one per line, optionally KEY<TAB>requests-per-minute")
    limits.add_argument("--req-limit", type=int, default=-1, metavar="N",
                        help="requests per minute per key, or per client address without keys (default: -1)")
    limits.add_argument("--char-limit", type=int, default=-1, metavar="N",
                        help="characters per request, all items together (default: -1)")
    limits.add_argument("--batch-limit", type=int, default=-1, metavar="N",
                        help="items in one request's q list (default: -1)")
    limits.add_argument("--body-limit", type=_positive_int, default=DEFAULT_BODY_LIMIT, metavar="BYTES",
                        help=f"largest request body (default: {DEFAULT_BODY_LIMIT}); larger ones get 413")
    tuning = serve.add_argument_group("batching across requests")
    tuning.add_argument("--coalesce-ms", type=float, default=ServerConfig.coalesce_ms, metavar="MS",
                        help="how long a text may wait for other requests' texts to share its model batch "
                             f"(default: {ServerConfig.coalesce_ms:g})")
    tuning.add_argument("--regroup-ms", type=float, default=ServerConfig.regroup_ms, metavar="MS",
                        help="after a model batch that answered several requests, how long that direction's model "
                             "waits for as many requests to reach it, their clients' next texts "
                             f"(default: {ServerConfig.regroup_ms:g})")
    tuning.add_argument("--coalesce-tokens", type=_positive_int, metavar="N",
                        help="tokens that fill a batch and send it at once (default: the engine's token budget)")
    tuning.add_argument("--request-threads", type=_positive_int, default=ServerConfig.request_threads, metavar="N",
                        help=f"translation calls running at once (default: {ServerConfig.request_threads})")
    tuning.add_argument("--drain-timeout", type=float, default=ServerConfig.drain_timeout, metavar="SECONDS",
                        help="on SIGTERM, how long to wait for requests in flight "
                             f"(default: {ServerConfig.drain_timeout:g})")
    serve.add_argument("--glossary", metavar="FILE", help="a source<TAB>target (or CSV) glossary to enforce")
    serve.add_argument("--no-builtin-glossary", dest="builtin_glossary", action="store_false",
                       help="turn off the built-in zh->en slang list")
    add_engine_options(serve)
    # The server's own engine threads (one replica per direction on half the cores: server/config.py).
    engine = default_translator_config().engine
    serve.set_defaults(inter_threads=engine.inter_threads, intra_threads=engine.intra_threads)
    _common(serve)
    # The server's OpenMP settings go into the environment before the check loads CTranslate2 (server/config.py).
    def check_serve(a: argparse.Namespace) -> None:
        apply_server_env()
        check_engine_options(serve, a)

    serve.set_defaults(run=_run_serve, check=check_serve)


def _run_serve(args: argparse.Namespace) -> int:
    from .server.config import DEFAULT_CORS_ORIGINS, ServerConfig

    _check_glossary(args.glossary)
    if args.api_keys and not Path(args.api_keys).exists():
        raise UsageError(f"cannot read the API keys file {args.api_keys}: no such file")
    try:
        config = ServerConfig(
            host=args.host, port=args.port, translator=translator_config(args), cache=cache_from_args(args),
            api_keys=args.api_keys, req_limit=args.req_limit,
            char_limit=args.char_limit, batch_limit=args.batch_limit, body_limit=args.body_limit,
            cors_origins=tuple(args.cors_origins or DEFAULT_CORS_ORIGINS), coalesce_ms=args.coalesce_ms,
            regroup_ms=args.regroup_ms, coalesce_tokens=args.coalesce_tokens, request_threads=args.request_threads,
            drain_timeout=args.drain_timeout, request_timeout=args.request_timeout,
            max_connections=args.max_connections,
            forwarded_allow_ips=tuple(ip.strip() for ip in args.forwarded_allow_ips.split(",") if ip.strip()),
        )
    except InputError as exc:
        raise UsageError(str(exc)) from None
    try:
        from .server import app
    except ImportError as exc:
        raise XhsTranslateError(
            f"the server needs the 'server' extra ({exc.name} is missing): pip install 'xhs-translate[server]'"
        ) from None
    if not config.loopback_only and config.api_keys is None:
        _say(f"{PROG}: warning: listening on {config.host} without --api-keys: anyone who can reach this address "
             "can use the server (add --api-keys FILE, or bind to 127.0.0.1)")
    app.serve(config)
    _say(f"{PROG}: stopped")
    return EXIT_OK


def _add_extension_parser(commands, formatter) -> None:
    extension = commands.add_parser(
        "extension", formatter_class=formatter, help="build the browser extension (Chromium and Firefox)",
        description="Build the Manifest V3 browser extension from the userscript's source: an unpacked folder and a "
                    "zip for Chromium-based browsers and for Firefox. It talks to your `serve` (set its address, key, "
                    "language and sites on its options page).",
        epilog=f"examples:\n  {PROG} extension\n  {PROG} extension -o ~/xhs-extension\n\n"
               "then chrome://extensions > Developer mode > Load unpacked > the chromium folder, or Firefox's "
               "about:debugging > Load Temporary Add-on > the firefox zip",
    )
    extension.add_argument("-o", "--output", default="xhs-translate-extension", metavar="DIR",
                           help="folder to write into (default: ./xhs-translate-extension)")
    extension.add_argument("--debug", action="store_true", help="show tracebacks")
    extension.set_defaults(run=_run_extension)


def _run_extension(args: argparse.Namespace) -> int:
    from .extension import build_extension

    built = build_extension(args.output)
    for browser, folder in built.folders.items():
        print(f"{browser}: {folder} (load unpacked) and {built.zips[browser]}")
    return EXIT_OK


# --- entry point -----------------------------------------------------------------------------------


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings (a package skipped, the cache turned off) as one line like the errors, not Python's two."""
    _say(f"{PROG}: warning: {' '.join(str(message).split())}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (the console script exits with it)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if hasattr(args, "text_field"):  # one name, or the names of several (repeated --text-field)
            args.text_fields = tuple(dict.fromkeys(args.text_field or ["content"]))
            args.text_field = args.text_fields[0] if len(args.text_fields) == 1 else args.text_fields
        if hasattr(args, "check"):
            args.check(args)
    except SystemExit as exc:  # argparse: --help/--version (0) or a usage error (2)
        return int(exc.code or 0)
    # SIGTERM takes the same clean-up path as Ctrl-C: the temporary output file is removed.
    try:
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    except ValueError:  # not the main thread (main() called from an app's worker thread)
        previous = None
    try:
        with warnings.catch_warnings():  # restores the warning filters and display when the command ends
            if getattr(args, "quiet", False):
                warnings.simplefilter("ignore")
            else:
                warnings.showwarning = _one_line_warning
            return args.run(args)
    except KeyboardInterrupt:
        streamed = (getattr(args, "output", None) == STDIO
                    and getattr(args, "resolved_format", None) in ("jsonl", "json"))
        where = "stdout has only part of the output" if streamed else "nothing was written to the output"
        _say(f"{PROG}: interrupted; {where} (re-running reuses the cache)")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`); not an error worth a message
        return EXIT_OK
    except XhsTranslateError as exc:
        if args.debug:
            raise
        _say(f"{PROG}: error: {exc}")
        return EXIT_USAGE if isinstance(exc, _USAGE_ERRORS) else EXIT_ERROR
    except Exception as exc:  # a bug: say so briefly, and how to see more
        if args.debug:
            raise
        _say(f"{PROG}: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")
        return EXIT_ERROR
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
