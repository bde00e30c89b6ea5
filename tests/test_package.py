"""The package's public surface: cheap to import, every error exported, names that stay what they say."""

from __future__ import annotations

import inspect
import subprocess
import sys

import xhs_translate
from xhs_translate import errors

HEAVY = ("ctranslate2", "sentencepiece", "fasttext", "opencc", "langdetect", "numpy", "sqlite3", "tqdm")


def test_import_loads_nothing_heavy():
    code = f"import sys, xhs_translate; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_every_error_class_is_exported_under_one_base():
    classes = {name for name, obj in inspect.getmembers(errors, inspect.isclass) if obj.__module__ == errors.__name__}
    assert classes <= set(xhs_translate.__all__)
    for name in classes:
        assert issubclass(getattr(xhs_translate, name), xhs_translate.XhsTranslateError)


def test_public_functions_stay_functions_after_their_modules_are_imported():
    """A submodule named like a function would replace it on the package once imported (``detect`` did)."""
    code = (
        "import xhs_translate.translator, xhs_translate.detection, xhs_translate.cli\n"
        "from xhs_translate import detect, detect_many, translate_thread, Translator, Detection\n"
        "assert callable(detect) and not isinstance(detect, type(xhs_translate))\n"
        "assert detect('好可爱') == Detection('zh', 1.0, 'Hans')\n"
        "assert [d.lang for d in detect_many(['omg so cute', '哈哈哈'])] == ['en', 'zh']\n"
        "assert callable(translate_thread) and isinstance(Translator, type)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dir_lists_the_public_names():
    assert {"detect", "Translator", "translate_thread", "XhsTranslateError"} <= set(dir(xhs_translate))
