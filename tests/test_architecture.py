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
