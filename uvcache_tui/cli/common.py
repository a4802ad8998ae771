"""The rules every command follows: exit codes, errors, the context, JSON, confirmation.

One place for each, so `prune` and `buildkit prune` cannot drift apart again (docs/cli.md).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from itertools import islice
from typing import NoReturn, TextIO, TypeAlias

from uvcache_tui.core.locate import Discovery, discover
from uvcache_tui.core.report import materialized
from uvcache_tui.core.uvbin import UvBinary, UvError

EXIT_OK = 0
EXIT_FAILED = 1
"""uv or Docker failed, or something requested was not done."""
EXIT_USAGE = 2
"""Bad input or refused, including a confirmation that was declined."""
EXIT_UV_RUNNING = 3
"""The cache lock is held: nothing was deleted."""
EXIT_OUTPUT_ERROR = 74
"""stdout could not be written (full disk, closed, I/O error): sysexits.h EX_IOERR."""
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
"""The reader of stdout went away (`| head`): 128 + SIGPIPE, what a shell reports for a
process killed by SIGPIPE."""


class UsageError(Exception):
    """Bad input or a refusal: printed as one line, exit code 2."""


class Declined(UsageError):
    """The person at the terminal did not confirm: nothing was done, exit 2 like any refusal."""


def one_line(text: str) -> str:
    """Collapse a message onto one line (uv's or argparse's may span several)."""
    return " ".join(text.split())


class Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (`uvcache-tui: … (see … --help)`), exit 2.

    Subcommand parsers are made with the same class, so every level behaves alike.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"uvcache-tui: {one_line(message)} (see {self.prog} --help)\n")


Commands: TypeAlias = "argparse._SubParsersAction[Parser]"
"""What a command family's `register()` adds its subcommands to."""


def find_uv(uv_option: str | None) -> tuple[UvBinary | None, str | None]:
    """The uv to use and, for `--uv PATH`, its version: a `--uv` that does not answer
    `uv --version` with `uv X.Y.Z` is refused (exit 2) before anything runs."""
    try:
        uv = UvBinary.find(uv_option)
        version = uv.version() if uv_option and uv is not None else None
    except UvError as exc:
        raise UsageError(str(exc)) from exc
    return uv, version


@dataclass(frozen=True)
class Context:
    """What every command receives: its arguments and the uv to use. The locations are
    discovered on first use, so `buildkit` (which talks to Docker only) never asks uv."""

    args: argparse.Namespace
    uv: UvBinary | None
    uv_version: str | None
    """The version of `--uv PATH`, checked before anything runs; None without `--uv`."""
    ends_process: bool = False
    """The process ends with this command (`run`, the program's entry), rather than `main`
    being called as a function: what the command leaves in memory is left to the exit."""

    @classmethod
    def from_args(cls, args: argparse.Namespace, ends_process: bool = False) -> Context:
        uv, version = find_uv(args.uv)
        return cls(args, uv, version, ends_process)

    @cached_property
    def discovery(self) -> Discovery:
        return discover(
            self.uv,
            extra_caches=self.args.cache_dir,
            find_roots=self.args.find,
            uv_version=self.uv_version or self.__dict__.get("found_uv_version"),
        )

    @cached_property
    def found_uv_version(self) -> str | None:
        """`discovery.uv_version` (None when uv cannot say), without asking uv where its
        dirs are when only its version is needed (`show PATH`: the bucket table)."""
        if self.uv_version is not None:
            return self.uv_version
        if self.uv is None or "discovery" in self.__dict__:
            return self.discovery.uv_version
        try:
            return self.uv.version()
        except UvError:
            return None


Command = Callable[[Context], int]


@contextmanager
def collections_paused(ends_process: bool = False) -> Iterator[None]:
    """No garbage collection while a read-only command scans and prints (`ls`, `show`):
    what it builds stays alive until it has printed (a scan's tree, its model), so a
    collection finds nothing, yet each one walks all of it (~0.3 s at 750k files, the
    scan's workers included, as they are forked meanwhile). As it was before, after.

    Collecting what it built once it is garbage walks it all once more; `ends_process`:
    the process ends next (`Context.ends_process`), so it is frozen instead, never walked
    again, not even by the interpreter's last collection, and freed with the process."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if ends_process:
            gc.freeze()
        if collecting:
            gc.enable()


def print_json(document: object) -> None:
    """Every `--json` document: indented for a person at a terminal, compact (and much
    faster to encode) in a pipe; pure ASCII, as docs/json.md describes. A document's
    top-level value may be an iterator (`report.cache_json_lazy`): it is written as a list."""
    if sys.stdout.isatty():
        if isinstance(document, dict):
            document = materialized(document)
        json.dump(document, sys.stdout, indent=2)
    else:
        write_compact_json(document, sys.stdout)
    sys.stdout.write("\n")


JSON_WRITE_SIZE = 1 << 16
"""Characters gathered before each write of a compact document."""
JSON_BATCH = 256
"""Items of a top-level list encoded together (one call of the encoder each)."""


def write_compact_json(document: object, out: TextIO) -> None:
    """The text of `json.dumps(document)`, written in pieces: each top-level value of a
    dict, and each batch of items of a top-level list or iterator, is encoded by itself.

    `json.dump` to a stream runs json's pure-Python encoder, call by call (~5x slower than
    its C encoder at 750k files); `json.dumps` of the whole runs the C one but holds the
    whole text, and the whole document, in memory at once. A piece holds neither."""
    if not (isinstance(document, dict) and all(isinstance(key, str) for key in document)):
        out.write(json.dumps(document))
        return
    pieces: list[str] = []
    gathered = 0

    def put(text: str) -> None:
        nonlocal gathered
        pieces.append(text)
        gathered += len(text)
        if gathered >= JSON_WRITE_SIZE:
            out.write("".join(pieces))
            pieces.clear()
            gathered = 0

    put("{")
    for index, (key, value) in enumerate(document.items()):
        put(f"{', ' if index else ''}{json.dumps(key)}: ")
        if isinstance(value, (list, tuple, Iterator)):
            items = iter(value)
            put("[")
            separator = ""
            while batch := list(islice(items, JSON_BATCH)):
                put(separator + json.dumps(batch)[1:-1])  # the items, joined by ", "
                separator = ", "
            put("]")
        else:
            put(json.dumps(value))
    put("}")
    out.write("".join(pieces))


def print_lines(lines: Collection[str], out: TextIO | None = None) -> None:
    """Text lines, each ending in a newline (stdout unless told)."""
    (out or sys.stdout).write("\n".join(lines) + "\n")


def check_can_confirm(yes: bool) -> None:
    """Without `--yes` a person must confirm: with no terminal on stdin (a script, CI) the
    command refuses before it does anything."""
    if not yes and not sys.stdin.isatty():
        raise UsageError(
            "refusing to delete without a terminal to confirm on; pass --yes "
            "(or --dry-run to preview)"
        )


def confirm(question: str, answers: Collection[str] = ("y", "yes")) -> None:
    """Ask on stderr (stdout is the output, perhaps a JSON document or a file) and read one
    line from stdin; anything but one of `answers` raises Declined."""
    sys.stderr.write(f"{question} ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in answers:
        raise Declined("declined: nothing was deleted")


class OutputError(Exception):
    """Writing stdout failed; carries the OSError (not one itself, so nothing swallows it)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class GuardedStdout:
    """sys.stdout, with write/flush failures raised as OutputError: only those are output
    failures, every other OSError keeps its traceback."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise OutputError(exc) from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise OutputError(exc) from exc

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's final flush cannot fail again
    (Python's recipe for SIGPIPE, docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
    except (OSError, ValueError):
        pass
