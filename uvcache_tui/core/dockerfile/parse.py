"""Dockerfile syntax, read with BuildKit's own parser (the `dockerfile` package wraps it).

The package gives the instructions (continuations, heredocs, JSON form, the escape
directive); it drops comments, so the parser directives (`# syntax=`, `# escape=`) are read
here with BuildKit's rule: `# key=value` lines at the very top, up to the first other line.
Its errors carry no line number: the line is found by parsing prefixes (a binary search).

Safe to call from several threads (the TUI's workers) without a lock: the extension keeps
the GIL for the whole call, so parses never overlap, and the Go runtime behind it accepts
calls from any OS thread; tests/core/doctor/test_parser_threads.py checks concurrent parses
against serial ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import dockerfile

_DIRECTIVE_RE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
KNOWN_DIRECTIVES = ("syntax", "escape", "check")


class DockerfileError(ValueError):
    """The Dockerfile does not parse: where and why."""

    def __init__(self, line: int | None, reason: str) -> None:
        where = f"line {line}: " if line else ""
        super().__init__(f"{where}{reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str


@dataclass(frozen=True)
class Instruction:
    """One instruction as BuildKit's parser sees it (keyword upper-cased)."""

    keyword: str
    flags: tuple[str, ...]
    args: tuple[str, ...]
    json_form: bool
    line: int
    end_line: int
    original: str
    heredocs: tuple[Heredoc, ...] = ()
    sub_keyword: str | None = None
    """The instruction an ONBUILD wraps."""


@dataclass(frozen=True)
class DockerfileSource:
    directives: dict[str, str]
    """Parser directives from the top of the file, keys lower-cased."""
    instructions: tuple[Instruction, ...]
    lines: tuple[str, ...]

    @property
    def syntax(self) -> str | None:
        return self.directives.get("syntax")

    @property
    def escape(self) -> str:
        return self.directives.get("escape", "\\")


def read_directives(text: str) -> dict[str, str]:
    """`# syntax=…`, `# escape=…`, `# check=…` before the first other line (BuildKit's rule:
    a blank line, a plain comment or an instruction ends them; an unknown key too)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _DIRECTIVE_RE.match(line.strip())
        if match is None:
            break
        key = match.group(1).lower()
        if key not in KNOWN_DIRECTIVES or key in found:
            break
        found[key] = match.group(2)
    return found


def _instruction(command: dockerfile.Command) -> Instruction:
    return Instruction(
        keyword=command.cmd.upper(),
        flags=tuple(command.flags),
        args=tuple(command.value),
        json_form=bool(command.json),
        line=command.start_line,
        end_line=command.end_line,
        original=command.original,
        heredocs=tuple(Heredoc(h.name, h.content) for h in command.heredocs),
        sub_keyword=command.sub_cmd.upper() if command.sub_cmd else None,
    )


def _fails_with(lines: list[str], end: int, reason: str) -> bool:
    try:
        dockerfile.parse_string("\n".join(lines[:end]) + "\n")
    except dockerfile.GoParseError as exc:
        return str(exc) == reason
    return False


def _error_line(lines: list[str], reason: str) -> int | None:
    """The first line at which the text stops parsing with the same reason: a binary search
    over prefixes (the parser stops at its first error, so once a prefix fails so do the
    longer ones), a few dozen parses even for a huge file."""
    low, high = 1, len(lines)
    if high == 0 or not _fails_with(lines, high, reason):
        return None
    while low < high:
        middle = (low + high) // 2
        if _fails_with(lines, middle, reason):
            high = middle
        else:
            low = middle + 1
    return low


def _parser_safe(text: str) -> str:
    try:
        raw = text.encode("utf-8", "surrogateescape")  # the bytes as read, one per escape
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


def parse_dockerfile(text: str) -> DockerfileSource:
    """Parse a Dockerfile's text; DockerfileError says the line and the reason."""
    if "\x00" in text:
        raise DockerfileError(None, "not a text file (it contains NUL bytes)")
    # The native parser crashes the process on a str it cannot encode (a lone surrogate,
    # e.g. a non-UTF-8 byte read with surrogateescape): such characters become U+FFFD.
    text = _parser_safe(text)
    try:
        commands = dockerfile.parse_string(text)
    except dockerfile.GoParseError as exc:
        reason = str(exc)
        raise DockerfileError(_error_line(text.splitlines(), reason), reason) from exc
    instructions = tuple(_instruction(c) for c in commands)
    if not any(i.keyword == "FROM" for i in instructions):
        raise DockerfileError(None, "no FROM instruction: this is not a Dockerfile")
    return DockerfileSource(read_directives(text), instructions, tuple(text.splitlines()))
