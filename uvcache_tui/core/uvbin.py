"""Running a uv binary: bounded time, no colour, answers parsed into plain values."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from uvcache_tui.core.proc import (
    CommandNotFound,
    CommandResult,
    CommandTimeout,
    StartedCommand,
    commands_started,
)

VERSION_TIMEOUT = 10.0
"""Seconds `uv --version` may take; a binary that hangs is not a usable uv."""

VERSION_QUERY: tuple[str, ...] = ("--version",)
CACHE_DIR: tuple[str, ...] = ("cache", "dir")
PYTHON_DIR: tuple[str, ...] = ("python", "dir")
TOOL_DIR: tuple[str, ...] = ("tool", "dir")
"""uv's dirs, each asked with `path_query`."""

_VERSION_LINE = re.compile(r"uv (\d+\.\d+\.\d+\S*)")


class UvError(Exception):
    """uv could not be run, timed out, or answered with an error."""


def parse_uv_version(output: str) -> str | None:
    """`0.13.9` from `uv 0.13.9 (…)`; None when the first line is not a uv version."""
    lines = output.strip().splitlines()
    match = _VERSION_LINE.match(lines[0]) if lines else None
    return match.group(1) if match else None


@dataclass(frozen=True)
class UvBinary:
    """One uv executable and the environment/cwd it is run with."""

    path: str
    cwd: str | None = None
    env: Mapping[str, str] | None = None

    @classmethod
    def find(
        cls, explicit: str | None = None, env: Mapping[str, str] | None = None
    ) -> UvBinary | None:
        """The uv the user asked for (`--uv PATH`), else the one on PATH, else None."""
        if explicit:
            if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
                raise UvError(f"--uv {explicit}: not an executable file")
            return cls(os.path.abspath(explicit), env=env)
        search_path = (env or os.environ).get("PATH")
        found = shutil.which("uv", path=search_path)
        return cls(found, env=env) if found else None

    def run(
        self, args: Sequence[str], timeout: float = 30.0, extra_env: Mapping[str, str] | None = None
    ) -> CommandResult:
        with self.started([args], extra_env) as (command,):
            return self.answer(command, timeout)

    @contextmanager
    def started(
        self, queries: Sequence[Sequence[str]], extra_env: Mapping[str, str] | None = None
    ) -> Iterator[list[StartedCommand]]:
        """uv started once per query, all at once (`proc.commands_started`): read each with
        `answer`; those not read when the block ends are killed."""
        env = dict(self.env if self.env is not None else os.environ)
        env.pop("UV_NO_PROGRESS", None)
        env["NO_COLOR"] = "1"
        if extra_env:
            env.update(extra_env)
        commands = [[self.path, *args] for args in queries]
        with commands_started(commands, env=env, cwd=self.cwd) as started:
            yield started

    def answer(self, command: StartedCommand, timeout: float = 30.0) -> CommandResult:
        """A started query's result; UvError when uv could not run or did not answer."""
        try:
            result = command.result(timeout)
        except CommandNotFound as exc:
            raise UvError(f"cannot run {self.path}: {exc.reason}") from exc
        except CommandTimeout as exc:
            raise UvError(str(exc)) from exc
        # Callers read the arguments they passed, without the binary's path.
        return CommandResult(command.args[1:], result.returncode, result.stdout, result.stderr)

    def _ask_path(self, args: Sequence[str], started: StartedCommand | None = None) -> str:
        result = self.run(path_query(args)) if started is None else self.answer(started)
        if result.returncode != 0:
            message = result.stderr.strip().splitlines()[-1:] or ["no output"]
            raise UvError(f"`uv {' '.join(args)}` failed: {message[0]}")
        answer = result.stdout.strip()
        if not answer:
            raise UvError(f"`uv {' '.join(args)}` printed nothing")
        base = self.cwd or os.getcwd()
        return os.path.normpath(os.path.join(base, answer))

    def version(self, started: StartedCommand | None = None) -> str:
        """`0.13.9` from `uv 0.13.9 (…)`; UvError unless the answer is a uv version.
        `started`: the `VERSION_QUERY` already started (`started`)."""
        if started is None:
            result = self.run(VERSION_QUERY, timeout=VERSION_TIMEOUT)
        else:
            result = self.answer(started, timeout=VERSION_TIMEOUT)
        if result.returncode != 0:
            last = result.stderr.strip().splitlines()[-1:] or ["no output"]
            raise UvError(
                f"`{self.path} --version` failed (exit {result.returncode}): {last[0][:200]}"
            )
        version = parse_uv_version(result.stdout)
        if version is None:
            first = (result.stdout.strip().splitlines() or [""])[0]
            raise UvError(
                f"{self.path} is not uv: `--version` printed {first[:80]!r}, not `uv X.Y.Z`"
            )
        return version

    def cache_dir(self, started: StartedCommand | None = None) -> str:
        return self._ask_path(CACHE_DIR, started)

    def python_dir(self, started: StartedCommand | None = None) -> str:
        return self._ask_path(PYTHON_DIR, started)

    def tool_dir(self, started: StartedCommand | None = None) -> str:
        return self._ask_path(TOOL_DIR, started)


def path_query(args: Sequence[str]) -> tuple[str, ...]:
    """The arguments that ask uv for one of its dirs (`CACHE_DIR`, …), as started."""
    return (*args, "--color", "never")
