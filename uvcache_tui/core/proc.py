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
from collections.abc import Mapping, Sequence
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
    proc = start_in_session(args, env=env, cwd=cwd)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise CommandTimeout(args, timeout) from None
    except BaseException:
        _kill_group(proc)
        raise
    return CommandResult(
        args=tuple(args),
        returncode=proc.returncode,
        stdout=out.decode("utf-8", "replace"),
        stderr=err.decode("utf-8", "replace"),
    )


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
