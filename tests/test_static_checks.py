"""The static checks CI runs through the README's test command (issue 23 §5): the type checker and the linter with
their configuration in pyproject.toml, and the import graph against ARCHITECTURE.md's layers (tools/import_graph.py).
Each fails with the tool's own output."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINTED = ("xhs_translate", "tests", "benchmarks", "tools")


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_mypy_finds_no_errors():
    proc = _run("-m", "mypy")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_finds_nothing():
    proc = _run("-m", "ruff", "check", "--no-cache", *LINTED)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_import_graph_keeps_the_layers_architecture_md_writes_down():
    proc = _run("tools/import_graph.py", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_layer_check_catches_each_kind_of_violation(tmp_path):
    """The check on a small package of its own: an upward import (also one inside a function), a module the table
    does not place, another module's private name, and a module-level import cycle."""
    (tmp_path / "ARCHITECTURE.md").write_text(textwrap.dedent("""\
        # Architecture

        ## Layers

        | layer | modules |
        |---|---|
        | low | `__init__`, `low`, `util.*` |
        | high | `high`, `util.top` |

        ## Next section
        | not | `layers` |
        """), encoding="utf-8")
    package = tmp_path / "xhs_translate"
    (package / "util").mkdir(parents=True)
    files = {
        "__init__.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .high import H\n",
        "low.py": "from . import util\n\ndef f():\n    from .high import H\n    return H\n",
        "high.py": "from .low import f\nfrom .util.a import _secret\nH = 1\n",
        "stray.py": "",
        "util/__init__.py": "",
        "util/a.py": "from .b import x\n_secret = 1\n",
        "util/b.py": "from .a import _secret as x\n",
        "util/top.py": "",
    }
    for name, text in files.items():
        (package / name).write_text(text, encoding="utf-8")
    graph = _run(str(ROOT / "tools/import_graph.py"), "--root", str(tmp_path))
    assert "low -> high (lazy), util" in graph.stdout.splitlines()
    assert "__init__ -> (nothing)" in graph.stdout.splitlines()  # TYPE_CHECKING imports do not run
    proc = _run(str(ROOT / "tools/import_graph.py"), "--check", "--root", str(tmp_path))
    assert proc.returncode == 1
    assert sorted(proc.stdout.splitlines()) == [
        "high imports util.a's private _secret at xhs_translate/high.py:2",
        "import cycle: util.a -> util.b -> util.a",
        "low (low) lazily imports high (high) at xhs_translate/low.py:4",
        "stray: in no layer of ARCHITECTURE.md's table",
    ]
