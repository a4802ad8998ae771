"""A module a newcomer can read in one sitting: over LONG_MODULE lines, it says why at its top.

The reason is a sentence in the module docstring that names the limit ("Over 400 lines
because …"); a module that grows past it without one fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "uvcache_tui"
LONG_MODULE = 400
REASON = "400 lines"


def long_modules_without_reason(package: Path = PACKAGE) -> list[str]:
    missing: list[str] = []
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines <= LONG_MODULE:
            continue
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if REASON not in docstring:
            missing.append(f"{path.relative_to(package.parent)} ({lines} lines)")
    return missing


def test_long_modules_say_why() -> None:
    assert long_modules_without_reason() == []


def test_the_rule_catches_a_long_module(tmp_path: Path) -> None:
    body = "x = 1\n" * (LONG_MODULE + 1)
    (tmp_path / "plain.py").write_text('"""Short story."""\n' + body)
    (tmp_path / "explained.py").write_text('"""Over 400 lines because it is a table."""\n' + body)
    (tmp_path / "short.py").write_text('"""Short."""\n')
    assert long_modules_without_reason(tmp_path) == [f"{tmp_path.name}/plain.py (402 lines)"]
