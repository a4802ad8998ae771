"""BuildKit's word processing (`shell/lex.go`), the part Dockerfiles use in ENV, ARG, USER,
WORKDIR and `--mount` values: quotes removed, `$NAME`, `${NAME}`, `${NAME:-word}`,
`${NAME-word}`, `${NAME:+word}`, `${NAME+word}`, `${NAME:?msg}`, the escape character.

Unset variables become empty, as in BuildKit; their names are returned so a report can say
which ones were missing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL_DQ = ('"', "$")


@dataclass
class Expansion:
    """A processed word and the variables it named that had no value."""

    value: str
    unset: list[str] = field(default_factory=list)


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = escape
        self.unset: list[str] = []

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch

    def word(self, stop: str = "") -> str:
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.peek()
            if stop and ch in stop:
                break
            self.pos += 1
            if ch == self.escape:
                out.append(self.take())
            elif ch == "'":
                out.append(self._until("'"))
            elif ch == '"':
                out.append(self._double_quoted())
            elif ch == "$":
                out.append(self.variable())
            else:
                out.append(ch)
        return "".join(out)

    def _until(self, end: str) -> str:
        start = self.pos
        index = self.text.find(end, start)
        if index < 0:
            self.pos = len(self.text)
            return self.text[start:]
        self.pos = index + 1
        return self.text[start:index]

    def _double_quoted(self) -> str:
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.take()
            if ch == '"':
                break
            if ch == self.escape and self.peek() in (*_SPECIAL_DQ, self.escape):
                out.append(self.take())
            elif ch == "$":
                out.append(self.variable())
            else:
                out.append(ch)
        return "".join(out)

    def _lookup(self, name: str) -> str | None:
        value = self.env.get(name)
        if value is None and name not in self.unset:
            self.unset.append(name)
        return value

    def variable(self) -> str:
        """After a `$`: the value, or `$` itself when no name follows."""
        if self.peek() == "{":
            self.pos += 1
            return self._braced()
        match = _NAME_RE.match(self.text, self.pos)
        if match is None:
            return "$"
        self.pos = match.end()
        return self._lookup(match.group()) or ""

    def _braced(self) -> str:
        match = _NAME_RE.match(self.text, self.pos)
        if match is None:  # `${` with no name: keep the text as written
            return "${"
        name = match.group()
        self.pos = match.end()
        if self.peek() == "}":
            self.pos += 1
            return self._lookup(name) or ""
        colon = self.peek() == ":"
        if colon:
            self.pos += 1
        modifier = self.take()
        word = self.word(stop="}")
        self.pos += 1  # the closing brace
        value = self.env.get(name)
        present = value is not None and (value != "" or not colon)
        if modifier == "-":
            return value if present and value is not None else word
        if modifier == "+":
            return word if present else ""
        if modifier == "?" and not present:
            self._lookup(name)
        return value or ""


def expand_word(text: str, env: Mapping[str, str], escape: str = "\\") -> Expansion:
    """Process one word as BuildKit does: quotes removed, variables expanded."""
    lexer = _Lexer(text, env, escape)
    value = lexer.word()
    return Expansion(value, lexer.unset)


def has_variable(text: str) -> bool:
    """Whether `text` names a variable (`$NAME` or `${…}`): what an engine that does not
    expand leaves as it is."""
    return re.search(r"\$(\{|[A-Za-z_])", text) is not None
