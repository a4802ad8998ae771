"""The scanner: one pass over a tree, aggregated per directory, hardlink-aware.

`scan()` is the one entry the CLI, the TUI and `load_cache` call. Inside:

- `node`: `DirNode`, one per directory, kept small;
- `tree`: `ScanResult` and the maths on the tree (subtree sums, selections);
- `links`: the link table, inodes with more than one link, counted once;
- `walk`: listing directories, shared by both walks;
- `serial`: the walk in this process; `parallel` (with `plan` and `worker`): the same
  walk split over forked processes, giving the identical result.
"""

from __future__ import annotations

from collections.abc import Callable

from uvcache_tui.core.scan.node import DirNode
from uvcache_tui.core.scan.parallel import (
    fork_is_safe,
    scan_parallel,
    start_method,
    worker_count,
)
from uvcache_tui.core.scan.serial import scan_serial
from uvcache_tui.core.scan.tree import ScanResult, ScanStats, SharedInode
from uvcache_tui.core.scan.walk import CancelCheck, ProgressCallback

__all__ = [
    "CancelCheck",
    "DirNode",
    "ProgressCallback",
    "ScanResult",
    "ScanStats",
    "SharedInode",
    "fork_is_safe",
    "scan",
    "start_method",
]


def scan(
    root: str,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
    *,
    workers: int | None = None,
    progress_interval: float = 0.1,
    background: Callable[[], object] | None = None,
    method: str | None = None,
) -> ScanResult:
    """Scan `root` once; the same result whichever walk runs (`result.stats` says which).

    On several processes on Linux: forked from a single-threaded caller (the CLI), started
    by a fork server from a threaded one (the TUI scans in worker threads; `start_method`);
    `method` forces one. `workers`: processes (default: one per CPU, at most 4); below 2, or
    where no start method is available, the walk stays in this process.

    `progress` is called now and then from the scanning thread; `cancelled` is asked
    between directories, and a cancelled scan keeps its partial tree (`result.partial`).
    `background`: run in a thread while worker processes walk (after they are forked);
    not run at all without them.
    """
    wanted = worker_count() if workers is None else workers
    chosen = method or start_method()
    if wanted < 2 or chosen is None or (chosen == "fork" and not fork_is_safe()):
        return scan_serial(root, progress, cancelled, progress_interval)
    return scan_parallel(root, progress, cancelled, wanted, progress_interval, background, chosen)
