"""Running a uv binary: bounded time, no colour, answers parsed into plain values."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

VERSION_TIMEOUT = 10.0
"""Seconds `uv --version` may take; a binary that hangs is not a usable uv."""

_VERSION_LINE = re.compile(r"uv (\d+\.\d+\.\d+\S*)")


class UvError(Exception):
    """uv could not be run, timed out, or answered with an error."""


def parse_uv_version(output: str) -> str | None:
    """`0.13.9` from `uv 0.13.9 (…)`; None when the first line is not a uv version."""
    lines = output.strip().splitlines()
    match = _VERSION_LINE.match(lines[0]) if lines else None
    return match.group(1) if match else None


def _kill_group(process: subprocess.Popen[str]) -> None:
    """Kill the process and everything it started (it leads its own session), then reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    process.wait()


@dataclass(frozen=True)
class UvResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


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
    ) -> UvResult:
        env = dict(self.env if self.env is not None else os.environ)
        env.pop("UV_NO_PROGRESS", None)
        env["NO_COLOR"] = "1"
        if extra_env:
            env.update(extra_env)
        command = [self.path, *args]
        try:
            # Its own session, so a timeout kills whatever it started too: a child left
            # holding the pipes would otherwise keep us waiting past the timeout.
            process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                start_new_session=True,
            )
        except OSError as exc:
            raise UvError(f"cannot run {self.path}: {exc.strerror or exc}") from exc
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            _kill_group(process)
            raise UvError(f"`{' '.join(command)}` did not answer within {timeout:g}s") from exc
        except BaseException:
            _kill_group(process)
            raise
        return UvResult(tuple(args), process.returncode, stdout, stderr)

    def _ask_path(self, args: Sequence[str]) -> str:
        result = self.run([*args, "--color", "never"])
        if result.returncode != 0:
            message = result.stderr.strip().splitlines()[-1:] or ["no output"]
            raise UvError(f"`uv {' '.join(args)}` failed: {message[0]}")
        answer = result.stdout.strip()
        if not answer:
            raise UvError(f"`uv {' '.join(args)}` printed nothing")
        base = self.cwd or os.getcwd()
        return os.path.normpath(os.path.join(base, answer))

    def version(self) -> str:
        """`0.13.9` from `uv 0.13.9 (…)`; UvError unless the answer is a uv version."""
        result = self.run(["--version"], timeout=VERSION_TIMEOUT)
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

    def cache_dir(self) -> str:
        return self._ask_path(["cache", "dir"])

    def python_dir(self) -> str:
        return self._ask_path(["python", "dir"])

    def tool_dir(self) -> str:
        return self._ask_path(["tool", "dir"])
