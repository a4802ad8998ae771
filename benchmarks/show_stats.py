"""Run `uvcache-tui show CACHE --json` in-process and report each process's peak memory.

    python benchmarks/show_stats.py STATS_FILE [uvcache-tui arguments...]

GNU time's `%M` is the largest peak RSS of the process tree (the parent or one of the
scan's worker processes), not their sum. This runs the same CLI entry point, then writes
JSON to STATS_FILE: the parent's own peak RSS (`RUSAGE_SELF`), each worker's (reported by
the worker itself), each worker's private memory at its end (smaps_rollup: pages it wrote
or allocated, not those it still shares with the parent) and the largest of any
waited-for child (`RUSAGE_CHILDREN`), in KiB. A forked worker's RSS includes the pages it
shares with the parent, so the sum of peak RSS over-counts. Works with checkouts that have no parallel walker (the workers list is empty).
Used by bench_scan.py for one extra run per tree; not part of the timed runs.
"""

from __future__ import annotations

import contextlib
import json
import resource
import sys
from typing import Any


def main() -> int:
    stats_file = sys.argv[1]
    from uvcache_tui.cli import main as cli_main

    code = cli_main(sys.argv[2:])
    sys.stdout.flush()
    stats: dict[str, Any] = {
        "parent_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "largest_child_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "workers_kib": [],
    }
    with contextlib.suppress(ImportError):
        from uvcache_tui.core import parallel_scan

        stats["workers_kib"] = parallel_scan.last_stats.get("worker_max_rss_kib", [])
        stats["workers_private_kib"] = parallel_scan.last_stats.get("worker_private_kib", [])
        stats["scan"] = {
            key: value
            for key, value in parallel_scan.last_stats.items()
            if key in ("workers", "units", "chunks", "fallback", "worker_cpu_s")
        }
    with open(stats_file, "w", encoding="utf-8") as handle:
        json.dump(stats, handle)
    return code


if __name__ == "__main__":
    sys.exit(main())
