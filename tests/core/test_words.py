"""Counts in sentences: one rule (`core.words`), and no sentence left that dodges it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from uvcache_tui.core.words import counted, plural

PACKAGE = Path(__file__).resolve().parents[2] / "uvcache_tui"


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (1, "package", "1 package"),
        (0, "package", "0 packages"),
        (2, "package", "2 packages"),
        (1, "entry", "1 entry"),
        (3, "entry", "3 entries"),
        (2, "interpreter query", "2 interpreter queries"),
        (2, "cache mount", "2 cache mounts"),
        (2, "day", "2 days"),
        (2, "index", "2 indexes"),
        (2, "match", "2 matches"),
        (1234, "file", "1,234 files"),
    ],
)
def test_counted(count: int, noun: str, expected: str) -> None:
    assert counted(count, noun) == expected


def test_irregular_forms_are_given() -> None:
    assert plural("is", 1, "are") == "is"
    assert plural("is", 2, "are") == "are"
    assert counted(2, "query", "queries") == "2 queries"


def test_no_sentence_dodges_the_number() -> None:
    """`package(s)` and `file{'s' if n != 1 else ''}` were how sentences said a count."""
    dodges = re.compile(r"\w\(s\)|\{'s' if|\{\"s\" if")
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "words.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if dodges.search(line)
    ]
    assert found == []
