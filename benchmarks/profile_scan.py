"""Where `uvcache-tui show --json` spends its time and memory, phase by phase, in-process.

    uv run python benchmarks/profile_scan.py /tmp/uvcache-tui-bench/cache
    uv run python benchmarks/profile_scan.py CACHE --workers 1         # single process
    uv run python benchmarks/profile_scan.py CACHE --cprofile 25      # top 25 functions
    uv run python benchmarks/profile_scan.py CACHE --tracemalloc      # Python-heap peaks
    uv run python benchmarks/profile_scan.py CACHE --gc               # collector on

Phases, as `show --json` runs them (`load_cache`): the scan, on worker processes by default
(`scan()`'s parallel walk, with the link prefetch of `build_model` in a thread meanwhile;
its figures from `ScanResult.stats`: the top levels listed here, the fork, the walk, each
worker's CPU time and peak RSS), or in this process with `--workers 1` (the serial walk);
walk (until every directory is listed), finish (`links.finish`: subtree sums and
multi-link inodes), build_model (packages, links, archives), cache_json (every package's
contents read; the document's long lists are made while it is written), json dump (as
`show --json` writes it to a pipe). The garbage collector is paused, as `show` pauses it,
unless --gc. Peak RSS is this process's high-water mark after
each phase (ru_maxrss), so it only grows; the workers' come from the workers themselves
(their RSS includes the pages they share with this process; "private" does not).
With --cprofile the workers' own time is not in the profile (only the waiting for them).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import os
import pstats
import resource
import sys
import time
import tracemalloc
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from uvcache_tui.cli.common import collections_paused, write_compact_json  # noqa: E402
from uvcache_tui.core import cache as cache_module  # noqa: E402
from uvcache_tui.core.buckets import table_for  # noqa: E402
from uvcache_tui.core.report import cache_json_lazy  # noqa: E402
from uvcache_tui.core.scan import parallel, scan, serial  # noqa: E402


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(cache: str, use_tracemalloc: bool, workers: int | None) -> dict[str, Any]:
    phases: dict[str, Any] = {}
    table = table_for("0.13.9")
    timings: dict[str, float] = {}
    original_finish = serial.finish

    def timed_finish(*args: Any) -> Any:
        # Called by either walk once every directory is listed: the walk's end.
        started = time.perf_counter()
        timings["walk_rss"] = _rss_mib()
        if use_tracemalloc:
            timings["walk_traced_peak"] = tracemalloc.get_traced_memory()[1] / 2**20
        try:
            return original_finish(*args)
        finally:
            timings["finish"] = time.perf_counter() - started

    serial.finish = timed_finish
    parallel.finish = timed_finish
    if use_tracemalloc:
        tracemalloc.start()
    phases["start_rss_mib"] = _rss_mib()
    started = time.perf_counter()
    prefetch = cache_module._LinkPrefetch(os.path.abspath(cache))
    result = scan(cache, workers=workers, background=prefetch.run)
    stats = result.stats
    phases["scan_s"] = time.perf_counter() - started
    phases["walk"] = stats.walk
    phases["walk_s"] = stats.walked_s
    phases["after_walk_rss_mib"] = timings["walk_rss"]
    phases["finish_s"] = timings["finish"]
    phases["workers"] = stats.workers
    if stats.workers:
        phases["top_levels_listed_s"] = stats.expanded_s
        phases["workers_forked_s"] = stats.forked_s
        phases["units"] = stats.units
        phases["chunks"] = stats.chunks
        for index, (user, system) in enumerate(stats.worker_cpu_s):
            phases[f"worker{index}_cpu_user_s"] = user
            phases[f"worker{index}_cpu_system_s"] = system
        for index, kib in enumerate(stats.worker_max_rss_kib):
            phases[f"worker{index}_peak_rss_mib"] = kib / 1024
        for index, kib in enumerate(stats.worker_private_kib):
            phases[f"worker{index}_private_mib"] = kib / 1024
    if stats.fallback is not None:
        phases["fallback"] = stats.fallback
    phases["after_scan_rss_mib"] = _rss_mib()
    mark = time.perf_counter()
    model = cache_module._build_model(result, table, prefetch)
    phases["build_model_s"] = time.perf_counter() - mark
    phases["after_model_rss_mib"] = _rss_mib()
    mark = time.perf_counter()
    document = cache_json_lazy(model)  # reads every package's contents first
    phases["cache_json_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    write_compact_json(document, io.StringIO())  # as `show --json` writes to a pipe
    phases["json_dump_s"] = time.perf_counter() - mark
    phases["total_s"] = time.perf_counter() - started
    phases["peak_rss_mib"] = _rss_mib()
    if phases["workers"]:
        worker_peaks = [kib / 1024 for kib in stats.worker_max_rss_kib]
        phases["peak_rss_max_of_processes_mib"] = max(phases["peak_rss_mib"], *worker_peaks)
        phases["peak_rss_sum_of_processes_mib"] = phases["peak_rss_mib"] + sum(worker_peaks)
    if use_tracemalloc:
        phases["walk_traced_peak_mib"] = timings["walk_traced_peak"]
        phases["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    phases["files"] = result.root.sub_files
    phases["dirs"] = result.root.sub_dirs
    phases["shared_inodes"] = len(result.shared_inodes)
    phases["packages"] = len(model.packages)
    gc.collect()
    return phases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cache")
    parser.add_argument("--cprofile", type=int, metavar="N", help="print the top N functions")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations")
    parser.add_argument(
        "--workers", type=int, help="scan processes (default: as `show`; 1: this process only)"
    )
    parser.add_argument(
        "--gc",
        action="store_true",
        help="collect garbage as usual (`show` pauses the collector: `collections_paused`)",
    )
    args = parser.parse_args()
    paused = contextlib.nullcontext() if args.gc else collections_paused()
    with paused:
        if args.cprofile:
            profiler = cProfile.Profile()
            profiler.enable()
            phases = run(args.cache, args.tracemalloc, args.workers)
            profiler.disable()
            stats = pstats.Stats(profiler).sort_stats("tottime")
            stats.print_stats(args.cprofile)
        else:
            phases = run(args.cache, args.tracemalloc, args.workers)
    for key, value in phases.items():
        print(f"{key:<24} {value:.3f}" if isinstance(value, float) else f"{key:<24} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
