"""Running a uv binary: bounded time, no colour, answers parsed into plain values."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class UvError(Exception):
    """uv could not be run, timed out, or answered with an error."""


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
            completed = subprocess.run(
                command,
                cwd=self.cwd,
                env=env,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise UvError(f"`{' '.join(command)}` did not answer within {timeout:g}s") from exc
        except OSError as exc:
            raise UvError(f"cannot run {self.path}: {exc.strerror or exc}") from exc
        return UvResult(tuple(args), completed.returncode, completed.stdout, completed.stderr)

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
        """`0.13.9` from `uv 0.13.9 (…)`."""
        result = self.run(["--version"])
        if result.returncode != 0:
            raise UvError(f"`uv --version` failed: {result.stderr.strip()}")
        words = result.stdout.split()
        return words[1] if len(words) > 1 else result.stdout.strip()

    def cache_dir(self) -> str:
        return self._ask_path(["cache", "dir"])

    def python_dir(self) -> str:
        return self._ask_path(["python", "dir"])

    def tool_dir(self) -> str:
        return self._ask_path(["tool", "dir"])
