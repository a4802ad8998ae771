"""Run `uvcache-tui show CACHE --json` in-process and report each process's peak memory.

    python benchmarks/show_stats.py STATS_FILE [uvcache-tui arguments...]

GNU time's `%M` is the largest peak RSS of the process tree (the parent or one of the
scan's worker processes), not their sum. This runs the same CLI entry point, then writes
JSON to STATS_FILE: the parent's own peak RSS (`RUSAGE_SELF`), each worker's (reported by
the worker itself), each worker's private memory at its end (smaps_rollup: pages it wrote
or allocated, not those it still shares with the parent) and the largest of any
waited-for child (`RUSAGE_CHILDREN`), in KiB. A forked worker's RSS includes the pages it
shares with the parent, so the sum of peak RSS over-counts. The scan's figures come from
the `ScanResult.stats` of the scan `load_cache` runs; with checkouts whose scan has no
stats the workers list is empty.
Used by bench_scan.py for one extra run per tree; not part of the timed runs.
"""

from __future__ import annotations

import dataclasses
import json
import resource
import sys
from typing import Any


def main() -> int:
    stats_file = sys.argv[1]
    from uvcache_tui.cli import main as cli_main
    from uvcache_tui.core import cache

    scans: list[Any] = []
    scan = cache.scan

    def recorded_scan(*args: Any, **kwargs: Any) -> Any:
        result = scan(*args, **kwargs)
        scans.append(getattr(result, "stats", None))
        return result

    cache.scan = recorded_scan  # the name load_cache calls
    code = cli_main(sys.argv[2:])
    sys.stdout.flush()
    stats: dict[str, Any] = {
        "parent_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "largest_child_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "workers_kib": [],
    }
    if scans and scans[-1] is not None:
        figures = dataclasses.asdict(scans[-1])
        stats["workers_kib"] = figures["worker_max_rss_kib"]
        stats["workers_private_kib"] = figures["worker_private_kib"]
        stats["scan"] = {
            key: figures[key]
            for key in ("workers", "units", "chunks", "fallback", "worker_cpu_s")
            if figures[key] is not None
        }
    with open(stats_file, "w", encoding="utf-8") as handle:
        json.dump(stats, handle)
    return code


if __name__ == "__main__":
    sys.exit(main())
