"""The serial walk: the whole tree in this process, depth first (the reference result).

`scan()` uses it where forking is unsafe (the TUI scans in worker threads), and the
parallel walk falls back to it when a split walk cannot give the same result.
"""

from __future__ import annotations

import os
import time

from uvcache_tui.core.model import ProblemLog, ScanProgress
from uvcache_tui.core.scan.links import LinkTable, finish
from uvcache_tui.core.scan.node import DirNode
from uvcache_tui.core.scan.tree import ScanResult, ScanStats
from uvcache_tui.core.scan.walk import (
    CancelCheck,
    ProgressCallback,
    WalkState,
    problem_for,
    walk_dirs,
)


def scan_serial(
    root: str,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
    progress_interval: float = 0.1,
    stats: ScanStats | None = None,
) -> ScanResult:
    """Walk `root` in this process. Never follows symlinks; survives anything the
    filesystem throws at it. `stats`: carried over from a parallel walk that fell back."""
    started = time.monotonic()
    root_path = os.path.abspath(root)
    problems = ProblemLog()
    top = DirNode("", None)
    links = LinkTable()
    state = WalkState()
    was_cancelled = _walk(
        root_path, top, links, problems, state, progress, cancelled, progress_interval
    )
    result = ScanResult(root_path, top, problems, cancelled=was_cancelled)
    result.stats = stats if stats is not None else ScanStats()
    result.stats.walked_s = time.monotonic() - started
    result.shared_inodes = finish(top, links, state.ints)
    result.elapsed = time.monotonic() - started
    return result


def _walk(
    root_path: str,
    root: DirNode,
    links: LinkTable,
    problems: ProblemLog,
    state: WalkState,
    progress: ProgressCallback | None,
    cancelled: CancelCheck | None,
    interval: float,
) -> bool:
    """Walk the whole tree from the root (see `walk_dirs`); True if cancelled."""
    try:
        root_stat = os.lstat(root_path)
    except OSError as exc:
        problems.add(problem_for(exc, root_path))
        root.complete = False
        return False
    root.own_alloc = root_stat.st_blocks * 512
    root.own_apparent = root_stat.st_size
    state.total_alloc = root.own_alloc
    stack: list[tuple[str, DirNode]] = [(root_path, root)]
    # Directory identities, for loop detection (bind mounts): st_ino on the root's device.
    visited_dirs: set[object] = {root_stat.st_ino}
    if walk_dirs(
        stack,
        stack,
        root_stat.st_dev,
        visited_dirs,
        links,
        problems,
        state,
        progress,
        cancelled,
        interval,
    ):
        return True
    if progress is not None:
        progress(ScanProgress(state.entries, state.total_alloc, root_path, state.dirs_done))
    return False
