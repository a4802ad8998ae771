"""Run a command whose stdout is a stream to consume (a helper build's tar), bounded in time.

`core.proc.run_command` keeps stdout in memory: fine for `buildx ls`, not for a tar of a
few hundred MiB. Here stdout goes to a callable as it arrives, stderr to a temporary file
(no pipe to fill up), and a timer kills the whole process group at the deadline, so that
neither a hung build nor a consumer that stops reading can hang the caller.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Generic, TypeVar

from uvcache_tui.core.proc import kill_group, start_in_session

T = TypeVar("T")


class StreamTimeout(Exception):
    """The command ran past its deadline and was killed."""


@dataclass(frozen=True)
class StreamOutcome(Generic[T]):
    """The sink's value, the exit status and what the command printed on stderr."""

    value: T
    returncode: int
    stderr: str


def run_streaming(
    args: Sequence[str],
    *,
    stdin: bytes,
    sink: Callable[[IO[bytes]], T],
    timeout: float,
    env: Mapping[str, str],
) -> StreamOutcome[T]:
    """Run `args` with `stdin`, give its stdout to `sink`; kill it all after `timeout` s.

    If `sink` raises (a full disk while writing the export), the command is killed and
    the exception propagates.
    """
    with tempfile.TemporaryFile() as errors:
        proc = start_in_session(args, env=env, stdin=subprocess.PIPE, stderr=errors)
        fired = threading.Event()

        def expire() -> None:
            fired.set()
            kill_group(proc)

        timer = threading.Timer(timeout, expire)
        timer.daemon = True
        timer.start()
        try:
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(stdin)
                proc.stdin.close()
            except BrokenPipeError:
                pass
            value = sink(proc.stdout)
            while proc.stdout.read(1 << 16):
                pass
            proc.wait()
        except BaseException:
            kill_group(proc)
            proc.wait()
            if fired.is_set():
                raise StreamTimeout(f"killed after {timeout:g}s") from None
            raise
        finally:
            timer.cancel()
            if proc.stdout is not None:
                proc.stdout.close()
        if fired.is_set():
            raise StreamTimeout(f"killed after {timeout:g}s")
        errors.seek(0)
        text = errors.read().decode("utf-8", "replace")
    return StreamOutcome(value, proc.returncode, text)
