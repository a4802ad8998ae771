"""The scanner's walks, for tests that must hold for all (the `walk` fixture of
tests/core/conftest.py is parametrized over `WALKS`).

`Walk(name).scan(root)` is `scan()` forced onto one walk (serial: one process; parallel:
two forked worker processes when the tree splits; exec: two worker interpreters, as the
TUI starts them from its threads); it checks that this walk is the one that ran and that
no worker process outlives it.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.unprivileged import REPO, open_for_others
from uvcache_tui.core.scan import ScanResult, scan

WALKS = ("serial", "parallel", "exec")


def worker_children() -> list[int]:
    """PIDs of this process's children that run a scan worker (forked or exec'd)."""
    pids: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        try:
            pids.extend(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    found = []
    for pid in pids:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"uvcache_tui.core.scan.worker" in cmdline or b"multiprocessing" in cmdline:
            found.append(pid)
    return found


@dataclass(frozen=True)
class Walk:
    name: str

    @property
    def workers(self) -> int:
        return 1 if self.name == "serial" else 2

    @property
    def kind(self) -> str:
        """What `ScanStats.walk` says: serial, or parallel (forked or exec'd workers)."""
        return "serial" if self.name == "serial" else "parallel"

    @property
    def method(self) -> str | None:
        return {"parallel": "fork", "exec": "exec"}.get(self.name)

    def scan(self, root: Path | str, **kwargs: Any) -> ScanResult:
        result = scan(str(root), workers=self.workers, method=self.method, **kwargs)
        assert result.stats.walk == self.kind, result.stats
        if self.kind == "parallel" and not result.stats.fallback:
            assert result.stats.start_method == self.method, result.stats
        assert multiprocessing.active_children() == []
        assert worker_children() == []
        return result

    def run_as_nobody(self, code: str, root: Path) -> str:
        """Run `code` as `nobody` (the caller is root) with argv [root, this walk's workers,
        its start method or ""]; its stdout."""
        open_for_others(root)
        open_for_others(REPO)
        out = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable]
            + ["-c", code, str(root), str(self.workers), self.method or ""],
            capture_output=True,
            text=True,
            cwd=str(REPO),
            check=True,
        )
        return out.stdout


def cancel_after(calls: int) -> Callable[[], bool]:
    """A `cancelled` check that says yes from its (calls + 1)th question on."""
    asked = 0

    def cancelled() -> bool:
        nonlocal asked
        asked += 1
        return asked > calls

    return cancelled
