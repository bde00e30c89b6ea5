"""The package's public surface: cheap to import, every error exported, names that stay what they say."""

from __future__ import annotations

import ast
import inspect
import os
import subprocess
import sys
from pathlib import Path

import xhs_translate
from xhs_translate import errors

HEAVY = ("ctranslate2", "sentencepiece", "fasttext", "opencc", "langdetect", "numpy", "sqlite3", "tqdm")


def test_import_loads_nothing_heavy():
    code = f"import sys, xhs_translate; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_import_loads_the_package_and_its_errors_only():
    """The public names resolve on first use (issue 23: "import xhs_translate loads 2 modules": keep it so)."""
    code = "import sys, xhs_translate; print(sorted(m for m in sys.modules if m.startswith('xhs_translate')))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "['xhs_translate', 'xhs_translate.errors']"


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


def test_every_public_name_resolves():
    code = "import xhs_translate\nfor name in xhs_translate.__all__:\n    getattr(xhs_translate, name)\n"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert len(set(xhs_translate.__all__)) == len(xhs_translate.__all__)
    assert set(xhs_translate._LAZY) <= set(xhs_translate.__all__)


def test_type_checkers_see_the_lazy_names():
    """The ``TYPE_CHECKING`` imports in ``__init__`` (what mypy and pyright read) are exactly the lazy names, from the
    same modules, so a name cannot be importable at run time and ``Any`` (or missing) for a user's type checker."""
    tree = ast.parse(Path(xhs_translate.__file__).read_text(encoding="utf-8"))
    guarded = next(node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    seen = {alias.name: f"xhs_translate.{node.module}" for node in guarded.body if isinstance(node, ast.ImportFrom)
            for alias in node.names}
    assert seen == xhs_translate._LAZY
    assert (Path(xhs_translate.__file__).parent / "py.typed").is_file()


def test_a_users_code_type_checks_against_the_package(tmp_path):
    """What a user's mypy sees (PEP 561): real classes and signatures, not ``Any``; a wrong ``cache=`` is an error."""
    (tmp_path / "user.py").write_text(
        "import xhs_translate\n"
        "from xhs_translate import Glossary, Translator\n"
        "t = Translator(cache=False, glossary=Glossary())\n"
        "reveal_type(t)\n"
        "reveal_type(xhs_translate.translate_thread)\n"
        "reveal_type(xhs_translate.install_pair)\n"
        "Translator(cache=42)\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", str(tmp_path / "cache"),
                           "--config-file", os.devnull, "user.py"], cwd=tmp_path, capture_output=True, text=True,
                          # the package's own folder on the path, as an installed one: an editable install's import
                          # hook is invisible to mypy; entries of PYTHONPATH still need py.typed (PEP 561)
                          env={**os.environ, "PYTHONPATH": str(Path(xhs_translate.__file__).parents[1])})
    out = proc.stdout
    assert 'Revealed type is "xhs_translate.translator.Translator"' in out, out
    assert 'Revealed type is "def (comments: typing.Iterable[typing.Mapping[' in out, out
    assert "-> xhs_translate.models.families.base.ModelPackage" in out, out
    assert 'user.py:7: error: Argument "cache" to "Translator" has incompatible type "int"' in out, out
    assert out.count("error:") == 1, out
