"""Where `uvcache-tui show --json` spends its time and memory, phase by phase, in-process.

    uv run python benchmarks/profile_scan.py /tmp/uvcache-tui-bench/cache
    uv run python benchmarks/profile_scan.py CACHE --cprofile 25      # top 25 functions
    uv run python benchmarks/profile_scan.py CACHE --tracemalloc      # Python-heap peaks

Phases: walk (Scanner._walk), finish (_finish: subtree sums and multi-link inodes),
build_model (packages, links, archives), cache_json (includes package_sizes), json dump.
Peak RSS is the process's high-water mark after each phase (ru_maxrss), so it only grows.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import sys
import time
import tracemalloc
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from uvcache_tui.core import scan as scan_module  # noqa: E402
from uvcache_tui.core.buckets import table_for  # noqa: E402
from uvcache_tui.core.cache import build_model  # noqa: E402
from uvcache_tui.core.report import cache_json  # noqa: E402


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(cache: str, use_tracemalloc: bool) -> dict[str, Any]:
    phases: dict[str, Any] = {}
    table = table_for("0.13.9")
    timings: dict[str, float] = {}
    original_finish = scan_module._finish
    original_walk = scan_module.Scanner._walk

    def timed_walk(self: Any, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return original_walk(self, *args)
        finally:
            timings["walk"] = time.perf_counter() - started
            timings["walk_rss"] = _rss_mib()
            if use_tracemalloc:
                timings["walk_traced_peak"] = tracemalloc.get_traced_memory()[1] / 2**20

    def timed_finish(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return original_finish(*args)
        finally:
            timings["finish"] = time.perf_counter() - started

    scan_module.Scanner._walk = timed_walk  # type: ignore[method-assign]
    scan_module._finish = timed_finish
    if use_tracemalloc:
        tracemalloc.start()
    phases["start_rss_mib"] = _rss_mib()
    started = time.perf_counter()
    result = scan_module.scan(cache)
    phases["walk_s"] = timings["walk"]
    phases["finish_s"] = timings["finish"]
    phases["after_walk_rss_mib"] = timings["walk_rss"]
    phases["after_scan_rss_mib"] = _rss_mib()
    mark = time.perf_counter()
    model = build_model(result, table)
    phases["build_model_s"] = time.perf_counter() - mark
    phases["after_model_rss_mib"] = _rss_mib()
    mark = time.perf_counter()
    document = cache_json(model)
    phases["cache_json_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    json.dump(document, io.StringIO(), indent=2)
    phases["json_dump_s"] = time.perf_counter() - mark
    phases["total_s"] = time.perf_counter() - started
    phases["peak_rss_mib"] = _rss_mib()
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
    args = parser.parse_args()
    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        phases = run(args.cache, args.tracemalloc)
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats("tottime")
        stats.print_stats(args.cprofile)
    else:
        phases = run(args.cache, args.tracemalloc)
    for key, value in phases.items():
        print(f"{key:<24} {value:.3f}" if isinstance(value, float) else f"{key:<24} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
