"""Run a command whose stdout is a stream to consume (a helper build's tar), bounded in time.

`core.proc.run_command` keeps stdout in memory: fine for `buildx ls`, not for a tar of a
few hundred MiB. Here stdout goes to a callable as it arrives, stderr to a temporary file
(no pipe to fill up), and a watchdog kills the whole process group at the deadline, or
earlier when the command has printed nothing at all (stdout or stderr) for `idle_timeout`
seconds: a build that hangs after a good start fails in minutes, not at the deadline.
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Generic, TypeVar

from uvcache_tui.core.proc import kill_group, start_in_session

T = TypeVar("T")

POLL_SECONDS = 0.5
"""How often the watchdog looks at the output (at most a quarter of the idle timeout)."""


class StreamCancelled(Exception):
    """The caller asked to stop (its `cancelled` said so): the command was killed."""


class StreamTimeout(Exception):
    """The command ran past its deadline, or printed nothing for too long, and was killed."""

    def __init__(self, message: str, idle: bool = False) -> None:
        super().__init__(message)
        self.idle = idle


@dataclass(frozen=True)
class StreamOutcome(Generic[T]):
    """The sink's value, the exit status and what the command printed on stderr."""

    value: T
    returncode: int
    stderr: str


class _CountingReader(io.RawIOBase):
    """The command's stdout as the sink reads it, counting the bytes (the watchdog's
    measure of progress, with the size of stderr)."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # straight from the pipe: nothing was read through `raw`'s own buffer
        data = os.read(self._raw.fileno(), len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


@dataclass
class _Watchdog:
    """Kills `proc` at `deadline`, or after `idle` seconds without new output."""

    proc: subprocess.Popen[bytes]
    stdout: _CountingReader
    stderr_fd: int
    timeout: float
    idle: float | None
    cancelled: Callable[[], bool] | None = None
    fired: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def _progress(self) -> int:
        try:
            return self.stdout.count + os.fstat(self.stderr_fd).st_size
        except OSError:
            return self.stdout.count

    def run(self) -> None:
        started = last_change = time.monotonic()
        seen = self._progress()
        poll = min(POLL_SECONDS, (self.idle or POLL_SECONDS) / 4)
        while not self._stop.wait(poll):
            now = time.monotonic()
            progress = self._progress()
            if progress != seen:
                seen, last_change = progress, now
            if self.cancelled is not None and self.cancelled():
                self.fired = "cancelled"
            elif now - started >= self.timeout:
                self.fired = "deadline"
            elif self.idle is not None and now - last_change >= self.idle:
                self.fired = "idle"
            if self.fired:
                kill_group(self.proc)
                return

    def stop(self) -> None:
        self._stop.set()

    def error(self) -> StreamTimeout | StreamCancelled:
        if self.fired == "cancelled":
            return StreamCancelled("stopped")
        if self.fired == "idle":
            return StreamTimeout(f"no output for {self.idle:g}s: killed", idle=True)
        return StreamTimeout(f"killed after {self.timeout:g}s")


def run_streaming(
    args: Sequence[str],
    *,
    stdin: bytes,
    sink: Callable[[IO[bytes]], T],
    timeout: float,
    env: Mapping[str, str],
    idle_timeout: float | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> StreamOutcome[T]:
    """Run `args` with `stdin`, give its stdout to `sink`; kill it all after `timeout` s, or
    after `idle_timeout` s in which it printed nothing (StreamTimeout, `.idle` says which),
    or as soon as `cancelled()` is true (StreamCancelled; polled twice a second).

    If `sink` raises (a full disk while writing the export), the command is killed and
    the exception propagates. A stop asked for before the start starts nothing. A command
    that ends before the watchdog saw the stop gives its result (it ran to the end): the
    caller checks its own stop after (a helper build can end in 0.3 s).
    """
    if cancelled is not None and cancelled():
        raise StreamCancelled("stopped before it started")
    with tempfile.TemporaryFile() as errors:
        proc = start_in_session(args, env=env, stdin=subprocess.PIPE, stderr=errors)
        assert proc.stdin is not None and proc.stdout is not None
        stdout = _CountingReader(proc.stdout)
        watchdog = _Watchdog(proc, stdout, errors.fileno(), timeout, idle_timeout, cancelled)
        thread = threading.Thread(target=watchdog.run, name="uvct-stream-watchdog", daemon=True)
        thread.start()
        try:
            try:
                proc.stdin.write(stdin)
                proc.stdin.close()
            except BrokenPipeError:
                pass
            reader = io.BufferedReader(stdout, 1 << 16)
            value = sink(reader)
            while reader.read(1 << 16):
                pass
            proc.wait()
        except BaseException:
            kill_group(proc)
            proc.wait()
            if watchdog.fired:
                raise watchdog.error() from None
            raise
        finally:
            watchdog.stop()
            thread.join()
            proc.stdout.close()
        if watchdog.fired:
            raise watchdog.error()
        errors.seek(0)
        text = errors.read().decode("utf-8", "replace")
    return StreamOutcome(value, proc.returncode, text)
