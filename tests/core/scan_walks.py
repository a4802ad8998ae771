"""The scanner's two walks, for tests that must hold for both (the `walk` fixture of
tests/core/conftest.py is parametrized over `WALKS`).

`Walk(name).scan(root)` is `scan()` forced onto one walk (serial: one process; parallel:
two worker processes when the tree splits); it checks that this walk is the one that ran
and that no worker process outlives it.
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

WALKS = ("serial", "parallel")


@dataclass(frozen=True)
class Walk:
    name: str

    @property
    def workers(self) -> int:
        return 1 if self.name == "serial" else 2

    def scan(self, root: Path | str, **kwargs: Any) -> ScanResult:
        result = scan(str(root), workers=self.workers, **kwargs)
        assert result.stats.walk == self.name, result.stats
        assert multiprocessing.active_children() == []
        return result

    def run_as_nobody(self, code: str, root: Path) -> str:
        """Run `code` as `nobody` (the caller is root) with argv [root, this walk's workers];
        its stdout."""
        open_for_others(root)
        open_for_others(REPO)
        out = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable]
            + ["-c", code, str(root), str(self.workers)],
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
