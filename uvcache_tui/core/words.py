"""Counts in sentences (`1 package`, `2 packages`, `1,204 files`): one rule for every
sentence the CLI and the TUI print, instead of `package(s)` or a bare `s`."""

from __future__ import annotations

_SIBILANT_ENDINGS = ("s", "x", "z", "ch", "sh")
_VOWELS = "aeiou"


def plural(noun: str, count: int, plural_form: str | None = None) -> str:
    """`noun` in the number `count` asks for: the singular only for exactly one.

    The regular English plural of the last word (`entry` → `entries`, `cache mount` → `cache
    mounts`); `plural_form` for the rest (`was` → `were`)."""
    if count == 1:
        return noun
    if plural_form is not None:
        return plural_form
    if noun.endswith("y") and len(noun) > 1 and noun[-2] not in _VOWELS:
        return noun[:-1] + "ies"
    if noun.endswith(_SIBILANT_ENDINGS):
        return noun + "es"
    return noun + "s"


def counted(count: int, noun: str, plural_form: str | None = None) -> str:
    """`1 package`, `0 entries`, `1,204 files`: the count, with thousands separators, and its
    noun in the right number."""
    return f"{count:,} {plural(noun, count, plural_form)}"
