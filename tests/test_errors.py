"""Every error the package raises on purpose derives from XhsTranslateError (issue 23 §4: ``TypeError`` from
``Translator(models=42)``, ``ValueError`` from ``rebuild_thread``, and the other builtins found by a grep)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import xhs_translate
from xhs_translate import Translator
from xhs_translate.cache import SqliteCache
from xhs_translate.errors import CacheTableError, ExtensionError, InputError, OptionError, XhsTranslateError
from xhs_translate.extension import manifest
from xhs_translate.models.packages import remove_package

PACKAGE = Path(xhs_translate.__file__).parent
BUILTINS = {"TypeError", "ValueError", "RuntimeError", "KeyError", "LookupError", "IndexError", "Exception"}
# Raised to honour a protocol, never reaching a caller as ours: json.loads' parse_constant/parse_float hooks (the
# ValueError is json's own parse error, turned into a 400 by parse_json), and the json.dumps drop-in's "not JSON
# serializable" TypeError (json.dumps raises that very error for the same value). A stored detection that
# encode_comment did not write: a ValueError caught in decode_comment, which treats the entry as a miss. Writing to
# a read-only Stats: the TypeError Python's own read-only mappings (mappingproxy) raise.
ALLOWED = {("server/api.py", "ValueError"): 2, ("io/jsontext.py", "TypeError"): 2,
           ("cache/__init__.py", "ValueError"): 1, ("results.py", "TypeError"): 1}


def _builtin_raises() -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(exc, ast.Name) and exc.id in BUILTINS:
                    where = (path.relative_to(PACKAGE).as_posix(), exc.id)
                    found[where] = found.get(where, 0) + 1
    return found


def test_no_builtin_error_is_raised_on_purpose_outside_the_protocol_hooks():
    assert _builtin_raises() == ALLOWED


def _is_ours_and(exc: BaseException, builtin: type[BaseException]) -> None:
    assert isinstance(exc, XhsTranslateError) and isinstance(exc, builtin)


@pytest.mark.parametrize("options, message", [
    ({"models": 42}, "models must be a model name"),
    ({"models": {"zh-en": 3}}, r"models\['zh-en'\] must be a model name"),
    ({"bem_size": 4}, "unknown Translator option.*bem_size"),
])
def test_wrong_options_are_option_errors_and_still_type_errors(options, message, tmp_path):
    with pytest.raises(OptionError, match=message) as caught:
        Translator(models_dir=tmp_path, **options)
    _is_ours_and(caught.value, TypeError)
    assert isinstance(caught.value, InputError)


def test_remove_package_without_the_target_code_is_an_option_error(tmp_path):
    with pytest.raises(OptionError, match="needs both language codes"):
        remove_package("zh", models_dir=tmp_path)


def test_an_unknown_browser_is_an_extension_error():
    with pytest.raises(ExtensionError, match="unknown browser 'opera'") as caught:
        manifest("opera")
    _is_ours_and(caught.value, ValueError)


def test_an_unknown_cache_table_is_a_cache_table_error(tmp_path):
    cache = SqliteCache(tmp_path / "c.sqlite3")
    for call in (lambda: cache.get_many("nope", ["k"]), lambda: cache.put_many("nope", {"k": "v"})):
        with pytest.raises(CacheTableError, match="no cache table 'nope': one of segments, comments") as caught:
            call()
        _is_ours_and(caught.value, KeyError)
        assert str(caught.value).startswith("no cache table")  # the message, not KeyError's quoted repr


def test_every_error_class_is_exported_from_the_package():
    from xhs_translate import errors

    classes = {name for name, value in vars(errors).items()
               if isinstance(value, type) and issubclass(value, XhsTranslateError)}
    assert classes <= set(xhs_translate.__all__)
    assert {"OptionError", "ThreadMismatchError", "CacheTableError", "ExtensionError"} <= classes
