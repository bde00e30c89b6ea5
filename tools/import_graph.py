"""The package's internal import graph, and a check of it against the layers ARCHITECTURE.md writes down.

    python tools/import_graph.py            # module -> the package modules it imports ("lazy": inside a function)
    python tools/import_graph.py --check    # exit 1 listing every import from a lower layer to a higher one

The layer table is read from ARCHITECTURE.md's "Layers" section, so the document and the check cannot drift: a
module the table does not place is an error too, and so is a ``_name`` imported from a module outside the importer's
own subpackage. Imports under ``if TYPE_CHECKING:`` are not followed at run time
and are left out. Module-level import cycles are reported as well.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "xhs_translate"
LAYERS_HEADING = "## Layers"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    lazy: bool  # inside a function: imported on first use, not with the module
    private: tuple[str, ...] = ()  # the target's ``_names`` this import takes


def module_names(package_dir: Path) -> dict[str, Path]:
    """``{dotted name relative to the package ("" for its __init__): file}``."""
    out = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    return ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _imports(tree: ast.Module) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement with whether it sits inside a function; ``if TYPE_CHECKING:`` blocks skipped."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other, lazy)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append((child, lazy))
            visit(child, lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The package module a dotted name (relative to the package) is, or lies in."""
    while name not in modules:
        if "." not in name:
            return None
        name = name.rsplit(".", 1)[0]
    return name


def import_graph(package_dir: Path) -> tuple[dict[str, Path], list[Edge]]:
    modules = module_names(package_dir)
    edges = []
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node, lazy in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = name.split(".") if name else []
                    base = base if is_package else base[:-1]
                    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                    prefix = ".".join(base + ([node.module] if node.module else []))
                    targets = [f"{PACKAGE}.{prefix}".rstrip(".")]
                else:
                    targets = [node.module or ""]
                # ``from .models import engine``: the submodule, when the name is one
                targets = [f"{targets[0]}.{alias.name}" for alias in node.names] or targets
            for target in targets:
                if target != PACKAGE and not target.startswith(PACKAGE + "."):
                    continue
                resolved = _resolve(target[len(PACKAGE) + 1:], modules)
                if resolved is not None and resolved != name:
                    last = target.rsplit(".", 1)[-1]
                    taken = resolved != target[len(PACKAGE) + 1:] and last.startswith("_") and not last.startswith("__")
                    edges.append(Edge(name, resolved, node.lineno, lazy, (last,) if taken else ()))
    return modules, sorted(set(edges), key=lambda e: (e.source, e.target, e.line, e.lazy, e.private))


def read_layers(architecture: Path) -> list[tuple[str, list[str]]]:
    """The Layers table, bottom layer first: ``[(layer name, [module patterns])]``."""
    text = architecture.read_text(encoding="utf-8")
    start = text.find(f"\n{LAYERS_HEADING}\n")
    if start < 0:
        raise SystemExit(f"{architecture}: no '{LAYERS_HEADING}' section")
    section = text[start + len(LAYERS_HEADING) + 2:]
    section = section[: section.find("\n## ")] if "\n## " in section else section
    layers = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) < 2 or set(cells[0]) <= {"-", ":", " "} or cells[0].lower() == "layer":
            continue
        layers.append((cells[0], re.findall(r"`([^`]+)`", cells[1])))
    if not layers:
        raise SystemExit(f"{architecture}: the '{LAYERS_HEADING}' section has no table rows")
    return layers


def layer_of(module: str, layers: list[tuple[str, list[str]]]) -> int | None:
    """The index of the row whose most specific pattern matches (``models.engine`` beats ``models.*``)."""
    best: tuple[int, int] | None = None
    display = module or "__init__"
    for index, (_, patterns) in enumerate(layers):
        for pattern in patterns:
            if fnmatch.fnmatchcase(display, pattern) or (pattern.endswith(".*") and display == pattern[:-2]):
                score = len(pattern.replace("*", ""))
                if best is None or score > best[0]:
                    best = (score, index)
    return None if best is None else best[1]


def cycles(edges: list[Edge]) -> list[list[str]]:
    """Module-level import cycles (lazy imports are how a cycle is broken, so they do not count)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if not edge.lazy:
            graph.setdefault(edge.source, set()).add(edge.target)
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        state[start] = 1
        path, stack = [start], [iter(sorted(graph[start]))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(child) == 1:
                found.append([*path[path.index(child):], child])
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append(iter(sorted(graph.get(child, ()))))
    return found


def violations(modules: dict[str, Path], edges: list[Edge], layers: list[tuple[str, list[str]]]) -> list[str]:
    root = modules[""].parent

    def where(edge: Edge) -> str:
        return f"{PACKAGE}/{modules[edge.source].relative_to(root).as_posix()}:{edge.line}"

    problems = []
    for module in modules:
        if layer_of(module, layers) is None:
            problems.append(f"{module or '__init__'}: in no layer of ARCHITECTURE.md's table")
    for edge in edges:
        low, high = layer_of(edge.source, layers), layer_of(edge.target, layers)
        if low is not None and high is not None and high > low:
            kind = "lazily imports" if edge.lazy else "imports"
            problems.append(f"{edge.source or '__init__'} ({layers[low][0]}) {kind} {edge.target} ({layers[high][0]})"
                            f" at {where(edge)}")
    for edge in edges:
        if edge.private and edge.source.split(".")[0] != edge.target.split(".")[0]:
            problems.append(f"{edge.source or '__init__'} imports {edge.target}'s private {', '.join(edge.private)} at "
                            f"{where(edge)}")
    problems += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(edges)]
    return list(dict.fromkeys(problems))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="check the graph against ARCHITECTURE.md's layers")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    args = parser.parse_args(argv)
    modules, edges = import_graph(args.root / PACKAGE)
    if not args.check:
        for module in modules:
            targets = [f"{e.target}{' (lazy)' if e.lazy else ''}" for e in edges if e.source == module]
            print(f"{module or '__init__'} -> {', '.join(dict.fromkeys(targets)) or '(nothing)'}")
        return 0
    problems = violations(modules, edges, read_layers(args.root / "ARCHITECTURE.md"))
    for problem in problems:
        print(problem)
    print(f"{len(problems)} violation(s) of ARCHITECTURE.md's layers in {len(modules)} modules, {len(edges)} imports",
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
