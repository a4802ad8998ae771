"""Run uv as a child that cannot outlive us: its own process group, stopped on request.

uv gets its own process group, so a terminal's Ctrl-C reaches uvcache-tui only and we
decide: stop uv (SIGTERM to the group, SIGKILL after a grace period), wait for it, then
measure and log. On Linux the child also asks the kernel for SIGTERM when its parent dies,
so even a killed uvcache-tui takes uv with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

GRACE_SECONDS = 5.0
"""How long uv gets to exit after SIGTERM before SIGKILL."""
_PR_SET_PDEATHSIG = 1


def _death_signal_setter() -> Callable[[], None] | None:
    """A preexec function asking for SIGTERM when the parent dies (Linux), prepared here so
    the child runs no imports between fork and exec."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def set_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return set_death_signal


@dataclass(frozen=True)
class GroupRun:
    exit_code: int
    output: str
    stopped: str | None
    """Why we stopped uv (`cancelled`, `timeout`, `interrupted`), or None if it ended itself."""
    pid: int


def stop_group(process: subprocess.Popen[str], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM to uv's whole group, SIGKILL if it is still there after `grace`; then reap."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, None)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_uv_group(
    argv: Sequence[str],
    env: dict[str, str],
    on_output: Callable[[str], None] | None,
    timeout: float,
    cancel: threading.Event | None = None,
) -> GroupRun:
    """Run `argv`, feeding each output line to `on_output`, until it ends, `cancel` is set,
    `timeout` passes, or KeyboardInterrupt arrives; uv is always reaped before returning."""
    process = subprocess.Popen(
        list(argv),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
        preexec_fn=_death_signal_setter(),
    )
    stopped: list[str] = []
    finished = threading.Event()
    deadline = time.monotonic() + timeout

    def watch() -> None:
        while not finished.is_set():
            if cancel is not None and cancel.is_set():
                stopped.append("cancelled")
                break
            if time.monotonic() >= deadline:
                stopped.append("timeout")
                break
            finished.wait(0.05)
        else:
            return
        stop_group(process)

    watcher = threading.Thread(target=watch, name="uv-watch", daemon=True)
    watcher.start()
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if on_output is not None:
                on_output(line.rstrip("\n"))
        code = process.wait()
    except KeyboardInterrupt:
        stopped.append("interrupted")
        stop_group(process)
        code = process.wait()
    except BaseException:
        stop_group(process)
        raise
    finally:
        finished.set()
        watcher.join()
        if process.stdout is not None:
            process.stdout.close()
    return GroupRun(code, "".join(lines), stopped[0] if stopped else None, process.pid)
