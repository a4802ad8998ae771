"""What listing every wheel adds to `show`'s scan: the deep-contents bar of issue 11.

Runs, in turn and `--repeat` times, on one cache (a `bench_scan.py` tree, or any uv cache):

- `scan`: `load_cache` as the TUI calls it (the model, no wheel read);
- `read after`: `Contents.read_all` after that scan (every wheel's record read and decoded
  then: how `show` worked before the records were read during the scan);
- `scan + records`: `load_cache(read_records=True)`, as `show` calls it now (the wheel
  records read in a child process forked once the workers are done, while this one builds
  the model, and taken over at its end; before 2026-12-02 in the scan's background thread
  while the workers walked);
- `decode after`: `read_all` after that (the joins with the model only).

and prints the medians with the cost of listing every wheel as a share of the scan, next to
the bar (<= 10 %). Warm page cache; the machine's load is printed too (`os.getloadavg`).
Also printed: the read-ahead's own CPU time (its child's, or its thread's, in the scan with
the records) plus the joins, what the listing costs by itself: on a loaded machine the scans' wall
times vary by more than the listing costs, this varies much less (on an idle 2-core one
the scan with the records took about the read-ahead's CPU longer, benchmarks/README.md);
and CPU seconds (this process and its scan workers).

`--collections paused` (the default) times it as `show` runs: no garbage collection from
the scan to the listing (`cli.common.collections_paused`); `--collections on` with the
collector running, as the figures before 2026-12-02 were taken.

`--baseline-source DIR`: also measure the `uvcache_tui` of another checkout (e.g. `git
archive main | tar -x -C /tmp/base`), in turn with this one, each round a fresh process
per checkout (warm-up, then a scan and a scan with the records), for before/after under
equal load.

A `bench_scan.py` tree's wheel records are random bytes (each one is kept as undecoded), so
the script also times decoding one record of the tree against records the real uv wrote
(`tests/deep_cache.py` builds a small cache with it from a local index, ~1 s): if real
records cost much more, the tree's figures would flatter the decoder.

    uv run python benchmarks/bench_contents.py /tmp/uvb-750k/cache --repeat 5
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from importlib import import_module
from typing import Any, TextIO

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BAR = 0.10
Run = tuple[float, float, int, float, float, float]
"""(seconds to the model, seconds of `read_all` after it, wheels listed, the CPU seconds of
each: this process's and its scan workers', and the CPU seconds of the read-ahead in the
scan's background thread). The JSON's `runs` leave out the wheels."""


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _once(cache: str, uv_version: str, read_records: bool, paused: bool) -> Run:
    import uvcache_tui.core.cache as cache_module
    from uvcache_tui.core.buckets import table_for
    from uvcache_tui.core.cache import load_cache

    ahead_cpu = [0.0]
    read_ahead = getattr(cache_module, "read_ahead")  # noqa: B009 (not exported)

    def timed_read_ahead(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()  # the background thread's own CPU
        try:
            return read_ahead(*args, **kwargs)
        finally:
            ahead_cpu[0] += time.thread_time() - started

    setattr(cache_module, "read_ahead", timed_read_ahead)  # noqa: B010
    # Since 2026-12-02 `show` reads them in a child forked after the walk: its CPU comes
    # with its result, plus this process's for taking it over (a checkout without it has
    # no `ReadAheadChild`).
    child = getattr(import_module("uvcache_tui.core.contents.ahead"), "ReadAheadChild", None)
    child_result = getattr(child, "result", None)

    def timed_result(self: Any) -> Any:
        started = time.thread_time()
        found = child_result(self)  # type: ignore[misc]
        ahead_cpu[0] += found.cpu_s + time.thread_time() - started
        return found

    if child is not None:
        setattr(child, "result", timed_result)  # noqa: B010
    gc.collect()
    if paused:
        gc.disable()
    try:
        cpu_started, started = _cpu(), time.perf_counter()
        model = load_cache(cache, table_for(uv_version), read_records=read_records)
        cpu_scanned, scanned = _cpu(), time.perf_counter()
        contents = model.compute_contents().read_all()
        cpu_done, done = _cpu(), time.perf_counter()
    finally:
        gc.enable()
        setattr(cache_module, "read_ahead", read_ahead)  # noqa: B010
        if child is not None:
            setattr(child, "result", child_result)  # noqa: B010
    wheels = sum(len(p.wheels) for p in contents.packages.values())
    cpu_scan, cpu_after = cpu_scanned - cpu_started, cpu_done - cpu_scanned
    return scanned - started, done - scanned, wheels, cpu_scan, cpu_after, ahead_cpu[0]


def _runs(args: argparse.Namespace) -> dict[str, list[Run]]:
    """Warm-up, then `--repeat` pairs (scan, scan with the records), in this process."""
    paused = args.collections == "paused"
    _once(args.cache, args.uv_version, True, paused)  # warm-up
    runs: dict[str, list[Run]] = {"scan": [], "records": []}
    for _ in range(args.repeat):
        for key, read_records in (("scan", False), ("records", True)):
            runs[key].append(_once(args.cache, args.uv_version, read_records, paused))
    return runs


def _runs_of(source: str, args: argparse.Namespace) -> dict[str, list[Run]]:
    """`_runs` with one pair, in a fresh process importing `source`'s `uvcache_tui`."""
    command = [sys.executable, os.path.abspath(__file__), args.cache, "--repeat", "1"]
    command += ["--uv-version", args.uv_version, "--collections", args.collections]
    command += ["--source", source, "--raw"]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    found: dict[str, list[Run]] = json.loads(output)
    return {
        key: [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in runs] for key, runs in found.items()
    }


def _figures(runs: dict[str, list[Run]]) -> dict[str, Any]:
    scan = statistics.median(r[0] for r in runs["scan"])
    after = statistics.median(r[1] for r in runs["scan"])
    scan_rec = statistics.median(r[0] for r in runs["records"])
    decode = statistics.median(r[1] for r in runs["records"])
    added = scan_rec + decode - scan
    cpu_scan = statistics.median(r[3] for r in runs["scan"])
    cpu_added = statistics.median(r[3] + r[4] for r in runs["records"]) - cpu_scan
    ahead = statistics.median(r[5] for r in runs["records"])
    own = ahead + decode
    return {
        "wheels": runs["records"][0][2],
        "scan_s": round(scan, 3),
        "read_after_s": round(after, 3),
        "read_after_share": round(after / scan, 3),
        "scan_with_records_s": round(scan_rec, 3),
        "decode_after_s": round(decode, 3),
        "listing_s": round(added, 3),
        "listing_share": round(added / scan, 3),
        "scan_cpu_s": round(cpu_scan, 3),
        "listing_cpu_s": round(cpu_added, 3),
        "listing_cpu_share": round(cpu_added / cpu_scan, 3),
        "read_ahead_cpu_s": round(ahead, 3),
        "listing_own_s": round(own, 3),
        "listing_own_share": round(own / scan, 3),
        "runs": {
            key: [[round(v, 4) for i, v in enumerate(run) if i != 2] for run in value]
            for key, value in runs.items()
        },
    }


def _decode_us(root: str, relative: str, rounds: int = 3000) -> float:
    from uvcache_tui.core.contents.pointers import decode_pointer, dir_package

    relative_dir, name = relative.rsplit("/", 1)
    key, suffix = name.rsplit(".", 1)
    package = dir_package(relative_dir)
    started = time.perf_counter()
    for _ in range(rounds):
        decode_pointer(root, relative_dir, key, "." + suffix, package)
    return (time.perf_counter() - started) / rounds * 1e6


def record_costs(cache: str) -> dict[str, float] | None:
    """µs to decode one `.http` record: the tree's first one, and the median of the records
    the real uv wrote into a small cache (None without a uv binary here)."""
    import glob
    import tempfile
    from pathlib import Path

    from tests.deep_cache import build_deep_cache

    ours = sorted(glob.glob(os.path.join(cache, "wheels-v*", "*", "*", "*.http")))[:1]
    if not ours:
        return None
    try:
        with tempfile.TemporaryDirectory(prefix="uvct-bench-real-") as base:
            real = build_deep_cache(Path(base))
            root = str(real.cache)
            found = glob.glob(os.path.join(root, "wheels-v*", "**", "*.http"), recursive=True)
            real_us = [_decode_us(root, os.path.relpath(path, root)) for path in found]
    except Exception as exc:  # no uv, no git: the comparison is only left out
        print(f"(real records not measured: {exc})", file=sys.stderr)
        return None
    return {
        "tree_record_us": round(_decode_us(cache, os.path.relpath(ours[0], cache)), 1),
        "real_record_us": round(statistics.median(real_us), 1),
    }


def _print(label: str, figures: dict[str, Any], out: TextIO) -> None:
    scan, after, added = figures["scan_s"], figures["read_after_s"], figures["listing_s"]
    rows = [
        ("scan (model only)", f"{scan:.3f} s", ""),
        ("read + decode after the scan", f"{after:.3f} s", f"{after / scan:.1%} of the scan"),
        ("scan, records read meanwhile", f"{figures['scan_with_records_s']:.3f} s", ""),
        ("joins after that scan", f"{figures['decode_after_s']:.3f} s", ""),
        ("listing every wheel adds", f"{added:.3f} s", f"{added / scan:.1%} (bar <= {BAR:.0%})"),
        (
            "read-ahead's CPU + joins",
            f"{figures['listing_own_s']:.3f} s",
            f"{figures['listing_own_share']:.1%} ({figures['read_ahead_cpu_s']:.3f} s + joins)",
        ),
        (
            "CPU: scan, listing adds",
            f"{figures['scan_cpu_s']:.3f} s",
            f"+{figures['listing_cpu_s']:.3f} s, {figures['listing_cpu_share']:.1%}",
        ),
    ]
    print(label, file=out)
    for name, value, note in rows:
        print(f"  {name:<32} {value:>9}  {note}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cache", help="a uv cache dir")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--uv-version", default="0.13.9", help="bucket table to use")
    parser.add_argument(
        "--collections",
        choices=("paused", "on"),
        default="paused",
        help="paused from the scan to the listing, as `show` runs (default), or on",
    )
    parser.add_argument(
        "--baseline-source",
        metavar="DIR",
        help="also measure the uvcache_tui of this checkout, in turn with this one",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="figures as JSON, to FILE or stdout",
    )
    parser.add_argument("--source", default=HERE, help=argparse.SUPPRESS)
    parser.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.abspath(args.source))
    if args.raw:  # one process of a `--baseline-source` run
        import uvcache_tui

        assert uvcache_tui.__file__ and uvcache_tui.__file__.startswith(args.source)
        print(json.dumps(_runs(args)))
        return 0
    loads: list[float] = []
    if args.baseline_source:
        sources = {"this": HERE, "baseline": os.path.abspath(args.baseline_source)}
        runs: dict[str, dict[str, list[Run]]] = {
            label: {"scan": [], "records": []} for label in sources
        }
        for _ in range(args.repeat):
            for label, source in sources.items():
                for key, found in _runs_of(source, args).items():
                    runs[label][key].extend(found)
                loads.append(os.getloadavg()[0])
    else:
        runs = {"this": _runs(args)}
        loads.append(os.getloadavg()[0])
    results = {label: _figures(found) for label, found in runs.items()}
    figures = {
        "cache": args.cache,
        "repeat": args.repeat,
        "collections": args.collections,
        "loadavg": [round(min(loads), 2), round(max(loads), 2)],
        "bar_share": BAR,
        **results,
        "decode_one_record": record_costs(args.cache),
    }
    out = sys.stderr if args.json == "-" else sys.stdout
    print(
        f"{results['this']['wheels']} wheels, {args.repeat} runs each, collections "
        f"{args.collections}, load {min(loads):.1f}-{max(loads):.1f}",
        file=out,
    )
    for label, result in results.items():
        source = HERE if label == "this" else args.baseline_source
        _print(f"{label} ({source})", result, out)
    costs = figures["decode_one_record"]
    if isinstance(costs, dict):
        print(
            f"  decoding one record: {costs['tree_record_us']} µs (this tree's), "
            f"{costs['real_record_us']} µs (written by the real uv)",
            file=out,
        )
    if args.json == "-":
        print(json.dumps(figures, indent=2))
    elif args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2)
            handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
