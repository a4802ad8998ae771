"""Plain data shared by the core, the CLI and the TUI (no behaviour beyond small helpers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class LocationKind(str, Enum):
    """What a location holds: a disposable cache, or persistent uv data."""

    CACHE = "cache"
    PYTHON = "python"
    TOOLS = "tools"

    @property
    def is_cache(self) -> bool:
        return self is LocationKind.CACHE


@dataclass(frozen=True)
class Location:
    """A directory uvcache-tui shows, and why it believes the directory is there."""

    kind: LocationKind
    path: str
    source: str
    """How it was found: `UV_CACHE_DIR`, `config (<file>)`, `default`, `--cache-dir`, `--find <root>`."""
    active: bool = False
    """True for the cache the user's uv would use right now."""

    @property
    def label(self) -> str:
        if self.kind is LocationKind.CACHE:
            return "active cache" if self.active else "cache"
        return f"{self.kind.value} (data, not cache)"


@dataclass(frozen=True)
class Sizes:
    """Byte and entry counts for a selection of the cache.

    allocated: st_blocks*512, inodes counted once, directories included (what `du -sB1` says).
    apparent: st_size, inodes counted once.
    reclaimable: allocated bytes of inodes whose every link lies inside the selection,
    i.e. what deleting the selection would actually give back.
    """

    allocated: int = 0
    apparent: int = 0
    reclaimable: int = 0
    files: int = 0
    dirs: int = 0

    @property
    def kept_alive(self) -> int:
        """Bytes counted in the selection but still linked from elsewhere (venvs, tools)."""
        return self.allocated - self.reclaimable

    def to_json(self) -> dict[str, int]:
        return {
            "allocated_bytes": self.allocated,
            "apparent_bytes": self.apparent,
            "reclaimable_bytes": self.reclaimable,
            "files": self.files,
            "dirs": self.dirs,
        }


class ProblemKind(str, Enum):
    """Things a scan met and survived."""

    VANISHED = "vanished"
    PERMISSION = "permission-denied"
    NOT_UTF8 = "non-utf8-name"
    ERROR = "os-error"


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    path: str
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind.value, "path": self.path, "detail": self.detail}


@dataclass(frozen=True)
class ScanProgress:
    """A snapshot of a running scan, for progress displays."""

    entries: int
    allocated: int
    current_dir: str
    dirs_done: int = 0


@dataclass
class ProblemLog:
    """Counts every problem, keeps the first few in detail so a broken tree cannot eat memory."""

    limit: int = 200
    counts: dict[ProblemKind, int] = field(default_factory=dict)
    samples: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.counts[problem.kind] = self.counts.get(problem.kind, 0) + 1
        if len(self.samples) < self.limit:
            self.samples.append(problem)

    @property
    def total(self) -> int:
        return sum(self.counts.values())
