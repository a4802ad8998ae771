"""Run a short external command (uv's queries, the docker CLI) with a hard timeout.

`subprocess.run(timeout=...)` kills only the direct child; `docker buildx` (and any wrapper
script given as `--uv`) runs a grandchild that keeps the pipes open, so a timed-out call could
still hang. Each command gets its own session and the whole process group is killed on timeout.
Long-running uv actions use `uvproc.run_uv_group` instead (streaming, cancellable).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True)
class CommandResult:
    """What a finished command printed, decoded leniently."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


class CommandTimeout(Exception):
    """The command did not finish within its timeout and was killed."""

    def __init__(self, args: Sequence[str], timeout: float) -> None:
        super().__init__(f"`{' '.join(args)}` did not answer within {timeout:g}s")
        self.timeout = timeout


class CommandNotFound(Exception):
    """The executable could not be started (missing, not executable, not a program)."""

    def __init__(self, program: str, reason: str) -> None:
        super().__init__(f"{program}: {reason}")
        self.reason = reason


def run_command(
    args: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str],
    cwd: str | None = None,
) -> CommandResult:
    """Run `args`, kill its whole process group after `timeout` seconds."""
    with commands_started([args], env=env, cwd=cwd) as (command,):
        return command.result(timeout)


OUTPUT_GRACE = 1.0
"""Seconds to read what a command that has exited printed, whatever its timeout left."""


class StartedCommand:
    """One command of `commands_started`, running until its `result` is read."""

    def __init__(
        self,
        args: Sequence[str],
        proc: subprocess.Popen[bytes] | None,
        error: CommandNotFound | None = None,
    ) -> None:
        self.args = tuple(args)
        self._proc = proc
        self._error = error
        self._started = time.monotonic()

    def result(self, timeout: float) -> CommandResult:
        """What it printed once it exited; CommandNotFound when it could not start,
        CommandTimeout (its group killed) when it ran `timeout` seconds from its start."""
        if self._error is not None or self._proc is None:
            raise self._error or CommandNotFound(self.args[0], "not started")
        proc = self._proc
        left = self._started + timeout - time.monotonic()
        if proc.poll() is not None:  # it has answered: only its output is left to read
            left = max(left, OUTPUT_GRACE)
        try:
            out, err = proc.communicate(timeout=max(0.0, left))
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise CommandTimeout(self.args, timeout) from None
        except BaseException:
            _kill_group(proc)
            raise
        return CommandResult(
            args=self.args,
            returncode=proc.returncode,
            stdout=out.decode("utf-8", "replace"),
            stderr=err.decode("utf-8", "replace"),
        )

    def stop(self) -> None:
        """Kill it and all it started, unless its result was read."""
        if self._proc is not None and self._proc.returncode is None:
            _kill_group(self._proc)


@contextmanager
def commands_started(
    commands: Sequence[Sequence[str]], *, env: Mapping[str, str], cwd: str | None = None
) -> Iterator[list[StartedCommand]]:
    """Every command started at once, each in its own session, so several short queries
    (uv's dirs) take the time of the longest, not of all; their results are read in any
    order, and those not read when the block ends are killed."""
    started: list[StartedCommand] = []
    try:
        for args in commands:
            try:
                started.append(StartedCommand(args, start_in_session(args, env=env, cwd=cwd)))
            except CommandNotFound as exc:
                started.append(StartedCommand(args, None, exc))
        yield started
    finally:
        for command in started:
            command.stop()


def start_in_session(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str | None = None,
    stdin: int | None = subprocess.DEVNULL,
    stderr: int | IO[bytes] | None = subprocess.PIPE,
) -> subprocess.Popen[bytes]:
    """Start `args` in its own session (so `kill_group` stops all it starts), stdout piped;
    CommandNotFound when it cannot start."""
    try:
        return subprocess.Popen(
            list(args),
            cwd=cwd,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=dict(env),
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise CommandNotFound(args[0], "not found") from exc
    except OSError as exc:
        raise CommandNotFound(args[0], exc.strerror or str(exc)) from exc


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the command's whole process group (the command alone if that fails)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the command and everything it started, then reap it."""
    kill_group(proc)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    proc.wait()
