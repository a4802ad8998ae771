"""Where the time `show`'s full listing adds goes, phase by phase (a companion to
`bench_contents.py`, whose wall figure is a difference of two whole scans).

    uv run python benchmarks/contents_phases.py /tmp/uvb-750k/cache --repeat 5
    uv run python benchmarks/contents_phases.py CACHE --source /tmp/base-main   # another checkout

Runs `load_cache` then `Contents.read_all`, without and with the records (`read_records`),
in turn in this process (collector paused, as `show`), and prints the medians of: the walk
(`ScanResult.stats.walked_s`), the scan (to `scan()`'s return: the walk, then the subtree
sums), after the scan (building the model, the package sizes, the contents' set-up: where
the records' child of 2026-12-02 runs, on the core the workers left, and where its result is
taken over), the joins (`read_all`), and, where the checkout has `ReadAheadChild`: the fork,
taking the child's result over (wall and this process's CPU: more wall than CPU is waiting
for the child) and the child's CPU. The walk and the scan should not grow with the records
(nothing of them runs during the walk any more); what does is after the scan and the joins.
Wall times move with the machine's load (printed: `os.getloadavg`).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cache")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--source", default=HERE, help="the checkout whose uvcache_tui runs")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.abspath(args.source))
    import uvcache_tui
    import uvcache_tui.core.cache as cache_module
    from uvcache_tui.core.buckets import table_for

    assert uvcache_tui.__file__ and uvcache_tui.__file__.startswith(os.path.abspath(args.source))
    times: dict[str, float] = {}
    started = [0.0]
    scan = getattr(cache_module, "scan")  # noqa: B009 (not exported)

    def timed_scan(*a: Any, **k: Any) -> Any:
        result = scan(*a, **k)
        times["scan"] = time.perf_counter() - started[0]
        return result

    setattr(cache_module, "scan", timed_scan)  # noqa: B010
    try:
        from uvcache_tui.core.contents.ahead import ReadAheadChild
    except ImportError:
        pass
    else:
        start, result = ReadAheadChild.__init__, ReadAheadChild.result

        def timed_start(self: Any, *a: Any, **k: Any) -> None:
            began = time.perf_counter()
            start(self, *a, **k)
            times["fork"] = time.perf_counter() - began

        def timed_result(self: Any) -> Any:
            began, cpu = time.perf_counter(), time.thread_time()
            found = result(self)
            times["take_over"] = time.perf_counter() - began
            times["take_over_cpu"] = time.thread_time() - cpu
            times["child_cpu"] = found.cpu_s
            return found

        setattr(ReadAheadChild, "__init__", timed_start)  # noqa: B010
        setattr(ReadAheadChild, "result", timed_result)  # noqa: B010
    table = table_for("0.13.9")
    rows: dict[bool, list[dict[str, float]]] = {False: [], True: []}
    loads = []
    cache_module.load_cache(args.cache, table, read_records=True)  # warm-up
    for _ in range(args.repeat):
        for read_records in (False, True):
            gc.collect()
            gc.disable()
            times.clear()
            started[0] = time.perf_counter()
            model = cache_module.load_cache(args.cache, table, read_records=read_records)
            loaded = time.perf_counter()
            model.compute_contents().read_all()
            done = time.perf_counter()
            gc.enable()
            scanned = times.pop("scan")
            rows[read_records].append(
                {
                    "walk": model.scan.stats.walked_s or 0.0,
                    "scan": scanned,
                    "after the scan": loaded - started[0] - scanned,
                    "joins": done - loaded,
                    "total": done - started[0],
                    **times,
                }
            )
            loads.append(os.getloadavg()[0])
    print(f"{args.cache}, {args.repeat} runs each, load {min(loads):.1f}-{max(loads):.1f}")
    print(f"source {args.source}; medians, seconds")
    for read_records, found in rows.items():
        label = "with the records" if read_records else "model only"
        keys = [key for key in found[0] if all(key in row for row in found)]
        cells = [f"{key} {statistics.median(row[key] for row in found):.3f}" for key in keys]
        print(f"  {label:<17} " + ", ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
