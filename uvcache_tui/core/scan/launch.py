"""Starting the parallel walk's workers: forked, or as fresh interpreters.

Forking copies only the calling thread, so it is used only from a single-threaded process
(the CLI). From a threaded one (the TUI scans in worker threads), each worker is a new
interpreter running `python -m uvcache_tui.core.scan.worker` — not multiprocessing's spawn
or fork server, which re-import the caller's `__main__` in the child (a console script, a
test runner). Both kinds get the same plain values and talk over the same `Connection`s,
and report progress in one shared memory block (`worker.SLOT` per worker).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Protocol

import uvcache_tui
from uvcache_tui.core.scan.worker import SLOT, UnitSpec, worker_main

FORK = "fork"
EXEC = "exec"
START_METHODS = (FORK, EXEC)


class WorkerProcess(Protocol):
    """What the parent does with a worker: the part of multiprocessing's Process it uses."""

    def terminate(self) -> None: ...
    def kill(self) -> None: ...
    def join(self, timeout: float | None = None) -> None: ...
    def is_alive(self) -> bool: ...


@dataclass
class Workers:
    """Started workers: each one's process and the parent's end of its connection."""

    processes: list[WorkerProcess] = field(default_factory=list)
    conns: list[Connection] = field(default_factory=list)
    shared: Any = None
    """The progress slots, readable with `SLOT.unpack_from`."""
    _memfd: int = -1

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        if isinstance(self.shared, mmap.mmap):
            self.shared.close()
        self.shared = None
        if self._memfd >= 0:
            os.close(self._memfd)
            self._memfd = -1


class _ExecWorker:
    """A worker interpreter, with Process's names for what the parent needs."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self.popen = popen

    def terminate(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()

    def join(self, timeout: float | None = None) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout)

    def is_alive(self) -> bool:
        return self.popen.poll() is None


def start_workers(
    method: str,
    count: int,
    units: list[UnitSpec],
    root_dev: int,
    base_visited: set[object],
    workers: Workers,
) -> None:
    """Start `count` workers into `workers` (filled as they start, so the caller can stop
    the ones that did when a later one fails: OSError, EOFError)."""
    size = SLOT.size * count
    if method == FORK:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        workers.shared = context.RawArray("b", size)
        for slot in range(count):
            parent_end, child_end = context.Pipe()
            workers.conns.append(parent_end)
            process = context.Process(
                target=worker_main,
                args=(child_end, slot, workers.shared, units, root_dev, base_visited),
                daemon=True,
            )
            try:
                process.start()
            finally:
                child_end.close()
            workers.processes.append(process)
        return
    if method != EXEC:
        raise ValueError(f"unknown start method {method!r} (one of {START_METHODS})")
    workers._memfd = os.memfd_create("uvcache-tui-scan-progress", os.MFD_CLOEXEC)
    os.ftruncate(workers._memfd, size)
    workers.shared = mmap.mmap(workers._memfd, size)
    # One pickle for every worker: the units are the bulk of what each one is sent.
    payload = pickle.dumps((units, root_dev, base_visited), protocol=pickle.HIGHEST_PROTOCOL)
    for slot in range(count):
        parent_sock, child_sock = socket.socketpair()
        parent_end = Connection(parent_sock.detach())
        workers.conns.append(parent_end)
        child_fd = child_sock.detach()
        try:
            popen = subprocess.Popen(
                _worker_command(child_fd, workers._memfd, size, slot),
                pass_fds=(child_fd, workers._memfd),
                stdin=subprocess.DEVNULL,
                env=_worker_env(),
                close_fds=True,
            )
        finally:
            os.close(child_fd)
        workers.processes.append(_ExecWorker(popen))
        parent_end.send_bytes(payload)


def _worker_command(conn_fd: int, memfd: int, size: int, slot: int) -> Sequence[str]:
    return [
        sys.executable,
        "-I",  # no user site, no PYTHON* variables, no current directory on the path
        "-c",
        "import sys; sys.path[:0] = [sys.argv[1]]; "
        "from uvcache_tui.core.scan.worker import exec_main; exec_main(sys.argv[2:])",
        _package_parent(),
        str(conn_fd),
        str(memfd),
        str(size),
        str(slot),
    ]


def _package_parent() -> str:
    """The directory holding the `uvcache_tui` package this process runs (a checkout too)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(uvcache_tui.__file__)))


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONSTARTUP", None)
    return env
