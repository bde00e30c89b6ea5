"""One exception hierarchy, so callers can catch everything we raise with a single clause."""

from __future__ import annotations


class XhsTranslateError(Exception):
    """Base class of every error xhs-translate raises on purpose."""


class ModelError(XhsTranslateError):
    """Something is wrong with a translation model package or its installation."""


class TranslationFailedError(ModelError):
    """The model failed on a comment's text (``errors="raise"``): ``comment_id`` and ``reason`` (CTranslate2's own
    message) say which and why."""

    def __init__(self, comment_id: object, reason: str):
        self.comment_id = comment_id
        self.reason = reason
        super().__init__(f"comment {comment_id!r}: the model failed: {reason}")


class ModelNotInstalledError(ModelError):
    """No installed package serves a language pair that the work needs. ``pairs`` names every such pair, so that
    one message (and one install) covers them all; ``from_code``/``to_code`` are the first."""

    def __init__(self, from_code: str, to_code: str, models_dir: object = None, message: str | None = None,
                 pairs: tuple[tuple[str, str], ...] = ()):
        self.from_code = from_code
        self.to_code = to_code
        self.models_dir = models_dir
        self.pairs = tuple(pairs) or ((from_code, to_code),)
        if message is None:
            message = _missing_models_message(self.pairs, models_dir)
        super().__init__(message)

    @classmethod
    def for_pairs(cls, pairs: list[tuple[str, str]], models_dir: object = None) -> ModelNotInstalledError:
        return cls(*pairs[0], models_dir, pairs=tuple(pairs))


def _missing_models_message(pairs: tuple[tuple[str, str], ...], models_dir: object) -> str:
    where = f" in {models_dir}" if models_dir is not None else ""
    names = " and ".join(f"{a}->{b}" for a, b in pairs)
    codes = sorted({code for pair in pairs for code in pair})
    command = " ".join(codes) if len(codes) == 2 else " ".join(pairs[0])
    files = " ".join(f"PATH/translate-{a}_{b}-*.argosmodel" for a, b in pairs)
    return (
        f"no model package for {names} is installed{where}. Install {'them' if len(pairs) > 1 else 'it'} with "
        f"`xhs-translate models install {command}` (from the Argos package index), or offline from files: "
        f"`xhs-translate models install {files}`, or a quickmt, OPUS-MT, NLLB or M2M100 model folder: "
        "`xhs-translate models install PATH/FOLDER`. To try the pipeline with no model at hand: "
        "`xhs-translate models install --demo` (random weights: every translation is gibberish)."
    )


class ModelChoiceError(ModelError):
    """The model chosen for a direction (``models=``, ``--model``) is not installed for it, while others may be;
    the message lists the models that do serve the direction. Installing a default model would not help."""


class PackageError(ModelError):
    """A package archive or folder is corrupt, truncated, unsafe or not an Argos package."""


class UnsupportedPackageError(PackageError):
    """A well-formed package that this engine cannot run (for example a non-SentencePiece tokenizer)."""


class PackageIndexError(ModelError):
    """The online package index cannot be reached, or does not list the wanted pair."""


class PackageIndexUnreachableError(PackageIndexError):
    """The package index (or a download from it) cannot be reached, typically because the machine is offline."""

    def __init__(self, message: str, url: str = "", reason: object = None):
        self.url = url
        self.reason = reason
        super().__init__(message)


class PackageIndexHTTPError(PackageIndexError):
    """The package index or a package link was reached but answered an HTTP error (404 Not Found, ...): the
    address is wrong or the file is gone, which no amount of going online fixes."""

    def __init__(self, message: str, url: str = "", status: int = 0):
        self.url = url
        self.status = status
        super().__init__(message)


class InputError(XhsTranslateError):
    """The caller's comments or texts are not what the API accepts."""

    def __init__(self, message: str, comment_id: object = None):
        self.comment_id = comment_id
        super().__init__(message)


class FieldCollisionError(InputError):
    """A comment already has a field that xhs-translate would add (``translation``, ``source_lang``, ...).

    Overwriting it would lose the caller's data, so it is an error; a ``field_prefix`` names the added fields apart.
    """

    def __init__(self, fields: tuple[str, ...], comment_id: object = None, owner: str | None = None):
        self.fields = tuple(fields)
        owner = owner if owner is not None else f"comment {comment_id!r}"
        # suggest a prefix the taken fields do not start with (they may carry the prefix that collided); xhs_,
        # xhs2_, xhs3_, ... never prefix the same field, so one of len(fields) + 1 candidates is free
        candidates = ("xhs_", *(f"xhs{n}_" for n in range(2, len(self.fields) + 2)))
        prefix = next(p for p in candidates if not any(f.startswith(p) for f in self.fields))
        super().__init__(
            f"{owner} already has the field(s) {', '.join(map(repr, self.fields))} that xhs-translate adds, and they "
            f"would be overwritten; name the added fields apart with a prefix: field_prefix={prefix!r} "
            f"(CLI: --field-prefix {prefix})",
            comment_id=comment_id,
        )


class MissingFieldError(InputError):
    """No record has the text field: a misnamed field must not pass as comments without text."""

    def __init__(self, field: str, example: object, owner: str = "the records"):
        self.field = field
        found = ", ".join(map(str, example)) if isinstance(example, dict) and example else "(none)"
        super().__init__(
            f"{owner} have no {field!r} field (fields found: {found}); name the text field with "
            f"text_field= (CLI: --text-field), and the id and parent fields with id_field= and parent_field= "
            f"(--id-field, --parent-field)"
        )


class OptionError(InputError, TypeError):
    """An option of no known name, or of the wrong type: ``Translator(models=42)``, ``Translator(bem_size=4)``,
    ``remove_package("zh")``. A TypeError too, as Python's own error for such a call, for callers that catch that."""


class ThreadMismatchError(InputError, ValueError):
    """``rebuild_thread`` got added fields that do not match the flattened thread: not one mapping per comment, or
    replies walked under other child fields than it was flattened with (a ValueError too, as before)."""


class FormatError(InputError):
    """An input file cannot be parsed in the requested or detected format."""


class RecordTooLongError(FormatError):
    """One record of an input is longer than the most a record may take (``--max-record-size``): a file with no
    line ends, or the wrong format, stopped before it fills the memory."""


class UnknownFormatError(FormatError):
    """The format of an input or output cannot be told from its name or content (a usage error in the CLI)."""


class OptionConflictError(InputError):
    """A job's options cannot go together or cannot be met: standard input read twice, Ray given standard input
    or a format it does not read, Ray without its extra (a usage error in the CLI)."""


class OutputPathError(InputError):
    """An output path cannot be written: its directory is missing or read-only, or it is a directory (a usage
    error in the CLI)."""


class OutputError(XhsTranslateError):
    """Writing the output failed part-way (disk full, the final rename refused); the message names the path and
    the system's reason."""


class DetectorError(XhsTranslateError):
    """A detection backend is unknown or its resources (fastText's lid.176, langdetect's profiles) cannot be loaded."""


class GlossaryError(InputError):
    """A glossary (the ``glossary`` argument: a file, a mapping or entries) cannot be read, parsed or used."""


class CacheError(XhsTranslateError):
    """The translation cache cannot be used: a Redis that does not answer when the cache is opened, an
    unsupported address. Once a run has started, translation degrades to no cache instead of raising this."""


class CacheTableError(CacheError, KeyError):
    """A cache backend was asked for a table that is not one of ``cache.base.TABLES`` (a KeyError too, as before)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""  # the message, not KeyError's repr of it


class ExtensionError(XhsTranslateError, ValueError):
    """The browser extension cannot be built as asked: a browser it has no manifest for, or a userscript holding a
    placeholder the build does not fill (a ValueError too, as before)."""


class RayClusterError(XhsTranslateError):
    """The Ray cluster of ``--ray`` cannot be used: nothing answers at its address, or it refuses us (its token
    authentication), found within a bounded time, before Ray's driver would retry for ever."""


class WorkerError(XhsTranslateError):
    """A Ray worker of ``xhs_translate.distributed`` raised one of our errors on a batch (Ray passes on only its
    text); ``kind`` is its class name (``InputError``, ``ModelNotInstalledError``, ...)."""

    def __init__(self, kind: str, message: str):
        self.kind = kind
        super().__init__(f"a Ray worker failed: {kind}: {message}")
