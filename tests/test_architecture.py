"""The core never imports Textual (an import-linter contract, as a test).

Two checks: a static one over every module's syntax tree (imports at any depth, including
inside functions, and `importlib.import_module("textual…")`), and a run-time one that
imports the whole core in a fresh interpreter and looks at `sys.modules`, which also
catches a core module importing Textual through another package.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "uvcache_tui" / "core"
FORBIDDEN = ("textual", "uvcache_tui.tui")


def _forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def _resolve_relative(path: Path, root: Path, module: str | None, level: int) -> str:
    """`from ..x import y` in uvcache_tui/core/a/b.py -> `uvcache_tui.core.x`."""
    package = list(path.relative_to(root).with_suffix("").parts[:-1])
    if level > 1:
        package = package[: len(package) - (level - 1)]
    return ".".join([*package, *([module] if module else [])])


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, module) for every import in a file, wherever it sits."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = (
                _resolve_relative(path, root, node.module, node.level)
                if node.level
                else node.module or ""
            )
            found.append((node.lineno, module))
            # `from uvcache_tui import tui` imports a forbidden package by name.
            found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.append((node.lineno, first.value))
    return found


def core_files() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def test_core_exists() -> None:
    assert core_files(), f"no Python files under {CORE}"


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_does_not_import_textual(path: Path) -> None:
    bad = [
        f"line {line}: {module}" for line, module in imported_modules(path) if _forbidden(module)
    ]
    assert not bad, f"{path.relative_to(ROOT)} imports the UI layer: {bad}"


def test_checker_sees_nested_and_relative_imports(tmp_path: Path) -> None:
    """The checker itself: imports inside functions, relative and dynamic forms count."""
    fake = tmp_path / "uvcache_tui" / "core" / "probe.py"
    fake.parent.mkdir(parents=True)
    fake.write_text(
        "def later():\n"
        "    from textual.widgets import Tree\n"
        "    import textual\n"
        "    import importlib\n"
        "    importlib.import_module('textual.app')\n"
        "from .. import tui\n"
        "from ..tui.app import UvCacheApp\n"
    )
    modules = [module for _, module in imported_modules(fake, root=tmp_path)]
    flagged = {module for module in modules if _forbidden(module)}
    assert {"textual.widgets", "textual", "textual.app"} <= flagged
    assert {"uvcache_tui.tui", "uvcache_tui.tui.app"} <= flagged
    assert not _forbidden("uvcache_tui.core.scan")
    assert not _forbidden("textualize_something_else")


def test_importing_the_core_loads_no_textual() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import uvcache_tui.core as core\n"
        "for info in pkgutil.walk_packages(core.__path__, 'uvcache_tui.core.'):\n"
        "    importlib.import_module(info.name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')"
        " or m.startswith('uvcache_tui.tui'))\n"
        "print('\\n'.join(bad))\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"importing the core loaded: {result.stdout}{result.stderr}"


# --- no import cycles inside uvcache_tui ---------------------------------------------------

PACKAGE = ROOT / "uvcache_tui"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(package: Path, root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (at any depth, see
    `imported_modules`); `from pkg import name` counts as importing `pkg.name` if that is a
    module, else `pkg`. A package's own `__init__` importing nothing is not an edge."""
    modules = {module_name(path, root): path for path in sorted(package.rglob("*.py"))}
    top = module_name(package, root)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for _line, imported in imported_modules(path, root):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported not in (name, top):
                targets.add(imported)
        graph[name] = targets
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_no_import_cycles() -> None:
    cycles = import_cycles(import_graph(PACKAGE))
    assert not cycles, f"modules of uvcache_tui that import each other: {cycles}"


def test_cycle_checker_finds_cycles(tmp_path: Path) -> None:
    """The checker itself: a cycle through an import inside a function, and a longer one."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("def later():\n    from pkg import b\n")
    (package / "b.py").write_text("import pkg.a\n")
    (package / "c.py").write_text("from pkg.sub import d\n")
    (package / "sub" / "d.py").write_text("from ..sub import e\n")
    (package / "sub" / "e.py").write_text("from pkg import c\n")
    (package / "f.py").write_text("from pkg import a, c\n")
    graph = import_graph(package, root=tmp_path)
    assert graph["pkg.f"] == {"pkg.a", "pkg.c"}
    assert sorted(import_cycles(graph)) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.sub.d", "pkg.sub.e"]]
