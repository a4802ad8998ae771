"""What a RUN's shell text does with uv: each invocation, its subcommand, the options and
inline variables that move or disable the cache, and `uv cache clean`.

The text is split into simple commands at `&&`, `||`, `;`, `|` and newlines and each is
read with shlex: good enough for the commands Dockerfiles write, never executed.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

_SEPARATORS = re.compile(r"&&|\|\||;|\||\n")
_WRAPPERS = ("env", "exec", "time", "nice", "nohup", "command")
_VALUE_OPTIONS = frozenset(
    {
        "--cache-dir",
        "--directory",
        "--project",
        "--config-file",
        "--color",
        "--link-mode",
        "--python",
        "-p",
        "--index-url",
        "--default-index",
        "--index",
        "--extra-index-url",
        "--find-links",
        "-f",
        "--allow-insecure-host",
        "--keyring-provider",
        "--python-preference",
    }
)
CACHE_USING = frozenset(
    {
        "sync",
        "pip",
        "tool",
        "run",
        "lock",
        "export",
        "venv",
        "python",
        "add",
        "remove",
        "build",
        "tree",
        "init",
        "version",
        "format",
    }
)
"""Subcommands that read or fill the cache (`uv cache dir`, `uv --version` do not)."""
TRUE_VALUES = frozenset({"1", "true", "yes", "y", "on", "t"})


@dataclass(frozen=True)
class UvInvocation:
    """One `uv …` (or `uvx …`) in a RUN."""

    argv: tuple[str, ...]
    subcommand: tuple[str, ...]
    """`("sync",)`, `("pip", "install")`, `("cache", "clean")`, `("tool", "run")` for uvx."""
    options: dict[str, str]
    """Global and command options that matter here: --cache-dir, --link-mode, --no-cache."""
    inline_env: dict[str, str]
    """`VAR=value uv …` and earlier `export VAR=value` in the same RUN."""

    @property
    def uses_cache(self) -> bool:
        return bool(self.subcommand) and self.subcommand[0] in CACHE_USING

    @property
    def cleans_cache(self) -> bool:
        return self.subcommand[:2] in (("cache", "clean"), ("cache", "clear"))

    @property
    def links_into_environment(self) -> bool:
        """Installs files from the cache into an environment outside it (link mode matters)."""
        head = self.subcommand[:2]
        return head[:1] in (("sync",), ("run",), ("add",), ("remove",)) or head in (
            ("pip", "install"),
            ("pip", "sync"),
            ("tool", "install"),
            ("tool", "upgrade"),
        )


@dataclass
class RunCommands:
    invocations: list[UvInvocation] = field(default_factory=list)
    removed_paths: list[str] = field(default_factory=list)
    """Arguments of `rm -r…` in the RUN (a cache removed before the layer is committed)."""


def split_words(segment: str) -> list[str]:
    try:
        return shlex.split(segment, comments=True)
    except ValueError:
        return segment.split()


def _is_assignment(token: str) -> bool:
    return re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", token) is not None


def _subcommand_done(program: str, words: list[str]) -> bool:
    if program == "uvx":
        return len(words) >= 1
    if words and words[0] in ("pip", "tool", "cache", "python", "self"):
        return len(words) >= 2
    return len(words) >= 1


def _parse_uv(program: str, args: list[str], inline: dict[str, str]) -> UvInvocation:
    """Options before and after the subcommand count; for `uv run`, `uv tool run` and `uvx`
    the first word after the subcommand starts the child's command line, which does not."""
    options: dict[str, str] = {}
    words: list[str] = []
    runs_child = False
    index = 0
    while index < len(args):
        token = args[index]
        index += 1
        if token == "--":
            break
        if token.startswith("-"):
            name, sep, value = token.partition("=")
            if name in ("--no-cache", "-n"):
                options["--no-cache"] = "true"
            elif name in _VALUE_OPTIONS and not sep and index < len(args):
                value = args[index]
                index += 1
            if name in ("--cache-dir", "--link-mode"):
                options[name] = value
            continue
        if _subcommand_done(program, words):
            if runs_child:
                break
            continue
        words.append(token)
        runs_child = program == "uvx" or tuple(words) in (("run",), ("tool", "run"))
    subcommand = ("tool", "run", *words) if program == "uvx" else tuple(words)
    return UvInvocation((program, *args), subcommand, options, dict(inline))


def read_commands(text: str, env: Mapping[str, str] | None = None) -> RunCommands:
    """Every uv invocation and `rm -r` in a RUN's shell text."""
    found = RunCommands()
    exported: dict[str, str] = {}
    for segment in _SEPARATORS.split(text):
        tokens = split_words(segment)
        inline = dict(exported)
        while tokens and (_is_assignment(tokens[0]) or tokens[0] in _WRAPPERS):
            token = tokens.pop(0)
            if _is_assignment(token):
                name, _, value = token.partition("=")
                inline[name] = value
        if not tokens:
            exported.update({k: v for k, v in inline.items() if k not in exported})
            continue
        program = posixpath.basename(tokens[0])
        if program == "export":
            for token in tokens[1:]:
                if _is_assignment(token):
                    name, _, value = token.partition("=")
                    exported[name] = value
        elif program in ("uv", "uvx"):
            found.invocations.append(_parse_uv(program, tokens[1:], inline))
        elif program.startswith("python") and tokens[1:3] == ["-m", "uv"]:
            found.invocations.append(_parse_uv("uv", tokens[3:], inline))
        elif program == "rm" and any(t.startswith("-") and "r" in t.lower() for t in tokens):
            found.removed_paths.extend(t for t in tokens[1:] if not t.startswith("-"))
    return found
