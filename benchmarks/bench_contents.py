"""What listing every wheel adds to `show`'s scan: the deep-contents bar of issue 11.

Runs, in turn and `--repeat` times, on one cache (a `bench_scan.py` tree, or any uv cache):

- `scan`: `load_cache` as the TUI calls it (the model, no wheel read);
- `read after`: `Contents.read_all` after that scan (every wheel's record read and decoded
  then: how `show` worked before the records were read during the scan);
- `scan + records`: `load_cache(read_records=True)`, as `show` calls it now (the wheel
  records read in the scan's background thread while the workers walk);
- `decode after`: `read_all` after that (decoding only).

and prints the medians with the cost of listing every wheel as a share of the scan, next to
the bar (<= 10 %). Warm page cache; the machine's load is printed too (`os.getloadavg`).

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
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from uvcache_tui.core.buckets import table_for  # noqa: E402
from uvcache_tui.core.cache import load_cache  # noqa: E402
from uvcache_tui.core.contents.pointers import decode_pointer  # noqa: E402

BAR = 0.10


def _once(cache: str, uv_version: str, read_records: bool) -> tuple[float, float, int]:
    gc.collect()
    started = time.perf_counter()
    model = load_cache(cache, table_for(uv_version), read_records=read_records)
    scanned = time.perf_counter()
    contents = model.compute_contents().read_all()
    done = time.perf_counter()
    wheels = sum(len(p.wheels) for p in contents.packages.values())
    return scanned - started, done - scanned, wheels


def _decode_us(root: str, relative: str, rounds: int = 3000) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        decode_pointer(root, relative, ".http")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cache", help="a uv cache dir")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--uv-version", default="0.13.9", help="bucket table to use")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    args = parser.parse_args(argv)
    _once(args.cache, args.uv_version, True)  # warm-up
    runs: dict[bool, list[tuple[float, float, int]]] = {False: [], True: []}
    for _ in range(args.repeat):
        for read_records in (False, True):
            runs[read_records].append(_once(args.cache, args.uv_version, read_records))
    scan = statistics.median(r[0] for r in runs[False])
    after = statistics.median(r[1] for r in runs[False])
    scan_rec = statistics.median(r[0] for r in runs[True])
    decode = statistics.median(r[1] for r in runs[True])
    added = scan_rec + decode - scan
    figures = {
        "cache": args.cache,
        "wheels": runs[True][0][2],
        "repeat": args.repeat,
        "loadavg": os.getloadavg()[0],
        "scan_s": round(scan, 3),
        "read_after_s": round(after, 3),
        "read_after_share": round(after / scan, 3),
        "scan_with_records_s": round(scan_rec, 3),
        "decode_after_s": round(decode, 3),
        "listing_share": round(added / scan, 3),
        "bar_share": BAR,
        "decode_one_record": record_costs(args.cache),
    }
    rows = [
        ("scan (model only)", f"{scan:.3f} s", ""),
        ("read + decode after the scan", f"{after:.3f} s", f"{after / scan:.1%} of the scan"),
        ("scan, records read meanwhile", f"{scan_rec:.3f} s", ""),
        ("decode after that scan", f"{decode:.3f} s", ""),
        ("listing every wheel adds", f"{added:.3f} s", f"{added / scan:.1%} (bar <= {BAR:.0%})"),
    ]
    out = sys.stderr if args.json else sys.stdout
    print(
        f"{figures['wheels']} wheels, {args.repeat} runs each, load {figures['loadavg']:.1f}",
        file=out,
    )
    for label, value, note in rows:
        print(f"  {label:<32} {value:>9}  {note}", file=out)
    costs = figures["decode_one_record"]
    if costs:
        print(
            f"  decoding one record: {costs['tree_record_us']} µs (this tree's), "
            f"{costs['real_record_us']} µs (written by the real uv)",
            file=out,
        )
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
