"""The scanner's two walks, for tests that must hold for both (the `walk` fixture of
tests/core/conftest.py is parametrized over `WALKS`).

`Walk(name).scan(root)` is `scan()` forced onto one walk (serial: one process; parallel:
two worker processes when the tree splits) and checks that this walk is the one that ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        return result
